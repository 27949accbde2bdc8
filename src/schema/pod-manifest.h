/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc PodManifest (schema.PodManifest, spec 0.8.11): parsing with validation (stricter
 * than actool: acVersion, image IDs and declared mount volumes are required) and canonical
 * output identical to Go's json.Marshal of the same manifest.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "error.h"
#include "isolators.h"
#include "types.h"

struct ac_volume {
        char *name;   /* ACName */
        char *kind;   /* "empty" or "host" */
        char *source; /* host: absolute path; empty: NULL */
        bool has_read_only, read_only;
        bool has_recursive, recursive;
        char *mode;            /* empty: defaults to "0755"; host: NULL */
        bool has_uid, has_gid; /* empty: always set (default 0); host: never */
        int uid, gid;
};

struct pod_mount {
        char *volume;                 /* ACName of a pod volume (or of app_volume) */
        char *path;                   /* absolute */
        struct ac_volume *app_volume; /* NULL when absent */
};

struct pod_app {
        char *name;       /* ACName, unique in the pod */
        char *image_name; /* AC identifier; NULL when absent */
        char *image_id;   /* "sha512-..." (required) */
        struct ac_labels image_labels;
        struct ac_app *app; /* NULL: use the image's app */
        bool read_only_rootfs;
        struct pod_mount *mounts;
        size_t n_mounts;
        struct ac_labels annotations;
};

struct pod_port {
        char *name;               /* ACName */
        unsigned host_port;       /* 0..65535 */
        char *host_ip;            /* canonical IP text; NULL when absent */
        struct ac_port *pod_port; /* NULL when absent */
};

/*
 * The has_* flags record whether a list was given as an array (Go: non-nil slice, written
 * as [] even when empty) or was absent/null (written as null).
 */
struct pod_manifest {
        char *ac_version; /* semver, canonical spelling */
        struct pod_app *apps;
        size_t n_apps;
        bool has_apps;
        struct ac_volume *volumes;
        size_t n_volumes;
        bool has_volumes;
        struct ac_isolator *isolators;
        size_t n_isolators;
        bool has_isolators;
        struct ac_labels annotations;
        bool has_annotations;
        struct pod_port *ports;
        size_t n_ports;
        bool has_ports;
        struct ac_labels user_annotations; /* Go map: written with sorted keys */
        struct ac_labels user_labels;      /* Go map: written with sorted keys */
};

/*
 * Parses and validates a pod manifest from len bytes of JSON. acKind must be
 * "PodManifest" and acVersion a semver; apps have unique ACName names and an image.id
 * "sha512-..."; volumes have unique names, kind empty|host, host volumes an absolute
 * source; every app mount names a declared volume (or carries an appVolume) and an
 * absolute path. Unknown members are ignored. Returns 0 and a new manifest in *ret (free
 * with pod_manifest_free()), or -EINVAL with reterr naming the offending field.
 */
int pod_manifest_parse(const char *json, size_t len, struct pod_manifest **ret,
                       struct rk_error **reterr);

/*
 * Checks a manifest made in memory with every rule pod_manifest_parse() applies (acVersion
 * set and a semver, apps, images, app sections, mounts, volumes, isolators, annotations,
 * ports, declared mount volumes), naming the field as the parser does ("apps[0].app: user
 * is required"). Returns 0, or -EINVAL with reterr set.
 */
int pod_manifest_validate(const struct pod_manifest *m, struct rk_error **reterr);

/* NULL-safe; returns NULL. */
struct pod_manifest *pod_manifest_free(struct pod_manifest *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pod_manifest *, pod_manifest_free)

/*
 * The manifest as Go's json.Marshal (pretty: MarshalIndent with a TAB) writes
 * schema.PodManifest: acVersion, acKind, apps, volumes, isolators, annotations, ports
 * (null when absent), then userAnnotations and userLabels (omitted when empty).
 * Returns a malloc'd string.
 */
char *pod_manifest_to_json(const struct pod_manifest *m, bool pretty);

/* Frees the contents of p (not p itself) and resets it. */
void pod_port_done(struct pod_port *p);

/* The app called name, or NULL. */
const struct pod_app *pod_manifest_find_app(const struct pod_manifest *m, const char *name);

/* The volume called name, or NULL. */
const struct ac_volume *pod_manifest_find_volume(const struct pod_manifest *m, const char *name);

/*
 * Parses one volume object at path, applying appc's defaults for kind "empty" (mode
 * "0755", uid 0, gid 0). Returns 0 and fills *ret (free with ac_volume_done()), or
 * -EINVAL with reterr set.
 */
int ac_volume_parse(const json_t *v, const char *path, struct ac_volume *ret,
                    struct rk_error **reterr);
void ac_volume_done(struct ac_volume *v);

/*
 * Checks a volume made in memory with the rules of ac_volume_parse() (an ACName name, the
 * rules of its kind; defaults are not required), naming path. Returns 0, or -EINVAL with
 * reterr set.
 */
int ac_volume_validate(const struct ac_volume *v, const char *path, struct rk_error **reterr);

/*
 * Parses rkt's --volume form "NAME,kind=empty|host[,source=PATH][,readOnly=BOOL]
 * [,recursive=BOOL][,mode=MODE][,uid=N][,gid=N]" (SPEC.md §4.3): "name=" is prepended, the
 * pieces split at ',' must each be key=value with a known key given once (booleans as Go's
 * ParseBool, uid and gid decimal 0..2^31-1), then the rules of the kind apply (a source,
 * even empty, is not valid for an empty volume) and the name must be an ACName; an empty
 * volume gets appc's defaults. Messages are rkt's ("unknown volume parameter \"x\"", ...),
 * without the flag's context. Returns 0 and fills *ret (free with ac_volume_done()), or
 * -EINVAL with reterr set.
 */
int ac_volume_from_string(const char *s, struct ac_volume *ret, struct rk_error **reterr);
/* Go-shaped volume object (new reference). */
json_t *ac_volume_to_json(const struct ac_volume *v);
