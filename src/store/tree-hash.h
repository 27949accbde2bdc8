/* SPDX-License-Identifier: Apache-2.0 */
/* The tree hash of a rendered rootfs, recorded at render time and checked by verify. */
#pragma once

#include "error.h"

/*
 * Hashes the tree below dirfd/name: every entry in sorted order, its path, type, mode,
 * owner and size, a symlink's target and a regular file's contents. Device nodes and fifos
 * are never opened. *ret is "sha512-<64 hex>".
 */
int tree_hash_compute(int dirfd, const char *name, char **ret, struct rk_error **reterr);
