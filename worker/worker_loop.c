#include "worker_loop.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "exit_status.h"
#include "job_process.h"
#include "log.h"
#include "process.h"
#include "signals.h"
#include "wire.h"

typedef struct Worker {
    BdJobRunner runner;
    BdBuf out, in;
    int parent;
    int told_rank0; /* a stop signal of this rank was passed on to rank 0 */
} Worker;

static void send_buf(const BdBuf *b, BdMsgType type) {
    MPI_Send(b->data, (int)b->len, MPI_BYTE, 0, (int)type, MPI_COMM_WORLD);
}

/* A stop signal that reached this rank stops the whole run: rank 0 hears
 * of it once, and tells every other worker. */
static void pass_on_signal(Worker *w) {
    if (!bd_stop_signal() || w->told_rank0) return;
    MPI_Send(NULL, 0, MPI_BYTE, 0, BD_MSG_INTERRUPT, MPI_COMM_WORLD);
    w->told_rank0 = 1;
}

/* Receives the message waiting from rank 0 into w->in; returns its tag. */
static int receive(Worker *w, const MPI_Status *st) {
    int len;
    MPI_Get_count(st, MPI_BYTE, &len);
    unsigned char *data = bd_xmalloc((size_t)len + 1);
    MPI_Recv(data, len, MPI_BYTE, 0, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    bd_buf_from(&w->in, data, (size_t)len);
    free(data);
    return st->MPI_TAG;
}

/* Blocks until rank 0 sends a job or a stop, sleeping between polls (an
 * INTERRUPT that crossed the end of the last job is dropped). */
static int receive_order(Worker *w) {
    MPI_Status st;
    for (;;) {
        int flag = 0;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag && receive(w, &st) != BD_MSG_INTERRUPT) return st.MPI_TAG;
        if (flag) continue;
        bd_exit_if_orphaned(w->parent);
        pass_on_signal(w);
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
}

/* The job's messages go to rank 0 as they come. */
static void relay(void *ud, BdMsgType type, BdBuf *payload) {
    (void)ud;
    send_buf(payload, type);
}

/* While the job runs: an INTERRUPT from rank 0, or a signal of our own. */
static int watch(void *ud) {
    Worker *w = ud;
    pass_on_signal(w);
    int flag = 0, stop = 0;
    MPI_Status st;
    MPI_Iprobe(0, BD_MSG_INTERRUPT, MPI_COMM_WORLD, &flag, &st);
    if (flag) {
        receive(w, &st);
        stop = 1;
    }
    return stop;
}

int bd_worker_loop(int threads) {
    Worker w = {0};
    w.parent = (int)getppid();
    bd_job_runner_init(&w.runner, w.parent, threads);
    bd_buf_init(&w.out);
    bd_buf_init(&w.in);
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    BdJobHost job_host = {&w, relay, NULL, watch};

    for (;;) {
        bd_buf_reset(&w.out);
        bd_buf_put_str(&w.out, host);
        send_buf(&w.out, BD_MSG_READY);

        int tag = receive_order(&w);
        if (tag == BD_MSG_STOP) break;
        if (tag != BD_MSG_JOB) {
            bd_log(BD_LOG_ERROR, "worker: unexpected message %d from rank 0", tag);
            MPI_Abort(MPI_COMM_WORLD, BD_EXIT_INFRA);
        }
        if (bd_stop_signal()) {
            /* Stopped before it started: straight back to pending. */
            BdBuf peek = w.in;
            BdOutcomeMsg m = {.job = bd_buf_get_i64(&peek), .text = "stopped before it started"};
            bd_buf_reset(&w.out);
            bd_msg_outcome_put(&w.out, BD_MSG_STOPPED, &m);
            send_buf(&w.out, BD_MSG_STOPPED);
            continue;
        }
        bd_job_runner_run(&w.runner, &w.in, &job_host);
    }
    bd_job_runner_free(&w.runner);
    bd_buf_free(&w.out);
    bd_buf_free(&w.in);
    return 0;
}
