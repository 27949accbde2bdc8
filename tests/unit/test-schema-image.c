/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/schema image manifests: the valid and invalid corpora under
 * tests/unit/corpus/schema, byte-exact round trips, parsed contents and error contracts.
 */
#include <dirent.h>
#include <string.h>

#include "image-manifest.h"
#include "json-util.h"
#include "strv.h"
#include "tap.h"

#ifndef SCHEMA_CORPUS_DIR
#error "SCHEMA_CORPUS_DIR must be defined by the build"
#endif

/* ---- corpus helpers (same shape in test-schema-pod.c) ---- */

static char *read_file(const char *path, size_t *ret_len)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0;
        FILE *mem;

        if (!f)
                return NULL;
        mem = open_memstream(&buf, &len);
        for (int c; (c = fgetc(f)) != EOF;)
                fputc(c, mem);
        fclose(mem);
        *ret_len = len;
        return buf;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the files in dir that start with prefix and end in ".json". */
static char **list_corpus(const char *sub, const char *prefix)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", SCHEMA_CORPUS_DIR, sub);
        DIR *d = opendir(dir);
        char **l = xnew0(char *, 1);

        if (!d)
                return l;
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(de->d_name);

                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && len > 5 &&
                    strcmp(de->d_name + len - 5, ".json") == 0)
                        strv_push(&l, de->d_name);
        }
        closedir(d);
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        return l;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The decoded "_expect" string of an invalid corpus file (found textually). */
static char *corpus_expectation(const char *text)
{
        const char *p = strstr(text, "\"_expect\": \""), *q;
        _cleanup_free_ char *lit = NULL;
        _cleanup_json_ json_t *s = NULL;

        if (!p)
                return NULL;
        p += strlen("\"_expect\": ");
        for (q = p + 1; *q && *q != '"'; q++)
                if (*q == '\\')
                        q++;
        lit = strndup(p, (size_t)(q - p + 1));
        s = json_loads(lit, JSON_DECODE_ANY, NULL);
        return s && json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
}

/* ---- image manifest specifics ---- */

static struct image_manifest *parse_ok(const char *text, size_t len, const char *what)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct image_manifest *m = NULL;

        if (image_manifest_parse(text, len, &m, &e) < 0)
                TAP_FAIL("%s: unexpected error: %s", what, rk_error_render(e, false));
        ASSERT_NULL(e);
        ASSERT_NOT_NULL(m);
        return m;
}

/* Parses text, expects failure whose message contains expect; checks the contract. */
static void parse_fails(const char *text, size_t len, const char *expect, const char *what)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_free_ char *msg = NULL;
        struct image_manifest *m = NULL;
        int r = image_manifest_parse(text, len, &m, &e);

        if (r >= 0)
                TAP_FAIL("%s: parsed, expected an error containing \"%s\"", what, expect);
        ASSERT_EQ(r, -EINVAL);
        ASSERT_NULL(m);
        ASSERT_NOT_NULL(e);
        ASSERT_EQ(e->errnum, -r);
        msg = rk_error_render(e, false);
        if (!strstr(msg, expect))
                TAP_FAIL("%s: error \"%s\" does not contain \"%s\"", what, msg, expect);
        ASSERT_TRUE(strncmp(msg, "invalid ImageManifest: ", 23) == 0);
}

/* parse -> to_json -> parse -> to_json is stable in both forms; returns compact output. */
static char *check_round_trip(const char *text, size_t len, const char *what, char **ret_pretty)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m1 = parse_ok(text, len, what);
        _cleanup_free_ char *c1 = image_manifest_to_json(m1, false);
        _cleanup_free_ char *p1 = image_manifest_to_json(m1, true);
        _cleanup_(image_manifest_freep) struct image_manifest *m2 = parse_ok(c1, strlen(c1), what);
        _cleanup_(image_manifest_freep) struct image_manifest *m3 = parse_ok(p1, strlen(p1), what);
        _cleanup_free_ char *c2 = image_manifest_to_json(m2, false);
        _cleanup_free_ char *p2 = image_manifest_to_json(m3, true);

        if (strcmp(c1, c2) != 0)
                TAP_FAIL("%s: compact round trip differs:\n# %s\n# %s", what, c1, c2);
        if (strcmp(p1, p2) != 0)
                TAP_FAIL("%s: pretty round trip differs", what);
        *ret_pretty = TAKE_PTR(p1);
        return TAKE_PTR(c1);
}

