#include "spec.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void bd_spec_init(BdSpec *s, const char *name) {
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
}

int bd_spec_find(const BdSpec *s, const char *key) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(bd_spec_key(s, i), key)) return i;
    return -1;
}

int bd_spec_has(const BdSpec *s, const char *key) {
    int i = bd_spec_find(s, key);
    return i >= 0 && bd_spec_val(s, i)[0] != '\0';
}

/* Rewrites the arena with only the texts in use (replaced values leave
 * garbage behind). */
static void compact(BdSpec *s) {
    char tmp[BD_SPEC_ARENA];
    unsigned short o = 0;
    for (int i = 0; i < s->n; i++) {
        unsigned short *off[2] = {&s->kv[i].key, &s->kv[i].val};
        for (int k = 0; k < 2; k++) {
            size_t len = strlen(s->arena + *off[k]) + 1;
            memcpy(tmp + o, s->arena + *off[k], len);
            *off[k] = o;
            o = (unsigned short)(o + len);
        }
    }
    memcpy(s->arena, tmp, o);
    s->used = o;
}

/* Copies text into the arena; returns its offset, or -1 when it does not fit. */
static int store(BdSpec *s, const char *text) {
    size_t len = strlen(text) + 1;
    if (s->used + len > sizeof s->arena) return -1;
    int off = s->used;
    memcpy(s->arena + off, text, len);
    s->used = (unsigned short)(s->used + len);
    return off;
}

int bd_spec_set(BdSpec *s, const char *key, const char *val, BdError *err) {
    if (strlen(key) >= BD_SPEC_KEY_MAX)
        return bd_fail(err, "%s: parameter name '%.40s...' is too long (at most %d characters)", s->name, key,
                       BD_SPEC_KEY_MAX - 1);
    if (strlen(val) >= BD_SPEC_VAL_MAX)
        return bd_fail(err, "%s: value of '%s' is too long (at most %d characters)", s->name, key,
                       BD_SPEC_VAL_MAX - 1);
    char copy[BD_SPEC_VAL_MAX];
    if (val >= s->arena && val < s->arena + sizeof s->arena) { /* compacting would move it */
        snprintf(copy, sizeof copy, "%s", val);
        val = copy;
    }
    int i = bd_spec_find(s, key);
    if (i >= 0 && strlen(val) <= strlen(bd_spec_val(s, i))) { /* in place */
        memmove(s->arena + s->kv[i].val, val, strlen(val) + 1);
        return 0;
    }
    if (i < 0 && s->n == BD_SPEC_MAX_PARAMS)
        return bd_fail(err, "%s: too many parameters (at most %d)", s->name, BD_SPEC_MAX_PARAMS);
    size_t need = strlen(val) + 1 + (i < 0 ? strlen(key) + 1 : 0);
    if (s->used + need > sizeof s->arena) compact(s);
    if (s->used + need > sizeof s->arena)
        return bd_fail(err, "%s: its parameters are too long together (at most %d characters in all)", s->name,
                       BD_SPEC_ARENA);
    if (i < 0) {
        i = s->n++;
        s->kv[i].key = (unsigned short)store(s, key);
    }
    s->kv[i].val = (unsigned short)store(s, val);
    return 0;
}

static const char *must_get(const BdSpec *s, const char *key) {
    int i = bd_spec_find(s, key);
    if (i < 0) {
        fprintf(stderr, "bdsweep: internal error: spec '%s' has no parameter '%s'\n", s->name, key);
        abort();
    }
    return bd_spec_val(s, i);
}

long bd_spec_int(const BdSpec *s, const char *key) {
    const char *v = must_get(s, key);
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end) {
        fprintf(stderr, "bdsweep: internal error: %s.%s = '%s' is not an integer\n", s->name, key, v);
        abort();
    }
    return x;
}

double bd_spec_float(const BdSpec *s, const char *key) {
    const char *v = must_get(s, key);
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end) {
        fprintf(stderr, "bdsweep: internal error: %s.%s = '%s' is not a number\n", s->name, key, v);
        abort();
    }
    return x;
}

int bd_spec_bool(const BdSpec *s, const char *key) { return !strcmp(must_get(s, key), "true"); }

const char *bd_spec_str(const BdSpec *s, const char *key) { return must_get(s, key); }

/* Splits list text "[a, b, "c,d"]" (brackets optional) into trimmed,
 * unquoted items. Calls fn for each; returns the count or -1. */
typedef int (*ItemFn)(void *ud, int index, const char *item);

