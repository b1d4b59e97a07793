/* bdsweep status PATH.db [--sweep NAME]: where a results database stands —
 * counts per status (all cells and per sweep name), every failed cell with
 * its error, the running cells, the builds that computed the done cells,
 * and the last run with its build and hosts. Read-only queries. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "db/db.h"
#include "exit_status.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep status PATH.db [--sweep NAME]\n"
            "\n"
            "Shows a results database: cell counts per status (pending, running, done,\n"
            "failed) in total and per sweep name, every failed cell with its key and\n"
            "error, the running cells with their rank, host and time so far, the\n"
            "builds that computed the done cells (bdsweep version, git commit and\n"
            "build options of the run that finished each), the last run's start,\n"
            "heartbeat, finish, build and the hosts of its ranks, and how many groups\n"
            "of poisoned cells can be told from their clean baselines by clean\n"
            "accuracy alone (view `detection`; bdsweep report shows them).\n"
            "\n"
            "  --sweep NAME   only the cells of the sweep(s) named NAME\n"
            "\n"
            "Works on read-only storage and on a --publish snapshot.\n"
            "\n"
            "exit status: 0, or 2 when the database is missing, damaged or not bdsweep's.\n");
}

/* 45s, 3m12s, 2h05m, 3d04h */
static void duration(double s, char *out, size_t cap) {
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (t < 60) snprintf(out, cap, "%lds", t);
    else if (t < 3600) snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
    else if (t < 86400) snprintf(out, cap, "%ldh%02ldm", t / 3600, t % 3600 / 60);
    else snprintf(out, cap, "%ldd%02ldh", t / 86400, t % 86400 / 3600);
}

static const char *text(sqlite3_stmt *st, int col) {
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s ? s : "";
}

/* Cells of the selection: every cell, or those of the sweeps named ?1. */
#define SELECTED                                                                                      \
    "(?1 IS NULL OR c.id IN (SELECT sc.cell_id FROM sweep_cells sc JOIN sweeps s ON s.id = sc.sweep_id " \
    "WHERE s.name = ?1))"

typedef struct Status {
    sqlite3 *h;
    const char *path;
    const char *sweep; /* NULL: all */
} Status;

static int prepare(const Status *s, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v2(s->h, sql, -1, st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bdsweep status: %s: %s\n", s->path, sqlite3_errmsg(s->h));
        return -1;
    }
    if (sqlite3_bind_parameter_count(*st) >= 1) {
        if (s->sweep) sqlite3_bind_text(*st, 1, s->sweep, -1, SQLITE_STATIC);
        else sqlite3_bind_null(*st, 1);
    }
    return 0;
}

static int finish(const Status *s, sqlite3_stmt *st, int rc) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "bdsweep status: %s: %s\n", s->path, sqlite3_errmsg(s->h));
        return -1;
    }
    return 0;
}

static void print_counts(const char *label, int total, const int c[4]) {
    printf("%s%d cells: %d pending, %d running, %d done, %d failed\n", label, total, c[0], c[1], c[2], c[3]);
}

