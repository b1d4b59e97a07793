/* Every axis of a sweep, in cell-key order, with its registry. The
 * coordinator validates sweeps against this table; workers parse cell keys
 * with it. */
#ifndef BD_AXES_H
#define BD_AXES_H

#include "cell.h"
#include "spec.h"

const BdAxisDef *bd_axes(void);

#endif
