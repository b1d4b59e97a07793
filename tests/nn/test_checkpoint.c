/* Checkpoints: a bit-exact round trip, every refusal with its message, and
 * portability between the engines and precisions (the parameters are fp32
 * in PyTorch's layout whatever ran them). */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "checkpoint.h"
#include "nn.h"
#include "optim.h"

static BdGraph *net_on(int width, BdEngine e, BdPrecision p) {
    BdGraph *g = bd_graph_new((BdShape){2, 4, 4}, 2);
    g->engine = e;
    g->precision = p;
    int x = bd_relu(g, bd_bn(g, bd_conv(g, bd_input(g), width, 3, 1, 1, 1, 0, "conv"), "bn"));
    x = bd_conv(g, x, width, 3, 1, 1, width, 1, "dw"); /* grouped weights too */
    bd_graph_set_output(g, bd_linear(g, bd_gap(g, x), 3, "fc"));
    BdError err;
    if (bd_graph_finalize(g, &err) < 0) abort();
    bd_graph_init_params(g, 1);
    return g;
}

static BdGraph *net(int width) { return net_on(width, BD_ENGINE_REF, BD_FP32); }

static char dir[] = "/tmp/bd_ckpt_XXXXXX";

static void path_of(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

/* Writes a file whose bytes are those of src with one byte changed (or cut). */
static void corrupt(const char *src, const char *dst, long offset, int cut) {
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) abort();
    fclose(f);
    if (offset < 0) offset += n;
    if (!cut) b[offset] ^= 0x55;
    f = fopen(dst, "wb");
    fwrite(b, 1, cut ? (size_t)offset : (size_t)n, f);
    fclose(f);
    free(b);
}

static void test_round_trip(void) {
    char p[256];
    path_of(p, sizeof p, "a.ckpt");
    BdGraph *g = net(4);
    BdSgd o;
    bd_sgd_init(&o, g, 0.9f, 5e-4f, 0);
    for (size_t i = 0; i < g->n_params; i++) o.velocity[i] = (float)i * 0.25f;
    for (size_t i = 0; i < g->n_buffers; i++) g->buffers[i] = (float)i + 0.5f;
    o.started[1] = 1;
    o.steps = 42;
    const char blob[] = "epoch=3 best=0.71";
    BdError err = {0};
    CHECK(bd_checkpoint_save(p, "cnn(x) 2x4x4", g, &o, blob, sizeof blob, &err) == 0);
    /* no temporary file is left behind */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    CHECK(access(tmp, F_OK) != 0);

    BdGraph *h = net(4);
    BdSgd q;
    bd_sgd_init(&q, h, 0.9f, 5e-4f, 0);
    char back[64] = {0};
    size_t blen = 0;
    CHECK(bd_checkpoint_load(p, "cnn(x) 2x4x4", h, &q, back, sizeof back, &blen, &err) == 0);
    CHECK(memcmp(g->params, h->params, g->n_params * sizeof(float)) == 0);
    CHECK(memcmp(g->buffers, h->buffers, g->n_buffers * sizeof(float)) == 0);
    CHECK(memcmp(o.velocity, q.velocity, g->n_params * sizeof(float)) == 0);
    CHECK(q.started[1] == 1 && q.started[0] == 0 && q.steps == 42);
    CHECK(blen == sizeof blob && !strcmp(back, blob));

    /* weights only into a graph without optimiser */
    BdGraph *k = net(4);
    CHECK(bd_checkpoint_load(p, "cnn(x) 2x4x4", k, NULL, back, sizeof back, NULL, &err) == 0);
    CHECK(memcmp(g->params, k->params, g->n_params * sizeof(float)) == 0);

    /* saving again replaces the file */
    g->params[0] = 123.0f;
    CHECK(bd_checkpoint_save(p, "cnn(x) 2x4x4", g, NULL, NULL, 0, &err) == 0);
    CHECK(bd_checkpoint_load(p, "cnn(x) 2x4x4", k, NULL, NULL, 0, NULL, &err) == 0);
    CHECK(k->params[0] == 123.0f);
    /* ... and that file has no optimiser state to resume */
    CHECK(bd_checkpoint_load(p, "cnn(x) 2x4x4", h, &q, NULL, 0, NULL, &err) < 0);
    CHECK_CONTAINS(err.msg, "no optimiser state");
    bd_sgd_free(&o);
    bd_sgd_free(&q);
    bd_graph_free(g);
    bd_graph_free(h);
    bd_graph_free(k);
}

