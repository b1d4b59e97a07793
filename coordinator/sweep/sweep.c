/* Loading a sweep: the file's top-level structure, the grid's axes, the
 * exclude entries, and the expansion into cells (sweep.h states the format
 * and the cell order). */
#include "sweep.h"

#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "log.h"
#include "job_keys.h"
#include "sweep_internal.h"

static const char *const top_keys[] = {"name",   "description", "grid", "exclude", "keep", "limits",
                                       "train", "retrain",     "init", NULL};
/* What `keep:` may list, in the order of the BD_KEEP_* bits. */
static const char *const keep_words[] = {"models", NULL};
/* The axes a sweep may give at the top level, as one value (the usual form of
 * the training recipe). */
static const BdAxis top_axes[] = {BD_AXIS_INIT, BD_AXIS_TRAIN, BD_AXIS_RETRAIN};

typedef struct Loader {
    SwCtx c;
    BdSweepGrid g;
    yaml_node_t *top[BD_AXIS_COUNT]; /* key node of an axis given at the top level */
    yaml_node_t *exclude_node, *limits_node;
} Loader;

/* ---- values ---------------------------------------------------------------- */

/* spec is kept only for the preset axes (SwAxis). */
static void push_value(SwAxis *a, int scalar, const BdSpec *spec, const char *text, int line, int col,
                       const char *where) {
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4;
        a->values = bd_xrealloc(a->values, sizeof *a->values * (size_t)a->cap);
        if (!scalar) a->specs = bd_xrealloc(a->specs, sizeof *a->specs * (size_t)a->cap);
    }
    if (!scalar) a->specs[a->n] = *spec;
    BdSweepValue *v = &a->values[a->n++];
    v->text = bd_xstrdup(text);
    v->line = line;
    v->col = col;
    snprintf(v->where, sizeof v->where, "%s", where);
}

static int is_scalar(const Loader *L, BdAxis axis) { return L->c.axes[axis].kind != BD_AXIS_PRESETS; }

static int add_value(Loader *L, BdAxis axis, yaml_node_t *node, const char *where) {
    BdSpec *spec = bd_xmalloc(sizeof *spec); /* 13 kB: not on the stack */
    char text[BD_SPEC_TEXT_MAX];
    int rc = sw_axis_value(&L->c, axis, node, where, spec, text, sizeof text);
    SwAxis *a = &L->g.ax[axis];
    int same = rc == 0 ? sw_strset_put(&a->texts, text, a->n) : -1;
    if (same >= 0)
        rc = sw_fail(&L->c, node, where,
                     "%s is the same value as %s (line %d, column %d) once canonicalised: give each value once", text,
                     a->values[same].where, a->values[same].line, a->values[same].col);
    if (rc == 0) push_value(a, is_scalar(L, axis), spec, text, sw_line(node), sw_col(node), where);
    free(spec);
    return rc;
}

/* A grid entry: a list of values, or one value. */
static int add_axis_values(Loader *L, BdAxis axis, yaml_node_t *node, const char *where) {
    L->g.ax[axis].given = 1;
    if (node->type != YAML_SEQUENCE_NODE) return add_value(L, axis, node, where);
    if (node->data.sequence.items.start == node->data.sequence.items.top)
        return sw_fail(&L->c, node, where, "empty list: expected at least one %s", L->c.axes[axis].name);
    int i = 0;
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++, i++) {
        char sub[128];
        snprintf(sub, sizeof sub, "%s[%d]", where, i);
        if (add_value(L, axis, sw_node(&L->c, *it), sub) < 0) return -1;
    }
    return 0;
}

static int add_absent(Loader *L, BdAxis axis) {
    BdSpec *spec = bd_xmalloc(sizeof *spec);
    char text[BD_SPEC_TEXT_MAX];
    int rc = bd_axis_value_parse(L->c.axes, axis, L->c.axes[axis].absent, spec, L->c.err);
    if (rc == 0) rc = bd_axis_value_format(L->c.axes, axis, spec, text, sizeof text, L->c.err);
    if (rc < 0) bd_error_prefix(L->c.err, "internal error: the absent value of %s: ", L->c.axes[axis].name);
    else push_value(&L->g.ax[axis], is_scalar(L, axis), spec, text, 0, 0, "(absent)");
    free(spec);
    return rc;
}