static int show_counts(const Status *s) {
    static const char *const names[4] = {"pending", "running", "done", "failed"};
    sqlite3_stmt *st;
    if (prepare(s, "SELECT c.status, COUNT(*) FROM cells c WHERE c.kind = 'cell' AND " SELECTED " GROUP BY c.status",
                &st) < 0)
        return -1;
    int c[4] = {0}, total = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < 4; i++)
            if (!strcmp(text(st, 0), names[i])) c[i] = sqlite3_column_int(st, 1);
        total += sqlite3_column_int(st, 1);
    }
    if (finish(s, st, rc) < 0) return -1;
    print_counts(s->sweep ? "selected: " : "total: ", total, c);
    /* The jobs that train models no single cell owns (common/job.h). */
    if (prepare(s,
                "SELECT SUM(c.kind = 'clean'), SUM(c.kind = 'clean' AND c.status = 'done'), SUM(c.kind = 'pretrain'), "
                "  SUM(c.kind = 'pretrain' AND c.status = 'done') FROM cells c WHERE c.kind <> 'cell' AND " SELECTED,
                &st) < 0)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) + sqlite3_column_int(st, 2) > 0)
        printf("models shared by cells: %d clean model%s (%d done), %d pre-training job%s (%d done)\n",
               sqlite3_column_int(st, 0), sqlite3_column_int(st, 0) == 1 ? "" : "s", sqlite3_column_int(st, 1),
               sqlite3_column_int(st, 2), sqlite3_column_int(st, 2) == 1 ? "" : "s", sqlite3_column_int(st, 3));
    if (finish(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc) < 0) return -1;

    /* Per sweep name: a cell shared by two submissions of a name counts once. */
    if (prepare(s,
                "SELECT d.name, x.submissions, x.last, "
                "  COUNT(*), SUM(c.status = 'pending'), SUM(c.status = 'running'), SUM(c.status = 'done'), "
                "  SUM(c.status = 'failed') "
                "FROM (SELECT DISTINCT s.name, sc.cell_id FROM sweeps s JOIN sweep_cells sc ON sc.sweep_id = s.id "
                "      WHERE ?1 IS NULL OR s.name = ?1) d "
                "JOIN cells c ON c.id = d.cell_id AND c.kind = 'cell' "
                "JOIN (SELECT name, COUNT(*) AS submissions, MAX(submitted_at) AS last FROM sweeps GROUP BY name) x "
                "  ON x.name = d.name "
                "GROUP BY d.name ORDER BY d.name",
                &st) < 0)
        return -1;
    int first = 1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (first) printf("\nsweeps:\n");
        first = 0;
        char label[256];
        int n = sqlite3_column_int(st, 1);
        snprintf(label, sizeof label, "  %s (%d submission%s, last %s): ", text(st, 0), n, n == 1 ? "" : "s",
                 text(st, 2));
        int k[4] = {sqlite3_column_int(st, 4), sqlite3_column_int(st, 5), sqlite3_column_int(st, 6),
                    sqlite3_column_int(st, 7)};
        print_counts(label, sqlite3_column_int(st, 3), k);
    }
    return finish(s, st, rc);
}

/* Finding 2 in one line: groups of poisoned cells whose clean accuracy is
 * told apart from their baselines' (view `detection`). With --sweep, the
 * groups that hold a cell of the selection. Nothing when no group has a done
 * poisoned cell. */
static int show_detection(const Status *s) {
    sqlite3_stmt *st;
    if (prepare(s,
                "SELECT COUNT(*), SUM(d.interval_detectable = 1), SUM(d.interval IS NULL), SUM(d.interval = 'paired') "
                "FROM detection d "
                "WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM cells c WHERE " SELECTED
                "  AND c.kind = 'cell' AND c.condition = d.condition)",
                &st) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0) {
        int n = sqlite3_column_int(st, 0), k = sqlite3_column_int(st, 1), untestable = sqlite3_column_int(st, 2),
            paired = sqlite3_column_int(st, 3);
        /* The interval the report judges by: paired by seed where two or
         * more seeds have both sides on paired streams, Welch's otherwise. */
        int tested = n - untestable;
        const char *how = !tested ? "" : paired == tested ? "; paired by seed" : paired ? "; paired by seed where "
                                                                                         "possible, else Welch's"
                                                                             : "; Welch's";
        printf("\ndetection: %d of %d group%s of poisoned cells detectable by clean accuracy alone (95%% interval "
               "excludes 0%s)", k, n, n == 1 ? "" : "s", how);
        if (untestable) printf("; %d untested (fewer than 2 seeds on a side)", untestable);
        printf("\n");
    }
    return finish(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* Error texts may span lines (a worker's message): indent the continuation. */
static void print_indented(const char *prefix, const char *msg) {
    printf("%s", prefix);
    for (const char *p = msg; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1]) printf("      ");
    }
    putchar('\n');
}

static int show_failed(const Status *s) {
    sqlite3_stmt *st;
    if (prepare(s,
                "SELECT c.key, c.attempts, c.error, c.host, c.finished_at FROM cells c "
                "WHERE c.status = 'failed' AND c.kind = 'cell' AND " SELECTED " ORDER BY c.id",
                &st) < 0)
        return -1;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!n++) printf("\nfailed cells:\n");
        printf("  %s\n", text(st, 0));
        printf("    attempts %d, failed %s%s%s\n", sqlite3_column_int(st, 1), text(st, 4), *text(st, 3) ? " on " : "",
               text(st, 3));
        print_indented("    error: ", text(st, 2));
    }
    return finish(s, st, rc);
}

