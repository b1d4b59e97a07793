/* Diagnostics on stderr. The level comes from the environment variable
 * BDSWEEP_LOG (error|warn|info|debug, default info), read at each call so
 * there is no global state to initialise. Lines carry a prefix the caller
 * chooses (rank 0 passes "coordinator", workers "rank 3"). */
#ifndef BD_LOG_H
#define BD_LOG_H

typedef enum { BD_LOG_ERROR = 0, BD_LOG_WARN = 1, BD_LOG_INFO = 2, BD_LOG_DEBUG = 3 } BdLogLevel;

int bd_log_enabled(BdLogLevel level);
void bd_log(BdLogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define bd_warn(...) bd_log(BD_LOG_WARN, __VA_ARGS__)
#define bd_info(...) bd_log(BD_LOG_INFO, __VA_ARGS__)
#define bd_debug(...) bd_log(BD_LOG_DEBUG, __VA_ARGS__)

#endif
