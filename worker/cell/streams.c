#include "streams.h"

#include <stdio.h>
#include <string.h>

#include "axes.h"
#include "job_keys.h"
#include "rng.h"

#define AX(a) (1u << BD_AXIS_##a)
#define ATTACK (AX(TRIGGER) | AX(STRATEGY) | AX(TARGET))

static const BdStreamDef streams[BD_STREAM_COUNT] = {
    [BD_STREAM_INIT] = {"init", AX(DATASET) | AX(ARCH) | AX(INIT) | AX(SEED), 0, "the initial weights"},
    [BD_STREAM_DATA] = {"data", AX(DATASET) | AX(TRAIN) | AX(RETRAIN) | AX(SEED), 1,
                        "the held-out split, the main phase's batch order, augmentation and dropout"},
    [BD_STREAM_RETRAIN] = {"retrain", AX(DATASET) | AX(TRAIN) | AX(RETRAIN) | AX(SEED), 0,
                           "the retraining phase's batch order, augmentation and dropout"},
    [BD_STREAM_REGULARIZER] = {"regularizer", AX(REGULARIZER) | AX(SEED), 0, "the regularizer's draws"},
    [BD_STREAM_POISON] = {"poison", ATTACK | AX(POISON_RATE) | AX(SEED), 0,
                          "which training samples are poisoned, and where a random trigger goes on them"},
    [BD_STREAM_TEST_TRIGGER] = {"test-trigger", ATTACK | AX(SEED), 0,
                                "where a random trigger goes on the test images"},
};

const BdStreamDef *bd_stream_def(BdStream s) { return &streams[s]; }

int bd_stream_seed(const BdCell *c, BdStream s, uint64_t *seed, BdError *err) {
    const BdStreamDef *d = &streams[s];
    BdCell v = *c;
    if (d->main_retrain && bd_main_retrain(&c->v[BD_AXIS_RETRAIN], &v.v[BD_AXIS_RETRAIN], err) < 0) return -1;
    char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX], absent_buf[BD_AXIS_COUNT * 64], key[BD_KEY_MAX + 32];
    const char *t[BD_AXIS_COUNT], *absent[BD_AXIS_COUNT];
    int n = snprintf(key, sizeof key, "%s ", d->name);
    if (bd_cell_texts(&v, d->axes, texts, t, err) < 0 ||
        bd_axis_absent_texts(bd_axes(), absent, absent_buf, sizeof absent_buf, err) < 0 ||
        bd_key_join(bd_axes(), t, absent, ~d->axes, key + n, sizeof key - (size_t)n, err) < 0)
        return bd_error_prefix(err, "the %s stream: ", d->name);
    *seed = bd_hash_str(key);
    return 0;
}