static int show_running(const Status *s) {
    sqlite3_stmt *st;
    if (prepare(s,
                "SELECT c.key, c.rank, c.host, c.started_at, "
                "  (julianday('now') - julianday(c.started_at)) * 86400.0 FROM cells c "
                "WHERE c.status = 'running' AND c.kind = 'cell' AND " SELECTED " ORDER BY c.started_at",
                &st) < 0)
        return -1;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!n++) printf("\nrunning cells:\n");
        char d[32];
        duration(sqlite3_column_double(st, 4), d, sizeof d);
        printf("  %s\n", text(st, 0));
        printf("    rank %d on %s, since %s (%s)\n", sqlite3_column_int(st, 1), text(st, 2), text(st, 3), d);
    }
    if (finish(s, st, rc) < 0) return -1;
    if (!n) return 0;
    /* Running cells with no live run were left by a killed one. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM runs WHERE finished_at IS NULL AND "
             "(julianday('now') - julianday(heartbeat_at)) * 86400.0 < %d",
             BD_DB_RUN_STALE_SECONDS);
    if (prepare(s, sql, &st) < 0) return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 0)
        printf("  (no run is alive: these cells were left by a run that stopped; the next run puts them back to "
               "pending)\n");
    return finish(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

/* "bdsweep 0.1.0, commit 0bfe51075107, native=false buildtype=release ..."
 * from the columns (version, git_commit, build_options) at col. */
static void print_build(sqlite3_stmt *st, int col) {
    printf("bdsweep %s, %s%s, %s", text(st, col), sqlite3_column_type(st, col + 1) == SQLITE_NULL ? "no commit" : "commit ",
           text(st, col + 1), text(st, col + 2));
}

/* Which builds computed the done cells of the selection: the build of the
 * run that finished each. */
static int show_builds(const Status *s) {
    sqlite3_stmt *st;
    if (prepare(s,
                "SELECT COUNT(*), r.id IS NULL, r.version, r.git_commit, r.build_options, MIN(r.id), MAX(r.id) "
                "FROM cells c LEFT JOIN runs r ON r.id = c.run_id "
                "WHERE c.status = 'done' AND c.kind = 'cell' AND " SELECTED " GROUP BY 2, 3, 4, 5 ORDER BY MAX(r.id) DESC",
                &st) < 0)
        return -1;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!n++) printf("\ndone cells by build:\n");
        int k = sqlite3_column_int(st, 0);
        printf("  %d cell%s: ", k, k == 1 ? "" : "s");
        if (sqlite3_column_int(st, 1)) {
            printf("not recorded (done before bdsweep recorded builds)\n");
            continue;
        }
        print_build(st, 2);
        int64_t lo = sqlite3_column_int64(st, 5), hi = sqlite3_column_int64(st, 6);
        if (lo == hi) printf(" (run #%" PRId64 ")\n", lo);
        else printf(" (runs #%" PRId64 "..#%" PRId64 ")\n", lo, hi);
    }
    return finish(s, st, rc);
}

static void print_range(int first, int last) {
    if (first == last) printf("%d", first);
    else printf("%d-%d", first, last);
}

/* "0 on vm; 1-3 on node7": the run's ranks by host, consecutive ranks as ranges. */
static int show_run_ranks(const Status *s, int64_t run_id, int ranks) {
    sqlite3_stmt *st;
    if (prepare(s, "SELECT rank, host FROM run_ranks WHERE run_id = ?2 ORDER BY host, rank", &st) < 0) return -1;
    sqlite3_bind_int64(st, 2, run_id);
    char host[256] = "";
    int rc, n = 0, first = -1, last = -1;
    printf("  ranks     ");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int rank = sqlite3_column_int(st, 0);
        const char *h = text(st, 1);
        int same_host = n > 0 && !strcmp(h, host);
        n++;
        if (same_host && rank == last + 1) {
            last = rank;
            continue;
        }
        if (first >= 0) print_range(first, last);
        if (!same_host) {
            if (first >= 0) printf(" on %s; ", host);
            snprintf(host, sizeof host, "%s", h);
        } else {
            printf(",");
        }
        first = last = rank;
    }
    if (first >= 0) {
        print_range(first, last);
        printf(" on %s", host);
    }
    if (!n) printf("(not recorded)");
    else if (n < ranks) printf(" (%d of %d ranks reported)", n, ranks);
    printf("\n");
    return finish(s, st, rc);
}