static void expect_refusal(const char *file, const char *key, BdGraph *g, const char *fragment) {
    BdError err = {0};
    char back[64];
    float before = g->params[0];
    CHECK_MSG(bd_checkpoint_load(file, key, g, NULL, back, sizeof back, NULL, &err) < 0, "%s loaded", file);
    CHECK_CONTAINS(err.msg, fragment);
    CHECK_CONTAINS(err.msg, file);
    CHECK(g->params[0] == before); /* untouched */
}

static void test_refusals(void) {
    char good[256], bad[256];
    path_of(good, sizeof good, "good.ckpt");
    path_of(bad, sizeof bad, "bad.ckpt");
    BdGraph *g = net(4);
    BdError err;
    const char blob[] = "state";
    CHECK(bd_checkpoint_save(good, "key A", g, NULL, blob, sizeof blob, &err) == 0);
    BdGraph *h = net(4);
    h->params[0] = -7.0f;

    corrupt(good, bad, 0, 0);
    expect_refusal(bad, "key A", h, "wrong magic");
    corrupt(good, bad, 8, 0); /* the version's low byte: 1 ^ 0x55 = 84 */
    expect_refusal(bad, "key A", h, "format version 84 is newer");
    expect_refusal(good, "key B", h, "saved for architecture 'key A', not 'key B'");
    BdGraph *wide = net(5);
    expect_refusal(good, "key A", wide, "parameters");
    corrupt(good, bad, -10, 1);
    expect_refusal(bad, "key A", h, "truncated");
    corrupt(good, bad, 20, 1);
    expect_refusal(bad, "key A", h, "truncated");
    corrupt(good, bad, -20, 0); /* a byte inside the parameters */
    expect_refusal(bad, "key A", h, "checksum mismatch");
    path_of(bad, sizeof bad, "missing.ckpt");
    expect_refusal(bad, "key A", h, "cannot open");
    /* the blob does not fit */
    char small[2];
    CHECK(bd_checkpoint_load(good, "key A", h, NULL, small, sizeof small, NULL, &err) < 0);
    CHECK_CONTAINS(err.msg, "does not fit");
    /* writing into a folder that does not exist */
    CHECK(bd_checkpoint_save("/nonexistent-dir/x.ckpt", "key A", g, NULL, NULL, 0, &err) < 0);
    CHECK_CONTAINS(err.msg, "/nonexistent-dir/x.ckpt");
    bd_graph_free(g);
    bd_graph_free(h);
    bd_graph_free(wide);
}

/* Writes a copy of src with the little-endian u64 at byte `at` replaced. */
static void claim(const char *src, const char *dst, long at, uint64_t value) {
    corrupt(src, dst, at, 0); /* (a copy, one byte changed: set all eight below) */
    FILE *f = fopen(dst, "r+b");
    fseek(f, at, SEEK_SET);
    for (int i = 0; i < 8; i++) fputc((int)(value >> (8 * i) & 0xff), f);
    fclose(f);
}

/* Headers that claim 10^8 of something in a file of a few hundred bytes: a
 * clear error each, checked against the graph and the file's size before
 * anything of the claimed size is allocated. */
