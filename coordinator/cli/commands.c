#include "commands.h"

#include <stddef.h>

#include "job_process.h"

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
    {"axes", "every axis, value and parameter a sweep file can use", bd_cmd_axes, 0},
    {"bench", "time training and evaluation steps of an architecture (engine speed)", bd_cmd_bench, 0},
    {"export", "write a checkpoint's model as a safetensors file for PyTorch", bd_cmd_export, 0},
    {"plan", "validate a sweep file and list its cells (no MPI, no database)", bd_cmd_plan, 0},
    {"preview", "PNG pictures of a sweep's triggers on its datasets, before running it", bd_cmd_preview, 0},
    {"report", "the paper's four findings for a results database: HTML, Markdown, SVG, CSV", bd_cmd_report, 0},
    {"run", "run the cells of a sweep that are not done yet (under mpirun)", bd_cmd_run, 0},
    {"schema", "the SQL of a results database (tables, generated columns, views) and its documentation", bd_cmd_schema, 0},
    {"status", "counts per status, failures and the last run of a results database", bd_cmd_status, 0},
    /* One job in a process of its own, for `run` (worker/proc/job_process.h). */
    {"job-process", "", bd_job_process_main, 1},
    {NULL, NULL, NULL, 0},
};
