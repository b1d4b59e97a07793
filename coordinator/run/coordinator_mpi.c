#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "coordinator.h"
#include "signals.h"
#include "wire.h"

/* A stop signal, to rank 0 or to a worker: every busy worker is told to
 * stop its job at its next training step; the idle ones are told to stop
 * when they ask for work (dispatch). */
static void interrupt_workers(Coordinator *co, int sig) {
    if (!co_note_interrupt(co, sig)) return;
    for (int r = 1; r < co->nranks; r++)
        if (co->runs[r].job >= 0) MPI_Send(NULL, 0, MPI_BYTE, r, BD_MSG_INTERRUPT, MPI_COMM_WORLD);
}

/* Receives one message if there is one; returns 0 when nothing was waiting. */
static int serve_one(Coordinator *co, BdBuf *in) {
    MPI_Status st;
    int flag = 0;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return 0;
    int len, rank = st.MPI_SOURCE;
    MPI_Get_count(&st, MPI_BYTE, &len);
    unsigned char *data = bd_xmalloc((size_t)len + 1);
    MPI_Recv(data, len, MPI_BYTE, rank, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    bd_buf_from(in, data, (size_t)len);
    free(data);

    if (st.MPI_TAG == BD_MSG_READY) {
        int first = !co->rank_host[rank][0];
        bd_buf_get_str(in, co->rank_host[rank], sizeof co->rank_host[rank]);
        BdError db_err = {0};
        if (first && bd_db_run_add_rank(co->db, co->run_id, rank, co->rank_host[rank], &db_err) < 0)
            co_report_db_error(co, &db_err);
        co->parked[co->n_parked++] = rank;
    } else if (st.MPI_TAG == BD_MSG_INTERRUPT) {
        interrupt_workers(co, CO_STOP_WORKER_SIGNAL);
    } else {
        co_handle_job_message(co, rank, st.MPI_TAG, in);
    }
    return 1;
}

static int anyone_running(const Coordinator *co) {
    for (int r = 0; r < co->nranks; r++)
        if (co->runs[r].job >= 0) return 1;
    return 0;
}

/* Hands work to the ranks that asked for it. A rank is told to stop only
 * when nothing is left: while cells wait for a pre-training job that is
 * still running, an idle rank stays parked until they are released. */
static void dispatch(Coordinator *co, int *stopped) {
    BdBuf out;
    bd_buf_init(&out);
    while (co->n_parked > 0) {
        int late = co_past_deadline(co) || co->interrupted;
        int idx = co->db_broken || late ? -1 : bd_queue_pop(&co->queue);
        if (late && (bd_queue_ready(&co->queue) || bd_queue_waiting(&co->queue))) {
            /* Leave the rest pending for the next run. */
            co->stopped_early += bd_queue_ready(&co->queue) + bd_queue_waiting(&co->queue);
            bd_queue_free(&co->queue);
            bd_queue_init(&co->queue);
        }
        int rank = co->parked[co->n_parked - 1];
        if (idx < 0) {
            if (!co->db_broken && bd_queue_waiting(&co->queue) > 0) {
                if (anyone_running(co)) break; /* wait for the pre-training job */
                co_abandon_waiting(co);
            }
            MPI_Send(NULL, 0, MPI_BYTE, rank, BD_MSG_STOP, MPI_COMM_WORLD);
            (*stopped)++;
            co->n_parked--;
            continue;
        }
        /* Nothing to start (its cells ran elsewhere), or the database failed
         * (db_broken is set: the rank is stopped next). */
        if (co_start_job(co, idx, rank) < 0) continue;
        co_job_order(co, rank, &out);
        MPI_Send(out.data, (int)out.len, MPI_BYTE, rank, BD_MSG_JOB, MPI_COMM_WORLD);
        co->n_parked--;
    }
    bd_buf_free(&out);
}

void co_run_distributed(Coordinator *co) {
    BdBuf in;
    bd_buf_init(&in);
    int stopped = 0;
    while (stopped < co->nranks - 1) {
        int busy = 0;
        /* Drain what is waiting before sleeping: a burst of metrics from many
         * workers is written in one go. */
        while (serve_one(co, &in)) busy = 1;
        if (bd_stop_signal()) interrupt_workers(co, bd_stop_signal());
        /* A job the machine failed: the others stop as for a signal. */
        if (co->machine_error[0]) interrupt_workers(co, CO_STOP_MACHINE);
        dispatch(co, &stopped);
        co_heartbeat(co);
        bd_progress_draw(&co->progress, 0);
        if (!busy) {
            struct timespec nap = {0, 2000000};
            nanosleep(&nap, NULL);
        }
    }
    bd_buf_free(&in);
}