/* ---- top level --------------------------------------------------------------- */

static int is_top_axis(int axis) {
    for (size_t i = 0; i < sizeof top_axes / sizeof top_axes[0]; i++)
        if ((int)top_axes[i] == axis) return 1;
    return 0;
}

/* "a, b, c" from n words (n < 0: up to a NULL entry). */
static void list_words(const char *const *words, int n, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; (n < 0 ? words[i] != NULL : i < n) && o + 1 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", words[i]);
}

static int check_name(Loader *L, yaml_node_t *v, BdSweep *out) {
    const char *s = sw_scalar(v);
    if (!s || sw_is_null(v))
        return sw_fail(&L->c, v, "name", "expected the sweep's name ([A-Za-z0-9_.-]+), got %s", sw_kind(v));
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
    if (!n || s[n])
        return sw_fail(&L->c, v, "name", "'%s' is not a valid sweep name: expected letters, digits, '_', '.', '-' only",
                       s);
    if (n >= sizeof out->name)
        return sw_fail(&L->c, v, "name", "name is too long (at most %zu characters)", sizeof out->name - 1);
    if (!strcmp(s, ".") || !strcmp(s, ".."))
        return sw_fail(&L->c, v, "name", "'%s' is not a valid sweep name: it names a folder", s);
    snprintf(out->name, sizeof out->name, "%s", s);
    return 0;
}

static int parse_grid(Loader *L, yaml_node_t *grid) {
    SwCtx *c = &L->c;
    if (grid->type != YAML_MAPPING_NODE)
        return sw_fail(c, grid, "grid", "expected a mapping of axis: [values], got %s", sw_kind(grid));
    if (sw_check_keys(c, grid, "grid") < 0) return -1;
    for (yaml_node_pair_t *pr = grid->data.mapping.pairs.start; pr < grid->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sw_node(c, pr->key), *v = sw_node(c, pr->value);
        int axis = bd_axis_index(c->axes, sw_scalar(k));
        if (axis < 0) {
            char names[512];
            bd_axis_list(c->axes, names, sizeof names);
            return sw_fail(c, k, "grid", "unknown axis '%s' (expected one of: %s)", sw_scalar(k), names);
        }
        char where[64];
        snprintf(where, sizeof where, "grid.%s", c->axes[axis].name);
        if (L->top[axis])
            return sw_fail(c, k, where, "%s is also given at the top level (line %d, column %d): give it in one place",
                           c->axes[axis].name, sw_line(L->top[axis]), sw_col(L->top[axis]));
        if (add_axis_values(L, (BdAxis)axis, v, where) < 0) return -1;
    }
    return 0;
}

/* One word of keep:, as a BD_KEEP_* bit into *keep. */
static int keep_word(SwCtx *c, yaml_node_t *w, unsigned *keep) {
    const char *word = sw_scalar(w);
    for (int i = 0; word && keep_words[i]; i++)
        if (!strcmp(word, keep_words[i])) {
            *keep |= 1u << i;
            return 0;
        }
    char words[128];
    list_words(keep_words, -1, words, sizeof words);
    if (!word) return sw_fail(c, w, "keep", "expected a list of: %s; got %s", words, sw_kind(w));
    return sw_fail(c, w, "keep", "expected a list of: %s; got '%s'", words, word);
}

/* keep: [models] (or one word): what a run keeps beyond the database. */
static int parse_keep(SwCtx *c, yaml_node_t *v, unsigned *keep) {
    if (v->type != YAML_SEQUENCE_NODE) return sw_is_null(v) ? 0 : keep_word(c, v, keep);
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (keep_word(c, sw_node(c, *it), keep) < 0) return -1;
    return 0;
}

