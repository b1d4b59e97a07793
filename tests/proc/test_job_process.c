/* Jobs in processes of their own (worker/proc/): real jobs on a tiny
 * synthetic task, started by bd_job_runner_run exactly as a rank starts
 * them (this test binary plays bdsweep: it runs `job-process` when asked).
 * The messages arrive in order with one outcome last; the second job of a
 * dataset maps the image the first one shared and gives the same numbers;
 * a crash, the wall-time limit and the memory limit each fail the job with
 * their reason; the reasons for every way a process can end; frames on a
 * pipe, whole and damaged. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "exit_status.h"
#include "job_process.h"

#define KEY(seed, epochs)                                                                                             \
    "dataset=synthetic(channels=1,classes=4,size=12,test=100,train=400) arch=cnn-small(conv1=4,conv2=8,fc=16) "       \
    "trigger=square poison_rate=0.1 seed=" seed " train=sgd(batch=32,epochs=" epochs ")"

/* What a job said, as the rank saw it. */
typedef struct Seen {
    int progress, metrics, outcomes, last_type;
    char text[1024];
    double clean_acc[8]; /* train clean_acc by epoch */
} Seen;

static void on_message(void *ud, BdMsgType type, BdBuf *payload) {
    Seen *s = ud;
    BdBuf b = *payload;
    b.pos = 0;
    if (type == BD_MSG_PROGRESS) s->progress++;
    if (type == BD_MSG_METRICS) {
        s->metrics++;
        BdMetricsRecord r = {0};
        bd_buf_get_i64(&b);
        if (bd_metrics_get(&b, &r) == 0 && !strcmp(r.phase, "train") && !r.attack[0] && r.epoch < 8)
            for (int i = 0; i < r.n; i++)
                if (!strcmp(r.names[i], "clean_acc")) s->clean_acc[r.epoch] = r.values[i];
        bd_metrics_record_free(&r);
    }
    if (type == BD_MSG_DONE || type == BD_MSG_FAILED || type == BD_MSG_STOPPED) {
        s->outcomes++;
        BdOutcomeMsg m;
        if (bd_msg_outcome_get(&b, type, &m) == 0) snprintf(s->text, sizeof s->text, "%s", m.text);
    }
    CHECK_MSG(s->outcomes <= 1 && (!s->outcomes || s->last_type != BD_MSG_DONE), "a message after the outcome");
    s->last_type = type;
}

static void on_log(void *ud, const char *line) { (void)ud, (void)line; }

static BdMsgType run_job(BdJobRunner *r, const char *key, double wall, int64_t memory, Seen *seen) {
    memset(seen, 0, sizeof *seen);
    BdJobOrder o = {.job = 7, .key = key, .ckpt_dir = "", .wall_limit = wall, .memory_limit = memory};
    BdBuf order;
    bd_buf_init(&order);
    bd_job_order_put(&order, &o);
    BdJobHost host = {seen, on_message, on_log, NULL};
    BdMsgType t = bd_job_runner_run(r, &order, &host);
    bd_buf_free(&order);
    CHECK(seen->outcomes == 1 && seen->last_type == (int)t);
    return t;
}

static void test_jobs(void) {
    BdJobRunner r;
    bd_job_runner_init(&r, (int)getppid(), 1);
    Seen a, b;
    CHECK(run_job(&r, KEY("1", "2"), 0, 0, &a) == BD_MSG_DONE);
    CHECK(a.progress >= 2 && a.metrics >= 3); /* the poison counts, then each epoch's numbers */
    CHECK(a.clean_acc[2] > 0.25);
    /* The first job shared its dataset; the second maps it, same numbers. */
    CHECK(r.image_fd >= 0);
    int image = r.image_fd;
    CHECK(run_job(&r, KEY("1", "2"), 0, 0, &b) == BD_MSG_DONE);
    CHECK(r.image_fd == image);
    CHECK(a.clean_acc[1] == b.clean_acc[1] && a.clean_acc[2] == b.clean_acc[2]);

#ifndef __SANITIZE_ADDRESS__
    const char *crash = "segv", *sig = "SIGSEGV";
#else /* AddressSanitizer turns a SIGSEGV into a report and an exit status */
    const char *crash = "abort", *sig = "SIGABRT";
#endif
    char hook[64], want[128];
    snprintf(hook, sizeof hook, "seed=2 :%s@epoch2", crash);
    setenv("BDSWEEP_TEST_CRASH", hook, 1);
    CHECK(run_job(&r, KEY("2", "3"), 0, 0, &a) == BD_MSG_FAILED);
    snprintf(want, sizeof want, "crashed: %s in train epoch 2", sig);
    CHECK_CONTAINS(a.text, want);
    snprintf(want, sizeof want, "(its last words: bdsweep: test hook BDSWEEP_TEST_CRASH: %s in train epoch 2)", crash);
    CHECK_CONTAINS(a.text, want);
    unsetenv("BDSWEEP_TEST_CRASH");

    CHECK(run_job(&r, KEY("3", "100000"), 1.5, 0, &a) == BD_MSG_FAILED);
    CHECK_CONTAINS(a.text, "over its wall-time limit of 1.5s ");
    CHECK_CONTAINS(a.text, " train epoch "); /* in one, or just after one */
#ifndef __SANITIZE_ADDRESS__ /* its shadow memory would count */
    /* 1 MiB holds the model at batch 8 (its estimate, checked before it is
     * built) but not what the job allocates beside it. (Not much more: under
     * a limit too small for the 128 MiB OpenBLAS reserves at its first
     * product, its allocator was seen to spin for minutes instead of failing.) */
    CHECK(run_job(&r,
                  "dataset=synthetic(channels=1,classes=4,size=12,test=100,train=400) "
                  "arch=cnn-small(conv1=4,conv2=8,fc=16) trigger=square poison_rate=0.1 seed=4 "
                  "train=sgd(batch=8,epochs=2)",
                  0, (int64_t)1 << 20, &a) == BD_MSG_FAILED);
    CHECK_CONTAINS(a.text, "out of memory: limit 1 MiB");
    /* A model that cannot fit its limit fails the job before it is built. */
    CHECK(run_job(&r, "dataset=synthetic(channels=1,classes=4,size=12,test=100,train=400) "
                      "arch=cnn-small(conv1=4096,conv2=4096,fc=4096) trigger=square poison_rate=0.1 seed=5",
                  0, (int64_t)256 << 20, &a) == BD_MSG_FAILED);
    CHECK_CONTAINS(a.text, "the model cnn-small(conv1=4096,conv2=4096,fc=4096) needs about ");
    CHECK_CONTAINS(a.text, "more than the job's memory limit of 256 MiB");
#endif
    bd_job_runner_free(&r);
}

