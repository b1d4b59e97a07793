/* Internals of the sweep loader, shared by its files (not for other modules):
 * the loading context, YAML node helpers that locate every error, and the
 * conversion of YAML nodes into axis values and exclude patterns. */
#ifndef BD_SWEEP_INTERNAL_H
#define BD_SWEEP_INTERNAL_H

#include <yaml.h>

#include "sweep.h"

typedef struct SwCtx {
    const char *file;
    const char *text; /* the file's bytes, for locating reader errors */
    yaml_document_t *doc;
    const BdAxisDef *axes;
    BdError *err;
    char **warnings;
    int n_warnings;
    char **notes; /* what the checks used, per dataset (BdSweep.notes) */
    int n_notes;
} SwCtx;

/* ---- sweep_yaml.c: the document and located errors ------------------------- */

/* Reads the file into *text and loads its one YAML document. Errors carry
 * libyaml's problem text and mark. */
int sw_yaml_load(const char *path, char **text, yaml_document_t *doc, int *loaded, BdError *err);

/* "FILE:LINE:COL: WHERE: message" (WHERE may be ""); returns -1. */
int sw_fail(const SwCtx *c, const yaml_node_t *node, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prefixes the message already in c->err with the node's location and WHERE. */
int sw_fail_prefix(const SwCtx *c, const yaml_node_t *node, const char *where);
/* Records a located warning. */
void sw_warn(SwCtx *c, int line, int col, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

yaml_node_t *sw_node(const SwCtx *c, int index);
int sw_line(const yaml_node_t *n);
int sw_col(const yaml_node_t *n);
/* The text of a scalar node, NULL for a mapping or a sequence. */
const char *sw_scalar(const yaml_node_t *n);
/* Whether a node is an empty or null plain scalar ("", ~, null). */
int sw_is_null(const yaml_node_t *n);
/* "a mapping", "a list", "a value" (for messages: "expected X, got a list"). */
const char *sw_kind(const yaml_node_t *n);
/* Checks that every key of a mapping is a scalar and none appears twice. */
int sw_check_keys(const SwCtx *c, yaml_node_t *map, const char *where);

/* ---- sweep_values.c: YAML nodes as axis values ---------------------------- */

/* A grid value: resolved spec and canonical text. */
int sw_axis_value(const SwCtx *c, BdAxis axis, yaml_node_t *node, const char *where, BdSpec *out, char *text,
                  size_t cap);
/* An exclude pattern: the preset name and only the parameters the pattern
 * lists, each canonical (not resolved: no defaults filled). For the scalar
 * axes, the canonical number as the name. */
int sw_axis_pattern(const SwCtx *c, BdAxis axis, yaml_node_t *node, const char *where, BdSpec *out);
/* Whether a resolved value matches a pattern: same preset and every listed
 * parameter equal. */
int sw_pattern_matches(const BdSpec *pattern, const BdSpec *value);

/* ---- strset.c: a set of strings ------------------------------------------- */

/* Open addressing on bd_hash_str: duplicate values among N and pre-training
 * jobs among N cells in O(N), not O(N^2). Keys are copied. */
typedef struct SwStrSet {
    char **keys;
    int *vals;
    size_t cap, n;
} SwStrSet;
/* The value already stored under key, or -1 after storing val under it. */
int sw_strset_put(SwStrSet *s, const char *key, int val);
void sw_strset_free(SwStrSet *s);

/* ---- the grid: its axes, excludes, and walking its cells (sweep_walk.c) ---- */

/* The values of one axis: resolved specs beside the public values. A
 * scalar axis (target, poison_rate, seed) keeps no specs: its value is its
 * canonical text, and a 2 kB BdSpec per seed would make an axis of 10^6
 * seeds cost 2 GB. */
typedef struct SwAxis {
    BdSpec *specs; /* [n], NULL for a scalar axis */
    BdSweepValue *values;
    int n, cap;
    int given;
    SwStrSet texts; /* canonical texts seen, while loading: text -> value index */
} SwAxis;

/* ---- patterns.c: cells named by axis: value patterns ------------------------ */

/* An exclude entry, or the cells of a limits override. */
typedef struct SwCellPattern {
    int line, col;
    char where[64];
    unsigned char *match[BD_AXIS_COUNT]; /* [value index]: 1 when the value matches; NULL: axis not listed */
} SwCellPattern;

/* Parses a mapping of axis: value pattern (sw_axis_pattern) into the values
 * of ax it matches; empty_means says why an empty mapping is refused. */
int sw_cell_pattern_parse(const SwCtx *c, const SwAxis *ax, yaml_node_t *map, const char *where, const char *empty_means,
                          SwCellPattern *out);
int sw_cell_pattern_matches(const SwCellPattern *p, const int *idx);
/* A located warning when no cell of the grid's product can match. */
void sw_cell_pattern_warn_unmatched(SwCtx *c, const SwAxis *ax, const SwCellPattern *p);
void sw_cell_pattern_free(SwCellPattern *p);

/* ---- sweep_limits.c: the `limits:` key ---------------------------------------- */

enum { SW_LIMIT_WALL = 1, SW_LIMIT_MEMORY = 2, SW_LIMIT_ATTEMPTS = 4 };

/* An entry of limits.overrides: the limits it gives (given: SW_LIMIT_*
 * bits) for the cells it names. */
typedef struct SwLimitRule {
    SwCellPattern cells;
    BdLimits set;
    unsigned given;
} SwLimitRule;

/* What walking the cells needs; BdSweep.grid after loading. */
struct BdSweepGrid {
    SwAxis ax[BD_AXIS_COUNT]; /* ax[a].values are BdSweep.axes[a].values once loaded */
    char **part[BD_AXIS_COUNT]; /* [value]: its piece of a cell key, "axis=text", or NULL
                                   for the axis' absent value (keys leave those out) */
    SwCellPattern *ex;
    int n_ex;
    SwLimitRule *rules; /* limits.overrides, in file order */
    int n_rules;
    long total; /* cells of the full product, before exclude */
};

/* The key piece of every value, written by bd_key_join once per value
 * instead of once per cell; and the product's size, refused above
 * BD_SWEEP_MAX_CELLS. */
int sw_grid_prepare(SwCtx *c, BdSweepGrid *g);
/* Frees what the grid owns (the values only when values_too: before they
 * are handed to the sweep). */
void sw_grid_free(BdSweepGrid *g, int values_too);
/* Whether an exclude entry matches the cell with these value indices. */
int sw_excluded(const BdSweepGrid *g, const int *idx);

/* The `limits:` node (NULL: absent) into *out and g->rules. */
int sw_limits_parse(SwCtx *c, yaml_node_t *node, BdSweepGrid *g, BdSweepLimits *out);
/* The limits of the cell with these value indices: the sweep's, then each
 * override that names it, in file order, for the limits it gives. */
BdLimits sw_limits_of(const BdSweepGrid *g, const BdLimits *all, const int *idx);

/* Where the memory limit of the cell with these value indices comes from,
 * for messages: "limits.overrides[1], line 14" or "limits.memory". */
void sw_memory_limit_source(const BdSweepGrid *g, const int *idx, char *out, size_t cap);

/* ---- sweep_memory.c: each model within its job's memory limit ---------------- */

/* After bd_sweep_models: an error when a model's memory (estimated from its
 * shapes) exceeds the limit of a job that trains it. */
int sw_check_memory(const BdSweep *sw, BdError *err);

/* ---- sweep_checks.c: checks that need several axes ------------------------ */

/* Which combinations occur among the cells that survive `exclude`:
 * trigger_seen[d * n_trigger + t], strategy_seen[(d * n_strategy + s) * n_target + g],
 * regularizer_seen[(d * n_arch + a) * n_regularizer + r], and per
 * combination of dataset, strategy, target, poison rate, training and
 * retraining setting (sweep_pools.c) how many cells and the key of the first. */
typedef struct SwCombos {
    unsigned char *trigger_seen;
    unsigned char *strategy_seen;
    unsigned char *regularizer_seen;
    int *pool_cells;
    char **pool_first_key;
} SwCombos;

/* Runs bd_dataset_shape, bd_trigger_check_fit, bd_strategy_check,
 * bd_reg_make and the poisoning pools' check once per combination that
 * occurs, and checks that each dataset's folder is on this machine: against
 * the data when it is here and otherwise (without BD_SWEEP_STRICT) against
 * the dataset's standard sizes; adds a note per dataset saying which. */
int sw_check_combinations(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int flags);

/* ---- sweep_pools.c: enough samples to poison -------------------------------- */

/* The pool combinations of SwCombos: made for the axes, one cell recorded
 * (its value indices and key), freed. */
void sw_pool_begin(const SwAxis *ax, SwCombos *seen);
void sw_pool_seen(const SwAxis *ax, SwCombos *seen, const int idx[BD_AXIS_COUNT], const char *key);
void sw_pool_end(const SwAxis *ax, SwCombos *seen);

/* A dataset's training labels as the pool check sees them. */
typedef struct SwPoolData {
    int classes;
    int n_train;
    const int *labels;       /* the training labels in load order (the data is here), or NULL: */
    const int *class_counts; /* the standard training samples per class */
    const char *source;      /* where the numbers come from, for messages */
} SwPoolData;

/* The cells that must fail, over every dataset: the first combination
 * described, the others counted. */
typedef struct SwPoolVerdict {
    char first[BD_ERROR_MAX];
    const char *first_key; /* its first cell */
    int errors, error_cells;
} SwPoolVerdict;

/* The pools of dataset d's combinations against their poison counts: the
 * cells that must fail into v, a warning for cells that may. */
void sw_check_pools(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, const SwPoolData *data,
                    SwPoolVerdict *v);
/* The error for the cells that must fail (none: 0). */
int sw_pool_verdict(SwCtx *c, const SwPoolVerdict *v);

#endif
