/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Go-compatible time formatting: timestamps as rkt prints them, go-humanize relative times,
 * and time.Duration parsing/printing (SPEC.md §1.4). Pure libc; runs in any process.
 */
#include "time-util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "macro.h"

#define SEC_PER_DAY (INT64_C(24) * 3600)

/* The largest magnitude of a Go Duration, as an unsigned value (1<<63). */
#define DURATION_ABS_MAX (UINT64_C(1) << 63)

int64_t now_ns(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Writes ".d", ".dd" or ".ddd" (trailing zeros dropped) or "" for a millisecond count. */
static void format_millis(int ms, char ret[static 5])
{
        int len;

        if (ms == 0) {
                ret[0] = '\0';
                return;
        }
        (void)snprintf(ret, 5, ".%03d", ms);
        for (len = 4; ret[len - 1] == '0'; len--)
                ret[len - 1] = '\0';
}

/* Writes Go's "-0700" form of an offset in seconds east of UTC (seconds are dropped). */
static void format_offset(long gmtoff, char ret[static 16])
{
        long minutes = gmtoff / 60;
        char sign = '+';

        if (minutes < 0) {
                sign = '-';
                minutes = -minutes;
        }
        (void)snprintf(ret, 16, "%c%02ld%02ld", sign, minutes / 60 % 100, minutes % 60);
}

char *format_time_go(int64_t unix_ns)
{
        char millis[5], offset[16];
        int64_t nsec;
        time_t sec;
        struct tm tm;

        if (unix_ns == TIME_NS_ZERO)
                return xstrdup("0001-01-01 00:00:00 +0000 UTC");

        sec = (time_t)(unix_ns / NSEC_PER_SEC);
        nsec = unix_ns % NSEC_PER_SEC;
        if (nsec < 0) {
                nsec += NSEC_PER_SEC;
                sec--;
        }
        if (!localtime_r(&sec, &tm))
                return xstrdup("0001-01-01 00:00:00 +0000 UTC"); /* not reachable for int64 ns */

        format_millis((int)(nsec / NSEC_PER_MSEC), millis);
        format_offset(tm.tm_gmtoff, offset);
        return xasprintf("%04d-%02d-%02d %02d:%02d:%02d%s %s %s", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis, offset,
                         tm.tm_zone && tm.tm_zone[0] ? tm.tm_zone : offset);
}

/*
 * go-humanize's magnitude table: the first row whose bound (in seconds) exceeds the
 * difference is used. Rows with a fixed text print it; the others print d / div and a unit.
 */
struct rel_magnitude {
        int64_t below;
        const char *text;
        const char *unit;
        int64_t div;
};

static const struct rel_magnitude rel_magnitudes[] = {
        {2, "1 second", NULL, 0},
        {60, NULL, "seconds", 1},
        {120, "1 minute", NULL, 0},
        {3600, NULL, "minutes", 60},
        {7200, "1 hour", NULL, 0},
        {SEC_PER_DAY, NULL, "hours", 3600},
        {2 * SEC_PER_DAY, "1 day", NULL, 0},
        {7 * SEC_PER_DAY, NULL, "days", SEC_PER_DAY},
        {14 * SEC_PER_DAY, "1 week", NULL, 0},
        {30 * SEC_PER_DAY, NULL, "weeks", 7 * SEC_PER_DAY},
        {60 * SEC_PER_DAY, "1 month", NULL, 0},
        {360 * SEC_PER_DAY, NULL, "months", 30 * SEC_PER_DAY},
        {540 * SEC_PER_DAY, "1 year", NULL, 0},
        {720 * SEC_PER_DAY, "2 years", NULL, 0},
        {37 * 360 * SEC_PER_DAY, NULL, "years", 360 * SEC_PER_DAY},
        {INT64_MAX, "a long while", NULL, 0},
};

/* Returns |a - b| saturated to INT64_MAX. */
static int64_t abs_diff_saturated(int64_t a, int64_t b)
{
        int64_t d;

        if (a < b) {
                int64_t t = a;
                a = b;
                b = t;
        }
        if (__builtin_sub_overflow(a, b, &d))
                return INT64_MAX;
        return d;
}

char *format_time_relative(int64_t then_ns, int64_t now_ns)
{
        const char *label = then_ns > now_ns ? "from now" : "ago";
        int64_t d = abs_diff_saturated(then_ns, now_ns) / NSEC_PER_SEC;
        const struct rel_magnitude *m = rel_magnitudes;

        if (d < 1)
                return xstrdup("now");
        while (m->below != INT64_MAX && d >= m->below)
                m++;
        if (m->text)
                return xasprintf("%s %s", m->text, label);
        return xasprintf("%lld %s %s", (long long)(d / m->div), m->unit, label);
}

/* Duration units accepted by Go, in nanoseconds. */
static const struct {
        const char *name;
        uint64_t ns;
} duration_units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* U+00B5 MICRO SIGN */
        {"\xce\xbcs", 1000}, /* U+03BC GREEK SMALL LETTER MU */
        {"ms", 1000000},
        {"s", 1000000000},
        {"m", UINT64_C(60) * 1000000000},
        {"h", UINT64_C(3600) * 1000000000},
};

