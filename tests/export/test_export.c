/* Exported checkpoints read back in C: every parameter and buffer of the
 * model, bit for bit, with its PyTorch shape, and the metadata; the same
 * export twice gives the same bytes; the main model a real cell keeps for
 * its retraining exports; wrong architectures, shapes, files and metadata are
 * refused with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell_run.h"
#include "check.h"
#include "export.h"
#include "export_test.h"
#include "export_version.h"

static char dir[] = "/tmp/bd_export_XXXXXX";

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

static unsigned char *slurp(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*len + 1);
    if (fread(b, 1, (size_t)*len, f) != (size_t)*len) *len = -1;
    fclose(f);
    return b;
}

static int same_files(const char *a, const char *b) {
    long la = -1, lb = -2;
    unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x && y && la == lb && !memcmp(x, y, (size_t)la);
    free(x);
    free(y);
    return same;
}

/* Each tensor of info[0..n) is in f as F32 with the same shape and bits. */
static int compare_tensors(const BdStFile *f, const BdParam *info, int n, const float *base, const char *what) {
    int compared = 0;
    for (int i = 0; i < n; i++) {
        const BdParam *p = &info[i];
        const BdStView *t = bd_st_find(f, p->name);
        CHECK_MSG(t != NULL, "%s: %s is not in the file", what, p->name);
        if (!t) continue;
        int same_shape = !strcmp(t->dtype, "F32") && t->ndim == p->ndim;
        for (int d = 0; same_shape && d < p->ndim; d++) same_shape = t->shape[d] == p->dims[d];
        CHECK_MSG(same_shape, "%s: %s has another dtype or shape", what, p->name);
        CHECK_MSG(t->end - t->begin == p->len * sizeof(float) && !memcmp(t->data, base + p->off, p->len * sizeof(float)),
                  "%s: %s differs from the graph's", what, p->name);
        compared++;
    }
    return compared;
}

/* The whole file against the graph: nothing missing, nothing more. */
static void compare_file(const char *path, const BdGraph *g, const char *what) {
    BdStFile f;
    BdError err = {0};
    CHECK_MSG(bd_st_read(path, &f, &err) == 0, "%s", err.msg);
    CHECK_MSG(f.n == g->n_param_info + g->n_buffer_info, "%s: %d tensors, the graph has %d + %d", what, f.n,
              g->n_param_info, g->n_buffer_info);
    int n = compare_tensors(&f, g->param_info, g->n_param_info, g->params, what) +
            compare_tensors(&f, g->buffer_info, g->n_buffer_info, g->buffers, what);
    printf("%s: %d tensors bit for bit\n", what, n);
    bd_st_free(&f);
}

static void check_meta(const char *path, const char *key, const char *want) {
    BdStFile f;
    BdError err = {0};
    if (bd_st_read(path, &f, &err) < 0) return;
    const char *v = bd_st_meta(&f, key);
    CHECK_MSG(v && !strcmp(v, want), "metadata %s: '%s', expected '%s'", key, v ? v : "(absent)", want);
    bd_st_free(&f);
}

static void test_model(const char *arch_text, BdShape in, int classes, const char *full_arch) {
    BdSpec arch;
    BdError err = {0};
    BdGraph *g = random_model(arch_text, in, classes, 2, 11, &arch, &err);
    CHECK_MSG(g != NULL, "%s", err.msg);
    if (!g) return;
    char ckpt[256], out[256], again[256];
    path_of(ckpt, sizeof ckpt, "model.ckpt");
    path_of(out, sizeof out, "model.safetensors");
    path_of(again, sizeof again, "again.safetensors");
    CHECK_MSG(save_cell_checkpoint(ckpt, g, &arch, in, classes, "retrain", 2, &err) == 0, "%s", err.msg);

    BdExportModel m;
    const BdStMeta cell = {"cell", "dataset=x arch=y"};
    CHECK_MSG(bd_export_load(&m, ckpt, &arch, in, classes, &err) == 0, "%s", err.msg);
    CHECK_MSG(m.g && bd_export_write(&m, &cell, 1, out, &err) == 0, "%s", err.msg);
    CHECK(m.g && bd_export_write(&m, &cell, 1, again, &err) == 0);
    CHECK_MSG(same_files(out, again), "%s: two exports differ", arch_text);
    compare_file(out, g, arch_text);

    char input[32], k[16];
    snprintf(input, sizeof input, "%dx%dx%d", in.c, in.h, in.w);
    snprintf(k, sizeof k, "%d", classes);
    check_meta(out, "format", "pt");
    check_meta(out, "bdsweep_version", BD_EXPORT_VERSION);
    check_meta(out, "arch", full_arch);
    check_meta(out, "input", input);
    check_meta(out, "classes", k);
    check_meta(out, "phase", "retrain");
    check_meta(out, "epochs", "2");
    check_meta(out, "cell", "dataset=x arch=y");

    /* A key the export writes itself cannot come twice. */
    const BdStMeta clash = {"arch", "other"};
    CHECK(m.g && bd_export_write(&m, &clash, 1, again, &err) < 0);
    CHECK_CONTAINS(err.msg, "metadata key 'arch' given twice");
    bd_export_free(&m);
    bd_graph_free(g);
}

