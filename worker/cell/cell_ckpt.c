#include "cell_ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint.h"

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

/* ---- the header: named fields ------------------------------------------------------ */

enum { FIELD_I64 = 'i', FIELD_F64 = 'f', FIELD_BYTES = 'b', MAX_FIELDS = 64 };

typedef struct Field {
    const char *name;
    int64_t type, i;
    double f;
    const unsigned char *bytes;
    size_t len;
} Field;

typedef struct Header {
    Field f[MAX_FIELDS];
    int n;
    const char *path; /* for messages */
} Header;

/* The header being written: its fields, counted. */
typedef struct HeaderOut {
    BdBuf fields;
    int n;
} HeaderOut;

static void put_name(HeaderOut *o, const char *name, int64_t type) {
    bd_buf_put_str(&o->fields, name);
    bd_buf_put_i64(&o->fields, type);
    o->n++;
}

static void put_i(HeaderOut *o, const char *name, int64_t v) {
    put_name(o, name, FIELD_I64);
    bd_buf_put_i64(&o->fields, v);
}

static void put_f(HeaderOut *o, const char *name, double v) {
    put_name(o, name, FIELD_F64);
    bd_buf_put_f64(&o->fields, v);
}

static void put_bytes(HeaderOut *o, const char *name, const void *p, size_t n) {
    put_name(o, name, FIELD_BYTES);
    bd_buf_put_blob(&o->fields, p, n);
}

static void put_rng(HeaderOut *o, const char *name, const BdRng *r) {
    BdBuf s;
    bd_buf_init(&s);
    for (int k = 0; k < 4; k++) bd_buf_put_i64(&s, (int64_t)r->s[k]);
    put_bytes(o, name, s.data, s.len);
    bd_buf_free(&s);
}

static int read_header(BdBuf *b, Header *h, BdError *err) {
    int64_t n = bd_buf_get_i64(b);
    if (b->bad || n < 0 || n > MAX_FIELDS) return bd_fail(err, "%s: a damaged checkpoint header", h->path);
    for (h->n = 0; h->n < n; h->n++) {
        Field *f = &h->f[h->n];
        f->name = bd_buf_get_strp(b);
        f->type = bd_buf_get_i64(b);
        if (f->type == FIELD_I64) f->i = bd_buf_get_i64(b);
        else if (f->type == FIELD_F64) f->f = bd_buf_get_f64(b);
        else if (f->type == FIELD_BYTES) f->bytes = bd_buf_get_blob(b, &f->len);
        else b->bad = 1;
        if (b->bad) return bd_fail(err, "%s: a damaged checkpoint header (field %d)", h->path, h->n + 1);
    }
    return 0;
}

static const Field *field(const Header *h, const char *name, int64_t type, BdError *err) {
    for (int i = 0; i < h->n; i++)
        if (!strcmp(h->f[i].name, name) && h->f[i].type == type) return &h->f[i];
    bd_fail(err, "%s: the checkpoint header has no field '%s' of type '%c'", h->path, name, (char)type);
    return NULL;
}

static int get_i(const Header *h, const char *name, int64_t *v, BdError *err) {
    const Field *f = field(h, name, FIELD_I64, err);
    if (!f) return -1;
    *v = f->i;
    return 0;
}

static int get_f(const Header *h, const char *name, double *v, BdError *err) {
    const Field *f = field(h, name, FIELD_F64, err);
    if (!f) return -1;
    *v = f->f;
    return 0;
}

static int get_rng(const Header *h, const char *name, BdRng *r, BdError *err) {
    const Field *f = field(h, name, FIELD_BYTES, err);
    if (!f) return -1;
    if (f->len != 32) return bd_fail(err, "%s: checkpoint field '%s' has %zu bytes: expected 32", h->path, name, f->len);
    BdBuf s;
    bd_buf_init(&s);
    bd_buf_from(&s, f->bytes, f->len);
    for (int k = 0; k < 4; k++) r->s[k] = (uint64_t)bd_buf_get_i64(&s);
    bd_buf_free(&s);
    return 0;
}

/* The phase and the point, from the header. */
static int read_point(const Header *h, char *phase, size_t phase_cap, BdTrainPoint *at, BdError *err) {
    const Field *ph = field(h, "phase", FIELD_BYTES, err);
    int64_t epoch, step, seen, correct;
    if (!ph || get_i(h, "epoch", &epoch, err) < 0 || get_i(h, "step", &step, err) < 0 ||
        get_i(h, "seen", &seen, err) < 0 || get_i(h, "correct", &correct, err) < 0 ||
        get_f(h, "sum_loss", &at->sum_loss, err) < 0 || get_f(h, "sum_ce", &at->sum_ce, err) < 0 ||
        get_f(h, "sum_reg", &at->sum_reg, err) < 0 || get_f(h, "seconds", &at->seconds, err) < 0 ||
        get_rng(h, "rng.augment", &at->augment, err) < 0 || get_rng(h, "rng.regularizer", &at->regularizer, err) < 0)
        return -1;
    if (ph->len == 0 || ph->len >= phase_cap || memchr(ph->bytes, '\0', ph->len))
        return bd_fail(err, "%s: the checkpoint's phase is not a phase name", h->path);
    if (epoch < 0 || epoch > 1000000 || step < 0 || step > 1000000000 || seen < 0 || correct < 0)
        return bd_fail(err, "%s: the checkpoint's point (epoch %lld, step %lld) is impossible", h->path,
                       (long long)epoch, (long long)step);
    memcpy(phase, ph->bytes, ph->len);
    phase[ph->len] = '\0';
    at->epoch = (int)epoch;
    at->step = (int)step;
    at->seen = (long)seen;
    at->correct = (long)correct;
    return 0;
}