static int duration_unit_lookup(const char *u, size_t len, uint64_t *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++)
                if (strlen(duration_units[i].name) == len &&
                    memcmp(duration_units[i].name, u, len) == 0) {
                        *ret = duration_units[i].ns;
                        return 0;
                }
        return -EINVAL;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Consumes [0-9]* at *p into *ret; -ERANGE when the value exceeds 1<<63. */
static int duration_leading_int(const char **p, uint64_t *ret)
{
        uint64_t x = 0;

        for (; is_digit(**p); (*p)++) {
                if (x > DURATION_ABS_MAX / 10)
                        return -ERANGE;
                x = x * 10 + (uint64_t)(**p - '0');
                if (x > DURATION_ABS_MAX)
                        return -ERANGE;
        }
        *ret = x;
        return 0;
}

/*
 * Consumes [0-9]* at *p as a fraction: value = *ret_f / *ret_scale. Digits that would overflow
 * are consumed but ignored (they are below nanosecond precision anyway).
 */
static void duration_leading_fraction(const char **p, uint64_t *ret_f, double *ret_scale)
{
        uint64_t x = 0;
        double scale = 1;
        bool overflow = false;

        for (; is_digit(**p); (*p)++) {
                uint64_t y;

                if (overflow)
                        continue;
                if (x > (DURATION_ABS_MAX - 1) / 10) {
                        overflow = true;
                        continue;
                }
                y = x * 10 + (uint64_t)(**p - '0');
                if (y > DURATION_ABS_MAX) {
                        overflow = true;
                        continue;
                }
                x = y;
                scale *= 10;
        }
        *ret_f = x;
        *ret_scale = scale;
}

/* Parses one <decimal>[.<fraction>]<unit> at *p into *ret (absolute nanoseconds). */
static int duration_parse_component(const char **p, uint64_t *ret)
{
        const char *s = *p, *unit_start;
        uint64_t v, f = 0, unit;
        double scale = 1;
        bool pre, post = false;
        int r;

        if (*s != '.' && !is_digit(*s))
                return -EINVAL;
        r = duration_leading_int(&s, &v);
        if (r < 0)
                return r;
        pre = s != *p;
        if (*s == '.') {
                const char *frac = ++s;

                duration_leading_fraction(&s, &f, &scale);
                post = s != frac;
        }
        if (!pre && !post)
                return -EINVAL;

        for (unit_start = s; *s && *s != '.' && !is_digit(*s); s++)
                ;
        if (s == unit_start)
                return -EINVAL;
        r = duration_unit_lookup(unit_start, (size_t)(s - unit_start), &unit);
        if (r < 0)
                return r;

        if (v > DURATION_ABS_MAX / unit)
                return -ERANGE;
        v *= unit;
        if (f > 0) {
                /* Go converts through float64 to stay exact for fractions of hours. */
                v += (uint64_t)((double)f * ((double)unit / scale));
                if (v > DURATION_ABS_MAX)
                        return -ERANGE;
        }
        *ret = v;
        *p = s;
        return 0;
}

int parse_duration_go(const char *s, int64_t *ret_ns)
{
        uint64_t d = 0;
        bool neg = false;

        if (!s)
                return -EINVAL;
        if (*s == '-' || *s == '+') {
                neg = *s == '-';
                s++;
        }
        if (strcmp(s, "0") == 0) {
                *ret_ns = 0;
                return 0;
        }
        if (*s == '\0')
                return -EINVAL;

        while (*s) {
                uint64_t v;
                int r = duration_parse_component(&s, &v);

                if (r < 0)
                        return r;
                if (v > DURATION_ABS_MAX - d)
                        return -ERANGE;
                d += v;
        }

        if (neg) {
                *ret_ns = d == DURATION_ABS_MAX ? INT64_MIN : -(int64_t)d;
                return 0;
        }
        if (d > (uint64_t)INT64_MAX)
                return -ERANGE;
        *ret_ns = (int64_t)d;
        return 0;
}

/*
 * Writes the fractional part of v / 10^prec right-aligned before buf[*w] (trailing zeros and a
 * zero fraction's dot omitted), moves *w left, and returns the integer part.
 */
