/* The results database (SQLite). Rank 0 is its only writer; anyone may read
 * it with sqlite3 while a run goes on (WAL). results/README.md documents
 * every table, column, view and metric name for the people who query it.
 *
 * A cell is identified by its canonical key: registering a sweep inserts the
 * cells it does not know yet and links the others, so submitting a sweep
 * again never duplicates a cell and never retrains a done one.
 *
 * Cell states and the transitions these functions allow:
 *   pending -> running            bd_db_mark_running
 *   failed  -> running            bd_db_mark_running (a --retry-failed run)
 *   running -> done | failed      bd_db_mark_done / bd_db_mark_failed
 *   pending -> failed             bd_db_mark_failed (a cell that cannot start)
 *   running -> pending            bd_db_requeue_running (left by a killed run),
 *                                 bd_db_mark_stopped (stopped by a time limit)
 *   done    -> pending            bd_db_requeue_done (a pre-training job whose
 *                                 model checkpoint is gone, needed again)
 * Anything else (training a done cell again, finishing a cell that is not
 * running) is refused with an error: it would be a bug in the run loop.
 *
 * Every state change is one transaction; every function returns 0, or -1
 * with err naming the database and what went wrong. */
#ifndef BD_DB_H
#define BD_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "error.h"
#include "job.h"
#include "sweep/sweep.h"

/* The schema this build writes; older files are migrated on open, newer ones refused. */
#define BD_DB_SCHEMA_VERSION 2
/* A run whose heartbeat is younger than this, and that has not finished,
 * holds the database: a second run refuses to start. */
#define BD_DB_RUN_STALE_SECONDS 120

typedef struct BdDb BdDb;

/* create=1 makes the parent folder and the file; 0 requires an existing
 * bdsweep database. Refuses a file that is not SQLite, a SQLite database
 * that is not bdsweep's, and a schema newer than this build. */
int bd_db_open(const char *path, int create, BdDb **out, BdError *err);
void bd_db_close(BdDb *db);
/* For read-only queries (status, report). */
sqlite3 *bd_db_sqlite(BdDb *db);
const char *bd_db_path(const BdDb *db);

/* The sweep row (reused when a sweep of the same name and the same YAML text
 * was registered before) + every cell by key (new ones inserted as pending) +
 * the links in sweep order. Idempotent. *n_new: cells this call inserted. */
int bd_db_register(BdDb *db, const BdSweep *sw, int64_t *sweep_id, int *n_new, BdError *err);
/* Inserts one pending cell from the canonical texts of its axis values
 * (texts[a], in axis order; not validated: for tools and tests that write
 * cells by hand, while a run registers whole sweeps), with every column the
 * axes define, and gives its id. */
int bd_db_add_cell(BdDb *db, const char *const *texts, int64_t *id, BdError *err);

/* running -> pending for the sweep's cells (sweep_id 0: every cell), for
 * cells a killed run left running. *n: how many. */
int bd_db_requeue_running(BdDb *db, int64_t sweep_id, int *n, BdError *err);

/* A cell's status: the `status` column holds bd_db_status_name(). */
typedef enum BdCellStatus { BD_DB_PENDING, BD_DB_RUNNING, BD_DB_DONE, BD_DB_FAILED, BD_DB_STATUS_COUNT } BdCellStatus;

const char *bd_db_status_name(BdCellStatus s);
/* The status named name, or -1. */
int bd_db_status_index(const char *name);

typedef struct BdDbCell {
    int64_t id;
    char *key;
    BdCellStatus status;
    int attempts;
    BdJobKind kind;
    int64_t depends_on; /* the job it waits for, 0 for none */
} BdDbCell;
/* The sweep's jobs in sweep order: its pre-training jobs first, then its
 * cells. */
int bd_db_sweep_cells(BdDb *db, int64_t sweep_id, BdDbCell **cells, int *n, BdError *err);
void bd_db_cells_free(BdDbCell *cells, int n);

/* running -> pending: a time limit stopped the cell at an epoch boundary;
 * its checkpoint lets the next run continue it. */
int bd_db_mark_stopped(BdDb *db, int64_t cell, BdError *err);

/* done -> pending, with the reason in `error` until it runs again. */
int bd_db_requeue_done(BdDb *db, int64_t cell, const char *reason, BdError *err);

/* attempts + 1, started_at = now, error, finish and outcome cleared; the
 * metrics of earlier attempts are deleted, so a cell's metrics always come
 * from its latest attempt. */
int bd_db_mark_running(BdDb *db, int64_t cell, int rank, const char *host, BdError *err);
/* Upserts n metrics (phase, epoch, names[i]) = values[i]: writing the same
 * metric again replaces it, never duplicates it. NaN is stored as NULL. */
int bd_db_add_metrics(BdDb *db, int64_t cell, const char *phase, int epoch, const char *const *names,
                      const double *values, int n, BdError *err);

typedef struct BdCellReport {
    double wall_seconds;
    long params;
    double gflops_per_image;
} BdCellReport;
int bd_db_mark_done(BdDb *db, int64_t cell, const BdCellReport *r, BdError *err);
int bd_db_mark_failed(BdDb *db, int64_t cell, double wall_seconds, const char *error, BdError *err);

/* counts[status] over the sweep's jobs (0: all of them). */
int bd_db_counts(BdDb *db, int64_t sweep_id, int counts[BD_DB_STATUS_COUNT], BdError *err);

/* Records a run (this host and pid). Refuses while another run on this
 * database has not finished and has a heartbeat younger than
 * BD_DB_RUN_STALE_SECONDS ("another bdsweep run (pid P on HOST) is using DB
 * since T ..."), unless that run was on this host and its process is gone.
 * sweep_id 0: a run not tied to one sweep. */
int bd_db_run_begin(BdDb *db, int64_t sweep_id, int ranks, int64_t *run_id, BdError *err);
int bd_db_run_heartbeat(BdDb *db, int64_t run_id, BdError *err);
int bd_db_run_end(BdDb *db, int64_t run_id, int exit_status, BdError *err);

/* The SQL a database of this build is made of (tables, the generated columns,
 * every view), and its documentation in markdown, for `bdsweep schema`.
 * The caller frees both. */
char *bd_db_schema_sql(void);
char *bd_db_schema_markdown(void);

#endif
