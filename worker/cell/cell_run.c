#include "cell_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axes.h"
#include "cell.h"
#include "cell_ckpt.h"
#include "cell_data.h"
#include "host_once.h"
#include "job.h"
#include "job_keys.h"
#include "job_plan.h"
#include "log.h"
#include "models.h"
#include "regularizers.h"
#include "rng.h"
#include "streams.h"
#include "trainer.h"
#include "units.h"

void bd_worker_init(BdWorker *w, int threads) {
    memset(w, 0, sizeof *w);
    w->threads = threads > 0 ? threads : 1;
    /* One rank per core is the default: BLAS must not start its own threads
     * on top of that unless asked. */
    bd_set_threads(w->threads);
}

/* Empties the cache. */
static void forget_data(BdWorker *w) {
    if (w->image.map) bd_data_image_unmap(&w->image);
    else if (w->data_key[0]) bd_dataset_free(&w->data);
    memset(&w->data, 0, sizeof w->data);
    w->data_key[0] = '\0';
}

void bd_worker_free(BdWorker *w) {
    forget_data(w);
    memset(w, 0, sizeof *w);
}

/* The dataset of a job, from the worker's cache when it is the same one. */
static int worker_dataset(BdWorker *w, const BdSpec *spec, const BdDataset **out, BdError *err) {
    char key[sizeof w->data_key];
    if (bd_spec_format_full(spec, key, sizeof key, err) < 0) return -1;
    if (strcmp(key, w->data_key)) {
        forget_data(w);
        if (bd_dataset_load(spec, &w->data, err) < 0) return -1;
        w->data_digest = bd_dataset_digest(&w->data);
        snprintf(w->data_key, sizeof w->data_key, "%s", key);
    }
    *out = &w->data;
    return 0;
}

/* Maps the image into the cache: 1 when it holds the dataset `key`. */
static int map_image(BdWorker *w, const char *key, int fd, BdError *err) {
    BdDataImage img;
    int rc = bd_data_image_map(fd, key, &img, err);
    if (rc != 1) return rc;
    forget_data(w);
    w->image = img;
    w->data = img.data;
    w->data_digest = bd_dataset_digest(&w->data);
    snprintf(w->data_key, sizeof w->data_key, "%s", key);
    return 1;
}

int bd_worker_load_data(BdWorker *w, const char *key, int image_fd, int share_fd, BdError *err) {
    BdJob job;
    char spec_key[sizeof w->data_key];
    const BdDataset *d;
    if (bd_job_parse(bd_axes(), key, &job, err) < 0 ||
        bd_spec_format_full(&job.cell.v[BD_AXIS_DATASET], spec_key, sizeof spec_key, err) < 0)
        return -1;
    if (image_fd >= 0) {
        int rc = map_image(w, spec_key, image_fd, err);
        if (rc == 1) return 0;
        if (rc < 0) bd_warn("%s: loading the dataset from its files", err->msg);
    }
    if (worker_dataset(w, &job.cell.v[BD_AXIS_DATASET], &d, err) < 0) return -1;
    /* From now on the job reads the shared copy, as every later job will:
     * its own is freed, so that each job's memory holds the same things. */
    if (bd_data_image_write(share_fd, spec_key, d, err) < 0 || map_image(w, spec_key, share_fd, err) != 1)
        return bd_error_prefix(err, "sharing the dataset: ");
    return 1;
}

void bd_cell_note_precision(const char *key) {
    if (bd_engine_bf16() == BD_BF16_NATIVE) return;
    BdJob *job = bd_xcalloc(1, sizeof *job);
    BdError err = {0};
    if (bd_job_parse(bd_axes(), key, job, &err) == 0) {
        BdJobPlan plan;
        bd_job_plan(job, 1, 1, &plan); /* the phases' settings do not depend on the dataset's size */
        int bf16 = 0;
        for (int i = 0; i < plan.n_phases; i++) bf16 |= plan.phases[i].cfg.precision == BD_BF16;
        if (bf16 && bd_once_per_host("bf16")) bd_warn("%s", bd_bf16_note());
    }
    free(job);
}