static uint64_t duration_put_frac(char *buf, size_t *w, uint64_t v, int prec)
{
        bool print = false;

        for (int i = 0; i < prec; i++) {
                char digit = (char)('0' + v % 10);

                print = print || digit != '0';
                if (print)
                        buf[--*w] = digit;
                v /= 10;
        }
        if (print)
                buf[--*w] = '.';
        return v;
}

/* Writes v in decimal right-aligned before buf[*w] and moves *w left. */
static void duration_put_int(char *buf, size_t *w, uint64_t v)
{
        do {
                buf[--*w] = (char)('0' + v % 10);
                v /= 10;
        } while (v > 0);
}

/* Below one second Go picks the largest of ns, µs, ms that keeps an integer part. */
static void duration_put_subsecond(char *buf, size_t *w, uint64_t u)
{
        int prec;

        buf[--*w] = 's';
        if (u < 1000) {
                prec = 0;
                buf[--*w] = 'n';
        } else if (u < 1000000) {
                prec = 3;
                *w -= 2;
                memcpy(buf + *w, "\xc2\xb5", 2);
        } else {
                prec = 6;
                buf[--*w] = 'm';
        }
        u = duration_put_frac(buf, w, u, prec);
        duration_put_int(buf, w, u);
}

char *format_duration_go(int64_t ns)
{
        char buf[32];
        size_t w = sizeof(buf);
        uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

        if (u == 0)
                return xstrdup("0s");

        buf[--w] = '\0';
        if (u < (uint64_t)NSEC_PER_SEC)
                duration_put_subsecond(buf, &w, u);
        else {
                buf[--w] = 's';
                u = duration_put_frac(buf, &w, u, 9);
                duration_put_int(buf, &w, u % 60);
                u /= 60;
                if (u > 0) {
                        buf[--w] = 'm';
                        duration_put_int(buf, &w, u % 60);
                        u /= 60;
                        if (u > 0) {
                                buf[--w] = 'h';
                                duration_put_int(buf, &w, u);
                        }
                }
        }
        if (ns < 0)
                buf[--w] = '-';
        return xstrdup(buf + w);
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned)(y - era * 400);
        unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

        return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil(). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
        z += 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;

        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

size_t format_time_rfc3339nano(int64_t unix_ns, char buf[static TIME_RFC3339NANO_MAX])
{
        int64_t sec = unix_ns / NSEC_PER_SEC, nsec = unix_ns % NSEC_PER_SEC, days, y;
        unsigned m, d, secs;
        char frac[11] = "";
        int n;

        if (nsec < 0) {
                nsec += NSEC_PER_SEC;
                sec--;
        }
        days = sec / 86400;
        if (sec % 86400 < 0)
                days--;
        secs = (unsigned)(sec - days * 86400);
        civil_from_days(days, &y, &m, &d);
        y = y < 0 ? 0 : y > 9999 ? 9999 : y;
        if (nsec > 0) {
                int len = snprintf(frac, sizeof(frac), ".%09d", (int)nsec);
                while (len > 1 && frac[len - 1] == '0')
                        frac[--len] = 0;
        }
        n = snprintf(buf, TIME_RFC3339NANO_MAX, "%04d-%02u-%02uT%02u:%02u:%02u%sZ", (int)y, m, d,
                     secs / 3600, secs / 60 % 60, secs % 60, frac);
        return n < 0 ? 0 : (size_t)n;
}

/* n decimal digits at s into *ret. */
static bool digits(const char *s, size_t n, unsigned *ret)
{
        unsigned v = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        *ret = v;
        return true;
}

static int parse_zone(const char *s, size_t len, int64_t *ret_offset)
{
        unsigned hh, mm;

        if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
                *ret_offset = 0;
                return 0;
        }
        if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits(s + 1, 2, &hh) ||
            !digits(s + 4, 2, &mm) || hh > 23 || mm > 59)
                return -EINVAL;
        *ret_offset = (s[0] == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
        return 0;
}

int parse_time_rfc3339(const char *s, size_t len, int64_t *ret_ns)
{
        static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        unsigned y, mo, d, h, mi, se, frac = 0;
        size_t i = 19, nd = 0;
        int64_t off, sec;

        if (len < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
            !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
            s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
                return -EINVAL;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
                return -EINVAL;
        if (s[i] == '.') {
                for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
                        if (nd < 9)
                                frac = frac * 10 + (unsigned)(s[i] - '0');
                if (nd == 0 || nd > 9)
                        return -EINVAL;
                for (; nd < 9; nd++)
                        frac *= 10;
        }
        if (parse_zone(s + i, len - i, &off) < 0)
                return -EINVAL;
        sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
        if (sec > INT64_MAX / NSEC_PER_SEC - 1 || sec < INT64_MIN / NSEC_PER_SEC + 1)
                return -ERANGE;
        *ret_ns = sec * NSEC_PER_SEC + frac;
        return 0;
}