static void test_reasons(void) {
    char why[1024];
    bd_job_exit_reason(SIGSEGV, 0, 0, 0, "in train epoch 2", "", why, sizeof why);
    CHECK_STR(why, "crashed: SIGSEGV in train epoch 2");
    bd_job_exit_reason(SIGABRT | 0x80, 0, 0, 0, "in retrain epoch 1", "assertion failed", why, sizeof why);
    CHECK_STR(why, "crashed: SIGABRT in retrain epoch 1 (core dumped) (its last words: assertion failed)");
    bd_job_exit_reason(SIGKILL, 0, 0, 0, "after train epoch 3", "", why, sizeof why);
    CHECK_STR(why, "killed by signal 9 (SIGKILL) after train epoch 3");
    bd_job_exit_reason(BD_EXIT_OUT_OF_MEMORY << 8, 0, 0, (long long)4 << 30, "in train epoch 2",
                       "bdsweep: out of memory allocating 10 bytes", why, sizeof why);
    CHECK_STR(why, "out of memory: limit 4 GiB in train epoch 2 (its last words: bdsweep: out of memory allocating 10 "
                   "bytes)");
    /* An allocator that aborts after saying so. */
    bd_job_exit_reason(SIGABRT, 0, 0, (long long)300 << 20, "", "bdsweep: out of memory allocating 5 floats", why,
                       sizeof why);
    CHECK_CONTAINS(why, "out of memory: limit 300 MiB");
    bd_job_exit_reason(BD_EXIT_OUT_OF_MEMORY << 8, 0, 0, 0, "", "", why, sizeof why);
    CHECK_STR(why, "out of memory (no limit was set: the machine's memory)");
    bd_job_exit_reason(SIGKILL, 1, 7200, 0, "in train epoch 7", "", why, sizeof why);
    CHECK_STR(why, "over its wall-time limit of 2h in train epoch 7");
    bd_job_exit_reason(3 << 8, 0, 0, 0, "", "cannot read", why, sizeof why);
    CHECK_STR(why, "its process exited with status 3 without a result (its last words: cannot read)");
}

static void test_frames(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    BdBuf one, two, stream, payload;
    bd_buf_init(&one), bd_buf_init(&two), bd_buf_init(&stream), bd_buf_init(&payload);
    bd_buf_put_str(&one, "first");
    for (int i = 0; i < 5000; i++) bd_buf_put_i64(&two, i);
    CHECK(bd_frame_write(p[1], BD_MSG_PROGRESS, &one) == 0 && bd_frame_write(p[1], BD_MSG_DONE, &two) == 0);
    close(p[1]);
    /* Read in small pieces: a frame is taken only once it is whole. */
    unsigned char buf[7];
    ssize_t n;
    BdMsgType types[2];
    size_t lens[2];
    int got = 0, rc = 0;
    BdError err = {0};
    while ((n = read(p[0], buf, sizeof buf)) > 0) {
        bd_buf_put_bytes(&stream, buf, (size_t)n);
        while ((rc = bd_frame_next(&stream, &types[got < 2 ? got : 1], &payload, &err)) == 1 && got < 2)
            lens[got++] = payload.len;
    }
    close(p[0]);
    CHECK(got == 2 && rc == 0);
    CHECK(types[0] == BD_MSG_PROGRESS && lens[0] == one.len && types[1] == BD_MSG_DONE && lens[1] == two.len);
    /* A frame of no known type is a damaged stream. */
    bd_buf_reset(&stream);
    bd_buf_put_i64(&stream, 99);
    bd_buf_put_i64(&stream, 0);
    BdMsgType t;
    CHECK(bd_frame_next(&stream, &t, &payload, &err) < 0);
    CHECK_CONTAINS(err.msg, "damaged message stream (a frame of type 99 and 0 bytes)");
    bd_buf_free(&one), bd_buf_free(&two), bd_buf_free(&stream), bd_buf_free(&payload);
}

int main(int argc, char **argv) {
    /* The runner starts this binary again as its job's process. */
    if (argc > 1 && !strcmp(argv[1], "job-process")) return bd_job_process_main(argc - 1, argv + 1);
    test_reasons();
    test_frames();
    test_jobs();
    return check_result("job_process");
}
