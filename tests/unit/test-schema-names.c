/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/schema basic types: AC names and identifiers, hashes, versions, dates,
 * URLs, label lists, os/arch, the image-name grammar, quantities and capability names.
 */
#include <stdint.h>
#include <string.h>

#include "isolators.h"
#include "tap.h"
#include "types.h"

TEST(identifier_valid)
{
        static const char *const ok[] = {"a",
                                         "0",
                                         "abc",
                                         "example.com/app",
                                         "a-b_c",
                                         "a.b~c/d",
                                         "coreos.com/rkt/stage1-fly",
                                         "x1/y2",
                                         "a_b",
                                         "shorthash--6",
                                         "a..b",
                                         "a/.b/c",
                                         "a/..b"};

        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                if (!ac_identifier_is_valid(ok[i]))
                        TAP_FAIL("\"%s\" should be a valid AC identifier", ok[i]);
}

TEST(identifier_invalid)
{
        static const char *const bad[] = {"",
                                          "A",
                                          "abc/",
                                          "/abc",
                                          "-a",
                                          "a b",
                                          "a:b",
                                          "a,b",
                                          "a=b",
                                          "ä",
                                          "a/",
                                          "a_",
                                          "_a",
                                          "a+b",
                                          "example.com//app",
                                          "example.com/./app",
                                          "example.com/../app",
                                          "a/.",
                                          "a/.."};

        ASSERT_FALSE(ac_identifier_is_valid(NULL));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (ac_identifier_is_valid(bad[i]))
                        TAP_FAIL("\"%s\" should not be a valid AC identifier", bad[i]);
}

TEST(name_valid_and_invalid)
{
        ASSERT_TRUE(ac_name_is_valid("a"));
        ASSERT_TRUE(ac_name_is_valid("my-app-2"));
        ASSERT_TRUE(ac_name_is_valid("0"));
        ASSERT_FALSE(ac_name_is_valid(NULL));
        ASSERT_FALSE(ac_name_is_valid(""));
        ASSERT_FALSE(ac_name_is_valid("A_b"));
        ASSERT_FALSE(ac_name_is_valid("a_b"));
        ASSERT_FALSE(ac_name_is_valid("a.b"));
        ASSERT_FALSE(ac_name_is_valid("a/b"));
        ASSERT_FALSE(ac_name_is_valid("-a"));
        ASSERT_FALSE(ac_name_is_valid("a-"));
        ASSERT_TRUE(ac_name_is_valid("a--b")); /* appc's code allowed it, its regexp did not */
        ASSERT_FALSE(ac_name_is_valid("Abc"));
}

TEST(hash_validity)
{
        ASSERT_TRUE(ac_hash_is_valid("sha512-0123456789abcdef"));
        ASSERT_TRUE(ac_hash_is_valid("sha512-a"));
        ASSERT_FALSE(ac_hash_is_valid(NULL));
        ASSERT_FALSE(ac_hash_is_valid(""));
        ASSERT_FALSE(ac_hash_is_valid("sha512-"));
        ASSERT_FALSE(ac_hash_is_valid("sha256-abcd"));
        ASSERT_FALSE(ac_hash_is_valid("sha512-ABCD"));
        ASSERT_FALSE(ac_hash_is_valid("sha512-ab-cd"));
        ASSERT_FALSE(ac_hash_is_valid("sha512-xyz"));
        ASSERT_FALSE(ac_hash_is_valid("abcd"));
}

