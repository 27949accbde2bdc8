/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker image references (DOCKER.md §1.1): docker://[REGISTRY[:PORT]/]REPO[:TAG|@DIGEST],
 * normalised as docker/distribution does: the Hub is registry-1.docker.io, its one-component
 * repositories get "library/", and a reference without tag or digest means tag "latest".
 */
#pragma once

#include <stdbool.h>

#include "error.h"

#define DOCKER_HUB "registry-1.docker.io"

struct docker_ref {
        char *registry;   /* host[:port], DOCKER_HUB by default */
        char *repository; /* e.g. library/busybox */
        char *tag;        /* NULL for a digest reference */
        char *digest;     /* "sha256:<64 hex>", NULL for a tag reference */
};

/*
 * Parses s (with or without the "docker://" or "docker:" prefix). Errors: -EINVAL with
 * "invalid docker reference \"<s>\": <why>".
 */
int docker_ref_parse(const char *s, struct docker_ref *ret, struct rk_error **reterr);
void docker_ref_done(struct docker_ref *r);

/* The tag or digest as it goes into a manifest URL. */
const char *docker_ref_reference(const struct docker_ref *r);
/* Whether d is "sha256:" followed by 64 lowercase hex digits. */
bool docker_digest_is_valid(const char *d);
