/* What this machine's core can do, for bench/README.md: the peak the engine
 * is measured against. A small benchdnn: one thread, best of several runs,
 * GFLOP/s (2 per multiply-add).
 *
 *   sgemm        OpenBLAS cblas_sgemm, square N x N x N (what the OpenBLAS engine runs on)
 *   matmul       oneDNN matmul f32 and bf16 (bf16 inputs, f32 accumulation and output)
 *   conv         oneDNN convolutions of the models' shapes, forward, backward data and
 *                backward weights, in NHWC (the engine's layout) and in the layout oneDNN
 *                picks itself (blocked nChw16c), f32 and bf16, and the implementation it ran
 *   --dw1x1      1x1 gradients over NHWC buffers that come in cold (as in a training
 *                step): oneDNN's convolution backward weights against its matmul
 *                dW += dY^T X (f32 and bf16), and its backward data against dX = dY W
 *                (f32), the choice dnnl_conv.c makes (by_matmul)
 *
 * Usage: dnnl_peak [--quick | --dw1x1]      (build/dnnl_peak after meson compile) */
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int quick;
static dnnl_engine_t eng;
static dnnl_stream_t stream;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void ok(dnnl_status_t st, const char *what) {
    if (st != dnnl_success) {
        fprintf(stderr, "dnnl_peak: %s failed (%d)\n", what, (int)st);
        exit(1);
    }
}

/* Best seconds per call of fn over `reps` timed batches of `inner` calls. */
typedef void (*Fn)(void *);
static double best_time(Fn fn, void *ctx, int inner) {
    const int reps = quick ? 3 : 7;
    for (int w = 0; w < 2; w++) fn(ctx);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < inner; i++) fn(ctx);
        double t = (now() - t0) / inner;
        if (t < best) best = t;
    }
    return best;
}

/* ---- OpenBLAS sgemm ---------------------------------------------------------------- */

typedef struct Gemm {
    int n;
    float *a, *b, *c;
} Gemm;

static void sgemm_once(void *p) {
    Gemm *g = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->a, g->n, g->b, g->n, 0.0f, g->c,
                g->n);
}

static void bench_sgemm(int n) {
    Gemm g = {n, calloc((size_t)n * n, 4), calloc((size_t)n * n, 4), calloc((size_t)n * n, 4)};
    for (size_t i = 0; i < (size_t)n * n; i++) g.a[i] = g.b[i] = (float)(i % 7) * 0.1f;
    const double t = best_time(sgemm_once, &g, 3);
    printf("sgemm   OpenBLAS  %5d x %5d x %5d            %8.1f GFLOP/s\n", n, n, n, 2.0 * n * n * (double)n / t / 1e9);
    free(g.a), free(g.b), free(g.c);
}

/* ---- oneDNN primitives -------------------------------------------------------------- */

typedef struct Prim {
    dnnl_primitive_t p;
    int nargs;
    dnnl_exec_arg_t args[8];
} Prim;

static void prim_once(void *q) {
    Prim *p = q;
    ok(dnnl_primitive_execute(p->p, stream, p->nargs, p->args), "execute");
}

static dnnl_memory_t zeroed(const dnnl_memory_desc_t *md) {
    dnnl_memory_t m;
    ok(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE), "memory");
    void *h;
    dnnl_memory_get_data_handle(m, &h);
    memset(h, 0, dnnl_memory_desc_get_size(md));
    return m;
}

/* Times the primitive of pd with zeroed memories for its arguments. */
static double time_pd(const_dnnl_primitive_desc_t pd, const int *args, const dnnl_query_t *queries, int n,
                      const char **impl) {
    Prim p = {0};
    ok(dnnl_primitive_create(&p.p, pd), "primitive");
    for (int i = 0; i < n; i++) {
        p.args[p.nargs].arg = args[i];
        p.args[p.nargs++].memory = zeroed(dnnl_primitive_desc_query_md(pd, queries[i], 0));
    }
    const dnnl_memory_desc_t *sp = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (sp && dnnl_memory_desc_get_size(sp)) {
        p.args[p.nargs].arg = DNNL_ARG_SCRATCHPAD;
        p.args[p.nargs++].memory = zeroed(sp);
    }
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, impl);
    const double t = best_time(prim_once, &p, 5);
    for (int i = 0; i < p.nargs; i++) dnnl_memory_destroy(p.args[i].memory);
    dnnl_primitive_destroy(p.p);
    return t;
}

