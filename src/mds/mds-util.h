/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The small codecs of the metadata service (SPEC.md §9.1), with no I/O: pod UUIDs as Go's
 * types.NewUUID reads them, the registration token, standard base64, HMAC-SHA512 over
 * "uuid bytes ‖ content", and application/x-www-form-urlencoded bodies.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MDS_UUID_LEN     16
#define MDS_HMAC_KEY_LEN 64
#define MDS_HMAC_LEN     64
#define MDS_TOKEN_LEN    32 /* hex characters of a token made by mds_token_new() */

/*
 * Parses a UUID as 32 hex digits, dashes anywhere ignored. Returns 0, or -EINVAL with a
 * static reason in *ret_why ("bad UUID length != 32", "invalid hex").
 */
int mds_uuid_parse(const char *s, uint8_t ret[static MDS_UUID_LEN], const char **ret_why);

/* The canonical lowercase 8-4-4-4-12 form of a UUID (37 bytes with the NUL). */
void mds_uuid_format(const uint8_t u[static MDS_UUID_LEN], char ret[static 37]);

/* Whether s is an acceptable registration token: 1 to 128 ASCII letters and digits. */
bool mds_token_is_valid(const char *s);

/* A new random token: MDS_TOKEN_LEN lowercase hex digits (16 random bytes). Returns 0 or
 * -errno from getrandom(). */
int mds_token_new(char ret[static MDS_TOKEN_LEN + 1]);

/* Standard base64 with padding. Returns a malloc'd NUL-terminated string. */
char *mds_base64_encode(const uint8_t *data, size_t len);

/*
 * Decodes standard padded base64 (CR and LF ignored, as Go's StdEncoding does). Returns the
 * malloc'd bytes and their count in *ret_len, or -EINVAL on a bad character, length or
 * padding.
 */
int mds_base64_decode(const char *s, uint8_t **ret, size_t *ret_len);

/* HMAC-SHA512(key, uuid ‖ content) into ret. */
void mds_hmac(const uint8_t key[static MDS_HMAC_KEY_LEN], const uint8_t uuid[static MDS_UUID_LEN],
              const char *content, size_t len, uint8_t ret[static MDS_HMAC_LEN]);

/* A decoded form: parallel arrays of names and values, NUL-terminated strings. */
struct mds_form {
        char **names;
        char **values;
        size_t n;
};

/*
 * Parses an application/x-www-form-urlencoded body ("a=1&b=x+y%21"): '+' is a space, %XX an
 * escaped byte, a pair without '=' has an empty value, empty pairs are skipped. Returns 0,
 * or -EINVAL on a bad %-escape, a ';' separator or a NUL byte. Free with mds_form_done().
 */
int mds_form_parse(const char *body, size_t len, struct mds_form *ret);

/* The first value of name, or NULL. */
const char *mds_form_get(const struct mds_form *f, const char *name);

void mds_form_done(struct mds_form *f);