static int parse_root(Loader *L, yaml_node_t *root, BdSweep *out) {
    SwCtx *c = &L->c;
    if (root->type != YAML_MAPPING_NODE)
        return sw_fail(c, root, "", "expected a mapping with at least `name:` and `grid:`, got %s", sw_kind(root));
    if (sw_check_keys(c, root, "") < 0) return -1;
    yaml_node_t *name = NULL, *grid = NULL;
    /* Top-level axes first, so that the grid can refuse the same axis. */
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = sw_node(c, pr->key), *v = sw_node(c, pr->value);
        const char *key = sw_scalar(k);
        int known = 0;
        for (int i = 0; top_keys[i]; i++) known |= !strcmp(key, top_keys[i]);
        if (!known) {
            char keys[256];
            list_words(top_keys, -1, keys, sizeof keys);
            if (bd_axis_index(c->axes, key) >= 0)
                return sw_fail(c, k, "",
                               "unknown top-level key '%s': the axis %s goes under grid: (expected one of: %s)", key,
                               key, keys);
            return sw_fail(c, k, "", "unknown top-level key '%s' (expected one of: %s)", key, keys);
        }
        if (!strcmp(key, "name")) name = v;
        else if (!strcmp(key, "grid")) grid = v;
        else if (!strcmp(key, "exclude")) L->exclude_node = v;
        else if (!strcmp(key, "limits")) L->limits_node = v;
        else if (!strcmp(key, "keep")) {
            if (parse_keep(c, v, &out->keep) < 0) return -1;
        }
        else if (!strcmp(key, "description")) {
            if (v->type != YAML_SCALAR_NODE)
                return sw_fail(c, v, "description", "expected text, got %s", sw_kind(v));
            free(out->description);
            out->description = bd_xstrdup(sw_is_null(v) ? "" : sw_scalar(v));
        } else {
            int axis = bd_axis_index(c->axes, key);
            if (!is_top_axis(axis)) return sw_fail(c, k, "", "internal error: top-level key '%s'", key);
            if (v->type == YAML_SEQUENCE_NODE)
                return sw_fail(c, v, key, "expected one value at the top level (a list of values goes under grid.%s)",
                               key);
            L->top[axis] = k;
            L->g.ax[axis].given = 1;
            if (add_value(L, (BdAxis)axis, v, key) < 0) return -1;
        }
    }
    if (!name) return sw_fail(c, root, "", "missing the required key 'name' (the sweep's name, [A-Za-z0-9_.-]+)");
    if (check_name(L, name, out) < 0) return -1;
    if (!grid) return sw_fail(c, root, "", "missing the required key 'grid' (a mapping of axis: [values])");
    if (parse_grid(L, grid) < 0) return -1;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (L->g.ax[a].given) continue;
        if (!c->axes[a].absent)
            return sw_fail(c, grid, "grid", "missing the required axis '%s' (%s)", c->axes[a].name, c->axes[a].help);
        if (add_absent(L, (BdAxis)a) < 0) return -1;
    }
    return 0;
}

/* ---- exclude ------------------------------------------------------------------ */

static int parse_exclude_entry(Loader *L, yaml_node_t *e, const char *where) {
    BdSweepGrid *g = &L->g;
    g->ex = bd_xrealloc(g->ex, sizeof *g->ex * (size_t)(g->n_ex + 1));
    return sw_cell_pattern_parse(&L->c, g->ax, e, where, "an empty entry would exclude every cell", &g->ex[g->n_ex++]);
}

static int parse_exclude(Loader *L) {
    yaml_node_t *node = L->exclude_node;
    if (!node || sw_is_null(node)) return 0;
    if (node->type != YAML_SEQUENCE_NODE)
        return sw_fail(&L->c, node, "exclude", "expected a list of mappings (axis: value), got %s", sw_kind(node));
    int i = 0;
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++, i++) {
        char where[64];
        snprintf(where, sizeof where, "exclude[%d]", i);
        if (parse_exclude_entry(L, sw_node(&L->c, *it), where) < 0) return -1;
    }
    for (int e = 0; e < L->g.n_ex; e++) sw_cell_pattern_warn_unmatched(&L->c, L->g.ax, &L->g.ex[e]);
    return 0;
}

