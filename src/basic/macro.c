/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation helpers that treat out-of-memory as fatal. */
#include "macro.h"

#include <stdarg.h>
#include <string.h>

void *oom_check(void *x)
{
        if (!x) {
                fputs("rkt: out of memory\n", stderr);
                abort();
        }
        return x;
}

char *xstrdup(const char *s)
{
        return s ? oom_check(strdup(s)) : NULL;
}

char *xvasprintf(const char *fmt, va_list ap)
{
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return oom_check(NULL);
        return s;
}

char *xasprintf(const char *fmt, ...)
{
        return FORMAT_VARARGS(fmt);
}
