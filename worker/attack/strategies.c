/* The strategy registry (docs/EXPERIMENT.md section 3):
 *
 *   strategy     training pool        poisoned label      ASR eligible    attack label
 *   all-to-one   y != target          target              y != target     target
 *   one-to-one   y == source          target              y == source     target
 *   all-to-all   every y              (y + 1) mod C       every y         (y + 1) mod C
 *   clean-label  y == target          y (unchanged)       y != target     target
 */
#include <stdio.h>
#include <stdlib.h>
#include "strategy.h"

static int not_target(const BdSpec *s, long target, int y) {
    (void)s;
    return y != target;
}
static int is_target(const BdSpec *s, long target, int y) {
    (void)s;
    return y == target;
}
static int is_source(const BdSpec *s, long target, int y) {
    (void)target;
    return y == bd_spec_int(s, "source");
}
static int any_class(const BdSpec *s, long target, int y) {
    (void)s;
    (void)target;
    (void)y;
    return 1;
}
static int to_target(const BdSpec *s, long target, int y, int classes) {
    (void)s;
    (void)y;
    (void)classes;
    return (int)target;
}
static int to_next(const BdSpec *s, long target, int y, int classes) {
    (void)s;
    (void)target;
    return (y + 1) % classes;
}
static int unchanged(const BdSpec *s, long target, int y, int classes) {
    (void)s;
    (void)target;
    (void)classes;
    return y;
}

/* The source must be another class of the dataset. */
static int check_source(const BdSpec *s, long target, int classes, BdError *err) {
    long source = bd_spec_int(s, "source");
    if (source >= classes)
        return bd_fail(err, "one-to-one: source class %ld is out of range: the dataset has classes 0..%d", source,
                       classes - 1);
    if (source == target)
        return bd_fail(err, "one-to-one: source class %ld equals the target: expected a different class", source);
    return 0;
}

static const BdStrategyImpl all_to_one = {not_target, to_target, not_target, to_target, NULL,
                                          "classes other than the target"};
static const BdStrategyImpl one_to_one = {is_source, to_target, is_source, to_target, check_source, "the source class"};
static const BdStrategyImpl all_to_all = {any_class, to_next, any_class, to_next, NULL, "every class"};
static const BdStrategyImpl clean_label = {is_target, unchanged, not_target, to_target, NULL, "the target class"};

static const BdParamDef none_params[] = {{0}};
static const BdParamDef one_to_one_params[] = {
    {"source", BD_PARAM_INT, NULL, 0, 100000, NULL, "the class whose samples are poisoned"},
    {0},
};

const BdPreset bd_strategy_presets[] = {
    {"all-to-one", "dirty label: non-target samples get the trigger and the target label", none_params, NULL, &all_to_one},
    {"one-to-one", "dirty label: source-class samples get the trigger and the target label", one_to_one_params, NULL,
     &one_to_one},
    {"all-to-all", "dirty label: any sample gets the trigger and label (y + 1) mod C", none_params, NULL, &all_to_all},
    {"clean-label", "target-class samples get the trigger, labels untouched", none_params, NULL, &clean_label},
    {0},
};

const BdStrategyImpl *bd_strategy_impl(const BdSpec *s) {
    const BdPreset *p = bd_preset_find(bd_strategy_presets, s->name);
    if (!p || !p->impl) {
        fprintf(stderr, "bdsweep: internal error: strategy '%s' is not in the registry\n", s->name);
        abort();
    }
    return p->impl;
}

int bd_strategy_check(const BdSpec *s, long target, int classes, BdError *err) {
    if (target < 0 || target >= classes)
        return bd_fail(err, "target class %ld is out of range: the dataset has classes 0..%d", target, classes - 1);
    const BdStrategyImpl *impl = bd_strategy_impl(s);
    return impl->check ? impl->check(s, target, classes, err) : 0;
}

int bd_strategy_eligible(const BdSpec *s, long target, int y) { return bd_strategy_impl(s)->eligible(s, target, y); }

int bd_strategy_attack_label(const BdSpec *s, long target, int y, int classes) {
    return bd_strategy_impl(s)->attack_label(s, target, y, classes);
}
