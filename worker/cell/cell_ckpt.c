#include "cell_ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint.h"

#define HISTORY_VERSION 2 /* 2: metrics records carry their attack */

static void record(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                   const double *values, int n) {
    BdHistory *h = ud;
    bd_metrics_put(&h->calls, phase, epoch, attack, names, values, n);
    if (h->next && h->next->metrics) h->next->metrics(h->next->ud, phase, epoch, attack, names, values, n);
}

static void forward_progress(void *ud, const char *phase, int epoch, int epochs, int step, int steps) {
    BdHistory *h = ud;
    if (h->next && h->next->progress) h->next->progress(h->next->ud, phase, epoch, epochs, step, steps);
}

static int forward_interrupt(void *ud) {
    BdHistory *h = ud;
    return h->next && h->next->interrupt ? h->next->interrupt(h->next->ud) : 0;
}

void bd_history_init(BdHistory *h, const BdSink *next) {
    memset(h, 0, sizeof *h);
    h->next = next;
    h->sink = (BdSink){h, record, forward_progress, forward_interrupt};
    bd_buf_init(&h->calls);
}

void bd_history_free(BdHistory *h) { bd_buf_free(&h->calls); }

/* Replays recorded calls from b (read cursor at their start) into h. */
static int replay(BdHistory *h, BdBuf *b, BdError *err) {
    BdMetricsRecord r = {0};
    while (b->pos < b->len && bd_metrics_get(b, &r) == 0)
        record(h, r.phase, r.epoch, r.attack, r.names, r.values, r.n);
    bd_metrics_record_free(&r);
    if (b->bad) return bd_fail(err, "the metric history in the checkpoint is damaged");
    return 0;
}

int bd_cell_ckpt_save(const char *path, const char *arch_key, const BdGraph *g, const BdSgd *opt, const BdHistory *h,
                      const char *phase, int epochs_done, BdError *err) {
    BdBuf blob;
    bd_buf_init(&blob);
    bd_buf_put_i64(&blob, HISTORY_VERSION);
    bd_buf_put_str(&blob, phase);
    bd_buf_put_i64(&blob, epochs_done);
    bd_buf_put_i64(&blob, (int64_t)h->calls.len);
    bd_buf_put_bytes(&blob, h->calls.data, h->calls.len); /* the recorded calls, as they are */
    int rc = bd_checkpoint_save(path, arch_key, g, opt, blob.data, blob.len, err);
    bd_buf_free(&blob);
    return rc;
}

int bd_cell_ckpt_load(const char *path, const char *arch_key, BdGraph *g, BdSgd *opt, BdHistory *h, char *phase,
                      size_t phase_cap, int *epochs_done, BdError *err) {
    struct stat st;
    if (stat(path, &st) < 0) return bd_fail(err, "%s: no such checkpoint", path);
    size_t cap = (size_t)st.st_size, len = 0;
    unsigned char *data = bd_xmalloc(cap + 1);
    if (bd_checkpoint_load(path, arch_key, g, opt, data, cap, &len, err) < 0) {
        free(data);
        return -1;
    }
    BdBuf b;
    bd_buf_init(&b);
    bd_buf_from(&b, data, len);
    free(data);
    int64_t version = bd_buf_get_i64(&b);
    bd_buf_get_str(&b, phase, phase_cap);
    *epochs_done = (int)bd_buf_get_i64(&b);
    int64_t calls_len = bd_buf_get_i64(&b);
    int rc = 0;
    if (b.bad || version != HISTORY_VERSION || calls_len < 0 || b.pos + (size_t)calls_len != b.len)
        rc = bd_fail(err, "%s: the checkpoint's metric history has an unknown layout (version %lld)", path,
                     (long long)version);
    else rc = replay(h, &b, err);
    bd_buf_free(&b);
    return rc;
}