/* ---- expansion ------------------------------------------------------------------ */

/* The index of l among the distinct limits of the cells (added when new). */
static int limits_profile(BdSweepLimits *s, BdLimits l) {
    for (int i = 0; i < s->n_profiles; i++)
        if (bd_limits_equal(&s->profiles[i], &l)) return i;
    s->profiles = bd_xrealloc(s->profiles, sizeof *s->profiles * (size_t)(s->n_profiles + 1));
    s->profiles[s->n_profiles] = l;
    return s->n_profiles++;
}

/* One walk over the cells: counts them, records which combinations occur
 * (for sw_check_combinations), and keeps them unless BD_SWEEP_NO_CELLS. */
static int expand(Loader *L, BdSweep *out, SwCombos *seen, int flags) {
    const SwAxis *T = &L->g.ax[BD_AXIS_TRIGGER], *S = &L->g.ax[BD_AXIS_STRATEGY], *G = &L->g.ax[BD_AXIS_TARGET],
                 *A = &L->g.ax[BD_AXIS_ARCH], *R = &L->g.ax[BD_AXIS_REGULARIZER];
    size_t n_data = (size_t)L->g.ax[BD_AXIS_DATASET].n;
    seen->trigger_seen = bd_xcalloc(n_data * (size_t)T->n, 1);
    seen->strategy_seen = bd_xcalloc(n_data * (size_t)S->n * (size_t)G->n, 1);
    seen->regularizer_seen = bd_xcalloc(n_data * (size_t)A->n * (size_t)R->n, 1);
    sw_pool_begin(L->g.ax, seen);
    BdSweep view = {.grid = &L->g}; /* the walk reads the grid only */
    BdSweepWalk *w = bd_sweep_walk_begin();
    int cap = 0, rc;
    long n = 0;
    while ((rc = bd_sweep_walk_next(&view, w, L->c.err)) == 1) {
        n++;
        const int *idx = w->idx;
        size_t d = (size_t)idx[BD_AXIS_DATASET];
        seen->trigger_seen[d * (size_t)T->n + (size_t)idx[BD_AXIS_TRIGGER]] = 1;
        seen->strategy_seen[(d * (size_t)S->n + (size_t)idx[BD_AXIS_STRATEGY]) * (size_t)G->n +
                            (size_t)idx[BD_AXIS_TARGET]] = 1;
        seen->regularizer_seen[(d * (size_t)A->n + (size_t)idx[BD_AXIS_ARCH]) * (size_t)R->n +
                               (size_t)idx[BD_AXIS_REGULARIZER]] = 1;
        sw_pool_seen(L->g.ax, seen, idx, w->cell.key);
        if (flags & BD_SWEEP_NO_CELLS) continue;
        if (out->n_cells == cap) {
            cap = cap ? 2 * cap : 64;
            out->cells = bd_xrealloc(out->cells, sizeof *out->cells * (size_t)cap);
        }
        BdSweepCell *sc = &out->cells[out->n_cells++];
        *sc = w->cell;
        sc->limits = limits_profile(&out->limits, sw_limits_of(&L->g, &out->limits.all, idx));
        sc->key = bd_xstrdup(w->cell.key);
        sc->pretrain_key = w->cell.pretrain_key ? bd_xstrdup(w->cell.pretrain_key) : NULL;
    }
    bd_sweep_walk_end(w);
    if (rc < 0) return bd_error_prefix(L->c.err, "%s: ", L->c.file);
    out->n_cells = (int)n;
    if (n == 0 && L->exclude_node)
        return sw_fail(&L->c, L->exclude_node, "exclude", "removes every one of the grid's %ld cells: nothing would run",
                       L->g.total);
    return 0;
}

/* ---- load and free ---------------------------------------------------------------- */

