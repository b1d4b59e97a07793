/* The rank's side of a job's process (job_process.h): start it, relay what
 * it says, watch its limits, and tell why it died when it did not say. */
#include "job_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cell_run.h"
#include "clock.h"
#include "data_image.h"
#include "exit_status.h"
#include "process.h"
#include "signals.h"
#include "units.h"

extern char **environ;

/* The descriptors of the job's process: its order, the pipe of its
 * messages, the dataset image it may use and the empty one it may fill. */
enum { CHILD_ORDER_FD = 3, CHILD_RESULTS_FD = 4, CHILD_IMAGE_FD = 5, CHILD_SHARE_FD = 6, FIRST_FREE_FD = 7 };
enum { TICK_MS = 50, LAST_WORDS = 512 };

void bd_job_runner_init(BdJobRunner *r, int parent, int threads) {
    r->parent = parent;
    r->threads = threads > 0 ? threads : 1;
    r->image_fd = -1;
}

void bd_job_runner_free(BdJobRunner *r) {
    if (r->image_fd >= 0) close(r->image_fd);
    r->image_fd = -1;
}

/* ---- why it died --------------------------------------------------------------------- */

static int is_crash(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGABRT || sig == SIGTRAP ||
           sig == SIGSYS;
}

void bd_job_exit_reason(int wait_status, int over_wall, double wall_limit, long long memory_limit,
                        const char *where, const char *last_words, char *out, size_t cap) {
    char limit[64], sig[32], at[160] = "", words[LAST_WORDS + 32] = "";
    if (where && *where) snprintf(at, sizeof at, " %s", where);
    if (last_words && *last_words) snprintf(words, sizeof words, " (its last words: %s)", last_words);
    const int exited = WIFEXITED(wait_status), signaled = WIFSIGNALED(wait_status);
    const int code = exited ? WEXITSTATUS(wait_status) : 0, s = signaled ? WTERMSIG(wait_status) : 0;
    /* bd_xmalloc's exit status, or an allocator that aborts after saying so. */
    const int out_of_memory = (exited && code == BD_EXIT_OUT_OF_MEMORY) ||
                              (s == SIGABRT && last_words && strstr(last_words, "out of memory"));
    if (over_wall) {
        bd_format_duration(wall_limit, limit, sizeof limit);
        snprintf(out, cap, "over its wall-time limit of %s%s", limit, at);
    } else if (out_of_memory && memory_limit > 0) {
        bd_format_size(memory_limit, limit, sizeof limit);
        snprintf(out, cap, "out of memory: limit %s%s%s", limit, at, words);
    } else if (out_of_memory) {
        snprintf(out, cap, "out of memory (no limit was set: the machine's memory)%s%s", at, words);
    } else if (signaled && is_crash(s)) {
        snprintf(out, cap, "crashed: %s%s%s%s", bd_signal_name(s, sig, sizeof sig), at,
                 WCOREDUMP(wait_status) ? " (core dumped)" : "", words);
    } else if (signaled) {
        snprintf(out, cap, "killed by signal %d (%s)%s%s", s, bd_signal_name(s, sig, sizeof sig), at, words);
    } else {
        snprintf(out, cap, "its process exited with status %d without a result%s%s", code, at, words);
    }
}

/* ---- one job ----------------------------------------------------------------------------- */

typedef struct Watch {
    BdJobRunner *r;
    const BdJobHost *host;
    BdJobOrder order;
    pid_t pid;
    int results, errors; /* our ends of the pipes; -1 once closed */
    int share_fd;        /* the image the job may fill */
    BdBuf stream, payload, err_text;
    char where[160];     /* what the job last said of itself */
    char last_words[LAST_WORDS];
    int outcome;         /* the type of the outcome relayed, 0: none yet */
    int asked_stop, over_wall, damaged;
    double t0;
} Watch;

/* A descriptor above the ones the child gets, so that the dup2 of the spawn
 * never maps a descriptor onto itself (which would keep its close-on-exec). */
static int move_high(int fd) {
    if (fd < 0) return -1;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 16);
    close(fd);
    return high;
}

