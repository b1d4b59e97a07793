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
#include "job_keys.h"
#include "log.h"
#include "models.h"
#include "regularizers.h"
#include "rng.h"
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

/* The dataset of a cell, from the worker's cache when it is the same one. */
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
    snprintf(path, sizeof path, "%s", dir);
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
    BdCell cell;
    BdCellData data;
    BdGraph *g;
    BdReg *reg;
    BdTrainer trainer;
    int trainer_ready;
    BdHistory history;
    char arch_key[BD_SPEC_TEXT_MAX + 128];
    char resume_path[4300]; /* "" when there is no checkpoint folder */
} Job;

static void job_free(Job *j) {
    if (j->trainer_ready) {
        bd_sgd_free(&j->trainer.opt);
        bd_trainer_free(&j->trainer);
    }
    bd_reg_free(j->reg);
    bd_graph_free(j->g);
    bd_cell_data_free(&j->data);
    bd_history_free(&j->history);
}

/* After every epoch: the resume checkpoint, so a killed cell continues from
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

/* Model (in the main phase's precision), regularizer, optimiser and trainer for the job's data. */
static int job_build(Job *j, const BdDataset *d, int max_batch, uint64_t seed, BdCellOutcome *out, BdError *err) {
    const BdCell *c = &j->cell;
    BdShape in = {j->data.shape.c, j->data.shape.h, j->data.shape.w};
    const BdPrecision precision = bd_precision_of(&c->v[BD_AXIS_TRAIN]);
    if (bd_model_build_in(&c->v[BD_AXIS_ARCH], in, j->data.shape.classes, max_batch, precision, &j->g, err) < 0)
        return -1;
    note_precision(precision);
    bd_graph_init_params(j->g, bd_seed_derive(seed, "init", 0));
    out->params = (long)bd_graph_param_count(j->g);
    out->gflops_per_image = bd_graph_flops(j->g, 1) * 1e-9;
    if (bd_reg_make(&c->v[BD_AXIS_REGULARIZER], j->g, &j->reg, err) < 0) return -1;
    bd_arch_key(c, in.c, in.h, in.w, j->data.shape.classes, j->arch_key, sizeof j->arch_key);

    BdTrainCfg cfg;
    bd_train_cfg_from_spec(&c->v[BD_AXIS_TRAIN], &cfg);
    BdBatcher batcher;
    bd_batcher_init(&batcher, d, cfg.augment);
    bd_trainer_init(&j->trainer, j->g, j->reg, &batcher, seed, &j->history.sink);
    bd_sgd_init(&j->trainer.opt, j->g, cfg.momentum, cfg.weight_decay, cfg.nesterov);
    j->trainer.after_epoch = save_resume;
    j->trainer.after_epoch_ud = j;
    j->trainer_ready = 1;
    return 0;
}

/* Trains `phase` from start_epoch, or evaluates once when it has no epochs. */
static int train_or_evaluate(Job *j, const char *phase, const BdTrainCfg *cfg, const BdSplit *data, int start_epoch,
                             BdError *err) {
    if (cfg->epochs == 0) {
        bd_evaluate_and_report(&j->trainer, phase, 0, &j->data.ev, NULL, NULL, 0);
        return 0;
    }
    return bd_train_phase(&j->trainer, phase, cfg, data, start_epoch, &j->data.ev, err);
}

static void restrict_to_head(BdSgd *opt, const BdGraph *g) {
    static const char *const head[] = {"fc.", NULL};
    bd_sgd_train_only(opt, g, head);
}

/* Starts the job over (a checkpoint could not be used): fresh history,
 * weights and optimiser state. */
static void reset_history(Job *j, const BdSink *sink, uint64_t seed) {
    bd_history_free(&j->history);
    bd_history_init(&j->history, sink);
    bd_graph_init_params(j->g, bd_seed_derive(seed, "init", 0));
    BdSgd *o = &j->trainer.opt;
    float momentum = o->momentum, decay = o->weight_decay;
    int nesterov = o->nesterov;
    bd_sgd_free(o);
    bd_sgd_init(o, j->g, momentum, decay, nesterov);
}

/* A pre-training job: a clean model of the dataset and architecture, trained
 * once and kept as a checkpoint that every cell with init: pretrained loads. */
