#include "commands.h"

#include <stddef.h>

int bd_cmd_axes(int argc, char **argv);
int bd_cmd_export(int argc, char **argv);
int bd_cmd_plan(int argc, char **argv);
int bd_cmd_run(int argc, char **argv);
int bd_cmd_status(int argc, char **argv);
int bd_cmd_report(int argc, char **argv);
int bd_cmd_preview(int argc, char **argv);
int bd_cmd_schema(int argc, char **argv);

/* Each command lives in its own file; add it here. */
const BdCommand bd_commands[] = {
    {"axes", "every axis, value and parameter a sweep file can use", bd_cmd_axes},
    {"bench", "time training and evaluation steps of an architecture (engine speed)", bd_cmd_bench},
    {"export", "write a checkpoint's model as a safetensors file for PyTorch", bd_cmd_export},
    {"plan", "validate a sweep file and list its cells (no MPI, no database)", bd_cmd_plan},
    {"preview", "PNG pictures of a sweep's triggers on its datasets, before running it", bd_cmd_preview},
    {"report", "the paper's four findings for a results database: HTML, Markdown, SVG, CSV", bd_cmd_report},
    {"run", "run the cells of a sweep that are not done yet (under mpirun)", bd_cmd_run},
    {"schema", "the SQL of a results database (tables, generated columns, views) and its documentation", bd_cmd_schema},
    {"status", "counts per status, failures and the last run of a results database", bd_cmd_status},
    {NULL, NULL, NULL},
};
