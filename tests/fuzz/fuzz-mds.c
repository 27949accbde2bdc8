/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata service's request handling (src/mds): mds_handle_registration() and
 * mds_handle_public(), the pure functions the server calls for each request, driven with
 * synthesised requests against one registry. The input is split at NUL bytes into fields,
 * six per request: the API ('r' first for registration, else public), method, path (as the
 * server decodes it), the "token" query argument and the Content-Type (both absent when
 * empty), and the body. Every answer is well-formed, and a signature the service made for a
 * pod verifies.
 */
#include <string.h>

#include "fuzz.h"
#include "mds-util.h"
#include "mds.h"
#include "strbuf.h"
#include "strv.h"

#define INPUT_MAX    (256 << 10)
#define REQUESTS_MAX 16
#define FORM_TYPE    "application/x-www-form-urlencoded"

static void check_response(const struct mds_response *r)
{
        FUZZ_ASSERT(r->status >= 200 && r->status < 600);
        FUZZ_ASSERT(r->content_type);
        FUZZ_ASSERT(r->len == 0 || r->body);
}

static void form_add(struct strbuf *sb, const char *name, const char *value)
{
        strbuf_printf(sb, "%s%s=", sb->len ? "&" : "", name);
        for (const unsigned char *c = (const unsigned char *)value; *c; c++)
                strbuf_printf(sb, "%%%02X", *c);
}

/* The signature the service made (r) for content verifies for the pod. */
static void check_signature(struct mds_registry *reg, const char *token, const char *content,
                            const struct mds_response *r)
{
        const struct mds_pod *pod = mds_registry_by_token(reg, token);
        _cleanup_free_ char *path = xasprintf("/%s/acMetadata/v1/pod/hmac/verify", token);
        _cleanup_free_ char *sig = oom_check(strndup(r->body, r->len));
        struct strbuf body = STRBUF_INIT;
        struct mds_response v = {0};

        FUZZ_ASSERT(pod);
        form_add(&body, "uuid", pod->uuid_str);
        form_add(&body, "content", content);
        form_add(&body, "signature", sig);
        mds_handle_public(
                reg, &(struct mds_request){"POST", path, NULL, FORM_TYPE, body.buf, body.len}, &v);
        FUZZ_ASSERT(v.status == 200);
        mds_response_done(&v);
        strbuf_release(&body);
}

/* After a successful sign request: the content it signed, and the token of its path. */
static void after_sign(struct mds_registry *reg, const struct mds_request *rq,
                       const struct mds_response *r)
{
        _cleanup_free_ char *token = NULL;
        const char *slash;
        struct mds_form f;

        if (r->status != 200 || !strstr(rq->path, "/hmac/sign"))
                return;
        slash = strchr(rq->path + 1, '/');
        token = oom_check(strndup(rq->path + 1, (size_t)(slash - rq->path - 1)));
        FUZZ_ASSERT(mds_form_parse(rq->body, rq->body_len, &f) >= 0);
        check_signature(reg, token, mds_form_get(&f, "content"), r);
        mds_form_done(&f);
}

static void run_request(struct mds_registry *reg, char **field)
{
        size_t len = strlen(field[5]);
        _cleanup_free_ char *body =
                oom_check(strndup(field[5], len)); /* NUL-terminated, as the server's */
        struct mds_request rq = {
                .method = field[1],
                .path = field[2],
                .token = field[3][0] ? field[3] : NULL,
                .content_type = field[4][0] ? field[4] : NULL,
                .body = body,
                .body_len = len,
        };
        struct mds_response r = {0};

        if (field[0][0] == 'r')
                mds_handle_registration(reg, &rq, &r);
        else {
                mds_handle_public(reg, &rq, &r);
                after_sign(reg, &rq, &r);
        }
        check_response(&r);
        mds_response_done(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(mds_registry_freep) struct mds_registry *reg = NULL;
        _cleanup_strv_free_ char **fields = NULL;
        size_t n;

        if (size > INPUT_MAX)
                return 0;
        FUZZ_ASSERT(mds_registry_new(&reg) >= 0);
        memset(reg->hmac_key, 0x5a, sizeof(reg->hmac_key)); /* deterministic signatures */
        fields = fuzz_split(data, size, '\0');
        n = strv_length(fields);
        for (size_t i = 0; i + 6 <= n && i < 6 * REQUESTS_MAX; i += 6)
                run_request(reg, fields + i);
        return 0;
}
