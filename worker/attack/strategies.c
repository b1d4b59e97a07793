/* The strategy registry (MISSION.md section 3). */
#include "attack.h"

static const BdParamDef none_params[] = {{0}};
static const BdParamDef one_to_one_params[] = {
    {"source", BD_PARAM_INT, NULL, 0, 100000, NULL, "the class whose samples are poisoned"},
    {0},
};

const BdPreset bd_strategy_presets[] = {
    {"all-to-one", "dirty label: non-target samples get the trigger and the target label", none_params, NULL, NULL},
    {"one-to-one", "dirty label: source-class samples get the trigger and the target label", one_to_one_params, NULL,
     NULL},
    {"all-to-all", "dirty label: any sample gets the trigger and label (y + 1) mod C", none_params, NULL, NULL},
    {"clean-label", "target-class samples get the trigger, labels untouched", none_params, NULL, NULL},
    {0},
};

#include <string.h>

int bd_strategy_check(const BdSpec *s, long target, int classes, BdError *err) {
    if (target < 0 || target >= classes)
        return bd_fail(err, "target class %ld is out of range: the dataset has classes 0..%d", target, classes - 1);
    if (!strcmp(s->name, "one-to-one")) {
        long source = bd_spec_int(s, "source");
        if (source >= classes)
            return bd_fail(err, "one-to-one: source class %ld is out of range: the dataset has classes 0..%d", source,
                           classes - 1);
        if (source == target)
            return bd_fail(err, "one-to-one: source class %ld equals the target: expected a different class", source);
    }
    return 0;
}

int bd_strategy_eligible(const BdSpec *s, long target, int y) {
    if (!strcmp(s->name, "one-to-one")) return y == bd_spec_int(s, "source");
    if (!strcmp(s->name, "all-to-all")) return 1;
    return y != target; /* all-to-one, clean-label */
}

int bd_strategy_attack_label(const BdSpec *s, long target, int y, int classes) {
    if (!strcmp(s->name, "all-to-all")) return (y + 1) % classes;
    return (int)target;
}
