#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "coordinator.h"
#include "wire.h"

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
    BdError err = {{0}};

    switch (st.MPI_TAG) {
    case BD_MSG_READY:
        bd_buf_get_str(in, co->rank_host[rank], sizeof co->rank_host[rank]);
        co->parked[co->n_parked++] = rank;
        break;
    case BD_MSG_PROGRESS: {
        bd_buf_get_i64(in);
        char phase[32];
        bd_buf_get_str(in, phase, sizeof phase);
        int epoch = (int)bd_buf_get_i64(in), epochs = (int)bd_buf_get_i64(in);
        int step = (int)bd_buf_get_i64(in), steps = (int)bd_buf_get_i64(in);
        if (bd_buf_check(in, "progress", &err) == 0)
            bd_progress_activity(&co->progress, rank, phase, epoch, epochs, step, steps);
        break;
    }
    case BD_MSG_METRICS: {
        bd_buf_get_i64(in);
        BdMetricsRecord m = {0};
        if (bd_metrics_get(in, &m) == 0) co_store_metrics(co, rank, &m);
        else bd_buf_check(in, "metrics", &err);
        bd_metrics_record_free(&m);
        break;
    }
    case BD_MSG_STOPPED: {
        bd_buf_get_i64(in);
        bd_buf_get_f64(in);
        const char *where = bd_buf_get_strp(in);
        if (bd_buf_check(in, "stopped", &err) == 0) co_stop_job(co, rank, where);
        break;
    }
    case BD_MSG_DONE:
    case BD_MSG_FAILED: {
        bd_buf_get_i64(in);
        BdCellReport rep = {bd_buf_get_f64(in), 0, 0};
        const char *error = "";
        const unsigned char *history = NULL;
        size_t len = 0;
        if (st.MPI_TAG == BD_MSG_DONE) {
            rep.params = (long)bd_buf_get_i64(in);
            rep.gflops_per_image = bd_buf_get_f64(in);
            history = bd_buf_get_blob(in, &len);
        } else {
            error = bd_buf_get_strp(in);
        }
        if (bd_buf_check(in, "result", &err) == 0)
            co_finish_job(co, rank, st.MPI_TAG == BD_MSG_DONE, &rep, history, len, error);
        break;
    }
    default:
        break;
    }
    if (err.msg[0]) bd_progress_message(&co->progress, err.msg);
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
        int late = co_past_deadline(co);
        int idx = co->db_broken || late ? -1 : bd_queue_pop(&co->queue);
        if (late && (bd_queue_ready(&co->queue) || bd_queue_waiting(&co->queue))) {
            /* Leave the rest pending for the next run. */
            co->stopped_by_limit += bd_queue_ready(&co->queue) + bd_queue_waiting(&co->queue);
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
        const char **attacks = bd_xmalloc(sizeof *attacks * ((size_t)co->runs[rank].n_served + 1));
        int n_attacks = co_run_attacks(co, rank, attacks);
        bd_buf_reset(&out);
        bd_job_order_put(&out, co->cells[idx].id, co->cells[idx].key, co->ckpt_dir, co->deadline, attacks, n_attacks);
        free(attacks);
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
