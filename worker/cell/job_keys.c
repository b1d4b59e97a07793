#include "job_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "job.h"
#include "rng.h"

int bd_cell_texts(const BdCell *c, unsigned mask, char texts[][BD_SPEC_TEXT_MAX], const char **t, BdError *err) {
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        t[a] = NULL;
        if (!(mask & (1u << a))) continue;
        if (bd_axis_value_format(bd_axes(), (BdAxis)a, &c->v[a], texts[a], BD_SPEC_TEXT_MAX, err) < 0) return -1;
        t[a] = texts[a];
    }
    return 0;
}

int bd_main_retrain(const BdSpec *retrain, BdSpec *out, BdError *err) {
    if (!strcmp(retrain->name, "none")) {
        *out = *retrain;
        return 0;
    }
    /* Every parameter but the fraction at its default, so all retraining
     * variants format the same. */
    char text[BD_SPEC_TEXT_MAX];
    snprintf(text, sizeof text, "finetune(fraction=%s)", bd_spec_str(retrain, "fraction"));
    return bd_axis_value_parse(bd_axes(), BD_AXIS_RETRAIN, text, out, err);
}

int bd_main_key(const BdJob *job, char *out, size_t cap, BdError *err) {
    BdCell m = job->cell;
    if (bd_main_retrain(&job->cell.v[BD_AXIS_RETRAIN], &m.v[BD_AXIS_RETRAIN], err) < 0) return -1;
    char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX];
    const char *t[BD_AXIS_COUNT];
    if (bd_cell_texts(&m, bd_job_kind_axes(bd_axes(), job->kind), texts, t, err) < 0) return -1;
    return bd_job_key(bd_axes(), job->kind, t, out, cap, err);
}

int bd_pretrain_key(const BdCell *c, char *out, size_t cap, BdError *err) {
    const BdSpec *init = &c->v[BD_AXIS_INIT];
    out[0] = '\0';
    if (strcmp(init->name, "pretrained")) return 0;
    const BdAxisDef *axes = bd_axes();
    BdSpec train = c->v[BD_AXIS_TRAIN];
    if (bd_spec_set(&train, "epochs", bd_spec_str(init, "epochs"), err) < 0) return -1;
    BdCell p = *c;
    p.v[BD_AXIS_TRAIN] = train;
    char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX];
    const char *t[BD_AXIS_COUNT];
    if (bd_cell_texts(&p, bd_job_kind_axes(axes, BD_JOB_PRETRAIN), texts, t, err) < 0) return -1;
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
