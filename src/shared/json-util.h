/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jansson helpers: cleanup support and a serializer whose output is byte-for-byte what Go's
 * encoding/json produces (json.Marshal / json.MarshalIndent(v, "", "\t")), so manifests we
 * write are identical to the ones rkt and actool write.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "macro.h"

/*
 * json_decrefp(json_t **p): NULL-safe json_decref(*p) for _cleanup_json_. jansson >= 2.9
 * ships it (for json_auto_t); older versions get ours.
 */
#if JANSSON_VERSION_HEX < 0x020900
static inline void json_decrefp(json_t **p)
{
        if (*p)
                json_decref(*p);
}
#endif
#define _cleanup_json_ _cleanup_(json_decrefp)

/*
 * Serializes v exactly like Go's encoding/json:
 *   - compact (pretty == false): no whitespace at all;
 *   - pretty: one TAB per nesting level, "key": value, empty objects/arrays stay {} and [];
 *   - strings escape '"', '\\', \n \r \t short, other control characters as \u00XX, '<' '>'
 *     '&' as \u003c \u003e \u0026, U+2028/U+2029 as \u2028/\u2029; invalid UTF-8 becomes
 *     \ufffd;
 *   - object keys keep insertion order; integers print as integers; reals print like Go's
 *     float64 (shortest representation, exponent form below 1e-6 and from 1e21 on).
 * No trailing newline. Returns a malloc'd string (never NULL: OOM aborts). v must not be NULL.
 */
char *json_dump_go(const json_t *v, bool pretty);

/*
 * Writes the Go rendering of one float64 into buf (at most 31 characters + NUL). Exposed for
 * tests.
 * Non-finite values (which jansson cannot hold anyway) render as "null".
 */
void json_format_go_float(double d, char buf[static 32]);