static int show_last_run(const Status *s) {
    sqlite3_stmt *st;
    if (prepare(s,
                "SELECT r.id, COALESCE(w.name, '(no sweep)'), r.ranks, r.pid, r.host, r.started_at, r.heartbeat_at, "
                "  r.finished_at, r.exit_status, (julianday('now') - julianday(r.heartbeat_at)) * 86400.0, "
                "  r.version IS NOT NULL, r.version, r.git_commit, r.build_options "
                "FROM runs r LEFT JOIN sweeps w ON w.id = r.sweep_id "
                "WHERE ?1 IS NULL OR w.name = ?1 ORDER BY r.id DESC LIMIT 1",
                &st) < 0)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char ago[32];
        duration(sqlite3_column_double(st, 9), ago, sizeof ago);
        printf("\nlast run: #%" PRId64 " of %s, %d rank%s, pid %d on %s\n", (int64_t)sqlite3_column_int64(st, 0),
               text(st, 1), sqlite3_column_int(st, 2), sqlite3_column_int(st, 2) == 1 ? "" : "s",
               sqlite3_column_int(st, 3), text(st, 4));
        printf("  started   %s\n", text(st, 5));
        printf("  heartbeat %s (%s ago)\n", text(st, 6), ago);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL)
            printf("  finished  %s, exit status %d\n", text(st, 7), sqlite3_column_int(st, 8));
        else if (sqlite3_column_double(st, 9) < BD_DB_RUN_STALE_SECONDS)
            printf("  still running\n");
        else
            printf("  ended without finishing (killed?): its running cells go back to pending at the next run\n");
        printf("  build     ");
        if (sqlite3_column_int(st, 10)) print_build(st, 11);
        else printf("not recorded (a run before bdsweep recorded builds)");
        printf("\n");
        int64_t run_id = sqlite3_column_int64(st, 0);
        int ranks = sqlite3_column_int(st, 2);
        sqlite3_finalize(st);
        return show_run_ranks(s, run_id, ranks);
    } else if (rc == SQLITE_DONE) {
        printf("\nno run yet\n");
    }
    return finish(s, st, rc);
}

static int sweep_exists(const Status *s, int *exists) {
    sqlite3_stmt *st;
    if (prepare(s, "SELECT COUNT(*) FROM sweeps WHERE name = ?1", &st) < 0) return -1;
    int rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    return finish(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc);
}

static void list_sweep_names(const Status *s) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->h, "SELECT DISTINCT name FROM sweeps ORDER BY name", -1, &st, NULL) != SQLITE_OK) return;
    int n = 0;
    fprintf(stderr, "hint: the sweeps in %s are:", s->path);
    while (sqlite3_step(st) == SQLITE_ROW) fprintf(stderr, "%s %s", n++ ? "," : "", text(st, 0));
    fprintf(stderr, "%s\n", n ? "" : " (none)");
    sqlite3_finalize(st);
}

int bd_cmd_status(int argc, char **argv) {
    const char *path = NULL, *sweep = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--sweep")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bdsweep status: --sweep needs a sweep name\nhint: bdsweep status --help\n");
                return BD_EXIT_USAGE;
            }
            sweep = argv[++i];
        } else if (!strncmp(a, "--sweep=", 8)) {
            sweep = a + 8;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "bdsweep status: unknown option '%s'\nhint: bdsweep status --help\n", a);
            return BD_EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "bdsweep status: one database expected, got '%s' and '%s'\nhint: bdsweep status --help\n",
                    path, a);
            return BD_EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (!path) {
        fprintf(stderr, "bdsweep status: missing the database\n"
                        "hint: bdsweep status results/NAME.db (bdsweep status --help)\n");
        return BD_EXIT_USAGE;
    }
    BdDb *db;
    BdError err = {0};
    if (bd_db_open_read(path, &db, &err) < 0) {
        fprintf(stderr, "bdsweep status: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    Status s = {bd_db_sqlite(db), path, sweep};
    int rc = 0, exists = 1;
    if (sweep && sweep_exists(&s, &exists) < 0) rc = 1;
    if (!rc && !exists) {
        fprintf(stderr, "bdsweep status: no sweep named '%s' in %s\n", sweep, path);
        list_sweep_names(&s);
        rc = 2;
    }
    if (!rc) {
        printf("database %s\n", path);
        if (show_counts(&s) < 0 || show_detection(&s) < 0 || show_failed(&s) < 0 || show_running(&s) < 0 ||
            show_builds(&s) < 0 || show_last_run(&s) < 0)
            rc = 1;
    }
    bd_db_close(db);
    return rc;
}
