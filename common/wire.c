#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bd_buf_init(BdBuf *b) { memset(b, 0, sizeof *b); }

void bd_buf_free(BdBuf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

void bd_buf_reset(BdBuf *b) {
    b->len = b->pos = 0;
    b->bad = 0;
}

static void reserve(BdBuf *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    b->data = bd_xrealloc(b->data, cap);
    b->cap = cap;
}

void bd_buf_from(BdBuf *b, const void *data, size_t len) {
    bd_buf_reset(b);
    bd_buf_put_bytes(b, data, len);
}

void bd_buf_put_i64(BdBuf *b, int64_t v) {
    reserve(b, 8);
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) b->data[b->len++] = (unsigned char)(u >> (8 * i));
}

void bd_buf_put_f64(BdBuf *b, double v) {
    uint64_t u;
    memcpy(&u, &v, 8);
    bd_buf_put_i64(b, (int64_t)u);
}

void bd_buf_put_str(BdBuf *b, const char *s) {
    size_t n = strlen(s);
    bd_buf_put_i64(b, (int64_t)n);
    reserve(b, n + 1);
    memcpy(b->data + b->len, s, n + 1);
    b->len += n + 1;
}

void bd_buf_put_bytes(BdBuf *b, const void *data, size_t len) {
    if (!len) return; /* data may be NULL then (an empty buffer's) */
    reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

int64_t bd_buf_get_i64(BdBuf *b) {
    if (b->bad || b->pos + 8 > b->len) {
        b->bad = 1;
        return 0;
    }
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)b->data[b->pos++] << (8 * i);
    return (int64_t)u;
}

