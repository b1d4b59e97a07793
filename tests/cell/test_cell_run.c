/* The cell pipeline end to end on a tiny synthetic task: a cell interrupted
 * before any of its training steps (mid-epoch included, with augmentation,
 * dropout and manifold mixup drawing from every stream) and resumed from its
 * checkpoint reports exactly the numbers of an uninterrupted run; cells that
 * differ only in their retraining reuse one main model; init: pretrained
 * loads the pre-training job's model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "axes.h"
#include "cell_ckpt.h"
#include "cell_run.h"
#include "checkpoint.h"
#include "check.h"
#include "data/testfs.h"
#include "job_keys.h"
#include "models.h"

#define DATA "dataset=synthetic(channels=1,classes=4,size=12,test=200,train=600) arch=cnn-small(conv1=4,conv2=8,fc=16)"
#define TRAIN "train=sgd(batch=32,epochs=3,lr=0.05)"

typedef struct Row {
    char phase[16], name[40];
    int epoch;
    double value;
} Row;

typedef struct Collect {
    Row *rows;
    int n, cap;
    int epochs_seen;    /* train/retrain evaluations so far */
    int asked;          /* interrupt calls so far */
    int stop_at;        /* interrupt at this call (0: never) */
} Collect;

static void collect_metrics(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                            const double *values, int n) {
    Collect *c = ud;
    /* One evaluation reports the model's numbers (attack "") and then the attack's. */
    if (!attack[0] && (!strcmp(phase, "train") || !strcmp(phase, "retrain"))) c->epochs_seen++;
    for (int i = 0; i < n; i++) {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 256;
            c->rows = realloc(c->rows, (size_t)c->cap * sizeof *c->rows);
        }
        Row *r = &c->rows[c->n++];
        snprintf(r->phase, sizeof r->phase, "%s", phase);
        snprintf(r->name, sizeof r->name, "%s", names[i]);
        r->epoch = epoch;
        r->value = values[i];
    }
}

static int collect_interrupt(void *ud) {
    Collect *c = ud;
    return ++c->asked == c->stop_at;
}

/* The value of (phase, epoch, name), the last one reported; NAN if none. */
static double lookup(const Collect *c, const char *phase, int epoch, const char *name) {
    double v = NAN;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->rows[i].phase, phase) && c->rows[i].epoch == epoch && !strcmp(c->rows[i].name, name))
            v = c->rows[i].value;
    return v;
}

/* Every row of a (except timings) is in b with the same value, and back. */
static int same_numbers(const Collect *a, const Collect *b) {
    int ok = 1;
    for (int pass = 0; pass < 2; pass++) {
        const Collect *x = pass ? b : a, *y = pass ? a : b;
        for (int i = 0; i < x->n; i++) {
            const Row *r = &x->rows[i];
            if (!strcmp(r->name, "seconds")) continue;
            double v = lookup(y, r->phase, r->epoch, r->name);
            if (!(v == r->value)) {
                fprintf(stderr, "  %s epoch %d %s: %.17g vs %.17g\n", r->phase, r->epoch, r->name, r->value, v);
                ok = 0;
            }
        }
    }
    return ok;
}

/* Runs a job for the database db_id. */
static int run_for(BdWorker *w, const char *key, const char *dir, const char *db_id, Collect *c, BdError *err) {
    BdSink sink = {c, collect_metrics, NULL, collect_interrupt};
    BdCellOutcome out;
    c->epochs_seen = c->asked = 0;
    BdJobOrder order = {.key = key, .ckpt_dir = dir, .db_id = db_id};
    int rc = bd_cell_run(w, &order, &sink, &out, err);
    bd_cell_outcome_free(&out);
    return rc;
}

static int run(BdWorker *w, const char *key, const char *dir, Collect *c, BdError *err) {
    return run_for(w, key, dir, "", c, err);
}

/* The interrupt is asked once before training, then before every step: the
 * main phase has 540 samples (600 less the held-out tenth) in batches of 32,
 * 17 steps an epoch, 3 epochs (calls 2..52); retraining 2 epochs of one step
 * (calls 53, 54). */
#define RESUME_KEY                                                                                                    \
    "dataset=synthetic(channels=1,classes=4,size=12,test=200,train=600) "                                             \
    "arch=cnn-small(conv1=4,conv2=8,dropout=0.2,fc=16) trigger=square poison_rate=0.1 "                               \
    "regularizer=manifold-mixup seed=1 train=sgd(augment=crop-flip,batch=32,epochs=3,lr=0.1) "                       \
    "retrain=finetune(epochs=2,fraction=0.1)"
