/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes-style resource quantities ("25Mi", "500m", "1G", "2e3") as used by appc's
 * resource isolators: syntax check and conversion to base units and thousandths.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "isolators.h"
#include "macro.h"

typedef unsigned __int128 u128;

#define U128_LIMIT (((u128)1 << 126))

struct quantity_parts {
        bool negative;
        u128 mantissa; /* all digits, the decimal point removed */
        int exp10;     /* value = mantissa * 2^exp2 * 10^exp10 */
        int exp2;
};

/* Parses [+-]DIGITS[.DIGITS] into p; returns the rest of the string or NULL. */
static const char *quantity_number(const char *s, struct quantity_parts *p)
{
        bool any = false, dot = false;

        if (*s == '+' || *s == '-')
                p->negative = *s++ == '-';
        for (; isdigit((unsigned char)*s) || (*s == '.' && !dot); s++) {
                if (*s == '.') {
                        dot = true;
                        continue;
                }
                any = true;
                if (p->mantissa < U128_LIMIT / 10)
                        p->mantissa = p->mantissa * 10 + (u128)(*s - '0');
                else
                        p->exp10++; /* too many digits: keep the magnitude */
                if (dot)
                        p->exp10--;
        }
        return any ? s : NULL;
}

static bool quantity_exponent(const char *s, int *ret)
{
        long v;
        char *end;

        if (!*s || (!isdigit((unsigned char)*s) &&
                    !((*s == '+' || *s == '-') && isdigit((unsigned char)s[1]))))
                return false;
        errno = 0;
        v = strtol(s, &end, 10);
        if (*end || errno != 0 || v < -1000 || v > 1000)
                return false;
        *ret = (int)v;
        return true;
}

/* Applies the suffix to p. False when it is not a known suffix. */
static bool quantity_suffix(const char *s, struct quantity_parts *p)
{
        static const char binary[] = "KMGTPE", decimal[] = "num kMGTPE";
        const char *c;
        int e;

        if (!*s)
                return true;
        if (s[1] == 'i' && !s[2] && *s && (c = strchr(binary, *s))) {
                p->exp2 += 10 * (int)(c - binary + 1);
                return true;
        }
        if (!s[1] && *s != ' ' && (c = strchr(decimal, *s))) {
                p->exp10 += 3 * (int)(c - decimal) - 9;
                return true;
        }
        if ((*s == 'e' || *s == 'E') && quantity_exponent(s + 1, &e)) {
                p->exp10 += e;
                return true;
        }
        return false;
}

/* ceil(p * 10^extra) as int64, saturating. */
static int64_t quantity_scaled(const struct quantity_parts *p, int extra)
{
        u128 x = p->mantissa, div = 1;
        int e10 = p->exp10 + extra;
        bool inexact = false;

        for (int i = 0; i < p->exp2 && x; i++)
                if ((x <<= 1) >= U128_LIMIT)
                        return p->negative ? INT64_MIN : INT64_MAX;
        for (; e10 > 0 && x; e10--)
                if ((x *= 10) >= U128_LIMIT)
                        return p->negative ? INT64_MIN : INT64_MAX;
        for (; e10 < 0 && div < U128_LIMIT / 10; e10++)
                div *= 10;
        if (e10 < 0) /* divisor beyond 10^37: the quotient is 0 */
                inexact = x != 0, x = 0;
        else
                inexact = x % div != 0, x /= div;
        if (!p->negative && inexact)
                x++;
        if (x > (u128)INT64_MAX)
                return p->negative ? INT64_MIN : INT64_MAX;
        return p->negative ? -(int64_t)x : (int64_t)x;
}

int ac_quantity_parse(const char *s, struct ac_quantity *ret, struct rk_error **reterr)
{
        struct quantity_parts p = {};
        const char *rest = quantity_number(s, &p);

        if (!rest || !quantity_suffix(rest, &p))
                return rk_error_set(reterr, EINVAL, "quantity \"%s\" is not valid", s);
        *ret = (struct ac_quantity){
                .text = xstrdup(s),
                .value = quantity_scaled(&p, 0),
                .milli_value = quantity_scaled(&p, 3),
        };
        return 0;
}
