/* Models out (export.h): checkpoint -> graph -> safetensors. */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"
#include "cell_ckpt.h"
#include "export_version.h"
#include "job_keys.h"
#include "models.h"

int bd_export_graph(const BdGraph *g, const BdStMeta *meta, int n_meta, const char *out_path, BdError *err) {
    const int n = g->n_param_info + g->n_buffer_info;
    BdStF32 *t = bd_xcalloc((size_t)(n > 0 ? n : 1), sizeof *t);
    for (int i = 0; i < n; i++) {
        const int is_buffer = i >= g->n_param_info;
        const BdParam *p = is_buffer ? &g->buffer_info[i - g->n_param_info] : &g->param_info[i];
        t[i].name = p->name;
        t[i].data = (is_buffer ? g->buffers : g->params) + p->off;
        t[i].ndim = p->ndim;
        for (int d = 0; d < p->ndim; d++) t[i].shape[d] = p->dims[d];
    }
    int rc = bd_st_write(out_path, t, n, meta, n_meta, err);
    free(t);
    return rc;
}

/* The architecture key a cell's checkpoints carry (job_keys.h), made from the
 * arch alone: only the arch axis of the cell is read. */
static int arch_key(const BdSpec *arch, BdShape in, int classes, char *out, size_t cap, BdError *err) {
    BdCell c;
    memset(&c, 0, sizeof c);
    c.v[BD_AXIS_ARCH] = *arch;
    return bd_arch_key(&c, in.c, in.h, in.w, classes, out, cap, err);
}

int bd_export_load(BdExportModel *m, const char *ckpt_path, const BdSpec *arch, BdShape input, int classes,
                   BdError *err) {
    memset(m, 0, sizeof *m);
    m->input = input;
    m->classes = classes;
    if (bd_spec_format_full(arch, m->arch, sizeof m->arch, err) < 0) return -1;
    /* Batch 1: the graph is only a container for the weights here. */
    if (bd_model_build(arch, input, classes, 1, &m->g, err) < 0) return -1;
    char key[BD_SPEC_TEXT_MAX + 128];
    if (arch_key(arch, input, classes, key, sizeof key, err) < 0) return -1;
    /* The checkpoint's metric history belongs to its cell, not to the export:
     * replay it into a recorder that forwards nowhere. */
    BdHistory scratch;
    bd_history_init(&scratch, NULL);
    int rc = bd_cell_ckpt_load(ckpt_path, key, m->g, NULL, &scratch, m->phase, sizeof m->phase, &m->epochs, err);
    bd_history_free(&scratch);
    if (rc < 0) bd_export_free(m);
    return rc;
}

void bd_export_free(BdExportModel *m) {
    bd_graph_free(m->g);
    memset(m, 0, sizeof *m);
}

const char *const bd_export_meta_keys[] = {"format", "bdsweep_version", "arch", "input", "classes", "phase",
                                            "epochs", NULL};

int bd_export_write(const BdExportModel *m, const BdStMeta *extra, int n_extra, const char *out_path, BdError *err) {
    char input[64], classes[16], epochs[16];
    snprintf(input, sizeof input, "%dx%dx%d", m->input.c, m->input.h, m->input.w);
    snprintf(classes, sizeof classes, "%d", m->classes);
    snprintf(epochs, sizeof epochs, "%d", m->epochs);
    const char *const values[] = {"pt", BD_EXPORT_VERSION, m->arch, input, classes, m->phase, epochs};
    _Static_assert(sizeof values / sizeof *values + 1 == sizeof bd_export_meta_keys / sizeof *bd_export_meta_keys,
                   "one value per key of bd_export_meta_keys");
    const int n_fixed = (int)(sizeof values / sizeof values[0]);
    BdStMeta *meta = bd_xmalloc((size_t)(n_fixed + n_extra) * sizeof *meta);
    for (int i = 0; i < n_fixed; i++) meta[i] = (BdStMeta){bd_export_meta_keys[i], values[i]};
    for (int i = 0; i < n_extra; i++) meta[n_fixed + i] = extra[i];
    int rc = bd_export_graph(m->g, meta, n_fixed + n_extra, out_path, err);
    free(meta);
    return rc;
}
