/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/schema image manifests: the valid and invalid corpora under
 * tests/unit/corpus/schema, byte-exact round trips, parsed contents and error contracts.
 */
#include <string.h>

#include "corpus-util.h"
#include "image-manifest.h"
#include "json-util.h"
#include "strv.h"
#include "tap.h"

/* ---- image manifest specifics ---- */

CORPUS_KIND_DEFINE(kind, image_manifest, "ImageManifest", "image-", "image");

TEST(corpus_valid_images_round_trip)
{
        corpus_check_valid(&kind, 10);
}

TEST(corpus_invalid_images_rejected)
{
        corpus_check_invalid(&kind, 50);
}

TEST(full_manifest_contents)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                corpus_load(&kind, "image-full.canonical.json");
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
                corpus_load(&kind, "image-full.canonical.json");
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
                corpus_load(&kind, "image-resources.json");
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
                corpus_load(&kind, "image-resources.json");
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
                corpus_parse_ok(&kind, text, strlen(text), text);

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
                corpus_load(&kind, "image-escapes.json");
        _cleanup_free_ char *out = image_manifest_to_json(m, false);

        ASSERT_CONTAINS(out, "\\u003c1.0\\u003e \\u0026 \\\"more\\\" \\\\ \\u2028 \\u2029 "
                             "\\u0001 \xc3\xa9 ");
        ASSERT_CONTAINS(out, "line1\\nline2\\ttab\\r\\u001f\\u003c/script\\u003e");
}

TEST(version_is_normalized)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                corpus_load(&kind, "image-version-normalized.json");

        ASSERT_STREQ(m->ac_version, "1.8.11-rc.1+build");
}

TEST(nulls_count_as_absent)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m =
                corpus_load(&kind, "image-nulls.json");
        _cleanup_(image_manifest_freep) struct image_manifest *a =
                corpus_load(&kind, "image-app-nulls.json");

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
                corpus_parse_ok(&kind, text, strlen(HDR "}"), "prefix");

        ASSERT_STREQ(m->name, "a");
}

TEST(non_objects_and_garbage_rejected)
{
        corpus_parse_fails(&kind, "[1]", 3, "expected a JSON object", "array");
        corpus_parse_fails(&kind, "\"x\"", 3, "expected a JSON object", "string");
        corpus_parse_fails(&kind, "", 0, "invalid JSON", "empty");
        corpus_parse_fails(&kind, "{", 1, "invalid JSON at line 1", "truncated");
        corpus_parse_fails(&kind, HDR "}", 5, "invalid JSON", "short length");
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

/* Keys are matched as Go's encoding/json matched them: a lone capitalised key sets its
 * field; two keys for one field are an error naming them. */
TEST(keys_match_case_insensitively_once)
{
        static const char capital[] =
                "{\"AcKind\":\"ImageManifest\",\"ACVERSION\":\"0.8.11\",\"Name\":\"example.com/a\","
                "\"Labels\":[{\"Name\":\"os\",\"Value\":\"linux\"}],"
                "\"App\":{\"Exec\":[\"/bin/a\"],\"User\":\"1\",\"group\":\"2\"}}";
        static const char kelvin[] = "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\","
                                     "\"name\":\"example.com/a\",\"labels\":[{\"name\":\"version\","
                                     "\"value\":\"1\"}],\"label\xc5\xbf\":[]}";
        static const char twice[] = "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\","
                                    "\"name\":\"example.com/a\",\"nAME\":\"example.com/b\"}";
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_free_ char *msg = NULL;

        ASSERT_OK(image_manifest_parse(capital, strlen(capital), &m, &err));
        ASSERT_STREQ(m->name, "example.com/a");
        ASSERT_STREQ(ac_labels_get(&m->labels, "os"), "linux");
        ASSERT_STREQ(m->app->exec[0], "/bin/a");
        ASSERT_STREQ(m->app->user, "1");
        m = image_manifest_free(m);
        /* U+017F LONG S folds to "s" for Go: "labelſ" is a second "labels" */
        ASSERT_EQ(image_manifest_parse(kelvin, strlen(kelvin), &m, &err), -EINVAL);
        msg = rk_error_render(err, false);
        ASSERT_CONTAINS(msg, "labels: duplicate key");
        err = rk_error_free(err);
        free(msg);
        ASSERT_EQ(image_manifest_parse(twice, strlen(twice), &m, &err), -EINVAL);
        msg = rk_error_render(err, false);
        ASSERT_STREQ(msg, "invalid ImageManifest: name: duplicate key \"nAME\" (the same field "
                          "as \"name\")");
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
