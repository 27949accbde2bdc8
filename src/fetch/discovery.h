/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc discovery (SPEC.md §5.4): for an image name, the pages https://<prefix>?ac-discovery=1
 * of the name and each of its parents (longest first) are read for
 *     <meta name="ac-discovery" content="PREFIX TEMPLATE">
 *     <meta name="ac-discovery-pubkeys" content="PREFIX URL">
 * whose PREFIX starts the name. Templates take {name}, {version} (default "latest"), every
 * other label ({os}, {arch}, ...) and {ext} ("aci", "aci.asc"); a template left with a
 * "{...}" is skipped. Every page is at most 1 MiB; an endpoint or key that is not an
 * absolute https:// URL (or http:// when plain HTTP is allowed) is refused.
 *
 * Runs in: stage0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "http.h"
#include "types.h"

#define DISCOVERY_PAGE_MAX (1 << 20)

struct discovery_request {
        const char *name;               /* an AC identifier */
        const struct ac_labels *labels; /* requested labels (version, os, arch, ...) */
        const struct http_client *http; /* TLS settings, credentials per host */
        bool allow_http;                /* retry a failed https page over http, and accept
                                           http:// endpoints and keys */
        void (*on_attempt_failed)(const char *prefix, const char *why, void *userdata);
        void *userdata;
};

struct discovery_endpoint {
        char *aci; /* the image URL */
        char *asc; /* its signature URL */
};

void discovery_endpoints_free(struct discovery_endpoint *v, size_t n);

/*
 * The image endpoints of the first prefix (longest first) that yields one. Error (its
 * message the failures of every prefix, in order) when none does.
 */
int discovery_aci_endpoints(const struct discovery_request *rq, struct discovery_endpoint **ret,
                            size_t *ret_n, struct rk_error **reterr);

/* The key URLs of the first prefix that yields one; *ret is NULL (a success) when none does. */
int discovery_pubkeys(const struct discovery_request *rq, char ***ret, struct rk_error **reterr);

/*
 * The <meta name="ac-..." content="PREFIX URI"> tags of an HTML page as "name\tprefix\turi"
 * strings (strv; attribute values unescaped as HTML). Exposed for the unit tests.
 */
char **discovery_parse_meta(const char *html, size_t len);
