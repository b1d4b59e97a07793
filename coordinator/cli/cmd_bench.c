/* bdsweep bench: how fast the engine trains and evaluates one architecture
 * on random data, as one line of key=value pairs (bench/compare_pytorch.py
 * reads it). A benchmark, not a test: nothing here decides pass or fail. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "axes.h"
#include "cell.h"
#include "commands.h"
#include "exit_status.h"
#include "models.h"
#include "process.h"
#include "nn.h"
#include "optim.h"
#include "regularizers.h"
#include "rng.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep bench --arch ARCH [options]\n"
            "\n"
            "Builds the architecture, warms up, then times training steps (forward, softmax\n"
            "cross-entropy and the regularizer's term, backward, SGD with momentum 0.9 and\n"
            "weight decay 5e-4) and\n"
            "evaluation forwards on random data, and prints one line of key=value pairs:\n"
            "arch batch input threads precision engine isa classes steps params flops_per_img\n"
            "train_img_per_s eval_img_per_s gflops eval_gflops (achieved training and\n"
            "evaluating) train_cpu_img_per_s eval_cpu_img_per_s (the same from the\n"
            "process's CPU time: less noisy on a shared machine) eval_chunk peak_rss_mb\n"
            "threads_seen (the most threads the process had while it ran).\n"
            "\n"
            "options:\n"
            "  --arch ARCH       an arch value as in a sweep file: cnn-small, resnet20,\n"
            "                    \"resnet50(width=0.25,stem=cifar)\", nasnet-a-mobile ... (required)\n"
            "  --batch N         samples per step (default 64)\n"
            "  --input CxHxW     input shape (default 3x32x32; Fashion-MNIST is 1x28x28)\n"
            "  --threads N       OpenBLAS and oneDNN threads (default 1, as a worker runs)\n"
            "  --precision P     fp32 (default) or bf16 (mixed precision, the oneDNN engine)\n"
            "  --engine E        onednn (the default where built with it) or openblas\n"
            "  --profile         also print where the time goes, per kind of layer (stderr)\n"
            "  --steps N         timed training steps and evaluation forwards (default 20)\n"
            "  --warmup N        untimed steps first (default 3)\n"
            "  --eval-chunk N    samples an evaluation forward computes at a time (default:\n"
            "                    the engine's choice, printed as eval_chunk; the whole batch\n"
            "                    with openblas)\n"
            "  --classes N       classifier outputs (default 10)\n"
            "  --regularizer R   a regularizer value as in a sweep file (default none):\n"
            "                    \"snnl(layers=[stage1,penultimate])\", manifold-mixup ...\n"
            "  -h, --help        this text\n"
            "\n"
            "example: bdsweep bench --arch cnn-small --input 1x28x28 --batch 64 --threads 1\n");
}

static double clock_s(clockid_t id) {
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* The process's CPU time: what the run cost this process, whatever else
 * the machine was doing (on a shared machine wall time also counts the
 * moments another process had the core). */
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* Peak resident memory in MB: VmHWM, which exec resets (getrusage's
 * ru_maxrss would still include the parent's peak when a big process such as
 * a Python interpreter forked us). */
static double peak_rss_mb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atof(line + 6);
    if (f) fclose(f);
    if (kb < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = (double)ru.ru_maxrss;
    }
    return kb / 1024.0;
}

/* The layer kind a node's time is added to: the op, convolutions by kind. */
static void kind_of(const BdGraph *g, const BdNode *nd, char *out, size_t cap) {
    if (nd->op != BD_OP_CONV) {
        static const char *const names[] = {
            [BD_OP_INPUT] = "input",     [BD_OP_CONV] = "conv",       [BD_OP_BN] = "batchnorm",   [BD_OP_RELU] = "relu",
            [BD_OP_MAXPOOL] = "maxpool", [BD_OP_AVGPOOL] = "avgpool", [BD_OP_GAP] = "gap",        [BD_OP_FLATTEN] = "flatten",
            [BD_OP_LINEAR] = "linear",   [BD_OP_ADD] = "add",         [BD_OP_CONCAT] = "concat",  [BD_OP_DROPOUT] = "dropout",
            [BD_OP_SHIFT] = "shift",     [BD_OP_MIX] = "mix",         [BD_OP_IDENTITY] = "identity"};
        snprintf(out, cap, "%s%s", names[nd->op], nd->relu_into ? "+relu" : "");
        return;
    }
    const int cin = g->nodes[nd->in[0]].shape.c;
    snprintf(out, cap, "conv %dx%d%s%s%s", nd->k, nd->k, nd->stride > 1 ? "/2" : "",
             nd->groups > 1 ? (nd->groups == cin ? " depthwise" : " grouped") : "", nd->relu_into ? "+relu" : "");
}