static void test_header_claims(void) {
    char good[256], bad[256];
    path_of(good, sizeof good, "claims.ckpt");
    path_of(bad, sizeof bad, "claims-bad.ckpt");
    BdGraph *g = net(4);
    BdError err;
    CHECK(bd_checkpoint_save(good, "key A", g, NULL, "state", 6, &err) == 0);
    claim(good, bad, 16, 100000000); /* n_params */
    expect_refusal(bad, "key A", g, "holds 100000000 parameters");
    claim(good, bad, 40, 100000000); /* blob_len, into a caller that takes any size */
    char blob[8];
    CHECK(bd_checkpoint_load(bad, "key A", g, NULL, blob, SIZE_MAX, NULL, &err) < 0);
    CHECK_CONTAINS(err.msg, "truncated: ");
    CHECK_CONTAINS(err.msg, " of 100000");
    claim(good, bad, 8, (uint64_t)1000000 << 32 | 1); /* key_len 10^6, version 1 */
    expect_refusal(bad, "key A", g, "architecture key of 1000000 bytes in a file of");
    bd_graph_free(g);
}

/* Trained in bf16 on oneDNN, saved, loaded by the reference engine and by
 * oneDNN in fp32: the same parameters bit for bit, and the same function
 * (the two fp32 engines agree on the outputs). And back: a reference
 * checkpoint resumes on oneDNN. */
static void test_portable(void) {
    if (!bd_engine_available(BD_ENGINE_DNNL)) return;
    char p[256];
    path_of(p, sizeof p, "portable.ckpt");
    BdGraph *bf = net_on(4, BD_ENGINE_DNNL, BD_BF16), *ref = net(4), *dn = net_on(4, BD_ENGINE_DNNL, BD_FP32);
    BdSgd o;
    bd_sgd_init(&o, bf, 0.9f, 5e-4f, 0);
    float x[2 * 2 * 16];
    for (int i = 0; i < 64; i++) x[i] = (float)((i * 13) % 7) - 3.0f;
    int y[2] = {0, 2};
    for (int s = 0; s < 3; s++) {
        bd_graph_forward(bf, x, 2, BD_TRAIN, 0);
        bd_graph_zero_grads(bf);
        bd_softmax_xent(bd_graph_out(bf, bf->output), 3, 2, y, NULL, bd_graph_grad(bf, bf->output), 1, NULL);
        bd_graph_backward(bf);
        bd_sgd_step(&o, bf, 0.1f);
    }
    BdError err = {0};
    CHECK(bd_checkpoint_save(p, "net", bf, &o, NULL, 0, &err) == 0);
    for (int k = 0; k < 2; k++) {
        BdGraph *h = k ? dn : ref;
        BdSgd q;
        bd_sgd_init(&q, h, 0.9f, 5e-4f, 0);
        CHECK_MSG(bd_checkpoint_load(p, "net", h, &q, NULL, 0, NULL, &err) == 0, "%s", err.msg);
        CHECK(memcmp(bf->params, h->params, bf->n_params * sizeof(float)) == 0);
        CHECK(memcmp(bf->buffers, h->buffers, bf->n_buffers * sizeof(float)) == 0);
        CHECK(memcmp(o.velocity, q.velocity, bf->n_params * sizeof(float)) == 0);
        bd_graph_forward(h, x, 2, BD_EVAL, 0);
        bd_sgd_free(&q);
    }
    const float *a = bd_graph_out(ref, ref->output), *b = bd_graph_out(dn, dn->output);
    for (int i = 0; i < 6; i++) CHECK_NEAR(a[i], b[i], 1e-5 * (1 + fabs(a[i])));
    /* and back: the reference's checkpoint into oneDNN bf16 */
    ref->params[0] += 0.5f;
    CHECK(bd_checkpoint_save(p, "net", ref, NULL, NULL, 0, &err) == 0);
    CHECK(bd_checkpoint_load(p, "net", bf, NULL, NULL, 0, NULL, &err) == 0);
    CHECK(memcmp(bf->params, ref->params, bf->n_params * sizeof(float)) == 0);
    bd_sgd_free(&o);
    bd_graph_free(bf);
    bd_graph_free(ref);
    bd_graph_free(dn);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    test_round_trip();
    test_refusals();
    test_header_claims();
    test_portable();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return 1;
    return check_result("checkpoint");
}