#define MAIN_STEPS 17

static void test_resume_is_exact(BdWorker *w, const char *tmp) {
    char dir_a[512], dir_b[512];
    snprintf(dir_a, sizeof dir_a, "%s/a", tmp);
    BdError err = {0};
    Collect ref = {0};
    CHECK_MSG(run(w, RESUME_KEY, dir_a, &ref, &err) == 0, "%s", err.msg);
    CHECK(ref.epochs_seen == 5);
    CHECK(ref.asked == 1 + 3 * MAIN_STEPS + 2);
    CHECK_MSG(lookup(&ref, "train", 3, "clean_acc") > 0.5, "%g", lookup(&ref, "train", 3, "clean_acc"));
    CHECK(lookup(&ref, "retrain", 2, "asr") >= 0);

    /* Interrupted before training, at the first, a middle and the last step
     * of an epoch, in the retraining, and twice in a row mid-epoch; then
     * resumed: the same numbers, bit for bit. */
    static const struct { int first, second; } stops[] = {
        {1, 0}, {2, 0}, {10, 0}, {1 + MAIN_STEPS + 1, 0}, {27, 0}, {1 + 3 * MAIN_STEPS, 0}, {53, 0}, {54, 0},
        {9, 20},
    };
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
        snprintf(dir_b, sizeof dir_b, "%s/b%zu", tmp, k);
        Collect first = {0}, second = {0}, third = {0};
        first.stop_at = stops[k].first;
        CHECK(run(w, RESUME_KEY, dir_b, &first, &err) == BD_INTERRUPTED);
        CHECK_CONTAINS(err.msg, stops[k].first == 1 ? "interrupted before its first training step" : "interrupted in ");
        Collect *last = &second;
        second.stop_at = stops[k].second;
        int rc = run(w, RESUME_KEY, dir_b, &second, &err);
        if (stops[k].second) {
            CHECK_MSG(rc == BD_INTERRUPTED, "second stop of case %zu", k);
            CHECK_CONTAINS(err.msg, "interrupted in train epoch 2 of 3 at step ");
            rc = run(w, RESUME_KEY, dir_b, &third, &err);
            last = &third;
        }
        CHECK_MSG(rc == 0, "%s", err.msg);
        /* The last attempt alone reports everything (history replayed). */
        CHECK_MSG(same_numbers(&ref, last), "resumed after %d interrupt calls", stops[k].first);
        /* ...and it did resume: the epochs finished before the stop were
         * replayed from the checkpoint (their measured timings come back
         * unchanged), not trained again. */
        int epochs_before = stops[k].first <= 1 ? 0 : (stops[k].first - 2) / MAIN_STEPS;
        if (stops[k].first > 1 + 3 * MAIN_STEPS) epochs_before = 3 + stops[k].first - (2 + 3 * MAIN_STEPS);
        for (int e = 1; e <= epochs_before; e++) {
            const char *ph = e <= 3 ? "train" : "retrain";
            int ep = e <= 3 ? e : e - 3;
            CHECK_MSG(lookup(&first, ph, ep, "seconds") == lookup(last, ph, ep, "seconds"),
                      "%s epoch %d was trained again after stopping at call %d", ph, ep, stops[k].first);
        }
        CHECK(last->epochs_seen == 5);
        free(first.rows);
        free(second.rows);
        free(third.rows);
    }
    free(ref.rows);
}

/* A checkpoint of the format before this one (2: i64 format, str phase,
 * i64 epochs done, i64 length, the metrics calls) where the resume
 * checkpoint of a cell should be, claiming 2 epochs done over fresh random
 * weights: refused (with a warning), the cell runs from the start and
 * gives the reference numbers; misread, it would resume at epoch 3. */
