/* The random streams of a job. Each source of randomness has a stream of its
 * own, seeded from the canonical texts of the axes it depends on and nothing
 * else, so that two jobs that agree on those axes draw the same numbers:
 *
 *   stream        what it draws                                 the axes it depends on
 *   init          the initial weights                           dataset, arch, init, seed
 *   data          the held-out split, the main phase's batch    dataset, train, retrain (its
 *                 order, augmentation and dropout masks          held-out fraction), seed
 *   retrain       the retraining phase's batch order, ...       dataset, train, retrain, seed
 *   regularizer   the regularizer's draws (manifold mixup)      regularizer, seed
 *   poison        which samples are poisoned, and where a       trigger, strategy, target,
 *                 randomly placed trigger goes on them           poison_rate, seed
 *   test-trigger  where a randomly placed trigger goes on the   trigger, strategy, target, seed
 *                 test images the ASR is measured on
 *
 * So a poisoned model and its clean baseline of the same seed start from the
 * same weights, see the same batches in the same order and are measured on
 * the same triggered images; only the poisoning differs. A regularized model
 * and its unregularized twin differ only by the regularizer. None depends on
 * the rank that runs the job or on how many ranks there are. Within a
 * stream, draws are indexed by what they are for (the epoch, the step:
 * worker/train/trainer.c), so a resumed job continues with the same numbers.
 * results/README.md documents this table for people who query the database. */
#ifndef BD_STREAMS_H
#define BD_STREAMS_H

#include <stdint.h>

#include "cell.h"

typedef enum {
    BD_STREAM_INIT,
    BD_STREAM_DATA,
    BD_STREAM_RETRAIN,
    BD_STREAM_REGULARIZER,
    BD_STREAM_POISON,
    BD_STREAM_TEST_TRIGGER,
    BD_STREAM_COUNT
} BdStream;

typedef struct BdStreamDef {
    const char *name;
    unsigned axes;     /* bit 1u << axis of each axis it depends on */
    int main_retrain;  /* reads the retraining setting reduced to its held-out fraction */
    const char *draws; /* for the docs */
} BdStreamDef;

const BdStreamDef *bd_stream_def(BdStream s);

/* The seed of stream s for a job's cell: a hash of the stream's name and the
 * key of its axes (axes at their absent value left out, so a new axis never
 * changes an old stream). Axes the job does not have must not be read: a
 * clean model has no attack, so it never asks for poison. */
int bd_stream_seed(const BdCell *c, BdStream s, uint64_t *seed, BdError *err);

/* All the streams of a job that it has (the attack's are 0 for a clean model). */
typedef struct BdJobStreams {
    uint64_t seed[BD_STREAM_COUNT];
} BdJobStreams;

#endif