static int unquote(const char *p, size_t n, char *out, size_t cap) {
    size_t o = 0;
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        for (size_t i = 1; i + 1 < n; i++) {
            char c = p[i];
            if (c == '\\' && i + 2 < n) c = p[++i];
            if (o + 1 >= cap) return -1;
            out[o++] = c;
        }
    } else {
        if (n + 1 > cap) return -1;
        memcpy(out, p, n);
        o = n;
    }
    out[o] = '\0';
    return 0;
}

static int split_list(const char *text, ItemFn fn, void *ud) {
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1])) n--;
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        p++;
        n -= 2;
    }
    int count = 0;
    size_t i = 0;
    /* An empty list has no items. */
    size_t k = 0;
    while (k < n && isspace((unsigned char)p[k])) k++;
    if (k == n) return 0;
    while (i <= n) {
        size_t start = i;
        int quoted = 0;
        while (i < n && (quoted || p[i] != ',')) {
            if (p[i] == '"') quoted = !quoted;
            else if (p[i] == '\\' && quoted && i + 1 < n) i++;
            i++;
        }
        size_t a = start, b = i;
        while (a < b && isspace((unsigned char)p[a])) a++;
        while (b > a && isspace((unsigned char)p[b - 1])) b--;
        char item[BD_SPEC_VAL_MAX];
        if (unquote(p + a, b - a, item, sizeof item) < 0) return -1;
        if (fn && fn(ud, count, item) < 0) return -1;
        count++;
        i++; /* skip the comma */
    }
    return count;
}

typedef struct {
    long *out;
    int cap;
    int bad;
} IntListCtx;

static int int_item(void *ud, int index, const char *item) {
    IntListCtx *c = ud;
    char *end;
    long x = strtol(item, &end, 10);
    if (end == item || *end) c->bad = 1;
    if (index < c->cap) c->out[index] = x;
    return 0;
}

int bd_spec_int_list(const BdSpec *s, const char *key, long *out, int cap) {
    IntListCtx c = {out, cap, 0};
    int n = split_list(must_get(s, key), int_item, &c);
    if (n < 0 || c.bad) {
        fprintf(stderr, "bdsweep: internal error: %s.%s is not an integer list\n", s->name, key);
        abort();
    }
    return n;
}

typedef struct {
    int want;
    char *out;
    size_t cap;
} StrItemCtx;

static int str_item(void *ud, int index, const char *item) {
    StrItemCtx *c = ud;
    if (index == c->want && c->out) snprintf(c->out, c->cap, "%s", item);
    return 0;
}

int bd_spec_str_list(const BdSpec *s, const char *key, int i, char *out, size_t cap) {
    StrItemCtx c = {i, out, cap};
    if (out && cap) out[0] = '\0';
    return split_list(must_get(s, key), str_item, &c);
}

/* ---- registries ------------------------------------------------------------ */

const BdPreset *bd_preset_find(const BdPreset *presets, const char *name) {
    for (const BdPreset *p = presets; p && p->name; p++)
        if (!strcmp(p->name, name)) return p;
    return NULL;
}

const BdParamDef *bd_param_find(const BdPreset *p, const char *key) {
    for (const BdParamDef *d = p->params; d && d->name; d++)
        if (!strcmp(d->name, key)) return d;
    return NULL;
}

void bd_preset_names(const BdPreset *presets, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (const BdPreset *p = presets; p && p->name; p++) {
        int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", p->name);
        if (w < 0 || (size_t)w >= cap - o) break;
        o += (size_t)w;
    }
}

void bd_param_names(const BdPreset *p, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (const BdParamDef *d = p->params; d && d->name; d++) {
        int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", d->name);
        if (w < 0 || (size_t)w >= cap - o) break;
        o += (size_t)w;
    }
    if (!o) snprintf(out, cap, "(none)");
}

void bd_format_double(double v, char *out, size_t cap) {
    /* (UBSan's null checks around strtod below otherwise give gcc a path
     * with out == NULL into snprintf, which -Werror=format-truncation refuses.) */
    if (!out || !cap) return;
    if (v == 0.0) v = 0.0; /* -0 and 0 are the same value in a key */
    /* Whole numbers as integers ("40", not "4e+01"), while they are exact. */
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

static int in_choices(const char *choices, const char *v) {
    size_t n = strlen(v);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) return 1;
        p = bar ? bar + 1 : p + len;
    }
    return 0;
}

