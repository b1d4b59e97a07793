/* What a strategy preset's `impl` points at. Private to worker/attack. */
#ifndef BD_STRATEGY_H
#define BD_STRATEGY_H

#include "attack.h"

typedef struct BdStrategyImpl {
    /* Whether a training sample of class y is in the pool poisoning draws from. */
    int (*in_pool)(const BdSpec *s, long target, int y);
    /* The label a poisoned training sample gets. */
    int (*poison_label)(const BdSpec *s, long target, int y, int classes);
    /* For the ASR: whether a test sample counts, and the label the attack wants. */
    int (*eligible)(const BdSpec *s, long target, int y);
    int (*attack_label)(const BdSpec *s, long target, int y, int classes);
    /* Checks that need the dataset (one-to-one's source); may be NULL. */
    int (*check)(const BdSpec *s, long target, int classes, BdError *err);
    /* The pool in words, for errors: "classes other than the target". */
    const char *pool_words;
} BdStrategyImpl;

/* The implementation of a strategy spec; aborts on a name the registry does
 * not know (specs are resolved against the same registry). */
const BdStrategyImpl *bd_strategy_impl(const BdSpec *s);

#endif
