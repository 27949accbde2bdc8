/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go-compatible JSON serialization of jansson values (see json-util.h). Used wherever rkt
 * writes JSON that other tools compare or hash: manifests, list/status output.
 */
#include "json-util.h"

#include <errno.h>
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

/* --- reading JSON as Go's encoding/json --- */

static void set_error(char **ret_error, char *msg)
{
        if (ret_error)
                *ret_error = msg;
        else
                free(msg);
}

/* The length of the byte sequence at k that folds to the ASCII letter c (0: none). */
static size_t fold_match(const char *k, char c)
{
        char lower = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);

        if ((k[0] >= 'A' && k[0] <= 'Z' ? k[0] + 32 : k[0]) == lower)
                return 1;
        if (lower == 'k' && strncmp(k, "\xe2\x84\xaa", 3) == 0) /* KELVIN SIGN */
                return 3;
        if (lower == 's' && strncmp(k, "\xc5\xbf", 2) == 0) /* LATIN SMALL LETTER LONG S */
                return 2;
        return 0;
}

bool json_key_matches(const char *key, const char *field)
{
        for (; *field; field++) {
                size_t n = fold_match(key, *field);

                if (n == 0)
                        return false;
                key += n;
        }
        return *key == '\0';
}

int json_field_get(const json_t *obj, const char *field, json_t **ret, char **ret_error)
{
        const char *key, *found = NULL;
        json_t *v, *value = NULL;

        *ret = NULL;
        if (!json_is_object(obj))
                return 0;
        json_object_foreach((json_t *)obj, key, v) {
                if (!json_key_matches(key, field))
                        continue;
                if (found) {
                        set_error(ret_error,
                                  xasprintf("duplicate key \"%s\" (the same field as \"%s\")",
                                            strcmp(found, field) == 0 ? key : found,
                                            strcmp(found, field) == 0 ? found : key));
                        return -EEXIST;
                }
                found = key;
                value = v;
        }
        *ret = value;
        return value ? 1 : 0;
}

static int canonicalise_object(json_t *obj, const struct json_field_spec *spec, char **ret_error);

/* v's members under spec: each object of an array (of arrays), or v itself. */
static int canonicalise_value(json_t *v, const struct json_field_spec *spec, char **ret_error)
{
        json_t *e;
        size_t i;
        int r;

        if (json_is_object(v))
                return canonicalise_object(v, spec, ret_error);
        json_array_foreach(v, i, e) {
                r = canonicalise_value(e, spec, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Gives the members of obj named in renames (key, field, key, field, ...) their field's
 * name, keeping the members' order. */
static void rename_members(json_t *obj, const char *const *renames, size_t n)
{
        _cleanup_json_ json_t *copy = json_object();
        const char *k;
        json_t *v;

        json_object_foreach(obj, k, v) {
                const char *name = k;

                for (size_t i = 0; i < n; i += 2)
                        if (strcmp(renames[i], k) == 0)
                                name = renames[i + 1];
                json_object_set(copy, name, v);
        }
        json_object_clear(obj);
        json_object_update(obj, copy);
}

static int canonicalise_object(json_t *obj, const struct json_field_spec *spec, char **ret_error)
{
        _cleanup_free_ const char **renames = NULL;
        size_t n = 0;

        for (const struct json_field_spec *f = spec; f->name; f++) {
                const char *k;
                json_t *v, *value;
                int r = json_field_get(obj, f->name, &value, ret_error);

                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                json_object_foreach(obj, k, v)
                        if (v == value && json_key_matches(k, f->name) && strcmp(k, f->name)) {
                                renames = oom_check(reallocarray(renames, n + 2, sizeof(char *)));
                                renames[n++] = k;
                                renames[n++] = f->name;
                        }
                if (f->fields) {
                        r = canonicalise_value(value, f->fields, ret_error);
                        if (r < 0)
                                return r;
                }
        }
        if (n > 0)
                rename_members(obj, renames, n);
        return 0;
}

int json_fields_canonicalise(json_t *v, const struct json_field_spec *spec, char **ret_error)
{
        return canonicalise_value(v, spec, ret_error);
}

json_t *json_load_strict(const char *buf, size_t len, size_t flags, char **ret_error)
{
        static const char dup[] = "duplicate object key near '";
        json_error_t err;
        json_t *v = json_loadb(buf, len, flags | JSON_REJECT_DUPLICATES, &err);
        size_t n;

        if (v)
                return v;
        n = strlen(err.text);
        if (strncmp(err.text, dup, strlen(dup)) == 0 && n > strlen(dup) && err.text[n - 1] == '\'')
                set_error(ret_error,
                          xasprintf("line %d, column %d: duplicate key %.*s", err.line, err.column,
                                    (int)(n - strlen(dup) - 1), err.text + strlen(dup)));
        else
                set_error(ret_error,
                          xasprintf("line %d, column %d: %s", err.line, err.column, err.text));
        return NULL;
}

json_t *json_load_fields(const char *buf, size_t len, const struct json_field_spec *spec,
                         char **ret_error)
{
        json_t *v = json_load_strict(buf, len, JSON_DECODE_ANY, ret_error);

        if (v && json_fields_canonicalise(v, spec, ret_error) < 0) {
                json_decref(v);
                return NULL;
        }
        return v;
}

json_t *json_load_object_fields(const char *buf, size_t len, const struct json_field_spec *spec,
                                char **ret_error)
{
        json_t *v = json_load_fields(buf, len, spec, ret_error);

        if (v && !json_is_object(v)) {
                json_decref(v);
                *ret_error = xstrdup("not a JSON object");
                return NULL;
        }
        return v;
}
