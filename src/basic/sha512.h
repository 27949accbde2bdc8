/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-512 (FIPS 180-4) in plain C, for short inputs only: a tree store ID is the SHA-512 of
 * a few image keys, and `rkt run` would otherwise open libcrypto (about 2 ms of dynamic
 * loading) for that alone. Bulk hashing (images, layers, blobs) stays libcrypto's, which is
 * several times faster per byte.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA512_DIGEST_SIZE 64

struct sha512 {
        uint64_t h[8];
        uint64_t bytes; /* hashed so far */
        uint8_t block[128];
        size_t n; /* bytes in block */
};

void sha512_init(struct sha512 *s);
void sha512_update(struct sha512 *s, const void *data, size_t n);
/* Writes the digest; s must be initialised again before another use. */
void sha512_final(struct sha512 *s, uint8_t digest[static SHA512_DIGEST_SIZE]);