/* Canonical corpus files must come back byte for byte (plus the file's final newline). */
static void check_canonical(const char *name, const char *text, const char *compact,
                            const char *pretty)
{
        const char *want = NULL;
        _cleanup_free_ char *with_nl = NULL;

        if (has_suffix(name, ".canonical.json"))
                want = pretty;
        else if (has_suffix(name, ".compact.json"))
                want = compact;
        if (!want)
                return;
        with_nl = xasprintf("%s\n", want);
        if (strcmp(with_nl, text) != 0)
                TAP_FAIL("%s: not reproduced byte for byte:\n%s", name, with_nl);
}

TEST(corpus_valid_images_round_trip)
{
        _cleanup_strv_free_ char **files = list_corpus("valid", "image-");
        size_t n = 0;

        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = xasprintf("%s/valid/%s", SCHEMA_CORPUS_DIR, *f);
                _cleanup_free_ char *text = NULL, *compact = NULL, *pretty = NULL;
                size_t len;

                text = read_file(path, &len);
                ASSERT_NOT_NULL(text);
                compact = check_round_trip(text, len, *f, &pretty);
                check_canonical(*f, text, compact, pretty);
                n++;
        }
        printf("# %zu valid image manifests\n", n);
        ASSERT_TRUE(n >= 10);
}

TEST(corpus_invalid_images_rejected)
{
        _cleanup_strv_free_ char **files = list_corpus("invalid", "image-");
        size_t n = 0;

        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = xasprintf("%s/invalid/%s", SCHEMA_CORPUS_DIR, *f);
                _cleanup_free_ char *text = NULL, *expect = NULL;
                size_t len;

                text = read_file(path, &len);
                ASSERT_NOT_NULL(text);
                expect = corpus_expectation(text);
                if (!expect)
                        TAP_FAIL("%s: no \"_expect\" member", *f);
                parse_fails(text, len, expect, *f);
                n++;
        }
        printf("# %zu invalid image manifests\n", n);
        ASSERT_TRUE(n >= 50);
}

static struct image_manifest *load_corpus(const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/valid/%s", SCHEMA_CORPUS_DIR, name);
        _cleanup_free_ char *text = NULL;
        size_t len;

        text = read_file(path, &len);
        if (!text)
                TAP_FAIL("cannot read %s", path);
        return parse_ok(text, len, name);
}

TEST(full_manifest_contents)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                load_corpus("image-full.canonical.json");
        const struct ac_app *a = m->app;

        ASSERT_STREQ(m->ac_version, "0.8.11");
        ASSERT_STREQ(m->name, "example.com/full-app");
        ASSERT_STREQ(image_manifest_get_label(m, "version"), "1.2.3");
        ASSERT_STREQ(image_manifest_get_label(m, "arch"), "amd64");
        ASSERT_NULL(image_manifest_get_label(m, "nope"));
        ASSERT_STREQ(image_manifest_get_annotation(m, "authors"), "Jane <jane@example.com>");
        ASSERT_NOT_NULL(a);
        ASSERT_EQ(strv_length(a->exec), 3);
        ASSERT_STREQ(a->exec[2], "--greeting=<hello> & bye");
        ASSERT_EQ(a->n_event_handlers, 2);
        ASSERT_STREQ(a->event_handlers[1].name, "post-stop");
        ASSERT_STREQ(a->event_handlers[1].exec[1], "--all");
        ASSERT_STREQ(a->user, "1000");
        ASSERT_STREQ(a->group, "1000");
        ASSERT_EQ(a->n_supplementary_gids, 2);
        ASSERT_EQ(a->supplementary_gids[1], 20);
        ASSERT_STREQ(a->working_directory, "/srv");
        ASSERT_STREQ(ac_labels_get(&a->environment, "GREETING"), "tab\there\nnewline");
        ASSERT_EQ(a->n_mount_points, 2);
        ASSERT_TRUE(a->mount_points[0].read_only);
        ASSERT_FALSE(a->mount_points[1].read_only);
        ASSERT_EQ(a->n_ports, 2);
        ASSERT_EQ(a->ports[1].port, 5353);
        ASSERT_EQ(a->ports[1].count, 10);
        ASSERT_TRUE(a->ports[1].socket_activated);
        ASSERT_STREQ(ac_labels_get(&a->user_labels, "Tier"), "web");
        ASSERT_EQ(m->n_deps, 2);
        ASSERT_STREQ(m->deps[0].image_id, "sha512-0123456789abcdef0123456789abcdef");
        ASSERT_EQ(m->deps[0].size, 1048576);
        ASSERT_NULL(m->deps[1].image_id);
        ASSERT_EQ(strv_length(m->path_whitelist), 2);
}

