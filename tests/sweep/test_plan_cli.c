/* `bdsweep plan`, the executable: output against committed golden files
 * (the canonical keys must never change silently), exit codes, errors.
 * Usage: test_plan_cli BDSWEEP SOURCE_ROOT */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "sweep/testenv.h"

static char *bdsweep, *src_root, *dir;

/* Runs bdsweep with up to 4 arguments (NULL-terminated). */
static int run(char **out, char **err, const char *a1, const char *a2, const char *a3, const char *a4) {
    char *argv[] = {bdsweep, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    return test_run(dir, argv, out, err);
}

/* warning: what stderr must hold (a dataset the golden sweep names but this
 * machine does not have), or NULL for nothing. */
static void check_golden(const char *sweep, const char *golden, const char *warning) {
    char s[4096], g[4096];
    snprintf(s, sizeof s, "%s/%s", src_root, sweep);
    snprintf(g, sizeof g, "%s/%s", src_root, golden);
    char *out, *err, *want = test_read(g);
    int rc = run(&out, &err, "plan", "--keys", s, NULL);
    CHECK_MSG(rc == 0, "plan %s: exit %d, stderr: %s", sweep, rc, err);
    CHECK_MSG(*want && !strcmp(out, want), "plan %s differs from %s:\n--- got\n%s--- expected\n%s", sweep, golden, out,
              want);
    if (warning) CHECK_CONTAINS(err, warning);
    else CHECK_STR(err, "");
    free(out);
    free(err);
    free(want);
}

static void test_golden(void) {
    check_golden("sweeps/smoke.yaml", "tests/sweep/smoke.plan", NULL);
    /* Its CIFAR-10 is not on this machine: checked against the standard sizes, and said so. */
    check_golden("tests/sweep/golden.yaml", "tests/sweep/golden.plan",
                 "golden.yaml:14:7: grid.dataset[1]: cifar10: the data folder /data/my cifar (v1) is not on this "
                 "machine (No such file or directory): every cell of this dataset would fail here, and `run` refuses "
                 "it (fine when the sweep runs on another machine that has the data); the checks that need the data "
                 "(poisoning pools) use CIFAR-10's published sizes here\n");
    /* Twice gives the same text (nothing depends on time or addresses). */
    char s[4096], *o1, *o2, *e1, *e2;
    snprintf(s, sizeof s, "%s/tests/sweep/golden.yaml", src_root);
    run(&o1, &e1, "plan", "--keys", s, NULL);
    run(&o2, &e2, "plan", "--keys", s, NULL);
    CHECK(!strcmp(o1, o2));
    CHECK_CONTAINS(o1, "\n50 cells, 36 models to train\n");
    free(o1), free(o2), free(e1), free(e2);
}

/* Each cell's cost and the sweep's estimate, from the models and the data's
 * headers: smoke is 6 cnn-small cells on 4000 Fashion-MNIST images. */
static void test_cost(void) {
    char s[4096], *out, *err;
    snprintf(s, sizeof s, "%s/sweeps/smoke.yaml", src_root);
    CHECK(run(&out, &err, "plan", s, "--gflops-per-core", "10") == 0);
    /* 421,642 parameters: conv 1*32*9+32, conv 32*64*9+64, fc 64*7*7*128+128, fc 128*10+10. */
    CHECK_CONTAINS(out, "trigger=square poison_rate=0 seed=1 train=sgd(epochs=2,limit_test=1000,limit_train=4000)\t# "
                        "421642 params, ");
    CHECK_CONTAINS(out, "# compute: ");
    CHECK_CONTAINS(out, " core-hours at 10 GFLOP/s per core\n6 cells, 6 models to train\n");
    /* What the checks were made against; what a model needs to train, said to be an estimate. */
    CHECK_CONTAINS(out, "\n# dataset fashion-mnist: trigger fit, classes, regularizer layers and poisoning pools "
                        "checked against the data\n# limits per attempt of a job: no wall-time or memory limit, 3 "
                        "attempts\n# memory to train a model: up to ~");
    CHECK_CONTAINS(out, " MiB (cnn-small on fashion-mnist); an estimate from the model's shapes: parameters, gradients, "
                        "momentum and the engine's buffers for its batch, the data not included\n# compute: ");
    CHECK_CONTAINS(out, "421642 params, 0.0253 GFLOP/img (train), 237 GFLOP, ~");
    free(out), free(err);
    CHECK(run(&out, &err, "plan", s, "--gflops-per-core", "fast") == 2);
    CHECK_CONTAINS(err, "--gflops-per-core needs a positive number");
    free(out), free(err);
}

static void test_usage(void) {
    char *out, *err;
    CHECK(run(&out, &err, "plan", "--help", NULL, NULL) == 0);
    CHECK_CONTAINS(out, "usage: bdsweep plan SWEEP.yaml");
    free(out), free(err);

    CHECK(run(&out, &err, "plan", NULL, NULL, NULL) == 2);
    CHECK_STR(err, "bdsweep plan: missing the sweep file\nhint: bdsweep plan SWEEP.yaml (bdsweep plan --help)\n");
    CHECK_STR(out, "");
    free(out), free(err);

    CHECK(run(&out, &err, "plan", "--cells", "x.yaml", NULL) == 2);
    CHECK_STR(err, "bdsweep plan: unknown option '--cells'\nhint: bdsweep plan --help\n");
    free(out), free(err);

    CHECK(run(&out, &err, "plan", "a.yaml", "b.yaml", NULL) == 2);
    CHECK_CONTAINS(err, "one sweep file expected, got 'a.yaml' and 'b.yaml'");
    free(out), free(err);

    /* The top-level command list names plan and status. */
    CHECK(run(&out, &err, "--help", NULL, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "  plan ");
    CHECK_CONTAINS(out, "  status ");
    free(out), free(err);
}

static void test_invalid(void) {
    char path[4096], *out, *err;
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    test_write(path, "name: bad\ngrid:\n  dataset: [fashion-mnist]\n  arch: [cnn-small]\n"
                     "  trigger: [square, {name: square, size: 0}]\n  poison_rate: [0.1]\n");
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 2);
    char want[4200];
    CHECK_FMT(want,
             "bdsweep: %s:5:42: grid.trigger[1]: square: parameter 'size': 0 is out of range: expected an integer in "
             "[1, 4096]\n",
             path);
    CHECK_STR(err, want);
    CHECK_STR(out, ""); /* nothing is printed before the whole sweep is valid */
    free(out), free(err);

    CHECK(run(&out, &err, "plan", "/nonexistent/sweep.yaml", NULL, NULL) == 2);
    CHECK_STR(err, "bdsweep: /nonexistent/sweep.yaml: cannot read the sweep file: No such file or directory\n");
    free(out), free(err);

    /* A cluster-only dataset: plan works and warns once, with the line. */
    snprintf(path, sizeof path, "%s/cluster.yaml", dir);
    test_write(path, "name: cluster\ngrid:\n  dataset: [{name: flowers, path: /cluster/flowers}]\n"
                     "  arch: [cnn-small]\n  trigger: [square, blend]\n  poison_rate: [0.1]\n");
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "dataset=flowers(path=/cluster/flowers) arch=cnn-small trigger=blend poison_rate=0.1\t# ");
    CHECK_CONTAINS(out, "(data not here: standard sizes assumed)\n");
    CHECK_CONTAINS(out, "2 cell(s) with the standard dataset sizes assumed (the data is not here)\n2 cells, 2 models to train\n");
    snprintf(want, sizeof want, "bdsweep: warning: %s:3:13: grid.dataset[0]: flowers: cannot open folder", path);
    CHECK_CONTAINS(err, want);
    int warnings = 0;
    for (const char *p = err; (p = strstr(p, "warning:")); p++) warnings++;
    CHECK(warnings == 1);
    CHECK_CONTAINS(out, "# dataset flowers(path=/cluster/flowers): the data is not here: trigger fit, classes, "
                        "regularizer layers, poisoning pools checked against TensorFlow flowers' published sizes "
                        "(3670 images of 5 classes)\n");
    free(out), free(err);

    /* A pool too small for the rate: refused before anything runs, with
     * the cell and the numbers. Fashion-MNIST's first 4000 training images
     * hold 409 of class 3 (the standard files: Debian's dataset-fashion-mnist). */
    snprintf(path, sizeof path, "%s/pool.yaml", dir);
    test_write(path, "name: pool\ntrain: {limit_train: 4000}\ngrid:\n  dataset: [fashion-mnist]\n"
                     "  arch: [cnn-small]\n  trigger: [square]\n  strategy: [{name: one-to-one, source: 3}]\n"
                     "  poison_rate: [0.05, 0.2]\n  seed: [1, 2]\n");
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 2);
    CHECK_FMT(want,
              "bdsweep: %s:8:23: grid.poison_rate[1]: with grid.dataset[0] (line 4), grid.strategy[0] (line 7) and "
              "the default target 0: one-to-one: poison rate 0.2 needs 800 poisoned samples of 4000 training "
              "samples, but the pool (the source class 3, target 0) holds 409 (counted in the data's 60000 training "
              "labels): these 2 cells must fail; expected a rate of at most 0.1022 with this strategy, or an exclude "
              "entry for them; the first: dataset=fashion-mnist "
              "arch=cnn-small trigger=square strategy=one-to-one(source=3) poison_rate=0.2 seed=1 "
              "train=sgd(limit_train=4000)\n",
              path);
    CHECK_STR(err, want);
    CHECK_STR(out, "");
    free(out), free(err);
}