static void send_outcome(Watch *w, BdMsgType type, const char *text) {
    BdOutcomeMsg m = {.job = w->order.job, .wall_seconds = bd_monotonic_seconds() - w->t0, .text = text};
    bd_buf_reset(&w->payload);
    bd_msg_outcome_put(&w->payload, type, &m);
    w->outcome = type;
    w->host->message(w->host->ud, type, &w->payload);
}

/* Keeps track of where the job is, from what it says. */
static void note_where(Watch *w, BdMsgType type) {
    BdBuf peek = w->payload;
    peek.pos = 0;
    if (type == BD_MSG_PROGRESS) {
        BdProgressMsg m;
        if (bd_msg_progress_get(&peek, &m) == 0)
            snprintf(w->where, sizeof w->where, "in %s epoch %d", m.phase, m.epoch);
    } else if (type == BD_MSG_METRICS) {
        BdMetricsRecord rec = {0};
        bd_buf_get_i64(&peek);
        if (bd_metrics_get(&peek, &rec) == 0 && rec.epoch > 0 && !rec.attack[0])
            snprintf(w->where, sizeof w->where, "after %s epoch %d", rec.phase, rec.epoch);
        bd_metrics_record_free(&rec);
    }
}

static void handle_frame(Watch *w, BdMsgType type) {
    switch (type) {
    case BD_MSG_PROGRESS:
    case BD_MSG_METRICS:
        note_where(w, type);
        w->host->message(w->host->ud, type, &w->payload);
        break;
    case BD_MSG_DONE:
    case BD_MSG_FAILED:
    case BD_MSG_STOPPED:
    case BD_MSG_MACHINE_FAILED:
        if (w->outcome) break; /* one outcome per job */
        w->outcome = type;
        w->host->message(w->host->ud, type, &w->payload);
        break;
    case BD_MSG_DATA_IMAGE:
        /* The job decoded its dataset into the image: the next jobs use it. */
        if (w->share_fd >= 0) {
            if (w->r->image_fd >= 0) close(w->r->image_fd);
            w->r->image_fd = w->share_fd;
            w->share_fd = -1;
        }
        break;
    default:
        w->damaged = 1;
        break;
    }
}

static void read_results(Watch *w) {
    unsigned char buf[65536];
    ssize_t n = read(w->results, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        close(w->results);
        w->results = -1;
        return;
    }
    bd_buf_put_bytes(&w->stream, buf, (size_t)n);
    BdMsgType type;
    BdError err = {0};
    int rc;
    while ((rc = bd_frame_next(&w->stream, &type, &w->payload, &err)) == 1) handle_frame(w, type);
    if (rc < 0) w->damaged = 1;
}

/* Passes the job's stderr on, line by line, keeping the last one. */
static void read_errors(Watch *w) {
    char buf[4096];
    ssize_t n = read(w->errors, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n > 0) bd_buf_put_bytes(&w->err_text, buf, (size_t)n);
    int closed = n <= 0;
    size_t start = 0;
    for (size_t i = 0; i < w->err_text.len; i++) {
        if (w->err_text.data[i] != '\n' && !(closed && i + 1 == w->err_text.len)) continue;
        size_t end = w->err_text.data[i] == '\n' ? i : i + 1;
        char line[LAST_WORDS];
        size_t len = end - start < sizeof line - 1 ? end - start : sizeof line - 1;
        memcpy(line, w->err_text.data + start, len);
        line[len] = '\0';
        if (len) {
            if (w->host->log) w->host->log(w->host->ud, line);
            else fprintf(stderr, "%s\n", line);
            snprintf(w->last_words, sizeof w->last_words, "%s", line);
        }
        start = i + 1;
    }
    if (start) { /* keep the unfinished line */
        memmove(w->err_text.data, w->err_text.data + start, w->err_text.len - start);
        w->err_text.len -= start;
    }
    if (closed) {
        close(w->errors);
        w->errors = -1;
    }
}

/* The rank's watch between two reads: its launcher, a stop, the wall time. */
static void tick(Watch *w) {
    if (bd_orphaned(w->r->parent)) {
        kill(w->pid, SIGKILL);
        waitpid(w->pid, NULL, 0);
        _exit(BD_EXIT_ORPHANED);
    }
    int stop = w->host->tick ? w->host->tick(w->host->ud) : 0;
    if ((stop || bd_stop_signal()) && !w->asked_stop) {
        kill(w->pid, SIGUSR1);
        w->asked_stop = 1;
    }
    if (w->order.wall_limit > 0 && !w->over_wall && bd_monotonic_seconds() - w->t0 > w->order.wall_limit) {
        kill(w->pid, SIGKILL);
        w->over_wall = 1;
    }
    if (w->damaged && !w->outcome) {
        kill(w->pid, SIGKILL);
        w->outcome = -1; /* reported below */
    }
}

