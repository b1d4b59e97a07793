/* The results database (SQLite). Rank 0 is its only writer; anyone may read
 * it with sqlite3 while a run goes on (WAL). results/README.md documents
 * every table, column, view and metric name for the people who query it.
 *
 * A cell is identified by its canonical key: registering a sweep inserts the
 * cells it does not know yet and links the others, so submitting a sweep
 * again never duplicates a cell and never retrains a done one.
 *
 * Cell states and the transitions these functions allow (for a job and the
 * grid cells it serves together, see BdDbDispatch below):
 *   pending -> running            bd_db_job_start
 *   failed  -> running            bd_db_job_start (a --retry-failed run)
 *   running -> done | failed      bd_db_job_done / bd_db_job_failed
 *   pending -> failed             bd_db_job_failed (a job that cannot start)
 *   running -> pending            bd_db_requeue_running (left by a killed run),
 *                                 bd_db_job_stopped (stopped by a time limit)
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
#include "wire.h"
#include "sweep/sweep.h"

/* The random-stream design of this build (cells.streams): 2, paired streams
 * (worker/cell/streams.h); 1 was each stream seeded from the whole key. A
 * cell takes this build's value when an attempt of it starts. */
#define BD_DB_STREAMS_TEXT "2"

/* The schema this build writes; older files are migrated on open, newer ones refused. */
#define BD_DB_SCHEMA_VERSION 3
/* A run whose heartbeat is younger than this, and that has not finished,
 * holds the database: a second run refuses to start. */
#define BD_DB_RUN_STALE_SECONDS 120

typedef struct BdDb BdDb;

/* For the writer (a run). create=1 makes the parent folder and the file; 0
 * requires an existing bdsweep database. Refuses a file that is not SQLite,
 * a SQLite database that is not bdsweep's, a damaged one (PRAGMA
 * quick_check, before anything is written), and a schema newer than this
 * build. Puts the file in WAL mode. */
int bd_db_open(const char *path, int create, BdDb **out, BdError *err);
/* For readers (status, report): the same refusals, but the journal mode is
 * left alone, and the file may be on read-only storage: then nothing is
 * written, and views that are not this build's are replaced by TEMP views
 * of this connection. */
int bd_db_open_read(const char *path, BdDb **out, BdError *err);
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
    int64_t model_id;   /* the job that trains its model: itself, or its clean model */
    char *attack;       /* a grid cell's attack key (cells.attack); NULL for a job */
} BdDbCell;
/* The sweep's jobs in sweep order: its pre-training jobs first, then its
 * cells. */
int bd_db_sweep_cells(BdDb *db, int64_t sweep_id, BdDbCell **cells, int *n, BdError *err);
void bd_db_cells_free(BdDbCell *cells, int n);

/* ---- state changes: one transaction each ------------------------------------------
 *
 * A dispatch is a job (a row that trains a model) and the grid cells whose
 * numbers it produces this time: a cell of the grid with poisoned data is
 * its own job; a clean model serves every cell of rate 0 that pairs with it
 * (common/job.h). When new cells join a clean model that is done already,
 * it is dispatched again to re-evaluate (reevaluate = 1): it stays done, and
 * only the served cells and their attacks' metrics change. */
typedef struct BdDbDispatch {
    int64_t job;
    const int64_t *cells;       /* [n_cells] the grid cells it serves (the job itself for a cell) */
    const char *const *attacks; /* [n_cells] their attack keys (cells.attack) */
    int n_cells;
    int reevaluate;
} BdDbDispatch;

/* pending|failed -> running for the job and its cells (attempts + 1,
 * started_at = now, error and outcome cleared); the metrics the attempt will
 * write again are deleted first, so a cell's numbers always come from its
 * latest attempt. */
int bd_db_job_start(BdDb *db, const BdDbDispatch *d, int rank, const char *host, BdError *err);
/* Upserts one metrics record of a running dispatch (streamed while it
 * trains, so readers see the curve): into the job's row, keeping only the
 * model's own numbers (unless re-evaluated) and those of the served attacks.
 * Writing a metric again replaces it; NaN is stored as NULL. */
int bd_db_job_metrics(BdDb *db, const BdDbDispatch *d, const BdMetricsRecord *r, BdError *err);

typedef struct BdCellReport {
    double wall_seconds;
    long params;
    double gflops_per_image;
} BdCellReport;
/* running -> done for the job and its cells, storing every metrics record of
 * the job's history (common/wire.h) in the same transaction: a cell is never
 * done without every number it produced. */
int bd_db_job_done(BdDb *db, const BdDbDispatch *d, const BdCellReport *r, const void *history, size_t len,
                 BdError *err);
/* pending|running -> failed, with the error. */
int bd_db_job_failed(BdDb *db, const BdDbDispatch *d, double wall_seconds, const char *error, BdError *err);
/* running -> pending: a time limit stopped the job at an epoch boundary; its
 * checkpoint lets the next run continue it. */
int bd_db_job_stopped(BdDb *db, const BdDbDispatch *d, BdError *err);
/* done -> pending, with the reason in `error` until it runs again (a
 * pre-training job whose model checkpoint is gone, needed again). */
int bd_db_requeue_done(BdDb *db, int64_t cell, const char *reason, BdError *err);

/* The same for one row that is its own job (tests, tools). */
int bd_db_mark_running(BdDb *db, int64_t cell, int rank, const char *host, BdError *err);
int bd_db_add_metrics(BdDb *db, int64_t cell, const char *phase, int epoch, const char *attack,
                      const char *const *names, const double *values, int n, BdError *err);
int bd_db_mark_done(BdDb *db, int64_t cell, const BdCellReport *r, BdError *err);
int bd_db_mark_failed(BdDb *db, int64_t cell, double wall_seconds, const char *error, BdError *err);
int bd_db_mark_stopped(BdDb *db, int64_t cell, BdError *err);

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

/* ---- for readers elsewhere (db_publish.c) ---- */

/* The end of a run: the write-ahead log checkpointed into the file and the
 * file switched back to rollback-journal mode, so that a finished database
 * can be read from read-only storage or copied as one file. Fails (the file
 * stays in WAL mode, nothing is lost) while another connection has it open. */
int bd_db_finish_run(BdDb *db, BdError *err);
/* Refuses a snapshot path that is the database itself (or one of its -wal,
 * -shm, -journal files), or whose folder does not exist. */
int bd_db_publish_check(const char *db_path, const char *dest, BdError *err);
/* A consistent snapshot of the database at dest, for readers on other hosts:
 * SQLite's online backup into a temporary file in dest's folder, in
 * rollback-journal mode, flushed to disk, then renamed over dest, so that a
 * reader sees the previous snapshot or this one, never a partial file. */
int bd_db_publish(BdDb *db, const char *dest, BdError *err);

#endif