/* Seconds per step by layer kind: training forward, backward, evaluation forward. */
static void print_profile(const BdGraph *g, const double *prof, int steps) {
    enum { MAXK = 64 };
    char names[MAXK][48];
    double t[MAXK][3] = {{0}}, total[3] = {0};
    int nk = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        char k[48];
        kind_of(g, &g->nodes[i], k, sizeof k);
        int at = 0;
        while (at < nk && strcmp(names[at], k)) at++;
        if (at == nk && nk < MAXK) snprintf(names[nk++], sizeof names[0], "%s", k);
        if (at == MAXK) continue;
        const double f = prof[3 * i], e = prof[3 * i + 1], b = prof[3 * i + 2];
        t[at][0] += f, t[at][1] += b, t[at][2] += e;
        total[0] += f, total[1] += b, total[2] += e;
    }
    fprintf(stderr, "%-24s %10s %10s %10s   (ms per step of %d; %% of training)\n", "layer", "forward", "backward",
            "eval", steps);
    for (int k = 0; k < nk; k++)
        fprintf(stderr, "%-24s %10.3f %10.3f %10.3f   %5.1f%%\n", names[k], 1e3 * t[k][0] / steps, 1e3 * t[k][1] / steps,
                1e3 * t[k][2] / steps, 100 * (t[k][0] + t[k][1]) / (total[0] + total[1]));
    fprintf(stderr, "%-24s %10.3f %10.3f %10.3f\n", "all layers", 1e3 * total[0] / steps, 1e3 * total[1] / steps,
            1e3 * total[2] / steps);
}

