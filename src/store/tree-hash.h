/* SPDX-License-Identifier: Apache-2.0 */
/* The tree hash of a rendered rootfs, recorded at render time and checked by verify. */
#pragma once

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

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
 * The content digest of a regular file of size bytes: SHA-256 over, for each 64 KiB block
 * that is not all zeros, its index (8 bytes, little endian) and its bytes, then the size.
 * A hole reads as zeros, so a file hashes the same whether its zeros are holes or data, and
 * a sparse file is hashed without reading its holes. Data is given in order of offset;
 * bytes never given are zeros.
 */
#define CONTENT_BLOCK (64 * 1024)

struct content_digest {
        EVP_MD_CTX *md;
        uint64_t size;
        uint64_t block; /* of buf; UINT64_MAX before the first */
        size_t fill;    /* bytes of buf set so far (data or zeros) */
        unsigned char *buf;
};

int content_digest_init(struct content_digest *cd, uint64_t size);
void content_digest_add(struct content_digest *cd, uint64_t off, const void *data, size_t len);
/* Finishes the digest into out and frees cd. */
void content_digest_final(struct content_digest *cd, unsigned char out[CONTENT_DIGEST_LEN]);
/* Frees cd without a result (NULL-safe on a zeroed cd). */
void content_digest_done(struct content_digest *cd);
/* The digest of the regular file fd of size bytes, reading only its data (SEEK_DATA). */
int content_digest_fd(int fd, uint64_t size, unsigned char out[CONTENT_DIGEST_LEN]);

/*
 * Hashes the tree below dirfd/name: every entry in sorted order (walked iteratively: any
 * depth), its path, type, mode, owner and size, its xattrs (all but security.selinux, which
 * the host's policy sets), a symlink's target and the content digest of a regular file —
 * taken from known (keys "<name>/<path>") when it has it, else read. Device nodes and fifos
 * are never opened for reading. *ret is "sha512-<64 hex>".
 */
int tree_hash_compute(int dirfd, const char *name, const struct digest_map *known, char **ret,
                      struct rk_error **reterr);
