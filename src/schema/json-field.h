/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to src/schema: typed access to JSON object members with error messages that name
 * the field ("app.exec[0]: ..."), plus small builders for the Go-shaped output trees.
 *
 * Keys are matched as Go's encoding/json matched them (json-util.h): "Name" sets field
 * "name" when no member is named "name" exactly; two members for one field are an error.
 *
 * Getter convention: a member that is absent or JSON null counts as absent (Go leaves the
 * zero value), the getter returns 0 and sets *ret to the zero value. A present member of the
 * right type returns 1. A member of the wrong type returns -EINVAL and sets reterr to
 * "<path>: expected <type>". path is the member's own full path, built by the caller.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "error.h"
#include "types.h"

/* "parent.key", or "key" when parent is NULL or empty. malloc'd. */
char *field_join(const char *parent, const char *key);

/* "parent[i]". malloc'd. */
char *field_index(const char *parent, size_t i);

/* Sets reterr to "<path>: <message>" with EINVAL and returns -EINVAL. */
int field_error(struct rk_error **reterr, const char *path, const char *fmt, ...) _printf_(3, 4);

/* The member of obj that names field key as Go's encoding/json matched keys (json-util.h:
 * exactly, else case-insensitively): 1 and *ret, 0 when absent, an error naming the keys
 * when two members name it. */
int jf_get(const json_t *obj, const char *key, const char *parent, json_t **ret,
           struct rk_error **reterr);

int jf_string(const json_t *obj, const char *key, const char *parent, const char **ret,
              struct rk_error **reterr);
int jf_bool(const json_t *obj, const char *key, const char *parent, bool *ret,
            struct rk_error **reterr);
int jf_array(const json_t *obj, const char *key, const char *parent, json_t **ret,
             struct rk_error **reterr);
int jf_object(const json_t *obj, const char *key, const char *parent, json_t **ret,
              struct rk_error **reterr);

/* An integer in [min, max]; out-of-range values are errors too. */
int jf_int(const json_t *obj, const char *key, const char *parent, int64_t min, int64_t max,
           int64_t *ret, struct rk_error **reterr);

/* An array of strings as a strv (an empty array gives an empty, non-NULL strv). */
int jf_strv(const json_t *obj, const char *key, const char *parent, char ***ret,
            struct rk_error **reterr);

/*
 * Calls parse_one(element, "<path>[i]", data, reterr) for each element of the array member key,
 * in order. Every element must be an object ("expected an object" otherwise). Returns 0 when the
 * member is absent or null, 1 when all elements were parsed, or the first negative result.
 */
int jf_foreach_object(const json_t *obj, const char *key, const char *parent,
                      int (*parse_one)(const json_t *, const char *, void *, struct rk_error **),
                      void *data, struct rk_error **reterr);

/* A [{"name": ..., "value": ...}] list; names checked with name_ok when non-NULL. */
int jf_pairs(const json_t *obj, const char *key, const char *parent, bool (*name_ok)(const char *),
             struct ac_labels *ret, struct rk_error **reterr);

/* A {"k": "v", ...} string map (Go map[string]string). */
int jf_string_map(const json_t *obj, const char *key, const char *parent, struct ac_labels *ret,
                  struct rk_error **reterr);

/* Checks annotations: unique names, created is RFC 3339, homepage/documentation URLs. */
int annotations_validate(const struct ac_labels *a, const char *path, struct rk_error **reterr);

/* Output builders. A string node from s ("" when NULL); never fails. */
json_t *jstr(const char *s);
json_t *jstrv(char *const *l);
json_t *jpairs(const struct ac_labels *l);
/* A map rendered like Go: keys sorted bytewise. */
json_t *jstring_map(const struct ac_labels *l);
/* Sets key on obj, taking the reference of v. */
void jset(json_t *obj, const char *key, json_t *v);

/*
 * Loads len bytes of JSON (a key twice in an object is an error) that must be an object
 * with acKind == kind and, when present, a
 * valid semver acVersion (required when version_required). On success returns 0, the
 * document in *ret and the canonical version (NULL when absent) in *ret_version.
 */
int manifest_load(const char *json, size_t len, const char *kind, bool version_required,
                  json_t **ret, char **ret_version, struct rk_error **reterr);

/* Parses the labels member key of obj as an image label set (ac_labels_validate rules). */
int jf_labels(const json_t *obj, const char *key, const char *parent, struct ac_labels *ret,
              struct rk_error **reterr);

/* Parses the annotations member key of obj (AC identifier names; annotations_validate). */
int jf_annotations(const json_t *obj, const char *key, const char *parent, struct ac_labels *ret,
                   struct rk_error **reterr);

/* The rules of jf_labels() and jf_annotations() for a list made in memory (path names it). */
int labels_check(const struct ac_labels *l, const char *path, struct rk_error **reterr);
int annotations_check(const struct ac_labels *l, const char *path, struct rk_error **reterr);

/* acVersion v: a semantic version; set when required. */
int ac_version_check(const char *v, bool required, struct rk_error **reterr);