TEST(semver_validity)
{
        static const char *const ok[] = {"0.8.11",         "1.30.0",        "0.0.1",
                                         "1.0.0-alpha",    "1.0.0-alpha.1", "1.0.0+build.5",
                                         "1.0.0-rc1+meta", "0.0.0-pre",     "10.20.30"};
        static const char *const bad[] = {"",       "1",      "1.2",    "1.2.3.4",   "a.b.c",
                                          "0.0.0",  "1.2.3-", "1.2.3+", "1.2.3-a b", "v1.2.3",
                                          "1.2.3x", "-1.2.3", "1..3"};

        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                if (!ac_semver_is_valid(ok[i]))
                        TAP_FAIL("\"%s\" should be a valid semver", ok[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (ac_semver_is_valid(bad[i]))
                        TAP_FAIL("\"%s\" should not be a valid semver", bad[i]);
        ASSERT_FALSE(ac_semver_is_valid(NULL));
}

TEST(semver_normalize)
{
        _cleanup_free_ char *a = ac_semver_normalize("01.002.3-rc.1+x");
        _cleanup_free_ char *b = ac_semver_normalize("0.8.11");

        ASSERT_STREQ(a, "1.2.3-rc.1+x");
        ASSERT_STREQ(b, "0.8.11");
        ASSERT_NULL(ac_semver_normalize("0.0.0"));
        ASSERT_NULL(ac_semver_normalize("x"));
}

TEST(date_validity)
{
        static const char *const ok[] = {
                "2016-01-02T15:04:05Z",      "2016-01-02T15:04:05+01:00",
                "2016-01-02T15:04:05-07:30", "2016-01-02T15:04:05.123456789Z",
                "2016-02-29T00:00:00Z",      "0001-01-01T00:00:00Z"};
        static const char *const bad[] = {"",
                                          "2016-01-02",
                                          "2016-01-02 15:04:05Z",
                                          "2016-01-02T15:04:05",
                                          "2016-13-02T15:04:05Z",
                                          "2015-02-29T00:00:00Z",
                                          "2016-01-32T00:00:00Z",
                                          "2016-01-02T24:00:00Z",
                                          "2016-01-02T15:60:00Z",
                                          "2016-01-02T15:04:05+0100",
                                          "2016-01-02t15:04:05Z",
                                          "2016-01-02T15:04:05Zjunk",
                                          "yesterday",
                                          "2016-01-02T15:04:05.Z"};

        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
                if (!ac_date_is_valid(ok[i]))
                        TAP_FAIL("\"%s\" should be a valid date", ok[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (ac_date_is_valid(bad[i]))
                        TAP_FAIL("\"%s\" should not be a valid date", bad[i]);
}

TEST(url_validity)
{
        ASSERT_TRUE(ac_url_is_valid("http://example.com"));
        ASSERT_TRUE(ac_url_is_valid("https://example.com/docs?x=1#y"));
        ASSERT_TRUE(ac_url_is_valid("HTTPS://EXAMPLE.COM"));
        ASSERT_FALSE(ac_url_is_valid(NULL));
        ASSERT_FALSE(ac_url_is_valid(""));
        ASSERT_FALSE(ac_url_is_valid("ftp://example.com"));
        ASSERT_FALSE(ac_url_is_valid("example.com"));
        ASSERT_FALSE(ac_url_is_valid("file:///etc/passwd"));
        ASSERT_FALSE(ac_url_is_valid("http://exa mple.com"));
}

TEST(labels_get_set_done)
{
        struct ac_labels l = {}, c = {};

        ASSERT_NULL(ac_labels_get(&l, "x"));
        ac_labels_set(&l, "version", "1.0");
        ac_labels_set(&l, "os", "linux");
        ac_labels_set(&l, "version", "2.0");
        ASSERT_EQ(l.n, 2);
        ASSERT_STREQ(l.items[0].name, "version");
        ASSERT_STREQ(ac_labels_get(&l, "version"), "2.0");
        ASSERT_STREQ(ac_labels_get(&l, "os"), "linux");
        ac_labels_copy(&c, &l);
        ac_labels_done(&l);
        ASSERT_EQ(l.n, 0);
        ASSERT_NULL(l.items);
        ASSERT_STREQ(ac_labels_get(&c, "os"), "linux");
        ac_labels_done(&c);
        ac_labels_done(&c);
}

/* Validates a label list given as name, value pairs; returns the result. */
static int validate_pairs(const char *const *kv, size_t n, struct rk_error **err)
{
        struct ac_labels l = {};
        int r;

        for (size_t i = 0; i + 1 < n; i += 2) {
                l.items = realloc(l.items, (l.n + 1) * sizeof(struct ac_label));
                l.items[l.n++] = (struct ac_label){strdup(kv[i]), strdup(kv[i + 1])};
        }
        r = ac_labels_validate(&l, "labels", err);
        ac_labels_done(&l);
        return r;
}

#define CHECK_LABELS_FAIL(msg, ...)                                              \
        do {                                                                     \
                static const char *const kv_[] = {__VA_ARGS__};                  \
                _cleanup_(rk_error_freep) struct rk_error *e_ = NULL;            \
                ASSERT_ERRNO(validate_pairs(kv_, ELEMENTSOF(kv_), &e_), EINVAL); \
                ASSERT_NOT_NULL(e_);                                             \
                ASSERT_EQ(e_->errnum, EINVAL);                                   \
                _cleanup_free_ char *s_ = rk_error_render(e_, false);            \
                ASSERT_CONTAINS(s_, msg);                                        \
        } while (0)

#define CHECK_LABELS_OK(...)                                          \
        do {                                                          \
                static const char *const kv_[] = {__VA_ARGS__};       \
                _cleanup_(rk_error_freep) struct rk_error *e_ = NULL; \
                ASSERT_OK(validate_pairs(kv_, ELEMENTSOF(kv_), &e_)); \
                ASSERT_NULL(e_);                                      \
        } while (0)

TEST(labels_validate_os_arch)
{
        CHECK_LABELS_OK("os", "linux", "arch", "amd64");
        CHECK_LABELS_OK("os", "linux", "arch", "aarch64_be");
        CHECK_LABELS_OK("os", "linux", "arch", "s390x");
        CHECK_LABELS_OK("os", "freebsd", "arch", "arm");
        CHECK_LABELS_OK("os", "darwin", "arch", "x86_64");
        CHECK_LABELS_OK("os", "linux");
        CHECK_LABELS_OK("arch", "whatever");
        CHECK_LABELS_OK("version", "1.0", "foo/bar", "baz");
        CHECK_LABELS_FAIL("bad os \"windows\" (must be one of: [darwin freebsd linux])", "os",
                          "windows");
        CHECK_LABELS_FAIL("bad arch \"armv5l\" for linux (must be one of: [amd64 i386 aarch64 "
                          "aarch64_be armv6l armv7l armv7b ppc64 ppc64le s390x])",
                          "os", "linux", "arch", "armv5l");
        CHECK_LABELS_FAIL("bad arch \"amd64\" for darwin", "os", "darwin", "arch", "amd64");
        CHECK_LABELS_FAIL("bad arch \"x86_64\" for freebsd", "os", "freebsd", "arch", "x86_64");
}

TEST(labels_validate_names)
{
        CHECK_LABELS_FAIL("labels: duplicate labels of name \"version\"", "version", "1", "version",
                          "2");
        CHECK_LABELS_FAIL("labels: invalid label name: \"name\"", "name", "x");
        CHECK_LABELS_FAIL("is not a valid AC identifier", "Version", "1");
        CHECK_LABELS_FAIL("is not a valid AC identifier", "", "1");
}

TEST(os_arch_validate_direct)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;

        ASSERT_OK(ac_os_arch_validate("linux", NULL, &e));
        ASSERT_OK(ac_os_arch_validate("linux", "ppc64le", &e));
        ASSERT_NULL(e);
        ASSERT_ERRNO(ac_os_arch_validate("plan9", NULL, &e), EINVAL);
        ASSERT_STREQ(rk_error_cause(e),
                     "bad os \"plan9\" (must be one of: [darwin freebsd linux])");
}

/* Parses s and checks name and the rendered labels ("k=v,k=v"). */
static void check_app_ref(const char *s, const char *name, const char *labels)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_(ac_labels_done) struct ac_labels l = {};
        _cleanup_free_ char *n = NULL;
        char buf[512] = "";

        if (app_ref_parse(s, &n, &l, &e) < 0)
                TAP_FAIL("app_ref_parse(\"%s\") failed: %s", s, rk_error_cause(e));
        ASSERT_NULL(e);
        ASSERT_STREQ(n, name);
        for (size_t i = 0; i < l.n; i++)
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s=%s", i ? "," : "",
                         l.items[i].name, l.items[i].value);
        ASSERT_STREQ(buf, labels);
}

static void check_app_ref_fails(const char *s, const char *msg)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_(ac_labels_done) struct ac_labels l = {};
        char *n = NULL;

        ASSERT_ERRNO(app_ref_parse(s, &n, &l, &e), EINVAL);
        ASSERT_NULL(n);
        ASSERT_EQ(l.n, 0);
        ASSERT_NOT_NULL(e);
        ASSERT_EQ(e->errnum, EINVAL);
        ASSERT_CONTAINS(rk_error_cause(e), msg);
}