static void bench_matmul(int n, dnnl_data_type_t dt) {
    dnnl_memory_desc_t a, b, c;
    const dnnl_dims_t d = {n, n};
    dnnl_memory_desc_init_by_tag(&a, 2, d, dt, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&b, 2, d, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&c, 2, d, dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t md;
    ok(dnnl_matmul_desc_init(&md, &a, &b, NULL, &c), "matmul desc");
    dnnl_primitive_desc_t pd;
    ok(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL), "matmul pd");
    const int args[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
    const dnnl_query_t q[] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md};
    const char *impl;
    const double t = time_pd(pd, args, q, 3, &impl);
    printf("matmul  %-8s  %5d x %5d x %5d  %-18s %8.1f GFLOP/s\n", dt == dnnl_bf16 ? "bf16" : "f32", n, n, n, impl,
           2.0 * n * n * (double)n / t / 1e9);
    dnnl_primitive_desc_destroy(pd);
}

typedef struct ConvShape {
    const char *where;
    int mb, ic, oc, hw, k, s, groups;
} ConvShape;

/* Forward, backward data and backward weights of one shape, one layout and type. */
static void bench_conv(const ConvShape *c, dnnl_data_type_t dt, dnnl_format_tag_t tag) {
    const int p = c->k / 2, o = (c->hw + 2 * p - c->k) / c->s + 1, g = c->groups;
    const dnnl_dims_t sd = {c->mb, c->ic, c->hw, c->hw}, dd = {c->mb, c->oc, o, o}, st = {c->s, c->s}, pad = {p, p};
    dnnl_memory_desc_t src, dst, wei, dwei;
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dt, tag);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, dt, tag);
    if (g > 1) {
        const dnnl_dims_t wd = {g, c->oc / g, c->ic / g, c->k, c->k};
        dnnl_memory_desc_init_by_tag(&wei, 5, wd, dt, dnnl_format_tag_any);
        dnnl_memory_desc_init_by_tag(&dwei, 5, wd, dnnl_f32, dnnl_format_tag_any);
    } else {
        const dnnl_dims_t wd = {c->oc, c->ic, c->k, c->k};
        dnnl_memory_desc_init_by_tag(&wei, 4, wd, dt, dnnl_format_tag_any);
        dnnl_memory_desc_init_by_tag(&dwei, 4, wd, dnnl_f32, dnnl_format_tag_any);
    }
    dnnl_convolution_desc_t fd, bd, wd;
    dnnl_primitive_desc_t fpd, bpd, wpd;
    ok(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src, &wei, NULL, &dst,
                                          st, pad, pad), "conv desc");
    ok(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL), "conv fwd pd");
    ok(dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src, &wei, &dst, st, pad, pad), "bwd d");
    ok(dnnl_primitive_desc_create(&bpd, &bd, NULL, eng, fpd), "conv bwd data pd");
    ok(dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &src, &dwei, NULL, &dst, st, pad, pad),
       "bwd w");
    ok(dnnl_primitive_desc_create(&wpd, &wd, NULL, eng, fpd), "conv bwd weights pd");
    const double flops = 2.0 * c->mb * c->oc * (c->ic / g) * c->k * c->k * (double)o * o;
    struct {
        const char *name;
        dnnl_primitive_desc_t pd;
        int args[3];
        dnnl_query_t q[3];
    } runs[3] = {
        {"fwd", fpd, {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST}, {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md}},
        {"bwd_d", bpd, {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST},
         {dnnl_query_diff_src_md, dnnl_query_weights_md, dnnl_query_diff_dst_md}},
        {"bwd_w", wpd, {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST},
         {dnnl_query_src_md, dnnl_query_diff_weights_md, dnnl_query_diff_dst_md}},
    };
    printf("conv    %-4s %-5s %-9s mb%d ic%d oc%d %dx%d k%d s%d%s\n", dt == dnnl_bf16 ? "bf16" : "f32",
           tag == dnnl_nhwc ? "nhwc" : "any", c->where, c->mb, c->ic, c->oc, c->hw, c->hw, c->k, c->s,
           g > 1 ? " depthwise" : "");
    for (int r = 0; r < 3; r++) {
        const char *impl;
        const double t = time_pd(runs[r].pd, runs[r].args, runs[r].q, 3, &impl);
        printf("          %-6s %-28s %8.3f ms %8.1f GFLOP/s\n", runs[r].name, impl, 1e3 * t, flops / t / 1e9);
        dnnl_primitive_desc_destroy(runs[r].pd);
    }
}

