/* SPDX-License-Identifier: Apache-2.0 */
/* Strict parsers for booleans, 64-bit integers (matching Go's strconv) and IDs. libc only. */
#include "parse-util.h"

#include <errno.h>
#include <string.h>

#include "macro.h"

int parse_bool_go(const char *s, bool *ret)
{
        static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int safe_atou64(const char *s, uint64_t *ret)
{
        uint64_t v = 0;

        if (!s || *s == '\0')
                return -EINVAL;
        /* Go reports a syntax error before a range error, so scan the whole string first. */
        for (const char *p = s; *p; p++)
                if (*p < '0' || *p > '9')
                        return -EINVAL;
        for (const char *p = s; *p; p++) {
                unsigned digit = (unsigned)(*p - '0');

                if (v > (UINT64_MAX - digit) / 10)
                        return -ERANGE;
                v = v * 10 + digit;
        }
        *ret = v;
        return 0;
}

int safe_atoi64(const char *s, int64_t *ret)
{
        uint64_t u;
        bool neg = false;
        int r;

        if (!s)
                return -EINVAL;
        if (*s == '+' || *s == '-') {
                neg = *s == '-';
                s++;
        }
        r = safe_atou64(s, &u);
        if (r < 0)
                return r;
        if (neg) {
                if (u > (uint64_t)INT64_MAX + 1)
                        return -ERANGE;
                *ret = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
                return 0;
        }
        if (u > (uint64_t)INT64_MAX)
                return -ERANGE;
        *ret = (int64_t)u;
        return 0;
}

bool id_is_numeric(const char *s)
{
        return s && ((*s >= '0' && *s <= '9') || *s == '+' || *s == '-');
}

int parse_id(const char *s, uint32_t *ret)
{
        uint64_t v;
        int r = safe_atou64(s, &v);

        if (r < 0)
                return r;
        if (v >= ID_INVALID)
                return -ERANGE;
        *ret = (uint32_t)v;
        return 0;
}

int parse_size_iec(const char *s, uint64_t *ret)
{
        static const char units[] = "KMGTP";
        _cleanup_free_ char *digits = NULL;
        const char *u;
        size_t n = s ? strlen(s) : 0;
        uint64_t v;
        int r;

        if (n == 0)
                return -EINVAL;
        u = (s[n - 1] & ~0x20) ? strchr(units, s[n - 1] & ~0x20) : NULL;
        if (u)
                n--;
        digits = oom_check(strndup(s, n));
        r = safe_atou64(digits, &v);
        if (r < 0)
                return r;
        for (const char *p = units; u && p <= u; p++) {
                if (v > UINT64_MAX / 1024)
                        return -ERANGE;
                v *= 1024;
        }
        *ret = v;
        return 0;
}