TEST(full_manifest_isolators)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                load_corpus("image-full.canonical.json");
        const struct ac_isolator *iso = m->app->isolators;

        ASSERT_EQ(m->app->n_isolators, 8);
        ASSERT_EQ(iso[0].kind, AC_ISOLATOR_RESOURCE_MEMORY);
        ASSERT_NULL(iso[0].resource.request.text);
        ASSERT_STREQ(iso[0].resource.limit.text, "512Mi");
        ASSERT_EQ(iso[0].resource.limit.value, 512LL * 1024 * 1024);
        ASSERT_EQ(iso[1].kind, AC_ISOLATOR_RESOURCE_CPU);
        ASSERT_EQ(iso[1].resource.request.milli_value, 250);
        ASSERT_EQ(iso[1].resource.limit.milli_value, 1000);
        ASSERT_EQ(iso[2].kind, AC_ISOLATOR_CAPABILITIES_RETAIN_SET);
        ASSERT_STREQ(iso[2].caps.set[0], "CAP_NET_BIND_SERVICE");
        ASSERT_EQ(iso[3].kind, AC_ISOLATOR_NO_NEW_PRIVILEGES);
        ASSERT_TRUE(iso[3].no_new_privileges);
        ASSERT_EQ(iso[4].kind, AC_ISOLATOR_SECCOMP_REMOVE_SET);
        ASSERT_STREQ(iso[4].seccomp.set[0], "@rkt/default-blacklist");
        ASSERT_STREQ(iso[4].seccomp.errno_name, "EPERM");
        ASSERT_EQ(iso[5].oom_score_adj, -500);
        ASSERT_EQ(iso[6].cpu_shares, 512);
        ASSERT_STREQ(iso[7].selinux.level, "s0:c1,c2");
        ASSERT_STREQ(iso[7].name, "os/linux/selinux-context");
        ASSERT_TRUE(json_is_object(iso[7].value));
}

TEST(isolators_copy_is_deep)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                load_corpus("image-resources.json");
        struct ac_isolator *c = ac_isolators_copy(m->app->isolators, m->app->n_isolators);
        _cleanup_json_ json_t *a = ac_isolators_to_json(m->app->isolators, m->app->n_isolators);
        _cleanup_json_ json_t *b = ac_isolators_to_json(c, m->app->n_isolators);

        ASSERT_TRUE(json_equal(a, b));
        ASSERT_TRUE(c[0].name != m->app->isolators[0].name);
        ASSERT_EQ(c[1].resource.limit.value, 1048576);
        ASSERT_EQ(c[12].cpu_shares, 2);
        ac_isolators_free(c, m->app->n_isolators);
        ASSERT_NULL(ac_isolators_copy(NULL, 0));
}

TEST(resources_parsed_values)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                load_corpus("image-resources.json");
        const struct ac_isolator *iso = m->app->isolators;

        ASSERT_EQ(m->app->n_isolators, 13);
        ASSERT_EQ(iso[0].resource.request.value, 1000000000LL);
        ASSERT_EQ(iso[0].resource.limit.value, 2LL << 30);
        ASSERT_STREQ(iso[1].resource.limit.text, "1048576");
        ASSERT_EQ(iso[2].resource.limit.milli_value, 1500);
        ASSERT_EQ(iso[3].resource.limit.milli_value, 2000);
        ASSERT_TRUE(iso[4].resource.is_default);
        ASSERT_FALSE(iso[9].no_new_privileges);
        ASSERT_NULL(iso[10].seccomp.errno_name);
        ASSERT_EQ(iso[11].oom_score_adj, 1000);
}

/* Parses literal JSON text and returns its compact canonical form. */
static char *canonical(const char *text)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                parse_ok(text, strlen(text), text);

        return image_manifest_to_json(m, false);
}

