/* bdsweep report: selects the cells (all, or one sweep's), reads what the
 * database holds, and writes the findings, figures, tables and previews.
 *
 * Every query runs in one read transaction (or on a private in-memory copy
 * for --sweep), so a report made while a run writes is consistent: it shows
 * the database as it was at one moment. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report_internal.h"
#include "svg.h"
#include "text.h"

/* ---- the output folder ----------------------------------------------------------------------- */

static int make_dirs(const char *path, BdError *err) {
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return bd_fail(err, "%s: the output folder's path is too long", path);
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = '\0';
        struct stat st;
        if (stat(dir, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                return bd_fail(err, "%s is not a folder: expected a folder for the report (--out)", dir);
        } else if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
            return bd_fail(err, "cannot create the report folder %s: %s", dir, strerror(errno));
        }
        *p = c;
        if (!c) break;
    }
    return 0;
}

/* ---- selecting one sweep ------------------------------------------------------------------------ */

/* A private in-memory copy of the database holding only the cells of the
 * sweep(s) named `sweep`, so that every view (baselines, groups) sees those
 * cells alone. */
static int copy_sweep(BdDb *db, const char *sweep, sqlite3 **out, BdError *err) {
    sqlite3 *src = bd_db_sqlite(db), *mem;
    const char *path = bd_db_path(db);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(src, "SELECT COUNT(*) FROM sweeps WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
        return bd_fail(err, "%s: %s", path, sqlite3_errmsg(src));
    sqlite3_bind_text(st, 1, sweep, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (!found) {
        char names[1024] = "";
        size_t o = 0;
        if (sqlite3_prepare_v2(src, "SELECT DISTINCT name FROM sweeps ORDER BY name", -1, &st, NULL) == SQLITE_OK) {
            while (sqlite3_step(st) == SQLITE_ROW && o + 2 < sizeof names)
                o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", o ? ", " : "",
                                      (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
        return bd_fail(err, "no sweep named '%s' in %s (its sweeps: %s)", sweep, path, o ? names : "none");
    }
    if (sqlite3_open(":memory:", &mem) != SQLITE_OK) return bd_fail(err, "cannot open an in-memory database");
    sqlite3_backup *bk = sqlite3_backup_init(mem, "main", src, "main");
    int rc = bk ? sqlite3_backup_step(bk, -1) : SQLITE_ERROR;
    if (bk) sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE) {
        bd_fail(err, "%s: cannot copy the database for --sweep: %s", path, sqlite3_errmsg(mem));
        sqlite3_close(mem);
        return -1;
    }
    static const char *const keep_only[] = {
        "DELETE FROM metrics WHERE cell_id NOT IN (SELECT sc.cell_id FROM sweep_cells sc "
        "JOIN sweeps s ON s.id = sc.sweep_id WHERE s.name = ?1)",
        "DELETE FROM cells WHERE id NOT IN (SELECT sc.cell_id FROM sweep_cells sc "
        "JOIN sweeps s ON s.id = sc.sweep_id WHERE s.name = ?1)",
    };
    for (int i = 0; i < 2; i++) {
        if (sqlite3_prepare_v2(mem, keep_only[i], -1, &st, NULL) != SQLITE_OK) {
            bd_fail(err, "%s: %s", path, sqlite3_errmsg(mem));
            sqlite3_close(mem);
            return -1;
        }
        sqlite3_bind_text(st, 1, sweep, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            bd_fail(err, "%s: selecting sweep '%s': %s", path, sweep, sqlite3_errmsg(mem));
            sqlite3_close(mem);
            return -1;
        }
    }
    *out = mem;
    return 0;
}

/* ---- what the database holds ----------------------------------------------------------------------- */

static int read_state(Rep *r) {
    static const char *const names[4] = {"pending", "running", "done", "failed"};
    sqlite3_stmt *st;
    if (rep_prepare(r, "SELECT kind, status, COUNT(*) FROM cells GROUP BY kind, status", &st) < 0) return -1;
    int rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW)
        for (int i = 0; i < 4; i++)
            if (!strcmp(rep_text(st, 1), names[i])) {
                if (!strcmp(rep_text(st, 0), "cell")) r->counts[i] += sqlite3_column_int(st, 2);
                else r->pretrain[i] += sqlite3_column_int(st, 2);
            }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        char sql[256];
        double n, done;
        snprintf(sql, sizeof sql, "SELECT COUNT(DISTINCT %s) FROM cells WHERE kind = 'cell'", bd_axes()[a].name);
        if (rep_number(r, sql, &n) < 0) return -1;
        snprintf(sql, sizeof sql, "SELECT COUNT(DISTINCT %s) FROM cells WHERE kind = 'cell' AND status = 'done'",
                 bd_axes()[a].name);
        if (rep_number(r, sql, &done) < 0) return -1;
        r->grid[a] = isfinite(n) ? (int)n : 0;
        r->varies[a] = r->counts[2] && isfinite(done) ? (int)done : r->grid[a];
    }

    int total = r->counts[0] + r->counts[1] + r->counts[2] + r->counts[3];
    BdStr *s = &r->state;
    if (total == 0) {
        bd_str_puts(s, "The database holds no cell yet: run a sweep into it (mpirun -n N bdsweep run SWEEP.yaml "
                       "--db PATH). The findings below say what each one needs.");
        return 0;
    }
    bd_str_printf(s, "%d %s: %d done, %d pending, %d running, %d failed.", total, total == 1 ? "cell" : "cells",
                  r->counts[2], r->counts[0], r->counts[1], r->counts[3]);
    int pt = r->pretrain[0] + r->pretrain[1] + r->pretrain[2] + r->pretrain[3];
    if (pt) bd_str_printf(s, " Plus %d clean pre-training %s (%d done).", pt, pt == 1 ? "job" : "jobs", r->pretrain[2]);
    if (r->counts[0] + r->counts[1])
        bd_str_printf(s, " The sweep is not finished: the findings use the %d done cells, and %d more are to come "
                         "(bdsweep run continues it; bdsweep status shows where it stands).",
                      r->counts[2], r->counts[0] + r->counts[1]);
    if (r->counts[3])
        bd_str_printf(s, " %d %s failed and %s left out (see the table of failed cells); fix the cause and run the "
                         "sweep again with --retry-failed.",
                      r->counts[3], r->counts[3] == 1 ? "cell" : "cells", r->counts[3] == 1 ? "is" : "are");
    /* The grid: what varies and what every cell shares. */
    int first = 1;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (r->grid[a] <= 1) continue;
        bd_str_printf(s, "%s%s (%d)", first ? " Varied: " : ", ", bd_axes()[a].label, r->grid[a]);
        first = 0;
    }
    if (!first) bd_str_puts(s, ".");
    first = 1;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (r->grid[a] != 1) continue;
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT %s FROM cells WHERE kind = 'cell' LIMIT 1", bd_axes()[a].name);
        if (rep_prepare(r, sql, &st) < 0) return -1;
        if ((rc = rep_step(r, st)) < 0) return -1;
        bd_str_printf(s, "%s%s %s", first ? " The same in every cell: " : "; ", bd_axes()[a].label,
                      rc == SQLITE_ROW ? rep_text(st, 0) : "");
        sqlite3_finalize(st);
        first = 0;
    }
    if (!first) bd_str_puts(s, ".");
    return 0;
}

