/* SPDX-License-Identifier: Apache-2.0 */
/* Getting an image argument into the store (SPEC.md §5.2, §5.3): shared by fetch, run,
 * prepare and the stage1 selection. */
#pragma once

#include "store.h"

struct stage0_context;

enum image_fetch_flags {
        IMAGE_FETCH_NO_VERIFY = 1 << 0, /* trusted source (the default stage1): no signature */
        IMAGE_FETCH_WITH_DEPS = 1 << 1, /* also fetch the image's appc dependencies (and, as
                                           root, render the image with them) */
};

/*
 * Resolves arg to a store key under pull_policy ("new", "update" or "never"), as rkt's
 * fetcher did (SPEC.md §5.3): an ID or prefix from the store; a file (path or file://)
 * imported; an http(s):// URL downloaded (or taken from the remote cache); an appc name
 * looked up in the store or found by discovery (§5.4); docker:// and the local Docker/OCI
 * formats converted. Unless --insecure-options=image or IMAGE_FETCH_NO_VERIFY, an image that
 * is read or downloaded needs a signature a trusted key made (§5.5): signature (a local
 * file, may be NULL) or the one beside the image. Whatever fails, the store is as it was
 * (but for a download cut short, kept in D/cas/tmp to be continued).
 */
int image_fetch(struct store *s, const struct stage0_context *ctx, const char *arg,
                const char *signature, const char *pull_policy, unsigned flags, char **ret_key,
                struct rk_error **reterr);
