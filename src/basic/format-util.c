/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Size formatting for tables (rkt image list), no libm: the arithmetic is done by hand; Go's
 * string quoting for messages.
 */
#include "format-util.h"

#include <inttypes.h>
#include <string.h>

#include "macro.h"
#include "strbuf.h"

char *format_size_iec(uint64_t bytes)
{
        static const char *const suffixes[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double base = 1, v;
        unsigned e = 0;

        if (bytes < 10)
                return xasprintf("%" PRIu64 "B", bytes);

        while (e + 1 < ELEMENTSOF(suffixes) && bytes / 1024 >= (uint64_t)base) {
                base *= 1024;
                e++;
        }
        /* floor(x + 0.5) for 0 <= x < 2^63, without libm. */
        v = (double)(uint64_t)((double)bytes / base * 10 + 0.5) / 10;
        if (v < 10)
                return xasprintf("%.1f%s", v, suffixes[e]);
        return xasprintf("%.0f%s", v, suffixes[e]);
}

void hex_encode(const void *data, size_t len, char *out)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = data;

        for (size_t i = 0; i < len; i++) {
                out[2 * i] = hex[p[i] >> 4];
                out[2 * i + 1] = hex[p[i] & 15];
        }
        out[2 * len] = '\0';
}

char *format_go_quote(const char *s)
{
        static const char named[] = "\a\b\f\n\r\t\v", letters[] = "abfnrtv";
        struct strbuf sb = STRBUF_INIT;

        strbuf_putc(&sb, '"');
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                const char *n = strchr(named, *p);

                if (*p == '"' || *p == '\\')
                        strbuf_printf(&sb, "\\%c", *p);
                else if (n)
                        strbuf_printf(&sb, "\\%c", letters[n - named]);
                else if (*p < 0x20 || *p == 0x7f)
                        strbuf_printf(&sb, "\\x%02x", *p);
                else
                        strbuf_putc(&sb, (char)*p);
        }
        strbuf_putc(&sb, '"');
        return strbuf_detach(&sb);
}

char *format_go_backquote(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p == '`' || (*p < 0x20 && *p != '\t') || *p == 0x7f)
                        return format_go_quote(s);
        return xasprintf("`%s`", s);
}
