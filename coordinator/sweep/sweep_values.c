/* YAML nodes as axis values. A value is
 *   - a number, for the scalar axes (target, poison_rate, seed);
 *   - a preset name (`square`), or its canonical text (`square(size=4)`);
 *   - a mapping {name: square, size: 4, ...}: parameters are scalars or lists
 *     of scalars. Axes with an implicit preset (train -> sgd) may omit `name`,
 *     and a few presets are named by a key (init: {pretrained: clean}).
 * Each parameter is checked on its own first, so that an error points at the
 * parameter's node; then the whole value is resolved against its preset
 * (defaults, rules across parameters) by bd_spec_resolve. */
#include <stdio.h>
#include <string.h>

#include "sweep_internal.h"

/* Presets a mapping may name by a key instead of `name:`: the key's value is
 * the given parameter. init: {pretrained: clean, trainable: head} is
 * {name: pretrained, source: clean, trainable: head}. */
static const struct {
    BdAxis axis;
    const char *preset, *param;
} keyed_presets[] = {
    {BD_AXIS_INIT, "pretrained", "source"},
};

static const char *keyed_param(BdAxis axis, const char *key) {
    for (size_t i = 0; i < sizeof keyed_presets / sizeof keyed_presets[0]; i++)
        if (keyed_presets[i].axis == axis && !strcmp(keyed_presets[i].preset, key)) return keyed_presets[i].param;
    return NULL;
}

/* bd_axis_value_parse names the axis first ("poison_rate: ..."); the YAML path
 * in front of our messages already does. */
static void strip_axis_name(BdError *err, const char *axis) {
    if (!err) return;
    size_t n = strlen(axis);
    if (!strncmp(err->msg, axis, n) && err->msg[n] == ':' && err->msg[n + 1] == ' ')
        memmove(err->msg, err->msg + n + 2, strlen(err->msg + n + 2) + 1);
}

static void scalar_expectation(const BdAxisDef *a, char *out, size_t cap) {
    snprintf(out, cap, "%s in [%.15g, %.15g]", a->kind == BD_AXIS_INT ? "an integer" : "a number", a->min, a->max);
}

static int scalar_axis_value(const SwCtx *c, BdAxis axis, yaml_node_t *node, const char *where, BdSpec *out) {
    const BdAxisDef *a = &c->axes[axis];
    if (!sw_scalar(node) || sw_is_null(node)) {
        char exp[128];
        scalar_expectation(a, exp, sizeof exp);
        return sw_fail(c, node, where, "expected %s, got %s", exp, sw_kind(node));
    }
    if (bd_axis_value_parse(c->axes, axis, sw_scalar(node), out, c->err) < 0) {
        strip_axis_name(c->err, a->name);
        return sw_fail_prefix(c, node, where);
    }
    return 0;
}

/* Appends item to a list text, quoted when it holds list syntax. */
static int append_item(char *out, size_t cap, size_t *o, const char *item, int first) {
    char buf[BD_SPEC_VAL_MAX];
    size_t b = 0;
    if (!first) buf[b++] = ',';
    int quote = bd_text_needs_quotes(item);
    if (quote) buf[b++] = '"';
    for (const char *p = item; *p; p++) {
        if (b + 3 >= sizeof buf) return -1;
        if (quote && (*p == '"' || *p == '\\')) buf[b++] = '\\';
        buf[b++] = *p;
    }
    if (quote) buf[b++] = '"';
    buf[b] = '\0';
    if (*o + b + 2 > cap) return -1; /* room for the closing bracket */
    memcpy(out + *o, buf, b + 1);
    *o += b;
    return 0;
}

/* The raw text of a parameter: a scalar's text, or "[a,b,...]" for a list of
 * scalars. */
