#include "job.h"

#include <string.h>

#define AX(a) (1u << BD_AXIS_##a)

static const BdJobKindDef kinds[BD_JOB_KIND_COUNT] = {
    [BD_JOB_CELL] = {"cell", "", "cell", (1u << BD_AXIS_COUNT) - 1, 0},
    [BD_JOB_PRETRAIN] = {"pretrain", "pretrain ", "pre-training", AX(DATASET) | AX(ARCH) | AX(SEED) | AX(TRAIN), 1},
};

const BdJobKindDef *bd_job_kind_def(BdJobKind k) { return &kinds[k]; }

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
    if (bd_cell_parse_axes(axes, key + strlen(k->prefix), k->axes, &job->cell, err) < 0)
        return k->prefix[0] ? bd_error_prefix(err, "%s job: ", k->name) : -1;
    return 0;
}

int bd_job_key(const BdAxisDef *axes, BdJobKind kind, const char *const *texts, char *out, size_t cap,
               BdError *err) {
    const BdJobKindDef *k = &kinds[kind];
    char absent_buf[BD_AXIS_COUNT * 64];
    const char *absent[BD_AXIS_COUNT];
    if (!k->all_written && bd_axis_absent_texts(axes, absent, absent_buf, sizeof absent_buf, err) < 0) return -1;
    size_t n = strlen(k->prefix);
    if (n >= cap) return bd_fail(err, "%s key longer than %zu characters", k->name, cap - 1);
    memcpy(out, k->prefix, n + 1);
    if (bd_key_join(axes, texts, k->all_written ? NULL : absent, ~k->axes, out + n, cap - n, err) < 0)
        return bd_error_prefix(err, "%s job: ", k->name);
    return 0;
}