static int spawn(Watch *w, const BdBuf *order, BdError *err) {
    int res[2] = {-1, -1}, errp[2] = {-1, -1};
    int order_fd = move_high(memfd_create("bdsweep-order", MFD_CLOEXEC));
    w->share_fd = bd_data_image_create(err);
    if (w->share_fd < 0) {
        if (order_fd >= 0) close(order_fd);
        return -1;
    }
    w->share_fd = move_high(w->share_fd);
    int ok = order_fd >= 0 && write(order_fd, order->data, order->len) == (ssize_t)order->len &&
             lseek(order_fd, 0, SEEK_SET) == 0 && pipe2(res, O_CLOEXEC) == 0 && pipe2(errp, O_CLOEXEC) == 0;
    if (ok) {
        for (int k = 0; k < 2; k++) {
            res[k] = move_high(res[k]);
            errp[k] = move_high(errp[k]);
        }
        ok = res[0] >= 0 && res[1] >= 0 && errp[0] >= 0 && errp[1] >= 0;
    }
    int rc = -1;
    if (ok) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&at);
        posix_spawn_file_actions_adddup2(&fa, order_fd, CHILD_ORDER_FD);
        posix_spawn_file_actions_adddup2(&fa, res[1], CHILD_RESULTS_FD);
        if (w->r->image_fd >= 0) posix_spawn_file_actions_adddup2(&fa, w->r->image_fd, CHILD_IMAGE_FD);
        posix_spawn_file_actions_adddup2(&fa, w->share_fd, CHILD_SHARE_FD);
        posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
        posix_spawn_file_actions_addclosefrom_np(&fa, FIRST_FREE_FD);
        /* A clean slate of signals: default actions for those the rank may
         * ignore or catch (SIGPIPE kills a job whose rank is gone), and the
         * stop signals blocked until the job has its handlers, so that one
         * sent to the whole process group while the job starts stops it
         * instead of killing it (job_child.c unblocks them). */
        sigset_t stops, defaults;
        sigemptyset(&stops);
        sigaddset(&stops, SIGTERM);
        sigaddset(&stops, SIGINT);
        sigaddset(&stops, SIGUSR1);
        defaults = stops;
        sigaddset(&defaults, SIGPIPE);
        posix_spawnattr_setsigmask(&at, &stops);
        posix_spawnattr_setsigdefault(&at, &defaults);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        char parent[32], threads[32], image[16], job[32];
        snprintf(parent, sizeof parent, "%d", (int)getpid());
        snprintf(threads, sizeof threads, "%d", w->r->threads);
        snprintf(image, sizeof image, "%d", w->r->image_fd >= 0 ? CHILD_IMAGE_FD : -1);
        snprintf(job, sizeof job, "%lld", (long long)w->order.job);
        char share[16], ofd[16], rfd[16];
        snprintf(share, sizeof share, "%d", CHILD_SHARE_FD);
        snprintf(ofd, sizeof ofd, "%d", CHILD_ORDER_FD);
        snprintf(rfd, sizeof rfd, "%d", CHILD_RESULTS_FD);
        /* /proc/self/exe: this very binary, even if the file was replaced
         * since the run started (a rebuild): every job runs the code the
         * run began with. The job id names the process in ps. */
        char *argv[] = {"bdsweep", "job-process", "--job", job, "--parent", parent, "--threads", threads,
                        "--order", ofd, "--results", rfd, "--image", image, "--share", share, NULL};
        int e = posix_spawn(&w->pid, "/proc/self/exe", &fa, &at, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (e == 0) rc = 0;
        else bd_fail(err, "cannot start the job's process: %s", strerror(e));
    } else {
        bd_fail(err, "cannot set up the job's process: %s", strerror(errno));
    }
    if (order_fd >= 0) close(order_fd);
    if (res[1] >= 0) close(res[1]);
    if (errp[1] >= 0) close(errp[1]);
    w->results = res[0];
    w->errors = errp[0];
    if (rc < 0) {
        if (res[0] >= 0) close(res[0]);
        if (errp[0] >= 0) close(errp[0]);
        w->results = w->errors = -1;
    }
    return rc;
}

