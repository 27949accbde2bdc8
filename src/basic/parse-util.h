/* SPDX-License-Identifier: Apache-2.0 */
/* Strict string-to-value parsers with Go strconv semantics (ParseBool, ParseUint, ParseInt). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses a boolean like Go's strconv.ParseBool: "1", "t", "T", "TRUE", "true", "True" are
 * true; "0", "f", "F", "FALSE", "false", "False" are false. Returns 0 and sets *ret, or
 * -EINVAL for anything else (including NULL, "", "yes", " true"); *ret is untouched then.
 */
int parse_bool_go(const char *s, bool *ret);

/*
 * Parses a base-10 unsigned integer like strconv.ParseUint(s, 10, 64): one or more ASCII
 * digits, no sign, no whitespace, no prefix. Returns 0 and sets *ret; -EINVAL on syntax
 * errors (NULL or empty too); -ERANGE when the value exceeds UINT64_MAX. *ret is untouched
 * on failure.
 */
int safe_atou64(const char *s, uint64_t *ret);

/*
 * Parses a base-10 signed integer like strconv.ParseInt(s, 10, 64): an optional '+' or '-'
 * followed by one or more ASCII digits. Returns 0 and sets *ret; -EINVAL on syntax errors;
 * -ERANGE when the value is outside [INT64_MIN, INT64_MAX]. *ret is untouched on failure.
 */
int safe_atoi64(const char *s, int64_t *ret);

/* The user and group IDs we accept: below 4294967295, which is (uid_t)-1 to the kernel. */
#define ID_INVALID UINT32_MAX

/*
 * Whether s is meant as a numeric user or group ID rather than a name: it begins with an
 * ASCII digit, '+' or '-'. Such a string must then parse with parse_id().
 */
bool id_is_numeric(const char *s);

/*
 * Parses a user or group ID: ASCII digits only (no sign, space or prefix), a value below
 * ID_INVALID (4294967295 would make setresuid() and friends leave the ID unchanged). Returns 0
 * and sets *ret; -EINVAL on syntax errors; -ERANGE for ID_INVALID and above.
 */
int parse_id(const char *s, uint32_t *ret);

/*
 * Parses a size: decimal digits with an optional binary multiple K, M, G, T or P (either
 * case, "16G" is 16 GiB). Returns 0 and sets *ret; -EINVAL on syntax errors; -ERANGE above
 * UINT64_MAX.
 */
int parse_size_iec(const char *s, uint64_t *ret);
