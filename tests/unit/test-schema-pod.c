/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/schema pod manifests: the valid and invalid corpora under
 * tests/unit/corpus/schema, byte-exact round trips, parsed contents and error contracts.
 */
#include <dirent.h>
#include <string.h>

#include "json-util.h"
#include "pod-manifest.h"
#include "strv.h"
#include "tap.h"

#ifndef SCHEMA_CORPUS_DIR
#error "SCHEMA_CORPUS_DIR must be defined by the build"
#endif

/* ---- corpus helpers (same shape in test-schema-image.c) ---- */

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

/* ---- pod manifest specifics ---- */

static struct pod_manifest *parse_ok(const char *text, size_t len, const char *what)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct pod_manifest *m = NULL;

        if (pod_manifest_parse(text, len, &m, &e) < 0)
                TAP_FAIL("%s: unexpected error: %s", what, rk_error_render(e, false));
        ASSERT_NULL(e);
        ASSERT_NOT_NULL(m);
        return m;
}

static void parse_fails(const char *text, size_t len, const char *expect, const char *what)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_free_ char *msg = NULL;
        struct pod_manifest *m = NULL;
        int r = pod_manifest_parse(text, len, &m, &e);

        if (r >= 0)
                TAP_FAIL("%s: parsed, expected an error containing \"%s\"", what, expect);
        ASSERT_EQ(r, -EINVAL);
        ASSERT_NULL(m);
        ASSERT_NOT_NULL(e);
        ASSERT_EQ(e->errnum, -r);
        msg = rk_error_render(e, false);
        if (!strstr(msg, expect))
                TAP_FAIL("%s: error \"%s\" does not contain \"%s\"", what, msg, expect);
        ASSERT_TRUE(strncmp(msg, "invalid PodManifest: ", 21) == 0);
}

static char *check_round_trip(const char *text, size_t len, const char *what, char **ret_pretty)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m1 = parse_ok(text, len, what);
        _cleanup_free_ char *c1 = pod_manifest_to_json(m1, false);
        _cleanup_free_ char *p1 = pod_manifest_to_json(m1, true);
        _cleanup_(pod_manifest_freep) struct pod_manifest *m2 = parse_ok(c1, strlen(c1), what);
        _cleanup_(pod_manifest_freep) struct pod_manifest *m3 = parse_ok(p1, strlen(p1), what);
        _cleanup_free_ char *c2 = pod_manifest_to_json(m2, false);
        _cleanup_free_ char *p2 = pod_manifest_to_json(m3, true);

        if (strcmp(c1, c2) != 0)
                TAP_FAIL("%s: compact round trip differs:\n# %s\n# %s", what, c1, c2);
        if (strcmp(p1, p2) != 0)
                TAP_FAIL("%s: pretty round trip differs", what);
        *ret_pretty = TAKE_PTR(p1);
        return TAKE_PTR(c1);
}

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

TEST(corpus_valid_pods_round_trip)
{
        _cleanup_strv_free_ char **files = list_corpus("valid", "pod-");
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
        printf("# %zu valid pod manifests\n", n);
        ASSERT_TRUE(n >= 8);
}

TEST(corpus_invalid_pods_rejected)
{
        _cleanup_strv_free_ char **files = list_corpus("invalid", "pod-");
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
        printf("# %zu invalid pod manifests\n", n);
        ASSERT_TRUE(n >= 40);
}

static struct pod_manifest *load_corpus(const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/valid/%s", SCHEMA_CORPUS_DIR, name);
        _cleanup_free_ char *text = NULL;
        size_t len;

        text = read_file(path, &len);
        if (!text)
                TAP_FAIL("cannot read %s", path);
        return parse_ok(text, len, name);
}

TEST(generated_pod_contents)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                load_corpus("pod-rkt-generated.canonical.json");
        const struct pod_app *a;
        const struct ac_volume *v;

        ASSERT_STREQ(m->ac_version, "1.30.0");
        ASSERT_EQ(m->n_apps, 2);
        a = pod_manifest_find_app(m, "etcd");
        ASSERT_NOT_NULL(a);
        ASSERT_STREQ(a->image_name, "coreos.com/etcd");
        ASSERT_STREQ(ac_labels_get(&a->image_labels, "version"), "v3.3.0");
        ASSERT_TRUE(a->read_only_rootfs);
        ASSERT_EQ(a->n_mounts, 2);
        ASSERT_NULL(a->mounts[0].app_volume);
        ASSERT_STREQ(a->mounts[1].app_volume->mode, "1777");
        ASSERT_STREQ(a->app->exec[0], "/etcd");
        a = pod_manifest_find_app(m, "sidekick");
        ASSERT_NOT_NULL(a);
        ASSERT_NULL(a->app);
        ASSERT_NULL(a->image_name);
        ASSERT_NULL(pod_manifest_find_app(m, "nope"));
        v = pod_manifest_find_volume(m, "data");
        ASSERT_NOT_NULL(v);
        ASSERT_STREQ(v->kind, "host");
        ASSERT_STREQ(v->source, "/srv/etcd");
        ASSERT_TRUE(v->has_read_only);
        ASSERT_FALSE(v->read_only);
        ASSERT_TRUE(v->has_recursive && v->recursive);
        ASSERT_FALSE(v->has_uid);
        v = pod_manifest_find_volume(m, "cache");
        ASSERT_EQ(v->uid, 1000);
        ASSERT_FALSE(m->has_isolators);
        ASSERT_EQ(m->n_ports, 2);
        ASSERT_STREQ(m->ports[0].host_ip, "127.0.0.1");
        ASSERT_EQ(m->ports[1].pod_port->port, 2380);
        ASSERT_STREQ(ac_labels_get(&m->annotations, "coreos.com/rkt/stage1/mutable"), "false");
        ASSERT_STREQ(ac_labels_get(&m->user_labels, "zone"), "a");
}