/* Why a checkpoint's owner is not ours (err), or 0 when it is. */
static int check_owner(const Header *h, const BdCkptOwner *want, BdError *err) {
    const Field *db = field(h, "owner.database", FIELD_BYTES, err), *job = db ? field(h, "owner.job", FIELD_BYTES, err) : NULL;
    const Field *engine = job ? field(h, "owner.engine", FIELD_BYTES, err) : NULL;
    int64_t digest;
    if (!engine || get_i(h, "owner.data", &digest, err) < 0) return -1;
    const char *our_db = want->db_id ? want->db_id : "";
    if (db->len != strlen(our_db) || memcmp(db->bytes, our_db, db->len))
        return bd_fail(err, "%s: it belongs to another database (id %.*s; this one is %s)", h->path, (int)db->len,
                       db->len ? (const char *)db->bytes : "none", our_db[0] ? our_db : "none");
    if (job->len != strlen(want->job) || memcmp(job->bytes, want->job, job->len))
        return bd_fail(err, "%s: it belongs to another job: %.*s", h->path, (int)(job->len < 300 ? job->len : 300),
                       (const char *)job->bytes);
    if ((uint64_t)digest != want->data_digest)
        return bd_fail(err, "%s: it was trained on other data (digest %016llx; the data read now is %016llx)",
                       h->path, (unsigned long long)digest, (unsigned long long)want->data_digest);
    if (engine->len != strlen(want->engine) || memcmp(engine->bytes, want->engine, engine->len))
        return bd_fail(err, "%s: it was written by another engine (%.*s; this build runs %s)", h->path,
                       (int)engine->len, (const char *)engine->bytes, want->engine);
    return 0;
}

/* ---- files ---------------------------------------------------------------------------- */

int bd_cell_ckpt_save(const char *path, const char *arch_key, const BdCkptOwner *owner, const BdGraph *g,
                      const BdSgd *opt, const BdHistory *h, const char *phase, const BdTrainPoint *at, BdError *err) {
    HeaderOut o = {{0}, 0};
    bd_buf_init(&o.fields);
    const char *db_id = owner->db_id ? owner->db_id : "";
    put_bytes(&o, "owner.database", db_id, strlen(db_id));
    put_bytes(&o, "owner.job", owner->job, strlen(owner->job));
    put_i(&o, "owner.data", (int64_t)owner->data_digest);
    put_bytes(&o, "owner.engine", owner->engine, strlen(owner->engine));
    put_bytes(&o, "phase", phase, strlen(phase));
    put_i(&o, "epoch", at->epoch);
    put_i(&o, "step", at->step);
    put_i(&o, "seen", at->seen);
    put_i(&o, "correct", at->correct);
    put_f(&o, "sum_loss", at->sum_loss);
    put_f(&o, "sum_ce", at->sum_ce);
    put_f(&o, "sum_reg", at->sum_reg);
    put_f(&o, "seconds", at->seconds);
    put_rng(&o, "rng.augment", &at->augment);
    put_rng(&o, "rng.regularizer", &at->regularizer);
    BdBuf blob;
    bd_buf_init(&blob);
    bd_buf_put_i64(&blob, BD_CELL_CKPT_FORMAT);
    bd_buf_put_i64(&blob, o.n);
    bd_buf_put_bytes(&blob, o.fields.data, o.fields.len);
    bd_buf_put_i64(&blob, (int64_t)h->calls.len);
    bd_buf_put_bytes(&blob, h->calls.data, h->calls.len); /* the recorded calls, as they are */
    int rc = bd_checkpoint_save(path, arch_key, g, opt, blob.data, blob.len, err);
    bd_buf_free(&blob);
    bd_buf_free(&o.fields);
    return rc;
}

int bd_cell_ckpt_load(const char *path, const char *arch_key, const BdCkptOwner *owner, BdGraph *g, BdSgd *opt,
                      BdHistory *h, char *phase, size_t phase_cap, BdTrainPoint *at, BdError *err) {
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
    memset(at, 0, sizeof *at);
    Header hd = {.path = path};
    int64_t format = bd_buf_get_i64(&b), calls_len = 0;
    int rc = 0;
    if (b.bad || format != BD_CELL_CKPT_FORMAT)
        rc = bd_fail(err, "%s: a checkpoint of format %lld: this build reads format %d only", path, (long long)format,
                     BD_CELL_CKPT_FORMAT);
    if (rc == 0) rc = read_header(&b, &hd, err);
    if (rc == 0 && owner) rc = check_owner(&hd, owner, err);
    if (rc == 0) rc = read_point(&hd, phase, phase_cap, at, err);
    if (rc == 0) {
        calls_len = bd_buf_get_i64(&b);
        if (b.bad || calls_len < 0 || b.pos + (size_t)calls_len != b.len)
            rc = bd_fail(err, "%s: the checkpoint's metric history is cut off or has bytes after it", path);
    }
    if (rc == 0) rc = replay(h, &b, err);
    bd_buf_free(&b);
    return rc;
}