#define HDR "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\""

TEST(field_order_is_canonical)
{
        _cleanup_free_ char *out = canonical(
                "{\"pathWhitelist\":[\"/x\"],\"dependencies\":[{\"size\":1,\"imageName\":\"d\"}],"
                "\"annotations\":[{\"value\":\"v\",\"name\":\"n\"}],\"app\":{\"group\":\"g\","
                "\"user\":\"u\"},\"labels\":[{\"value\":\"1\",\"name\":\"version\"}],"
                "\"name\":\"a\",\"acVersion\":\"0.8.11\",\"acKind\":\"ImageManifest\"}");

        ASSERT_STREQ(out, HDR ",\"labels\":[{\"name\":\"version\",\"value\":\"1\"}],"
                              "\"app\":{\"exec\":null,\"user\":\"u\",\"group\":\"g\"},"
                              "\"annotations\":[{\"name\":\"n\",\"value\":\"v\"}],"
                              "\"dependencies\":[{\"imageName\":\"d\",\"size\":1}],"
                              "\"pathWhitelist\":[\"/x\"]}");
}

TEST(empty_lists_are_omitted)
{
        _cleanup_free_ char *out = canonical(
                HDR ",\"labels\":[],\"annotations\":[],\"dependencies\":[],\"pathWhitelist\":[],"
                    "\"app\":{\"exec\":[\"/x\"],\"user\":\"u\",\"group\":\"g\",\"environment\":[],"
                    "\"eventHandlers\":[],\"supplementaryGIDs\":[],\"mountPoints\":[],\"ports\":[],"
                    "\"isolators\":[],\"userAnnotations\":{},\"userLabels\":{},"
                    "\"workingDirectory\":\"\"}}");

        ASSERT_STREQ(out, HDR ",\"app\":{\"exec\":[\"/x\"],\"user\":\"u\",\"group\":\"g\"}}");
}

TEST(exec_null_versus_empty)
{
        _cleanup_free_ char *a = canonical(HDR ",\"app\":{\"user\":\"u\",\"group\":\"g\"}}");
        _cleanup_free_ char *b =
                canonical(HDR ",\"app\":{\"exec\":[],\"user\":\"u\",\"group\":\"g\"}}");

        ASSERT_STREQ(a, HDR ",\"app\":{\"exec\":null,\"user\":\"u\",\"group\":\"g\"}}");
        ASSERT_STREQ(b, HDR ",\"app\":{\"exec\":[],\"user\":\"u\",\"group\":\"g\"}}");
}

TEST(port_count_defaults_to_one)
{
        _cleanup_free_ char *out =
                canonical(HDR ",\"app\":{\"user\":\"u\",\"group\":\"g\",\"ports\":[{\"name\":\"p\","
                              "\"protocol\":\"tcp\",\"port\":80,\"count\":0}]}}");

        ASSERT_CONTAINS(out, "{\"name\":\"p\",\"protocol\":\"tcp\",\"port\":80,\"count\":1,"
                             "\"socketActivated\":false}");
}

TEST(user_maps_are_sorted)
{
        _cleanup_free_ char *out = canonical(
                HDR ",\"app\":{\"user\":\"u\",\"group\":\"g\",\"userAnnotations\":{\"b\":\"2\","
                    "\"a\":\"1\",\"B\":\"0\"},\"userLabels\":{\"z\":\"\",\"y\":null}}}");

        ASSERT_CONTAINS(out, "\"userAnnotations\":{\"B\":\"0\",\"a\":\"1\",\"b\":\"2\"},"
                             "\"userLabels\":{\"y\":\"\",\"z\":\"\"}}");
}

TEST(isolator_value_kept_verbatim)
{
        _cleanup_free_ char *out = canonical(
                HDR ",\"app\":{\"user\":\"u\",\"group\":\"g\",\"isolators\":[{\"value\":"
                    "{\"limit\":\"1G\",\"default\":false,\"x\":[1,2]},\"name\":\"resource/memory\","
                    "\"other\":1}]}}");

        ASSERT_CONTAINS(out, "\"isolators\":[{\"name\":\"resource/memory\",\"value\":"
                             "{\"limit\":\"1G\",\"default\":false,\"x\":[1,2]}}]");
}

