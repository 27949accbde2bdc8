/* SPDX-License-Identifier: Apache-2.0 */
/* Codecs of the metadata service. Runs in: rkt metadata-service and stage0 (tokens). */
#include "mds-util.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <sys/random.h>

#include "macro.h"

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int mds_uuid_parse(const char *s, uint8_t ret[static MDS_UUID_LEN], const char **ret_why)
{
        char hex[2 * MDS_UUID_LEN];
        size_t n = 0;

        for (const char *c = s; *c; c++) {
                if (*c == '-')
                        continue;
                if (n == sizeof(hex)) {
                        *ret_why = "bad UUID length != 32";
                        return -EINVAL;
                }
                hex[n++] = *c;
        }
        if (n != sizeof(hex)) {
                *ret_why = "bad UUID length != 32";
                return -EINVAL;
        }
        for (size_t i = 0; i < MDS_UUID_LEN; i++) {
                int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        *ret_why = "invalid hex";
                        return -EINVAL;
                }
                ret[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

void mds_uuid_format(const uint8_t u[static MDS_UUID_LEN], char ret[static 37])
{
        char *o = ret;

        for (size_t i = 0; i < MDS_UUID_LEN; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        *o++ = '-';
                o += snprintf(o, 3, "%02x", u[i]);
        }
        *o = '\0';
}

bool mds_token_is_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 128)
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char)*c))
                        return false;
        return true;
}

int mds_token_new(char ret[static MDS_TOKEN_LEN + 1])
{
        uint8_t b[MDS_TOKEN_LEN / 2];

        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
                return -errno;
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(ret + 2 * i, 3, "%02x", b[i]);
        return 0;
}

char *mds_base64_encode(const uint8_t *data, size_t len)
{
        char *out = oom_check(malloc(4 * ((len + 2) / 3) + 1));

        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
        return out;
}

static int b64_value(char c)
{
        static const char alphabet[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = c ? strchr(alphabet, c) : NULL;

        return p ? (int)(p - alphabet) : -1;
}

/* Decodes one 4-character quantum q (padding '=' allowed only at the end); appends to out. */
static int b64_quantum(const char q[4], bool last, uint8_t *out, size_t *n)
{
        int v[4], pad = 0;

        for (int i = 0; i < 4; i++) {
                if (q[i] == '=' && last && i >= 2) {
                        v[i] = 0;
                        pad++;
                        continue;
                }
                v[i] = b64_value(q[i]);
                if (v[i] < 0 || pad > 0)
                        return -EINVAL;
        }
        uint32_t w =
                (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[(*n)++] = (uint8_t)(w >> 16);
        if (pad < 2)
                out[(*n)++] = (uint8_t)(w >> 8);
        if (pad < 1)
                out[(*n)++] = (uint8_t)w;
        return 0;
}

int mds_base64_decode(const char *s, uint8_t **ret, size_t *ret_len)
{
        size_t len = strlen(s), m = 0, n = 0;
        _cleanup_free_ char *clean = oom_check(malloc(len + 1));
        _cleanup_free_ uint8_t *out = NULL;

        for (const char *c = s; *c; c++)
                if (*c != '\r' && *c != '\n')
                        clean[m++] = *c;
        if (m % 4 != 0)
                return -EINVAL;
        out = oom_check(malloc(m / 4 * 3 + 1));
        for (size_t i = 0; i < m; i += 4)
                if (b64_quantum(clean + i, i + 4 == m, out, &n) < 0)
                        return -EINVAL;
        *ret = TAKE_PTR(out);
        *ret_len = n;
        return 0;
}

void mds_hmac(const uint8_t key[static MDS_HMAC_KEY_LEN], const uint8_t uuid[static MDS_UUID_LEN],
              const char *content, size_t len, uint8_t ret[static MDS_HMAC_LEN])
{
        _cleanup_free_ uint8_t *msg = oom_check(malloc(MDS_UUID_LEN + len + 1));
        unsigned out_len = MDS_HMAC_LEN;

        memcpy(msg, uuid, MDS_UUID_LEN);
        memcpy(msg + MDS_UUID_LEN, content, len);
        if (!HMAC(EVP_sha512(), key, MDS_HMAC_KEY_LEN, msg, MDS_UUID_LEN + len, ret, &out_len))
                oom_check(NULL);
}

/* Decodes a form component of len bytes: '+' to space, %XX escapes. NULL when malformed
 * (a bad escape, ';', or a NUL byte, escaped or not). */
static char *form_unescape(const char *s, size_t len)
{
        _cleanup_free_ char *out = oom_check(malloc(len + 1));
        size_t n = 0;

        for (size_t i = 0; i < len; i++) {
                int hi, lo;

                if (s[i] == '\0' || s[i] == ';')
                        return NULL;
                if (s[i] != '%') {
                        out[n++] = s[i] == '+' ? ' ' : s[i];
                        continue;
                }
                if (len - i < 3)
                        return NULL;
                hi = hex_value(s[i + 1]);
                lo = hex_value(s[i + 2]);
                if (hi < 0 || lo < 0 || (hi | lo) == 0)
                        return NULL;
                out[n++] = (char)(hi << 4 | lo);
                i += 2;
        }
        out[n] = '\0';
        return TAKE_PTR(out);
}

static void form_add(struct mds_form *f, char *name, char *value)
{
        f->names = oom_check(reallocarray(f->names, f->n + 1, sizeof(char *)));
        f->values = oom_check(reallocarray(f->values, f->n + 1, sizeof(char *)));
        f->names[f->n] = name;
        f->values[f->n] = value;
        f->n++;
}

int mds_form_parse(const char *body, size_t len, struct mds_form *ret)
{
        struct mds_form f = {0};
        size_t i = 0;

        while (i < len) {
                const char *pair = body + i;
                const char *amp = memchr(pair, '&', len - i);
                size_t plen = amp ? (size_t)(amp - pair) : len - i;
                const char *eq = memchr(pair, '=', plen);
                size_t nlen = eq ? (size_t)(eq - pair) : plen;
                char *name, *value;

                i += plen + 1;
                if (plen == 0)
                        continue;
                name = form_unescape(pair, nlen);
                value = name ? form_unescape(eq ? eq + 1 : "", eq ? plen - nlen - 1 : 0) : NULL;
                if (!value) {
                        free(name);
                        mds_form_done(&f);
                        return -EINVAL;
                }
                form_add(&f, name, value);
        }
        *ret = f;
        return 0;
}

const char *mds_form_get(const struct mds_form *f, const char *name)
{
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->names[i], name) == 0)
                        return f->values[i];
        return NULL;
}

void mds_form_done(struct mds_form *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->names[i]);
                free(f->values[i]);
        }
        free(f->names);
        free(f->values);
        *f = (struct mds_form){0};
}