/* The limits plan would apply: the sweep's, each override's, and on each
 * cell an override names, its own. */
static void test_limits(void) {
    char path[4096], *out, *err;
    snprintf(path, sizeof path, "%s/limits.yaml", dir);
    test_write(path, "name: limits\ngrid:\n  dataset: [{name: synthetic, size: 8, train: 100, test: 10}]\n"
                     "  arch: [cnn-small]\n  trigger: [square, blend]\n  poison_rate: [0.1]\n"
                     "limits:\n  wall: 2h\n  memory: 4GiB\n  overrides:\n"
                     "    - {cells: {trigger: blend}, wall: 8h, attempts: 5}\n");
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 0);
    CHECK_STR(err, "");
    CHECK_CONTAINS(out, "\n# limits per attempt of a job: wall 2h, memory 4 GiB, 3 attempts; limits.overrides[0] "
                        "(line 11): wall 8h, 5 attempts\n# memory to train a model: ");
    /* The square cell has the sweep's limits (nothing said), the blend one its own. */
    CHECK_CONTAINS(out, "trigger=square poison_rate=0.1\t# ");
    const char *square = strstr(out, "trigger=square"), *blend = strstr(out, "trigger=blend");
    CHECK(square && blend && blend > square && !memmem(square, (size_t)(blend - square), "limits:", 7));
    CHECK(blend && strstr(blend, "; limits: wall 8h, memory 4 GiB, 5 attempts\n"));
    free(out), free(err);
}

