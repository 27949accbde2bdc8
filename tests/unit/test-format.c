/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the Go-compatible formatting helpers in src/basic: timestamps, relative
 * times, durations, booleans and integers, IEC sizes and tabwriter tables (SPEC.md §1.4).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "escape.h"
#include "format-util.h"
#include "parse-util.h"
#include "table.h"
#include "tap.h"
#include "time-util.h"

#define DAY    (INT64_C(86400))
#define TZ_CET "CET-1CEST,M3.5.0,M10.5.0/3"

static void set_tz(const char *tz)
{
        setenv("TZ", tz, 1);
        tzset();
}

/* Asserts that the malloc'd string produced by expr equals want, and frees it. */
#define ASSERT_FMT(expr, want)                    \
        do {                                      \
                _cleanup_free_ char *_s = (expr); \
                ASSERT_STREQ(_s, want);           \
        } while (0)

/* ---- format_time_go ---- */

TEST(time_go_spec_examples)
{
        set_tz(TZ_CET);
        ASSERT_FMT(format_time_go(INT64_C(1453740152563000000)),
                   "2016-01-25 17:42:32.563 +0100 CET");
        ASSERT_FMT(format_time_go(INT64_C(1453740135100000000)), "2016-01-25 17:42:15.1 +0100 CET");
        set_tz("UTC");
        ASSERT_FMT(format_time_go(INT64_C(1582538400000000000)), "2020-02-24 10:00:00 +0000 UTC");
        ASSERT_FMT(format_time_go(TIME_NS_ZERO), "0001-01-01 00:00:00 +0000 UTC");
}

TEST(time_go_fraction_truncates_and_trims)
{
        set_tz("UTC");
        ASSERT_FMT(format_time_go(INT64_C(1582538400999999999)),
                   "2020-02-24 10:00:00.999 +0000 UTC");
        ASSERT_FMT(format_time_go(INT64_C(1582538400120000000)),
                   "2020-02-24 10:00:00.12 +0000 UTC");
        ASSERT_FMT(format_time_go(INT64_C(1582538400010000000)),
                   "2020-02-24 10:00:00.01 +0000 UTC");
        ASSERT_FMT(format_time_go(INT64_C(1582538400000999999)), "2020-02-24 10:00:00 +0000 UTC");
        ASSERT_FMT(format_time_go(0), "1970-01-01 00:00:00 +0000 UTC");
}

TEST(time_go_before_epoch)
{
        set_tz("UTC");
        ASSERT_FMT(format_time_go(-1), "1969-12-31 23:59:59.999 +0000 UTC");
        ASSERT_FMT(format_time_go(-NSEC_PER_SEC), "1969-12-31 23:59:59 +0000 UTC");
}

TEST(time_go_zones)
{
        set_tz(TZ_CET);
        ASSERT_FMT(format_time_go(INT64_C(1467374400000000000)), "2016-07-01 14:00:00 +0200 CEST");
        set_tz("EST5");
        ASSERT_FMT(format_time_go(INT64_C(1582538400000000000)), "2020-02-24 05:00:00 -0500 EST");
        set_tz("IST-5:30");
        ASSERT_FMT(format_time_go(INT64_C(1582538400000000000)), "2020-02-24 15:30:00 +0530 IST");
        set_tz("UTC");
}

TEST(time_rfc3339nano_as_go_formats_it)
{
        char buf[TIME_RFC3339NANO_MAX];

        ASSERT_EQ(format_time_rfc3339nano(INT64_C(1475713029669794202), buf), 30);
        ASSERT_STREQ(buf, "2016-10-06T00:17:09.669794202Z");
        format_time_rfc3339nano(INT64_C(1475713029669000000), buf);
        ASSERT_STREQ(buf, "2016-10-06T00:17:09.669Z"); /* trailing zeros go */
        format_time_rfc3339nano(INT64_C(1475713029000000000), buf);
        ASSERT_STREQ(buf, "2016-10-06T00:17:09Z"); /* and the dot */
        format_time_rfc3339nano(0, buf);
        ASSERT_STREQ(buf, "1970-01-01T00:00:00Z");
        format_time_rfc3339nano(-1, buf);
        ASSERT_STREQ(buf, "1969-12-31T23:59:59.999999999Z");
        format_time_rfc3339nano(INT64_C(951782400000000001), buf); /* a leap day */
        ASSERT_STREQ(buf, "2000-02-29T00:00:00.000000001Z");
        format_time_rfc3339nano(INT64_MAX, buf);
        ASSERT_STREQ(buf, "2262-04-11T23:47:16.854775807Z");
}

