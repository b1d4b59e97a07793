/* The YAML side of the sweep loader: reading the one document of a file with
 * libyaml's document API, and errors located at a node (1-based LINE:COL). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sweep_internal.h"
#include "text.h"

static int read_file(const char *path, char **text, BdError *err) {
    struct stat st;
    if (stat(path, &st) < 0) return bd_fail(err, "%s: cannot read the sweep file: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode)) return bd_fail(err, "%s: not a regular file: expected a YAML sweep file", path);
    FILE *f = fopen(path, "rb");
    if (!f) return bd_fail(err, "%s: cannot read the sweep file: %s", path, strerror(errno));
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = bd_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = bd_xrealloc(buf, cap *= 2); /* the file grew since stat */
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return bd_fail(err, "%s: error reading the sweep file", path);
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        free(buf);
        return bd_fail(err, "%s: contains a NUL byte: expected a YAML text file", path);
    }
    *text = buf;
    return 0;
}

/* Line and column (1-based) of a byte offset, for reader errors that carry
 * only an offset. */
static void offset_position(const char *text, size_t offset, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int yaml_error(const char *path, const char *text, const yaml_parser_t *p, BdError *err) {
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->error == YAML_READER_ERROR) {
        int line, col;
        offset_position(text, p->problem_offset, &line, &col);
        return bd_fail(err, "%s:%d:%d: invalid YAML: %s (byte offset %zu): expected UTF-8 text", path, line, col,
                       problem, p->problem_offset);
    }
    if (p->error == YAML_MEMORY_ERROR) return bd_fail(err, "%s: invalid YAML: out of memory", path);
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    if (p->context)
        return bd_fail(err, "%s:%d:%d: invalid YAML: %s (%s that starts at line %d, column %d)", path, line, col,
                       problem, p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return bd_fail(err, "%s:%d:%d: invalid YAML: %s", path, line, col, problem);
}

int sw_yaml_load(const char *path, char **text, yaml_document_t *doc, int *loaded, BdError *err) {
    *loaded = 0;
    *text = NULL;
    if (read_file(path, text, err) < 0) return -1;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return bd_fail(err, "%s: cannot initialise the YAML parser", path);
    yaml_parser_set_input_string(&parser, (const unsigned char *)*text, strlen(*text));
    int rc = 0;
    if (!yaml_parser_load(&parser, doc)) {
        rc = yaml_error(path, *text, &parser, err);
    } else {
        *loaded = 1;
        if (!yaml_document_get_root_node(doc)) {
            rc = bd_fail(err, "%s: the file is empty: expected a mapping with at least `name:` and `grid:`", path);
        } else {
            /* A second document would be silently ignored: refuse it. */
            yaml_document_t next;
            if (!yaml_parser_load(&parser, &next)) {
                rc = yaml_error(path, *text, &parser, err);
            } else {
                yaml_node_t *root2 = yaml_document_get_root_node(&next);
                if (root2)
                    rc = bd_fail(err, "%s:%d:%d: a second YAML document: expected one sweep per file", path,
                                 (int)root2->start_mark.line + 1, (int)root2->start_mark.column + 1);
                yaml_document_delete(&next);
            }
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

int sw_line(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }
int sw_col(const yaml_node_t *n) { return (int)n->start_mark.column + 1; }

static void vformat(const SwCtx *c, int line, int col, const char *where, char *out, size_t cap, const char *fmt,
                    va_list ap) {
    char msg[BD_ERROR_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (where && *where) bd_text_format(out, cap, "%s:%d:%d: %s: %s", c->file, line, col, where, msg);
    else bd_text_format(out, cap, "%s:%d:%d: %s", c->file, line, col, msg);
}

int sw_fail(const SwCtx *c, const yaml_node_t *node, const char *where, const char *fmt, ...) {
    if (!c->err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vformat(c, sw_line(node), sw_col(node), where, c->err->msg, sizeof c->err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int sw_fail_prefix(const SwCtx *c, const yaml_node_t *node, const char *where) {
    if (!c->err) return -1;
    if (where && *where) return bd_error_prefix(c->err, "%s:%d:%d: %s: ", c->file, sw_line(node), sw_col(node), where);
    return bd_error_prefix(c->err, "%s:%d:%d: ", c->file, sw_line(node), sw_col(node));
}

void sw_warn(SwCtx *c, int line, int col, const char *where, const char *fmt, ...) {
    char text[BD_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vformat(c, line, col, where, text, sizeof text, fmt, ap);
    va_end(ap);
    c->warnings = bd_xrealloc(c->warnings, sizeof *c->warnings * (size_t)(c->n_warnings + 1));
    c->warnings[c->n_warnings++] = bd_xstrdup(text);
}

yaml_node_t *sw_node(const SwCtx *c, int index) { return yaml_document_get_node(c->doc, index); }

const char *sw_scalar(const yaml_node_t *n) {
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int sw_is_null(const yaml_node_t *n) {
    const char *s = sw_scalar(n);
    if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    return !*s || !strcmp(s, "~") || !strcasecmp(s, "null");
}

const char *sw_kind(const yaml_node_t *n) {
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return sw_is_null(n) ? "nothing" : "a value";
    }
}

int sw_check_keys(const SwCtx *c, yaml_node_t *map, const char *where) {
    for (yaml_node_pair_t *a = map->data.mapping.pairs.start; a < map->data.mapping.pairs.top; a++) {
        yaml_node_t *ka = sw_node(c, a->key);
        const char *ta = sw_scalar(ka);
        if (!ta || sw_is_null(ka)) return sw_fail(c, ka, where, "expected a key name, got %s", sw_kind(ka));
        for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++) {
            yaml_node_t *kb = sw_node(c, b->key);
            if (!strcmp(ta, sw_scalar(kb)))
                return sw_fail(c, ka, where, "key '%s' appears twice (first at line %d, column %d)", ta, sw_line(kb),
                               sw_col(kb));
        }
    }
    return 0;
}
