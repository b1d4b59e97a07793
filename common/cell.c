#include "cell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bd_axis_index(const BdAxisDef *axes, const char *name) {
    for (int i = 0; i < BD_AXIS_COUNT; i++)
        if (!strcmp(axes[i].name, name)) return i;
    return -1;
}

void bd_axis_list(const BdAxisDef *axes, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < BD_AXIS_COUNT && o + 1 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", axes[i].name);
}

unsigned bd_axes_attack_mask(const BdAxisDef *axes) {
    unsigned m = 0;
    for (int i = 0; i < BD_AXIS_COUNT; i++)
        if (axes[i].attack) m |= 1u << i;
    return m;
}

unsigned bd_axes_poisoning_mask(const BdAxisDef *axes) {
    unsigned m = 0;
    for (int i = 0; i < BD_AXIS_COUNT; i++)
        if (axes[i].poisoning) m |= 1u << i;
    return m;
}

const char *bd_axis_sql_type(const BdAxisDef *a) {
    return a->kind == BD_AXIS_PRESETS ? "TEXT" : a->kind == BD_AXIS_INT ? "INTEGER" : "REAL";
}

static int scalar_canonical(const BdAxisDef *a, const char *text, char *out, size_t cap, BdError *err) {
    BdParamDef d = {a->name, a->kind == BD_AXIS_INT ? BD_PARAM_INT : BD_PARAM_FLOAT, NULL, a->min, a->max,
                    NULL, NULL};
    return bd_param_canonical(&d, text, out, cap, err);
}

int bd_axis_value_parse(const BdAxisDef *axes, BdAxis axis, const char *text, BdSpec *out, BdError *err) {
    const BdAxisDef *a = &axes[axis];
    if (a->kind != BD_AXIS_PRESETS) {
        char canon[64];
        if (scalar_canonical(a, text, canon, sizeof canon, err) < 0) return bd_error_prefix(err, "%s: ", a->name);
        bd_spec_init(out, canon);
        return 0;
    }
    const char *end;
    if (bd_spec_parse(out, text, &end, err) < 0) return bd_error_prefix(err, "%s: ", a->name);
    if (*end) return bd_fail(err, "%s: unexpected text '%.40s' after the value", a->name, end);
    const BdPreset *p = bd_preset_find(a->presets, out->name);
    if (!p) {
        char names[1024];
        bd_preset_names(a->presets, names, sizeof names);
        return bd_fail(err, "%s: unknown value '%s' (expected one of: %s)", a->name, out->name, names);
    }
    if (bd_spec_resolve(out, p, err) < 0) return bd_error_prefix(err, "%s: ", a->name);
    return 0;
}

int bd_axis_value_format(const BdAxisDef *axes, BdAxis axis, const BdSpec *v, char *out, size_t cap,
                         BdError *err) {
    const BdAxisDef *a = &axes[axis];
    if (a->kind != BD_AXIS_PRESETS) {
        snprintf(out, cap, "%s", v->name);
        return 0;
    }
    const BdPreset *p = bd_preset_find(a->presets, v->name);
    if (!p) return bd_fail(err, "%s: unknown value '%s'", a->name, v->name);
    return bd_spec_format(v, p, out, cap, err);
}

int bd_axis_absent_texts(const BdAxisDef *axes, const char *texts[BD_AXIS_COUNT], char *buf, size_t cap,
                         BdError *err) {
    size_t o = 0;
    for (int i = 0; i < BD_AXIS_COUNT; i++) {
        texts[i] = NULL;
        if (!axes[i].absent) continue;
        BdSpec absent;
        if (bd_axis_value_parse(axes, (BdAxis)i, axes[i].absent, &absent, err) < 0 ||
            bd_axis_value_format(axes, (BdAxis)i, &absent, buf + o, cap - o, err) < 0)
            return bd_error_prefix(err, "internal error: absent value of %s: ", axes[i].name);
        texts[i] = buf + o;
        o += strlen(buf + o) + 1;
    }
    return 0;
}

