/* SPDX-License-Identifier: Apache-2.0 */
/* stderr logger with a per-command prefix; messages are escaped for the terminal. */
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "strbuf.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static char *log_prefix;

void log_set_max_level(enum log_level level)
{
        max_level = level;
}

enum log_level log_get_max_level(void)
{
        return max_level;
}

void log_set_prefix(const char *prefix)
{
        free(log_prefix);
        log_prefix = prefix && *prefix ? xasprintf("%s: ", prefix) : NULL;
}

/*
 * Prints prefix and msg (taken) as one line on stderr, after flushing stdout. Messages quote
 * image names, labels and manifests: their control characters (but newlines and TABs) are
 * escaped so that they cannot drive the terminal.
 */
static void log_emit(const char *prefix, char *msg)
{
        _cleanup_free_ char *safe = escape_nonprint(msg, "\n\t");
        struct strbuf sb = STRBUF_INIT;

        if (prefix)
                strbuf_puts(&sb, prefix);
        strbuf_puts(&sb, safe);
        if (sb.len == 0 || sb.buf[sb.len - 1] != '\n')
                strbuf_putc(&sb, '\n');
        fflush(stdout);
        (void)fwrite(sb.buf, 1, sb.len, stderr);
        free(msg);
        strbuf_release(&sb);
}

void log_full(enum log_level level, const char *fmt, ...)
{
        if (level <= max_level)
                log_emit(log_prefix, FORMAT_VARARGS(fmt));
}

void log_with_prefix(enum log_level level, const char *prefix, const char *fmt, ...)
{
        if (level <= max_level)
                log_emit(prefix, FORMAT_VARARGS(fmt));
}

int log_full_errno(enum log_level level, int r, const char *fmt, ...)
{
        r = r < 0 ? -r : r;
        if (level <= max_level) {
                errno = r;
                log_emit(log_prefix, FORMAT_VARARGS(fmt));
        }
        return -r;
}