TEST(time_rfc3339_parse)
{
        static const char *const ok[] = {"2016-10-06T00:17:09.669794202Z",
                                         "2016-10-06T00:17:09.669Z", "2016-10-06T00:17:09Z",
                                         "2016-10-06T02:17:09.669794202+02:00",
                                         "2016-10-05T23:17:09.669794202-01:00"};
        static const char *const bad[] = {"",
                                          "2016-10-06",
                                          "2016-10-06T00:17:09",
                                          "2016-13-06T00:17:09Z",
                                          "2016-10-06T24:17:09Z",
                                          "2016-10-06T00:17:09.Z",
                                          "2016-10-06T00:17:09.1234567890Z",
                                          "2016-10-06T00:17:09+0200",
                                          "2016-10-06 00:17:09Z",
                                          "2016-10-06T00:17:09ZZ",
                                          "x016-10-06T00:17:09Z"};
        int64_t t;

        for (size_t i = 0; i < 5; i++) {
                ASSERT_OK(parse_time_rfc3339(ok[i], strlen(ok[i]), &t));
                ASSERT_EQ(t / NSEC_PER_SEC, INT64_C(1475713029));
        }
        ASSERT_OK(parse_time_rfc3339(ok[0], strlen(ok[0]), &t));
        ASSERT_EQ(t, INT64_C(1475713029669794202));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_ERRNO(parse_time_rfc3339(bad[i], strlen(bad[i]), &t), EINVAL);
        /* only len bytes count */
        ASSERT_OK(parse_time_rfc3339("1970-01-01T00:00:01Z stdout F x", 20, &t));
        ASSERT_EQ(t, NSEC_PER_SEC);
        for (int64_t v = -3 * NSEC_PER_SEC; v < 3 * NSEC_PER_SEC; v += 333333333) {
                char buf[TIME_RFC3339NANO_MAX];
                size_t n = format_time_rfc3339nano(v, buf);
                ASSERT_OK(parse_time_rfc3339(buf, n, &t));
                ASSERT_EQ(t, v);
        }
}

TEST(now_ns_is_realtime)
{
        int64_t a = now_ns(), b = (int64_t)time(NULL) * NSEC_PER_SEC;

        ASSERT_TRUE(a > b - 5 * NSEC_PER_SEC && a < b + 5 * NSEC_PER_SEC);
}

/* ---- format_time_relative ---- */

static const int64_t rel_now = INT64_C(1582538400000000000);

/* Asserts the text for a time d_ns before rel_now. */
#define ASSERT_AGO(d_ns, want)  ASSERT_FMT(format_time_relative(rel_now - (d_ns), rel_now), want)
#define ASSERT_AGO_S(d_s, want) ASSERT_AGO((int64_t)(d_s)*NSEC_PER_SEC, want)

TEST(relative_seconds_and_minutes)
{
        ASSERT_AGO(0, "now");
        ASSERT_AGO(NSEC_PER_SEC - 1, "now");
        ASSERT_AGO_S(1, "1 second ago");
        ASSERT_AGO(2 * NSEC_PER_SEC - 1, "1 second ago");
        ASSERT_AGO_S(2, "2 seconds ago");
        ASSERT_AGO_S(59, "59 seconds ago");
        ASSERT_AGO_S(60, "1 minute ago");
        ASSERT_AGO_S(119, "1 minute ago");
        ASSERT_AGO_S(120, "2 minutes ago");
        ASSERT_AGO_S(179, "2 minutes ago");
        ASSERT_AGO_S(3599, "59 minutes ago");
}

TEST(relative_hours_days_weeks)
{
        ASSERT_AGO_S(3600, "1 hour ago");
        ASSERT_AGO_S(7199, "1 hour ago");
        ASSERT_AGO_S(7200, "2 hours ago");
        ASSERT_AGO_S(DAY - 1, "23 hours ago");
        ASSERT_AGO_S(DAY, "1 day ago");
        ASSERT_AGO_S(2 * DAY - 1, "1 day ago");
        ASSERT_AGO_S(2 * DAY, "2 days ago");
        ASSERT_AGO_S(7 * DAY - 1, "6 days ago");
        ASSERT_AGO_S(7 * DAY, "1 week ago");
        ASSERT_AGO_S(14 * DAY - 1, "1 week ago");
        ASSERT_AGO_S(14 * DAY, "2 weeks ago");
        ASSERT_AGO_S(30 * DAY - 1, "4 weeks ago");
}

