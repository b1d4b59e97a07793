/* The sweep's `limits:` (sweep.h, sweeps/README.md):
 *
 *     limits:
 *       wall: 2h              # per attempt of a job: a duration, or none
 *       memory: 4GiB          # a size in binary units, or none
 *       attempts: 3           # attempts in all for a job a dead run left running
 *       overrides:            # other limits for some cells, named as exclude names them
 *         - cells: {arch: resnet50}
 *           wall: 8h
 *
 * Every error is located at its node. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"
#include "units.h"

#define MIN_MEMORY ((int64_t)1 << 20)
#define MAX_ATTEMPTS 1000

static int is_none(const yaml_node_t *v) {
    const char *s = sw_scalar(v);
    return s && !strcmp(s, "none");
}

static int parse_wall(const SwCtx *c, yaml_node_t *v, const char *where, double *out) {
    const char *s = sw_scalar(v);
    if (!s || sw_is_null(v))
        return sw_fail(c, v, where, "expected a duration such as 90m, 2h, 1:30:00 or 5400 (seconds), or none; got %s",
                       sw_kind(v));
    if (is_none(v)) {
        *out = 0;
        return 0;
    }
    double d = bd_parse_duration(s);
    if (d < 0)
        return sw_fail(c, v, where,
                       "'%s' is not a duration: expected one such as 90m, 2h, 1h30m, 1:30:00 or 5400 (seconds), or none",
                       s);
    if (d < 1) return sw_fail(c, v, where, "%s: expected at least one second (or none for no limit)", s);
    *out = d;
    return 0;
}

static int parse_memory(const SwCtx *c, yaml_node_t *v, const char *where, int64_t *out) {
    const char *s = sw_scalar(v);
    if (!s || sw_is_null(v))
        return sw_fail(c, v, where, "expected a size such as 300MiB or 4GiB, or none; got %s", sw_kind(v));
    if (is_none(v)) {
        *out = 0;
        return 0;
    }
    int64_t n = bd_parse_size(s);
    if (n < 0) {
        size_t len = strlen(s);
        if (len >= 2 && s[len - 1] == 'B' && strchr("KMGTP", s[len - 2]))
            return sw_fail(c, v, where,
                           "'%s' is ambiguous: write the size in binary units, such as %.*siB (or %.*s, as Slurm's "
                           "--mem counts)",
                           s, (int)(len - 1), s, (int)(len - 1), s);
        return sw_fail(c, v, where, "'%s' is not a size: expected one such as 300MiB, 4GiB, 4G or 1048576 (bytes), or none",
                       s);
    }
    if (n < MIN_MEMORY) return sw_fail(c, v, where, "%s: expected at least 1MiB (or none for no limit)", s);
    *out = n;
    return 0;
}

static int parse_attempts(const SwCtx *c, yaml_node_t *v, const char *where, int *out) {
    const char *s = sw_scalar(v);
    char *end = NULL;
    long n = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || n < 1 || n > MAX_ATTEMPTS)
        return sw_fail(c, v, where, "expected an integer in [1, %d] (attempts in all, the first included), got %s%s%s",
                       MAX_ATTEMPTS, s ? "'" : "", s ? s : sw_kind(v), s ? "'" : "");
    *out = (int)n;
    return 0;
}

/* wall, memory, attempts of a mapping (the other keys are the caller's),
 * into l; the given ones as SW_LIMIT_* bits in *given. */