static void choices_text(const char *choices, char *out, size_t cap) {
    size_t o = 0;
    for (const char *p = choices; p && *p && o + 1 < cap; p++) {
        if (*p == '|') {
            if (o + 3 >= cap) break;
            out[o++] = ',';
            out[o++] = ' ';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* A range bound as people write it: 100000, not 1e+05. */
static void bound_text(double v, char *out, size_t cap) {
    if (isfinite(v) && fabs(v) < 1e15 && v == floor(v)) snprintf(out, cap, "%.0f", v);
    else bd_format_double(v, out, cap);
}

static void range_text(const BdParamDef *d, char *out, size_t cap) {
    char lo[64], hi[64];
    bound_text(d->min, lo, sizeof lo);
    bound_text(d->max, hi, sizeof hi);
    if (isinf(d->min) && isinf(d->max)) bd_text_format(out, cap, "any value");
    else if (isinf(d->max)) bd_text_format(out, cap, "at least %s", lo);
    else if (isinf(d->min)) bd_text_format(out, cap, "at most %s", hi);
    else bd_text_format(out, cap, "in [%s, %s]", lo, hi);
}

/* 0 with *x; -1 when raw is not an integer; -2 when it is one that a long
 * cannot hold (1e20, 99999999999999999999). */
static int parse_int(const char *raw, long *x) {
    char *end;
    errno = 0;
    *x = strtol(raw, &end, 10);
    if (end != raw && !*end && !errno) return 0;
    /* YAML writers sometimes give 4.0 for 4: accept integral reals. */
    double d = strtod(raw, &end);
    if (end == raw || *end || !isfinite(d) || d != floor(d)) return -1;
    /* Compared as doubles first: converting one outside long's range is
     * undefined behaviour. -(double)LONG_MIN is 2^63 exactly. */
    if (d < (double)LONG_MIN || d >= -(double)LONG_MIN) return -2;
    *x = (long)d;
    return 0;
}

int bd_text_needs_quotes(const char *v) {
    if (!*v) return 1;
    for (const char *p = v; *p; p++)
        if (strchr(" ()[],=\"\\;|\t\n", *p)) return 1;
    return 0;
}

static int append(char *out, size_t cap, size_t *o, const char *s) {
    size_t n = strlen(s);
    if (*o + n + 1 > cap) return -1;
    memcpy(out + *o, s, n + 1);
    *o += n;
    return 0;
}

static int append_value(char *out, size_t cap, size_t *o, const char *v, int is_list) {
    if (is_list || !bd_text_needs_quotes(v)) return append(out, cap, o, v);
    if (append(out, cap, o, "\"") < 0) return -1;
    for (const char *p = v; *p; p++) {
        char c[3] = {0};
        if (*p == '"' || *p == '\\') {
            c[0] = '\\';
            c[1] = *p;
        } else {
            c[0] = *p;
        }
        if (append(out, cap, o, c) < 0) return -1;
    }
    return append(out, cap, o, "\"");
}

typedef struct {
    const BdParamDef *def;
    char *out;
    size_t cap;
    size_t o;
    BdError *err;
    int failed;
} ListCanonCtx;

static int list_item_canon(void *ud, int index, const char *item) {
    ListCanonCtx *c = ud;
    char tmp[BD_SPEC_VAL_MAX];
    if (c->def->type == BD_PARAM_INT_LIST) {
        long x;
        int rc = parse_int(item, &x);
        if (rc == -1) {
            c->failed = 1;
            return bd_fail(c->err, "element %d ('%s') is not an integer", index + 1, item);
        }
        if (rc == -2 || (double)x < c->def->min || (double)x > c->def->max) {
            char r[128], v[64];
            range_text(c->def, r, sizeof r);
            if (rc == -2) snprintf(v, sizeof v, "%s", item);
            else snprintf(v, sizeof v, "%ld", x);
            c->failed = 1;
            return bd_fail(c->err, "element %d (%s) is out of range: expected %s", index + 1, v, r);
        }
        snprintf(tmp, sizeof tmp, "%ld", x);
    } else {
        if (c->def->choices && !in_choices(c->def->choices, item)) {
            char ch[512];
            choices_text(c->def->choices, ch, sizeof ch);
            c->failed = 1;
            return bd_fail(c->err, "element %d ('%s') is not one of: %s", index + 1, item, ch);
        }
        snprintf(tmp, sizeof tmp, "%s", item);
    }
    if ((index && append(c->out, c->cap, &c->o, ",") < 0) ||
        append_value(c->out, c->cap, &c->o, tmp, 0) < 0) {
        c->failed = 1;
        return bd_fail(c->err, "list is too long");
    }
    return 0;
}

int bd_param_canonical(const BdParamDef *def, const char *raw, char *out, size_t cap, BdError *err) {
    char r[128];
    switch (def->type) {
    case BD_PARAM_INT: {
        long x;
        int rc = parse_int(raw, &x);
        if (rc == -1) return bd_fail(err, "'%s' is not an integer", raw);
        if (rc == -2) {
            range_text(def, r, sizeof r);
            return bd_fail(err, "%s is out of range: expected an integer %s", raw, r);
        }
        if ((double)x < def->min || (double)x > def->max) {
            range_text(def, r, sizeof r);
            return bd_fail(err, "%ld is out of range: expected an integer %s", x, r);
        }
        snprintf(out, cap, "%ld", x);
        return 0;
    }
    case BD_PARAM_FLOAT: {
        char *end;
        double x = strtod(raw, &end);
        if (end == raw || *end || !isfinite(x)) return bd_fail(err, "'%s' is not a number", raw);
        if (x < def->min || x > def->max) {
            range_text(def, r, sizeof r);
            return bd_fail(err, "%s is out of range: expected a number %s", raw, r);
        }
        bd_format_double(x, out, cap);
        return 0;
    }
    case BD_PARAM_BOOL: {
        static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (!strcasecmp(raw, yes[i])) return snprintf(out, cap, "true"), 0;
            if (!strcasecmp(raw, no[i])) return snprintf(out, cap, "false"), 0;
        }
        return bd_fail(err, "'%s' is not a boolean: expected true or false", raw);
    }
    case BD_PARAM_ENUM: {
        if (!in_choices(def->choices, raw)) {
            char ch[512];
            choices_text(def->choices, ch, sizeof ch);
            return bd_fail(err, "'%s' is not one of: %s", raw, ch);
        }
        snprintf(out, cap, "%s", raw);
        return 0;
    }
    case BD_PARAM_STRING:
        if (strlen(raw) >= cap) return bd_fail(err, "value is too long");
        snprintf(out, cap, "%s", raw);
        return 0;
    case BD_PARAM_INT_LIST:
    case BD_PARAM_STRING_LIST: {
        ListCanonCtx c = {def, out, cap, 0, err, 0};
        out[0] = '\0';
        if (append(out, cap, &c.o, "[") < 0) return bd_fail(err, "list is too long");
        int n = split_list(raw, list_item_canon, &c);
        if (n < 0 || c.failed) return -1;
        if (append(out, cap, &c.o, "]") < 0) return bd_fail(err, "list is too long");
        return 0;
    }
    }
    return bd_fail(err, "unknown parameter type");
}

/* Orders the parameters by key (insertion sort: a spec has a few dozen at most). */
static void sort_by_key(BdSpec *s) {
    for (int i = 1; i < s->n; i++)
        for (int j = i; j > 0 && strcmp(bd_spec_key(s, j - 1), bd_spec_key(s, j)) > 0; j--) {
            BdSpecParam t = s->kv[j];
            s->kv[j] = s->kv[j - 1];
            s->kv[j - 1] = t;
        }
}

int bd_spec_resolve(BdSpec *s, const BdPreset *p, BdError *err) {
    char names[1024];
    for (int i = 0; i < s->n; i++) {
        const BdParamDef *d = bd_param_find(p, bd_spec_key(s, i));
        if (!d) {
            bd_param_names(p, names, sizeof names);
            return bd_fail(err, "%s: unknown parameter '%s' (expected one of: %s)", p->name, bd_spec_key(s, i),
                           names);
        }
        char canon[BD_SPEC_VAL_MAX];
        if (d->def && !d->def[0] && !bd_spec_val(s, i)[0]) continue; /* optional, explicitly unset */
        if (bd_param_canonical(d, bd_spec_val(s, i), canon, sizeof canon, err) < 0)
            return bd_error_prefix(err, "%s: parameter '%s': ", p->name, d->name);
        if (bd_spec_set(s, d->name, canon, err) < 0) return -1;
    }
    for (const BdParamDef *d = p->params; d && d->name; d++) {
        if (bd_spec_find(s, d->name) >= 0) continue;
        if (!d->def) return bd_fail(err, "%s: parameter '%s' is required (%s)", p->name, d->name, d->help ? d->help : "");
        char canon[BD_SPEC_VAL_MAX] = "";
        if (d->def[0] && bd_param_canonical(d, d->def, canon, sizeof canon, err) < 0)
            return bd_error_prefix(err, "internal error: default of %s.%s: ", p->name, d->name);
        if (bd_spec_set(s, d->name, canon, err) < 0) return -1;
    }
    sort_by_key(s);
    if (p->check && p->check(s, err) < 0) return bd_error_prefix(err, "%s: ", p->name);
    return 0;
}

static int format_spec(const BdSpec *s, const BdPreset *p, char *out, size_t cap, BdError *err) {
    size_t o = 0;
    int opened = 0;
    out[0] = '\0';
    if (append(out, cap, &o, s->name) < 0) goto overflow;
    for (int i = 0; i < s->n; i++) {
        const char *key = bd_spec_key(s, i), *val = bd_spec_val(s, i);
        const BdParamDef *d = p ? bd_param_find(p, key) : NULL;
        if (p) {
            /* Omit parameters at their default: compare canonical texts. */
            char canon[BD_SPEC_VAL_MAX] = "";
            if (d && d->def && d->def[0] && bd_param_canonical(d, d->def, canon, sizeof canon, NULL) < 0)
                canon[0] = '\0';
            if (d && d->def && !strcmp(canon, val)) continue;
        }
        if (append(out, cap, &o, opened ? "," : "(") < 0) goto overflow;
        opened = 1;
        int is_list = val[0] == '[';
        if (append(out, cap, &o, key) < 0 || append(out, cap, &o, "=") < 0 ||
            append_value(out, cap, &o, val, is_list) < 0)
            goto overflow;
    }
    if (opened && append(out, cap, &o, ")") < 0) goto overflow;
    return 0;
overflow:
    return bd_fail(err, "%s: canonical text longer than %zu characters", s->name, cap - 1);
}

int bd_spec_format(const BdSpec *s, const BdPreset *p, char *out, size_t cap, BdError *err) {
    return format_spec(s, p, out, cap, err);
}

int bd_spec_format_full(const BdSpec *s, char *out, size_t cap, BdError *err) {
    return format_spec(s, NULL, out, cap, err);
}

/* ---- parsing canonical text ------------------------------------------------ */

static int is_name_char(char c) { return c && (isalnum((unsigned char)c) || strchr("_.+-/:", c)); }

static const char *parse_value(const char *p, char *out, size_t cap, BdError *err) {
    size_t o = 0;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            if (o + 1 >= cap) return bd_fail(err, "value too long"), NULL;
            out[o++] = *p++;
        }
        if (*p != '"') return bd_fail(err, "unterminated quoted value"), NULL;
        out[o] = '\0';
        return p + 1;
    }
    if (*p == '[') {
        int quoted = 0;
        const char *start = p;
        while (*p && (quoted || *p != ']')) {
            if (*p == '"') quoted = !quoted;
            else if (*p == '\\' && quoted && p[1]) p++;
            p++;
        }
        if (*p != ']') return bd_fail(err, "unterminated list"), NULL;
        p++;
        size_t n = (size_t)(p - start);
        if (n + 1 > cap) return bd_fail(err, "list too long"), NULL;
        memcpy(out, start, n);
        out[n] = '\0';
        return p;
    }
    while (*p && *p != ',' && *p != ')') {
        if (o + 1 >= cap) return bd_fail(err, "value too long"), NULL;
        out[o++] = *p++;
    }
    out[o] = '\0';
    return p;
}