TEST(relative_months_years)
{
        ASSERT_AGO_S(30 * DAY, "1 month ago");
        ASSERT_AGO_S(60 * DAY - 1, "1 month ago");
        ASSERT_AGO_S(60 * DAY, "2 months ago");
        ASSERT_AGO_S(360 * DAY - 1, "11 months ago");
        ASSERT_AGO_S(360 * DAY, "1 year ago");
        ASSERT_AGO_S(540 * DAY - 1, "1 year ago");
        ASSERT_AGO_S(540 * DAY, "2 years ago");
        ASSERT_AGO_S(720 * DAY - 1, "2 years ago");
        ASSERT_AGO_S(720 * DAY, "2 years ago");
        ASSERT_AGO_S(1080 * DAY, "3 years ago");
        ASSERT_AGO_S(37 * 360 * DAY - 1, "36 years ago");
        ASSERT_AGO_S(37 * 360 * DAY, "a long while ago");
        ASSERT_AGO_S(100 * 360 * DAY, "a long while ago");
}

TEST(relative_future_and_extremes)
{
        ASSERT_FMT(format_time_relative(rel_now + NSEC_PER_SEC / 2, rel_now), "now");
        ASSERT_FMT(format_time_relative(rel_now + NSEC_PER_SEC, rel_now), "1 second from now");
        ASSERT_FMT(format_time_relative(rel_now + 5 * NSEC_PER_MIN, rel_now), "5 minutes from now");
        ASSERT_FMT(format_time_relative(rel_now + 3 * DAY * NSEC_PER_SEC, rel_now),
                   "3 days from now");
        ASSERT_FMT(format_time_relative(TIME_NS_ZERO, rel_now), "a long while ago");
        ASSERT_FMT(format_time_relative(INT64_MAX, -rel_now), "a long while from now");
        ASSERT_FMT(format_time_relative(INT64_MIN, INT64_MAX), "a long while ago");
}

/* ---- parse_duration_go ---- */

#define ASSERT_DURATION(s, want)                      \
        do {                                          \
                int64_t _d = -42;                     \
                ASSERT_OK(parse_duration_go(s, &_d)); \
                ASSERT_EQ(_d, want);                  \
        } while (0)

#define ASSERT_DURATION_FAILS(s, e)                         \
        do {                                                \
                int64_t _d = -42;                           \
                ASSERT_ERRNO(parse_duration_go(s, &_d), e); \
                ASSERT_EQ(_d, -42);                         \
        } while (0)

TEST(duration_parse_basic)
{
        ASSERT_DURATION("0", 0);
        ASSERT_DURATION("-0", 0);
        ASSERT_DURATION("+0", 0);
        ASSERT_DURATION("0s", 0);
        ASSERT_DURATION("5s", 5 * NSEC_PER_SEC);
        ASSERT_DURATION("30m", 30 * NSEC_PER_MIN);
        ASSERT_DURATION("24h", 24 * NSEC_PER_HOUR);
        ASSERT_DURATION("1h30m", 90 * NSEC_PER_MIN);
        ASSERT_DURATION("2h45m30s", 2 * NSEC_PER_HOUR + 45 * NSEC_PER_MIN + 30 * NSEC_PER_SEC);
        ASSERT_DURATION("1h1h", 2 * NSEC_PER_HOUR);
        ASSERT_DURATION("100ms", 100 * NSEC_PER_MSEC);
        ASSERT_DURATION("7ns", 7);
        ASSERT_DURATION("1us", 1000);
        ASSERT_DURATION("1\xc2\xb5s", 1000);
        ASSERT_DURATION("1\xce\xbcs", 1000);
        ASSERT_DURATION("+5s", 5 * NSEC_PER_SEC);
        ASSERT_DURATION("-1m", -NSEC_PER_MIN);
        ASSERT_DURATION("-1h30m", -90 * NSEC_PER_MIN);
        ASSERT_DURATION("007s", 7 * NSEC_PER_SEC);
}