static void test_old_checkpoint(BdWorker *w, const char *tmp) {
    const char *key = DATA " trigger=square poison_rate=0.1 seed=5 " TRAIN;
    char dir[512], path[BD_CKPT_PATH_MAX], arch_key[BD_SPEC_TEXT_MAX + 128];
    snprintf(dir, sizeof dir, "%s/old", tmp);
    BdError err = {0};
    Collect ref = {0}, c = {0};
    CHECK_MSG(run(w, key, NULL, &ref, &err) == 0, "%s", err.msg);
    static BdCell cell;
    BdGraph *g = NULL;
    CHECK(bd_cell_parse(bd_axes(), key, &cell, &err) == 0);
    CHECK(bd_model_build(&cell.v[BD_AXIS_ARCH], (BdShape){1, 12, 12}, 4, 32, &g, &err) == 0);
    bd_graph_init_params(g, 12345);
    BdSgd opt;
    bd_sgd_init(&opt, g, 0.9f, 5e-4f, 0);
    BdBuf blob;
    bd_buf_init(&blob);
    bd_buf_put_i64(&blob, 2);
    bd_buf_put_str(&blob, "train");
    bd_buf_put_i64(&blob, 2);
    bd_buf_put_i64(&blob, 0);
    mkdir(dir, 0777);
    CHECK(bd_arch_key(&cell, 1, 12, 12, 4, arch_key, sizeof arch_key, &err) == 0);
    CHECK(bd_checkpoint_path(dir, "cell", key, path, sizeof path, &err) == 0);
    CHECK_MSG(bd_checkpoint_save(path, arch_key, g, &opt, blob.data, blob.len, &err) == 0, "%s", err.msg);
    CHECK_MSG(run(w, key, dir, &c, &err) == 0, "%s", err.msg);
    CHECK_MSG(same_numbers(&ref, &c), "after an old checkpoint");
    CHECK(c.epochs_seen == 3);
    CHECK(access(path, F_OK) != 0); /* the job finished: no resume checkpoint left */
    bd_buf_free(&blob);
    bd_sgd_free(&opt);
    bd_graph_free(g);
    free(ref.rows);
    free(c.rows);
}

static void test_main_phase_shared(BdWorker *w, const char *tmp) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/shared", tmp);
    const char *k2 = DATA " trigger=square poison_rate=0.1 seed=2 " TRAIN " retrain=finetune(epochs=1,fraction=0.1)";
    const char *k3 = DATA " trigger=square poison_rate=0.1 seed=2 " TRAIN
                     " retrain=finetune(epochs=2,fraction=0.1,lr=0.02)";
    BdError err = {0};
    Collect a = {0}, b = {0};
    CHECK_MSG(run(w, k2, dir, &a, &err) == 0, "%s", err.msg);
    CHECK_MSG(run(w, k3, dir, &b, &err) == 0, "%s", err.msg);
    /* The second cell reused the main model: its main-phase numbers are the
     * first's, timings included (they were replayed, not measured again). */
    for (int e = 1; e <= 3; e++) {
        CHECK(lookup(&a, "train", e, "clean_acc") == lookup(&b, "train", e, "clean_acc"));
        CHECK(lookup(&a, "train", e, "seconds") == lookup(&b, "train", e, "seconds"));
    }
    CHECK(lookup(&a, "poison", 0, "poisoned") == lookup(&b, "poison", 0, "poisoned"));
    CHECK(!isnan(lookup(&b, "retrain", 2, "asr")) && isnan(lookup(&a, "retrain", 2, "asr")));
    free(a.rows);
    free(b.rows);
}

static void test_pretrained(BdWorker *w, const char *tmp) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pre", tmp);
    const char *key = DATA " trigger=square poison_rate=0.1 seed=3 init=pretrained(epochs=2,trainable=head) " TRAIN;
    BdError err = {0};
    Collect c = {0};
    /* Without the pre-training job's model the cell fails, and says why. */
    CHECK(run(w, key, dir, &c, &err) < 0);
    CHECK_CONTAINS(err.msg, "loading the pre-trained model");

    static BdCell cell;
    CHECK(bd_cell_parse(bd_axes(), key, &cell, &err) == 0);
    char pkey[BD_KEY_MAX];
    CHECK(bd_pretrain_key(&cell, pkey, sizeof pkey, &err) == 0);
    CHECK_STR(pkey, "pretrain dataset=synthetic(channels=1,classes=4,size=12,test=200,train=600) "
                    "arch=cnn-small(conv1=4,conv2=8,fc=16) seed=3 train=sgd(batch=32,epochs=2)");
    Collect p = {0};
    CHECK_MSG(run(w, pkey, dir, &p, &err) == 0, "%s", err.msg);
    CHECK(lookup(&p, "pretrain", 2, "clean_acc") > 0.5);
    char path[1024];
    CHECK(bd_checkpoint_path(dir, "pretrain", pkey, path, sizeof path, &err) == 0);
    CHECK(access(path, R_OK) == 0);

    Collect f = {0};
    CHECK_MSG(run(w, key, dir, &f, &err) == 0, "%s", err.msg);
    /* It starts from the clean model: accurate from the first epoch. */
    CHECK(lookup(&f, "train", 1, "clean_acc") > 0.5);
    free(c.rows);
    free(p.rows);
    free(f.rows);
}

