/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Adding trusted keys (SPEC.md §3.14), for `rkt trust` and for the keys a fetch by name
 * discovers: keys from files, https:// URLs (http:// only when allowed) or the
 * ac-discovery-pubkeys of a prefix, shown with their fingerprints, reviewed on a terminal
 * (or trusted without review when asked), then stored in the local keystore. It prints what
 * rkt's pubkey manager printed: the key summary, the prompt and the outcome on stdout, the
 * rest on stderr with the prefix "pubkey: ".
 *
 * Runs in: stage0 (the rkt command); it reads the answer from stdin.
 */
#pragma once

#include <stdbool.h>

#include "error.h"

struct stage0_context;

struct pubkey_options {
        bool allow_http;            /* keys (and discovery pages) over plain HTTP */
        bool trust_keys_from_https; /* keys from https:// are trusted without review */
        bool skip_review;           /* every key is trusted without review */
};

/*
 * The key URLs that discovery finds for prefix: errors "empty prefix", "prefix meta
 * discovery error: ..." and "meta discovery on <prefix> resulted in no keys".
 */
int stage0_pubkey_locations(const struct stage0_context *ctx, const char *prefix,
                            const struct pubkey_options *o, char ***ret, struct rk_error **reterr);

/*
 * Reviews and stores the keys at locations for prefix (NULL: root keys). A key refused at
 * the prompt is skipped; the first failure stops (rkt's messages, e.g. "error accessing the
 * key <loc>", "error reviewing key: unable to ask user to review fingerprint due to lack of
 * tty").
 */
int stage0_pubkey_add(const struct stage0_context *ctx, char *const *locations, const char *prefix,
                      const struct pubkey_options *o, struct rk_error **reterr);
