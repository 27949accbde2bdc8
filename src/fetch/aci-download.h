/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Downloading an image (or any large file) over HTTP(S) into the store's D/cas/tmp, as
 * rkt's resumable session did (SPEC.md §5.3): If-None-Match with the cached ETag (304: keep
 * the stored image), the ETag and Cache-Control max-age of the answer for the remote cache,
 * 202 Accepted reported to the caller, and a download interrupted before its end kept as
 * D/cas/tmp/dl-<sha256 of the URL> (with its ETag beside it) and continued with a Range
 * request by the next fetch of the URL, when a HEAD request shows the server supports byte
 * ranges and the resource did not change. One rkt downloads a URL at a time (flock); the
 * partial file is the downloading user's own (0600): another user's is never continued.
 * When that name cannot be had (someone with write access to D/cas/tmp, a member of group
 * rkt, keeps recreating it), the download goes to an anonymous file: not resumable, never
 * a failed fetch.
 *
 * Runs in: stage0.
 */
#pragma once

#include <stdint.h>

#include "error.h"
#include "http.h"
#include "store.h"

struct aci_download {
        const struct http_client *http;
        const char *url;
        const char *etag;  /* If-None-Match (the cached image's ETag), NULL for none */
        const char *label; /* of the progress bar ("ACI") */
        /* Called (NULL: not) after each part of a 2xx body is written to fd, which then
         * holds size bytes (with those of a resumed download). */
        void (*on_data)(long status, int fd, uint64_t size, void *userdata);
        void *userdata;
};

struct aci_download_result {
        long status;     /* 200 (complete: fd), 304 (not modified) or 202 (accepted, retry) */
        char *etag;      /* the answer's ETag, NULL when none */
        int64_t max_age; /* the answer's Cache-Control max-age (no-cache, no-store: 0) */
        int fd;          /* status 200: the downloaded file, read-only use; else -EBADF */
        char *name;      /* the partial file's name below D/cas/tmp; NULL: anonymous */
};

/*
 * Downloads d->url. Any other status is an error "bad HTTP status code: <n>". A body
 * without Content-Length is limited to $RKT_MAX_IMAGE_SIZE (bytes, or with K, M, G, T;
 * default 64G). On success with status 200 the caller owns ret->fd and calls
 * aci_download_done() once the file is no longer needed (it is then removed).
 */
int aci_download(struct store *s, const struct aci_download *d, struct aci_download_result *ret,
                 struct rk_error **reterr);

/* Closes and removes the downloaded file (and its ETag file); frees the result. */
void aci_download_done(struct store *s, struct aci_download_result *r);

/* The max-age of a Cache-Control value as rkt read it: no-cache and no-store give 0. */
int64_t aci_cache_max_age(const char *cache_control);