static int parse_int(const char *opt, const char *v, int min, int *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < min || x > INT_MAX) {
        fprintf(stderr, "bdsweep bench: %s expects an integer >= %d, got '%s'\n", opt, min, v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int bd_cmd_bench(int argc, char **argv) {
    const char *arch_text = NULL, *input_text = "3x32x32", *reg_text = "none", *prec_text = "fp32";
    const char *engine_text = bd_engine_name(bd_engine_available(BD_ENGINE_DNNL) ? BD_ENGINE_DNNL : BD_ENGINE_REF);
    int batch = 64, threads = 1, steps = 20, warmup = 3, classes = 10, profile = 0, eval_chunk = 0;
    static const char *const known[] = {"--arch",      "--input",     "--batch",   "--threads",    "--steps",
                                        "--warmup",    "--classes",   "--regularizer", "--precision", "--engine",
                                        "--eval-chunk", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--profile")) {
            profile = 1;
            continue;
        }
        int k = 0;
        while (known[k] && strcmp(known[k], a)) k++;
        if (!known[k]) {
            fprintf(stderr, "bdsweep bench: unknown %s '%s'\nhint: bdsweep bench --help lists the options\n",
                    strncmp(a, "--", 2) ? "argument" : "option", a);
            return BD_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bdsweep bench: %s needs a value\nhint: bdsweep bench --help lists the options\n", a);
            return BD_EXIT_USAGE;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--arch")) arch_text = v;
        else if (!strcmp(a, "--input")) input_text = v;
        else if (!strcmp(a, "--regularizer")) reg_text = v;
        else if (!strcmp(a, "--precision")) prec_text = v;
        else if (!strcmp(a, "--engine")) engine_text = v;
        else if (!strcmp(a, "--batch")) bad = parse_int(a, v, 1, &batch);
        else if (!strcmp(a, "--threads")) bad = parse_int(a, v, 1, &threads);
        else if (!strcmp(a, "--steps")) bad = parse_int(a, v, 1, &steps);
        else if (!strcmp(a, "--warmup")) bad = parse_int(a, v, 0, &warmup);
        else if (!strcmp(a, "--eval-chunk")) bad = parse_int(a, v, 1, &eval_chunk);
        else bad = parse_int(a, v, 2, &classes);
        if (bad) return BD_EXIT_USAGE;
    }
    if (!arch_text) {
        fprintf(stderr, "bdsweep bench: --arch is required\nhint: bdsweep bench --arch resnet20\n");
        return BD_EXIT_USAGE;
    }
    BdShape in;
    char tail;
    if (sscanf(input_text, "%dx%dx%d%c", &in.c, &in.h, &in.w, &tail) != 3 || in.c < 1 || in.h < 1 || in.w < 1) {
        fprintf(stderr, "bdsweep bench: --input expects CxHxW (e.g. 3x32x32), got '%s'\n", input_text);
        return BD_EXIT_USAGE;
    }
    if (strcmp(prec_text, "fp32") && strcmp(prec_text, "bf16")) {
        fprintf(stderr, "bdsweep bench: --precision expects fp32 or bf16, got '%s'\n", prec_text);
        return BD_EXIT_USAGE;
    }
    const BdPrecision precision = strcmp(prec_text, "bf16") ? BD_FP32 : BD_BF16;
    BdEngine engine = BD_ENGINE_REF;
    if (!strcmp(engine_text, bd_engine_name(BD_ENGINE_DNNL))) engine = BD_ENGINE_DNNL;
    else if (strcmp(engine_text, bd_engine_name(BD_ENGINE_REF))) {
        fprintf(stderr, "bdsweep bench: --engine expects onednn or openblas, got '%s'\n", engine_text);
        return BD_EXIT_USAGE;
    }
    BdSpec arch;
    BdError err;
    BdGraph *g = NULL;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, arch_text, &arch, &err) < 0) {
        fprintf(stderr, "bdsweep bench: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    /* before the graph: oneDNN's primitives plan for the threads there are */
    bd_set_threads(threads);
    if (bd_model_build_on(&arch, in, classes, batch, engine, precision, &g, &err) < 0) {
        fprintf(stderr, "bdsweep bench: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    BdSpec reg_spec;
    BdReg *reg = NULL;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_REGULARIZER, reg_text, &reg_spec, &err) < 0 ||
        bd_reg_make(&reg_spec, g, &reg, &err) < 0) {
        fprintf(stderr, "bdsweep bench: %s\n", err.msg);
        bd_graph_free(g);
        return BD_EXIT_USAGE;
    }
    eval_chunk = bd_graph_set_eval_chunk(g, eval_chunk);
    bd_graph_init_params(g, 1);
    BdSgd opt;
    bd_sgd_init(&opt, g, 0.9f, 5e-4f, 0);

    const size_t xlen = (size_t)in.c * batch * in.h * in.w;
    float *x = bd_xmalloc(xlen * sizeof *x);
    int *y = bd_xmalloc((size_t)batch * sizeof *y);
    BdRng r;
    bd_rng_seed(&r, 7);
    for (size_t i = 0; i < xlen; i++) x[i] = (float)bd_rng_normal(&r);
    for (int i = 0; i < batch; i++) y[i] = (int)bd_rng_below(&r, (uint64_t)classes);

    float loss = 0.0f;
    double t_train = 0.0, t_eval = 0.0, c_train = 0.0, c_eval = 0.0;
    int threads_seen = bd_thread_count();
    double *prof = profile ? bd_xcalloc(3 * (size_t)g->n_nodes, sizeof *prof) : NULL;
    for (int phase = 0; phase < 2; phase++) {
        const int n = phase ? steps : warmup;
        g->profile = phase ? prof : NULL; /* the timed steps only */
        double t0 = now(), c0 = cpu_now();
        for (int s = 0; s < n; s++) {
            BdLossParts parts;
            bd_reg_before_forward(reg, g, batch, &r);
            bd_graph_forward(g, x, batch, BD_TRAIN, (uint64_t)s);
            bd_graph_zero_grads(g);
            loss = bd_reg_loss(reg, g, y, batch, &parts);
            bd_graph_backward(g);
            bd_sgd_step(&opt, g, 0.01f);
        }
        if (phase) t_train = now() - t0, c_train = cpu_now() - c0;
        t0 = now(), c0 = cpu_now();
        for (int s = 0; s < n; s++) bd_graph_forward(g, x, batch, BD_EVAL, 0);
        if (phase) t_eval = now() - t0, c_eval = cpu_now() - c0;
        const int t = bd_thread_count();
        if (t > threads_seen) threads_seen = t;
    }
    g->profile = NULL;
    if (prof) print_profile(g, prof, steps);
    free(prof);
    const double imgs = (double)steps * batch, flops = bd_graph_flops(g, 1);
    char input_canon[64];
    snprintf(input_canon, sizeof input_canon, "%dx%dx%d", in.c, in.h, in.w);
    const char *isa = bd_engine_isa(engine);
    printf("arch=\"%s\" regularizer=\"%s\" batch=%d input=%s threads=%d precision=%s engine=%s isa=%s "
           "classes=%d steps=%d params=%zu flops_per_img=%.4g train_img_per_s=%.1f eval_img_per_s=%.1f gflops=%.2f "
           "eval_gflops=%.2f train_cpu_img_per_s=%.1f eval_cpu_img_per_s=%.1f eval_chunk=%d peak_rss_mb=%.0f "
           "threads_seen=%d loss=%.4f\n",
           arch_text, reg_text, batch, input_canon, threads, bd_precision_name(precision), bd_engine_name(engine),
           isa[0] ? isa : "-", classes, steps, bd_graph_param_count(g), flops, imgs / t_train, imgs / t_eval,
           flops * imgs / t_train / 1e9, bd_graph_flops(g, 0) * imgs / t_eval / 1e9, imgs / c_train * threads,
           imgs / c_eval * threads, eval_chunk, peak_rss_mb(), threads_seen, (double)loss);
    if (precision == BD_BF16 && bd_engine_bf16() != BD_BF16_NATIVE)
        fprintf(stderr, "bdsweep bench: %s\n", bd_bf16_note());
    free(x);
    free(y);
    bd_sgd_free(&opt);
    bd_reg_free(reg);
    bd_graph_free(g);
    return isfinite(loss) ? 0 : 1;
}
