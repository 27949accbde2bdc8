/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the metadata service's codecs and request handlers (src/mds, SPEC.md §9.1):
 * UUIDs, tokens, base64, forms, HMAC, and the registration and public APIs without sockets.
 */
#include <string.h>

#include "mds.h"
#include "tap.h"

#define UUID_TEXT "01234567-89ab-cdef-0123-456789abcdef"
#define POD_JSON                                                                               \
        "{\"acVersion\":\"0.8.11\",\"acKind\":\"PodManifest\",\"apps\":[{\"name\":\"a\","      \
        "\"image\":{\"name\":\"example.com/a\",\"id\":\"sha512-"                               \
        "0000000000000000000000000000000000000000000000000000000000000000\"},\"annotations\":" \
        "[{\"name\":\"k\",\"value\":\"pod\"}]}],\"annotations\":[]}"
#define IMAGE_JSON                                                                           \
        "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/a\"," \
        "\"annotations\":[{\"name\":\"k\",\"value\":\"img\"},{\"name\":\"x\",\"value\":\"1\"}]}"

TEST(uuid_parse_and_format)
{
        uint8_t u[MDS_UUID_LEN];
        const char *why = NULL;
        char text[37];

        ASSERT_OK(mds_uuid_parse(UUID_TEXT, u, &why));
        mds_uuid_format(u, text);
        ASSERT_STREQ(text, UUID_TEXT);
        ASSERT_OK(mds_uuid_parse("0123456789ABCDEF0123456789abcdef", u, &why));
        mds_uuid_format(u, text);
        ASSERT_STREQ(text, UUID_TEXT);
        ASSERT_ERRNO(mds_uuid_parse("0123", u, &why), EINVAL);
        ASSERT_STREQ(why, "bad UUID length != 32");
        ASSERT_ERRNO(mds_uuid_parse("0123456789abcdef0123456789abcdefff", u, &why), EINVAL);
        ASSERT_ERRNO(mds_uuid_parse("g123456789abcdef0123456789abcdef", u, &why), EINVAL);
        ASSERT_STREQ(why, "invalid hex");
}

TEST(tokens)
{
        char t[MDS_TOKEN_LEN + 1], t2[MDS_TOKEN_LEN + 1];

        ASSERT_OK(mds_token_new(t));
        ASSERT_OK(mds_token_new(t2));
        ASSERT_EQ(strlen(t), (size_t)MDS_TOKEN_LEN);
        ASSERT_EQ(strspn(t, "0123456789abcdef"), (size_t)MDS_TOKEN_LEN);
        ASSERT_TRUE(strcmp(t, t2) != 0);
        ASSERT_TRUE(mds_token_is_valid(t));
        ASSERT_FALSE(mds_token_is_valid(""));
        ASSERT_FALSE(mds_token_is_valid("a/b"));
        ASSERT_FALSE(mds_token_is_valid("a b"));
}

TEST(base64_round_trip)
{
        const uint8_t data[] = {0, 1, 2, 0xfe, 0xff};
        _cleanup_free_ uint8_t *out = NULL;
        size_t n = 0;

        for (size_t len = 0; len <= sizeof(data); len++) {
                _cleanup_free_ char *enc = mds_base64_encode(data, len);
                _cleanup_free_ uint8_t *dec = NULL;
                ASSERT_OK(mds_base64_decode(enc, &dec, &n));
                ASSERT_EQ(n, len);
                ASSERT_TRUE(memcmp(dec, data, len) == 0);
        }
        ASSERT_OK(mds_base64_decode("aGk=\r\n", &out, &n));
        ASSERT_EQ(n, (size_t)2);
        ASSERT_ERRNO(mds_base64_decode("aGk", &out, &n), EINVAL);
        ASSERT_ERRNO(mds_base64_decode("a=Gk", &out, &n), EINVAL);
        ASSERT_ERRNO(mds_base64_decode("aG!=", &out, &n), EINVAL);
        ASSERT_ERRNO(mds_base64_decode("aGk=aGk=", &out, &n), EINVAL);
}

TEST(form_parse)
{
        struct mds_form f;
        const char body[] = "content=Old+MacDonald%21&empty=&bare&&x=%3D%26";

        ASSERT_OK(mds_form_parse(body, strlen(body), &f));
        ASSERT_STREQ(mds_form_get(&f, "content"), "Old MacDonald!");
        ASSERT_STREQ(mds_form_get(&f, "empty"), "");
        ASSERT_STREQ(mds_form_get(&f, "bare"), "");
        ASSERT_STREQ(mds_form_get(&f, "x"), "=&");
        ASSERT_NULL(mds_form_get(&f, "nope"));
        mds_form_done(&f);
        ASSERT_ERRNO(mds_form_parse("a=%zz", 5, &f), EINVAL);
        ASSERT_ERRNO(mds_form_parse("a=%2", 4, &f), EINVAL);
        ASSERT_ERRNO(mds_form_parse("a=%00", 5, &f), EINVAL);
        ASSERT_ERRNO(mds_form_parse("a=1;b=2", 7, &f), EINVAL);
        ASSERT_ERRNO(mds_form_parse("a=\0b", 4, &f), EINVAL);
}