static int run_pretrain(BdWorker *w, Job *j, const char *key, const char *ckpt_dir, const BdSink *sink,
                        BdCellOutcome *out, BdError *err) {
    if (!ckpt_dir) return bd_fail(err, "a pre-training job needs a checkpoint folder to leave its model in");
    if (bd_pretrain_parse(key, &j->cell, err) < 0) return -1;
    uint64_t seed = bd_hash_str(key);
    const BdDataset *d;
    if (worker_dataset(w, &j->cell.v[BD_AXIS_DATASET], &d, err) < 0) return -1;
    if (bd_cell_data_prepare(d, &j->cell, seed, 1, sink, &j->data, err) < 0) return -1;
    BdTrainCfg cfg;
    bd_train_cfg_from_spec(&j->cell.v[BD_AXIS_TRAIN], &cfg);
    if (job_build(j, d, cfg.batch, seed, out, err) < 0) return -1;
    if (make_dirs(ckpt_dir, err) < 0) return -1;

    bd_checkpoint_path(ckpt_dir, "cell", key, j->resume_path, sizeof j->resume_path);
    int start = 0;
    char phase[32];
    if (file_exists(j->resume_path) && bd_cell_ckpt_load(j->resume_path, j->arch_key, j->g, &j->trainer.opt,
                                                         &j->history, phase, sizeof phase, &start, err) < 0) {
        bd_warn("%s; pre-training again from the start", err->msg);
        reset_history(j, sink, seed);
        start = 0;
    }
    int rc = train_or_evaluate(j, "pretrain", &cfg, &j->data.train, start, err);
    if (rc != 0) return rc;
    char model[4300];
    bd_checkpoint_path(ckpt_dir, "pretrain", key, model, sizeof model);
    if (bd_cell_ckpt_save(model, j->arch_key, j->g, NULL, &j->history, "pretrain", cfg.epochs, err) < 0) return -1;
    unlink(j->resume_path);
    return 0;
}

/* Loads the pre-training job's model into the graph (weights only). */
static int load_pretrained(Job *j, const char *ckpt_dir, BdError *err) {
    char pkey[BD_KEY_MAX], ppath[4300], phase[32];
    int epochs;
    if (bd_pretrain_key(&j->cell, pkey, sizeof pkey, err) < 0) return -1;
    if (!ckpt_dir) return bd_fail(err, "init: pretrained needs a checkpoint folder");
    bd_checkpoint_path(ckpt_dir, "pretrain", pkey, ppath, sizeof ppath);
    /* The pre-trained model's own history is not this cell's: replay it into
     * a recorder that forwards nowhere. */
    BdHistory scratch;
    bd_history_init(&scratch, NULL);
    int rc = bd_cell_ckpt_load(ppath, j->arch_key, j->g, NULL, &scratch, phase, sizeof phase, &epochs, err);
    bd_history_free(&scratch);
    if (rc < 0) return bd_error_prefix(err, "loading the pre-trained model: ");
    return 0;
}

/* A cell: main phase on the poisoned set (from scratch or from the
 * pre-trained model), then retraining on the clean held-out split. */
