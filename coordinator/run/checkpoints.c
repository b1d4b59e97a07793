/* The checkpoint folder from rank 0's side: which files a finished job
 * leaves that no job needs any more. A worker deletes a job's resume
 * checkpoint itself when the job ends; two kinds outlive their job:
 *   - main-*: the model after the main phase of a job that retrains, which
 *     jobs differing only in their retraining share (worker/cell/job_keys.h).
 *     Deleted once no job of the sweep with the same main key is left to run;
 *   - pretrain-*: a pre-training job's model, which its cells fine-tune.
 *     Deleted once every job that waits for it is done (a cell retried later
 *     runs the pre-training job again: bd_db_requeue_done).
 * A run that leaves every job of the sweep done removes whatever the folder
 * still holds, and the folder. Kept models (keep: [models]) live in a folder
 * of their own and are never touched here. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axes.h"
#include "coordinator.h"
#include "job_keys.h"

void co_checkpoints_init(Coordinator *co) {
    co->main_keys = bd_xcalloc((size_t)co->n_cells + 1, sizeof *co->main_keys);
    for (int i = 0; i < co->n_cells; i++) {
        BdJob job;
        char main_key[BD_KEY_MAX];
        if (co->cells[i].kind == BD_JOB_PRETRAIN || bd_job_parse(bd_axes(), co->cells[i].key, &job, NULL) < 0 ||
            !strcmp(job.cell.v[BD_AXIS_RETRAIN].name, "none") || bd_main_key(&job, main_key, sizeof main_key, NULL) < 0)
            continue;
        co->main_keys[i] = bd_xstrdup(main_key);
    }
}

void co_checkpoints_free(Coordinator *co) {
    for (int i = 0; co->main_keys && i < co->n_cells; i++) free(co->main_keys[i]);
    free(co->main_keys);
    co->main_keys = NULL;
}

/* Whether a job other than idx matching `same` is not done yet. */
static int someone_waits(const Coordinator *co, int idx, int (*same)(const Coordinator *, int, int)) {
    for (int i = 0; i < co->n_cells; i++)
        if (i != idx && co->cells[i].status != BD_DB_DONE && same(co, idx, i)) return 1;
    return 0;
}

static int same_main(const Coordinator *co, int a, int b) {
    return co->main_keys[b] && !strcmp(co->main_keys[a], co->main_keys[b]);
}

static int same_pretrain(const Coordinator *co, int a, int b) {
    return co->cells[b].depends_on == co->cells[a].depends_on;
}

static void remove_file(const char *dir, const char *kind, const char *identity) {
    char path[BD_CKPT_PATH_MAX];
    if (bd_checkpoint_path(dir, kind, identity, path, sizeof path, NULL) == 0) unlink(path);
}

void co_checkpoints_release(Coordinator *co, int idx, const char *const *attacks, int n_attacks) {
    if (!co->ckpt_dir[0] || !co->main_keys) return;
    if (co->main_keys[idx] && !someone_waits(co, idx, same_main)) {
        char identity[BD_KEY_MAX * 4];
        bd_checkpoint_identity(co->main_keys[idx], attacks, n_attacks, identity, sizeof identity);
        remove_file(co->ckpt_dir, "main", identity);
    }
    int64_t pre = co->cells[idx].depends_on;
    if (pre && !someone_waits(co, idx, same_pretrain))
        for (int i = 0; i < co->n_cells; i++)
            if (co->cells[i].id == pre) remove_file(co->ckpt_dir, "pretrain", co->cells[i].key);
}

void co_checkpoints_end(Coordinator *co) {
    if (!co->ckpt_dir[0]) return;
    for (int i = 0; i < co->n_cells; i++)
        if (co->cells[i].status != BD_DB_DONE) return;
    DIR *d = opendir(co->ckpt_dir);
    if (!d) return;
    struct dirent *e;
    char path[BD_CKPT_PATH_MAX + 256];
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 5 && !strcmp(e->d_name + n - 5, ".ckpt")) {
            snprintf(path, sizeof path, "%s/%s", co->ckpt_dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(co->ckpt_dir); /* only when nothing else is in it */
}
