/* Attacks: the `trigger` and `strategy` axes (MISSION.md sections 3 and 4).
 *
 * A trigger is made once per cell for an image shape (its pattern, mask and
 * any seeded randomness fixed at that point) and then applied to uint8 images
 * in place, clipped to [0, 255]. A location of `random` draws the position per
 * image from the rng the caller passes, so the caller decides the stream.
 *
 * A strategy decides which samples are poisoned and how labels change:
 *   all-to-one   pool: train samples with y != target;   label -> target
 *   one-to-one   pool: train samples with y == source;   label -> target
 *   all-to-all   pool: every train sample;               label -> (y + 1) mod C
 *   clean-label  pool: train samples with y == target;   label unchanged
 * round(rate * n_train) samples of the pool are chosen uniformly with the
 * cell's rng and receive the trigger in place. A pool smaller than the count
 * is an error that says so.
 *
 * For the ASR, a test image is eligible when y != target (all-to-one and
 * clean-label), y == source (one-to-one), always (all-to-all); its attack
 * label is target, or (y + 1) mod C for all-to-all. */
#ifndef BD_ATTACK_H
#define BD_ATTACK_H

#include <stdint.h>

#include "dataset.h"
#include "rng.h"
#include "spec.h"

extern const BdPreset bd_trigger_presets[];
extern const BdPreset bd_strategy_presets[];

typedef struct BdTrigger BdTrigger;

/* Checks that a resolved trigger spec fits an image shape (a trigger larger
 * than the image is an error naming both). For validation before a sweep. */
int bd_trigger_check_fit(const BdSpec *spec, BdDataShape shape, BdError *err);
/* seed fixes the trigger's own randomness (noise patterns). */
int bd_trigger_make(const BdSpec *spec, BdDataShape shape, uint64_t seed, BdTrigger **out, BdError *err);
/* img: [c][h][w] uint8. rng is used only by location=random. */
void bd_trigger_apply(const BdTrigger *t, uint8_t *img, BdRng *rng);
void bd_trigger_free(BdTrigger *t);

typedef struct BdPoisonReport {
    int pool;        /* eligible training samples */
    int poisoned;    /* round(rate * n) */
    int *indices;    /* [poisoned], sorted; owned, free with bd_poison_report_free */
} BdPoisonReport;

/* Checks a resolved strategy against the target and class count (target and
 * source in range, source != target). */
int bd_strategy_check(const BdSpec *strategy, long target, int classes, BdError *err);
/* Poisons split in place. rng chooses the samples; trigger_rng feeds random
 * trigger locations. */
int bd_poison(const BdSpec *strategy, long target, double rate, const BdTrigger *t, BdSplit *split,
              BdDataShape shape, BdRng *rng, BdRng *trigger_rng, BdPoisonReport *report, BdError *err);
void bd_poison_report_free(BdPoisonReport *r);

/* ASR eligibility of a test sample and the label the attack wants for it. */
int bd_strategy_eligible(const BdSpec *strategy, long target, int y);
int bd_strategy_attack_label(const BdSpec *strategy, long target, int y, int classes);

#endif
