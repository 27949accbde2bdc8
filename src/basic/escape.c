/* SPDX-License-Identifier: Apache-2.0 */
/* Escaping of non-printing characters (see escape.h). libc only. */
#include "escape.h"

#include <stdint.h>
#include <string.h>

#include "strbuf.h"

size_t utf8_valid_len(const unsigned char *p)
{
        unsigned char lo = 0x80, hi = 0xbf;
        size_t len;

        if (p[0] < 0x80)
                return 1;
        if (p[0] < 0xc2 || p[0] > 0xf4)
                return 0;
        len = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
        /* Reject overlong forms, surrogates and code points above U+10FFFF. */
        if (p[0] == 0xe0)
                lo = 0xa0;
        else if (p[0] == 0xed)
                hi = 0x9f;
        else if (p[0] == 0xf0)
                lo = 0x90;
        else if (p[0] == 0xf4)
                hi = 0x8f;
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        return len;
}

static bool is_control(unsigned char c)
{
        return c < 0x20 || c == 0x7f;
}

bool escape_has_control(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (is_control(*p))
                        return true;
        return false;
}

static uint32_t utf8_decode(const unsigned char *p, size_t len)
{
        static const unsigned char first_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
        uint32_t cp = p[0] & first_mask[len];

        for (size_t i = 1; i < len; i++)
                cp = (cp << 6) | (p[i] & 0x3f);
        return cp;
}

/* Code points that print nothing visible or reorder what follows them. */
static bool is_invisible(uint32_t cp)
{
        return (cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x61c || cp == 0x180e ||
               (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
               (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

static void escape_control(struct strbuf *sb, unsigned char c)
{
        static const char named[] = "\a\b\t\n\v\f\r";
        static const char letters[] = "abtnvfr";
        const char *n = c ? strchr(named, c) : NULL;

        if (n)
                strbuf_printf(sb, "\\%c", letters[n - named]);
        else
                strbuf_printf(sb, "\\x%02x", c);
}

char *escape_nonprint(const char *s, const char *keep)
{
        struct strbuf sb = STRBUF_INIT;
        const unsigned char *p = (const unsigned char *)s;

        while (*p) {
                size_t len = utf8_valid_len(p);

                if (len == 0 || (is_control(*p) && !(keep && strchr(keep, *p)))) {
                        escape_control(&sb, *p);
                        p++;
                        continue;
                }
                if (len > 1 && is_invisible(utf8_decode(p, len)))
                        strbuf_printf(&sb, "\\u%04x", utf8_decode(p, len));
                else
                        strbuf_add(&sb, p, len);
                p += len;
        }
        return strbuf_detach(&sb);
}