static int param_raw(const SwCtx *c, const char *preset, const char *key, yaml_node_t *v, const char *where,
                     char *out, size_t cap, int *is_list) {
    *is_list = 0;
    if (v->type == YAML_SCALAR_NODE) {
        if (sw_is_null(v))
            return sw_fail(c, v, where, "%s: parameter '%s': expected a value, got nothing", preset, key);
        if (strlen(sw_scalar(v)) >= cap)
            return sw_fail(c, v, where, "%s: parameter '%s': value is too long (at most %zu characters)", preset, key,
                           cap - 1);
        snprintf(out, cap, "%s", sw_scalar(v));
        return 0;
    }
    if (v->type == YAML_MAPPING_NODE)
        return sw_fail(c, v, where, "%s: parameter '%s': expected a value or a list of values, got a mapping", preset,
                       key);
    *is_list = 1;
    size_t o = 0;
    out[o++] = '[';
    int i = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++) {
        yaml_node_t *item = sw_node(c, *it);
        if (!sw_scalar(item) || sw_is_null(item))
            return sw_fail(c, item, where, "%s: parameter '%s': element %d: expected a value, got %s", preset, key,
                           i + 1, sw_kind(item));
        if (append_item(out, cap, &o, sw_scalar(item), i == 0) < 0)
            return sw_fail(c, v, where, "%s: parameter '%s': list is too long (at most %zu characters)", preset, key,
                           cap - 1);
    }
    out[o++] = ']';
    out[o] = '\0';
    return 0;
}

static const BdPreset *find_preset(const SwCtx *c, BdAxis axis, const char *name, yaml_node_t *node,
                                   const char *where) {
    const BdAxisDef *a = &c->axes[axis];
    const BdPreset *p = bd_preset_find(a->presets, name);
    if (!p) {
        char names[1024];
        bd_preset_names(a->presets, names, sizeof names);
        sw_fail(c, node, where, "unknown %s '%s' (expected one of: %s)", a->name, name, names);
    }
    return p;
}

/* Checks one parameter of preset p and stores its canonical value in out. */
static int add_param(const SwCtx *c, const BdPreset *p, const char *key, const char *raw, int is_list,
                     yaml_node_t *key_node, yaml_node_t *val_node, const char *where, BdSpec *out) {
    const BdParamDef *d = bd_param_find(p, key);
    if (!d) {
        char names[1024];
        bd_param_names(p, names, sizeof names);
        return sw_fail(c, key_node, where, "%s: unknown parameter '%s' (expected one of: %s)", p->name, key, names);
    }
    int list_type = d->type == BD_PARAM_INT_LIST || d->type == BD_PARAM_STRING_LIST;
    if (is_list && !list_type)
        return sw_fail(c, val_node, where, "%s: parameter '%s': expected one value, got a list", p->name, key);
    char canon[BD_SPEC_VAL_MAX] = "";
    /* An optional parameter given as "" stays unset, as in bd_spec_resolve. */
    if (!(d->def && !d->def[0] && !raw[0]) && bd_param_canonical(d, raw, canon, sizeof canon, c->err) < 0) {
        bd_error_prefix(c->err, "%s: parameter '%s': ", p->name, key);
        return sw_fail_prefix(c, val_node, where);
    }
    if (bd_spec_find(out, key) >= 0)
        return sw_fail(c, key_node, where, "%s: parameter '%s' is given twice", p->name, key);
    if (bd_spec_set(out, key, canon, c->err) < 0) return sw_fail_prefix(c, val_node, where);
    return 0;
}

/* A scalar "name" or "name(k=v,...)": the preset and the listed parameters. */
static int partial_from_scalar(const SwCtx *c, BdAxis axis, yaml_node_t *node, const char *where, BdSpec *out) {
    const char *text = sw_scalar(node), *end;
    BdSpec raw;
    if (bd_spec_parse(&raw, text, &end, c->err) < 0) return sw_fail_prefix(c, node, where);
    if (*end)
        return sw_fail(c, node, where,
                       "unexpected text '%.40s' after '%.*s': expected a %s name or name(key=value,...)", end,
                       (int)(end - text), text, c->axes[axis].name);
    const BdPreset *p = find_preset(c, axis, raw.name, node, where);
    if (!p) return -1;
    bd_spec_init(out, p->name);
    for (int i = 0; i < raw.n; i++)
        if (add_param(c, p, bd_spec_key(&raw, i), bd_spec_val(&raw, i), bd_spec_val(&raw, i)[0] == '[', node, node, where, out) < 0)
            return -1;
    return 0;
}

