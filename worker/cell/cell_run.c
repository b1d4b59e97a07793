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

void bd_worker_init(BdWorker *w, int threads) {
    memset(w, 0, sizeof *w);
    w->threads = threads > 0 ? threads : 1;
    /* One rank per core is the default: BLAS must not start its own threads
     * on top of that unless asked. */
    bd_set_threads(w->threads);
}

void bd_worker_free(BdWorker *w) {
    if (w->data_key[0]) bd_dataset_free(&w->data);
    memset(w, 0, sizeof *w);
}

/* The dataset of a job, from the worker's cache when it is the same one. */
static int worker_dataset(BdWorker *w, const BdSpec *spec, const BdDataset **out, BdError *err) {
    char key[sizeof w->data_key];
    if (bd_spec_format_full(spec, key, sizeof key, err) < 0) return -1;
    if (strcmp(key, w->data_key)) {
        if (w->data_key[0]) bd_dataset_free(&w->data);
        w->data_key[0] = '\0';
        if (bd_dataset_load(spec, &w->data, err) < 0) return -1;
        snprintf(w->data_key, sizeof w->data_key, "%s", key);
    }
    *out = &w->data;
    return 0;
}

static int make_dirs(const char *dir, BdError *err) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s", dir) >= sizeof path)
        return bd_fail(err, "checkpoint folder path longer than %zu characters: %.80s...", sizeof path - 1, dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0777) < 0 && errno != EEXIST)
            return bd_fail(err, "cannot create checkpoint folder %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0777) < 0 && errno != EEXIST)
        return bd_fail(err, "cannot create checkpoint folder %s: %s", path, strerror(errno));
    return 0;
}

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

/* Everything one job holds, freed in one place. */
typedef struct Job {
    BdJob job;
    BdJobPlan plan;
    BdCellData data;
    BdGraph *g;
    BdReg *reg;
    BdTrainer trainer;
    int trainer_ready;
    BdHistory history;
    uint64_t init_seed; /* streams.h */
    const char *const *attacks; /* a clean model's attacks (common/job.h) */
    int n_attacks;
    char arch_key[BD_SPEC_TEXT_MAX + 128];
    char resume_path[BD_CKPT_PATH_MAX]; /* "" when there is no checkpoint folder */
} Job;

static void job_free(Job *j) {
    if (j->trainer_ready) bd_trainer_free(&j->trainer);
    bd_reg_free(j->reg);
    bd_graph_free(j->g);
    bd_cell_data_free(&j->data);
    bd_history_free(&j->history);
}

/* After every epoch: the resume checkpoint, so a killed job continues from
 * its last complete epoch. */
static int save_resume(void *ud, const char *phase, int epoch, BdError *err) {
    Job *j = ud;
    if (!j->resume_path[0]) return 0;
    return bd_cell_ckpt_save(j->resume_path, j->arch_key, j->g, &j->trainer.opt, &j->history, phase, epoch, err);
}

/* bf16 on a CPU without bf16 arithmetic still runs (nn.h, bd_engine_bf16);
 * the run says so once per host. */
static void note_precision(BdPrecision p) {
    if (p == BD_BF16 && bd_engine_bf16() != BD_BF16_NATIVE && bd_once_per_host("bf16")) bd_warn("%s", bd_bf16_note());
}

/* Dataset, plan, data, model (in the first phase's precision), regularizer
 * and trainer of a parsed job. */
