/* `bdsweep schema`: the SQL a results database of this build is made of —
 * the tables of results/schema.sql, the columns the axes table adds to
 * `cells`, and every view, generated or from results/ — and, with
 * --markdown, its documentation: the generated section of results/README.md
 * (tests/integration/docs.sh compares the two). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "db/db.h"
#include "exit_status.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep schema [--markdown]\n"
            "\n"
            "Prints the SQL of a results database of this build: the tables, the columns\n"
            "the axes add to `cells`, and every view, in the order they are created (the\n"
            "hand-written views are the files of results/, embedded at build time).\n"
            "\n"
            "  --markdown   the documentation of the generated columns, the metrics and the\n"
            "               views instead (the generated section of results/README.md)\n"
            "  -h, --help   this text\n");
}

int bd_cmd_schema(int argc, char **argv) {
    int markdown = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return BD_EXIT_OK;
        }
        if (!strcmp(argv[i], "--markdown")) {
            markdown = 1;
            continue;
        }
        fprintf(stderr, "bdsweep schema: unexpected argument '%s'\nhint: bdsweep schema --help\n", argv[i]);
        return BD_EXIT_USAGE;
    }
    char *text = markdown ? bd_db_schema_markdown() : bd_db_schema_sql();
    fputs(text, stdout);
    free(text);
    if (fflush(stdout) != 0) {
        perror("bdsweep schema");
        return BD_EXIT_FAILED;
    }
    return BD_EXIT_OK;
}