TEST(duration_parse_fractions)
{
        ASSERT_DURATION("1.5s", 1500 * NSEC_PER_MSEC);
        ASSERT_DURATION("1.5h", 90 * NSEC_PER_MIN);
        ASSERT_DURATION(".5s", 500 * NSEC_PER_MSEC);
        ASSERT_DURATION("5.s", 5 * NSEC_PER_SEC);
        ASSERT_DURATION("-1.5s", -1500 * NSEC_PER_MSEC);
        ASSERT_DURATION("1.004s", 1004 * NSEC_PER_MSEC);
        ASSERT_DURATION("39h9m14.425s",
                        39 * NSEC_PER_HOUR + 9 * NSEC_PER_MIN + 14425 * NSEC_PER_MSEC);
        ASSERT_DURATION("0.3333333333333333333h", 20 * NSEC_PER_MIN);
        ASSERT_DURATION("0.100000000000000000000h", 6 * NSEC_PER_MIN);
        ASSERT_DURATION("1.0000000000000000000000000000001s", NSEC_PER_SEC);
        ASSERT_DURATION("0.5ns", 0);
}

TEST(duration_parse_limits)
{
        ASSERT_DURATION("9223372036854775807ns", INT64_MAX);
        ASSERT_DURATION("-9223372036854775808ns", INT64_MIN);
        ASSERT_DURATION("9223372036s854ms775us807ns", INT64_MAX);
        ASSERT_DURATION("9223372036854775.807us", INT64_MAX);
        ASSERT_DURATION("2562047h47m16.854775807s", INT64_MAX);
        ASSERT_DURATION_FAILS("9223372036854775808ns", ERANGE);
        ASSERT_DURATION_FAILS("-9223372036854775809ns", ERANGE);
        ASSERT_DURATION_FAILS("9223372036854775807ns1ns", ERANGE);
        ASSERT_DURATION_FAILS("9223372036854775808ns9223372036854775808ns", ERANGE);
        ASSERT_DURATION_FAILS("3000000h", ERANGE);
        ASSERT_DURATION_FAILS("2562048h", ERANGE);
        ASSERT_DURATION_FAILS("99999999999999999999s", ERANGE);
        ASSERT_DURATION_FAILS("2562047.9h", ERANGE);
}

TEST(duration_parse_errors)
{
        ASSERT_DURATION_FAILS(NULL, EINVAL);
        ASSERT_DURATION_FAILS("", EINVAL);
        ASSERT_DURATION_FAILS("+", EINVAL);
        ASSERT_DURATION_FAILS("-", EINVAL);
        ASSERT_DURATION_FAILS("3", EINVAL);
        ASSERT_DURATION_FAILS("00", EINVAL);
        ASSERT_DURATION_FAILS("0.0", EINVAL);
        ASSERT_DURATION_FAILS("s", EINVAL);
        ASSERT_DURATION_FAILS(".", EINVAL);
        ASSERT_DURATION_FAILS(".s", EINVAL);
        ASSERT_DURATION_FAILS("+.s", EINVAL);
        ASSERT_DURATION_FAILS("1d", EINVAL);
        ASSERT_DURATION_FAILS("1.0.0s", EINVAL);
        ASSERT_DURATION_FAILS("1h 2m", EINVAL);
        ASSERT_DURATION_FAILS(" 1h", EINVAL);
        ASSERT_DURATION_FAILS("1h-2m", EINVAL);
        ASSERT_DURATION_FAILS("--1s", EINVAL);
        ASSERT_DURATION_FAILS("1S", EINVAL);
        ASSERT_DURATION_FAILS("1sec", EINVAL);
}

/* ---- format_duration_go ---- */

TEST(duration_format_spec_examples)
{
        ASSERT_FMT(format_duration_go(30 * NSEC_PER_MIN), "30m0s");
        ASSERT_FMT(format_duration_go(24 * NSEC_PER_HOUR), "24h0m0s");
        ASSERT_FMT(format_duration_go(0), "0s");
        ASSERT_FMT(format_duration_go(90 * NSEC_PER_MIN), "1h30m0s");
        ASSERT_FMT(format_duration_go(1500 * NSEC_PER_MSEC), "1.5s");
        ASSERT_FMT(format_duration_go(100 * NSEC_PER_MSEC), "100ms");
        ASSERT_FMT(format_duration_go(NSEC_PER_USEC), "1\xc2\xb5s");
        ASSERT_FMT(format_duration_go(-NSEC_PER_MIN), "-1m0s");
}

