/* Each regularizer in a real (short) cell: cnn-small on the synthetic data
 * set through bd_cell_run, two epochs of a few hundred images. The run must
 * end finite and record the term: loss_reg > 0 for the terms (< 0 for SNNL
 * with a negative weight), 0 for none and mixup (whose effect is in the
 * cross-entropy), and loss = loss_ce + loss_reg. The mixup cell also
 * retrains with plain cross-entropy at another batch size: a mixing left
 * set by the last training step would abort that phase (a stale
 * permutation) or mix it. */
#include "cell_run.h"
#include "check.h"

typedef struct Record {
    int epochs;
    double loss[4], ce[4], reg[4], acc[4];
    int retrain_epochs;
    double retrain_reg;
} Record;

static double find(const char *const *names, const double *values, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return values[i];
    return NAN;
}

static void on_metrics(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                       const double *values, int n) {
    Record *r = ud;
    if (attack[0]) return; /* the attack's numbers follow the model's */
    if (!strcmp(phase, "retrain")) {
        r->retrain_epochs++;
        r->retrain_reg = find(names, values, n, "loss_reg");
        return;
    }
    if (strcmp(phase, "train") || epoch < 1 || epoch > 3) return;
    r->epochs++;
    r->loss[epoch] = find(names, values, n, "loss");
    r->ce[epoch] = find(names, values, n, "loss_ce");
    r->reg[epoch] = find(names, values, n, "loss_reg");
    r->acc[epoch] = find(names, values, n, "clean_acc");
}

/* sign: +1 the term must be > 0, -1 < 0, 0 exactly 0 */
static void run(BdWorker *w, const char *reg, int sign, const char *retrain) {
    char key[1024];
    snprintf(key, sizeof key,
             "dataset=synthetic(channels=1,classes=4,size=8,test=64,train=320) arch=cnn-small(conv1=4,conv2=8,fc=16) "
             "trigger=square poison_rate=0.1 regularizer=%s seed=1 train=sgd(batch=32,epochs=2)%s%s",
             reg, retrain ? " retrain=" : "", retrain ? retrain : "");
    Record rec = {0};
    BdSink sink = {&rec, on_metrics, NULL, NULL};
    BdCellOutcome out;
    BdError err = {0};
    BdJobOrder order = {.key = key};
    int rc = bd_cell_run(w, &order, &sink, &out, &err);
    bd_cell_outcome_free(&out);
    CHECK_MSG(rc == 0, "%s: %s", reg, err.msg);
    CHECK_MSG(rec.epochs == 2, "%s: %d training epochs recorded", reg, rec.epochs);
    for (int e = 1; e <= rec.epochs; e++) {
        CHECK_MSG(isfinite(rec.loss[e]) && isfinite(rec.ce[e]) && isfinite(rec.reg[e]), "%s epoch %d: not finite", reg,
                  e);
        CHECK_NEAR(rec.loss[e], rec.ce[e] + rec.reg[e], 1e-5 * (1 + fabs(rec.loss[e])));
        if (sign > 0) CHECK_MSG(rec.reg[e] > 0, "%s epoch %d: loss_reg %g", reg, e, rec.reg[e]);
        if (sign < 0) CHECK_MSG(rec.reg[e] < 0, "%s epoch %d: loss_reg %g", reg, e, rec.reg[e]);
        if (sign == 0) CHECK_MSG(rec.reg[e] == 0, "%s epoch %d: loss_reg %g", reg, e, rec.reg[e]);
    }
    if (retrain) {
        CHECK_MSG(rec.retrain_epochs == 1 && rec.retrain_reg == 0, "%s: retraining %d epochs, loss_reg %g", reg,
                  rec.retrain_epochs, rec.retrain_reg);
    }
    printf("  %-46s loss_ce %.4f -> %.4f  loss_reg %.4f -> %.4f  clean_acc %.3f\n", reg, rec.ce[1], rec.ce[2],
           rec.reg[1], rec.reg[2], rec.acc[2]);
}

int main(void) {
    BdWorker w;
    bd_worker_init(&w, 1);
    run(&w, "none", 0, NULL);
    run(&w, "logit-squeeze", 1, NULL);
    run(&w, "contrastive", 1, NULL);
    run(&w, "snnl", 1, NULL);
    run(&w, "snnl(layers=[stage1,penultimate],weight=-0.1)", -1, NULL);
    run(&w, "manifold-mixup", 0, "finetune(batch=48,epochs=1,fraction=0.1)");
    bd_worker_free(&w);
    return check_result("regularizer runs");
}
