#include "job_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "job.h"
#include "rng.h"

int bd_main_key(const BdCell *c, char *out, size_t cap, BdError *err) {
    const BdSpec *r = &c->v[BD_AXIS_RETRAIN];
    if (!strcmp(r->name, "none")) return bd_cell_key(bd_axes(), c, out, cap, err);
    /* The retraining reduced to its held-out fraction: every other parameter
     * at its default, so all retraining variants format the same. */
    BdCell m = *c;
    char text[BD_SPEC_TEXT_MAX];
    snprintf(text, sizeof text, "finetune(fraction=%s)", bd_spec_str(r, "fraction"));
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_RETRAIN, text, &m.v[BD_AXIS_RETRAIN], err) < 0) return -1;
    return bd_cell_key(bd_axes(), &m, out, cap, err);
}

int bd_pretrain_key(const BdCell *c, char *out, size_t cap, BdError *err) {
    const BdSpec *init = &c->v[BD_AXIS_INIT];
    out[0] = '\0';
    if (strcmp(init->name, "pretrained")) return 0;
    const BdAxisDef *axes = bd_axes();
    BdSpec train = c->v[BD_AXIS_TRAIN];
    if (bd_spec_set(&train, "epochs", bd_spec_str(init, "epochs"), err) < 0) return -1;
    char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX];
    const char *t[BD_AXIS_COUNT];
    unsigned axes_of_job = bd_job_kind_def(BD_JOB_PRETRAIN)->axes;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        t[a] = texts[a];
        texts[a][0] = '\0';
        if (!(axes_of_job & (1u << a))) continue;
        const BdSpec *v = a == BD_AXIS_TRAIN ? &train : &c->v[a];
        if (bd_axis_value_format(axes, (BdAxis)a, v, texts[a], sizeof texts[a], err) < 0) return -1;
    }
    return bd_job_key(axes, BD_JOB_PRETRAIN, t, out, cap, err);
}

int bd_checkpoint_path(const char *dir, const char *kind, const char *key, char *out, size_t cap, BdError *err) {
    int w = snprintf(out, cap, "%s/%s-%016" PRIx64 ".ckpt", dir, kind, bd_hash_str(key));
    if (w < 0 || (size_t)w >= cap)
        return bd_fail(err, "checkpoint folder path too long (%zu characters, at most %zu): %.80s...", strlen(dir),
                       cap - 40, dir);
    return 0;
}

int bd_arch_key(const BdCell *c, int channels, int height, int width, int classes, char *out, size_t cap,
                BdError *err) {
    char a[BD_SPEC_TEXT_MAX];
    if (bd_axis_value_format(bd_axes(), BD_AXIS_ARCH, &c->v[BD_AXIS_ARCH], a, sizeof a, err) < 0) return -1;
    int w = snprintf(out, cap, "%s input=%dx%dx%d classes=%d", a, channels, height, width, classes);
    if (w < 0 || (size_t)w >= cap) return bd_fail(err, "architecture key longer than %zu characters", cap - 1);
    return 0;
}