int bd_spec_parse(BdSpec *s, const char *text, const char **end, BdError *err) {
    const char *p = text;
    size_t n = 0;
    char name[BD_SPEC_NAME_MAX];
    while (is_name_char(p[n])) {
        if (n + 1 >= sizeof name) return bd_fail(err, "name too long in '%.60s'", text);
        name[n] = p[n];
        n++;
    }
    if (!n) return bd_fail(err, "expected a name at '%.60s'", text);
    name[n] = '\0';
    bd_spec_init(s, name);
    p += n;
    if (*p == '(') {
        p++;
        for (;;) {
            char key[BD_SPEC_KEY_MAX], val[BD_SPEC_VAL_MAX];
            size_t k = 0;
            while (isalnum((unsigned char)*p) || *p == '_') {
                if (k + 1 >= sizeof key) return bd_fail(err, "parameter name too long in '%.60s'", text);
                key[k++] = *p++;
            }
            key[k] = '\0';
            if (!k || *p != '=') return bd_fail(err, "expected key=value in '%.80s'", text);
            p = parse_value(p + 1, val, sizeof val, err);
            if (!p) return bd_error_prefix(err, "in '%.80s': ", text);
            if (bd_spec_set(s, key, val, err) < 0) return -1;
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == ')') {
                p++;
                break;
            }
            return bd_fail(err, "expected ',' or ')' in '%.80s'", text);
        }
    }
    if (end) *end = p;
    return 0;
}
