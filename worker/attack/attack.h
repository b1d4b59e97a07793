/* Attacks: the `trigger` and `strategy` axes (docs/EXPERIMENT.md sections 3 and 4).
 *
 * A trigger is made once per cell for an image shape (its pattern, mask and
 * any seeded randomness fixed at that point) and then applied to uint8 images
 * in place, clipped to [0, 255]. A location of `random` draws the position per
 * image from the rng the caller passes, so the caller decides the stream.
 *
 * Patch triggers are pasted as out = round((1 - a) x + a p) (ties round up),
 * a the spec's alpha times the pattern's own opacity (0 off a glyph, a PNG's
 * alpha channel). Locations: top-left (margin, margin), top-right
 * (w - size - margin, margin), bottom-left, bottom-right likewise, center
 * ((w - size) / 2, (h - size) / 2) ignoring the margin, x/y fixed, random
 * uniform over [margin, w - size - margin] x [margin, h - size - margin]
 * (x drawn first). blend covers the whole image; sinusoid adds
 * delta sin(2 pi col frequency / w) to every row and channel. A colour list
 * of one value paints every channel; of three on a 1-channel image, its
 * luminance round(0.299 R + 0.587 G + 0.114 B).
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
/* The trigger's own randomness (noise patterns) comes from the stream
 * (seed, "trigger-pattern", pattern_seed): pass seed 0 for a pattern fixed by
 * the spec alone, or a cell-derived seed for one that varies per replicate. */
int bd_trigger_make(const BdSpec *spec, BdDataShape shape, uint64_t seed, BdTrigger **out, BdError *err);
/* img: [c][h][w] uint8 of the shape the trigger was made for. rng is used
 * only by location=random (and must then be non-NULL). */
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
/* Poisons split in place. rng chooses the samples (bd_rng_choose over the
 * pool in index order); the chosen samples are then triggered in ascending
 * index order, trigger_rng feeding random trigger locations (may be NULL for
 * fixed ones). A rate of 0 changes nothing and needs no trigger. On failure
 * the split is untouched. report->pool is filled even when the count is 0. */
int bd_poison(const BdSpec *strategy, long target, double rate, const BdTrigger *t, BdSplit *split,
              BdDataShape shape, BdRng *rng, BdRng *trigger_rng, BdPoisonReport *report, BdError *err);
void bd_poison_report_free(BdPoisonReport *r);

/* ASR eligibility of a test sample and the label the attack wants for it. */
int bd_strategy_eligible(const BdSpec *strategy, long target, int y);
int bd_strategy_attack_label(const BdSpec *strategy, long target, int y, int classes);

#endif
