/* bdsweep export --checkpoint FILE --arch ARCH --input CxHxW --classes K
 * --out FILE.safetensors: the model a checkpoint holds, for PyTorch
 * (worker/export/export.h does the work; this file reads the command line). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "cell.h"
#include "commands.h"
#include "exit_status.h"
#include "export.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep export --checkpoint FILE.ckpt --arch ARCH --input CxHxW --classes K\n"
            "                      --out FILE.safetensors [--meta KEY=VALUE]...\n"
            "\n"
            "Writes the model a checkpoint holds as a safetensors file: every parameter and\n"
            "BN running statistic, float32, under the names and in the layouts of the PyTorch\n"
            "twin in python/bdsweep_models.py, so that python/load_safetensors.py's\n"
            "load_model(FILE) (or safetensors.torch.load_file and load_state_dict) gives a\n"
            "PyTorch model with bdsweep's predictions. The header's __metadata__ holds\n"
            "format=pt, bdsweep_version, arch (every parameter given), input, classes, and\n"
            "the phase (train, retrain, pretrain) and complete epochs the checkpoint records.\n"
            "python/README.md shows how to load it.\n"
            "\n"
            "options:\n"
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
            "A checkpoint refuses an architecture, input shape or class count other than its\n"
            "own and names the one it was saved for.\n"
            "\n"
            "exit status: 0; 1 when the file cannot be written; 2 when the command line or\n"
            "the checkpoint is wrong.\n");
}

static int bad(const char *msg, const char *arg) {
    fprintf(stderr, "bdsweep export: %s%s%s%s\nhint: bdsweep export --help\n", msg, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "");
    return BD_EXIT_USAGE;
}

int bd_cmd_export(int argc, char **argv) {
    const char *ckpt = NULL, *arch_text = NULL, *input_text = NULL, *classes_text = NULL, *out = NULL;
    BdStMeta *extra = bd_xcalloc((size_t)argc, sizeof *extra);
    char **keys = bd_xcalloc((size_t)argc, sizeof *keys);
    int n_extra = 0, rc = BD_EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            rc = BD_EXIT_OK;
            goto done;
        }
        const char **slot = !strcmp(a, "--checkpoint") ? &ckpt
                            : !strcmp(a, "--arch")     ? &arch_text
                            : !strcmp(a, "--input")    ? &input_text
                            : !strcmp(a, "--classes")  ? &classes_text
                            : !strcmp(a, "--out")      ? &out
                                                       : NULL;
        if (!slot && strcmp(a, "--meta")) {
            if (a[0] != '-')
                bad("reading a model from a results database is not supported yet; give the checkpoint with "
                    "--checkpoint, not", a);
            else bad("unknown option", a);
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