double bd_buf_get_f64(BdBuf *b) {
    uint64_t u = (uint64_t)bd_buf_get_i64(b);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

const char *bd_buf_get_strp(BdBuf *b) {
    int64_t n = bd_buf_get_i64(b);
    if (b->bad || n < 0 || b->pos + (size_t)n + 1 > b->len || b->data[b->pos + (size_t)n] != '\0') {
        b->bad = 1;
        return "";
    }
    const char *s = (const char *)b->data + b->pos;
    b->pos += (size_t)n + 1;
    return s;
}

void bd_buf_get_str(BdBuf *b, char *out, size_t cap) {
    const char *s = bd_buf_get_strp(b);
    size_t n = strlen(s);
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

int bd_buf_check(const BdBuf *b, const char *what, BdError *err) {
    if (b->bad) return bd_fail(err, "malformed %s message (%zu bytes)", what, b->len);
    return 0;
}

void bd_metrics_put(BdBuf *b, const char *phase, int epoch, const char *attack, const char *const *names,
                    const double *values, int n) {
    bd_buf_put_str(b, phase);
    bd_buf_put_i64(b, epoch);
    bd_buf_put_str(b, attack);
    bd_buf_put_i64(b, n);
    for (int i = 0; i < n; i++) {
        bd_buf_put_str(b, names[i]);
        bd_buf_put_f64(b, values[i]);
    }
}

int bd_metrics_get(BdBuf *b, BdMetricsRecord *r) {
    r->phase = bd_buf_get_strp(b);
    r->epoch = (int)bd_buf_get_i64(b);
    r->attack = bd_buf_get_strp(b);
    int64_t n = bd_buf_get_i64(b);
    r->n = 0;
    if (b->bad || n < 0 || n > BD_METRICS_MAX) {
        b->bad = 1;
        return -1;
    }
    if (n > r->cap) {
        r->cap = (int)n;
        r->names = bd_xrealloc(r->names, (size_t)r->cap * sizeof *r->names);
        r->values = bd_xrealloc(r->values, (size_t)r->cap * sizeof *r->values);
    }
    for (int i = 0; i < n; i++) {
        r->names[i] = bd_buf_get_strp(b);
        r->values[i] = bd_buf_get_f64(b);
    }
    if (b->bad) return -1;
    r->n = (int)n;
    return 0;
}

void bd_metrics_record_free(BdMetricsRecord *r) {
    free(r->names);
    free(r->values);
    memset(r, 0, sizeof *r);
}

void bd_buf_put_blob(BdBuf *b, const void *data, size_t len) {
    bd_buf_put_i64(b, (int64_t)len);
    bd_buf_put_bytes(b, data, len);
}

const unsigned char *bd_buf_get_blob(BdBuf *b, size_t *len) {
    int64_t n = bd_buf_get_i64(b);
    *len = 0;
    if (b->bad || n < 0 || (uint64_t)n > b->len - b->pos) {
        b->bad = 1;
        return NULL;
    }
    const unsigned char *p = b->data + b->pos;
    b->pos += (size_t)n;
    *len = (size_t)n;
    return p;
}

static const char *or_empty(const char *s) { return s ? s : ""; }

void bd_job_order_put(BdBuf *b, const BdJobOrder *o) {
    bd_buf_put_i64(b, o->job);
    bd_buf_put_str(b, o->key);
    bd_buf_put_str(b, or_empty(o->ckpt_dir));
    bd_buf_put_str(b, or_empty(o->models_dir));
    bd_buf_put_str(b, or_empty(o->db_id));
    bd_buf_put_f64(b, o->deadline);
    bd_buf_put_f64(b, o->wall_limit);
    bd_buf_put_i64(b, o->memory_limit);
    bd_buf_put_i64(b, o->n_attacks);
    for (int i = 0; i < o->n_attacks; i++) bd_buf_put_str(b, o->attacks[i]);
}

int bd_job_order_get(BdBuf *b, BdJobOrder *o) {
    memset(o, 0, sizeof *o);
    o->job = bd_buf_get_i64(b);
    o->key = bd_buf_get_strp(b);
    o->ckpt_dir = bd_buf_get_strp(b);
    o->models_dir = bd_buf_get_strp(b);
    o->db_id = bd_buf_get_strp(b);
    o->deadline = bd_buf_get_f64(b);
    o->wall_limit = bd_buf_get_f64(b);
    o->memory_limit = bd_buf_get_i64(b);
    int64_t n = bd_buf_get_i64(b);
    if (b->bad || n < 0 || n > BD_METRICS_MAX) {
        b->bad = 1;
        return -1;
    }
    const char **attacks = bd_xcalloc((size_t)n + 1, sizeof *attacks);
    for (int i = 0; i < n; i++) attacks[i] = bd_buf_get_strp(b);
    o->attacks = attacks;
    o->n_attacks = (int)n;
    return b->bad ? -1 : 0;
}

void bd_job_order_free(BdJobOrder *o) {
    free((void *)o->attacks);
    memset(o, 0, sizeof *o);
}

void bd_msg_progress_put(BdBuf *b, const BdProgressMsg *m) {
    bd_buf_put_i64(b, m->job);
    bd_buf_put_str(b, m->phase);
    bd_buf_put_i64(b, m->epoch);
    bd_buf_put_i64(b, m->epochs);
    bd_buf_put_i64(b, m->step);
    bd_buf_put_i64(b, m->steps);
}

int bd_msg_progress_get(BdBuf *b, BdProgressMsg *m) {
    m->job = bd_buf_get_i64(b);
    m->phase = bd_buf_get_strp(b);
    m->epoch = (int)bd_buf_get_i64(b);
    m->epochs = (int)bd_buf_get_i64(b);
    m->step = (int)bd_buf_get_i64(b);
    m->steps = (int)bd_buf_get_i64(b);
    return b->bad ? -1 : 0;
}

void bd_msg_metrics_put(BdBuf *b, int64_t job, const char *phase, int epoch, const char *attack,
                        const char *const *names, const double *values, int n) {
    bd_buf_put_i64(b, job);
    bd_metrics_put(b, phase, epoch, attack, names, values, n);
}

void bd_msg_outcome_put(BdBuf *b, BdMsgType type, const BdOutcomeMsg *m) {
    bd_buf_put_i64(b, m->job);
    bd_buf_put_f64(b, m->wall_seconds);
    if (type == BD_MSG_DONE) {
        bd_buf_put_i64(b, m->params);
        bd_buf_put_f64(b, m->gflops_per_image);
        bd_buf_put_blob(b, m->history, m->history_len);
        bd_buf_put_blob(b, m->artifacts, m->artifacts_len);
    } else {
        bd_buf_put_str(b, m->text ? m->text : "");
    }
}

int bd_msg_outcome_get(BdBuf *b, BdMsgType type, BdOutcomeMsg *m) {
    memset(m, 0, sizeof *m);
    m->job = bd_buf_get_i64(b);
    m->wall_seconds = bd_buf_get_f64(b);
    m->text = "";
    if (type == BD_MSG_DONE) {
        m->params = (long)bd_buf_get_i64(b);
        m->gflops_per_image = bd_buf_get_f64(b);
        m->history = bd_buf_get_blob(b, &m->history_len);
        m->artifacts = bd_buf_get_blob(b, &m->artifacts_len);
    } else {
        m->text = bd_buf_get_strp(b);
    }
    return b->bad ? -1 : 0;
}

int bd_frame_write(int fd, BdMsgType type, const BdBuf *payload) {
    BdBuf head;
    bd_buf_init(&head);
    bd_buf_put_i64(&head, type);
    bd_buf_put_i64(&head, (int64_t)payload->len);
    const unsigned char *parts[2] = {head.data, payload->data};
    size_t lens[2] = {head.len, payload->len};
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        size_t done = 0;
        while (done < lens[k]) {
            ssize_t w = write(fd, parts[k] + done, lens[k] - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                rc = -1;
                break;
            }
            done += (size_t)w;
        }
    }
    bd_buf_free(&head);
    return rc;
}

int bd_frame_next(BdBuf *stream, BdMsgType *type, BdBuf *payload, BdError *err) {
    if (stream->len - stream->pos < 16) return 0;
    size_t at = stream->pos;
    int64_t t = bd_buf_get_i64(stream), n = bd_buf_get_i64(stream);
    if (n < 0 || n > BD_FRAME_MAX || t <= 0 || t > BD_MSG_LAST) {
        stream->pos = at;
        return bd_fail(err, "damaged message stream (a frame of type %lld and %lld bytes)", (long long)t,
                       (long long)n);
    }
    if ((uint64_t)n > stream->len - stream->pos) {
        stream->pos = at; /* not all here yet */
        return 0;
    }
    *type = (BdMsgType)t;
    bd_buf_from(payload, stream->data + stream->pos, (size_t)n);
    stream->pos += (size_t)n;
    /* Drop what was consumed once it is most of the buffer, so that a long
     * stream does not grow the buffer without end. */
    if (stream->pos == stream->len) bd_buf_reset(stream);
    else if (stream->pos > stream->cap / 2) {
        memmove(stream->data, stream->data + stream->pos, stream->len - stream->pos);
        stream->len -= stream->pos;
        stream->pos = 0;
    }
    return 1;
}

/* ---- artifacts ------------------------------------------------------------------ */

void bd_artifact_put_poisoned(BdBuf *b, const char *attack, const int *indices, int n) {
    bd_buf_put_i64(b, BD_ARTIFACT_POISONED);
    bd_buf_put_str(b, attack);
    bd_buf_put_i64(b, n);
    for (int i = 0; i < n; i++) {
        uint32_t v = (uint32_t)indices[i];
        unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                               (unsigned char)(v >> 24)};
        bd_buf_put_bytes(b, le, 4);
    }
}