/* ---- 1x1 weight gradients, cold ----------------------------------------------------- */

/* Buffers of pseudo-random values (bf16: the top half of the f32 pattern). */
static dnnl_memory_t filled(const dnnl_memory_desc_t *md) {
    dnnl_memory_t m;
    ok(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE), "memory");
    void *h;
    dnnl_memory_get_data_handle(m, &h);
    const size_t bytes = dnnl_memory_desc_get_size(md), es = md->data_type == dnnl_bf16 ? 2 : 4;
    for (size_t i = 0; i < bytes / es; i++) {
        const float f = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
        uint32_t u;
        memcpy(&u, &f, 4);
        if (es == 2) ((uint16_t *)h)[i] = (uint16_t)(u >> 16);
        else ((float *)h)[i] = f;
    }
    return m;
}

/* Best seconds of one call of p over sets of arguments taken in turn, each
 * set's buffers long out of cache by its turn. */
static double time_cold(dnnl_primitive_t p, dnnl_exec_arg_t (*args)[4], int sets) {
    double best = 1e30;
    for (int it = 0; it < 6 * sets; it++) {
        const double t0 = now();
        ok(dnnl_primitive_execute(p, stream, 4, args[it % sets]), "execute");
        const double t = now() - t0;
        if (it >= sets && t < best) best = t;
    }
    return best;
}

enum { MAX_SETS = 48 };

/* An [rows, cols] matrix of type dt with row stride ld and column stride cs. */
static dnnl_memory_desc_t mat(dnnl_dim_t rows, dnnl_dim_t cols, dnnl_dim_t ld, dnnl_dim_t cs, dnnl_data_type_t dt) {
    const dnnl_dims_t d = {rows, cols}, strides = {ld, cs};
    dnnl_memory_desc_t md;
    ok(dnnl_memory_desc_init_by_strides(&md, 2, d, dt, strides), "matrix desc");
    return md;
}

/* One gradient of a 1x1 convolution over NHWC, the convolution's primitive
 * against oneDNN's matmul, both over the same cold buffers (P = mb hw hw):
 *   weights (dx 0): dW [oc, ic] += dY^T [oc, P] X [P, ic]   (dY^T read across dY's rows)
 *   data    (dx 1): dX [P, ic] = dY [P, oc] W [oc, ic]     (W as the fp32 parameters hold it) */