static int make_dirs(const char *dir, BdError *err) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s", dir) >= sizeof path)
        return bd_fail(err, "checkpoint folder path longer than %zu characters: %.80s...", sizeof path - 1, dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0777) < 0 && errno != EEXIST)
            return bd_fail_io(err, errno, "cannot create checkpoint folder %s", path);
        *p = '/';
    }
    if (mkdir(path, 0777) < 0 && errno != EEXIST)
        return bd_fail_io(err, errno, "cannot create checkpoint folder %s", path);
    return 0;
}

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

/* Everything one job holds, freed in one place. */
typedef struct Job {
    const BdJobOrder *order;
    char engine_format[48]; /* what its checkpoints record as their engine (engine_format) */
    BdJob job;
    BdJobPlan plan;
    BdCellData data;
    BdGraph *g;
    BdReg *reg;
    BdTrainer trainer;
    int trainer_ready;
    /* The numbers of the job: `prep` those of making its data (the poisoning's
     * counts), made again by every attempt; `history` those of training,
     * which checkpoints carry and replay. The outcome's history is both. */
    BdHistory prep, history;
    uint64_t init_seed; /* streams.h */
    char arch_key[BD_SPEC_TEXT_MAX + 128];
    char identity[BD_KEY_MAX * 4];      /* what its checkpoints belong to (bd_checkpoint_identity) */
    BdCkptOwner owner;                  /* this job's checkpoints */
    char resume_path[BD_CKPT_PATH_MAX]; /* "" when there is no checkpoint folder */
} Job;

static void job_free(Job *j) {
    if (j->trainer_ready) bd_trainer_free(&j->trainer);
    bd_reg_free(j->reg);
    bd_graph_free(j->g);
    bd_cell_data_free(&j->data);
    bd_history_free(&j->prep);
    bd_history_free(&j->history);
}

static int has(const char *s) { return s && s[0]; }

static void checkpoint_identity(const Job *j, const char *key, char *out, size_t cap) {
    bd_checkpoint_identity(key, j->order->attacks, j->order->n_attacks, out, cap);
}

/* The owner of checkpoints of `identity` made by this job's database, data and build. */
static BdCkptOwner owner_of(const Job *j, const BdWorker *w, const char *identity) {
    return (BdCkptOwner){j->order->db_id, identity, w->data_digest, j->engine_format};
}

/* After every epoch, and where an interrupt stops the job mid-epoch: the
 * resume checkpoint, so that a killed job continues from its last complete
 * epoch and a stopped one from the step it stopped at. */
static int save_resume(void *ud, const char *phase, const BdTrainPoint *at, BdError *err) {
    Job *j = ud;
    if (!j->resume_path[0]) return 0;
    return bd_cell_ckpt_save(j->resume_path, j->arch_key, &j->owner, j->g, &j->trainer.opt, &j->history, phase, at,
                             err);
}

/* A finished phase, as a checkpoint marks it. */
static BdTrainPoint phase_end(const BdPhasePlan *p) { return (BdTrainPoint){.epoch = p->cfg.epochs}; }

/* The engine and number format a job trains with, as its checkpoints
 * record it: a checkpoint of another one is not resumed (its numbers would
 * not continue the same), though it loads in any build. */
static void engine_format(Job *j) {
    static const char *const bf16[] = {"bf16 as fp32", "bf16 emulated", "bf16 native"};
    int any_bf16 = 0;
    for (int i = 0; i < j->plan.n_phases; i++) any_bf16 |= j->plan.phases[i].cfg.precision == BD_BF16;
    snprintf(j->engine_format, sizeof j->engine_format, "%s%s%s", bd_engine_name(j->g->engine),
             any_bf16 ? " " : "", any_bf16 ? bf16[bd_engine_bf16()] : "");
}

/* A model that cannot fit the job's memory limit fails the job at once,
 * saying so, rather than as an allocation that fails once the data is
 * ready (or part way through building the model). The estimate is the
 * model's alone: the data and the process come on top. */
