/* Trigger previews: a PNG grid of clean and triggered test images per
 * distinct (dataset, trigger), written with bd_preview_write. The trigger is
 * made exactly as a cell makes it (bd_trigger_make with seed 0: its pattern
 * depends on its spec alone), so the picture is what the model sees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack.h"
#include "attack/preview.h"
#include "axes.h"
#include "data/dataset.h"
#include "report_internal.h"
#include "rng.h"
#include "text.h"

/* ---- file names -------------------------------------------------------------------------------- */

void bd_safe_filename(const char *text, char *out, size_t cap) {
    enum { KEEP = 120 }; /* longer names are cut and get a hash of the whole text */
    if (cap < 32) {
        snprintf(out, cap, "x");
        return;
    }
    size_t o = 0, limit = cap - 1 < KEEP ? cap - 1 : KEEP;
    int pending_sep = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o < limit; p++) {
        int c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                   c == '-' || c == '_' || c == '=';
        if (!keep) {
            pending_sep = o > 0;
            continue;
        }
        if (pending_sep && o < limit) out[o++] = '_';
        pending_sep = 0;
        if (o < limit) out[o++] = c == '=' ? '-' : (char)c;
    }
    /* A name must not start with '.' (hidden, or "." / ".."). */
    if (o == 0 || out[0] == '.') {
        memmove(out + 1, out, o < limit ? o : limit - 1);
        out[0] = 'x';
        o = o < limit ? o + 1 : limit;
    }
    out[o] = '\0';
    size_t full = strlen(text);
    if (o >= KEEP || full > KEEP) {
        char hash[24];
        snprintf(hash, sizeof hash, "-%016llx", (unsigned long long)bd_hash_str(text));
        size_t keep = o + strlen(hash) < cap ? o : cap - 1 - strlen(hash);
        snprintf(out + keep, cap - keep, "%s", hash);
    }
}

void bd_preview_filename(const char *dataset, const char *trigger, char *out, size_t cap) {
    char t[160], d[160];
    bd_safe_filename(trigger, t, sizeof t);
    if (!dataset) {
        snprintf(out, cap, "%s", t);
        return;
    }
    bd_safe_filename(dataset, d, sizeof d);
    snprintf(out, cap, "%s__%s", d, t);
}

/* ---- one preview ---------------------------------------------------------------------------------- */

struct BdPreviewCache {
    char key[BD_SPEC_TEXT_MAX]; /* canonical text of the loaded dataset; "" when none */
    BdDataset data;
    char failed_key[BD_SPEC_TEXT_MAX]; /* the last dataset that failed, and why */
    BdError failed;
};

BdPreviewCache *bd_preview_cache_new(void) { return bd_xcalloc(1, sizeof(BdPreviewCache)); }

void bd_preview_cache_free(BdPreviewCache *c) {
    if (!c) return;
    if (c->key[0]) bd_dataset_free(&c->data);
    free(c);
}

static int cached_dataset(BdPreviewCache *c, const char *text, const BdDataset **out, BdError *err) {
    if (c->key[0] && !strcmp(c->key, text)) {
        *out = &c->data;
        return 0;
    }
    /* A dataset that failed once fails again: do not read it twice. */
    if (c->failed_key[0] && !strcmp(c->failed_key, text)) return bd_fail(err, "%s", c->failed.msg);
    if (c->key[0]) bd_dataset_free(&c->data);
    c->key[0] = '\0';
    BdSpec spec;
    BdError e = {0};
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_DATASET, text, &spec, &e) < 0 ||
        bd_dataset_load(&spec, &c->data, &e) < 0) {
        snprintf(c->failed_key, sizeof c->failed_key, "%s", text);
        bd_fail(&c->failed, "dataset %s cannot be loaded on this machine: %s", text, e.msg);
        return bd_fail(err, "%s", c->failed.msg);
    }
    snprintf(c->key, sizeof c->key, "%s", text);
    *out = &c->data;
    return 0;
}

int bd_preview_trigger(BdPreviewCache *c, const char *dataset_text, const char *trigger_text, const char *png_path,
                       int n, BdError *err) {
    const BdDataset *d = NULL;
    if (cached_dataset(c, dataset_text, &d, err) < 0) return -1;
    BdSpec spec;
    BdTrigger *t = NULL;
    BdError e = {0};
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_TRIGGER, trigger_text, &spec, &e) < 0 ||
        bd_trigger_check_fit(&spec, d->shape, &e) < 0 || bd_trigger_make(&spec, d->shape, 0, &t, &e) < 0)
        return bd_fail(err, "trigger %s on dataset %s: %s", trigger_text, dataset_text, e.msg);
    int rc = bd_preview_write(png_path, d, t, n, 0, &e);
    bd_trigger_free(t);
    if (rc < 0) return bd_fail(err, "%s", e.msg);
    return 0;
}

/* ---- the report's previews ------------------------------------------------------------------------- */

int rep_previews(Rep *r) {
    if (r->o->preview_n <= 0) {
        bd_str_puts(&r->previews_note, "Trigger previews were not made (--no-previews).");
        return 0;
    }
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT dataset, trigger, (SELECT COUNT(DISTINCT dataset) FROM cells WHERE kind = 'cell') "
                    "FROM cells "
                    "WHERE kind = 'cell' AND trigger IS NOT NULL GROUP BY dataset, trigger ORDER BY MIN(id)",
                    &st) < 0)
        return -1;
    BdPreviewCache *cache = bd_preview_cache_new();
    int rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        r->previews = bd_xrealloc(r->previews, sizeof *r->previews * (size_t)(r->n_previews + 1));
        RepPreview *p = &r->previews[r->n_previews++];
        memset(p, 0, sizeof *p);
        p->dataset = bd_xstrdup(rep_text(st, 0));
        p->trigger = bd_xstrdup(rep_text(st, 1));
        char name[300];
        bd_preview_filename(sqlite3_column_int(st, 2) > 1 ? p->dataset : NULL, p->trigger, name, sizeof name);
        snprintf(p->file, sizeof p->file, "preview-%s.png", name);
        char path[4600];
        BdError e = {0};
        if (bd_path_join(path, sizeof path, r->o->out_dir, p->file, &e) < 0 ||
            bd_preview_trigger(cache, p->dataset, p->trigger, path, r->o->preview_n, &e) < 0) {
            p->error = bd_xstrdup(e.msg);
            p->file[0] = '\0';
        }
    }
    bd_preview_cache_free(cache);
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    return 0;
}
