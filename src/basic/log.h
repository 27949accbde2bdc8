/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr, rkt style: every line starts with a prefix naming the leaf command
 * ("fetch: ", "rm: "). Library modules log at debug level only; user-facing failures travel
 * as struct rk_error and are printed by the CLI.
 */
#pragma once

#include <stdbool.h>

#include "macro.h"

enum log_level {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
};

void log_set_max_level(enum log_level level);
enum log_level log_get_max_level(void);
/* Sets the "<prefix>: " put before every line; NULL or "" for none. The string is copied. */
void log_set_prefix(const char *prefix);

/*
 * Prints "<prefix>: <msg>\n" on stderr when level <= max level, msg escaped with
 * escape_nonprint(msg, "\n\t") (escape.h).
 */
void log_full(enum log_level level, const char *fmt, ...) _printf_(2, 3);
/* Like log_full() with another prefix (e.g. "image: ") in place of the command's. */
void log_with_prefix(enum log_level level, const char *prefix, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...)   log_full(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warning(...) log_full(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_LEVEL_ERROR, __VA_ARGS__)

/* Logs with errno set to -r (so %m works) and returns -abs(r). */
int log_full_errno(enum log_level level, int r, const char *fmt, ...) _printf_(3, 4);
#define log_debug_errno(r, ...)   log_full_errno(LOG_LEVEL_DEBUG, r, __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_LEVEL_WARNING, r, __VA_ARGS__)
#define log_error_errno(r, ...)   log_full_errno(LOG_LEVEL_ERROR, r, __VA_ARGS__)
