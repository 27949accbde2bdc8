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

/*
 * (Every ret_error below may be NULL.)
 *
 * Reading JSON as rkt's Go code read it (encoding/json into structs), one rule everywhere
 * (manifests, configuration files, net.d, Docker documents, CNI results):
 *   - a member names a field when its key is the field's name exactly or, failing that,
 *     case-insensitively (Go's folding: ASCII letters, and U+212A KELVIN SIGN as "k",
 *     U+017F LONG S as "s"), so a lone "Name" sets field "name";
 *   - a key twice in an object, or two keys for the same field ("name" and "Name"), is an
 *     error naming the key (Go kept the last one silently).
 * Members of maps (labels, annotations, ...) are not fields: their keys are matched exactly.
 */

/* Whether the JSON key names the (ASCII) field, exactly or case-insensitively. */
bool json_key_matches(const char *key, const char *field);

/*
 * The member of obj that names field: 1 and *ret, 0 when none does (or obj is not an
 * object), -EEXIST when two do (*ret_error then says which, malloc'd).
 */
int json_field_get(const json_t *obj, const char *field, json_t **ret, char **ret_error);

/* The fields of an object: a member with .fields is an object with those fields, or an
 * array (of arrays ...) of such objects. The list ends with a NULL name. */
struct json_field_spec {
        const char *name;
        const struct json_field_spec *fields;
};

/*
 * Renames the members of v (an object, or an array of them) that name the fields of spec
 * to the fields' own spelling, at every level spec describes, so that json_object_get() with
 * the field's name finds them. -EEXIST with *ret_error (malloc'd) when two members name a
 * field.
 */
int json_fields_canonicalise(json_t *v, const struct json_field_spec *spec, char **ret_error);

/*
 * Parses len bytes of JSON (any value with JSON_DECODE_ANY in flags), refusing a key twice
 * in an object. NULL on error with a one-line message in *ret_error (malloc'd): "line 3,
 * column 9: duplicate key \"exec\"".
 */
json_t *json_load_strict(const char *buf, size_t len, size_t flags, char **ret_error);

/* json_load_strict() then json_fields_canonicalise() with spec. */
json_t *json_load_fields(const char *buf, size_t len, const struct json_field_spec *spec,
                         char **ret_error);
/* Like json_load_fields() for a JSON object: any other value is the error "not a JSON object". */
json_t *json_load_object_fields(const char *buf, size_t len, const struct json_field_spec *spec,
                                char **ret_error);