TEST(app_ref_parse_valid)
{
        check_app_ref("example.com/app", "example.com/app", "");
        check_app_ref("example.com/app:v1.2", "example.com/app", "version=v1.2");
        check_app_ref("example.com/app:1.0,os=linux,arch=amd64", "example.com/app",
                      "version=1.0,os=linux,arch=amd64");
        check_app_ref("coreos.com/etcd,version=2.0.0", "coreos.com/etcd", "version=2.0.0");
        check_app_ref("a,channel=alpha", "a", "channel=alpha");
        check_app_ref("a,empty=", "a", "empty=");
        check_app_ref("a,x=b=c", "a", "x=b=c");
        check_app_ref("a:", "a", "version=");
}

TEST(app_ref_parse_colon_rules)
{
        check_app_ref_fails("a,os=linux:1",
                            "malformed app string - colon may appear only right after the "
                            "app name");
        check_app_ref_fails("a:1:2", "malformed app string - colon may appear at most once");
        check_app_ref_fails("a:1,x=2:3", "malformed app string - colon may appear at most once");
        check_app_ref_fails("a,x=1,y=2:3",
                            "malformed app string - colon may appear only right after the "
                            "app name");
}

TEST(app_ref_parse_label_errors)
{
        check_app_ref_fails("a:1,version=2", "label version with multiple values [\"1\" \"2\"]");
        check_app_ref_fails("a,os=linux,os=freebsd",
                            "label os with multiple values [\"linux\" \"freebsd\"]");
        check_app_ref_fails("a,name=b", "label name with multiple values");
        check_app_ref_fails("a,Os=linux", "invalid label name \"Os\"");
        check_app_ref_fails("a,=x", "invalid label name \"\"");
        check_app_ref_fails("a,os", "has a label without a value: os");
}