static void bench_1x1(int mb, int ic, int oc, int hw, dnnl_data_type_t dt, int dx) {
    const dnnl_dims_t sd = {mb, ic, hw, hw}, dd = {mb, oc, hw, hw}, wd = {oc, ic, 1, 1}, st = {1, 1}, pad = {0, 0};
    dnnl_memory_desc_t src, dst, wany, dwany;
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dt, dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, dt, dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&wany, 4, wd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&dwany, 4, wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_convolution_desc_t fd, cd;
    dnnl_primitive_desc_t fpd, cpd, mpd;
    ok(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src, &wany, NULL, &dst,
                                          st, pad, pad), "conv desc");
    ok(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL), "conv fwd pd");
    if (dx) ok(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &src, &wany, &dst, st, pad, pad), "bwd d");
    else
        ok(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &src, &dwany, NULL, &dst, st, pad,
                                                       pad), "bwd w");
    ok(dnnl_primitive_desc_create(&cpd, &cd, NULL, eng, fpd), "conv bwd pd");
    const dnnl_dim_t P = (dnnl_dim_t)mb * hw * hw;
    const dnnl_memory_desc_t a = dx ? mat(P, oc, oc, 1, dt) : mat(oc, P, 1, oc, dt);
    const dnnl_memory_desc_t b = dx ? mat(oc, ic, ic, 1, dt) : mat(P, ic, ic, 1, dt);
    const dnnl_memory_desc_t c = dx ? mat(P, ic, ic, 1, dt) : mat(oc, ic, ic, 1, dnnl_f32);
    dnnl_matmul_desc_t md;
    ok(dnnl_matmul_desc_init(&md, &a, &b, NULL, &c), "matmul desc");
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    dnnl_primitive_attr_create(&attr);
    dnnl_post_ops_create(&po);
    if (!dx) dnnl_post_ops_append_sum(po, 1.0f);
    dnnl_primitive_attr_set_post_ops(attr, po);
    ok(dnnl_primitive_desc_create(&mpd, &md, attr, eng, NULL), "matmul pd");
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    /* enough sets that they span 96 MiB, three times this machine's L3 */
    const size_t set_bytes = dnnl_memory_desc_get_size(&src) + dnnl_memory_desc_get_size(&dst);
    int sets = (int)(((size_t)96 << 20) / set_bytes) + 1;
    if (sets > MAX_SETS) sets = MAX_SETS;
    static dnnl_exec_arg_t conv_args[MAX_SETS][4], mm_args[MAX_SETS][4];
    dnnl_memory_t own[MAX_SETS * 6 + 4];
    int n_own = 0;
    own[n_own++] = filled(dnnl_primitive_desc_query_md(cpd, dnnl_query_scratchpad_md, 0));
    own[n_own++] = filled(dnnl_primitive_desc_query_md(mpd, dnnl_query_scratchpad_md, 0));
    own[n_own++] = filled(dnnl_primitive_desc_query_md(cpd, dnnl_query_weights_md, 0)); /* data: fixed weights */
    own[n_own++] = filled(&b);
    for (int k = 0; k < sets; k++) {
        dnnl_memory_t x = filled(&src), dy = filled(&dst);
        void *hx, *hdy;
        dnnl_memory_get_data_handle(x, &hx);
        dnnl_memory_get_data_handle(dy, &hdy);
        dnnl_memory_t ma, mb2, mc, dw = NULL;
        dnnl_memory_create(&ma, &a, eng, hdy);
        if (dx) {
            mb2 = own[3];
            dnnl_memory_create(&mc, &c, eng, hx);
            const dnnl_exec_arg_t ca[4] = {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, own[2]}, {DNNL_ARG_DIFF_SRC, x},
                                           {DNNL_ARG_SCRATCHPAD, own[0]}};
            memcpy(conv_args[k], ca, sizeof ca);
        } else {
            dnnl_memory_create(&mb2, &b, eng, hx);
            mc = filled(&c);
            dw = filled(dnnl_primitive_desc_query_md(cpd, dnnl_query_diff_weights_md, 0));
            const dnnl_exec_arg_t ca[4] = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw},
                                           {DNNL_ARG_SCRATCHPAD, own[0]}};
            memcpy(conv_args[k], ca, sizeof ca);
        }
        const dnnl_exec_arg_t ma4[4] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb2}, {DNNL_ARG_DST, mc},
                                        {DNNL_ARG_SCRATCHPAD, own[1]}};
        memcpy(mm_args[k], ma4, sizeof ma4);
        const dnnl_memory_t made[6] = {x, dy, ma, mc, dx ? NULL : mb2, dw};
        for (int j = 0; j < 6; j++)
            if (made[j]) own[n_own++] = made[j];
    }
    dnnl_primitive_t pc, pm;
    ok(dnnl_primitive_create(&pc, cpd), "primitive");
    ok(dnnl_primitive_create(&pm, mpd), "primitive");
    const char *cimpl, *mimpl;
    dnnl_primitive_desc_query(cpd, dnnl_query_impl_info_str, 0, &cimpl);
    dnnl_primitive_desc_query(mpd, dnnl_query_impl_info_str, 0, &mimpl);
    const double tc = time_cold(pc, conv_args, sets), tm = time_cold(pm, mm_args, sets);
    const double flops = 2.0 * (double)P * ic * oc;
    printf("%s   %-4s mb%-3d ic%-4d oc%-4d %2dx%-2d  conv %-26s %7.3f ms %6.1f GFLOP/s   matmul %-22s %7.3f ms "
           "%6.1f GFLOP/s   conv/matmul %.2f\n",
           dx ? "dx1x1" : "dw1x1", dt == dnnl_bf16 ? "bf16" : "f32", mb, ic, oc, hw, hw, cimpl, 1e3 * tc,
           flops / tc / 1e9, mimpl, 1e3 * tm, flops / tm / 1e9, tc / tm);
    dnnl_primitive_destroy(pc);
    dnnl_primitive_destroy(pm);
    for (int k = 0; k < n_own; k++) dnnl_memory_destroy(own[k]);
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(cpd);
    dnnl_primitive_desc_destroy(mpd);
}