TEST(duration_format_units)
{
        ASSERT_FMT(format_duration_go(1), "1ns");
        ASSERT_FMT(format_duration_go(999), "999ns");
        ASSERT_FMT(format_duration_go(1100), "1.1\xc2\xb5s");
        ASSERT_FMT(format_duration_go(2200 * NSEC_PER_USEC), "2.2ms");
        ASSERT_FMT(format_duration_go(3300 * NSEC_PER_MSEC), "3.3s");
        ASSERT_FMT(format_duration_go(4 * NSEC_PER_MIN + 5 * NSEC_PER_SEC), "4m5s");
        ASSERT_FMT(format_duration_go(4 * NSEC_PER_MIN + 5001 * NSEC_PER_MSEC), "4m5.001s");
        ASSERT_FMT(format_duration_go(5 * NSEC_PER_HOUR + 6 * NSEC_PER_MIN + 7001 * NSEC_PER_MSEC),
                   "5h6m7.001s");
        ASSERT_FMT(format_duration_go(8 * NSEC_PER_MIN + 1), "8m0.000000001s");
        ASSERT_FMT(format_duration_go(NSEC_PER_SEC), "1s");
        ASSERT_FMT(format_duration_go(-1), "-1ns");
        ASSERT_FMT(format_duration_go(-1500 * NSEC_PER_MSEC), "-1.5s");
        ASSERT_FMT(format_duration_go(INT64_MAX), "2562047h47m16.854775807s");
        ASSERT_FMT(format_duration_go(INT64_MIN), "-2562047h47m16.854775808s");
}

TEST(duration_round_trip)
{
        static const int64_t values[] = {0,
                                         1,
                                         999,
                                         123456789,
                                         NSEC_PER_SEC,
                                         -90 * NSEC_PER_MIN,
                                         INT64_MAX,
                                         INT64_MIN,
                                         7 * 24 * NSEC_PER_HOUR + 1};

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                _cleanup_free_ char *s = format_duration_go(values[i]);
                int64_t d;

                ASSERT_OK(parse_duration_go(s, &d));
                ASSERT_EQ(d, values[i]);
        }
}

/* ---- parse_bool_go, safe_atou64, safe_atoi64 ---- */

TEST(parse_bool_go_accepts_strconv_set)
{
        static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
        static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
        static const char *const bad[] = {"",   "yes", "no", "tRUE", "TRue", " 1",
                                          "1 ", "2",   "on", "y",    "falsE"};
        bool b;

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                b = false;
                ASSERT_OK(parse_bool_go(yes[i], &b));
                ASSERT_TRUE(b);
                ASSERT_OK(parse_bool_go(no[i], &b));
                ASSERT_FALSE(b);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                b = true;
                ASSERT_ERRNO(parse_bool_go(bad[i], &b), EINVAL);
                ASSERT_TRUE(b);
        }
        ASSERT_ERRNO(parse_bool_go(NULL, &b), EINVAL);
}

TEST(safe_atou64_strict)
{
        uint64_t u = 42;

        ASSERT_OK(safe_atou64("0", &u));
        ASSERT_EQ(u, 0);
        ASSERT_OK(safe_atou64("007", &u));
        ASSERT_EQ(u, 7);
        ASSERT_OK(safe_atou64("18446744073709551615", &u));
        ASSERT_TRUE(u == UINT64_MAX);
        u = 42;
        ASSERT_ERRNO(safe_atou64("18446744073709551616", &u), ERANGE);
        ASSERT_ERRNO(safe_atou64("99999999999999999999999", &u), ERANGE);
        ASSERT_ERRNO(safe_atou64("99999999999999999999x", &u), EINVAL);
        ASSERT_ERRNO(safe_atou64("", &u), EINVAL);
        ASSERT_ERRNO(safe_atou64(NULL, &u), EINVAL);
        ASSERT_ERRNO(safe_atou64("-1", &u), EINVAL);
        ASSERT_ERRNO(safe_atou64("+1", &u), EINVAL);
        ASSERT_ERRNO(safe_atou64(" 1", &u), EINVAL);
        ASSERT_ERRNO(safe_atou64("1 ", &u), EINVAL);
        ASSERT_ERRNO(safe_atou64("0x10", &u), EINVAL);
        ASSERT_EQ(u, 42);
}