static int check_memory(const Job *j, BdDataShape shape, BdError *err) {
    const int64_t limit = j->order->memory_limit;
    if (limit <= 0) return 0;
    const BdSpec *arch = &j->job.cell.v[BD_AXIS_ARCH];
    BdGraphMemory m;
    if (bd_job_memory(&j->plan, arch, (BdShape){shape.c, shape.h, shape.w}, shape.classes, &m, err) < 0) return -1;
    if ((int64_t)m.total <= limit) return 0;
    char need[32], have[32], name[BD_SPEC_TEXT_MAX];
    bd_format_size((int64_t)m.total, need, sizeof need);
    bd_format_size(limit, have, sizeof have);
    const BdPreset *preset = bd_preset_find(bd_arch_presets, arch->name);
    const int named = preset && bd_spec_format(arch, preset, name, sizeof name, NULL) == 0;
    return bd_fail(err,
                   "the model %s needs about %s to train at batch %d (estimated from its shapes: parameters, "
                   "gradients, momentum and the engine's buffers), more than the job's memory limit of %s: give it a "
                   "larger limit (limits: memory, or an override for these cells) or a smaller model or batch",
                   named ? name : arch->name, need, j->plan.max_batch, have);
}

/* Dataset, plan, data, model (in the first phase's precision), regularizer
 * and trainer of a parsed job. */
static int job_prepare(BdWorker *w, Job *j, BdCellOutcome *out, BdError *err) {
    const BdCell *c = &j->job.cell;
    const BdDataset *d;
    uint64_t data_seed, reg_seed;
    if (bd_stream_seed(c, BD_STREAM_INIT, &j->init_seed, err) < 0 ||
        bd_stream_seed(c, BD_STREAM_DATA, &data_seed, err) < 0 ||
        bd_stream_seed(c, BD_STREAM_REGULARIZER, &reg_seed, err) < 0)
        return -1;
    if (worker_dataset(w, &c->v[BD_AXIS_DATASET], &d, err) < 0) return -1;
    bd_job_plan(&j->job, d->train.n, d->test.n, &j->plan);
    if (check_memory(j, d->shape, err) < 0) return -1;
    if (bd_cell_data_prepare(d, &j->job, &j->plan, j->order->attacks, j->order->n_attacks, &j->prep.sink, &j->data,
                             err) < 0)
        return -1;
    /* The samples each attack poisoned (a cell's one), for the database. */
    for (int k = 0; j->job.kind == BD_JOB_CELL && k < j->data.ev.n_attacks; k++)
        bd_artifact_put_poisoned(&out->artifacts, j->data.ev.attacks[k].key, j->data.poisoned[k].idx,
                                 j->data.poisoned[k].n);

    BdShape in = {j->data.shape.c, j->data.shape.h, j->data.shape.w};
    if (bd_model_build_in(&c->v[BD_AXIS_ARCH], in, j->data.shape.classes, j->plan.max_batch,
                          j->plan.phases[0].cfg.precision, &j->g, err) < 0)
        return -1;
    engine_format(j);
    j->owner = owner_of(j, w, j->identity);
    bd_graph_init_params(j->g, j->init_seed);
    out->params = (long)bd_graph_param_count(j->g);
    out->gflops_per_image = bd_graph_flops(j->g, 1) * 1e-9;
    if (bd_reg_make(&c->v[BD_AXIS_REGULARIZER], j->g, &j->reg, err) < 0) return -1;
    if (bd_arch_key(c, in.c, in.h, in.w, j->data.shape.classes, j->arch_key, sizeof j->arch_key, err) < 0) return -1;

    const BdTrainCfg *first = &j->plan.phases[0].cfg;
    BdBatcher batcher;
    bd_batcher_init(&batcher, d, first->augment);
    bd_trainer_init(&j->trainer, j->g, j->reg, &batcher, data_seed, reg_seed, &j->history.sink, first);
    j->trainer.checkpoint = save_resume;
    j->trainer.checkpoint_ud = j;
    j->trainer_ready = 1;
    return 0;
}

/* Trains a phase from a point (NULL: its beginning) in its precision, or
 * evaluates once when it has no epochs. */
