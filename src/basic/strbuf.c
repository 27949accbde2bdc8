/* SPDX-License-Identifier: Apache-2.0 */
/* Growable string buffer. */
#include "strbuf.h"

#include <stdarg.h>
#include <string.h>

static void strbuf_grow(struct strbuf *sb, size_t extra)
{
        size_t want = sb->len + extra + 1;

        if (want <= sb->alloc)
                return;
        sb->alloc = MAX(want, sb->alloc * 2);
        sb->alloc = MAX(sb->alloc, (size_t)64);
        sb->buf = oom_check(realloc(sb->buf, sb->alloc));
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
        strbuf_grow(sb, len);
        memcpy(sb->buf + sb->len, data, len);
        sb->len += len;
        sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
        strbuf_add(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
        strbuf_add(sb, &c, 1);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
        va_list ap, ap2;
        int n;

        va_start(ap, fmt);
        va_copy(ap2, ap);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        strbuf_grow(sb, (size_t)n);
        vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap2);
        va_end(ap2);
        sb->len += (size_t)n;
}

const char *strbuf_str(const struct strbuf *sb)
{
        return sb->buf ? sb->buf : "";
}

char *strbuf_detach(struct strbuf *sb)
{
        char *s = sb->buf ? sb->buf : xstrdup("");

        sb->buf = NULL;
        sb->len = sb->alloc = 0;
        return s;
}

void strbuf_release(struct strbuf *sb)
{
        free(sb->buf);
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
}

void strbuf_reset(struct strbuf *sb)
{
        sb->len = 0;
        if (sb->buf)
                sb->buf[0] = '\0';
}
