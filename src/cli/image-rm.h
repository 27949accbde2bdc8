/* SPDX-License-Identifier: Apache-2.0 */
/* Removing images with rkt's messages; shared by `image rm` and `image gc`. */
#pragma once

#include "store.h"

/*
 * Removes every image of keys, printing `successfully removed aci for image: "<key>"` for
 * each and the summary lines of SPEC.md §3.17 on stderr. Returns -EIO when any removal
 * failed or left stale files (after printing "error(s) found while removing images").
 */
int image_rm_keys(struct store *s, char *const *keys);
