/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc basic types: name grammars, hashes, versions, dates, URLs and label lists.
 * Pure string checks shared by the manifest parsers and the CLI's image-name parsing.
 */
#include "types.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * appc's code (not its regular expression): only [a-z0-9] and characters from seps, the
 * first and the last one alphanumeric; separators may follow each other ("shorthash--6").
 */
static bool name_is_valid(const char *s, const char *seps)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_lower_alnum(s[i]) && !strchr(seps, s[i]))
                        return false;
        return true;
}

/* Whether a "/"-separated component of s is empty, "." or "..". */
static bool has_dot_component(const char *s)
{
        for (const char *c = s; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
                size_t len = strcspn(c, "/");
                if (len == 0 || (len == 1 && c[0] == '.') ||
                    (len == 2 && c[0] == '.' && c[1] == '.'))
                        return true;
        }
        return false;
}

bool ac_identifier_is_valid(const char *s)
{
        /* a deliberate difference from appc: names become paths (keystore prefix.d/<name>,
         * discovery URLs), so no component may be empty, "." or ".." */
        return name_is_valid(s, "-._~/") && !has_dot_component(s);
}

bool ac_name_is_valid(const char *s)
{
        return name_is_valid(s, "-");
}

bool ac_hash_is_valid(const char *s)
{
        const char *v;

        if (!s || strncmp(s, "sha512-", 7) != 0)
                return false;
        v = s + 7;
        return *v && strspn(v, "0123456789abcdef") == strlen(v);
}

/* Parses a decimal number at *p (digits only), advancing *p. False on no digits/overflow. */
static bool parse_u64(const char **p, uint64_t *ret)
{
        uint64_t v = 0;
        const char *s = *p;

        if (!isdigit((unsigned char)*s))
                return false;
        for (; isdigit((unsigned char)*s); s++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return false;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        *p = s;
        *ret = v;
        return true;
}

static bool semver_ident_is_valid(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
                        return false;
        return true;
}

/* Splits s into numbers and the "-pre+meta" tail. Returns false when malformed. */
static bool semver_split(const char *s, uint64_t v[3], const char **ret_tail)
{
        const char *p = s, *plus;

        if (!s)
                return false;
        for (int i = 0; i < 3; i++) {
                if (i > 0 && *p++ != '.')
                        return false;
                if (!parse_u64(&p, &v[i]))
                        return false;
        }
        if (*p && *p != '-' && *p != '+')
                return false;
        plus = strchr(p, '+');
        if (*p == '-' && !semver_ident_is_valid(p + 1, (plus ? (size_t)(plus - p) : strlen(p)) - 1))
                return false;
        if (plus && !semver_ident_is_valid(plus + 1, strlen(plus + 1)))
                return false;
        *ret_tail = p;
        return v[0] || v[1] || v[2] || *p;
}

bool ac_semver_is_valid(const char *s)
{
        uint64_t v[3];
        const char *tail;

        return semver_split(s, v, &tail);
}

char *ac_semver_normalize(const char *s)
{
        uint64_t v[3];
        const char *tail;

        if (!semver_split(s, v, &tail))
                return NULL;
        return xasprintf("%" PRIu64 ".%" PRIu64 ".%" PRIu64 "%s", v[0], v[1], v[2], tail);
}

/* Reads exactly n digits at *p into *ret, advancing *p. */
static bool parse_fixed_digits(const char **p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                char c = (*p)[i];

                if (!isdigit((unsigned char)c))
                        return false;
                v = v * 10 + (c - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

static int days_in_month(int year, int month)
{
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

        return month == 2 && leap ? 29 : days[month - 1];
}

/* Parses "YYYY-MM-DDTHH:MM:SS" at *p; checks ranges like Go's time.Parse. */
static bool parse_date_time(const char **p)
{
        int year, mon, day, hour, min, sec;
        const char *s = *p;

        if (!parse_fixed_digits(&s, 4, &year) || *s++ != '-' || !parse_fixed_digits(&s, 2, &mon) ||
            *s++ != '-' || !parse_fixed_digits(&s, 2, &day) || *s++ != 'T' ||
            !parse_fixed_digits(&s, 2, &hour) || *s++ != ':' || !parse_fixed_digits(&s, 2, &min) ||
            *s++ != ':' || !parse_fixed_digits(&s, 2, &sec))
                return false;
        if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 ||
            min > 59 || sec > 59)
                return false;
        *p = s;
        return true;
}

bool ac_date_is_valid(const char *s)
{
        int oh, om;

        if (!s || !parse_date_time(&s))
                return false;
        if (*s == '.' || *s == ',') {
                s++;
                if (!isdigit((unsigned char)*s))
                        return false;
                while (isdigit((unsigned char)*s))
                        s++;
        }
        if (*s == 'Z')
                return s[1] == '\0';
        if (*s != '+' && *s != '-')
                return false;
        s++;
        if (!parse_fixed_digits(&s, 2, &oh) || *s++ != ':' || !parse_fixed_digits(&s, 2, &om))
                return false;
        return *s == '\0' && oh < 24 && om < 60;
}

bool ac_url_is_valid(const char *s)
{
        if (!s)
                return false;
        if (strncasecmp(s, "http:", 5) != 0 && strncasecmp(s, "https:", 6) != 0)
                return false;
        for (; *s; s++)
                if ((unsigned char)*s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}
