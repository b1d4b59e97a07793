/* `bdsweep job-process`: one job in a process of its own (job_process.h).
 *
 *   bdsweep job-process --job ID --parent PID --threads T --order FD --results FD --image FD --share FD
 *
 * Reads its order (common/wire.h) from the memory file --order, sets its
 * memory limit, maps the dataset image --image when it holds the job's
 * dataset (else decodes the dataset and shares it through --share), runs
 * the job and writes its messages, framed, on --results: progress, metrics,
 * then DONE, FAILED or STOPPED. It stops at its next training step on a
 * stop signal or at the run's deadline, checkpoint written. Not for people:
 * only bd_job_runner_run starts it.
 *
 * The memory limit is RLIMIT_DATA: the process's private writable memory
 * (heap, anonymous mappings, thread stacks), where everything a job
 * allocates lives. RLIMIT_AS would count the mapped program and libraries,
 * the dataset image and address space reserved but never used, which here
 * is more than the job's data (see docs/ARCHITECTURE.md for what was
 * measured). An allocation over the limit fails, bd_xmalloc exits with
 * BD_EXIT_OUT_OF_MEMORY, and the rank reports "out of memory: limit ...".
 *
 * A test hook, read here only, makes a job crash where a test wants it:
 *   BDSWEEP_TEST_CRASH='SUBSTRING:ACTION@epochN'
 * makes every job whose key contains SUBSTRING, at the first training step
 * of its epoch N (of any phase), abort (ACTION abort) or raise SIGSEGV
 * (segv), saying so on stderr first. Nothing else reads it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cell_run.h"
#include "clock.h"
#include "exit_status.h"
#include "job_process.h"
#include "log.h"
#include "signals.h"

typedef struct CrashHook {
    char substring[256];
    char action[16];
    int epoch; /* 0: no hook for this job */
} CrashHook;

static void crash_hook_parse(const char *key, CrashHook *h) {
    memset(h, 0, sizeof *h);
    const char *spec = getenv("BDSWEEP_TEST_CRASH");
    if (!spec || !*spec) return;
    const char *colon = strrchr(spec, ':'), *at = colon ? strstr(colon, "@epoch") : NULL;
    if (!colon || !at || (size_t)(colon - spec) >= sizeof h->substring || (size_t)(at - colon - 1) >= sizeof h->action) {
        fprintf(stderr, "bdsweep: warning: BDSWEEP_TEST_CRASH='%s': expected SUBSTRING:ACTION@epochN\n", spec);
        return;
    }
    memcpy(h->substring, spec, (size_t)(colon - spec));
    memcpy(h->action, colon + 1, (size_t)(at - colon - 1));
    if (strcmp(h->action, "abort") && strcmp(h->action, "segv")) {
        fprintf(stderr, "bdsweep: warning: BDSWEEP_TEST_CRASH: action '%s': expected abort or segv\n", h->action);
        return;
    }
    if (strstr(key, h->substring)) h->epoch = atoi(at + strlen("@epoch"));
}

static void crash_hook_fire(const CrashHook *h, const char *phase, int epoch) {
    if (!h->epoch || epoch != h->epoch) return;
    fprintf(stderr, "bdsweep: test hook BDSWEEP_TEST_CRASH: %s in %s epoch %d\n", h->action, phase, epoch);
    if (!strcmp(h->action, "abort")) abort();
    raise(SIGSEGV);
}

/* Where the job's numbers go: frames on the results pipe. */
typedef struct ChildSink {
    int fd;
    int64_t job;
    double deadline;
    BdBuf buf;
    CrashHook hook;
} ChildSink;

/* A rank that cannot be written to is gone: nothing is left to do. */
static void send_frame(ChildSink *s, BdMsgType type) {
    if (bd_frame_write(s->fd, type, &s->buf) < 0) _exit(BD_EXIT_ORPHANED);
}

static void child_metrics(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                          const double *values, int n) {
    ChildSink *s = ud;
    bd_buf_reset(&s->buf);
    bd_msg_metrics_put(&s->buf, s->job, phase, epoch, attack, names, values, n);
    send_frame(s, BD_MSG_METRICS);
}

static void child_progress(void *ud, const char *phase, int epoch, int epochs, int step, int steps) {
    ChildSink *s = ud;
    BdProgressMsg m = {s->job, phase, epoch, epochs, step, steps};
    bd_buf_reset(&s->buf);
    bd_msg_progress_put(&s->buf, &m);
    send_frame(s, BD_MSG_PROGRESS);
    crash_hook_fire(&s->hook, phase, epoch);
}