TEST(parse_id_below_the_invalid_id)
{
        uint32_t id = 42;

        ASSERT_OK(parse_id("0", &id));
        ASSERT_EQ(id, 0);
        ASSERT_OK(parse_id("4294967294", &id));
        ASSERT_TRUE(id == 4294967294u);
        id = 42;
        ASSERT_ERRNO(parse_id("4294967295", &id), ERANGE);
        ASSERT_ERRNO(parse_id("4294967296", &id), ERANGE);
        ASSERT_ERRNO(parse_id("18446744073709551615", &id), ERANGE);
        ASSERT_ERRNO(parse_id("99999999999999999999999", &id), ERANGE);
        ASSERT_ERRNO(parse_id("-1", &id), EINVAL);
        ASSERT_ERRNO(parse_id("+0", &id), EINVAL);
        ASSERT_ERRNO(parse_id("0x0", &id), EINVAL);
        ASSERT_ERRNO(parse_id("1e3", &id), EINVAL);
        ASSERT_ERRNO(parse_id("", &id), EINVAL);
        ASSERT_EQ(id, 42);
        ASSERT_TRUE(id_is_numeric("12abc") && id_is_numeric("-1") && id_is_numeric("+0"));
        ASSERT_TRUE(!id_is_numeric("nobody") && !id_is_numeric("") && !id_is_numeric(NULL));
}

TEST(safe_atoi64_strict)
{
        int64_t i = 42;

        ASSERT_OK(safe_atoi64("-9223372036854775808", &i));
        ASSERT_EQ(i, INT64_MIN);
        ASSERT_OK(safe_atoi64("9223372036854775807", &i));
        ASSERT_EQ(i, INT64_MAX);
        ASSERT_OK(safe_atoi64("+5", &i));
        ASSERT_EQ(i, 5);
        ASSERT_OK(safe_atoi64("-0", &i));
        ASSERT_EQ(i, 0);
        ASSERT_OK(safe_atoi64("-17", &i));
        ASSERT_EQ(i, -17);
        i = 42;
        ASSERT_ERRNO(safe_atoi64("9223372036854775808", &i), ERANGE);
        ASSERT_ERRNO(safe_atoi64("-9223372036854775809", &i), ERANGE);
        ASSERT_ERRNO(safe_atoi64("-", &i), EINVAL);
        ASSERT_ERRNO(safe_atoi64("--1", &i), EINVAL);
        ASSERT_ERRNO(safe_atoi64("+-1", &i), EINVAL);
        ASSERT_ERRNO(safe_atoi64("", &i), EINVAL);
        ASSERT_ERRNO(safe_atoi64(NULL, &i), EINVAL);
        ASSERT_ERRNO(safe_atoi64("1.0", &i), EINVAL);
        ASSERT_EQ(i, 42);
}

/* ---- format_size_iec ---- */

TEST(size_iec_spec_examples)
{
        ASSERT_FMT(format_size_iec(9), "9B");
        ASSERT_FMT(format_size_iec(1536), "1.5KiB");
        ASSERT_FMT(format_size_iec(12 * 1048576), "12MiB");
        ASSERT_FMT(format_size_iec(150000000), "143MiB");
}

TEST(size_iec_rounding)
{
        ASSERT_FMT(format_size_iec(0), "0B");
        ASSERT_FMT(format_size_iec(10), "10B");
        ASSERT_FMT(format_size_iec(1023), "1023B");
        ASSERT_FMT(format_size_iec(1024), "1.0KiB");
        ASSERT_FMT(format_size_iec(1587), "1.5KiB"); /* 15.498 + .5 floors to 15 */
        ASSERT_FMT(format_size_iec(1588), "1.6KiB"); /* 15.508 + .5 floors to 16 */
        ASSERT_FMT(format_size_iec(10188), "9.9KiB");
        ASSERT_FMT(format_size_iec(10189), "10KiB"); /* v = 10.0 switches to %.0f */
        ASSERT_FMT(format_size_iec(10239), "10KiB");
        ASSERT_FMT(format_size_iec(1048575), "1024KiB");
        ASSERT_FMT(format_size_iec(1048576), "1.0MiB");
        ASSERT_FMT(format_size_iec(149422080), "142MiB"); /* v = 142.5: round half to even */
        ASSERT_FMT(format_size_iec(150470656), "144MiB"); /* v = 143.5 */
        ASSERT_FMT(format_size_iec(UINT64_C(1) << 30), "1.0GiB");
        ASSERT_FMT(format_size_iec(UINT64_C(5) << 40), "5.0TiB");
        ASSERT_FMT(format_size_iec(UINT64_C(3) << 50), "3.0PiB");
        ASSERT_FMT(format_size_iec(UINT64_C(1) << 60), "1.0EiB");
        ASSERT_FMT(format_size_iec(UINT64_MAX), "16EiB");
}

