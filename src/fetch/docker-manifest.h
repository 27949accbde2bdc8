/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker v2 schema 2 and OCI manifests, manifest lists and indexes: media types, platform
 * selection (os linux, this machine's architecture and variant) and descriptors.
 * Schema 1 is not supported (deprecated; DOCKER.md §1.7).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "json-util.h"

#define DOCKER_MANIFEST_MAX (4 << 20)  /* manifests, indexes, index.json */
#define DOCKER_CONFIG_MAX   (16 << 20) /* image configurations */

/* The Accept header of a manifest request: every type below. */
#define DOCKER_MANIFEST_ACCEPT                                           \
        "Accept: application/vnd.docker.distribution.manifest.v2+json, " \
        "application/vnd.docker.distribution.manifest.list.v2+json, "    \
        "application/vnd.oci.image.manifest.v1+json, "                   \
        "application/vnd.oci.image.index.v1+json"

struct docker_descriptor {
        char *media_type;
        char *digest; /* "sha256:<hex>", checked */
        uint64_t size;
};

struct docker_manifest {
        struct docker_descriptor config;
        struct docker_descriptor *layers; /* base first */
        size_t n_layers;
};

void docker_manifest_done(struct docker_manifest *m);

/*
 * Parses a manifest or index body. media_type is the Content-Type (NULL: use the body's
 * mediaType field). For an index (or manifest list) *ret_index is 1 and *ret_digest the
 * digest of the entry for linux and this machine's platform; for an image manifest
 * *ret_index is 0 and *ret the manifest.
 */
int docker_manifest_parse(const char *body, size_t len, const char *media_type, int *ret_index,
                          char **ret_digest, struct docker_manifest *ret, struct rk_error **reterr);

/* "sha256:<hex>" of data. */
char *docker_sha256(const void *data, size_t len);

/*
 * What rkt (docker2aci) read of image manifests, indexes and OCI index.json files, and of
 * image configurations, with its keys matched as Go's encoding/json matched them
 * (json-util.h: "cmd" is "Cmd" when alone; a key twice, or two keys for one field, is an
 * error). Maps (Labels, ExposedPorts, Volumes, annotations) keep their keys.
 */
extern const struct json_field_spec docker_manifest_fields[];
extern const struct json_field_spec docker_config_fields[];
/* Parses an image configuration (a JSON object). NULL with *ret_error (malloc'd). */
json_t *docker_config_parse(const char *body, size_t len, char **ret_error);
