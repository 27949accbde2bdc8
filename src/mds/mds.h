/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata service (SPEC.md §9.1): a registry of pods, the registration API served on a
 * unix socket to stage0, and the public API served over TCP to apps, each request mapped to
 * a response by a pure function so that it can be tested without sockets.
 * Runs in: the `rkt metadata-service` process (single-threaded, never in a pod).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mds-util.h"

#define MDS_DEFAULT_PORT  18112
#define MDS_REG_SOCKET    "/run/rkt/metadata-svc.sock"
#define MDS_CT_TEXT       "text/plain; charset=us-ascii"
#define MDS_CT_JSON       "application/json"
#define MDS_MAX_FORM_BODY (64u << 10) /* public POST bodies */
#define MDS_MAX_MANIFEST  (4u << 20)  /* registration bodies */

struct mds_app {
        char *name;
        json_t *manifest; /* the image manifest as registered */
};

struct mds_pod {
        uint8_t uuid[MDS_UUID_LEN];
        char uuid_str[37];
        char *token;
        json_t *manifest; /* the pod manifest as registered */
        struct mds_app *apps;
        size_t n_apps;
};

struct mds_registry {
        struct mds_pod **pods;
        size_t n_pods;
        uint8_t hmac_key[MDS_HMAC_KEY_LEN];
};

/* A new empty registry with a random HMAC key. Returns 0 or -errno (getrandom). */
int mds_registry_new(struct mds_registry **ret);
/* NULL-safe; returns NULL. */
struct mds_registry *mds_registry_free(struct mds_registry *reg);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct mds_registry *, mds_registry_free)

/* The pod registered with token / uuid, or NULL. */
struct mds_pod *mds_registry_by_token(const struct mds_registry *reg, const char *token);
struct mds_pod *mds_registry_by_uuid(const struct mds_registry *reg,
                                     const uint8_t uuid[static MDS_UUID_LEN]);

/*
 * Registers (or re-registers, dropping its apps) the pod uuid with token, taking a reference
 * to manifest. Returns 0, or -EEXIST when another pod holds the token.
 */
int mds_registry_add_pod(struct mds_registry *reg, const uint8_t uuid[static MDS_UUID_LEN],
                         const char *token, json_t *manifest);

/* Adds or replaces the image manifest (a new reference) of app name of pod. */
void mds_registry_add_app(struct mds_pod *pod, const char *name, json_t *manifest);

/* The registered app name of pod, or NULL. */
const struct mds_app *mds_pod_app(const struct mds_pod *pod, const char *name);

/* Forgets the pod uuid. Returns 0 or -ENOENT. */
int mds_registry_remove(struct mds_registry *reg, const uint8_t uuid[static MDS_UUID_LEN]);

/* One HTTP request, as the server read it. */
struct mds_request {
        const char *method;
        const char *path;         /* decoded path, without the query */
        const char *token;        /* the "token" query argument (registration), or NULL */
        const char *content_type; /* or NULL */
        const char *body;
        size_t body_len;
};

/* The answer to a request; body is malloc'd (free with mds_response_done()). */
struct mds_response {
        unsigned status;
        const char *content_type; /* static */
        char *body;
        size_t len;
};

void mds_response_done(struct mds_response *r);

/* Sets r to a text response: status, MDS_CT_TEXT, the formatted body. */
void mds_respond_text(struct mds_response *r, unsigned status, const char *fmt, ...) _printf_(3, 4);

/* Sets r to a 200 MDS_CT_JSON response: v as Go's json.Encoder writes it (compact + "\n"). */
void mds_respond_json(struct mds_response *r, const json_t *v);

/* The registration API (PUT /pods/<uuid>?token=, PUT /pods/<uuid>/<app>, DELETE /pods/<uuid>). */
void mds_handle_registration(struct mds_registry *reg, const struct mds_request *rq,
                             struct mds_response *ret);

/* The public API under /<token>/acMetadata/v1/. */
void mds_handle_public(struct mds_registry *reg, const struct mds_request *rq,
                       struct mds_response *ret);

/* How `rkt metadata-service` listens. */
struct mds_options {
        unsigned port;          /* TCP, all IPv4 addresses */
        const char *reg_socket; /* the registration socket path */
};

/*
 * Runs the service until SIGINT or SIGTERM: binds both listeners (or takes the registration
 * socket from socket activation, LISTEN_FDS), prints "metadata service running..." and serves.
 * Returns 0 after a signal, or < 0 with reterr set when a listener cannot be set up (the port
 * or the socket is taken by another service, ...).
 */
int mds_serve(const struct mds_options *o, struct rk_error **reterr);