TEST(escapes_round_trip_go_style)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                load_corpus("image-escapes.json");
        _cleanup_free_ char *out = image_manifest_to_json(m, false);

        ASSERT_CONTAINS(out, "\\u003c1.0\\u003e \\u0026 \\\"more\\\" \\\\ \\u2028 \\u2029 "
                             "\\u0001 \xc3\xa9 ");
        ASSERT_CONTAINS(out, "line1\\nline2\\ttab\\r\\u001f\\u003c/script\\u003e");
}

TEST(version_is_normalized)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                load_corpus("image-version-normalized.json");

        ASSERT_STREQ(m->ac_version, "1.8.11-rc.1+build");
}

TEST(nulls_count_as_absent)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = load_corpus("image-nulls.json");
        _cleanup_(image_manifest_freep) struct image_manifest *a =
                load_corpus("image-app-nulls.json");

        ASSERT_NULL(m->app);
        ASSERT_EQ(m->labels.n, 0);
        ASSERT_NULL(m->path_whitelist);
        ASSERT_NOT_NULL(a->app);
        ASSERT_NULL(a->app->working_directory);
        ASSERT_EQ(a->app->n_isolators, 0);
}

TEST(input_need_not_be_nul_terminated)
{
        static const char text[] = HDR "}garbage";
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                parse_ok(text, strlen(HDR "}"), "prefix");

        ASSERT_STREQ(m->name, "a");
}

TEST(non_objects_and_garbage_rejected)
{
        parse_fails("[1]", 3, "expected a JSON object", "array");
        parse_fails("\"x\"", 3, "expected a JSON object", "string");
        parse_fails("", 0, "invalid JSON", "empty");
        parse_fails("{", 1, "invalid JSON at line 1", "truncated");
        parse_fails(HDR "}", 5, "invalid JSON", "short length");
}

TEST(error_chain_has_context)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct image_manifest *m = NULL;
        static const char text[] = HDR ",\"app\":{\"exec\":[\"bin/sh\"],\"user\":\"0\","
                                       "\"group\":\"0\"}}";
        _cleanup_free_ char *msg = NULL;

        ASSERT_ERRNO(image_manifest_parse(text, strlen(text), &m, &e), EINVAL);
        ASSERT_STREQ(rk_error_cause(e), "app.exec[0]: \"bin/sh\" is not an absolute path");
        msg = rk_error_render(e, false);
        ASSERT_STREQ(msg, "invalid ImageManifest: app.exec[0]: \"bin/sh\" is not an absolute path");
}

TEST(free_is_null_safe)
{
        ASSERT_NULL(image_manifest_free(NULL));
        ASSERT_NULL(ac_app_free(NULL));
        ac_isolator_done(NULL);
        ASSERT_NULL(ac_isolators_free(NULL, 0));
}

TEST(manifest_built_in_code_serializes)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = xnew0(struct image_manifest, 1);
        _cleanup_free_ char *out = NULL;

        m->ac_version = xstrdup("0.8.11");
        m->name = xstrdup("example.com/built");
        ac_labels_set(&m->labels, "os", "linux");
        m->app = xnew0(struct ac_app, 1);
        m->app->user = xstrdup("0");
        m->app->group = xstrdup("0");
        strv_push(&m->app->exec, "/bin/true");
        ac_labels_set(&m->app->environment, "A", "<b>");
        out = image_manifest_to_json(m, true);
        ASSERT_STREQ(out, "{\n\t\"acKind\": \"ImageManifest\",\n\t\"acVersion\": \"0.8.11\",\n"
                          "\t\"name\": \"example.com/built\",\n\t\"labels\": [\n\t\t{\n"
                          "\t\t\t\"name\": \"os\",\n\t\t\t\"value\": \"linux\"\n\t\t}\n\t],\n"
                          "\t\"app\": {\n\t\t\"exec\": [\n\t\t\t\"/bin/true\"\n\t\t],\n"
                          "\t\t\"user\": \"0\",\n\t\t\"group\": \"0\",\n\t\t\"environment\": [\n"
                          "\t\t\t{\n\t\t\t\t\"name\": \"A\",\n"
                          "\t\t\t\t\"value\": \"\\u003cb\\u003e\"\n"
                          "\t\t\t}\n\t\t]\n\t}\n}");
}

TAP_MAIN