TEST(app_ref_parse_name_errors)
{
        check_app_ref_fails("", "invalid app name \"\"");
        check_app_ref_fails("Example.com/app", "invalid app name \"Example.com/app\"");
        check_app_ref_fails(":1.0", "invalid app name \"\"");
        check_app_ref_fails("a b", "invalid app name");
}

/* Parses a quantity and checks its base and milli values. */
static void check_quantity(const char *s, int64_t value, int64_t milli)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct ac_quantity q = {};

        if (ac_quantity_parse(s, &q, &e) < 0)
                TAP_FAIL("quantity \"%s\" rejected: %s", s, rk_error_cause(e));
        ASSERT_STREQ(q.text, s);
        free(q.text);
        ASSERT_EQ(q.value, value);
        ASSERT_EQ(q.milli_value, milli);
}

TEST(quantity_valid)
{
        check_quantity("1", 1, 1000);
        check_quantity("0", 0, 0);
        check_quantity("500m", 1, 500);
        check_quantity("1500m", 2, 1500);
        check_quantity("25Mi", 26214400, 26214400000LL);
        check_quantity("1Ki", 1024, 1024000);
        check_quantity("1Gi", 1073741824LL, 1073741824000LL);
        check_quantity("1G", 1000000000LL, 1000000000000LL);
        check_quantity("1k", 1000, 1000000);
        check_quantity("0.5", 1, 500);
        check_quantity("1.5Gi", 1610612736LL, 1610612736000LL);
        check_quantity("2e3", 2000, 2000000);
        check_quantity("1E2", 100, 100000);
        check_quantity("1E", 1000000000000000000LL, INT64_MAX);
        check_quantity("100n", 1, 1);
        check_quantity("3u", 1, 1);
        check_quantity(".5", 1, 500);
        check_quantity("+2", 2, 2000);
        check_quantity("-1", -1, -1000);
        check_quantity("8Ei", INT64_MAX, INT64_MAX);
}

TEST(quantity_invalid)
{
        static const char *const bad[] = {"",    "m",     "1K",   "1mi",    "1x",
                                          "abc", "1.2.3", "1 Mi", "1e",     "1e+",
                                          "Mi",  "--1",   "1Mi2", "1.5.Gi", "."};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(rk_error_freep) struct rk_error *e = NULL;
                struct ac_quantity q = {};

                if (ac_quantity_parse(bad[i], &q, &e) != -EINVAL)
                        TAP_FAIL("quantity \"%s\" should be rejected", bad[i]);
                ASSERT_NULL(q.text);
                ASSERT_CONTAINS(rk_error_cause(e), "is not valid");
        }
}

TEST(capability_names)
{
        ASSERT_EQ(ac_capability_from_string("CAP_CHOWN"), 0);
        ASSERT_EQ(ac_capability_from_string("CAP_SYS_ADMIN"), 21);
        ASSERT_EQ(ac_capability_from_string("CAP_AUDIT_READ"), 37);
        ASSERT_EQ(ac_capability_from_string("CAP_CHECKPOINT_RESTORE"), 40);
        ASSERT_ERRNO(ac_capability_from_string("CAP_FOO"), EINVAL);
        ASSERT_ERRNO(ac_capability_from_string("cap_chown"), EINVAL);
        ASSERT_ERRNO(ac_capability_from_string(NULL), EINVAL);
        ASSERT_STREQ(ac_capability_to_string(10), "CAP_NET_BIND_SERVICE");
        ASSERT_NULL(ac_capability_to_string(41));
        ASSERT_NULL(ac_capability_to_string(-1));
        for (int i = 0; i <= 40; i++)
                ASSERT_EQ(ac_capability_from_string(ac_capability_to_string(i)), i);
}

TEST(isolator_kind_names)
{
        for (int k = 0; k < _AC_ISOLATOR_KIND_MAX; k++)
                ASSERT_EQ(ac_isolator_kind_from_string(ac_isolator_kind_to_string(k)), k);
        ASSERT_EQ(ac_isolator_kind_from_string("resource/memory"), AC_ISOLATOR_RESOURCE_MEMORY);
        ASSERT_EQ(ac_isolator_kind_from_string("os/linux/cpu-shares"), AC_ISOLATOR_CPU_SHARES);
        ASSERT_EQ(ac_isolator_kind_from_string("resource/gpu"), _AC_ISOLATOR_KIND_INVALID);
        ASSERT_NULL(ac_isolator_kind_to_string(_AC_ISOLATOR_KIND_MAX));
}

TAP_MAIN
