/* Reading a sweep's cells back, putting cells left running back to pending,
 * and counting them by status. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rng.h"

int bd_db_requeue_running(BdDb *db, int64_t sweep_id, int *n, BdError *err) {
    sqlite3_stmt *st;
    *n = 0;
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'pending', rank = NULL, host = NULL, started_at = NULL "
                      "WHERE status = 'running' AND "
                      "(?1 = 0 OR id IN (SELECT cell_id FROM sweep_cells WHERE sweep_id = ?1))",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, sweep_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "requeueing running cells");
    *n = sqlite3_changes(db->h);
    return 0;
}

int bd_db_sweep_cells(BdDb *db, int64_t sweep_id, BdDbCell **cells, int *n, BdError *err) {
    sqlite3_stmt *st;
    *cells = NULL;
    *n = 0;
    if (bd_db_prepare(db,
                      "SELECT c.id, c.key, c.status, c.attempts, c.kind, COALESCE(c.depends_on, 0), "
                      "  COALESCE(c.model_id, c.id), c.attack "
                      "FROM sweep_cells sc JOIN cells c ON c.id = sc.cell_id "
                      "WHERE sc.sweep_id = ? ORDER BY sc.position, c.id",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, sweep_id);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) *cells = bd_xrealloc(*cells, sizeof **cells * (size_t)(cap = cap ? 2 * cap : 64));
        BdDbCell *c = &(*cells)[(*n)++];
        c->id = sqlite3_column_int64(st, 0);
        c->key = bd_xstrdup((const char *)sqlite3_column_text(st, 1));
        int status = bd_db_status_index((const char *)sqlite3_column_text(st, 2));
        int kind = bd_job_kind_index((const char *)sqlite3_column_text(st, 4));
        c->status = status < 0 ? BD_DB_FAILED : (BdCellStatus)status; /* the CHECK constraint allows no other */
        c->kind = kind < 0 ? BD_JOB_CELL : (BdJobKind)kind;
        c->attempts = sqlite3_column_int(st, 3);
        c->model_id = sqlite3_column_int64(st, 6);
        c->attack = sqlite3_column_text(st, 7) ? bd_xstrdup((const char *)sqlite3_column_text(st, 7)) : NULL;
        c->depends_on = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        bd_db_cells_free(*cells, *n);
        *cells = NULL;
        *n = 0;
        return bd_db_fail(db, err, "listing the sweep's cells");
    }
    return 0;
}

void bd_db_cells_free(BdDbCell *cells, int n) {
    for (int i = 0; i < n; i++) {
        free(cells[i].key);
        free(cells[i].attack);
    }
    free(cells);
}

static const char *const status_names[BD_DB_STATUS_COUNT] = {"pending", "running", "done", "failed"};

const char *bd_db_status_name(BdCellStatus s) { return status_names[s]; }

int bd_db_status_index(const char *name) {
    for (int i = 0; name && i < BD_DB_STATUS_COUNT; i++)
        if (!strcmp(status_names[i], name)) return i;
    return -1;
}

int bd_db_counts(BdDb *db, int64_t sweep_id, int counts[BD_DB_STATUS_COUNT], BdError *err) {
    sqlite3_stmt *st;
    memset(counts, 0, BD_DB_STATUS_COUNT * sizeof counts[0]);
    if (bd_db_prepare(db,
                      "SELECT status, COUNT(*) FROM cells WHERE ?1 = 0 OR id IN "
                      "(SELECT cell_id FROM sweep_cells WHERE sweep_id = ?1) GROUP BY status",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, sweep_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int s = bd_db_status_index((const char *)sqlite3_column_text(st, 0));
        if (s >= 0) counts[s] = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "counting cells");
    return 0;
}
