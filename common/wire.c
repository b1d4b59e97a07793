#include "wire.h"

#include <stdlib.h>
#include <string.h>

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
    reserve(b, len);
    memcpy(b->data, data, len);
    b->len = len;
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

void bd_job_order_put(BdBuf *b, int64_t job, const char *key, const char *ckpt_dir, double deadline,
                      const char *const *attacks, int n_attacks) {
    bd_buf_put_i64(b, job);
    bd_buf_put_str(b, key);
    bd_buf_put_str(b, ckpt_dir ? ckpt_dir : "");
    bd_buf_put_f64(b, deadline);
    bd_buf_put_i64(b, n_attacks);
    for (int i = 0; i < n_attacks; i++) bd_buf_put_str(b, attacks[i]);
}

int bd_job_order_get(BdBuf *b, BdJobOrder *o) {
    memset(o, 0, sizeof *o);
    o->job = bd_buf_get_i64(b);
    o->key = bd_buf_get_strp(b);
    o->ckpt_dir = bd_buf_get_strp(b);
    o->deadline = bd_buf_get_f64(b);
    int64_t n = bd_buf_get_i64(b);
    if (b->bad || n < 0 || n > BD_METRICS_MAX) {
        b->bad = 1;
        return -1;
    }
    o->attacks = bd_xcalloc((size_t)n + 1, sizeof *o->attacks);
    for (int i = 0; i < n; i++) o->attacks[i] = bd_buf_get_strp(b);
    o->n_attacks = (int)n;
    return b->bad ? -1 : 0;
}

void bd_job_order_free(BdJobOrder *o) {
    free(o->attacks);
    memset(o, 0, sizeof *o);
}
