#include "worker_loop.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cell_run.h"
#include "clock.h"
#include "exit_status.h"
#include "log.h"
#include "process.h"
#include "wire.h"

typedef struct MpiSink {
    int64_t job;
    BdBuf buf;
    int parent;
    double deadline; /* Unix time; 0: none */
} MpiSink;

static void send_buf(const BdBuf *b, BdMsgType type) {
    MPI_Send(b->data, (int)b->len, MPI_BYTE, 0, (int)type, MPI_COMM_WORLD);
}

static void sink_metrics(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                         const double *values, int n) {
    MpiSink *s = ud;
    bd_exit_if_orphaned(s->parent);
    bd_buf_reset(&s->buf);
    bd_buf_put_i64(&s->buf, s->job);
    bd_metrics_put(&s->buf, phase, epoch, attack, names, values, n);
    send_buf(&s->buf, BD_MSG_METRICS);
}

static void sink_progress(void *ud, const char *phase, int epoch, int epochs, int step, int steps) {
    MpiSink *s = ud;
    bd_exit_if_orphaned(s->parent);
    bd_buf_reset(&s->buf);
    bd_buf_put_i64(&s->buf, s->job);
    bd_buf_put_str(&s->buf, phase);
    bd_buf_put_i64(&s->buf, epoch);
    bd_buf_put_i64(&s->buf, epochs);
    bd_buf_put_i64(&s->buf, step);
    bd_buf_put_i64(&s->buf, steps);
    send_buf(&s->buf, BD_MSG_PROGRESS);
}

/* Past the run's deadline, a cell stops at its next epoch boundary. */
static int sink_interrupt(void *ud) {
    MpiSink *s = ud;
    return s->deadline > 0 && bd_wall_time() >= s->deadline;
}

/* Blocks until rank 0 sends a job or a stop, sleeping between polls. */
static int receive_order(BdBuf *in, int *tag, int parent) {
    MPI_Status st;
    int flag = 0;
    for (;;) {
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag) break;
        bd_exit_if_orphaned(parent);
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    int len;
    MPI_Get_count(&st, MPI_BYTE, &len);
    unsigned char *data = bd_xmalloc((size_t)len + 1);
    MPI_Recv(data, len, MPI_BYTE, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    bd_buf_from(in, data, (size_t)len);
    free(data);
    *tag = st.MPI_TAG;
    return 0;
}

int bd_worker_loop(int threads) {
    BdWorker w;
    bd_worker_init(&w, threads);
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    MpiSink ms = {0};
    bd_buf_init(&ms.buf);
    ms.parent = (int)getppid();
    BdBuf in;
    bd_buf_init(&in);
    BdSink sink = {&ms, sink_metrics, sink_progress, sink_interrupt};

    for (;;) {
        bd_buf_reset(&ms.buf);
        bd_buf_put_str(&ms.buf, host);
        send_buf(&ms.buf, BD_MSG_READY);

        int tag;
        receive_order(&in, &tag, ms.parent);
        if (tag == BD_MSG_STOP) break;
        if (tag != BD_MSG_JOB) {
            bd_log(BD_LOG_ERROR, "worker: unexpected message %d from rank 0", tag);
            MPI_Abort(MPI_COMM_WORLD, BD_EXIT_INFRA);
        }
        BdJobOrder order;
        BdError err = {{0}};
        if (bd_job_order_get(&in, &order) < 0) {
            bd_buf_check(&in, "job", &err);
            bd_log(BD_LOG_ERROR, "worker: %s", err.msg);
            MPI_Abort(MPI_COMM_WORLD, BD_EXIT_INFRA);
        }
        ms.job = order.job;
        ms.deadline = order.deadline;

        double t0 = bd_monotonic_seconds();
        BdCellOutcome out;
        int rc = bd_cell_run(&w, order.key, order.attacks, order.n_attacks, order.ckpt_dir[0] ? order.ckpt_dir : NULL,
                             &sink, &out, &err);
        double wall = bd_monotonic_seconds() - t0;

        bd_buf_reset(&ms.buf);
        bd_buf_put_i64(&ms.buf, ms.job);
        bd_buf_put_f64(&ms.buf, wall);
        if (rc == 0) {
            bd_buf_put_i64(&ms.buf, out.params);
            bd_buf_put_f64(&ms.buf, out.gflops_per_image);
            bd_buf_put_blob(&ms.buf, out.history.data, out.history.len);
            send_buf(&ms.buf, BD_MSG_DONE);
        } else if (rc == BD_INTERRUPTED) {
            bd_buf_put_str(&ms.buf, err.msg);
            send_buf(&ms.buf, BD_MSG_STOPPED);
        } else {
            bd_buf_put_str(&ms.buf, err.msg);
            send_buf(&ms.buf, BD_MSG_FAILED);
        }
        bd_cell_outcome_free(&out);
        bd_job_order_free(&order);
    }
    bd_buf_free(&ms.buf);
    bd_buf_free(&in);
    bd_worker_free(&w);
    return 0;
}