void bd_artifact_put_model(BdBuf *b, const char *phase, const char *path, int c, int h, int w, int classes,
                           int epochs) {
    bd_buf_put_i64(b, BD_ARTIFACT_MODEL);
    bd_buf_put_str(b, phase);
    bd_buf_put_str(b, path);
    int64_t v[5] = {c, h, w, classes, epochs};
    for (int i = 0; i < 5; i++) bd_buf_put_i64(b, v[i]);
}

int bd_artifact_get(BdBuf *b, BdArtifact *a) {
    memset(a, 0, sizeof *a);
    int64_t kind = bd_buf_get_i64(b);
    if (kind == BD_ARTIFACT_POISONED) {
        a->attack = bd_buf_get_strp(b);
        int64_t n = bd_buf_get_i64(b);
        if (b->bad || n < 0 || (uint64_t)n > (b->len - b->pos) / 4) {
            b->bad = 1;
            return -1;
        }
        a->indices = b->data + b->pos;
        a->n = (int)n;
        b->pos += (size_t)n * 4;
    } else if (kind == BD_ARTIFACT_MODEL) {
        a->phase = bd_buf_get_strp(b);
        a->path = bd_buf_get_strp(b);
        int *v[5] = {&a->c, &a->h, &a->w, &a->classes, &a->epochs};
        for (int i = 0; i < 5; i++) *v[i] = (int)bd_buf_get_i64(b);
    } else {
        b->bad = 1;
    }
    if (b->bad) return -1;
    a->kind = (BdArtifactKind)kind;
    return 0;
}

int bd_artifact_index(const BdArtifact *a, int i) {
    const unsigned char *p = a->indices + 4 * (size_t)i;
    return (int)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}