static int job_prepare(BdWorker *w, Job *j, const BdSink *sink, BdCellOutcome *out, BdError *err) {
    const BdCell *c = &j->job.cell;
    const BdDataset *d;
    uint64_t data_seed, reg_seed;
    if (bd_stream_seed(c, BD_STREAM_INIT, &j->init_seed, err) < 0 ||
        bd_stream_seed(c, BD_STREAM_DATA, &data_seed, err) < 0 ||
        bd_stream_seed(c, BD_STREAM_REGULARIZER, &reg_seed, err) < 0)
        return -1;
    if (worker_dataset(w, &c->v[BD_AXIS_DATASET], &d, err) < 0) return -1;
    bd_job_plan(&j->job, d->train.n, d->test.n, &j->plan);
    if (bd_cell_data_prepare(d, &j->job, &j->plan, j->attacks, j->n_attacks, sink, &j->data, err) < 0) return -1;

    BdShape in = {j->data.shape.c, j->data.shape.h, j->data.shape.w};
    if (bd_model_build_in(&c->v[BD_AXIS_ARCH], in, j->data.shape.classes, j->plan.max_batch,
                          j->plan.phases[0].cfg.precision, &j->g, err) < 0)
        return -1;
    bd_graph_init_params(j->g, j->init_seed);
    out->params = (long)bd_graph_param_count(j->g);
    out->gflops_per_image = bd_graph_flops(j->g, 1) * 1e-9;
    if (bd_reg_make(&c->v[BD_AXIS_REGULARIZER], j->g, &j->reg, err) < 0) return -1;
    if (bd_arch_key(c, in.c, in.h, in.w, j->data.shape.classes, j->arch_key, sizeof j->arch_key, err) < 0) return -1;

    const BdTrainCfg *first = &j->plan.phases[0].cfg;
    BdBatcher batcher;
    bd_batcher_init(&batcher, d, first->augment);
    bd_trainer_init(&j->trainer, j->g, j->reg, &batcher, data_seed, reg_seed, &j->history.sink, first);
    j->trainer.after_epoch = save_resume;
    j->trainer.after_epoch_ud = j;
    j->trainer_ready = 1;
    return 0;
}

/* Trains a phase from start_epoch (in its precision), or evaluates once
 * when it has no epochs. */
static int run_phase(Job *j, const BdPhasePlan *p, const BdSplit *data, int start_epoch, BdError *err) {
    const char *phase = bd_phase_name(p->phase);
    note_precision(p->cfg.precision);
    if (bd_graph_set_precision(j->g, p->cfg.precision, err) < 0) return -1;
    if (p->cfg.epochs == 0) {
        bd_evaluate_and_report(&j->trainer, phase, 0, &j->data.ev, NULL, NULL, 0);
        return 0;
    }
    return bd_train_phase(&j->trainer, phase, &p->cfg, data, start_epoch, &j->data.ev, err);
}

static void train_head_only(Job *j) {
    static const char *const head[] = {BD_MODEL_HEAD ".", NULL};
    bd_trainer_train_only(&j->trainer, head);
}

/* Starts the job over (a checkpoint could not be used): fresh history,
 * weights and optimiser state. */
static void start_over(Job *j, const BdSink *sink) {
    bd_history_free(&j->history);
    bd_history_init(&j->history, sink);
    bd_graph_init_params(j->g, j->init_seed);
    bd_trainer_reset_optimizer(&j->trainer, &j->plan.phases[0].cfg);
}

/* Where a job begins: from nothing, inside a phase (a resume checkpoint of
 * this job), or after its main phase (the main model that a cell with the
 * same main phase left, job_keys.h). */
typedef enum { START_FRESH, START_RESUMED, START_MAIN_DONE } StartKind;
typedef struct Start {
    StartKind kind;
    BdPhase phase; /* START_RESUMED: the phase of the checkpoint ... */
    int epoch;     /* ... and its epochs done */
} Start;

static Start find_start(Job *j, const char *main_path, const BdSink *sink, const char *key) {
    Start s = {START_FRESH, j->plan.phases[0].phase, 0};
    BdError err = {{0}};
    char phase[32];
    if (j->resume_path[0] && file_exists(j->resume_path)) {
        if (bd_cell_ckpt_load(j->resume_path, j->arch_key, j->g, &j->trainer.opt, &j->history, phase, sizeof phase,
                              &s.epoch, &err) == 0) {
            s.kind = START_RESUMED;
            s.phase = (BdPhase)bd_phase_index(phase);
            bd_debug("resuming %s at %s epoch %d", key, phase, s.epoch);
        } else {
            bd_warn("%s; running the job from the start", err.msg);
            start_over(j, sink);
            s.epoch = 0;
        }
    } else if (main_path[0] && file_exists(main_path)) {
        int epochs;
        if (bd_cell_ckpt_load(main_path, j->arch_key, j->g, NULL, &j->history, phase, sizeof phase, &epochs, &err) ==
            0) {
            s.kind = START_MAIN_DONE;
        } else {
            bd_warn("%s; training the main phase again", err.msg);
            start_over(j, sink);
        }
    }
    return s;
}