static int run_cell(BdWorker *w, Job *j, const char *key, const char *ckpt_dir, const BdSink *sink, BdCellOutcome *out,
                    BdError *err) {
    if (bd_cell_parse(bd_axes(), key, &j->cell, err) < 0) return -1;
    const BdCell *c = &j->cell;
    const BdSpec *retrain = &c->v[BD_AXIS_RETRAIN], *init = &c->v[BD_AXIS_INIT];
    int retrains = strcmp(retrain->name, "none") != 0;
    int pretrained = !strcmp(init->name, "pretrained");

    /* The main phase draws from the main key's seed, so that cells differing
     * only in their retraining share it exactly; retraining from the cell's. */
    char main_key[BD_KEY_MAX];
    if (bd_main_key(c, main_key, sizeof main_key, err) < 0) return -1;
    uint64_t main_seed = bd_hash_str(main_key), cell_seed = bd_hash_str(key);

    const BdDataset *d;
    if (worker_dataset(w, &c->v[BD_AXIS_DATASET], &d, err) < 0) return -1;
    if (bd_cell_data_prepare(d, c, main_seed, 0, sink, &j->data, err) < 0) return -1;

    BdTrainCfg cfg, rcfg;
    bd_train_cfg_from_spec(&c->v[BD_AXIS_TRAIN], &cfg);
    rcfg = cfg;
    int max_batch = cfg.batch;
    if (retrains) {
        rcfg.epochs = (int)bd_spec_int(retrain, "epochs");
        rcfg.lr = (float)bd_spec_float(retrain, "lr");
        rcfg.batch = (int)bd_spec_int(retrain, "batch");
        rcfg.precision = bd_precision_of(retrain);
        snprintf(rcfg.schedule, sizeof rcfg.schedule, "constant");
        rcfg.warmup_epochs = 0;
        if (rcfg.batch > max_batch) max_batch = rcfg.batch;
    }
    if (job_build(j, d, max_batch, main_seed, out, err) < 0) return -1;
    char main_path[4300] = "";
    if (ckpt_dir) {
        if (make_dirs(ckpt_dir, err) < 0) return -1;
        bd_checkpoint_path(ckpt_dir, "cell", key, j->resume_path, sizeof j->resume_path);
        if (retrains) bd_checkpoint_path(ckpt_dir, "main", main_key, main_path, sizeof main_path);
    }

    /* Where to start: a resume checkpoint of this cell, else the main model
     * that a cell with the same main phase left, else the beginning. */
    char phase[32] = "train";
    int start = 0, main_done = 0;
    if (j->resume_path[0] && file_exists(j->resume_path)) {
        if (bd_cell_ckpt_load(j->resume_path, j->arch_key, j->g, &j->trainer.opt, &j->history, phase, sizeof phase,
                              &start, err) == 0) {
            main_done = !strcmp(phase, "retrain");
            bd_debug("resuming %s at %s epoch %d", key, phase, start);
        } else {
            bd_warn("%s; running the cell from the start", err->msg);
            reset_history(j, sink, main_seed);
            start = 0;
        }
    } else if (main_path[0] && file_exists(main_path)) {
        char main_phase[32];
        int epochs;
        if (bd_cell_ckpt_load(main_path, j->arch_key, j->g, NULL, &j->history, main_phase, sizeof main_phase, &epochs,
                              err) == 0) {
            main_done = 1;
        } else {
            bd_warn("%s; training the main phase again", err->msg);
            reset_history(j, sink, main_seed);
        }
    }

    if (!main_done) {
        if (start == 0 && pretrained && load_pretrained(j, ckpt_dir, err) < 0) return -1;
        if (pretrained && !strcmp(bd_spec_str(init, "trainable"), "head")) restrict_to_head(&j->trainer.opt, j->g);
        int rc = train_or_evaluate(j, "train", &cfg, &j->data.train, start, err);
        if (rc != 0) return rc;
        start = 0;
        if (main_path[0] &&
            bd_cell_ckpt_save(main_path, j->arch_key, j->g, NULL, &j->history, "train", cfg.epochs, err) < 0)
            return -1;
    }

    /* Persistence: fine-tune on the clean held-out set, evaluating after each epoch. */
    if (retrains) {
        j->trainer.seed = cell_seed;
        if (start == 0) { /* a fresh optimiser, unless resumed inside the retraining */
            bd_sgd_free(&j->trainer.opt);
            bd_sgd_init(&j->trainer.opt, j->g, rcfg.momentum, rcfg.weight_decay, rcfg.nesterov);
        }
        if (!strcmp(bd_spec_str(retrain, "trainable"), "head")) restrict_to_head(&j->trainer.opt, j->g);
        /* The retraining set is clean: plain cross-entropy, no regularizer term. */
        BdSpec none;
        bd_spec_init(&none, "none");
        BdReg *plain;
        if (bd_reg_make(&none, j->g, &plain, err) < 0) return -1;
        j->trainer.reg = plain;
        note_precision(rcfg.precision);
        int rc = bd_graph_set_precision(j->g, rcfg.precision, err);
        if (rc == 0) rc = train_or_evaluate(j, "retrain", &rcfg, &j->data.held, start, err);
        j->trainer.reg = j->reg;
        bd_reg_free(plain);
        if (rc != 0) return rc;
    }
    if (j->resume_path[0]) unlink(j->resume_path);
    return 0;
}

int bd_cell_run(BdWorker *w, const char *key, const char *ckpt_dir, const BdSink *sink, BdCellOutcome *out,
                BdError *err) {
    Job *j = bd_xcalloc(1, sizeof *j);
    memset(out, 0, sizeof *out);
    bd_history_init(&j->history, sink);
    int rc = bd_is_pretrain_key(key) ? run_pretrain(w, j, key, ckpt_dir, sink, out, err)
                                     : run_cell(w, j, key, ckpt_dir, sink, out, err);
    job_free(j);
    free(j);
    return rc;
}