/* Runs one request against reg and returns the response. */
static struct mds_response call(struct mds_registry *reg, bool registration, const char *method,
                                const char *path, const char *token, const char *ctype,
                                const char *body)
{
        struct mds_request rq = {method, path, token, ctype, body ?: "", body ? strlen(body) : 0};
        struct mds_response r = {0};

        if (registration)
                mds_handle_registration(reg, &rq, &r);
        else
                mds_handle_public(reg, &rq, &r);
        return r;
}

#define EXPECT(resp, st, text)                      \
        do {                                        \
                struct mds_response _r = (resp);    \
                ASSERT_EQ(_r.status, (unsigned)st); \
                ASSERT_STREQ(_r.body, text);        \
                mds_response_done(&_r);             \
        } while (0)

static void registered(struct mds_registry **reg)
{
        ASSERT_OK(mds_registry_new(reg));
        EXPECT(call(*reg, true, "PUT", "/pods/" UUID_TEXT, "tok", NULL, POD_JSON), 200, "");
        EXPECT(call(*reg, true, "PUT", "/pods/" UUID_TEXT "/a", NULL, NULL, IMAGE_JSON), 200, "");
}

TEST(public_api)
{
        _cleanup_(mds_registry_freep) struct mds_registry *reg = NULL;

        registered(&reg);
        EXPECT(call(reg, false, "GET", "/tok/acMetadata/v1/pod/uuid", NULL, NULL, NULL), 200,
               UUID_TEXT);
        EXPECT(call(reg, false, "GET", "/tok/acMetadata/v1/pod/annotations", NULL, NULL, NULL), 200,
               "[]\n");
        EXPECT(call(reg, false, "GET", "/tok/acMetadata/v1/apps/a/annotations", NULL, NULL, NULL),
               200, "[{\"name\":\"k\",\"value\":\"pod\"},{\"name\":\"x\",\"value\":\"1\"}]\n");
        EXPECT(call(reg, false, "GET", "/tok/acMetadata/v1/apps/a/annotations/k", NULL, NULL, NULL),
               200, "pod");
        EXPECT(call(reg, false, "GET", "/tok/acMetadata/v1/apps/b/image/id", NULL, NULL, NULL), 404,
               "app not found\n");
        EXPECT(call(reg, false, "GET", "/bad/acMetadata/v1/pod/uuid", NULL, NULL, NULL), 401,
               "pod not found\n");
        EXPECT(call(reg, false, "PUT", "/tok/acMetadata/v1/pod/uuid", NULL, NULL, NULL), 405,
               "method not allowed\n");
        EXPECT(call(reg, true, "DELETE", "/pods/" UUID_TEXT, NULL, NULL, NULL), 200, "");
        EXPECT(call(reg, false, "GET", "/tok/acMetadata/v1/pod/uuid", NULL, NULL, NULL), 401,
               "pod not found\n");
}

/* base64 text as a form value: '+' and '/' escaped. */
static char *form_escape(const char *s)
{
        char *out = xnew0(char, 3 * strlen(s) + 1), *o = out;

        for (; *s; s++)
                o += *s == '+' || *s == '/' ? snprintf(o, 4, "%%%02X", *s)
                                            : snprintf(o, 2, "%c", *s);
        return out;
}

TEST(hmac_sign_verify)
{
        _cleanup_(mds_registry_freep) struct mds_registry *reg = NULL;
        const char *form = "application/x-www-form-urlencoded";
        struct mds_response s;

        registered(&reg);
        s = call(reg, false, "POST", "/tok/acMetadata/v1/pod/hmac/sign", NULL, form, "content=x");
        ASSERT_EQ(s.status, 200u);
        ASSERT_STREQ(s.content_type, MDS_CT_TEXT);
        _cleanup_free_ char *sig = form_escape(s.body);
        _cleanup_free_ char *ok = xasprintf("content=x&uuid=%s&signature=%s", UUID_TEXT, sig);
        _cleanup_free_ char *bad = xasprintf("content=y&uuid=%s&signature=%s", UUID_TEXT, sig);
        mds_response_done(&s);
        EXPECT(call(reg, false, "POST", "/tok/acMetadata/v1/pod/hmac/verify", NULL, form, ok), 200,
               "");
        EXPECT(call(reg, false, "POST", "/tok/acMetadata/v1/pod/hmac/verify", NULL, form, bad), 403,
               "signature mismatch\n");
        EXPECT(call(reg, false, "POST", "/tok/acMetadata/v1/pod/hmac/sign", NULL, NULL,
                    "content=x"),
               400, "expected a form (application/x-www-form-urlencoded)\n");
}

TEST(registration_errors)
{
        _cleanup_(mds_registry_freep) struct mds_registry *reg = NULL;

        registered(&reg);
        EXPECT(call(reg, true, "PUT", "/pods/xyz", "t", NULL, POD_JSON), 400,
               "UUID is missing or malformed: bad UUID length != 32\n");
        EXPECT(call(reg, true, "PUT", "/pods/" UUID_TEXT, NULL, NULL, POD_JSON), 400,
               "token missing\n");
        EXPECT(call(reg, true, "PUT",
                    "/pods/"
                    "11111111111111111111111111111111",
                    "tok", NULL, POD_JSON),
               409, "token already in use by another pod\n");
        EXPECT(call(reg, true, "PUT",
                    "/pods/"
                    "11111111111111111111111111111111"
                    "/a",
                    NULL, NULL, IMAGE_JSON),
               404, "Pod with given UUID not found\n");
}

TAP_MAIN
