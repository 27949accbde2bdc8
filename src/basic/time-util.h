/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time formatting and parsing with Go's conventions (SPEC.md §1.4): wall-clock timestamps in
 * the layout rkt prints, go-humanize relative times, and time.Duration syntax. libc only.
 * All instants are nanoseconds since the Unix epoch in an int64_t.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define NSEC_PER_USEC ((int64_t)1000)
#define NSEC_PER_MSEC ((int64_t)1000000)
#define NSEC_PER_SEC  ((int64_t)1000000000)
#define NSEC_PER_MIN  (60 * NSEC_PER_SEC)
#define NSEC_PER_HOUR (60 * NSEC_PER_MIN)

/* Go's zero time.Time (0001-01-01 00:00:00 UTC), which rkt prints for "never". */
#define TIME_NS_ZERO INT64_MIN

/* Returns the current CLOCK_REALTIME time in nanoseconds since the epoch. */
int64_t now_ns(void);

/*
 * Formats unix_ns with Go's layout "2006-01-02 15:04:05.999 -0700 MST" in the local time zone
 * (TZ / tzset()): the fraction is truncated to milliseconds, trailing zeros are removed and
 * the dot is omitted when the fraction is zero. When the zone has no abbreviation the numeric
 * offset is printed in its place, as Go does. TIME_NS_ZERO prints
 * "0001-01-01 00:00:00 +0000 UTC". Returns a malloc'd string; never NULL (OOM aborts).
 */
char *format_time_go(int64_t unix_ns);

/*
 * Formats the distance between then_ns and now_ns like go-humanize's Time(): "now",
 * "1 second ago", "5 minutes ago", ..., "a long while ago"; "from now" replaces "ago" when
 * then_ns is after now_ns. Differences are taken in whole seconds with integer division and
 * saturate instead of overflowing (TIME_NS_ZERO is "a long while ago"). Returns a malloc'd
 * string; never NULL.
 */
char *format_time_relative(int64_t then_ns, int64_t now_ns);

/*
 * Parses a Go duration ("300ms", "-1.5h", "2h45m", "0") into nanoseconds: an optional sign,
 * then one or more <decimal>[.<fraction>]<unit> with units ns, us, µs (U+00B5 or U+03BC),
 * ms, s, m, h; a bare "0" (optionally signed) is zero. Fractions are converted as Go does.
 * Returns 0 and sets *ret_ns on success; -EINVAL on syntax errors (empty string, missing or
 * unknown unit, no digits); -ERANGE when the value does not fit in an int64_t. *ret_ns is
 * left untouched on failure.
 */
int parse_duration_go(const char *s, int64_t *ret_ns);

/*
 * Formats ns like Go's Duration.String(): "0s", "1ns", "1.5µs", "100ms", "1.5s", "30m0s",
 * "1h30m0s", "24h0m0s", "-1m0s". Units above hours are not used. Returns a malloc'd string;
 * never NULL.
 */
char *format_duration_go(int64_t ns);

/* Room for format_time_rfc3339nano()'s text and its NUL. */
#define TIME_RFC3339NANO_MAX 36

/*
 * Formats unix_ns in UTC with Go's time.RFC3339Nano layout ("2006-01-02T15:04:05.999999999Z07:00"):
 * the fraction without trailing zeros and without the dot when it is zero, then "Z" — the
 * timestamps of Kubernetes' CRI log format. Years outside 0000-9999 are clamped. Writes a NUL-
 * terminated string to buf and returns its length. Safe in any process (no allocation, no
 * time zone files).
 */
size_t format_time_rfc3339nano(int64_t unix_ns, char buf[static TIME_RFC3339NANO_MAX]);

/*
 * Parses an RFC 3339 timestamp of len bytes ("2016-10-06T00:17:09.669794202Z",
 * "2016-10-06T02:17:09+02:00"; a fraction of up to 9 digits) into nanoseconds since the epoch.
 * Returns 0, or -EINVAL when s is not one, -ERANGE when it does not fit in an int64_t.
 */
int parse_time_rfc3339(const char *s, size_t len, int64_t *ret_ns);