/* ---- table ---- */

/* Renders t, compares with want and frees t. */
static bool table_renders(struct table *t, const char *want)
{
        _cleanup_(table_freep) struct table *owned = t;
        _cleanup_free_ char *got = table_render(owned);

        if (strcmp(got, want) == 0)
                return true;
        printf("# got:  \"");
        for (const char *p = got; *p; p++)
                if (*p == '\t')
                        fputs("\\t", stdout);
                else if (*p == '\n')
                        fputs("\\n", stdout);
                else
                        putchar(*p);
        printf("\"\n");
        return false;
}

TEST(table_simple)
{
        struct table *t = table_new();

        table_add_cells(t, "a", "b", "c", NULL);
        table_add_cells(t, "aa", "bb", "cc", NULL);
        ASSERT_EQ(table_rows(t), 2);
        ASSERT_TRUE(table_renders(t, "a\tb\tc\naa\tbb\tcc\n"));
}

TEST(table_empty)
{
        struct table *t = table_new();

        ASSERT_TRUE(table_renders(t, ""));
        t = table_new();
        table_add_row(t, NULL);
        table_add_line(t, "");
        ASSERT_TRUE(table_renders(t, "\n\n"));
}

TEST(table_width_rounds_to_tabstops)
{
        struct table *t = table_new();

        /* widest 7 runes: width 8, one TAB each */
        table_add_cells(t, "1234567", "x", NULL);
        table_add_cells(t, "a", "y", NULL);
        ASSERT_TRUE(table_renders(t, "1234567\tx\na\ty\n"));

        /* widest 8 runes: width 9 rounds to 16, so the short cell needs two TABs */
        t = table_new();
        table_add_cells(t, "12345678", "x", NULL);
        table_add_cells(t, "a", "y", NULL);
        ASSERT_TRUE(table_renders(t, "12345678\tx\na\t\ty\n"));

        /* widest 19 runes (short image ID): width 20 -> 24 */
        t = table_new();
        table_add_cells(t, "ID", "NAME", NULL);
        table_add_cells(t, "sha512-0123456789ab", "example.com/hello", NULL);
        ASSERT_TRUE(table_renders(t, "ID\t\t\tNAME\nsha512-0123456789ab\texample.com/hello\n"));
}

TEST(table_image_list)
{
        struct table *t = table_new();

        table_add_line(t, "ID\tNAME\tSIZE\tIMPORT TIME\tLAST USED");
        table_add_cells(t, "sha512-91e98d7f1679", "coreos.com/etcd:v3.1.7", "37MiB", "1 day ago",
                        "now", NULL);
        table_add_cells(t, "sha512-0a1b2c3d4e5f", "example.com/hello:1.0.0", "1.5KiB", "now",
                        "2 weeks ago", NULL);
        ASSERT_TRUE(table_renders(
                t, "ID\t\t\tNAME\t\t\tSIZE\tIMPORT TIME\tLAST USED\n"
                   "sha512-91e98d7f1679\tcoreos.com/etcd:v3.1.7\t37MiB\t1 day ago\tnow\n"
                   "sha512-0a1b2c3d4e5f\texample.com/hello:1.0.0\t1.5KiB\tnow\t\t2 "
                   "weeks ago\n"));
}

TEST(table_empty_cell_column)
{
        struct table *t = table_new();

        table_add_cells(t, "a", "", "c", NULL);
        table_add_cells(t, "bbbbbbbbbb", "", "d", NULL);
        ASSERT_TRUE(table_renders(t, "a\t\t\tc\nbbbbbbbbbb\t\td\n"));

        /* an empty last cell is not padded, so the line ends with the previous cell's TABs */
        t = table_new();
        table_add_cells(t, "UUID", "APP", "", NULL);
        table_add_cells(t, "0123abcd", "x", "", NULL);
        ASSERT_TRUE(table_renders(t, "UUID\t\tAPP\t\n0123abcd\tx\t\n"));
}

