/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt's configuration (SPEC.md §10): JSON files in auth.d, paths.d and stage1.d of the
 * system, local and user configuration directories, later directories overriding earlier
 * ones per key. Runs in: stage0.
 */
#pragma once

#include <jansson.h>

#include "error.h"

struct config_auth {
        char *domain;
        char *type; /* basic, oauth or aws */
        json_t *credentials;
};

struct config_docker_auth {
        char *registry;
        char *user;
        char *password;
};

struct config {
        struct config_auth *auth;
        size_t n_auth;
        struct config_docker_auth *docker_auth;
        size_t n_docker_auth;
        char *data_dir;          /* NULL when not configured */
        char *stage1_images_dir; /* NULL when not configured */
        char *stage1_name, *stage1_version, *stage1_location;
};

/*
 * Reads the configuration from system_dir, local_dir and user_dir (NULL or "" skips it).
 * A missing directory is fine; any invalid file is an error naming it.
 */
int config_load(const char *system_dir, const char *local_dir, const char *user_dir,
                struct config **ret, struct rk_error **reterr);
/* NULL-safe; returns NULL. */
struct config *config_free(struct config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct config *, config_free)
/* {"stage0":[auth…, dockerAuth…, paths, stage1]} as `rkt config` prints it. */
json_t *config_to_json(const struct config *c);
