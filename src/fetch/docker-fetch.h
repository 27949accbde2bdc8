/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker and OCI images into the store (SPEC.md §5.7, DOCKER.md §1): from a registry
 * (docker://), from a `docker save` archive (docker-archive:PATH[:REF]) or from an OCI
 * image layout (oci:PATH[:REF]). Each is converted into one squashed ACI in a temporary
 * directory of the store (removed afterwards, or by the next rkt if this one is killed)
 * and imported. Nothing becomes visible unless every digest and every layer checked out.
 */
#pragma once

#include <stdbool.h>

#include "store.h"

struct docker_fetch_options {
        bool allow_http;             /* --insecure-options=http: plain-HTTP registries */
        bool insecure_tls;           /* --insecure-options=tls: no certificate checks */
        bool progress;               /* progress bars on stderr */
        bool render;                 /* render the tree store entry too (IMPORT_RENDER) */
        const char *user, *password; /* credentials of the reference's registry, or NULL */
};

/*
 * Fetches docker://REF under pull_policy: "never" and "new" use the image last fetched for
 * the reference as given when there is one ("never" fails otherwise); "update" (and "new"
 * without one) reads the manifest and reuses the image converted from the same manifest
 * digest, else downloads and converts. *ret_key is the image key.
 */
int docker_fetch(struct store *s, const char *arg, const char *pull_policy,
                 const struct docker_fetch_options *o, char **ret_key, struct rk_error **reterr);

/* The registry host of docker://REF (for its credentials); NULL when REF is invalid. */
char *docker_fetch_registry(const char *arg);

/* Converts and imports docker-archive:PATH[:REF] or oci:PATH[:REF]. */
int docker_fetch_local(struct store *s, const char *arg, const struct docker_fetch_options *o,
                       char **ret_key, struct rk_error **reterr);
