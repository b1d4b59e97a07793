/* The vocabulary of a sweep: axes, presets, parameters, and spec values.
 *
 * Every axis value of a cell is a BdSpec: a preset name plus parameters, each
 * parameter held as canonical text ("0.05", "[3,4,6,3]", "top-left"). A preset
 * (BdPreset) declares its parameters with type, default and range; resolving a
 * spec against its preset checks every key and value and fills the defaults.
 * The canonical text of a spec names only the parameters that differ from
 * their defaults, in key order:
 *
 *     square                       every parameter at its default
 *     square(location=top-left,size=4)
 *
 * so that `square` and `{name: square, size: 3}` are the same cell.
 * Scalar axes (target, poison_rate, seed) are specs with no parameters whose
 * name is the canonical number.
 *
 * Registries live with their implementations (worker/); this file only knows
 * their shape, so that the coordinator can validate a sweep and a worker can
 * parse a cell key with the same tables. */
#ifndef BD_SPEC_H
#define BD_SPEC_H

#include <math.h>
#include <stddef.h>

#include "error.h"

#define BD_SPEC_MAX_PARAMS 24
#define BD_SPEC_NAME_MAX 48
#define BD_SPEC_KEY_MAX 32
#define BD_SPEC_VAL_MAX 512
#define BD_SPEC_TEXT_MAX 4096

typedef enum {
    BD_PARAM_INT,         /* integer in [min, max] */
    BD_PARAM_FLOAT,       /* real in [min, max] */
    BD_PARAM_BOOL,        /* true | false (YAML yes/no/1/0 accepted, canonical true/false) */
    BD_PARAM_ENUM,        /* one of choices "a|b|c" */
    BD_PARAM_STRING,      /* any text (paths, glyph names) */
    BD_PARAM_INT_LIST,    /* [i, j, ...], each in [min, max] */
    BD_PARAM_STRING_LIST, /* [a, b, ...], each one of choices when choices is set */
} BdParamType;

typedef struct BdParamDef {
    const char *name;
    BdParamType type;
    /* Canonical default text. NULL: the parameter is required. "": optional
     * with no value (bd_spec_has() says whether it was given). */
    const char *def;
    double min, max;     /* numeric range, inclusive; use BD_ANY for none */
    const char *choices; /* ENUM and STRING_LIST: "a|b|c" */
    const char *help;
} BdParamDef;

#define BD_ANY (-HUGE_VAL), (HUGE_VAL)

struct BdSpec;

typedef struct BdPreset {
    const char *name;
    const char *help;
    const BdParamDef *params; /* terminated by an entry whose name is NULL */
    /* Rules that involve several parameters (x and y together, ...); may be NULL.
     * Called on a resolved spec. */
    int (*check)(const struct BdSpec *s, BdError *err);
    /* The implementation behind the name, owned and cast by the module that
     * defines the registry (a trigger's apply function, a model's builder).
     * The coordinator never looks at it. */
    const void *impl;
} BdPreset;

typedef enum {
    BD_AXIS_PRESETS, /* values are specs of the axis' presets */
    BD_AXIS_INT,     /* values are integers in [min, max] */
    BD_AXIS_FLOAT,   /* values are reals in [min, max] */
} BdAxisKind;

typedef struct BdAxisDef {
    const char *name;
    BdAxisKind kind;
    double min, max;
    /* The preset a YAML mapping without `name:` stands for (train: {epochs: 2}
     * is the preset sgd); NULL when a mapping must name its preset. */
    const char *implicit_name;
    /* The value a sweep that does not mention the axis gets, in canonical
     * text; NULL when the axis is required. A cell key omits an axis at this
     * value, so adding an axis never changes the keys of existing cells. */
    const char *absent;
    const BdPreset *presets; /* terminated by name == NULL; NULL for scalar axes */
    const char *help;
    /* How people and the report name it: "architecture", "architectures". */
    const char *label, *plural;
    /* The design of the experiment, which the database's pairing columns and
     * the report follow (results/README.md explains them):
     *   replicate: cells that differ only in this axis are replicates of one
     *     condition (the seed);
     *   control: the value a comparison along this axis holds as its
     *     reference (poison rate 0, regularizer none), or NULL; control_name
     *     names the pairing columns, <control_name>_key (the key of the cell
     *     with this axis at its control value, all else equal) and
     *     <control_name>_condition (that cell's condition). */
    int replicate;
    const char *control, *control_name;
    /* attack: the axis describes the attack a cell is measured against
     * (trigger, strategy, target) — what the triggered test images are;
     * poisoning: the axis says how much of the training set the attack
     * poisons (poison rate; at its control value the model is clean). A clean
     * model depends on every other axis only, so it is trained once and
     * evaluated against every attack of the sweep (common/job.h). */
    int attack, poisoning;
} BdAxisDef;

