/* Regularizers: the `regularizer` axis (MISSION.md section 6). */
#ifndef BD_REGULARIZERS_H
#define BD_REGULARIZERS_H

#include "spec.h"

extern const BdPreset bd_regularizer_presets[];

#endif