static int run_phase(Job *j, const BdPhasePlan *p, const BdSplit *data, const BdTrainPoint *from, BdError *err) {
    const char *phase = bd_phase_name(p->phase);
    if (bd_graph_set_precision(j->g, p->cfg.precision, err) < 0) return -1;
    if (p->cfg.epochs == 0) {
        bd_evaluate_and_report(&j->trainer, phase, 0, &j->data.ev, NULL, NULL, 0);
        return 0;
    }
    return bd_train_phase(&j->trainer, phase, &p->cfg, data, from, &j->data.ev, err);
}

/* Asked once the job is ready, before it trains: a stop requested while
 * the data loaded stops it here (nothing to save yet). */
static int stop_before_training(const BdSink *sink, BdError *err) {
    if (!sink || !sink->interrupt || !sink->interrupt(sink->ud)) return 0;
    bd_fail(err, "interrupted before its first training step");
    return BD_INTERRUPTED;
}

static void train_head_only(Job *j) {
    static const char *const head[] = {BD_MODEL_HEAD ".", NULL};
    bd_trainer_train_only(&j->trainer, head);
}

/* Keeps the model as it is now (keep: [models]): a weights-only checkpoint
 * in the models folder, recorded as an artifact for the database. */
static int keep_model(Job *j, BdCellOutcome *out, const BdPhasePlan *p, BdError *err) {
    if (!has(j->order->models_dir)) return 0;
    char path[BD_CKPT_PATH_MAX];
    const char *phase = bd_phase_name(p->phase);
    if (make_dirs(j->order->models_dir, err) < 0 ||
        bd_checkpoint_path(j->order->models_dir, phase, j->identity, path, sizeof path, err) < 0 ||
        bd_cell_ckpt_save(path, j->arch_key, &j->owner, j->g, NULL, &j->history, phase, &(BdTrainPoint){.epoch = p->cfg.epochs},
                          err) < 0)
        return -1;
    const BdDataShape *s = &j->data.shape;
    bd_artifact_put_model(&out->artifacts, phase, path, s->c, s->h, s->w, s->classes, p->cfg.epochs);
    return 0;
}

/* Starts the job over (a checkpoint could not be used): fresh history,
 * weights and optimiser state. */
static void start_over(Job *j) {
    const BdSink *next = j->history.next;
    bd_history_free(&j->history);
    bd_history_init(&j->history, next);
    bd_graph_init_params(j->g, j->init_seed);
    bd_trainer_reset_optimizer(&j->trainer, &j->plan.phases[0].cfg);
}

/* Whether a checkpoint's place (its phase, the point within it) is one this
 * job can be at, and its history holds exactly the evaluations that place
 * implies: every earlier phase complete, epochs 1..done of its own. A
 * checkpoint that claims more than its history shows would end the job
 * early. */
static int check_place(const Job *j, const char *phase, const BdTrainPoint *at, BdError *err) {
    int done = at->epoch;
    int k = -1;
    for (int i = 0; i < j->plan.n_phases; i++)
        if (!strcmp(bd_phase_name(j->plan.phases[i].phase), phase)) k = i;
    if (k < 0) return bd_fail(err, "it was taken in phase '%s', which this job does not have", phase);
    int epochs = j->plan.phases[k].cfg.epochs;
    if (done < 0 || done > epochs || (at->step > 0 && done >= epochs))
        return bd_fail(err, "it claims %d epochs (and %d steps) of %s done, but the phase has %d", done, at->step, phase,
                       epochs);
    BdBuf b;
    bd_buf_init(&b);
    bd_buf_from(&b, j->history.calls.data, j->history.calls.len);
    BdMetricsRecord r = {0};
    int seen[2] = {0}; /* per phase of the plan: its evaluations in the history */
    int bad = 0;
    const char *acc = bd_metric_name(BD_METRIC_CLEAN_ACC);
    while (b.pos < b.len && bd_metrics_get(&b, &r) == 0) {
        int p = -1;
        for (int i = 0; i < j->plan.n_phases; i++)
            if (!strcmp(bd_phase_name(j->plan.phases[i].phase), r.phase)) p = i;
        if (p < 0 || p > k) bad = 1;
        for (int i = 0; p >= 0 && !bad && i < r.n; i++)
            if (!r.attack[0] && !strcmp(r.names[i], acc)) seen[p]++;
    }
    bd_metrics_record_free(&r);
    bd_buf_free(&b);
    for (int i = 0; i < k && !bad; i++) bad = seen[i] != bd_phase_evaluations(&j->plan.phases[i]);
    if (!bad) bad = seen[k] != (done == epochs ? bd_phase_evaluations(&j->plan.phases[k]) : done);
    if (bad)
        return bd_fail(err, "its history does not show the %d epochs of %s it claims (and every earlier phase)", done,
                       phase);
    return 0;
}

