/* bdsweep preview SWEEP.yaml --out DIR [--n 8]: a PNG of clean vs triggered
 * test images for each distinct (dataset, trigger) of a sweep, to look at
 * what the model will see before running it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "exit_status.h"
#include "report.h"
#include "sweep/sweep.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep preview SWEEP.yaml --out DIR [--n N]\n"
            "\n"
            "For each distinct (dataset, trigger) of the sweep, writes a PNG grid of N\n"
            "test images (default 8): the clean images on top, the same images with the\n"
            "trigger below, upscaled to about 128 px, exactly as a cell applies the\n"
            "trigger. Prints each file's path. Nothing is trained; no MPI, no database.\n"
            "\n"
            "File names: DIR/<trigger>.png, the trigger's canonical text made safe for a\n"
            "file name (square(location=top-left,size=4) -> square_location-top-left_size-4.png);\n"
            "with several datasets in the sweep, DIR/<dataset>__<trigger>.png.\n"
            "\n"
            "options:\n"
            "  --out DIR   folder for the pictures (required; created if needed)\n"
            "  --n N       images per picture, 1 to 64 (default 8)\n"
            "\n"
            "exit status: 0; 1 when a dataset cannot be loaded here or a file cannot be\n"
            "written (the other pictures are still made; the message names the dataset);\n"
            "2 when the sweep or the command line is invalid.\n");
}

static int make_dir(const char *dir) {
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST) {
            fprintf(stderr, "bdsweep preview: cannot create the folder %s: %s\n", p, strerror(errno));
            return -1;
        }
        *s = c;
        if (!c) break;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "bdsweep preview: %s is not a folder: expected a folder for the pictures (--out)\n", dir);
        return -1;
    }
    return 0;
}

int bd_cmd_preview(int argc, char **argv) {
    const char *path = NULL, *out = NULL;
    int n = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        const char *value = NULL;
        int is_out = !strcmp(a, "--out") || !strncmp(a, "--out=", 6);
        int is_n = !strcmp(a, "--n") || !strncmp(a, "--n=", 4);
        if (is_out || is_n) {
            const char *eq = strchr(a, '=');
            if (eq) value = eq + 1;
            else if (i + 1 < argc) value = argv[++i];
            else {
                fprintf(stderr, "bdsweep preview: %s needs a value\nhint: bdsweep preview --help\n", a);
                return BD_EXIT_USAGE;
            }
        }
        if (is_out) {
            out = value;
        } else if (is_n) {
            char *end;
            long v = strtol(value, &end, 10);
            if (end == value || *end || v < 1 || v > 64) {
                fprintf(stderr, "bdsweep preview: --n needs a count from 1 to 64, got '%s'\nhint: bdsweep preview "
                                "--help\n",
                        value);
                return BD_EXIT_USAGE;
            }
            n = (int)v;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "bdsweep preview: unknown option '%s'\nhint: bdsweep preview --help\n", a);
            return BD_EXIT_USAGE;
        } else if (path) {
            fprintf(stderr, "bdsweep preview: one sweep file expected, got '%s' and '%s'\nhint: bdsweep preview "
                            "--help\n",
                    path, a);
            return BD_EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (!path || !out || !*out) {
        fprintf(stderr, "bdsweep preview: missing %s\nhint: bdsweep preview SWEEP.yaml --out DIR (bdsweep preview "
                        "--help)\n",
                !path ? "the sweep file" : "--out DIR, the folder for the pictures");
        return BD_EXIT_USAGE;
    }
    BdSweep sw;
    BdError err = {0};
    if (bd_sweep_load(path, 0, &sw, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    if (make_dir(out) < 0) {
        bd_sweep_free(&sw);
        return BD_EXIT_FAILED;
    }
    /* Distinct (dataset, trigger) pairs in sweep order; excluded pairs are not
     * in any cell and so not drawn. Values are canonical texts shared by the
     * cells, so comparing the pointers' texts is enough. */
    const char *(*pairs)[2] = calloc((size_t)sw.n_cells + 1, sizeof *pairs);
    int n_pairs = 0;
    for (int c = 0; c < sw.n_cells; c++) {
        const char *d = sw.cells[c].values[BD_AXIS_DATASET], *t = sw.cells[c].values[BD_AXIS_TRIGGER];
        int seen = 0;
        for (int k = 0; k < n_pairs && !seen; k++) seen = !strcmp(pairs[k][0], d) && !strcmp(pairs[k][1], t);
        if (!seen) pairs[n_pairs][0] = d, pairs[n_pairs][1] = t, n_pairs++;
    }
    int several = sw.axes[BD_AXIS_DATASET].n > 1, failed = 0;
    BdPreviewCache *cache = bd_preview_cache_new();
    for (int k = 0; k < n_pairs; k++) {
        char name[300], file[4600];
        bd_preview_filename(several ? pairs[k][0] : NULL, pairs[k][1], name, sizeof name);
        snprintf(file, sizeof file, "%s/%s.png", out, name);
        if (bd_preview_trigger(cache, pairs[k][0], pairs[k][1], file, n, &err) < 0) {
            fprintf(stderr, "bdsweep preview: %s\n", err.msg);
            failed++;
            continue;
        }
        printf("%s\n", file);
    }
    bd_preview_cache_free(cache);
    free(pairs);
    bd_sweep_free(&sw);
    if (fflush(stdout) != 0) {
        perror("bdsweep preview");
        return BD_EXIT_FAILED;
    }
    return failed ? 1 : 0;
}
