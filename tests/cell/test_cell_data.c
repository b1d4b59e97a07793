/* The data a cell trains and is measured on (docs/EXPERIMENT.md section 3): the
 * held-out clean split is taken off before poisoning, never poisoned, and
 * disjoint from the training split and from the test set; the training split
 * gets exactly round(rate * n) poisoned samples; the triggered test set holds
 * exactly the eligible test images. */
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "cell_data.h"
#include "check.h"

/* Index of img among the n images of s whose pixels outside the trigger's
 * corner (bottom-right size x size) are equal, or -1. The synthetic images are
 * noisy enough that no two share those pixels. */
static int find(const BdSplit *s, BdDataShape sh, const uint8_t *img, int size) {
    size_t per = (size_t)sh.c * sh.h * sh.w;
    for (int i = 0; i < s->n; i++) {
        const uint8_t *o = s->x + (size_t)i * per;
        int same = 1;
        for (int c = 0; c < sh.c && same; c++)
            for (int y = 0; y < sh.h && same; y++)
                for (int x = 0; x < sh.w && same; x++) {
                    if (y >= sh.h - size && x >= sh.w - size) continue;
                    size_t k = ((size_t)c * sh.h + y) * sh.w + x;
                    same = o[k] == img[k];
                }
        if (same) return i;
    }
    return -1;
}

int main(void) {
    const char *key = "dataset=synthetic(classes=4,size=12,test=300,train=800) arch=cnn-small trigger=square "
                      "poison_rate=0.25 train=sgd(limit_train=600) retrain=finetune(fraction=0.3)";
    static BdCell cell;
    BdError err = {0};
    CHECK_MSG(bd_cell_parse(bd_axes(), key, &cell, &err) == 0, "%s", err.msg);
    BdDataset d;
    CHECK_MSG(bd_dataset_load(&cell.v[BD_AXIS_DATASET], &d, &err) == 0, "%s", err.msg);
    BdJob job = {BD_JOB_CELL, cell};
    BdJobPlan plan;
    bd_job_plan(&job, d.train.n, d.test.n, &plan);
    BdCellData cd;
    CHECK_MSG(bd_cell_data_prepare(&d, &job, &plan, NULL, 0, NULL, &cd, &err) == 0, "%s", err.msg);
    BdDataShape sh = d.shape;
    size_t per = (size_t)sh.c * sh.h * sh.w;

    /* 600 samples after limit_train: 180 held out, 420 to train on, of which
     * round(0.25 * 420) = 105 poisoned. */
    CHECK(cd.held.n == 180 && cd.train.n == 420);
    int *owner = calloc(600, sizeof *owner); /* 1 held, 2 train */
    BdSplit first600 = {600, d.train.x, d.train.y};
    int poisoned = 0;
    for (int i = 0; i < cd.held.n; i++) {
        const uint8_t *img = cd.held.x + (size_t)i * per;
        int k = find(&first600, sh, img, 3);
        CHECK(k >= 0);
        if (k < 0) continue;
        /* Never poisoned: bit-identical to the original, its label too. */
        CHECK(!memcmp(img, d.train.x + (size_t)k * per, per) && cd.held.y[i] == d.train.y[k]);
        CHECK(owner[k] == 0);
        owner[k] = 1;
        /* Not in the test set either. */
        CHECK(find(&d.test, sh, img, 0) < 0);
    }
    for (int i = 0; i < cd.train.n; i++) {
        const uint8_t *img = cd.train.x + (size_t)i * per;
        int k = find(&first600, sh, img, 3);
        CHECK(k >= 0);
        if (k < 0) continue;
        CHECK(owner[k] == 0); /* disjoint from the held-out split */
        owner[k] = 2;
        if (memcmp(img, d.train.x + (size_t)k * per, per)) {
            poisoned++;
            CHECK(cd.train.y[i] == 0 && d.train.y[k] != 0); /* all-to-one: a non-target sample relabelled 0 */
        }
    }
    int covered = 0;
    for (int k = 0; k < 600; k++) covered += owner[k] != 0;
    CHECK(covered == 600);
    CHECK_MSG(poisoned == 105, "%d poisoned", poisoned);

    /* The triggered test set: every test image whose label is not the target. */
    int eligible = 0;
    for (int i = 0; i < d.test.n; i++) eligible += d.test.y[i] != 0;
    CHECK(cd.ev.n_attacks == 1);
    const BdAttackEval *a = &cd.ev.attacks[0];
    CHECK_STR(a->key, "trigger=square");
    CHECK(a->triggered.n == eligible && cd.test.n == 300);
    for (int i = 0; i < a->triggered.n; i++) CHECK(a->triggered.y[i] == 0 && a->triggered_true[i] != 0);

    free(owner);
    bd_cell_data_free(&cd);
    bd_dataset_free(&d);
    return check_result("test_cell_data");
}
