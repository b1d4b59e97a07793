/* A growable text buffer: the report builds every SVG, HTML, Markdown and CSV
 * file in memory, then writes it in one go (bd_str_write_file). */
#ifndef BD_STRBUF_H
#define BD_STRBUF_H

#include <stddef.h>

#include "error.h"

typedef struct BdStr {
    char *s; /* always NUL-terminated once anything was added; NULL when empty */
    size_t n, cap;
} BdStr;

void bd_str_printf(BdStr *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bd_str_puts(BdStr *b, const char *s);
void bd_str_putn(BdStr *b, const char *s, size_t n);
/* Text with the five XML special characters escaped (for element text and
 * attribute values alike). */
void bd_str_xml(BdStr *b, const char *s);
/* The contents ("" when empty). */
const char *bd_str_str(const BdStr *b);
void bd_str_clear(BdStr *b);
/* Hands the contents over (a malloc'd string, "" when empty) and empties b. */
char *bd_str_take(BdStr *b);
void bd_str_free(BdStr *b);

/* Writes the contents to path (replacing it). The error names the file. */
int bd_str_write_file(const BdStr *b, const char *path, BdError *err);
/* Appends the base64 encoding (RFC 4648, with padding) of n bytes. */
void bd_str_base64(BdStr *b, const unsigned char *data, size_t n);

#endif