/* Whether b trained epoch 1 of the main phase itself (its timing differs
 * from a's, which stopped there) rather than resuming a's checkpoint. */
static int retrained(const Collect *a, const Collect *b) {
    return lookup(a, "train", 1, "seconds") != lookup(b, "train", 1, "seconds");
}

static void copy_file(const char *from, const char *to) {
    char cmd[2 * 1024 + 16];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    CHECK(system(cmd) == 0);
}

/* A checkpoint is resumed only by its own job of its own database, on the
 * data it was trained on, at a place its history shows; any other starts
 * the job afresh, with a fresh run's numbers. */
static void test_checkpoint_owner(BdWorker *w, const char *tmp) {
    const char *key = DATA " trigger=square poison_rate=0.1 seed=4 " TRAIN;
    const char *other = DATA " trigger=square poison_rate=0.1 seed=5 " TRAIN;
    const char *db_a = "0123456789abcdef0123456789abcdef", *db_b = "fedcba9876543210fedcba9876543210";
    char dir[512], path[1024], other_path[1024];
    snprintf(dir, sizeof dir, "%s/owner", tmp);
    BdError err = {0};
    Collect ref = {0}, ref_other = {0};
    CHECK_MSG(run_for(w, key, NULL, db_a, &ref, &err) == 0, "%s", err.msg);
    CHECK_MSG(run_for(w, other, NULL, db_a, &ref_other, &err) == 0, "%s", err.msg);
    CHECK(bd_checkpoint_path(dir, "cell", key, path, sizeof path, &err) == 0);
    CHECK(bd_checkpoint_path(dir, "cell", other, other_path, sizeof other_path, &err) == 0);

    /* Its own database resumes it (the control). The interrupt is asked
     * before training and before every step: 19 steps an epoch (600 samples
     * in batches of 32), so call 25 stops in epoch 2, after its 4th step. */
    Collect first = {0}, second = {0};
    first.stop_at = 25;
    CHECK(run_for(w, key, dir, db_a, &first, &err) == BD_INTERRUPTED && access(path, R_OK) == 0);
    CHECK_MSG(run_for(w, key, dir, db_a, &second, &err) == 0, "%s", err.msg);
    CHECK(!retrained(&first, &second) && same_numbers(&ref, &second));

    /* Another database (deleted and made again at the same path). */
    first.n = second.n = 0;
    CHECK(run_for(w, key, dir, db_a, &first, &err) == BD_INTERRUPTED);
    CHECK_MSG(run_for(w, key, dir, db_b, &second, &err) == 0, "%s", err.msg);
    CHECK(retrained(&first, &second) && same_numbers(&ref, &second));

    /* Another job's checkpoint under this job's name. */
    first.n = second.n = 0;
    CHECK(run_for(w, other, dir, db_a, &first, &err) == BD_INTERRUPTED && access(other_path, R_OK) == 0);
    copy_file(other_path, path);
    CHECK_MSG(run_for(w, key, dir, db_a, &second, &err) == 0, "%s", err.msg);
    CHECK(lookup(&first, "train", 1, "seconds") != lookup(&second, "train", 1, "seconds"));
    CHECK(same_numbers(&ref, &second));

    /* Other data: what the loader read differs (the digest of the cached
     * dataset stands for it; test_data checks that a pixel changes it). */
    first.n = second.n = 0;
    CHECK(run_for(w, key, dir, db_a, &first, &err) == BD_INTERRUPTED);
    uint64_t digest = w->data_digest;
    w->data_digest ^= 1;
    CHECK_MSG(run_for(w, key, dir, db_a, &second, &err) == 0, "%s", err.msg);
    w->data_digest = digest;
    CHECK(retrained(&first, &second));

    /* A checkpoint that claims more epochs than its history shows (a
     * crafted one with a valid checksum): saved again by its owner with
     * 3 epochs of 3 claimed after 1 and a bit trained. */
    first.n = second.n = 0;
    CHECK(run_for(w, key, dir, db_a, &first, &err) == BD_INTERRUPTED);
    static BdJob job;
    CHECK(bd_job_parse(bd_axes(), key, &job, &err) == 0);
    BdGraph *g = NULL;
    BdShape in = {1, 12, 12};
    char arch_key[BD_SPEC_TEXT_MAX + 128], phase[32];
    CHECK(bd_model_build(&job.cell.v[BD_AXIS_ARCH], in, 4, 32, &g, &err) == 0);
    CHECK(bd_arch_key(&job.cell, 1, 12, 12, 4, arch_key, sizeof arch_key, &err) == 0);
    BdHistory h;
    bd_history_init(&h, NULL);
    BdSgd opt;
    bd_sgd_init(&opt, g, 0.9f, 5e-4f, 0);
    BdTrainPoint at;
    CHECK_MSG(bd_cell_ckpt_load(path, arch_key, NULL, g, &opt, &h, phase, sizeof phase, &at, &err) == 0, "%s",
              err.msg);
    CHECK(at.epoch == 1 && at.step == 4 && !strcmp(phase, "train"));
    BdCkptOwner owner = {db_a, key, w->data_digest, "reference fp32"};
    at = (BdTrainPoint){.epoch = 3};
    CHECK(bd_cell_ckpt_save(path, arch_key, &owner, g, &opt, &h, "train", &at, &err) == 0);
    bd_sgd_free(&opt);
    bd_history_free(&h);
    bd_graph_free(g);
    CHECK_MSG(run_for(w, key, dir, db_a, &second, &err) == 0, "%s", err.msg);
    CHECK(retrained(&first, &second) && same_numbers(&ref, &second));
    free(ref.rows);
    free(ref_other.rows);
    free(first.rows);
    free(second.rows);
}