/* Where a job begins: from nothing, inside a phase (a resume checkpoint of
 * this job), or after its main phase (the main model that a cell with the
 * same main phase left, job_keys.h). */
typedef enum { START_FRESH, START_RESUMED, START_MAIN_DONE } StartKind;
typedef struct Start {
    StartKind kind;
    BdPhase phase;   /* START_RESUMED: the phase of the checkpoint ... */
    BdTrainPoint at; /* ... and the point within it */
} Start;

/* Loads a checkpoint of this job and checks its place; err names the file. */
static int load_checked(Job *j, const char *path, const BdCkptOwner *owner, BdSgd *opt, char *phase, size_t cap,
                        BdTrainPoint *at, BdError *err) {
    if (bd_cell_ckpt_load(path, j->arch_key, owner, j->g, opt, &j->history, phase, cap, at, err) < 0) return -1;
    if (check_place(j, phase, at, err) < 0) return bd_error_prefix(err, "%s: ", path);
    return 0;
}

static Start find_start(Job *j, const char *main_path, const BdCkptOwner *main_owner, const char *key) {
    Start s = {START_FRESH, j->plan.phases[0].phase, {0}};
    BdError err = {0};
    char phase[32];
    if (j->resume_path[0] && file_exists(j->resume_path)) {
        if (load_checked(j, j->resume_path, &j->owner, &j->trainer.opt, phase, sizeof phase, &s.at, &err) == 0) {
            s.kind = START_RESUMED;
            s.phase = (BdPhase)bd_phase_index(phase);
            bd_debug("resuming %s at %s epoch %d step %d", key, phase, s.at.epoch, s.at.step);
            return s;
        }
        bd_warn("%s; running the job from the start", err.msg);
        start_over(j);
        s.at = (BdTrainPoint){0};
    }
    const BdPhasePlan *m = &j->plan.phases[0];
    BdTrainPoint end;
    if (main_path[0] && file_exists(main_path)) {
        err.msg[0] = '\0';
        int rc = load_checked(j, main_path, main_owner, NULL, phase, sizeof phase, &end, &err);
        if (rc == 0 && (strcmp(phase, bd_phase_name(m->phase)) || end.epoch != m->cfg.epochs || end.step))
            rc = bd_fail(&err, "%s: it holds %d epochs of %s, not the %d of the main phase", main_path, end.epoch,
                         phase, m->cfg.epochs);
        if (rc == 0) {
            s.kind = START_MAIN_DONE;
            return s;
        }
        bd_warn("%s; training the main phase again", err.msg);
        start_over(j);
    }
    return s;
}

/* Loads the pre-training job's model into the graph (weights only). */
static int load_pretrained(Job *j, const BdWorker *w, BdError *err) {
    char pkey[BD_KEY_MAX], ppath[BD_CKPT_PATH_MAX], phase[32];
    BdTrainPoint end;
    if (bd_pretrain_key(&j->job.cell, pkey, sizeof pkey, err) < 0) return -1;
    if (!has(j->order->ckpt_dir)) return bd_fail(err, "init: pretrained needs a checkpoint folder");
    if (bd_checkpoint_path(j->order->ckpt_dir, "pretrain", pkey, ppath, sizeof ppath, err) < 0) return -1;
    BdHistory scratch; /* the pre-training job's numbers are its own, not this cell's */
    bd_history_init(&scratch, NULL);
    BdCkptOwner owner = owner_of(j, w, pkey);
    int rc = bd_cell_ckpt_load(ppath, j->arch_key, &owner, j->g, NULL, &scratch, phase, sizeof phase, &end, err);
    bd_history_free(&scratch);
    if (rc < 0) return bd_error_prefix(err, "loading the pre-trained model: ");
    return 0;
}

