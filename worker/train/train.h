/* Training a cell: the `train`, `init` and `retrain` axes and the loop that
 * runs them. */
#ifndef BD_TRAIN_H
#define BD_TRAIN_H

#include "spec.h"

extern const BdPreset bd_train_presets[];
extern const BdPreset bd_init_presets[];
extern const BdPreset bd_retrain_presets[];

#endif