static void loader_free(Loader *L) {
    sw_grid_free(&L->g, 1);
    for (int i = 0; i < L->c.n_warnings; i++) free(L->c.warnings[i]);
    free(L->c.warnings);
    for (int i = 0; i < L->c.n_notes; i++) free(L->c.notes[i]);
    free(L->c.notes);
}

int bd_sweep_load(const char *path, int flags, BdSweep *out, BdError *err) {
    memset(out, 0, sizeof *out);
    if (strlen(path) >= sizeof out->path)
        return bd_fail(err, "%.80s...: path longer than %zu characters", path, sizeof out->path - 1);
    snprintf(out->path, sizeof out->path, "%s", path);
    out->description = bd_xstrdup("");
    yaml_document_t doc;
    int loaded;
    if (sw_yaml_load(path, &out->yaml, &doc, &loaded, err) < 0) {
        if (loaded) yaml_document_delete(&doc);
        bd_sweep_free(out);
        return -1;
    }
    Loader L;
    memset(&L, 0, sizeof L);
    L.c = (SwCtx){.file = path, .text = out->yaml, .doc = &doc, .axes = bd_axes(), .err = err};
    SwCombos seen = {0};
    int rc = parse_root(&L, yaml_document_get_root_node(&doc), out);
    if (rc == 0) rc = parse_exclude(&L);
    if (rc == 0) rc = sw_limits_parse(&L.c, L.limits_node, &L.g, &out->limits);
    if (rc == 0) rc = sw_grid_prepare(&L.c, &L.g);
    if (rc == 0) rc = expand(&L, out, &seen, flags);
    if (rc == 0) rc = sw_check_combinations(&L.c, L.g.ax, &seen, flags);
    free(seen.trigger_seen);
    free(seen.strategy_seen);
    free(seen.regularizer_seen);
    sw_pool_end(L.g.ax, &seen);
    yaml_document_delete(&doc);
    if (rc < 0) {
        loader_free(&L);
        bd_sweep_free(out);
        return -1;
    }
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        out->axes[a] = (BdSweepAxis){L.g.ax[a].values, L.g.ax[a].n, L.g.ax[a].given};
        sw_strset_free(&L.g.ax[a].texts); /* only for loading */
    }
    out->grid = bd_xmalloc(sizeof *out->grid);
    *out->grid = L.g; /* the values now belong to out->axes */
    out->warnings = L.c.warnings;
    out->n_warnings = L.c.n_warnings;
    out->notes = L.c.notes;
    out->n_notes = L.c.n_notes;
    snprintf(out->db_path, sizeof out->db_path, "results/%s.db", out->name);
    if (bd_sweep_models(out, &out->models, err) < 0 || sw_check_memory(out, err) < 0) {
        bd_sweep_free(out);
        return -1;
    }
    if (!(flags & BD_SWEEP_QUIET)) bd_sweep_print_warnings(out);
    return 0;
}

void bd_sweep_print_warnings(const BdSweep *sw) {
    for (int i = 0; i < sw->n_warnings; i++) bd_warn("%s", sw->warnings[i]);
}

void bd_sweep_free(BdSweep *sw) {
    if (!sw) return;
    bd_sweep_models_free(&sw->models);
    for (int i = 0; sw->cells && i < sw->n_cells; i++) {
        free(sw->cells[i].key);
        free(sw->cells[i].pretrain_key);
    }
    free(sw->cells);
    free(sw->limits.profiles);
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        for (int i = 0; i < sw->axes[a].n; i++) free(sw->axes[a].values[i].text);
        free(sw->axes[a].values);
    }
    if (sw->grid) sw_grid_free(sw->grid, 0);
    free(sw->grid);
    for (int i = 0; i < sw->n_warnings; i++) free(sw->warnings[i]);
    free(sw->warnings);
    for (int i = 0; i < sw->n_notes; i++) free(sw->notes[i]);
    free(sw->notes);
    free(sw->description);
    free(sw->yaml);
    memset(sw, 0, sizeof *sw);
}