/* The 1x1 shapes of ResNet-50/4 and NASNet-A Mobile at batch 64 and of the full ResNet-50 at 128. */
static void dw1x1_all(void) {
    static const int shapes[][4] = {
        {64, 16, 16, 32},  {64, 16, 64, 32},   {64, 64, 16, 32},  {64, 64, 32, 32},   {64, 32, 128, 16},
        {64, 128, 32, 16}, {64, 128, 64, 16},  {64, 64, 256, 8},  {64, 256, 64, 8},   {64, 256, 128, 8},
        {64, 128, 512, 4}, {64, 512, 128, 4},  {64, 44, 44, 4},   {64, 88, 88, 2},    {64, 264, 44, 4},
        {64, 528, 88, 2},  {64, 176, 176, 1},  {64, 1056, 176, 1}, {128, 64, 64, 32}, {128, 64, 256, 32},
        {128, 256, 64, 32}, {128, 512, 128, 16}, {128, 1024, 256, 8}, {128, 2048, 512, 4},
    };
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            bench_1x1(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], t ? dnnl_bf16 : dnnl_f32, 0);
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        bench_1x1(shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], dnnl_f32, 1);
}

int main(int argc, char **argv) {
    quick = argc > 1 && !strcmp(argv[1], "--quick");
    const int dw1x1 = argc > 1 && !strcmp(argv[1], "--dw1x1");
    openblas_set_num_threads(1);
    omp_set_num_threads(1);
    ok(dnnl_engine_create(&eng, dnnl_cpu, 0), "engine");
    ok(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags), "stream");
    if (dw1x1) {
        printf("oneDNN %d.%d.%d, one thread: 1x1 weight gradients over cold NHWC buffers\n", dnnl_version()->major,
               dnnl_version()->minor, dnnl_version()->patch);
        dw1x1_all();
        dnnl_stream_destroy(stream);
        dnnl_engine_destroy(eng);
        return 0;
    }
    printf("oneDNN %d.%d.%d, one thread, ISA %s\n", dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch,
           dnnl_get_effective_cpu_isa() == dnnl_cpu_isa_avx512_core_bf16  ? "avx512_core_bf16"
           : dnnl_get_effective_cpu_isa() == dnnl_cpu_isa_avx512_core_amx ? "avx512_core_amx"
                                                                           : "other (see DNNL_VERBOSE)");
    bench_sgemm(1024);
    bench_sgemm(2048);
    bench_matmul(1024, dnnl_f32);
    bench_matmul(2048, dnnl_f32);
    bench_matmul(1024, dnnl_bf16);
    bench_matmul(2048, dnnl_bf16);
    static const ConvShape shapes[] = {
        {"resnet20", 64, 16, 16, 32, 3, 1, 1},  {"resnet20", 64, 32, 32, 16, 3, 1, 1}, {"resnet20", 64, 64, 64, 8, 3, 1, 1},
        {"cnn-small", 64, 32, 64, 14, 3, 1, 1}, {"r50/4", 64, 64, 16, 32, 1, 1, 1},   {"r50/4", 64, 16, 64, 32, 1, 1, 1},
        {"resnet50", 128, 256, 64, 32, 1, 1, 1}, {"resnet50", 128, 64, 64, 32, 3, 1, 1}, {"nasnet", 64, 44, 44, 4, 5, 1, 44},
    };
    const int n_shapes = quick ? 3 : (int)(sizeof shapes / sizeof *shapes);
    for (int i = 0; i < n_shapes; i++)
        for (int t = 0; t < 2; t++) {
            bench_conv(&shapes[i], t ? dnnl_bf16 : dnnl_f32, dnnl_nhwc);
            if (!quick) bench_conv(&shapes[i], t ? dnnl_bf16 : dnnl_f32, dnnl_format_tag_any);
        }
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    return 0;
}