/* A model over the memory limit of its job is an error, as a pool that
 * must fail is: cnn-small at its largest widths on 3x8x8 images has 218
 * million parameters, 2.6 GB with their gradients and momentum alone. Its
 * shapes are sized, never the model (the plan takes little memory). With
 * limits that spare the poisoned cell but not the clean model of rate 0
 * (whose job runs under the widest limit of the cells it serves), the
 * clean model is the one refused. */
static void test_memory_limit(void) {
    char path[4096], want[4096], *out, *err;
    snprintf(path, sizeof path, "%s/memory.yaml", dir);
    const char *grid = "name: memory\ngrid:\n  dataset: [{name: synthetic, size: 8, train: 100, test: 10}]\n"
                       "  arch: [cnn-small, \"cnn-small(conv1=4096,conv2=4096,fc=4096)\"]\n  trigger: [square]\n"
                       "  poison_rate: [0, 0.1]\n";
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "%slimits: {memory: 1GiB}\n", grid);
    test_write(path, yaml);
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 2);
    CHECK_STR(out, "");
    CHECK_FMT(want, "bdsweep: %s:4:21: grid.arch[1]: with grid.dataset[0] (line 3): "
                    "cnn-small(conv1=4096,conv2=4096,fc=4096) needs about ", path);
    CHECK_CONTAINS(err, want);
    CHECK_CONTAINS(err, " to train at batch 64 (an estimate from its shapes: parameters, gradients, momentum and the "
                        "engine's buffers; the data comes on top), more than its job's memory limit of 1 GiB "
                        "(limits.memory): it must fail; expected a larger memory limit (limits.memory, or an override "
                        "naming these cells), a smaller model or batch, or an exclude entry for them (in all, 2 jobs "
                        "over their memory limit); the first: dataset=synthetic(size=8,test=10,train=100) "
                        "arch=cnn-small(conv1=4096,conv2=4096,fc=4096) trigger=square poison_rate=0.1\n");
    free(out), free(err);

    snprintf(yaml, sizeof yaml, "%slimits:\n  memory: 1GiB\n  overrides:\n    - {cells: {poison_rate: 0.1}, memory: "
             "64GiB}\n", grid);
    test_write(path, yaml);
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 2);
    CHECK_CONTAINS(err, "more than its job's memory limit of 1 GiB (that of its seed's clean model: the widest of the "
                        "cells it serves): it must fail;");
    CHECK_CONTAINS(err, "; the first: clean dataset=synthetic(size=8,test=10,train=100) "
                        "arch=cnn-small(conv1=4096,conv2=4096,fc=4096)");
    free(out), free(err);

    snprintf(yaml, sizeof yaml, "%slimits:\n  memory: 1GiB\n  overrides:\n    - {cells: {arch: "
             "\"cnn-small(conv1=4096,conv2=4096,fc=4096)\"}, memory: 64GiB}\n", grid);
    test_write(path, yaml);
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 0);
    CHECK_STR(err, "");
    CHECK_CONTAINS(out, "\n# memory to train a model: up to ~");
    CHECK_CONTAINS(out, " GiB (cnn-small(conv1=4096,conv2=4096,fc=4096) on synthetic(size=8,test=10,train=100)); an "
                        "estimate from the model's shapes");
    free(out), free(err);