static int parse_fields(const SwCtx *c, yaml_node_t *map, const char *where, const char *const *other_keys,
                        BdLimits *l, unsigned *given) {
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sw_node(c, pr->key), *v = sw_node(c, pr->value);
        const char *key = sw_scalar(k);
        char sub[128];
        snprintf(sub, sizeof sub, "%s.%s", where, key);
        int rc, other = 0;
        for (int i = 0; other_keys[i]; i++) other |= !strcmp(key, other_keys[i]);
        if (other) continue;
        if (!strcmp(key, "wall")) {
            rc = parse_wall(c, v, sub, &l->wall);
            *given |= SW_LIMIT_WALL;
        } else if (!strcmp(key, "memory")) {
            rc = parse_memory(c, v, sub, &l->memory);
            *given |= SW_LIMIT_MEMORY;
        } else if (!strcmp(key, "attempts")) {
            rc = parse_attempts(c, v, sub, &l->attempts);
            *given |= SW_LIMIT_ATTEMPTS;
        } else {
            char keys[128] = "wall, memory, attempts";
            for (int i = 0; other_keys[i]; i++)
                snprintf(keys + strlen(keys), sizeof keys - strlen(keys), ", %s", other_keys[i]);
            rc = sw_fail(c, k, where, "unknown key '%s' (expected %s)", key, keys);
        }
        if (rc < 0) return -1;
    }
    return 0;
}

static int parse_override(SwCtx *c, yaml_node_t *e, const char *where, BdSweepGrid *g) {
    static const char *const other[] = {"cells", NULL};
    if (e->type != YAML_MAPPING_NODE)
        return sw_fail(c, e, where, "expected a mapping with cells: {axis: value, ...} and the limits, got %s",
                       sw_kind(e));
    if (sw_check_keys(c, e, where) < 0) return -1;
    yaml_node_t *cells = NULL;
    for (yaml_node_pair_t *pr = e->data.mapping.pairs.start; pr < e->data.mapping.pairs.top; pr++)
        if (!strcmp(sw_scalar(sw_node(c, pr->key)), "cells")) cells = sw_node(c, pr->value);
    if (!cells)
        return sw_fail(c, e, where,
                       "missing 'cells': the cells the entry applies to, as an exclude entry names them "
                       "({arch: resnet50})");
    g->rules = bd_xrealloc(g->rules, sizeof *g->rules * (size_t)(g->n_rules + 1));
    SwLimitRule *r = &g->rules[g->n_rules++];
    memset(r, 0, sizeof *r);
    char sub[96];
    snprintf(sub, sizeof sub, "%s.cells", where);
    if (sw_cell_pattern_parse(c, g->ax, cells, sub, "an empty entry would name every cell: give the limit above instead",
                              &r->cells) < 0 ||
        parse_fields(c, e, where, other, &r->set, &r->given) < 0)
        return -1;
    if (!r->given) return sw_fail(c, e, where, "gives no limit: expected wall, memory or attempts beside cells");
    /* Named and located as the entry, as plan and the warning below say it. */
    snprintf(r->cells.where, sizeof r->cells.where, "%s", where);
    r->cells.line = sw_line(e);
    r->cells.col = sw_col(e);
    sw_cell_pattern_warn_unmatched(c, g->ax, &r->cells);
    return 0;
}

int sw_limits_parse(SwCtx *c, yaml_node_t *node, BdSweepGrid *g, BdSweepLimits *out) {
    static const char *const other[] = {"overrides", NULL};
    memset(out, 0, sizeof *out);
    out->all.attempts = BD_LIMITS_ATTEMPTS;
    if (!node || sw_is_null(node)) return 0;
    if (node->type != YAML_MAPPING_NODE)
        return sw_fail(c, node, "limits", "expected a mapping (wall, memory, attempts, overrides), got %s",
                       sw_kind(node));
    if (sw_check_keys(c, node, "limits") < 0) return -1;
    unsigned given = 0;
    if (parse_fields(c, node, "limits", other, &out->all, &given) < 0) return -1;
    for (yaml_node_pair_t *pr = node->data.mapping.pairs.start; pr < node->data.mapping.pairs.top; pr++) {
        if (strcmp(sw_scalar(sw_node(c, pr->key)), "overrides")) continue;
        yaml_node_t *list = sw_node(c, pr->value);
        if (list->type != YAML_SEQUENCE_NODE)
            return sw_fail(c, list, "limits.overrides", "expected a list of {cells: {...}, wall: ..., ...}, got %s",
                           sw_kind(list));
        int i = 0;
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++, i++) {
            char where[64];
            snprintf(where, sizeof where, "limits.overrides[%d]", i);
            if (parse_override(c, sw_node(c, *it), where, g) < 0) return -1;
        }
    }
    return 0;
}

