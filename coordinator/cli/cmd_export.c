/* bdsweep export DB --cell ID_OR_KEY [--phase P] --out FILE.safetensors: a
 * model a sweep kept (keep: [models]), found in the database; or
 * bdsweep export --checkpoint FILE --arch ARCH --input CxHxW --classes K
 * --out FILE.safetensors: the model any checkpoint holds. For PyTorch
 * (worker/export/export.h does the work; this file reads the command line
 * and the database). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "cell.h"
#include "commands.h"
#include "db.h"
#include "exit_status.h"
#include "export.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep export DB --cell ID_OR_KEY [--phase train|retrain] --out FILE.safetensors\n"
            "                      [--meta KEY=VALUE]...\n"
            "       bdsweep export --checkpoint FILE.ckpt --arch ARCH --input CxHxW --classes K\n"
            "                      --out FILE.safetensors [--meta KEY=VALUE]...\n"
            "\n"
            "Writes a model as a safetensors file: the model of a cell of a results database\n"
            "whose sweep kept its models (keep: [models]), or the model any checkpoint holds.\n"
            "The file holds every parameter and\n"
            "BN running statistic, float32, under the names and in the layouts of the PyTorch\n"
            "twin in python/bdsweep_models.py, so that python/load_safetensors.py's\n"
            "load_model(FILE) (or safetensors.torch.load_file and load_state_dict) gives a\n"
            "PyTorch model with bdsweep's predictions. The header's __metadata__ holds\n"
            "format=pt, bdsweep_version, arch (every parameter given), input, classes, and\n"
            "the phase (train, retrain, pretrain) and complete epochs the checkpoint records.\n"
            "python/README.md shows how to load it.\n"
            "\n"
            "options:\n"
            "  --cell ID_OR_KEY   the cell (cells.id, or its key) whose model to write: its\n"
            "                     own, or its seed's clean model for a cell of rate 0\n"
            "  --phase P          train: the model after the main phase; retrain: after clean\n"
            "                     retraining (the default when the cell retrains); main is\n"
            "                     the same as train\n"
            "  --checkpoint FILE  a checkpoint a sweep left in results/NAME.ckpt/ (a main\n"
            "                     model kept for retraining, a pre-trained model, a running\n"
            "                     cell's last epoch)\n"
            "  --arch ARCH        the architecture it was trained as, an arch value as in a\n"
            "                     sweep file or the cells.arch column: \"resnet20(width=8)\"\n"
            "  --input CxHxW      one image's shape (Fashion-MNIST 1x28x28, CIFAR-10 3x32x32)\n"
            "  --classes K        the dataset's class count\n"
            "  --out FILE         the safetensors file to write (replaced if it exists)\n"
            "  --meta KEY=VALUE   one more metadata entry, e.g. cell=\"<the cell's key>\"\n"
            "                     (repeatable)\n"
            "  -h, --help         this text\n"
            "\n"
            "With a database, the architecture, input and classes come from it, and the\n"
            "metadata gains cell (the cell's key) and model (its model's key). A checkpoint\n"
            "refuses an architecture, input shape or class count other than its own and\n"
            "names the one it was saved for.\n"
            "\n"
            "exit status: 0; 1 when the file cannot be written; 2 when the command line, the\n"
            "cell (unknown, not done, its model not kept) or the checkpoint is wrong.\n");
}

static int bad(const char *msg, const char *arg) {
    fprintf(stderr, "bdsweep export: %s%s%s%s\nhint: bdsweep export --help\n", msg, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "");
    return BD_EXIT_USAGE;
}

/* What the database says of a cell's kept model. */
typedef struct Kept {
    char cell_key[BD_KEY_MAX], model_key[BD_KEY_MAX];
    char arch[BD_SPEC_TEXT_MAX], path[4200], input[64], classes[16];
} Kept;

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t cap) {
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

/* Finds the kept model of a cell (by id or key) and phase (NULL: its last). */
static int find_kept(const char *db_path, const char *cell, const char *phase, Kept *k) {
    BdDb *db;
    BdError err = {0};
    if (bd_db_open_read(db_path, &db, &err) < 0) {
        fprintf(stderr, "bdsweep export: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    sqlite3 *h = bd_db_sqlite(db);
    sqlite3_stmt *st = NULL;
    int rc = BD_EXIT_USAGE;
    char *endp;
    long long id = strtoll(cell, &endp, 10);
    int by_id = *cell && !*endp;
    sqlite3_prepare_v2(h,
                       "SELECT c.key, c.status, m.key, m.arch, "
                       "  (SELECT COUNT(*) FROM model_files f WHERE f.cell_id = c.model_id), "
                       "  f.path, f.input, f.classes "
                       "FROM cells c JOIN cells m ON m.id = c.model_id "
                       "LEFT JOIN model_files f ON f.cell_id = c.model_id AND f.phase = "
                       "  COALESCE(?3, (SELECT g.phase FROM model_files g WHERE g.cell_id = c.model_id "
                       "                ORDER BY g.phase = 'retrain' DESC LIMIT 1)) "
                       "WHERE c.kind = 'cell' AND (CASE WHEN ?1 THEN c.id = ?2 ELSE c.key = ?2 END)",
                       -1, &st, NULL);
    sqlite3_bind_int(st, 1, by_id);
    if (by_id) sqlite3_bind_int64(st, 2, id);
    else sqlite3_bind_text(st, 2, cell, -1, SQLITE_STATIC);
    if (phase) sqlite3_bind_text(st, 3, phase, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        if (step == SQLITE_DONE) fprintf(stderr, "bdsweep export: %s has no cell %s%s\n", db_path, by_id ? "with id " : "", cell);
        else fprintf(stderr, "bdsweep export: %s: %s\n", db_path, sqlite3_errmsg(h));
    } else if (strcmp((const char *)sqlite3_column_text(st, 1), "done")) {
        fprintf(stderr, "bdsweep export: cell %s is %s: its model is not trained yet\n", cell, sqlite3_column_text(st, 1));
    } else if (sqlite3_column_int(st, 4) == 0) {
        fprintf(stderr,
                "bdsweep export: the model of cell %s was not kept: its sweep did not ask for `keep: [models]` when "
                "it ran (a done cell is not trained again: add it to the sweep file before a run, with a new "
                "database for cells already done)\n",
                cell);
    } else if (sqlite3_column_type(st, 5) == SQLITE_NULL) {
        fprintf(stderr, "bdsweep export: the model of cell %s has no kept %s phase\n", cell, phase);
    } else {
        copy_col(st, 0, k->cell_key, sizeof k->cell_key);
        copy_col(st, 2, k->model_key, sizeof k->model_key);
        copy_col(st, 3, k->arch, sizeof k->arch);
        copy_col(st, 5, k->path, sizeof k->path);
        copy_col(st, 6, k->input, sizeof k->input);
        copy_col(st, 7, k->classes, sizeof k->classes);
        rc = 0;
    }
    sqlite3_finalize(st);
    bd_db_close(db);
    return rc;
}

int bd_cmd_export(int argc, char **argv) {
    const char *ckpt = NULL, *arch_text = NULL, *input_text = NULL, *classes_text = NULL, *out = NULL;
    const char *db_path = NULL, *cell = NULL, *phase = NULL;
    Kept kept;
    BdStMeta *extra = bd_xcalloc((size_t)argc + 2, sizeof *extra);
    char **keys = bd_xcalloc((size_t)argc, sizeof *keys);
    int n_extra = 0, rc = BD_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = BD_EXIT_OK;
            goto done;
        }
        if (a[0] != '-' && !db_path) {
            db_path = a;
            continue;
        }
        const char **slot = !strcmp(a, "--checkpoint") ? &ckpt
                            : !strcmp(a, "--arch")     ? &arch_text
                            : !strcmp(a, "--input")    ? &input_text
                            : !strcmp(a, "--classes")  ? &classes_text
                            : !strcmp(a, "--out")      ? &out
                            : !strcmp(a, "--cell")     ? &cell
                            : !strcmp(a, "--phase")    ? &phase
                                                       : NULL;
        if (!slot && strcmp(a, "--meta")) {
            bad(a[0] == '-' ? "unknown option" : "one database expected, got a second:", a);
            goto done;
        }
        if (i + 1 >= argc) {
            bad("a value is missing after", a);
            goto done;
        }
        const char *v = argv[++i];
        if (slot) {
            *slot = v;
            continue;
        }
        const char *eq = strchr(v, '=');
        if (!eq || eq == v) {
            bad("--meta expects KEY=VALUE, got", v);
            goto done;
        }
        char *key = keys[n_extra] = strndup(v, (size_t)(eq - v));
        extra[n_extra++] = (BdStMeta){key, eq + 1};
        for (int k = 0; bd_export_meta_keys[k]; k++)
            if (!strcmp(key, bd_export_meta_keys[k])) {
                bad("--meta cannot set a key the export writes itself:", key);
                goto done;
            }
        for (int k = 0; k < n_extra - 1; k++)
            if (!strcmp(key, extra[k].key)) {
                bad("--meta gives this key twice:", key);
                goto done;
            }
    }
    if (db_path || cell) {
        if (!db_path || !cell || !out || ckpt || arch_text || input_text || classes_text) {
            bad("from a database: DB, --cell and --out are required, and --checkpoint, --arch, --input and "
                "--classes come from the database",
                NULL);
            goto done;
        }
        if (phase && !strcmp(phase, "main")) phase = "train";
        if (phase && strcmp(phase, "train") && strcmp(phase, "retrain")) {
            bad("--phase expects train (or main) or retrain, got", phase);
            goto done;
        }
        if ((rc = find_kept(db_path, cell, phase, &kept)) != 0) goto done;
        rc = BD_EXIT_USAGE;
        ckpt = kept.path;
        arch_text = kept.arch;
        input_text = kept.input;
        classes_text = kept.classes;
        static const char *const keys_db[] = {"cell", "model"};
        const char *vals[] = {kept.cell_key, kept.model_key};
        for (int k = 0; k < 2; k++) {
            int given = 0;
            for (int e = 0; e < n_extra; e++) given |= !strcmp(extra[e].key, keys_db[k]);
            if (!given) extra[n_extra++] = (BdStMeta){keys_db[k], vals[k]};
        }
    } else if (phase) {
        bad("--phase needs a database and --cell", NULL);
        goto done;
    }
    if (!ckpt || !arch_text || !input_text || !classes_text || !out) {
        bad("--checkpoint, --arch, --input, --classes and --out are all required", NULL);
        goto done;
    }
    BdShape in;
    char tail;
    if (sscanf(input_text, "%dx%dx%d%c", &in.c, &in.h, &in.w, &tail) != 3 || in.c < 1 || in.h < 1 || in.w < 1) {
        bad("--input expects CxHxW (e.g. 3x32x32), got", input_text);
        goto done;
    }
    char *end;
    errno = 0;
    long classes = strtol(classes_text, &end, 10);
    if (errno || *end || end == classes_text || classes < 2 || classes > INT_MAX) {
        bad("--classes expects a class count of at least 2, got", classes_text);
        goto done;
    }
    BdSpec arch;
    BdError err;
    BdExportModel m;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, arch_text, &arch, &err) < 0 ||
        bd_export_load(&m, ckpt, &arch, in, (int)classes, &err) < 0) {
        fprintf(stderr, "bdsweep export: %s\n", err.msg);
        goto done;
    }
    if (bd_export_write(&m, extra, n_extra, out, &err) < 0) {
        fprintf(stderr, "bdsweep export: %s\n", err.msg);
        rc = BD_EXIT_FAILED;
    } else {
        printf("wrote %s: %s %s, %d classes, %d tensors, %s phase after %d epoch%s\n", out, m.arch, input_text,
               m.classes, m.g->n_param_info + m.g->n_buffer_info, m.phase, m.epochs, m.epochs == 1 ? "" : "s");
        rc = fflush(stdout) == 0 ? BD_EXIT_OK : BD_EXIT_FAILED;
    }
    bd_export_free(&m);
done:
    for (int i = 0; i < n_extra; i++) free(keys[i]);
    free(keys);
    free(extra);
    return rc;
}
