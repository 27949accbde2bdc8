/* SPDX-License-Identifier: Apache-2.0 */
/* Getting an image argument into the store (SPEC.md §5.2, §5.3): shared by fetch, run,
 * prepare and the stage1 selection. */
#pragma once

#include "store.h"

struct stage0_context;

enum image_fetch_flags {
        IMAGE_FETCH_NO_VERIFY = 1 << 0, /* trusted source (the default stage1): no signature */
};

/*
 * Resolves arg to a store key under pull_policy ("new", "update" or "never"): an ID or
 * prefix from the store; a file (path or file://) imported, which needs a verified
 * signature unless --insecure-options=image or IMAGE_FETCH_NO_VERIFY (verification is not
 * available yet: such a fetch fails and says so); a name looked up in the store (policies
 * new and never; discovery is not available yet). http(s) and docker images are not
 * available yet either.
 */
int image_fetch(struct store *s, const struct stage0_context *ctx, const char *arg,
                const char *pull_policy, unsigned flags, char **ret_key, struct rk_error **reterr);