/* A stop signal (passed on by the rank, or straight from the batch
 * system), or the run's deadline: the job stops at its next step. */
static int child_interrupt(void *ud) {
    ChildSink *s = ud;
    return bd_stop_signal() || (s->deadline > 0 && bd_wall_time() >= s->deadline);
}

static int read_all(int fd, BdBuf *out) {
    unsigned char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) return 0;
        bd_buf_put_bytes(out, buf, (size_t)n);
    }
}

static int int_arg(int argc, char **argv, const char *name, long long *out) {
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) {
            char *end;
            *out = strtoll(argv[i + 1], &end, 10);
            return *end ? -1 : 0;
        }
    return -1;
}

int bd_job_process_main(int argc, char **argv) {
    long long job, parent, threads, order_fd, results_fd, image_fd, share_fd;
    if (int_arg(argc, argv, "--job", &job) < 0 || int_arg(argc, argv, "--parent", &parent) < 0 ||
        int_arg(argc, argv, "--threads", &threads) < 0 || int_arg(argc, argv, "--order", &order_fd) < 0 ||
        int_arg(argc, argv, "--results", &results_fd) < 0 || int_arg(argc, argv, "--image", &image_fd) < 0 ||
        int_arg(argc, argv, "--share", &share_fd) < 0) {
        fprintf(stderr, "bdsweep job-process: internal command of `bdsweep run`, not for direct use\n");
        return BD_EXIT_USAGE;
    }
    /* Die with the rank; and if it died before this line, go now. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != (pid_t)parent) return BD_EXIT_ORPHANED;
    /* The stop signals came blocked (job_process.c): one that arrived while
     * this process started is delivered to its handler now. */
    bd_stop_signals_install();
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &stops, NULL);
    double t0 = bd_monotonic_seconds();

    BdBuf in;
    bd_buf_init(&in);
    BdJobOrder order;
    BdError err = {0};
    ChildSink s = {.fd = (int)results_fd, .job = job};
    bd_buf_init(&s.buf);
    int rc = read_all((int)order_fd, &in) < 0 || bd_job_order_get(&in, &order) < 0 ? -1 : 0;
    close((int)order_fd);
    if (rc < 0) {
        fprintf(stderr, "bdsweep job-process: cannot read the job's order\n");
        return BD_EXIT_INFRA;
    }
    s.deadline = order.deadline;
    crash_hook_parse(order.key, &s.hook);
    if (order.memory_limit > 0) {
        struct rlimit lim = {(rlim_t)order.memory_limit, (rlim_t)order.memory_limit};
        if (setrlimit(RLIMIT_DATA, &lim) < 0) bd_warn("cannot set the job's memory limit: %s", strerror(errno));
    }

    BdWorker w;
    bd_worker_init(&w, (int)threads);
    BdSink sink = {&s, child_metrics, child_progress, child_interrupt};
    BdCellOutcome out = {0};
    int shared = bd_worker_load_data(&w, order.key, (int)image_fd, (int)share_fd, &err);
    if (shared == 1) {
        bd_buf_reset(&s.buf);
        send_frame(&s, BD_MSG_DATA_IMAGE);
    }
    rc = shared < 0 ? -1
                    : bd_cell_run(&w, &order, &sink, &out, &err);
    BdOutcomeMsg m = {.job = job, .wall_seconds = bd_monotonic_seconds() - t0};
    BdMsgType type = rc == 0                ? BD_MSG_DONE
                     : rc == BD_INTERRUPTED ? BD_MSG_STOPPED
                     : err.machine          ? BD_MSG_MACHINE_FAILED
                                            : BD_MSG_FAILED;
    if (rc == 0) {
        m.params = out.params;
        m.gflops_per_image = out.gflops_per_image;
        m.history = out.history.data;
        m.history_len = out.history.len;
        m.artifacts = out.artifacts.data;
        m.artifacts_len = out.artifacts.len;
    } else {
        m.text = err.msg;
    }
    bd_buf_reset(&s.buf);
    bd_msg_outcome_put(&s.buf, type, &m);
    send_frame(&s, type);
    close(s.fd);
    bd_cell_outcome_free(&out);
    bd_job_order_free(&order);
    bd_worker_free(&w);
    bd_buf_free(&s.buf);
    bd_buf_free(&in);
    return 0;
}