static int run_pretrain(BdWorker *w, Job *j, const char *key, BdCellOutcome *out, BdError *err) {
    const char *dir = j->order->ckpt_dir;
    if (!has(dir)) return bd_fail(err, "a pre-training job needs a checkpoint folder to leave its model in");
    snprintf(j->identity, sizeof j->identity, "%s", key);
    if (job_prepare(w, j, out, err) < 0 || make_dirs(dir, err) < 0 ||
        bd_checkpoint_path(dir, "cell", key, j->resume_path, sizeof j->resume_path, err) < 0)
        return -1;
    Start s = find_start(j, "", NULL, key);
    const BdPhasePlan *p = &j->plan.phases[0];
    int rc = stop_before_training(j->history.next, err);
    if (rc == 0) rc = run_phase(j, p, &j->data.train, &s.at, err);
    if (rc != 0) return rc;
    char model[BD_CKPT_PATH_MAX];
    BdTrainPoint end = phase_end(p);
    if (bd_checkpoint_path(dir, "pretrain", key, model, sizeof model, err) < 0 ||
        bd_cell_ckpt_save(model, j->arch_key, &j->owner, j->g, NULL, &j->history, bd_phase_name(p->phase), &end,
                          err) < 0 ||
        keep_model(j, out, p, err) < 0)
        return -1;
    unlink(j->resume_path);
    return 0;
}

/* A cell (poisoned by its attack) or a clean model (measured against every
 * attack it serves): the main phase (from scratch or from the pre-trained
 * model), then retraining on the clean held-out split. */