static void test_zero_epochs(BdWorker *w) {
    const char *key = DATA " trigger=square poison_rate=0 train=sgd(epochs=0)";
    BdError err = {0};
    Collect c = {0};
    CHECK_MSG(run(w, key, NULL, &c, &err) == 0, "%s", err.msg);
    CHECK(!isnan(lookup(&c, "train", 0, "clean_acc")) && !isnan(lookup(&c, "train", 0, "asr")));
    free(c.rows);
}

/* A model whose estimate exceeds the job's memory limit fails the job at
 * once, naming both, before anything of its size is allocated (here with
 * the process's memory limited to 64 MiB more than it holds: the 3.6 GB
 * that 302 million parameters, their gradients and momentum take would end
 * the test instead). The job runner sets the limit as the job process's
 * RLIMIT_DATA (worker/proc/); the check is the worker's own. */
static void test_memory_limit(BdWorker *w) {
    const char *key = "dataset=synthetic(channels=1,classes=4,size=12,test=200,train=600) "
                      "arch=cnn-small(conv1=4096,conv2=4096,fc=4096) trigger=square poison_rate=0.1 " TRAIN;
    BdJobOrder order = {.key = key, .db_id = "", .memory_limit = (int64_t)256 << 20};
    Collect c = {0};
    BdSink sink = {&c, collect_metrics, NULL, collect_interrupt};
    BdCellOutcome out;
    BdError err = {0};
    tfs_limit_data((size_t)64 << 20);
    CHECK(bd_cell_run(w, &order, &sink, &out, &err) < 0);
    tfs_unlimit_data();
    bd_cell_outcome_free(&out);
    CHECK_CONTAINS(err.msg, "the model cnn-small(conv1=4096,conv2=4096,fc=4096) needs about ");
    CHECK_CONTAINS(err.msg, " GiB to train at batch 32 (estimated from its shapes: parameters, gradients, momentum and "
                            "the engine's buffers), more than the job's memory limit of 256 MiB");
    CHECK(c.n == 0); /* nothing trained, nothing reported */
    free(c.rows);
}

int main(void) {
    char tmp[] = "/tmp/bdsweep-cell-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    BdWorker w;
    bd_worker_init(&w, 1);
    test_resume_is_exact(&w, tmp);
    test_old_checkpoint(&w, tmp);
    test_main_phase_shared(&w, tmp);
    test_pretrained(&w, tmp);
    test_zero_epochs(&w);
    test_memory_limit(&w);
    test_checkpoint_owner(&w, tmp);
    bd_worker_free(&w);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return check_result("test_cell_run");
}
