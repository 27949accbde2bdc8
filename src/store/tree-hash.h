/* SPDX-License-Identifier: Apache-2.0 */
/* The tree hash of a rendered rootfs, recorded at render time and checked by verify. */
#pragma once

#include <stddef.h>

#include "error.h"
#include "hashset.h"

#define CONTENT_DIGEST_LEN 32 /* SHA-256 */

/* SHA-256 digests of file contents by path ("rootfs/<path>"), filled while extracting so
 * that rendering need not read every file back. */
struct digest_map {
        struct hashset index; /* path -> position in v */
        unsigned char (*v)[CONTENT_DIGEST_LEN];
        size_t n;
};

/* Sets the digest of path; digest may be one returned by digest_map_get(). */
void digest_map_put(struct digest_map *m, const char *path,
                    const unsigned char digest[CONTENT_DIGEST_LEN]);
/* The digest of path, or NULL. */
const unsigned char *digest_map_get(const struct digest_map *m, const char *path);
void digest_map_done(struct digest_map *m);

/*
 * Hashes the tree below dirfd/name: every entry in sorted order, its path, type, mode,
 * owner and size, a symlink's target and the SHA-256 of a regular file's contents — taken
 * from known (keys "<name>/<path>") when it has it, else read. Device nodes and fifos are
 * never opened. *ret is "sha512-<64 hex>".
 */
int tree_hash_compute(int dirfd, const char *name, const struct digest_map *known, char **ret,
                      struct rk_error **reterr);
