/* Durations and sizes as people write them, in sweep files (`limits:`) and
 * on the command line (`run --time-limit`), and back into text for messages.
 * One parser each, so that a duration means the same everywhere. */
#ifndef BD_UNITS_H
#define BD_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "5400", "90m", "3h50m", "1.5h", "2d", "1:30:00" (H:MM:SS) or "30:00"
 * (M:SS) -> seconds; -1 if malformed (also for a negative or non-finite
 * number). */
double bd_parse_duration(const char *s);

/* "300MiB", "4GiB", "1.5GiB", "4G" (binary units, as Slurm's --mem and
 * ulimit count), "512KiB", "1048576" (bytes) -> bytes; -1 if malformed or
 * not positive. The decimal spellings ("4GB", "300MB") are refused: they
 * are ambiguous, and a memory limit should not be off by 7%. */
int64_t bd_parse_size(const char *s);

/* Seconds as the parser reads them back: "2h", "1h30m", "45s", "2.5s",
 * "1d2h". */
void bd_format_duration(double seconds, char *out, size_t cap);
/* Bytes in the largest binary unit that keeps the number at least 1,
 * with up to four significant digits: "4 GiB", "300 MiB", "1.5 GiB",
 * "512 B". */
void bd_format_size(int64_t bytes, char *out, size_t cap);

#endif
