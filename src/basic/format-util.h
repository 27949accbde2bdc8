/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text formatted as rkt's Go code prints it: human-readable sizes (go-humanize IBytes without
 * the space) and quoted strings (fmt's %q and %#q). libc only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Formats a byte count with IEC suffixes (SPEC.md §1.4): below 10 bytes "%dB"; otherwise
 * e = floor(log1024(bytes)), v = floor(bytes / 1024^e * 10 + 0.5) / 10 printed "%.1f" when
 * v < 10 and "%.0f" otherwise, followed by B, KiB, MiB, GiB, TiB, PiB or EiB ("9B", "1.5KiB",
 * "12MiB", "143MiB"; rounding can yield "1024KiB" just below 1 MiB, as in go-humanize).
 * e is computed exactly in integers; go-humanize uses a floating-point logarithm, which can
 * only disagree within one part in 2^52 below a power of 1024 (sizes of petabytes).
 * Returns a malloc'd string; never NULL.
 */
char *format_size_iec(uint64_t bytes);

/* Writes the len bytes at data as 2*len lowercase hex digits and a NUL into out. */
void hex_encode(const void *data, size_t len, char *out);

/*
 * Quotes s as Go's strconv.Quote (fmt's %q) does for the strings rkt prints: in double quotes,
 * with \" \\ \a \b \f \n \r \t \v and \xNN for the other control bytes; other bytes
 * are copied. Returns a malloc'd string; never NULL.
 */
char *format_go_quote(const char *s);

/*
 * Like fmt's %#q: s in backquotes when Go can (no backquote, no control byte but TAB), else
 * format_go_quote(s). Returns a malloc'd string; never NULL.
 */
char *format_go_backquote(const char *s);
