/* Formatting into fixed buffers without silent truncation. */
#ifndef BD_TEXT_H
#define BD_TEXT_H

#include <stddef.h>

#include "error.h"

/* snprintf for text meant for people (messages, labels, descriptions), where
 * a cut text is still useful: returns 0 when it fit, -1 when it was cut (the
 * text then ends in "..."). Paths and SQL use bd_path_join or check their
 * length and fail instead. */
int bd_text_format(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "dir/name" into out; -1 with an error naming both when it does not fit. */
int bd_path_join(char *out, size_t cap, const char *dir, const char *name, BdError *err);

#endif
