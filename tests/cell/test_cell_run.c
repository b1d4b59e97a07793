/* The cell pipeline end to end on a tiny synthetic task: a cell interrupted
 * after any epoch and resumed from its checkpoint reports exactly the numbers
 * of an uninterrupted run; cells that differ only in their retraining reuse
 * one main model; init: pretrained loads the pre-training job's model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axes.h"
#include "cell_run.h"
#include "check.h"
#include "job_keys.h"

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
    int stop_after;     /* interrupt after this many evaluations (0: never) */
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
    return c->stop_after && c->epochs_seen >= c->stop_after;
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

static int run(BdWorker *w, const char *key, const char *dir, Collect *c, BdError *err) {
    BdSink sink = {c, collect_metrics, NULL, collect_interrupt};
    BdCellOutcome out;
    c->epochs_seen = 0;
    int rc = bd_cell_run(w, key, NULL, 0, dir, &sink, &out, err);
    bd_cell_outcome_free(&out);
    return rc;
}

static void test_resume_is_exact(BdWorker *w, const char *tmp) {
    const char *key = DATA " trigger=square poison_rate=0.1 seed=1 " TRAIN
                      " retrain=finetune(epochs=2,fraction=0.1)";
    char dir_a[512], dir_b[512];
    snprintf(dir_a, sizeof dir_a, "%s/a", tmp);
    BdError err = {{0}};
    Collect ref = {0};
    CHECK_MSG(run(w, key, dir_a, &ref, &err) == 0, "%s", err.msg);
    CHECK(ref.epochs_seen == 5);
    CHECK(lookup(&ref, "train", 3, "clean_acc") > 0.5);
    CHECK(lookup(&ref, "retrain", 2, "asr") >= 0);

    /* Interrupted after every possible epoch (in the main phase and in the
     * retraining), then resumed: the same numbers, bit for bit. */
    for (int stop = 1; stop <= 4; stop++) {
        snprintf(dir_b, sizeof dir_b, "%s/b%d", tmp, stop);
        Collect first = {0}, second = {0};
        first.stop_after = stop;
        CHECK(run(w, key, dir_b, &first, &err) == BD_INTERRUPTED);
        CHECK_CONTAINS(err.msg, "interrupted after");
        CHECK_MSG(run(w, key, dir_b, &second, &err) == 0, "%s", err.msg);
        /* The second attempt alone reports everything (history replayed). */
        CHECK_MSG(same_numbers(&ref, &second), "resumed after %d epochs", stop);
        /* ...and it did resume: the epochs before the stop were replayed from
         * the checkpoint (their measured timings come back unchanged), not
         * trained again. */
        for (int e = 1; e <= stop; e++) {
            const char *ph = e <= 3 ? "train" : "retrain";
            int ep = e <= 3 ? e : e - 3;
            CHECK_MSG(lookup(&first, ph, ep, "seconds") == lookup(&second, ph, ep, "seconds"),
                      "%s epoch %d was trained again after stopping at %d", ph, ep, stop);
        }
        CHECK(second.epochs_seen == 5);
        free(first.rows);
        free(second.rows);
    }
    free(ref.rows);
}

static void test_main_phase_shared(BdWorker *w, const char *tmp) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/shared", tmp);
    const char *k2 = DATA " trigger=square poison_rate=0.1 seed=2 " TRAIN " retrain=finetune(epochs=1,fraction=0.1)";
    const char *k3 = DATA " trigger=square poison_rate=0.1 seed=2 " TRAIN
                     " retrain=finetune(epochs=2,fraction=0.1,lr=0.02)";
    BdError err = {{0}};
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
    BdError err = {{0}};
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

static void test_zero_epochs(BdWorker *w) {
    const char *key = DATA " trigger=square poison_rate=0 train=sgd(epochs=0)";
    BdError err = {{0}};
    Collect c = {0};
    CHECK_MSG(run(w, key, NULL, &c, &err) == 0, "%s", err.msg);
    CHECK(!isnan(lookup(&c, "train", 0, "clean_acc")) && !isnan(lookup(&c, "train", 0, "asr")));
    free(c.rows);
}

int main(void) {
    char tmp[] = "/tmp/bdsweep-cell-XXXXXX";
    if (!mkdtemp(tmp)) return 1;
    BdWorker w;
    bd_worker_init(&w, 1);
    test_resume_is_exact(&w, tmp);
    test_main_phase_shared(&w, tmp);
    test_pretrained(&w, tmp);
    test_zero_epochs(&w);
    bd_worker_free(&w);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return check_result("test_cell_run");
}