BdLimits sw_limits_of(const BdSweepGrid *g, const BdLimits *all, const int *idx) {
    BdLimits l = *all;
    for (int i = 0; i < g->n_rules; i++) {
        const SwLimitRule *r = &g->rules[i];
        if (!sw_cell_pattern_matches(&r->cells, idx)) continue;
        if (r->given & SW_LIMIT_WALL) l.wall = r->set.wall;
        if (r->given & SW_LIMIT_MEMORY) l.memory = r->set.memory;
        if (r->given & SW_LIMIT_ATTEMPTS) l.attempts = r->set.attempts;
    }
    return l;
}

void sw_memory_limit_source(const BdSweepGrid *g, const int *idx, char *out, size_t cap) {
    for (int i = g->n_rules - 1; i >= 0; i--) {
        const SwLimitRule *r = &g->rules[i];
        if (!(r->given & SW_LIMIT_MEMORY) || !sw_cell_pattern_matches(&r->cells, idx)) continue;
        snprintf(out, cap, "%s, line %d", r->cells.where, r->cells.line);
        return;
    }
    snprintf(out, cap, "limits.memory");
}

BdLimits bd_sweep_limits_of(const BdSweep *sw, const BdSweepWalk *w) {
    return sw_limits_of(sw->grid, &sw->limits.all, w->idx);
}

int bd_sweep_limit_overrides(const BdSweep *sw) { return sw->grid ? sw->grid->n_rules : 0; }

void bd_sweep_limit_override_describe(const BdSweep *sw, int i, char *out, size_t cap) {
    const SwLimitRule *r = &sw->grid->rules[i];
    char wall[32], mem[32];
    size_t o = (size_t)snprintf(out, cap, "%s (line %d):", r->cells.where, r->cells.line);
    if (r->given & SW_LIMIT_WALL) {
        if (r->set.wall > 0) bd_format_duration(r->set.wall, wall, sizeof wall);
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, " wall %s", r->set.wall > 0 ? wall : "none");
    }
    if (r->given & SW_LIMIT_MEMORY) {
        if (r->set.memory > 0) bd_format_size(r->set.memory, mem, sizeof mem);
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s memory %s", r->given & SW_LIMIT_WALL ? "," : "",
                              r->set.memory > 0 ? mem : "none");
    }
    if (r->given & SW_LIMIT_ATTEMPTS)
        snprintf(out + o, o < cap ? cap - o : 0, "%s %d attempts", r->given & (SW_LIMIT_WALL | SW_LIMIT_MEMORY) ? "," : "",
                 r->set.attempts);
}

void bd_limits_widen(BdLimits *to, const BdLimits *from) {
    if (to->wall > 0 && (from->wall <= 0 || from->wall > to->wall)) to->wall = from->wall;
    if (to->memory > 0 && (from->memory <= 0 || from->memory > to->memory)) to->memory = from->memory;
    if (from->attempts > to->attempts) to->attempts = from->attempts;
}

int bd_limits_equal(const BdLimits *a, const BdLimits *b) {
    return a->wall == b->wall && a->memory == b->memory && a->attempts == b->attempts;
}

void bd_limits_describe(const BdLimits *l, char *out, size_t cap) {
    char wall[32], mem[32];
    bd_format_duration(l->wall, wall, sizeof wall);
    bd_format_size(l->memory, mem, sizeof mem);
    if (l->wall > 0 && l->memory > 0) snprintf(out, cap, "wall %s, memory %s", wall, mem);
    else if (l->wall > 0) snprintf(out, cap, "wall %s, no memory limit", wall);
    else if (l->memory > 0) snprintf(out, cap, "no wall-time limit, memory %s", mem);
    else snprintf(out, cap, "no wall-time or memory limit");
    snprintf(out + strlen(out), cap - strlen(out), ", %d attempt%s", l->attempts, l->attempts == 1 ? "" : "s");
}
