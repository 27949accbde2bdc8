/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/basic/sha512: FIPS 180-4's example digests, and every length from 0 to
 * 600 bytes (each padding case, one to five blocks), fed whole and in pieces, against
 * libcrypto's SHA-512.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "sha512.h"
#include "tap.h"

static void hex(const uint8_t d[SHA512_DIGEST_SIZE], char out[2 * SHA512_DIGEST_SIZE + 1])
{
        for (int i = 0; i < SHA512_DIGEST_SIZE; i++)
                sprintf(out + 2 * i, "%02x", d[i]);
}

static void digest_of(const void *data, size_t n, size_t piece, uint8_t d[SHA512_DIGEST_SIZE])
{
        struct sha512 s;

        sha512_init(&s);
        for (size_t off = 0; off < n; off += piece)
                sha512_update(&s, (const uint8_t *)data + off, n - off < piece ? n - off : piece);
        sha512_final(&s, d);
}

TEST(fips_examples)
{
        static const char two_blocks[] =
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        uint8_t d[SHA512_DIGEST_SIZE];
        char h[2 * SHA512_DIGEST_SIZE + 1];

        digest_of("abc", 3, 3, d);
        hex(d, h);
        ASSERT_STREQ(h, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
        digest_of("", 0, 1, d);
        hex(d, h);
        ASSERT_STREQ(h, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
        digest_of(two_blocks, strlen(two_blocks), 7, d);
        hex(d, h);
        ASSERT_STREQ(h, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

TEST(every_length_against_libcrypto)
{
        uint8_t data[600], want[EVP_MAX_MD_SIZE], got[SHA512_DIGEST_SIZE];
        static const size_t pieces[] = {1, 3, 64, 127, 128, 1000};

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 131 + 7);
        for (size_t n = 0; n <= sizeof(data); n++) {
                ASSERT_EQ(EVP_Digest(data, n, want, NULL, EVP_sha512(), NULL), 1);
                for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
                        digest_of(data, n, pieces[p], got);
                        ASSERT_TRUE(memcmp(got, want, SHA512_DIGEST_SIZE) == 0);
                }
        }
}

TAP_MAIN
