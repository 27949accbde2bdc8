/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small HTTP(S) client over libcurl for registries (DESIGN.md §7): every response is
 * bounded in size and time, redirects are followed by hand (at most HTTP_MAX_REDIRECTS)
 * so that an HTTPS origin never continues over plain HTTP and credentials never leave the
 * origin they were meant for, and bodies streamed to a file are hashed on the way.
 *
 * Runs in: stage0. libcurl may start a resolver thread; no namespaces are touched here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strv.h"

#define HTTP_MAX_REDIRECTS  10
#define HTTP_ERROR_BODY_MAX (16 << 10)
#define HTTP_STALL_SECONDS  60 /* default: a transfer that moves no byte this long fails */

struct http_response;

/* The credentials of one host (auth.d): sent only over HTTPS, only to that host. */
struct http_credential {
        const char *host;          /* "host" or "host:port", as written in auth.d */
        const char *authorization; /* the "Authorization" value */
};

struct http_client {
        bool insecure_tls; /* do not verify certificates */
        bool progress;     /* progress bars on stderr for file downloads */
        /* credentials per host, used when a request has no authorization of its own */
        const struct http_credential *credentials;
        size_t n_credentials;
};

struct http_request {
        const char *url;
        char **headers;             /* extra "Name: value" lines, sent on every hop */
        const char *authorization;  /* "Authorization" value, only sent to the origin of url */
        size_t max_size;            /* memory body: larger is an error (-EFBIG) */
        int out_fd;                 /* >= 0: a 2xx body goes here instead of memory */
        uint64_t expect_size;       /* out_fd: exact size (0: unknown), more is -EFBIG */
        uint64_t max_out;           /* out_fd with expect_size 0: at most this much (0: none) */
        uint64_t resume_from;       /* out_fd: its first bytes are there; a 206 answer continues
                                       after them, any other 2xx replaces them */
        const char *progress_label; /* the progress bar's label (NULL: none) */
        long timeout_s;             /* whole-request limit; 0: only the stall limit */
        long stall_s;               /* no byte moved for this long fails; 0: HTTP_STALL_SECONDS */
        bool head;                  /* a HEAD request */
        bool digest;                /* out_fd: compute the response's sha256 */
        bool writeback;             /* out_fd: starts writing the body to disk as it comes
                                       (for a file that will be synced) */
        /* out_fd: called once the headers of a 2xx answer are in, before its first byte */
        void (*on_body)(const struct http_response *resp, void *userdata);
        /* out_fd: called after each part of a 2xx body is written (resp->written: the bytes
         * out_fd now holds) */
        void (*on_data)(const struct http_response *resp, void *userdata);
        void *userdata;
};

struct http_response {
        long status;
        char *body; /* NUL-terminated; for out_fd only the error body of a non-2xx answer */
        size_t len;
        uint64_t written;       /* out_fd: bytes written */
        char sha256[72];        /* out_fd with digest: "sha256:<hex>" of the bytes written */
        char *content_type;     /* without parameters, NULL when absent */
        char *www_authenticate; /* the first challenge header, NULL when absent */
        char *docker_digest;    /* Docker-Content-Digest, NULL when absent */
        char *etag;             /* ETag, NULL when absent */
        char *cache_control;    /* Cache-Control, NULL when absent */
        char *accept_ranges;    /* Accept-Ranges, NULL when absent */
        char *last_modified;    /* Last-Modified, NULL when absent */
        char *url;              /* the URL that answered (after redirects) */
        bool resumed;           /* out_fd: a 206 continued after resume_from */
};

void http_response_done(struct http_response *r);

/*
 * Performs a GET of req->url. A transport failure (connection, TLS, timeout, size limit,
 * downgrade redirect) is an error naming the URL; any HTTP status is a success with
 * ret->status set: the caller decides. For out_fd, only a 2xx body is written to it.
 * Trusted certificates: the system's; $SSL_CERT_FILE (a PEM file) replaces the system's
 * bundle and $SSL_CERT_DIR (colon-separated directories of PEM files) its directory, as Go,
 * and so rkt, read them. Without req->authorization, the client's credentials for the host
 * of an https:// req->url are sent (never over HTTP, never to another origin).
 */
int http_get(const struct http_client *c, const struct http_request *req, struct http_response *ret,
             struct rk_error **reterr);

/* Whether two URLs have the same scheme, host and port (credentials may go from a to b). */
bool http_same_origin(const char *a, const char *b);
/* The URL-encoded form of s (never NULL). */
char *http_escape(const char *s);
