/* A cell: one point of the sweep grid, fully described by its axis values.
 *
 * Its identity is the canonical key, the axis values' canonical texts in axis
 * order, separated by single spaces:
 *
 *     dataset=fashion-mnist arch=cnn-small trigger=square strategy=all-to-one
 *     target=0 poison_rate=0.05 regularizer=none seed=1 train=sgd(epochs=2,...)
 *
 * (one line). Axes at their `absent` value are left out, so a new axis never
 * changes existing keys. The key is also the wire format: the coordinator
 * sends it to a worker, which parses it back with bd_cell_parse(). The cell's
 * seed is bd_hash_str(key): the numbers depend on nothing but the key. */
#ifndef BD_CELL_H
#define BD_CELL_H

#include <stdint.h>

#include "spec.h"

/* Axis order is key order; never reorder, only append. */
typedef enum {
    BD_AXIS_DATASET,
    BD_AXIS_ARCH,
    BD_AXIS_TRIGGER,
    BD_AXIS_STRATEGY,
    BD_AXIS_TARGET,
    BD_AXIS_POISON_RATE,
    BD_AXIS_REGULARIZER,
    BD_AXIS_SEED,
    BD_AXIS_INIT,
    BD_AXIS_TRAIN,
    BD_AXIS_RETRAIN,
    BD_AXIS_COUNT
} BdAxis;

#define BD_KEY_MAX 8192

typedef struct BdCell {
    BdSpec v[BD_AXIS_COUNT]; /* resolved: every parameter present */
} BdCell;

/* Index of an axis name in the table, or -1. */
int bd_axis_index(const BdAxisDef *axes, const char *name);
/* "dataset, arch, ..." in axis order, for messages that list what was expected. */
void bd_axis_list(const BdAxisDef *axes, char *out, size_t cap);

/* Parses and resolves a cell value for one axis from text ("square(size=4)",
 * "0.05"), using the axis table; the error names the axis. */
int bd_axis_value_parse(const BdAxisDef *axes, BdAxis axis, const char *text, BdSpec *out, BdError *err);
/* Canonical text of one resolved axis value. */
int bd_axis_value_format(const BdAxisDef *axes, BdAxis axis, const BdSpec *v, char *out, size_t cap, BdError *err);

/* A key from the canonical texts of the axis values (texts[a], in axis
 * order), leaving out axes at their absent value and the axes whose bit is
 * set in `omit` (1u << axis); the one place that writes key syntax.
 * absent[a] is the canonical text of axis a's absent value, NULL when the
 * axis has none (bd_axis_absent_texts fills it); absent itself may be NULL:
 * then every axis not omitted is written. */
int bd_key_join(const BdAxisDef *axes, const char *const *texts, const char *const *absent, unsigned omit, char *out,
                size_t cap, BdError *err);
/* The canonical texts of every axis' absent value (NULL entries for axes
 * that have none), into texts[BD_AXIS_COUNT] with storage in buf. */
int bd_axis_absent_texts(const BdAxisDef *axes, const char *texts[BD_AXIS_COUNT], char *buf, size_t cap,
                         BdError *err);

/* The canonical key of a cell whose values are resolved. */
int bd_cell_key(const BdAxisDef *axes, const BdCell *c, char *out, size_t cap, BdError *err);
/* Parses a key back into a resolved cell (axes missing from the key get
 * their absent value). bd_cell_key(bd_cell_parse(k)) == k for every key the
 * coordinator makes. */
int bd_cell_parse(const BdAxisDef *axes, const char *key, BdCell *c, BdError *err);
/* The same for a key that holds only the axes of `mask` (bit 1u << axis; a
 * job's key, common/job.h): an axis outside it in the key is an error, one
 * missing from it gets its absent value, or an empty spec when it has none. */
int bd_cell_parse_axes(const BdAxisDef *axes, const char *key, unsigned mask, BdCell *c, BdError *err);

/* Scalar axes as numbers. */
long bd_cell_target(const BdCell *c);
double bd_cell_poison_rate(const BdCell *c);
long bd_cell_seed(const BdCell *c);

#endif
