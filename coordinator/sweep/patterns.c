/* Sets of cells named by patterns of axis values: an `exclude` entry, the
 * cells of a `limits.overrides` entry. A pattern lists some axes, each with
 * a value pattern (sweep_values.c: a preset name matches all its values, a
 * mapping the values whose parameters it lists are equal); a cell matches
 * when its value matches on every axis listed. Matching is decided once per
 * value of the sweep, so a cell costs one lookup per axis. */
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

int sw_cell_pattern_parse(const SwCtx *c, const SwAxis *ax, yaml_node_t *map, const char *where, const char *empty_means,
                          SwCellPattern *out) {
    memset(out, 0, sizeof *out);
    out->line = sw_line(map);
    out->col = sw_col(map);
    snprintf(out->where, sizeof out->where, "%s", where);
    if (map->type != YAML_MAPPING_NODE)
        return sw_fail(c, map, where, "expected a mapping of axis: value, got %s", sw_kind(map));
    if (map->data.mapping.pairs.start == map->data.mapping.pairs.top)
        return sw_fail(c, map, where, "empty entry: expected at least one axis: value (%s)", empty_means);
    if (sw_check_keys(c, map, where) < 0) return -1;
    BdSpec *pattern = bd_xmalloc(sizeof *pattern);
    int rc = 0;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; rc == 0 && pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sw_node(c, pr->key), *v = sw_node(c, pr->value);
        int axis = bd_axis_index(c->axes, sw_scalar(k));
        if (axis < 0) {
            char names[512];
            bd_axis_list(c->axes, names, sizeof names);
            rc = sw_fail(c, k, where, "unknown axis '%s' (expected one of: %s)", sw_scalar(k), names);
            break;
        }
        char sub[128];
        snprintf(sub, sizeof sub, "%s.%s", where, c->axes[axis].name);
        if ((rc = sw_axis_pattern(c, (BdAxis)axis, v, sub, pattern)) < 0) break;
        const SwAxis *a = &ax[axis];
        out->match[axis] = bd_xcalloc((size_t)a->n, 1);
        /* A scalar axis' value is its canonical text, as is its pattern's name. */
        for (int i = 0; i < a->n; i++)
            out->match[axis][i] = (unsigned char)(a->specs ? sw_pattern_matches(pattern, &a->specs[i])
                                                           : !strcmp(pattern->name, a->values[i].text));
    }
    free(pattern);
    return rc;
}

int sw_cell_pattern_matches(const SwCellPattern *p, const int *idx) {
    for (int a = 0; a < BD_AXIS_COUNT; a++)
        if (p->match[a] && !p->match[a][idx[a]]) return 0;
    return 1;
}

/* The grid is a full product, so a pattern matches some cell exactly when
 * each axis it lists matches some value. */
void sw_cell_pattern_warn_unmatched(SwCtx *c, const SwAxis *ax, const SwCellPattern *p) {
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (!p->match[a]) continue;
        int any = 0;
        for (int v = 0; v < ax[a].n; v++) any |= p->match[a][v];
        if (!any) {
            sw_warn(c, p->line, p->col, p->where, "matches no cell: no %s of the sweep matches its %s",
                    c->axes[a].name, c->axes[a].name);
            return;
        }
    }
}

void sw_cell_pattern_free(SwCellPattern *p) {
    for (int a = 0; a < BD_AXIS_COUNT; a++) free(p->match[a]);
    memset(p, 0, sizeof *p);
}