/* Loads the pre-training job's model into the graph (weights only). */
static int load_pretrained(Job *j, const char *ckpt_dir, BdError *err) {
    char pkey[BD_KEY_MAX], ppath[BD_CKPT_PATH_MAX], phase[32];
    int epochs;
    if (bd_pretrain_key(&j->job.cell, pkey, sizeof pkey, err) < 0) return -1;
    if (!ckpt_dir) return bd_fail(err, "init: pretrained needs a checkpoint folder");
    if (bd_checkpoint_path(ckpt_dir, "pretrain", pkey, ppath, sizeof ppath, err) < 0) return -1;
    /* The pre-trained model's own history is not this cell's: replay it into
     * a recorder that forwards nowhere. */
    BdHistory scratch;
    bd_history_init(&scratch, NULL);
    int rc = bd_cell_ckpt_load(ppath, j->arch_key, j->g, NULL, &scratch, phase, sizeof phase, &epochs, err);
    bd_history_free(&scratch);
    if (rc < 0) return bd_error_prefix(err, "loading the pre-trained model: ");
    return 0;
}

/* A pre-training job: a clean model of the dataset and architecture, trained
 * once and kept as a checkpoint that every cell with init: pretrained loads. */
static int run_pretrain(BdWorker *w, Job *j, const char *key, const char *ckpt_dir, const BdSink *sink,
                        BdCellOutcome *out, BdError *err) {
    if (!ckpt_dir) return bd_fail(err, "a pre-training job needs a checkpoint folder to leave its model in");
    if (job_prepare(w, j, sink, out, err) < 0 || make_dirs(ckpt_dir, err) < 0 ||
        bd_checkpoint_path(ckpt_dir, "cell", key, j->resume_path, sizeof j->resume_path, err) < 0)
        return -1;
    Start s = find_start(j, "", sink, key);
    const BdPhasePlan *p = &j->plan.phases[0];
    int rc = run_phase(j, p, &j->data.train, s.epoch, err);
    if (rc != 0) return rc;
    char model[BD_CKPT_PATH_MAX];
    if (bd_checkpoint_path(ckpt_dir, "pretrain", key, model, sizeof model, err) < 0 ||
        bd_cell_ckpt_save(model, j->arch_key, j->g, NULL, &j->history, bd_phase_name(p->phase), p->cfg.epochs, err) <
            0)
        return -1;
    unlink(j->resume_path);
    return 0;
}

/* What a checkpoint of this job is for: its key, and a clean model's attacks
 * (a checkpoint made while it was measured against other attacks has not
 * their numbers: it must not be resumed). */
static void checkpoint_identity(const Job *j, const char *key, char *out, size_t cap) {
    size_t o = (size_t)snprintf(out, cap, "%s", key);
    for (int i = 0; i < j->n_attacks && o < cap; i++) o += (size_t)snprintf(out + o, cap - o, "\n%s", j->attacks[i]);
}

/* A cell (poisoned by its attack) or a clean model (measured against every
 * attack it serves): the main phase (from scratch or from the pre-trained
 * model), then retraining on the clean held-out split. */
