/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/schema pod manifests: the valid and invalid corpora under
 * tests/unit/corpus/schema, byte-exact round trips, parsed contents and error contracts.
 */
#include <string.h>

#include "corpus-util.h"
#include "json-util.h"
#include "pod-manifest.h"
#include "strv.h"
#include "tap.h"

/* ---- pod manifest specifics ---- */

CORPUS_KIND_DEFINE(kind, pod_manifest, "PodManifest", "pod-", "pod");

TEST(corpus_valid_pods_round_trip)
{
        corpus_check_valid(&kind, 8);
}

TEST(corpus_invalid_pods_rejected)
{
        corpus_check_invalid(&kind, 40);
}

TEST(generated_pod_contents)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                corpus_load(&kind, "pod-rkt-generated.canonical.json");
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
                corpus_load(&kind, "pod-empty-volume-defaults.json");
        _cleanup_free_ char *out = pod_manifest_to_json(m, false);

        ASSERT_STREQ(m->volumes[0].mode, "0755");
        ASSERT_TRUE(m->volumes[0].has_uid && m->volumes[0].has_gid);
        ASSERT_CONTAINS(out, "\"volumes\":[{\"name\":\"work\",\"kind\":\"empty\",\"mode\":\"0755\","
                             "\"uid\":0,\"gid\":0}]");
}

TEST(null_versus_empty_lists)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                corpus_load(&kind, "pod-minimal-fields.json");
        _cleanup_free_ char *out = pod_manifest_to_json(m, false);

        ASSERT_FALSE(m->has_apps);
        ASSERT_STREQ(out, "{\"acVersion\":\"0.8.11\",\"acKind\":\"PodManifest\",\"apps\":null,"
                          "\"volumes\":null,\"isolators\":null,\"annotations\":null,"
                          "\"ports\":null}");
}

TEST(host_ips_are_canonical)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                corpus_load(&kind, "pod-host-ips.json");

        ASSERT_STREQ(m->ports[0].host_ip, "2001:db8::1");
        ASSERT_STREQ(m->ports[1].host_ip, "10.0.0.1");
        ASSERT_STREQ(m->ports[2].host_ip, "0.0.0.0");
        ASSERT_NULL(m->ports[3].host_ip);
}

TEST(pod_isolators_and_annotations)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                corpus_load(&kind, "pod-pod-isolators.json");

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
                corpus_load(&kind, "pod-app-with-isolators-and-handlers.json");
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
        corpus_parse_fails(&kind, "[]", 2, "expected a JSON object", "array");
        corpus_parse_fails(&kind, "null", 4, "expected a JSON object", "null");
        corpus_parse_fails(&kind, "{}", 2, "acKind: missing or bad ACKind", "empty object");
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