/* Bit 1u << a of every axis a of the table with attack (or poisoning) set. */
unsigned bd_axes_attack_mask(const BdAxisDef *axes);
unsigned bd_axes_poisoning_mask(const BdAxisDef *axes);

/* The SQL type of an axis' column: TEXT for presets, INTEGER or REAL. */
const char *bd_axis_sql_type(const BdAxisDef *a);

/* A spec's parameters live in one small arena (keys and values as
 * NUL-terminated text, addressed by offset), so that a BdSpec is about 2 kB
 * and a cell (BD_AXIS_COUNT specs) fits comfortably on the stack, and a copy
 * is a plain struct assignment. Read parameters with bd_spec_key/bd_spec_val. */
#define BD_SPEC_ARENA 2048

typedef struct BdSpecParam {
    unsigned short key, val; /* offsets into BdSpec.arena */
} BdSpecParam;

typedef struct BdSpec {
    char name[BD_SPEC_NAME_MAX];
    int n;
    unsigned short used; /* bytes of arena in use */
    BdSpecParam kv[BD_SPEC_MAX_PARAMS];
    char arena[BD_SPEC_ARENA];
} BdSpec;

static inline const char *bd_spec_key(const BdSpec *s, int i) { return s->arena + s->kv[i].key; }
static inline const char *bd_spec_val(const BdSpec *s, int i) { return s->arena + s->kv[i].val; }

/* ---- building and reading ------------------------------------------------ */

void bd_spec_init(BdSpec *s, const char *name);
/* Sets (or replaces) one parameter's raw text. Fails when the key or value is
 * too long, the spec has BD_SPEC_MAX_PARAMS parameters already, or its texts
 * together would exceed the arena. */
int bd_spec_set(BdSpec *s, const char *key, const char *val, BdError *err);
/* Index of key in s->kv, or -1. */
int bd_spec_find(const BdSpec *s, const char *key);
/* Whether the parameter is present with a non-empty value. */
int bd_spec_has(const BdSpec *s, const char *key);

/* Typed getters for resolved specs. A missing key or a value of the wrong
 * type in a resolved spec is a programming error: they abort with a message. */
long bd_spec_int(const BdSpec *s, const char *key);
double bd_spec_float(const BdSpec *s, const char *key);
int bd_spec_bool(const BdSpec *s, const char *key);
const char *bd_spec_str(const BdSpec *s, const char *key);
/* Fills out[0..cap) and returns the number of elements (which may exceed cap). */
int bd_spec_int_list(const BdSpec *s, const char *key, long *out, int cap);
/* Element i of a string list into out; returns the element count. */
int bd_spec_str_list(const BdSpec *s, const char *key, int i, char *out, size_t cap);

/* ---- registries ------------------------------------------------------------ */

const BdPreset *bd_preset_find(const BdPreset *presets, const char *name);
const BdParamDef *bd_param_find(const BdPreset *p, const char *key);
/* "a, b, c" — for error messages that list what was expected. */
void bd_preset_names(const BdPreset *presets, char *out, size_t cap);
void bd_param_names(const BdPreset *p, char *out, size_t cap);

/* Checks every parameter against the preset (known key, type, range, choice),
 * rewrites each value in canonical form, fills defaults, sorts by key, and
 * runs the preset's check. Error messages name the spec, the key, the value
 * and what was expected. */
int bd_spec_resolve(BdSpec *s, const BdPreset *p, BdError *err);

/* Canonicalises one value of type def->type into out. */
int bd_param_canonical(const BdParamDef *def, const char *raw, char *out, size_t cap, BdError *err);

/* Canonical number text: integers as %ld, reals as the shortest text that
 * reads back to the same double ("0.05", "1e-05"). */
void bd_format_double(double v, char *out, size_t cap);

/* ---- canonical text -------------------------------------------------------- */

/* The canonical text of a resolved spec (only non-default parameters). */
int bd_spec_format(const BdSpec *s, const BdPreset *p, char *out, size_t cap, BdError *err);
/* The canonical text with every parameter, defaults included. */
int bd_spec_format_full(const BdSpec *s, char *out, size_t cap, BdError *err);

/* Parses canonical (or hand-written) text "name(k=v,k=v)" back into a spec;
 * *end receives the first unread character. Values may be "quoted" (with \"
 * and \\ escapes) or [lists]. Does not resolve. */
int bd_spec_parse(BdSpec *s, const char *text, const char **end, BdError *err);

/* Whether a value needs quotes in canonical text. */
int bd_text_needs_quotes(const char *v);

#endif
