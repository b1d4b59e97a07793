#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "coordinator.h"
#include "job_process.h"
#include "signals.h"

/* -n 1: rank 0 is the worker too. Its jobs run in processes of their own
 * as a worker's do (worker/proc/job_process.h), and their messages go
 * straight into the database. */
static void local_message(void *ud, BdMsgType type, BdBuf *payload) {
    Coordinator *co = ud;
    co_handle_job_message(co, 0, type, payload);
    co_heartbeat(co);
    bd_progress_draw(&co->progress, type != BD_MSG_PROGRESS && type != BD_MSG_METRICS);
}

/* The job's stderr, without garbling the progress display. */
static void local_log(void *ud, const char *line) {
    Coordinator *co = ud;
    bd_progress_message(&co->progress, line);
}

static int local_tick(void *ud) {
    Coordinator *co = ud;
    co_heartbeat(co);
    bd_progress_draw(&co->progress, 0);
    if (bd_stop_signal()) co_note_interrupt(co, bd_stop_signal());
    return 0; /* the runner passes the signal on itself */
}

void co_run_locally(Coordinator *co) {
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(co->rank_host[0], sizeof co->rank_host[0], "%s", host);
    BdJobRunner runner;
    bd_job_runner_init(&runner, co->parent, co->opt.threads);
    BdJobHost job_host = {co, local_message, local_log, local_tick};
    BdBuf order;
    bd_buf_init(&order);
    for (;;) {
        if (co->db_broken) break;
        if (bd_stop_signal()) co_note_interrupt(co, bd_stop_signal());
        if (co->machine_error[0]) co_note_interrupt(co, CO_STOP_MACHINE);
        if (co_past_deadline(co) || co->interrupted) {
            co->stopped_early += bd_queue_ready(&co->queue) + bd_queue_waiting(&co->queue);
            break;
        }
        int idx = bd_queue_pop(&co->queue);
        if (idx < 0) break;
        if (co_start_job(co, idx, 0) < 0) {
            if (co->db_broken) break;
            continue; /* nothing to start */
        }
        bd_progress_draw(&co->progress, 1);
        co_job_order(co, 0, &order);
        bd_job_runner_run(&runner, &order, &job_host);
    }
    if (!co->stopped_early) co_abandon_waiting(co);
    bd_buf_free(&order);
    bd_job_runner_free(&runner);
}