/* A mapping {name: P, k: v, ...} (or implicit/keyed preset). */
static int partial_from_mapping(const SwCtx *c, BdAxis axis, yaml_node_t *map, const char *where, BdSpec *out) {
    const BdAxisDef *a = &c->axes[axis];
    if (sw_check_keys(c, map, where) < 0) return -1;
    /* First the preset's name: from `name:`, a keyed preset, or the axis' implicit preset. */
    const char *name = NULL, *named_by = NULL;
    yaml_node_t *name_node = map;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sw_node(c, pr->key), *v = sw_node(c, pr->value);
        const char *key = sw_scalar(k);
        int is_name = !strcmp(key, "name"), keyed = keyed_param(axis, key) != NULL;
        if (!is_name && !keyed) continue;
        if (name) return sw_fail(c, k, where, "'%s' and '%s' both name the %s: give one", named_by, key, a->name);
        named_by = key;
        if (is_name) {
            if (!sw_scalar(v) || sw_is_null(v))
                return sw_fail(c, v, where, "name: expected a %s name, got %s", a->name, sw_kind(v));
            name = sw_scalar(v);
            name_node = v;
        } else {
            name = key;
            name_node = k;
        }
    }
    if (!name) name = a->implicit_name;
    if (!name) {
        char names[1024];
        bd_preset_names(a->presets, names, sizeof names);
        return sw_fail(c, map, where, "expected a 'name:' key naming the %s (one of: %s)", a->name, names);
    }
    const BdPreset *p = find_preset(c, axis, name, name_node, where);
    if (!p) return -1;
    bd_spec_init(out, p->name);
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sw_node(c, pr->key), *v = sw_node(c, pr->value);
        const char *key = sw_scalar(k);
        if (!strcmp(key, "name")) continue;
        const char *param = keyed_param(axis, key);
        char raw[BD_SPEC_VAL_MAX];
        int is_list;
        if (!param) param = key;
        if (param_raw(c, p->name, param, v, where, raw, sizeof raw, &is_list) < 0) return -1;
        if (add_param(c, p, param, raw, is_list, k, v, where, out) < 0) return -1;
    }
    return 0;
}

static int partial_value(const SwCtx *c, BdAxis axis, yaml_node_t *node, const char *where, BdSpec *out) {
    const BdAxisDef *a = &c->axes[axis];
    if (node->type == YAML_MAPPING_NODE) return partial_from_mapping(c, axis, node, where, out);
    if (node->type == YAML_SCALAR_NODE && !sw_is_null(node)) return partial_from_scalar(c, axis, node, where, out);
    char names[1024];
    bd_preset_names(a->presets, names, sizeof names);
    return sw_fail(c, node, where, "expected a %s (one of: %s) or a mapping with its name and parameters, got %s",
                   a->name, names, sw_kind(node));
}

int sw_axis_value(const SwCtx *c, BdAxis axis, yaml_node_t *node, const char *where, BdSpec *out, char *text,
                  size_t cap) {
    if (c->axes[axis].kind != BD_AXIS_PRESETS) {
        if (scalar_axis_value(c, axis, node, where, out) < 0) return -1;
    } else {
        if (partial_value(c, axis, node, where, out) < 0) return -1;
        /* Defaults and the rules that involve several parameters. */
        if (bd_spec_resolve(out, bd_preset_find(c->axes[axis].presets, out->name), c->err) < 0)
            return sw_fail_prefix(c, node, where);
    }
    if (bd_axis_value_format(c->axes, axis, out, text, cap, c->err) < 0) return sw_fail_prefix(c, node, where);
    return 0;
}

int sw_axis_pattern(const SwCtx *c, BdAxis axis, yaml_node_t *node, const char *where, BdSpec *out) {
    if (c->axes[axis].kind != BD_AXIS_PRESETS) return scalar_axis_value(c, axis, node, where, out);
    return partial_value(c, axis, node, where, out);
}

int sw_pattern_matches(const BdSpec *pattern, const BdSpec *value) {
    if (strcmp(pattern->name, value->name)) return 0;
    for (int i = 0; i < pattern->n; i++) {
        int j = bd_spec_find(value, bd_spec_key(pattern, i));
        if (j < 0 || strcmp(bd_spec_val(value, j), bd_spec_val(pattern, i))) return 0;
    }
    return 1;
}
