/* A model for the command-line and PyTorch export tests, with bdsweep's own
 * answer on a fixed input:
 *
 *     export_fixture ARCH CxHxW CLASSES N PREFIX
 *
 * writes PREFIX.ckpt (a cell's checkpoint of a model with arbitrary weights
 * and BN statistics, phase train after 2 epochs), PREFIX.input.f32 (N
 * images, [N, C, H, W] float32) and PREFIX.logits.f32 (the model's
 * eval-mode logits for them, [N, CLASSES] float32), little-endian. */
#include <stdio.h>
#include <stdlib.h>

#include "export_test.h"

static int write_floats(const char *prefix, const char *suffix, const float *v, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s", prefix, suffix);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(v, sizeof *v, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) fprintf(stderr, "export_fixture: cannot write %s\n", path);
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    BdShape in;
    int classes, n;
    if (argc != 6 || sscanf(argv[2], "%dx%dx%d", &in.c, &in.h, &in.w) != 3 || (classes = atoi(argv[3])) < 2 ||
        (n = atoi(argv[4])) < 1) {
        fprintf(stderr, "usage: export_fixture ARCH CxHxW CLASSES N PREFIX\n");
        return 2;
    }
    const char *prefix = argv[5];
    BdSpec arch;
    BdError err;
    BdGraph *g = random_model(argv[1], in, classes, n, 5, &arch, &err);
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", prefix);
    if (!g || save_cell_checkpoint(ckpt, g, &arch, in, classes, "train", 2, &err) < 0) {
        fprintf(stderr, "export_fixture: %s\n", err.msg);
        bd_graph_free(g);
        return 1;
    }
    /* The images in PyTorch's NCHW, the graph's copy in CNHW. */
    const size_t hw = (size_t)in.h * in.w, len = (size_t)n * in.c * hw;
    float *nchw = malloc(len * sizeof *nchw), *cnhw = malloc(len * sizeof *cnhw);
    float *logits = malloc((size_t)n * classes * sizeof *logits);
    BdRng r;
    bd_rng_seed(&r, 17);
    for (size_t i = 0; i < len; i++) nchw[i] = (float)bd_rng_normal(&r);
    for (int b = 0; b < n; b++)
        for (int c = 0; c < in.c; c++)
            for (size_t p = 0; p < hw; p++) cnhw[((size_t)c * n + b) * hw + p] = nchw[((size_t)b * in.c + c) * hw + p];
    bd_graph_forward(g, cnhw, n, BD_EVAL, 0);
    const float *out = bd_graph_out(g, g->output); /* [K, n] */
    for (int b = 0; b < n; b++)
        for (int k = 0; k < classes; k++) logits[(size_t)b * classes + k] = out[(size_t)k * n + b];
    int rc = write_floats(prefix, ".input.f32", nchw, len) || write_floats(prefix, ".logits.f32", logits,
                                                                           (size_t)n * classes);
    free(nchw);
    free(cnhw);
    free(logits);
    bd_graph_free(g);
    return rc ? 1 : 0;
}
