/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc (spec 0.8.11) basic types: AC identifiers and names, label lists, image hashes,
 * semantic versions, dates, URLs and the "NAME[:VERSION][,LABEL=VALUE...]" image-name
 * grammar. Pure functions; no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/*
 * An AC identifier (image names, label/annotation names) as appc's code checked it: only
 * [a-z0-9-._~/], starting and ending with [a-z0-9] (separators may repeat: "shorthash--6");
 * and, unlike appc, no "/"-separated component empty, "." or "..".
 */
bool ac_identifier_is_valid(const char *s);

/* An AC name (app, volume, port, mount-point names) as appc's code checked it: only
 * [a-z0-9-], starting and ending with [a-z0-9]. */
bool ac_name_is_valid(const char *s);

/* True iff s is "sha512-<value>" with a non-empty lowercase-hex value and no other '-'. */
bool ac_hash_is_valid(const char *s);

/*
 * True iff s is a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+METADATA] that is not
 * 0.0.0 (appc's SemVer rejects the zero version). PRERELEASE and METADATA are non-empty runs
 * of [0-9A-Za-z.-].
 */
bool ac_semver_is_valid(const char *s);

/*
 * Returns the canonical spelling of a valid semantic version as Go's semver prints it
 * (numbers without leading zeros), malloc'd; NULL when s is not valid.
 */
char *ac_semver_normalize(const char *s);

/* True iff s is an RFC 3339 timestamp, e.g. "2016-01-02T15:04:05Z" or "...+01:00". */
bool ac_date_is_valid(const char *s);

/* True iff s is a URL whose scheme is http or https (any case), without spaces or control
 * characters. */
bool ac_url_is_valid(const char *s);

/* An ordered name/value pair list. Used for labels, annotations and environments. */
struct ac_label {
        char *name;
        char *value;
};

struct ac_labels {
        struct ac_label *items;
        size_t n;
};

/* The value of the first pair called name, or NULL. l may be empty (zero-initialised). */
const char *ac_labels_get(const struct ac_labels *l, const char *name);

/* Replaces the value of the pair called name, or appends a new pair. Copies both strings. */
void ac_labels_set(struct ac_labels *l, const char *name, const char *value);

/* Frees all pairs and resets l to empty. l itself is not freed. */
void ac_labels_done(struct ac_labels *l);

/* Deep-copies src into *dst (dst is overwritten, not freed first). */
void ac_labels_copy(struct ac_labels *dst, const struct ac_labels *src);

/*
 * Checks an image label set: names are AC identifiers, "name" is not a label, no name
 * appears twice, and the os/arch pair is one appc knows (an unknown os is rejected; arch is
 * only checked when os is set). field names the list in messages ("labels").
 * Returns 0, or -EINVAL and sets reterr.
 */
int ac_labels_validate(const struct ac_labels *l, const char *field, struct rk_error **reterr);

/*
 * Checks an os/arch pair against appc's table (linux, freebsd, darwin). arch may be NULL.
 * Errors read `bad os "x" (must be one of: [darwin freebsd linux])` and
 * `bad arch "x" for linux (must be one of: [...])`. Returns 0, or -EINVAL and sets reterr.
 */
int ac_os_arch_validate(const char *os, const char *arch, struct rk_error **reterr);

/*
 * Parses an appc image name "NAME[:VERSION][,LABEL=VALUE...]" (SPEC.md §5.2 point 3).
 * ":V" is shorthand for the label version=V and may only appear once, right after NAME.
 * NAME and label names must be AC identifiers; a label given twice is an error. No os/arch
 * defaulting. On success *ret_name gets a malloc'd name and *ret_labels (which must be empty
 * on entry) the labels in the order written; returns 0. On failure returns -EINVAL, sets
 * reterr and leaves the outputs untouched.
 */
int app_ref_parse(const char *s, char **ret_name, struct ac_labels *ret_labels,
                  struct rk_error **reterr);