TEST(empty_volume_gets_defaults)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                load_corpus("pod-empty-volume-defaults.json");
        _cleanup_free_ char *out = pod_manifest_to_json(m, false);

        ASSERT_STREQ(m->volumes[0].mode, "0755");
        ASSERT_TRUE(m->volumes[0].has_uid && m->volumes[0].has_gid);
        ASSERT_CONTAINS(out, "\"volumes\":[{\"name\":\"work\",\"kind\":\"empty\",\"mode\":\"0755\","
                             "\"uid\":0,\"gid\":0}]");
}

TEST(null_versus_empty_lists)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                load_corpus("pod-minimal-fields.json");
        _cleanup_free_ char *out = pod_manifest_to_json(m, false);

        ASSERT_FALSE(m->has_apps);
        ASSERT_STREQ(out, "{\"acVersion\":\"0.8.11\",\"acKind\":\"PodManifest\",\"apps\":null,"
                          "\"volumes\":null,\"isolators\":null,\"annotations\":null,"
                          "\"ports\":null}");
}

TEST(host_ips_are_canonical)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = load_corpus("pod-host-ips.json");

        ASSERT_STREQ(m->ports[0].host_ip, "2001:db8::1");
        ASSERT_STREQ(m->ports[1].host_ip, "10.0.0.1");
        ASSERT_STREQ(m->ports[2].host_ip, "0.0.0.0");
        ASSERT_NULL(m->ports[3].host_ip);
}

TEST(pod_isolators_and_annotations)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                load_corpus("pod-pod-isolators.json");

        ASSERT_TRUE(m->has_isolators);
        ASSERT_EQ(m->n_isolators, 2);
        ASSERT_EQ(m->isolators[0].kind, AC_ISOLATOR_RESOURCE_CPU);
        ASSERT_EQ(m->isolators[0].resource.limit.milli_value, 2000);
        ASSERT_TRUE(m->isolators[1].no_new_privileges);
        ASSERT_TRUE(m->has_annotations);
}

TEST(app_section_in_pod)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                load_corpus("pod-app-with-isolators-and-handlers.json");
        _cleanup_free_ char *out = pod_manifest_to_json(m, false);

        ASSERT_EQ(m->apps[0].app->n_isolators, 2);
        ASSERT_STREQ(m->apps[0].app->isolators[1].seccomp.errno_name, "ENOSYS");
        ASSERT_FALSE(m->apps[1].read_only_rootfs);
        ASSERT_CONTAINS(out, "\"userAnnotations\":{\"a\":\"2\",\"z\":\"1\"}}");
        ASSERT_CONTAINS(out, "{\"name\":\"b-2\",\"image\":{\"id\":\"sha512-cd\"}}");
        ASSERT_CONTAINS(out, "\"eventHandlers\":[{\"name\":\"post-stop\",\"exec\":[\"/bin/b\"]}]");
}

TEST(error_contract_and_message)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct pod_manifest *m = NULL;
        static const char text[] = "{\"acVersion\":\"0.8.11\",\"acKind\":\"PodManifest\","
                                   "\"apps\":[{\"name\":\"x\",\"image\":{}}]}";

        ASSERT_ERRNO(pod_manifest_parse(text, strlen(text), &m, &e), EINVAL);
        ASSERT_NULL(m);
        ASSERT_EQ(e->errnum, EINVAL);
        ASSERT_STREQ(rk_error_cause(e), "apps[0].image.id: missing image ID");
}

TEST(non_objects_rejected)
{
        parse_fails("[]", 2, "expected a JSON object", "array");
        parse_fails("null", 4, "expected a JSON object", "null");
        parse_fails("{}", 2, "acKind: missing or bad ACKind", "empty object");
}

TEST(free_is_null_safe)
{
        ASSERT_NULL(pod_manifest_free(NULL));
}

TEST(manifest_built_in_code_serializes)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = xnew0(struct pod_manifest, 1);
        _cleanup_free_ char *out = NULL;

        m->ac_version = xstrdup("1.30.0");
        m->apps = xnew0(struct pod_app, 1);
        m->n_apps = 1;
        m->apps[0].name = xstrdup("a");
        m->apps[0].image_id = xstrdup("sha512-01");
        ac_labels_set(&m->annotations, "coreos.com/rkt/stage1/mutable", "false");
        out = pod_manifest_to_json(m, false);
        ASSERT_STREQ(out, "{\"acVersion\":\"1.30.0\",\"acKind\":\"PodManifest\",\"apps\":[{"
                          "\"name\":\"a\",\"image\":{\"id\":\"sha512-01\"}}],\"volumes\":null,"
                          "\"isolators\":null,\"annotations\":[{\"name\":"
                          "\"coreos.com/rkt/stage1/mutable\",\"value\":\"false\"}],"
                          "\"ports\":null}");
}

TAP_MAIN