/* ---- the whole report -------------------------------------------------------------------------------- */

static void rep_free(Rep *r) {
    bd_str_free(&r->state);
    for (int i = 0; i < BD_FINDINGS; i++) bd_str_free(&r->f[i].text), bd_str_free(&r->f[i].advice);
    for (int i = 0; i < REP_FIGURES; i++) bd_str_free(&r->fig[i].svg), bd_str_free(&r->fig[i].caption);
    rep_tables_free(r);
    for (int i = 0; i < r->n_previews; i++) {
        free(r->previews[i].dataset);
        free(r->previews[i].trigger);
        free(r->previews[i].error);
    }
    free(r->previews);
    bd_str_free(&r->previews_note);
}

static int build(Rep *r) {
    if (read_state(r) < 0 || rep_findings(r) < 0 || rep_figures(r) < 0 || rep_tables(r) < 0 || rep_previews(r) < 0)
        return -1;
    for (int i = 0; i < REP_FIGURES; i++) {
        BdStr file = {0};
        bd_svg_file(&file, &r->fig[i].svg);
        char path[4600];
        int rc = bd_path_join(path, sizeof path, r->o->out_dir, r->fig[i].file, r->err);
        if (rc == 0) rc = bd_str_write_file(&file, path, r->err);
        bd_str_free(&file);
        if (rc < 0) return -1;
    }
    if (rep_write_html(r) < 0 || rep_write_md(r) < 0) return -1;
    if (r->o->csv && rep_write_csv(r) < 0) return -1;
    return 0;
}

int bd_report_write(BdDb *db, const BdReportOptions *o, BdReportSummary *out, BdError *err) {
    memset(out, 0, sizeof *out);
    if (make_dirs(o->out_dir, err) < 0) return -1;
    Rep r = {0};
    r.o = o;
    r.err = err;
    r.db_path = bd_db_path(db);
    sqlite3 *mem = NULL;
    if (o->sweep) {
        if (copy_sweep(db, o->sweep, &mem, err) < 0) return -1;
        r.h = mem;
    } else {
        r.h = bd_db_sqlite(db);
        if (sqlite3_exec(r.h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return bd_fail(err, "%s: %s", r.db_path, sqlite3_errmsg(r.h));
    }
    int rc = build(&r);
    if (mem) sqlite3_close(mem);
    else sqlite3_exec(r.h, "COMMIT", NULL, NULL, NULL);
    if (rc == 0) {
        bd_path_join(out->index_path, sizeof out->index_path, o->out_dir, "index.html", NULL); /* fits: the files above did */
        for (int i = 0; i < BD_FINDINGS; i++)
            snprintf(out->headline[i], sizeof out->headline[i], "%d. [%s] %s", i + 1,
                     rep_verdict_text(r.f[i].verdict), r.f[i].headline);
        out->figures = REP_FIGURES;
        for (int i = 0; i < r.n_previews; i++) {
            out->previews += r.previews[i].file[0] != '\0';
            out->preview_failures += r.previews[i].file[0] == '\0';
        }
        for (int i = 0; i < r.n_tables; i++) out->tables += r.o->csv || r.tables[i].in_report;
    }
    rep_free(&r);
    return rc;
}
