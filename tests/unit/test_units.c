/* Durations and sizes as sweep files and the command line write them, and
 * back into text: every form each parser takes, and what it refuses. */
#include "check.h"
#include "units.h"

static void test_durations(void) {
    static const struct { const char *text; double seconds; } ok[] = {
        {"5400", 5400}, {"90m", 5400},      {"3h50m", 13800}, {"1.5h", 5400}, {"2d", 172800}, {"1:30:00", 5400},
        {"30:00", 1800}, {"1h30", 3630},    {"45s", 45},      {"2.5s", 2.5},  {"1d2h3m4s", 93784},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK_MSG(bd_parse_duration(ok[i].text) == ok[i].seconds, "%s: %g", ok[i].text, bd_parse_duration(ok[i].text));
    static const char *const bad[] = {"", "abc", "-5", "1e9", "inf", "nan", "5x", "1:2:3:4", "1::2", "h", "2 h", "+5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(bd_parse_duration(bad[i]) < 0, "'%s' should be refused: %g", bad[i], bd_parse_duration(bad[i]));
    static const struct { double seconds; const char *text; } out[] = {
        {7200, "2h"}, {5400, "1h30m"}, {45, "45s"}, {2.5, "2.5s"}, {93600, "1d2h"}, {0, "0s"}, {3630, "1h30s"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        bd_format_duration(out[i].seconds, buf, sizeof buf);
        CHECK_STR(buf, out[i].text);
        CHECK(bd_parse_duration(buf) == out[i].seconds); /* read back as written */
    }
}

static void test_sizes(void) {
    static const struct { const char *text; int64_t bytes; } ok[] = {
        {"300MiB", (int64_t)300 << 20}, {"4GiB", (int64_t)4 << 30},       {"4G", (int64_t)4 << 30},
        {"1.5GiB", (int64_t)3 << 29},   {"512KiB", (int64_t)512 << 10}, {"1048576", 1048576},
        {"1B", 1},                      {"2T", (int64_t)2 << 40},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CHECK_MSG(bd_parse_size(ok[i].text) == ok[i].bytes, "%s: %lld", ok[i].text, (long long)bd_parse_size(ok[i].text));
    static const char *const bad[] = {"4GB", "300MB", "4 GiB", "", "-1", "0", "1e3", "GiB", "4g", "4GiBs", "0.1B"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(bd_parse_size(bad[i]) < 0, "'%s' should be refused: %lld", bad[i], (long long)bd_parse_size(bad[i]));
    static const struct { int64_t bytes; const char *text; } out[] = {
        {(int64_t)4 << 30, "4 GiB"}, {(int64_t)300 << 20, "300 MiB"}, {(int64_t)3 << 29, "1.5 GiB"}, {512, "512 B"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        bd_format_size(out[i].bytes, buf, sizeof buf);
        CHECK_STR(buf, out[i].text);
    }
}

int main(void) {
    test_durations();
    test_sizes();
    return check_result("units");
}