static void test_refusals(void) {
    BdSpec arch;
    BdError err = {0};
    const BdShape in = {1, 28, 28};
    BdGraph *g = random_model("cnn-small", in, 10, 1, 3, &arch, &err);
    char ckpt[256];
    path_of(ckpt, sizeof ckpt, "small.ckpt");
    CHECK_MSG(g && save_cell_checkpoint(ckpt, g, &arch, in, 10, "train", 1, &err) == 0, "%s", err.msg);

    BdExportModel m;
    BdSpec other;
    CHECK(bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, "cnn-small(fc=64)", &other, &err) == 0);
    CHECK(bd_export_load(&m, ckpt, &other, in, 10, &err) < 0 && m.g == NULL);
    CHECK_CONTAINS(err.msg, "saved for architecture 'cnn-small input=1x28x28 classes=10'");
    CHECK(bd_export_load(&m, ckpt, &arch, in, 7, &err) < 0);
    CHECK_CONTAINS(err.msg, "not 'cnn-small input=1x28x28 classes=7'");
    CHECK(bd_export_load(&m, ckpt, &arch, (BdShape){3, 28, 28}, 10, &err) < 0);
    CHECK_CONTAINS(err.msg, "saved for architecture");

    char missing[256], not_ckpt[256];
    path_of(missing, sizeof missing, "missing.ckpt");
    CHECK(bd_export_load(&m, missing, &arch, in, 10, &err) < 0);
    CHECK_CONTAINS(err.msg, "no such checkpoint");
    path_of(not_ckpt, sizeof not_ckpt, "not.ckpt");
    const float zeros[32] = {0};
    const BdStF32 t = {"x", zeros, 1, {32}};
    CHECK(bd_st_write(not_ckpt, &t, 1, NULL, 0, &err) == 0); /* a safetensors file longer than a checkpoint header */
    CHECK(bd_export_load(&m, not_ckpt, &arch, in, 10, &err) < 0);
    CHECK_CONTAINS(err.msg, "not a bdsweep checkpoint");

    BdSpec big;
    CHECK(bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, "resnet50(stem=imagenet)", &big, &err) == 0);
    CHECK(bd_export_load(&m, ckpt, &big, (BdShape){1, 4, 4}, 10, &err) < 0);
    CHECK_CONTAINS(err.msg, "resnet50");
    bd_export_free(&m); /* safe on an empty model */
    bd_graph_free(g);
}

/* What a sweep leaves: a cell that retrains keeps its main model, which
 * exports with the metadata of the phase it ends. */
#define CELL                                                                                                     \
    "dataset=synthetic(channels=1,classes=4,size=12,test=100,train=300) arch=cnn-small(conv1=4,conv2=8,fc=16) " \
    "trigger=square poison_rate=0.1 train=sgd(batch=32,epochs=1,lr=0.05) retrain=finetune(epochs=1,fraction=0.1)"

static void test_real_cell(void) {
    char cells[256];
    path_of(cells, sizeof cells, "cells");
    BdWorker w;
    bd_worker_init(&w, 1);
    BdSink sink = {NULL, NULL, NULL, NULL};
    BdCellOutcome outcome;
    BdError err = {0};
    BdJobOrder order = {.key = CELL, .ckpt_dir = cells};
    CHECK_MSG(bd_cell_run(&w, &order, &sink, &outcome, &err) == 0, "%s", err.msg);
    bd_cell_outcome_free(&outcome);
    bd_worker_free(&w);

    BdCell c;
    char main_key[BD_KEY_MAX], ckpt[4300], out[256];
    BdJob job;
    CHECK(bd_job_parse(bd_axes(), CELL, &job, &err) == 0 && bd_main_key(&job, main_key, sizeof main_key, &err) == 0);
    c = job.cell;
    CHECK(bd_checkpoint_path(cells, "main", main_key, ckpt, sizeof ckpt, &err) == 0);
    path_of(out, sizeof out, "cell.safetensors");
    BdExportModel m;
    CHECK_MSG(bd_export_load(&m, ckpt, &c.v[BD_AXIS_ARCH], (BdShape){1, 12, 12}, 4, &err) == 0, "%s", err.msg);
    if (m.g) {
        CHECK_MSG(bd_export_write(&m, NULL, 0, out, &err) == 0, "%s", err.msg);
        compare_file(out, m.g, "a cell's main model");
        check_meta(out, "phase", "train");
        check_meta(out, "epochs", "1");
        check_meta(out, "arch", "cnn-small(conv1=4,conv2=8,dropout=0,fc=16)");
        check_meta(out, "input", "1x12x12");
    }
    bd_export_free(&m);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    test_model("cnn-small", (BdShape){1, 28, 28}, 10, "cnn-small(conv1=32,conv2=64,dropout=0,fc=128)");
    test_model("resnet20(blocks=1,width=4)", (BdShape){3, 8, 8}, 3, "resnet20(blocks=1,width=4)");
    test_model("nasnet-a-cifar(cells=1,filters=4)", (BdShape){3, 8, 8}, 4,
               "nasnet-a-cifar(cells=1,dropout=0,filters=4,skip_reduction_input=false,stem=cifar,stem_multiplier=3)");
    test_refusals();
    test_real_cell();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return check_result("export_checkpoint");
}