int bd_key_join(const BdAxisDef *axes, const char *const *texts, const char *const *absent, unsigned omit, char *out,
                size_t cap, BdError *err) {
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < BD_AXIS_COUNT; i++) {
        if (omit & (1u << i)) continue;
        if (absent && absent[i] && !strcmp(texts[i], absent[i])) continue; /* a new axis never changes old keys */
        int w = snprintf(out + o, cap - o, "%s%s=%s", o ? " " : "", axes[i].name, texts[i]);
        if (w < 0 || (size_t)w >= cap - o) return bd_fail(err, "cell key longer than %zu characters", cap - 1);
        o += (size_t)w;
    }
    return 0;
}

int bd_cell_key(const BdAxisDef *axes, const BdCell *c, char *out, size_t cap, BdError *err) {
    char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX], absent_buf[BD_AXIS_COUNT * 64];
    const char *t[BD_AXIS_COUNT], *absent[BD_AXIS_COUNT];
    for (int i = 0; i < BD_AXIS_COUNT; i++) {
        if (bd_axis_value_format(axes, (BdAxis)i, &c->v[i], texts[i], sizeof texts[i], err) < 0) return -1;
        t[i] = texts[i];
    }
    if (bd_axis_absent_texts(axes, absent, absent_buf, sizeof absent_buf, err) < 0) return -1;
    return bd_key_join(axes, t, absent, 0, out, cap, err);
}

int bd_cell_parse(const BdAxisDef *axes, const char *key, BdCell *c, BdError *err) {
    return bd_cell_parse_axes(axes, key, (1u << BD_AXIS_COUNT) - 1, c, err);
}

int bd_cell_parse_axes(const BdAxisDef *axes, const char *key, unsigned mask, BdCell *c, BdError *err) {
    int seen[BD_AXIS_COUNT] = {0};
    const char *p = key;
    memset(c, 0, sizeof *c);
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *eq = strchr(p, '=');
        if (!eq) return bd_fail(err, "cell key: expected axis=value at '%.40s'", p);
        char name[64];
        size_t n = (size_t)(eq - p);
        if (n >= sizeof name) return bd_fail(err, "cell key: axis name too long at '%.40s'", p);
        memcpy(name, p, n);
        name[n] = '\0';
        int axis = bd_axis_index(axes, name);
        if (axis < 0) return bd_fail(err, "cell key: unknown axis '%s'", name);
        if (!(mask & (1u << axis))) return bd_fail(err, "key: axis '%s' is not part of this key", name);
        if (seen[axis]) return bd_fail(err, "cell key: axis '%s' given twice", name);
        seen[axis] = 1;
        /* The value runs to the next space outside quotes, brackets and parentheses. */
        const char *v = eq + 1, *q = v;
        int depth = 0, quoted = 0;
        while (*q && (quoted || depth || *q != ' ')) {
            if (quoted) {
                if (*q == '\\' && q[1]) q++;
                else if (*q == '"') quoted = 0;
            } else if (*q == '"') quoted = 1;
            else if (*q == '(' || *q == '[') depth++;
            else if (*q == ')' || *q == ']') depth--;
            q++;
        }
        char text[BD_SPEC_TEXT_MAX];
        if ((size_t)(q - v) >= sizeof text) return bd_fail(err, "cell key: value of %s too long", name);
        memcpy(text, v, (size_t)(q - v));
        text[q - v] = '\0';
        if (bd_axis_value_parse(axes, (BdAxis)axis, text, &c->v[axis], err) < 0)
            return bd_error_prefix(err, "cell key: ");
        p = q;
    }
    for (int i = 0; i < BD_AXIS_COUNT; i++) {
        if (seen[i]) continue;
        if (!axes[i].absent && !(mask & (1u << i))) continue; /* not part of this key: left empty */
        if (!axes[i].absent) return bd_fail(err, "cell key: axis '%s' is missing", axes[i].name);
        if (bd_axis_value_parse(axes, (BdAxis)i, axes[i].absent, &c->v[i], err) < 0)
            return bd_error_prefix(err, "internal error: ");
    }
    return 0;
}

long bd_cell_target(const BdCell *c) { return strtol(c->v[BD_AXIS_TARGET].name, NULL, 10); }
double bd_cell_poison_rate(const BdCell *c) { return strtod(c->v[BD_AXIS_POISON_RATE].name, NULL); }
long bd_cell_seed(const BdCell *c) { return strtol(c->v[BD_AXIS_SEED].name, NULL, 10); }