TEST(table_blocks_are_runs_of_lines)
{
        struct table *t = table_new();

        /* a line without cells in column 0 splits every block */
        table_add_line(t, "x\tlonglonglong\tz");
        table_add_line(t, "x");
        table_add_line(t, "x\ts\tz");
        ASSERT_TRUE(table_renders(t, "x\tlonglonglong\tz\nx\nx\ts\tz\n"));

        /* without the breaker the two lines share column 1's width of 16 */
        t = table_new();
        table_add_line(t, "x\tlonglonglong\tz");
        table_add_line(t, "x\ts\tz");
        ASSERT_TRUE(table_renders(t, "x\tlonglonglong\tz\nx\ts\t\tz\n"));

        /* "b\tc" has column 0 only: column 1 splits in two blocks, column 0 does not */
        t = table_new();
        table_add_line(t, "aaaaaaaaaaaa\tlonglonglong\tz");
        table_add_line(t, "b\tc");
        table_add_line(t, "d\te\tf");
        ASSERT_TRUE(table_renders(t, "aaaaaaaaaaaa\tlonglonglong\tz\nb\t\tc\nd\t\te\tf\n"));
}

TEST(table_counts_runes)
{
        struct table *t = table_new();

        /* 7 runes in 14 bytes: width 8, not 16 */
        table_add_cells(t, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "x", NULL);
        table_add_cells(t, "a", "y", NULL);
        ASSERT_TRUE(table_renders(t, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\tx\n"
                                     "a\ty\n"));

        /* invalid bytes are escaped: 8 of them print as 32 characters, width 33 -> 40 */
        t = table_new();
        table_add_cells(t, "\xff\xfe\xc3\xe0\x80\x80\xed\xa0", "x", NULL);
        table_add_cells(t, "a", "y", NULL);
        ASSERT_TRUE(table_renders(t, "\\xff\\xfe\\xc3\\xe0\\x80\\x80\\xed\\xa0\tx\n"
                                     "a\t\t\t\t\ty\n"));
}

TEST(table_escapes_controls_in_cells)
{
        struct table *t = table_new();

        /* a cell's TAB, newline and ESC never make new cells, rows or terminal sequences */
        table_add_cells(t, "a\tb\nc\x1b[2J", "x", NULL);
        table_add_line(t, "d\x07\te");
        ASSERT_EQ(table_rows(t), 2);
        ASSERT_TRUE(table_renders(t, "a\\tb\\nc\\x1b[2J\tx\nd\\a\t\te\n"));
}

TEST(escape_nonprint_like_go_quote)
{
        char *e;

        e = escape_nonprint("plain \xc3\xa9 \\ text", NULL);
        ASSERT_STREQ(e, "plain \xc3\xa9 \\ text");
        free(e);
        e = escape_nonprint("\a\b\t\n\v\f\r\x01\x1b\x7f", NULL);
        ASSERT_STREQ(e, "\\a\\b\\t\\n\\v\\f\\r\\x01\\x1b\\x7f");
        free(e);
        /* C1 CSI, soft hyphen, RLO, BOM, an invalid byte, a lone continuation byte */
        e = escape_nonprint("\xc2\x9b\xc2\xad\xe2\x80\xae\xef\xbb\xbf\xff\x80", NULL);
        ASSERT_STREQ(e, "\\u009b\\u00ad\\u202e\\ufeff\\xff\\x80");
        free(e);
        e = escape_nonprint("line\n\tnext\x1b", "\n\t");
        ASSERT_STREQ(e, "line\n\tnext\\x1b");
        free(e);
        ASSERT_TRUE(escape_has_control("a\nb") && escape_has_control("\x7f"));
        ASSERT_TRUE(!escape_has_control("a b \xc2\x9b"));
}

TEST(table_add_line_splits_like_a_writer)
{
        struct table *t = table_new();

        table_add_line(t, "a\tb\nc\td\n");
        ASSERT_EQ(table_rows(t), 2);
        table_add_linef(t, "%s\t%d", "e", 5);
        table_add_line(t, "trailing\t");
        ASSERT_EQ(table_rows(t), 4);
        /* "trailing" is 8 runes wide: column 0 is 16 wide in this block */
        ASSERT_TRUE(table_renders(t, "a\t\tb\nc\t\td\ne\t\t5\ntrailing\t\n"));
}

TAP_MAIN
