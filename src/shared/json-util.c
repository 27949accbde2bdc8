/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go-compatible JSON serialization of jansson values (see json-util.h). Used wherever rkt
 * writes JSON that other tools compare or hash: manifests, list/status output.
 */
#include "json-util.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "strbuf.h"

/* Shortest "%.*e" rendering of |d| that reads back as the same double. */
static void float_shortest_e(double d, char *buf, size_t size)
{
        for (int prec = 0; prec < 17; prec++) {
                snprintf(buf, size, "%.*e", prec, d);
                if (strtod(buf, NULL) == d)
                        return;
        }
        snprintf(buf, size, "%.16e", d);
}

/* Splits "D.DDDDe+XX" into its digits (without trailing zeros) and decimal exponent. */
static void float_split(const char *e, char *digits, int *ret_exp)
{
        size_t n = 0;
        const char *p;

        for (p = e; *p && *p != 'e'; p++)
                if (*p != '.')
                        digits[n++] = *p;
        while (n > 1 && digits[n - 1] == '0')
                n--;
        digits[n] = '\0';
        *ret_exp = (int)strtol(p + 1, NULL, 10);
}

static void float_append_exp(struct strbuf *sb, const char *digits, int exp)
{
        strbuf_putc(sb, digits[0]);
        if (digits[1])
                strbuf_printf(sb, ".%s", digits + 1);
        /* Go prints at least two exponent digits, then encoding/json drops the padding
         * zero of small negative exponents: 1e-07 becomes 1e-7. */
        if (exp < 0 && exp > -10)
                strbuf_printf(sb, "e-%d", -exp);
        else
                strbuf_printf(sb, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
}

static void float_append_fixed(struct strbuf *sb, const char *digits, int exp)
{
        int n = (int)strlen(digits);

        if (exp < 0) {
                strbuf_puts(sb, "0.");
                for (int i = 0; i < -exp - 1; i++)
                        strbuf_putc(sb, '0');
                strbuf_puts(sb, digits);
                return;
        }
        for (int i = 0; i <= exp || i < n; i++) {
                if (i == exp + 1)
                        strbuf_putc(sb, '.');
                strbuf_putc(sb, i < n ? digits[i] : '0');
        }
}

/* Appends d as Go's encoding/json prints a float64. */
static void float_append(struct strbuf *sb, double d)
{
        char e[40], digits[24];
        double a = fabs(d);
        int exp;

        if (!isfinite(d)) {
                strbuf_puts(sb, "null");
                return;
        }
        if (signbit(d))
                strbuf_putc(sb, '-');
        if (a == 0) {
                strbuf_putc(sb, '0');
                return;
        }
        float_shortest_e(a, e, sizeof(e));
        float_split(e, digits, &exp);
        if (a < 1e-6 || a >= 1e21)
                float_append_exp(sb, digits, exp);
        else
                float_append_fixed(sb, digits, exp);
}

void json_format_go_float(double d, char buf[static 32])
{
        struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *s = NULL;

        float_append(&sb, d);
        s = strbuf_detach(&sb);
        snprintf(buf, 32, "%s", s);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t left, uint32_t *ret_cp)
{
        size_t n;
        uint32_t cp;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (left < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return n;
}

static void put_escaped_ascii(struct strbuf *sb, unsigned char c)
{
        switch (c) {
        case '"':
                strbuf_puts(sb, "\\\"");
                break;
        case '\\':
                strbuf_puts(sb, "\\\\");
                break;
        case '\n':
                strbuf_puts(sb, "\\n");
                break;
        case '\r':
                strbuf_puts(sb, "\\r");
                break;
        case '\t':
                strbuf_puts(sb, "\\t");
                break;
        default:
                if (c < 0x20 || c == '<' || c == '>' || c == '&')
                        strbuf_printf(sb, "\\u%04x", c);
                else
                        strbuf_putc(sb, (char)c);
        }
}

static void put_string(struct strbuf *sb, const char *str, size_t len)
{
        const unsigned char *s = (const unsigned char *)str;

        strbuf_putc(sb, '"');
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_seq_len(s + i, len - i, &cp);

                if (n == 0) {
                        strbuf_puts(sb, "\\ufffd");
                        i++;
                } else if (n == 1) {
                        put_escaped_ascii(sb, s[i]);
                        i++;
                } else {
                        if (cp == 0x2028 || cp == 0x2029)
                                strbuf_printf(sb, "\\u%04x", (unsigned)cp);
                        else
                                strbuf_add(sb, s + i, n);
                        i += n;
                }
        }
        strbuf_putc(sb, '"');
}

static void put_newline(struct strbuf *sb, bool pretty, int depth)
{
        if (!pretty)
                return;
        strbuf_putc(sb, '\n');
        for (int i = 0; i < depth; i++)
                strbuf_putc(sb, '\t');
}

static void put_value(struct strbuf *sb, const json_t *v, bool pretty, int depth);

static void put_object(struct strbuf *sb, const json_t *v, bool pretty, int depth)
{
        const char *key;
        json_t *child;
        bool first = true;

        if (json_object_size(v) == 0) {
                strbuf_puts(sb, "{}");
                return;
        }
        strbuf_putc(sb, '{');
        json_object_foreach((json_t *)v, key, child) {
                if (!first)
                        strbuf_putc(sb, ',');
                first = false;
                put_newline(sb, pretty, depth + 1);
                put_string(sb, key, strlen(key));
                strbuf_puts(sb, pretty ? ": " : ":");
                put_value(sb, child, pretty, depth + 1);
        }
        put_newline(sb, pretty, depth);
        strbuf_putc(sb, '}');
}

static void put_array(struct strbuf *sb, const json_t *v, bool pretty, int depth)
{
        size_t n = json_array_size(v);

        if (n == 0) {
                strbuf_puts(sb, "[]");
                return;
        }
        strbuf_putc(sb, '[');
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strbuf_putc(sb, ',');
                put_newline(sb, pretty, depth + 1);
                put_value(sb, json_array_get(v, i), pretty, depth + 1);
        }
        put_newline(sb, pretty, depth);
        strbuf_putc(sb, ']');
}

static void put_value(struct strbuf *sb, const json_t *v, bool pretty, int depth)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                put_object(sb, v, pretty, depth);
                break;
        case JSON_ARRAY:
                put_array(sb, v, pretty, depth);
                break;
        case JSON_STRING:
                put_string(sb, json_string_value(v), json_string_length(v));
                break;
        case JSON_INTEGER:
                strbuf_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                break;
        case JSON_REAL:
                float_append(sb, json_real_value(v));
                break;
        case JSON_TRUE:
                strbuf_puts(sb, "true");
                break;
        case JSON_FALSE:
                strbuf_puts(sb, "false");
                break;
        case JSON_NULL:
                strbuf_puts(sb, "null");
                break;
        }
}

char *json_dump_go(const json_t *v, bool pretty)
{
        struct strbuf sb = STRBUF_INIT;

        put_value(&sb, v, pretty, 0);
        return strbuf_detach(&sb);
}
