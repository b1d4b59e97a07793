#include "job_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "rng.h"

int bd_main_key(const BdCell *c, char *out, size_t cap, BdError *err) {
    const BdSpec *r = &c->v[BD_AXIS_RETRAIN];
    if (!strcmp(r->name, "none")) return bd_cell_key(bd_axes(), c, out, cap, err);
    /* The retraining reduced to its held-out fraction: every other parameter
     * at its default, so all retraining variants format the same. */
    BdCell *m = bd_xmalloc(sizeof *m); /* 140 kB: not for the stack */
    *m = *c;
    char text[BD_SPEC_TEXT_MAX];
    snprintf(text, sizeof text, "finetune(fraction=%s)", bd_spec_str(r, "fraction"));
    int rc = bd_axis_value_parse(bd_axes(), BD_AXIS_RETRAIN, text, &m->v[BD_AXIS_RETRAIN], err);
    if (rc == 0) rc = bd_cell_key(bd_axes(), m, out, cap, err);
    free(m);
    return rc;
}

int bd_is_pretrain_key(const char *key) { return !strncmp(key, BD_PRETRAIN_PREFIX, strlen(BD_PRETRAIN_PREFIX)); }

int bd_pretrain_key(const BdCell *c, char *out, size_t cap, BdError *err) {
    const BdSpec *init = &c->v[BD_AXIS_INIT];
    out[0] = '\0';
    if (strcmp(init->name, "pretrained")) return 0;
    const BdAxisDef *axes = bd_axes();
    BdSpec train = c->v[BD_AXIS_TRAIN];
    if (bd_spec_set(&train, "epochs", bd_spec_str(init, "epochs"), err) < 0) return -1;
    char d[BD_SPEC_TEXT_MAX], a[BD_SPEC_TEXT_MAX], t[BD_SPEC_TEXT_MAX];
    if (bd_axis_value_format(axes, BD_AXIS_DATASET, &c->v[BD_AXIS_DATASET], d, sizeof d, err) < 0 ||
        bd_axis_value_format(axes, BD_AXIS_ARCH, &c->v[BD_AXIS_ARCH], a, sizeof a, err) < 0 ||
        bd_axis_value_format(axes, BD_AXIS_TRAIN, &train, t, sizeof t, err) < 0)
        return -1;
    int w = snprintf(out, cap, "%sdataset=%s arch=%s seed=%s train=%s", BD_PRETRAIN_PREFIX, d, a,
                     c->v[BD_AXIS_SEED].name, t);
    if (w < 0 || (size_t)w >= cap) return bd_fail(err, "pre-training key longer than %zu characters", cap - 1);
    return 0;
}

int bd_pretrain_parse(const char *key, BdCell *c, BdError *err) {
    if (!bd_is_pretrain_key(key)) return bd_fail(err, "not a pre-training key: '%.60s'", key);
    /* A pre-training key is a cell key without trigger and poison rate:
     * complete it with placeholders that the pre-training job never reads. */
    char full[BD_KEY_MAX];
    int w = snprintf(full, sizeof full, "%s trigger=square poison_rate=0", key + strlen(BD_PRETRAIN_PREFIX));
    if (w < 0 || (size_t)w >= sizeof full) return bd_fail(err, "pre-training key too long");
    if (bd_cell_parse(bd_axes(), full, c, err) < 0) return bd_error_prefix(err, "pre-training job: ");
    return 0;
}

void bd_checkpoint_path(const char *dir, const char *kind, const char *key, char *out, size_t cap) {
    snprintf(out, cap, "%s/%s-%016" PRIx64 ".ckpt", dir, kind, bd_hash_str(key));
}

void bd_arch_key(const BdCell *c, int channels, int height, int width, int classes, char *out, size_t cap) {
    char a[BD_SPEC_TEXT_MAX];
    BdError err;
    if (bd_axis_value_format(bd_axes(), BD_AXIS_ARCH, &c->v[BD_AXIS_ARCH], a, sizeof a, &err) < 0)
        snprintf(a, sizeof a, "%s", c->v[BD_AXIS_ARCH].name);
    snprintf(out, cap, "%s input=%dx%dx%d classes=%d", a, channels, height, width, classes);
}
