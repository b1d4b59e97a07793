/* `bdsweep axes`: every axis of a sweep, its values (presets) and their
 * parameters with type, default and range, straight from the registries the
 * sweep loader validates against — so the reference in sweeps/README.md is
 * generated from the code (tests/cli compares the two). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "axes.h"
#include "commands.h"
#include "exit_status.h"
#include "spec.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep axes [--markdown] [AXIS]\n"
            "\n"
            "Lists every axis a sweep file can use, its values (presets) and their\n"
            "parameters with type, default and range. AXIS limits the list to one axis.\n"
            "\n"
            "  --markdown   tables for sweeps/README.md\n"
            "  -h, --help   this text\n");
}

static const char *type_name(BdParamType t) {
    switch (t) {
    case BD_PARAM_INT: return "integer";
    case BD_PARAM_FLOAT: return "number";
    case BD_PARAM_BOOL: return "boolean";
    case BD_PARAM_ENUM: return "one of";
    case BD_PARAM_STRING: return "text";
    case BD_PARAM_INT_LIST: return "integer list";
    case BD_PARAM_STRING_LIST: return "text list";
    }
    return "?";
}

static void range_text(const BdParamDef *d, char *out, size_t cap) {
    char lo[64], hi[64], choices[512];
    out[0] = '\0';
    if (d->type == BD_PARAM_ENUM || (d->type == BD_PARAM_STRING_LIST && d->choices)) {
        size_t o = 0;
        for (const char *p = d->choices; *p && o + 3 < sizeof choices; p++) {
            if (*p == '|') {
                choices[o++] = ',';
                choices[o++] = ' ';
            } else {
                choices[o++] = *p;
            }
        }
        choices[o] = '\0';
        snprintf(out, cap, "%s", choices);
        return;
    }
    if (d->type != BD_PARAM_INT && d->type != BD_PARAM_FLOAT && d->type != BD_PARAM_INT_LIST) return;
    bd_format_double(d->min, lo, sizeof lo);
    bd_format_double(d->max, hi, sizeof hi);
    if (isinf(d->min) && isinf(d->max)) snprintf(out, cap, "any");
    else if (isinf(d->max)) snprintf(out, cap, ">= %s", lo);
    else if (isinf(d->min)) snprintf(out, cap, "<= %s", hi);
    else snprintf(out, cap, "%s .. %s", lo, hi);
}

static const char *default_text(const BdParamDef *d) {
    if (!d->def) return "(required)";
    if (!d->def[0]) return "(unset)";
    return d->def;
}

static void print_axis(const BdAxisDef *a, int markdown) {
    if (markdown) {
        printf("### `%s`\n\n%s", a->name, a->help);
        if (a->kind == BD_AXIS_INT || a->kind == BD_AXIS_FLOAT) {
            char lo[64], hi[64];
            bd_format_double(a->min, lo, sizeof lo);
            bd_format_double(a->max, hi, sizeof hi);
            printf(": %s in [%s, %s]", a->kind == BD_AXIS_INT ? "an integer" : "a number", lo, hi);
        }
        printf(". %s\n\n", a->absent ? "" : "Required.");
        if (a->absent) printf("When the sweep does not give it: `%s`.\n\n", a->absent);
    } else {
        printf("%s: %s%s%s%s\n", a->name, a->help, a->absent ? " (default " : " (required)",
               a->absent ? a->absent : "", a->absent ? ")" : "");
    }
    for (const BdPreset *p = a->presets; p && p->name; p++) {
        if (markdown) {
            printf("- **`%s`** — %s\n", p->name, p->help);
            if (!p->params || !p->params[0].name) {
                printf("\n");
                continue;
            }
            printf("\n  | parameter | type | default | range | meaning |\n  |---|---|---|---|---|\n");
        } else {
            printf("  %s — %s\n", p->name, p->help);
        }
        for (const BdParamDef *d = p->params; d && d->name; d++) {
            char range[600];
            range_text(d, range, sizeof range);
            if (markdown)
                printf("  | `%s` | %s | `%s` | %s | %s |\n", d->name, type_name(d->type), default_text(d), range,
                       d->help ? d->help : "");
            else
                printf("      %-16s %-12s default %-14s %s%s%s%s\n", d->name, type_name(d->type), default_text(d),
                       range[0] ? "[" : "", range, range[0] ? "] " : "", d->help ? d->help : "");
        }
        if (markdown) printf("\n");
    }
    if (markdown) printf("\n");
}

int bd_cmd_axes(int argc, char **argv) {
    int markdown = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--markdown")) {
            markdown = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "bdsweep axes: unknown option '%s'\nhint: bdsweep axes --help\n", argv[i]);
            return BD_EXIT_USAGE;
        } else if (!only) {
            only = argv[i];
        } else {
            fprintf(stderr, "bdsweep axes: unexpected argument '%s'\nhint: one axis at a time\n", argv[i]);
            return BD_EXIT_USAGE;
        }
    }
    const BdAxisDef *axes = bd_axes();
    if (only && bd_axis_index(bd_axes(), only) < 0) {
        fprintf(stderr, "bdsweep axes: unknown axis '%s'\nhint: the axes are:", only);
        for (int i = 0; i < BD_AXIS_COUNT; i++) fprintf(stderr, " %s", axes[i].name);
        fprintf(stderr, "\n");
        return BD_EXIT_USAGE;
    }
    for (int i = 0; i < BD_AXIS_COUNT; i++)
        if (!only || !strcmp(only, axes[i].name)) print_axis(&axes[i], markdown);
    return 0;
}