/* The job's process, after what this process says once per host for the
 * whole run (a job's process lives for one job: cell_run.h). */
static int start(Watch *w, const BdBuf *order, BdError *err) {
    bd_cell_note_precision(w->order.key);
    return spawn(w, order, err);
}

BdMsgType bd_job_runner_run(BdJobRunner *r, const BdBuf *order, const BdJobHost *host) {
    Watch w;
    memset(&w, 0, sizeof w);
    w.r = r;
    w.host = host;
    w.results = w.errors = w.share_fd = -1;
    w.t0 = bd_monotonic_seconds();
    bd_buf_init(&w.stream);
    bd_buf_init(&w.payload);
    bd_buf_init(&w.err_text);
    BdBuf copy;
    bd_buf_init(&copy);
    bd_buf_from(&copy, order->data, order->len);
    BdError err = {0};
    if (bd_job_order_get(&copy, &w.order) < 0) {
        bd_buf_check(&copy, "job", &err);
        send_outcome(&w, BD_MSG_FAILED, err.msg);
    } else if (start(&w, order, &err) < 0) {
        /* Whatever keeps a process from starting (no memory for the fork,
         * the process or file limit) is the machine's: the next job would
         * fare no better. */
        send_outcome(&w, BD_MSG_MACHINE_FAILED, err.msg);
    } else {
        int status = 0, reaped = 0, status_lost = 0;
        while (!reaped) {
            struct pollfd p[2];
            int n = 0;
            if (w.results >= 0) p[n++] = (struct pollfd){w.results, POLLIN, 0};
            if (w.errors >= 0) p[n++] = (struct pollfd){w.errors, POLLIN, 0};
            if (n && poll(p, (nfds_t)n, TICK_MS) > 0) {
                for (int i = 0; i < n; i++) {
                    if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                    if (p[i].fd == w.results) read_results(&w);
                    else read_errors(&w);
                }
            } else if (!n) {
                struct timespec nap = {0, TICK_MS * 1000000L};
                nanosleep(&nap, NULL);
            }
            tick(&w);
            /* Reaped once its pipes are closed: it has said all it will. */
            if (w.results < 0 && w.errors < 0) {
                pid_t got = waitpid(w.pid, &status, WNOHANG);
                reaped = got == w.pid || got < 0;
                status_lost = got < 0; /* someone else reaped it (SIGCHLD ignored) */
            }
        }
        if (w.outcome > 0) {
            /* Its result stands; the way it ended is worth a word. */
            if (!status_lost && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
                char how[64];
                if (WIFSIGNALED(status)) bd_signal_name(WTERMSIG(status), how, sizeof how);
                else snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
                fprintf(stderr, "bdsweep: warning: job %lld reported its result, then its process ended with %s\n",
                        (long long)w.order.job, how);
            }
        } else if (w.outcome < 0) {
            send_outcome(&w, BD_MSG_FAILED, "its process sent a damaged message stream");
        } else if (status_lost) {
            send_outcome(&w, BD_MSG_FAILED, "its process ended without a result, and its exit status is lost");
        } else {
            char why[BD_ERROR_MAX];
            bd_job_exit_reason(status, w.over_wall, w.order.wall_limit, (long long)w.order.memory_limit, w.where,
                               w.last_words, why, sizeof why);
            /* BD_EXIT_INFRA: the process could not even read its order. */
            int machine = WIFEXITED(status) && WEXITSTATUS(status) == BD_EXIT_INFRA;
            send_outcome(&w, machine ? BD_MSG_MACHINE_FAILED : BD_MSG_FAILED, why);
        }
    }
    if (w.share_fd >= 0) close(w.share_fd);
    bd_job_order_free(&w.order);
    bd_buf_free(&copy);
    bd_buf_free(&w.stream);
    bd_buf_free(&w.payload);
    bd_buf_free(&w.err_text);
    return (BdMsgType)w.outcome;
}