static int run_cell(BdWorker *w, Job *j, const char *key, BdCellOutcome *out, BdError *err) {
    const BdCell *c = &j->job.cell;
    const BdSpec *retrain = &c->v[BD_AXIS_RETRAIN], *init = &c->v[BD_AXIS_INIT];
    const char *dir = j->order->ckpt_dir;
    int pretrained = !strcmp(init->name, "pretrained");

    /* Cells that differ only in their retraining share the main phase (its
     * streams do not depend on the retraining but for its held-out
     * fraction): its model is kept under the main key. */
    char main_key[BD_KEY_MAX], main_id[BD_KEY_MAX * 4];
    if (bd_main_key(&j->job, main_key, sizeof main_key, err) < 0) return -1;
    checkpoint_identity(j, key, j->identity, sizeof j->identity);
    checkpoint_identity(j, main_key, main_id, sizeof main_id);
    if (job_prepare(w, j, out, err) < 0) return -1;
    const BdPhasePlan *main_phase = &j->plan.phases[0];
    const BdPhasePlan *retraining = j->plan.n_phases > 1 ? &j->plan.phases[1] : NULL;
    BdCkptOwner main_owner = owner_of(j, w, main_id);

    char main_path[BD_CKPT_PATH_MAX] = "";
    if (has(dir) && (make_dirs(dir, err) < 0 ||
                     bd_checkpoint_path(dir, "cell", j->identity, j->resume_path, sizeof j->resume_path, err) < 0 ||
                     (retraining && bd_checkpoint_path(dir, "main", main_id, main_path, sizeof main_path, err) < 0)))
        return -1;

    Start s = find_start(j, main_path, &main_owner, key);
    int rc = stop_before_training(j->history.next, err);
    if (rc != 0) return rc;
    int main_done = s.kind == START_MAIN_DONE || (s.kind == START_RESUMED && s.phase == BD_PHASE_RETRAIN);
    if (!main_done) {
        if (s.kind == START_FRESH && pretrained && load_pretrained(j, w, err) < 0) return -1;
        if (pretrained && !strcmp(bd_spec_str(init, "trainable"), "head")) train_head_only(j);
        rc = run_phase(j, main_phase, &j->data.train, &s.at, err);
        if (rc != 0) return rc;
        BdTrainPoint end = phase_end(main_phase);
        if (main_path[0] && bd_cell_ckpt_save(main_path, j->arch_key, &main_owner, j->g, NULL, &j->history,
                                              bd_phase_name(main_phase->phase), &end, err) < 0)
            return -1;
    }
    /* The model after the main phase, unless an earlier attempt kept it
     * before it went on to retraining (the weights in memory are past it). */
    if (!(s.kind == START_RESUMED && s.phase == BD_PHASE_RETRAIN) && keep_model(j, out, main_phase, err) < 0) return -1;
    if (s.kind == START_RESUMED && s.phase == BD_PHASE_RETRAIN && has(j->order->models_dir)) {
        char kept[BD_CKPT_PATH_MAX];
        const BdDataShape *sh = &j->data.shape;
        if (bd_checkpoint_path(j->order->models_dir, bd_phase_name(main_phase->phase), j->identity, kept, sizeof kept,
                               err) < 0)
            return -1;
        if (file_exists(kept))
            bd_artifact_put_model(&out->artifacts, bd_phase_name(main_phase->phase), kept, sh->c, sh->h, sh->w,
                                  sh->classes, main_phase->cfg.epochs);
    }

    /* Persistence: fine-tune on the clean held-out set, evaluating after each epoch. */
    if (retraining) {
        int resumed = s.kind == START_RESUMED && s.phase == BD_PHASE_RETRAIN;
        const BdTrainPoint *from = resumed ? &s.at : NULL;
        if (bd_stream_seed(c, BD_STREAM_RETRAIN, &j->trainer.data_seed, err) < 0) return -1;
        if (!resumed) bd_trainer_reset_optimizer(&j->trainer, &retraining->cfg); /* else resumed with its state */
        if (!strcmp(bd_spec_str(retrain, "trainable"), "head")) train_head_only(j);
        /* The retraining set is clean: plain cross-entropy, no regularizer term. */
        BdSpec none;
        bd_spec_init(&none, "none");
        BdReg *plain;
        if (bd_reg_make(&none, j->g, &plain, err) < 0) return -1;
        j->trainer.reg = plain;
        rc = run_phase(j, retraining, &j->data.held, from, err);
        j->trainer.reg = j->reg;
        bd_reg_free(plain);
        if (rc != 0) return rc;
        if (keep_model(j, out, retraining, err) < 0) return -1;
    }
    if (j->resume_path[0]) unlink(j->resume_path);
    return 0;
}

void bd_cell_outcome_free(BdCellOutcome *o) {
    bd_buf_free(&o->history);
    bd_buf_free(&o->artifacts);
}

int bd_cell_run(BdWorker *w, const BdJobOrder *order, const BdSink *sink, BdCellOutcome *out, BdError *err) {
    Job *j = bd_xcalloc(1, sizeof *j);
    memset(out, 0, sizeof *out);
    bd_buf_init(&out->history);
    bd_buf_init(&out->artifacts);
    j->order = order;
    bd_history_init(&j->prep, sink);
    bd_history_init(&j->history, sink);
    int rc = bd_job_parse(bd_axes(), order->key, &j->job, err);
    if (rc == 0 && j->job.kind == BD_JOB_CLEAN && order->n_attacks == 0)
        rc = bd_fail(err, "a clean model needs the attacks it is measured against");
    if (rc == 0)
        rc = j->job.kind == BD_JOB_PRETRAIN ? run_pretrain(w, j, order->key, out, err)
                                            : run_cell(w, j, order->key, out, err);
    if (rc == 0) { /* the history: the data's numbers, then training's */
        bd_buf_put_bytes(&out->history, j->prep.calls.data, j->prep.calls.len);
        bd_buf_put_bytes(&out->history, j->history.calls.data, j->history.calls.len);
    } else {
        bd_buf_reset(&out->artifacts);
    }
    job_free(j);
    free(j);
    return rc;
}