#ifndef __SANITIZE_ADDRESS__
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    CHECK_MSG(ru.ru_maxrss < 60 * 1024, "a plan peaked at %ld kB", ru.ru_maxrss);
#endif
}

/* A large grid is planned cell by cell: no memory per cell (the cells
 * were kept, with their costs, at about 600 bytes each: 10^7 cells took
 * 5.4 GB and 261 s). 200,000 cells here, in a few MB. All-to-all poisons
 * from every class, so that every rate up to 0.999 has its pool. */
static void test_large(void) {
    char path[4096], *out, *err;
    snprintf(path, sizeof path, "%s/large.yaml", dir);
    size_t cap = 1 << 16, o;
    char *yaml = malloc(cap);
    o = (size_t)snprintf(yaml, cap, "name: large\ngrid:\n  dataset: {name: synthetic, size: 8, train: 100, test: 10}\n"
                                    "  arch: cnn-small\n  trigger: square\n  strategy: all-to-all\n  seed: [");
    for (int i = 0; i < 200; i++) o += (size_t)snprintf(yaml + o, cap - o, "%s%d", i ? ", " : "", i);
    o += (size_t)snprintf(yaml + o, cap - o, "]\n  poison_rate: [");
    for (int i = 0; i < 1000; i++) o += (size_t)snprintf(yaml + o, cap - o, "%s%g", i ? ", " : "", i / 1000.0);
    snprintf(yaml + o, cap - o, "]\n");
    test_write(path, yaml);
    free(yaml);
    CHECK(run(&out, &err, "plan", path, NULL, NULL) == 0);
    CHECK_STR(err, "");
    size_t n = strlen(out);
    /* Per seed, the rates 0 to 0.004 poison no sample of 100 (0.004 * 100
     * rounds to 0): 5 cells share the seed's clean model, the other 995 are
     * their own; 200 * (1 + 995) models. */
    const char *last = "\n200000 cells, 199200 models to train\n";
    CHECK(n > 40 && !strcmp(out + n - strlen(last), last));
    CHECK_CONTAINS(out, "dataset=synthetic(size=8,test=10,train=100) arch=cnn-small trigger=square "
                        "strategy=all-to-all poison_rate=0.999 seed=199\t# ");
    free(out), free(err);
#ifndef __SANITIZE_ADDRESS__ /* its shadow memory would count */
    /* The largest child so far is that plan (the others planned a few cells). */
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    CHECK_MSG(ru.ru_maxrss < 60 * 1024, "plan of 200000 cells peaked at %ld kB", ru.ru_maxrss);
#endif
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_plan_cli BDSWEEP SOURCE_ROOT\n");
        return 2;
    }
    bdsweep = argv[1];
    src_root = argv[2];
    dir = test_tmpdir();
    test_golden();
    test_cost();
    test_usage();
    test_invalid();
    test_limits();
    test_memory_limit();
    test_large();
    test_rmtree(dir);
    free(dir);
    return check_result("test_plan_cli");
}
