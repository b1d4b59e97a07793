#include "job.h"

#include <string.h>

#define AX(a) (1u << BD_AXIS_##a)
#define ALL_AXES ((1u << BD_AXIS_COUNT) - 1)

static const BdJobKindDef kinds[BD_JOB_KIND_COUNT] = {
    [BD_JOB_CELL] = {"cell", "", "cell", 0},
    [BD_JOB_CLEAN] = {"clean", "clean ", "clean model", 0},
    [BD_JOB_PRETRAIN] = {"pretrain", "pretrain ", "pre-training", 1},
};

const BdJobKindDef *bd_job_kind_def(BdJobKind k) { return &kinds[k]; }

unsigned bd_job_kind_axes(const BdAxisDef *axes, BdJobKind k) {
    switch (k) {
    case BD_JOB_CELL: return ALL_AXES;
    case BD_JOB_CLEAN: return ALL_AXES & ~bd_axes_attack_mask(axes) & ~bd_axes_poisoning_mask(axes);
    case BD_JOB_PRETRAIN: return AX(DATASET) | AX(ARCH) | AX(SEED) | AX(TRAIN);
    default: return 0;
    }
}

BdJobKind bd_job_kind_of(const char *key) {
    for (int k = 0; k < BD_JOB_KIND_COUNT; k++)
        if (kinds[k].prefix[0] && !strncmp(key, kinds[k].prefix, strlen(kinds[k].prefix))) return (BdJobKind)k;
    return BD_JOB_CELL;
}

int bd_job_kind_index(const char *name) {
    for (int k = 0; k < BD_JOB_KIND_COUNT; k++)
        if (!strcmp(kinds[k].name, name)) return k;
    return -1;
}

int bd_job_parse(const BdAxisDef *axes, const char *key, BdJob *job, BdError *err) {
    job->kind = bd_job_kind_of(key);
    const BdJobKindDef *k = &kinds[job->kind];
    if (bd_cell_parse_axes(axes, key + strlen(k->prefix), bd_job_kind_axes(axes, job->kind), &job->cell, err) < 0)
        return k->prefix[0] ? bd_error_prefix(err, "%s job: ", k->name) : -1;
    return 0;
}

/* prefix + the axes of mask, at their absent value left out unless all_written. */
static int join(const BdAxisDef *axes, const char *prefix, unsigned mask, int all_written, const char *const *texts,
                char *out, size_t cap, BdError *err) {
    char absent_buf[BD_AXIS_COUNT * 64];
    const char *absent[BD_AXIS_COUNT];
    if (!all_written && bd_axis_absent_texts(axes, absent, absent_buf, sizeof absent_buf, err) < 0) return -1;
    size_t n = strlen(prefix);
    if (n >= cap) return bd_fail(err, "key longer than %zu characters", cap - 1);
    memcpy(out, prefix, n + 1);
    return bd_key_join(axes, texts, all_written ? NULL : absent, ~mask, out + n, cap - n, err);
}

int bd_job_key(const BdAxisDef *axes, BdJobKind kind, const char *const *texts, char *out, size_t cap,
               BdError *err) {
    const BdJobKindDef *k = &kinds[kind];
    if (join(axes, k->prefix, bd_job_kind_axes(axes, kind), k->all_written, texts, out, cap, err) < 0)
        return bd_error_prefix(err, "%s job: ", k->name);
    return 0;
}

int bd_attack_key(const BdAxisDef *axes, const char *const *texts, char *out, size_t cap, BdError *err) {
    return join(axes, "", bd_axes_attack_mask(axes), 0, texts, out, cap, err);
}

int bd_attack_parse(const BdAxisDef *axes, const char *key, BdCell *c, BdError *err) {
    BdCell a;
    if (bd_cell_parse_axes(axes, key, bd_axes_attack_mask(axes), &a, err) < 0)
        return bd_error_prefix(err, "attack: ");
    unsigned mask = bd_axes_attack_mask(axes);
    for (int i = 0; i < BD_AXIS_COUNT; i++)
        if (mask & (1u << i)) c->v[i] = a.v[i];
    return 0;
}