static int run_cell(BdWorker *w, Job *j, const char *key, const char *ckpt_dir, const BdSink *sink, BdCellOutcome *out,
                    BdError *err) {
    const BdCell *c = &j->job.cell;
    const BdSpec *retrain = &c->v[BD_AXIS_RETRAIN], *init = &c->v[BD_AXIS_INIT];
    int pretrained = !strcmp(init->name, "pretrained");

    /* Cells that differ only in their retraining share the main phase (its
     * streams do not depend on the retraining but for its held-out
     * fraction): its model is kept under the main key. */
    char main_key[BD_KEY_MAX], id[BD_KEY_MAX * 4];
    if (bd_main_key(&j->job, main_key, sizeof main_key, err) < 0) return -1;
    if (job_prepare(w, j, sink, out, err) < 0) return -1;
    const BdPhasePlan *main_phase = &j->plan.phases[0];
    const BdPhasePlan *retraining = j->plan.n_phases > 1 ? &j->plan.phases[1] : NULL;

    char main_path[BD_CKPT_PATH_MAX] = "";
    if (ckpt_dir) {
        char main_id[BD_KEY_MAX * 4];
        checkpoint_identity(j, key, id, sizeof id);
        checkpoint_identity(j, main_key, main_id, sizeof main_id);
        if (make_dirs(ckpt_dir, err) < 0 ||
            bd_checkpoint_path(ckpt_dir, "cell", id, j->resume_path, sizeof j->resume_path, err) < 0 ||
            (retraining && bd_checkpoint_path(ckpt_dir, "main", main_id, main_path, sizeof main_path, err) < 0))
            return -1;
    }

    Start s = find_start(j, main_path, sink, key);
    int main_done = s.kind == START_MAIN_DONE || (s.kind == START_RESUMED && s.phase == BD_PHASE_RETRAIN);
    if (!main_done) {
        if (s.kind == START_FRESH && pretrained && load_pretrained(j, ckpt_dir, err) < 0) return -1;
        if (pretrained && !strcmp(bd_spec_str(init, "trainable"), "head")) train_head_only(j);
        int rc = run_phase(j, main_phase, &j->data.train, s.kind == START_RESUMED ? s.epoch : 0, err);
        if (rc != 0) return rc;
        if (main_path[0] && bd_cell_ckpt_save(main_path, j->arch_key, j->g, NULL, &j->history,
                                              bd_phase_name(main_phase->phase), main_phase->cfg.epochs, err) < 0)
            return -1;
    }

    /* Persistence: fine-tune on the clean held-out set, evaluating after each epoch. */
    if (retraining) {
        int from = s.kind == START_RESUMED && s.phase == BD_PHASE_RETRAIN ? s.epoch : 0;
        if (bd_stream_seed(c, BD_STREAM_RETRAIN, &j->trainer.data_seed, err) < 0) return -1;
        if (from == 0) bd_trainer_reset_optimizer(&j->trainer, &retraining->cfg); /* else resumed with its state */
        if (!strcmp(bd_spec_str(retrain, "trainable"), "head")) train_head_only(j);
        /* The retraining set is clean: plain cross-entropy, no regularizer term. */
        BdSpec none;
        bd_spec_init(&none, "none");
        BdReg *plain;
        if (bd_reg_make(&none, j->g, &plain, err) < 0) return -1;
        j->trainer.reg = plain;
        int rc = run_phase(j, retraining, &j->data.held, from, err);
        j->trainer.reg = j->reg;
        bd_reg_free(plain);
        if (rc != 0) return rc;
    }
    if (j->resume_path[0]) unlink(j->resume_path);
    return 0;
}

void bd_cell_outcome_free(BdCellOutcome *o) { bd_buf_free(&o->history); }

int bd_cell_run(BdWorker *w, const char *key, const char *const *attacks, int n_attacks, const char *ckpt_dir,
                const BdSink *sink, BdCellOutcome *out, BdError *err) {
    Job *j = bd_xcalloc(1, sizeof *j);
    memset(out, 0, sizeof *out);
    bd_history_init(&j->history, sink);
    j->attacks = attacks;
    j->n_attacks = n_attacks;
    int rc = bd_job_parse(bd_axes(), key, &j->job, err);
    if (rc == 0 && j->job.kind == BD_JOB_CLEAN && n_attacks == 0)
        rc = bd_fail(err, "a clean model needs the attacks it is measured against");
    if (rc == 0)
        rc = j->job.kind == BD_JOB_PRETRAIN ? run_pretrain(w, j, key, ckpt_dir, sink, out, err)
                                            : run_cell(w, j, key, ckpt_dir, sink, out, err);
    if (rc == 0) { /* hand the history over */
        out->history = j->history.calls;
        bd_buf_init(&j->history.calls);
    }
    job_free(j);
    free(j);
    return rc;
}
