/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Docker Registry HTTP API v2 client (DOCKER.md §1.3): the version probe (HTTPS, then
 * plain HTTP only when allowed), anonymous, Basic and Bearer-token authentication (RFC 7235
 * challenges; "token" or "access_token"; a token that expires or is refused is renewed
 * once), manifests and blobs with every digest and size checked.
 *
 * Credentials go only to the registry's own origin (scheme, host and port): the token
 * realm gets them only when it is that origin, and redirects to blob storage elsewhere
 * carry none.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "docker-ref.h"
#include "http.h"

struct registry {
        struct http_client http;
        const struct docker_ref *ref;
        bool allow_http;
        char *base;   /* "https://host[:port]" (or http) after the probe */
        char *basic;  /* "Basic <base64>" when credentials are configured */
        char *bearer; /* "Bearer <token>" once obtained */
        time_t bearer_expiry;
        bool use_basic; /* the registry asked for Basic */
        /* guards bearer, bearer_expiry and use_basic: blobs download from several threads at
         * once (registry_get_blob_fd() is thread-safe after registry_open()) */
        pthread_mutex_t lock;
};

/* Probes the registry of ref. user/password (both NULL for none) are its credentials. */
int registry_open(struct registry *r, const struct docker_ref *ref, bool allow_http,
                  const char *user, const char *password, struct rk_error **reterr);
void registry_done(struct registry *r);

/*
 * Fetches the manifest of reference (tag or digest). *ret_digest is its sha256, checked
 * against a digest reference and against the registry's Docker-Content-Digest header.
 */
int registry_get_manifest(struct registry *r, const char *reference, char **ret_body,
                          size_t *ret_len, char **ret_media_type, char **ret_digest,
                          struct rk_error **reterr);
/* Downloads blob digest of exactly size bytes into out_fd, checking its digest. Several
 * threads may call it at once (each with its own out_fd; progress bars, if shown, then
 * share stderr's line). */
int registry_get_blob_fd(struct registry *r, const char *digest, uint64_t size, int out_fd,
                         struct rk_error **reterr);
/* Downloads a small blob (at most max bytes) into memory, checking its digest. */
int registry_get_blob_mem(struct registry *r, const char *digest, uint64_t size, size_t max,
                          char **ret_body, size_t *ret_len, struct rk_error **reterr);
