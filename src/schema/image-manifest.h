/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc ImageManifest (schema.ImageManifest, spec 0.8.11): parsing with full validation and
 * canonical output identical to Go's json.Marshal of the same manifest.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "error.h"
#include "types.h"

struct ac_dependency {
        char *image_name; /* AC identifier */
        char *image_id;   /* "sha512-..."; NULL if absent */
        struct ac_labels labels;
        uint64_t size; /* 0 when absent */
};

struct image_manifest {
        char *ac_version; /* semver, canonical spelling */
        char *name;       /* AC identifier */
        struct ac_labels labels;
        struct ac_app *app; /* NULL when absent */
        struct ac_labels annotations;
        struct ac_dependency *deps;
        size_t n_deps;
        char **path_whitelist; /* strv of absolute paths, may be NULL */
};

/*
 * Parses and validates an image manifest from len bytes of JSON (need not be
 * NUL-terminated). acKind must be "ImageManifest"; see README of the module for the rules.
 * Unknown members are ignored. Returns 0 and a new manifest in *ret (free with
 * image_manifest_free()), or -EINVAL with reterr naming the offending field.
 */
int image_manifest_parse(const char *json, size_t len, struct image_manifest **ret,
                         struct rk_error **reterr);

/* NULL-safe; returns NULL. */
struct image_manifest *image_manifest_free(struct image_manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct image_manifest *, image_manifest_free)

/*
 * The manifest as Go's json.Marshal (pretty: json.MarshalIndent with a TAB) writes
 * schema.ImageManifest: acKind, acVersion, name, then labels, app, annotations,
 * dependencies, pathWhitelist, each omitted when empty. Returns a malloc'd string.
 */
char *image_manifest_to_json(const struct image_manifest *m, bool pretty);

/* The value of label name (e.g. "version", "os"), or NULL. */
const char *image_manifest_get_label(const struct image_manifest *m, const char *name);

/* The value of annotation name, or NULL. */
const char *image_manifest_get_annotation(const struct image_manifest *m, const char *name);
