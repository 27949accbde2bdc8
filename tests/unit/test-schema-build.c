/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for building appc manifests in memory (src/schema): rkt's --volume form, the
 * isolator constructors, deep copies of an app, and pod_manifest_validate() holding a built
 * manifest to the parser's rules.
 */
#include <dirent.h>
#include <string.h>

#include "corpus-util.h"
#include "json-util.h"
#include "pod-manifest.h"
#include "strv.h"
#include "tap.h"

CORPUS_KIND_DEFINE(kind, pod_manifest, "PodManifest", "pod-", "pod");

/* The compact JSON of one volume. */
static char *volume_text(const struct ac_volume *v)
{
        _cleanup_json_ json_t *o = ac_volume_to_json(v);

        return json_dump_go(o, false);
}

/* The rendered error of ac_volume_from_string(s), which must fail. */
static char *volume_error(const char *s)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct ac_volume v = {};

        if (ac_volume_from_string(s, &v, &e) >= 0) {
                ac_volume_done(&v);
                return NULL;
        }
        return rk_error_render(e, false);
}

TEST(volume_from_string_empty_gets_defaults)
{
        _cleanup_(ac_volume_done) struct ac_volume v = {};
        _cleanup_free_ char *text = NULL;

        ASSERT_OK(ac_volume_from_string("data,kind=empty", &v, NULL));
        text = volume_text(&v);
        ASSERT_STREQ(text, "{\"name\":\"data\",\"kind\":\"empty\",\"mode\":\"0755\",\"uid\":0,"
                           "\"gid\":0}");
}

TEST(volume_from_string_every_key)
{
        _cleanup_(ac_volume_done) struct ac_volume e = {}, h = {};
        _cleanup_free_ char *et = NULL, *ht = NULL;

        ASSERT_OK(ac_volume_from_string(
                "d,kind=empty,mode=0700,uid=5,gid=2147483647,readOnly=true,recursive=0", &e, NULL));
        ASSERT_OK(
                ac_volume_from_string("h,kind=host,source=/srv,readOnly=F,recursive=T", &h, NULL));
        et = volume_text(&e);
        ht = volume_text(&h);
        ASSERT_STREQ(et, "{\"name\":\"d\",\"kind\":\"empty\",\"readOnly\":true,\"recursive\":false,"
                         "\"mode\":\"0700\",\"uid\":5,\"gid\":2147483647}");
        ASSERT_STREQ(ht, "{\"name\":\"h\",\"kind\":\"host\",\"source\":\"/srv\",\"readOnly\":false,"
                         "\"recursive\":true}");
}

TEST(volume_from_string_errors_are_rkts)
{
        static const struct {
                const char *in, *msg;
        } cases[] = {
                {"v,kind", "malformed string \"v,kind\" has a label without a value"},
                {"v,,kind=empty", "malformed string \"v,,kind=empty\" has a label without a value"},
                {"v,kind=empty,kind=host", "label kind with multiple values"},
                {"v,kind=empty,name=w", "label name with multiple values"},
                {"v,kind=empty,foo=bar", "unknown volume parameter \"foo\""},
                {"v,kind=empty,readOnly=maybe", "invalid boolean \"maybe\" for readOnly"},
                {"v,kind=empty,recursive=", "invalid boolean \"\" for recursive"},
                {"v,kind=empty,uid=-1", "invalid uid \"-1\""},
                {"v,kind=empty,uid=", "invalid uid \"\""},
                {"v,kind=empty,gid=2147483648", "invalid gid \"2147483648\""},
                {"v", "unrecognized volume kind: should be one of \"empty\", \"host\""},
                {"v,kind=Empty", "unrecognized volume kind: should be one of \"empty\", \"host\""},
                {"v,kind=host", "source for host volume must be absolute path"},
                {"v,kind=host,source=", "source for host volume must be absolute path"},
                {"v,kind=host,source=rel", "source for host volume must be absolute path"},
                {"v,kind=host,source=/x,mode=0700",
                 "mode, uid and gid are only valid for empty volumes"},
                {"v,kind=host,source=/x,gid=1",
                 "mode, uid and gid are only valid for empty volumes"},
                {"v,kind=empty,source=/x", "source is not valid for empty volumes"},
                {"v,kind=empty,source=", "source is not valid for empty volumes"},
                {"Bad_Name,kind=empty", "name \"Bad_Name\" is not a valid AC name"},
                {",kind=empty", "name \"\" is not a valid AC name"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *msg = volume_error(cases[i].in);

                if (!msg)
                        TAP_FAIL("\"%s\" was accepted", cases[i].in);
                if (strcmp(msg, cases[i].msg) != 0)
                        TAP_FAIL("\"%s\": \"%s\", expected \"%s\"", cases[i].in, msg, cases[i].msg);
        }
}

/* {"name":...,"value":...} of one isolator, compact. */
static char *isolator_text(const struct ac_isolator *i)
{
        _cleanup_json_ json_t *a = ac_isolators_to_json(i, 1);

        return json_dump_go(json_array_get(a, 0), false);
}

TEST(resource_constructor_marshals_as_rkt)
{
        _cleanup_(ac_isolator_done) struct ac_isolator i = {};
        _cleanup_free_ char *text = NULL;

        ASSERT_OK(ac_isolator_new_resource(AC_ISOLATOR_RESOURCE_MEMORY, "16Mi", "--memory", &i,
                                           NULL));
        text = isolator_text(&i);
        ASSERT_STREQ(text, "{\"name\":\"resource/memory\",\"value\":{\"default\":false,"
                           "\"request\":\"16Mi\",\"limit\":\"16Mi\"}}");
        ASSERT_EQ(i.kind, AC_ISOLATOR_RESOURCE_MEMORY);
        ASSERT_FALSE(i.resource.is_default);
        ASSERT_EQ(i.resource.limit.value, 16 << 20);
        ASSERT_EQ(i.resource.request.value, 16 << 20);
}

TEST(resource_constructor_refuses_bad_quantities)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct ac_isolator i = {};

        _cleanup_free_ char *msg = NULL;

        ASSERT_FAIL(ac_isolator_new_resource(AC_ISOLATOR_RESOURCE_CPU, "abc", "--cpu", &i, &e));
        msg = rk_error_render(e, false);
        ASSERT_STREQ(msg, "quantity \"abc\" is not valid");
}

TEST(int_constructors_keep_the_schemas_bounds)
{
        _cleanup_(ac_isolator_done) struct ac_isolator i = {};
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_free_ char *text = NULL, *msg = NULL;
        struct ac_isolator bad = {};
        int min, max;

        ASSERT_TRUE(ac_isolator_int_range(AC_ISOLATOR_CPU_SHARES, &min, &max));
        ASSERT_EQ(min, 2);
        ASSERT_EQ(max, 262144);
        ASSERT_TRUE(ac_isolator_int_range(AC_ISOLATOR_OOM_SCORE_ADJ, &min, &max));
        ASSERT_EQ(min, -1000);
        ASSERT_EQ(max, 1000);
        ASSERT_FALSE(ac_isolator_int_range(AC_ISOLATOR_RESOURCE_CPU, &min, &max));
        ASSERT_OK(ac_isolator_new_int(AC_ISOLATOR_OOM_SCORE_ADJ, -5, "--oom-score-adj", &i, NULL));
        text = isolator_text(&i);
        ASSERT_STREQ(text, "{\"name\":\"os/linux/oom-score-adj\",\"value\":-5}");
        ASSERT_EQ(i.oom_score_adj, -5);
        ASSERT_FAIL(ac_isolator_new_int(AC_ISOLATOR_CPU_SHARES, 1, "--cpu-shares", &bad, &e));
        msg = rk_error_render(e, false);
        ASSERT_STREQ(msg, "--cpu-shares: must be between 2 and 262144, got 1");
}

TEST(caps_constructor_checks_names)
{
        _cleanup_(ac_isolator_done) struct ac_isolator i = {};
        _cleanup_(rk_error_freep) struct rk_error *e = NULL, *e2 = NULL;
        _cleanup_strv_free_ char **set = strv_split("CAP_KILL,CAP_NET_ADMIN", ',');
        _cleanup_strv_free_ char **bad = strv_split("CAP_KILL,CAP_BOGUS", ',');
        _cleanup_strv_free_ char **none = xnew0(char *, 1);
        _cleanup_free_ char *text = NULL, *m1 = NULL, *m2 = NULL;
        struct ac_isolator x = {};

        ASSERT_OK(ac_isolator_new_caps(AC_ISOLATOR_CAPABILITIES_REMOVE_SET, set, "--caps-remove",
                                       &i, NULL));
        text = isolator_text(&i);
        ASSERT_STREQ(text, "{\"name\":\"os/linux/capabilities-remove-set\",\"value\":{\"set\":"
                           "[\"CAP_KILL\",\"CAP_NET_ADMIN\"]}}");
        ASSERT_FAIL(ac_isolator_new_caps(AC_ISOLATOR_CAPABILITIES_RETAIN_SET, bad, "--caps-retain",
                                         &x, &e));
        m1 = rk_error_render(e, false);
        ASSERT_STREQ(m1, "--caps-retain: unknown capability \"CAP_BOGUS\"");
        ASSERT_FAIL(ac_isolator_new_caps(AC_ISOLATOR_CAPABILITIES_RETAIN_SET, none, "--caps-retain",
                                         &x, &e2));
        m2 = rk_error_render(e2, false);
        ASSERT_STREQ(m2, "--caps-retain: set must be non-empty");
}

/* The parsed valid corpus file name. */
static struct pod_manifest *pod_load(const char *name)
{
        return corpus_load(&kind, name);
}

TEST(app_copy_is_deep_and_equal)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                pod_load("pod-app-with-isolators-and-handlers.json");
        _cleanup_json_ json_t *a = NULL, *b = NULL;
        _cleanup_free_ char *ta = NULL, *tb = NULL;
        struct ac_app *copy;

        ASSERT_NOT_NULL(m->apps[0].app);
        copy = ac_app_copy(m->apps[0].app);
        a = ac_app_to_json(m->apps[0].app);
        b = ac_app_to_json(copy);
        ta = json_dump_go(a, false);
        tb = json_dump_go(b, false);
        ASSERT_STREQ(ta, tb);
        ASSERT_TRUE(copy->exec != m->apps[0].app->exec);
        ASSERT_TRUE(copy->n_isolators == 0 || copy->isolators != m->apps[0].app->isolators);
        ac_app_free(copy);
}

TEST(every_valid_corpus_pod_validates)
{
        _cleanup_free_ char *dir = xasprintf("%s/valid", SCHEMA_CORPUS_DIR);
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        ASSERT_NOT_NULL(d);
        while ((de = readdir(d))) {
                _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
                _cleanup_(rk_error_freep) struct rk_error *e = NULL;

                if (strncmp(de->d_name, "pod-", 4) != 0)
                        continue;
                m = pod_load(de->d_name);
                if (pod_manifest_validate(m, &e) < 0) {
                        closedir(d);
                        TAP_FAIL("%s: %s", de->d_name, e->frames[0]);
                }
                n++;
        }
        closedir(d);
        ASSERT_TRUE(n >= 8);
}

/* The rendered error of validating m, which must fail. */
static char *validate_error(const struct pod_manifest *m)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;

        if (pod_manifest_validate(m, &e) >= 0)
                return NULL;
        return rk_error_render(e, false);
}

TEST(validate_names_the_field_as_the_parser)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m =
                pod_load("pod-rkt-generated.canonical.json");
        _cleanup_free_ char *user = NULL, *name = NULL, *mount = NULL, *dup = NULL;
        _cleanup_free_ char *ann = NULL, *exec = NULL;
        char *saved;

        saved = m->apps[0].app->user;
        m->apps[0].app->user = (char *)"";
        user = validate_error(m);
        m->apps[0].app->user = saved;
        ASSERT_STREQ(user, "apps[0].app: user is required");

        saved = m->apps[0].app->exec[0];
        m->apps[0].app->exec[0] = (char *)"a/b";
        exec = validate_error(m);
        m->apps[0].app->exec[0] = saved;
        ASSERT_STREQ(exec, "apps[0].app.exec[0]: \"a/b\" is not an absolute path");

        saved = m->apps[1].name;
        m->apps[1].name = (char *)"Bad_Name";
        name = validate_error(m);
        m->apps[1].name = (char *)"etcd";
        dup = validate_error(m);
        m->apps[1].name = saved;
        ASSERT_STREQ(name, "apps[1]: name \"Bad_Name\" is not a valid AC name");
        ASSERT_STREQ(dup, "apps[1]: duplicate apps of name \"etcd\"");

        saved = m->apps[0].mounts[0].volume;
        m->apps[0].mounts[0].volume = (char *)"nope";
        mount = validate_error(m);
        m->apps[0].mounts[0].volume = saved;
        ASSERT_STREQ(mount, "apps[0].mounts[0]: volume \"nope\" is not declared in the pod's "
                            "volumes");

        ac_labels_set(&m->apps[0].annotations, "created", "yesterday");
        ann = validate_error(m);
        ASSERT_STREQ(ann, "apps[0].annotations: created: \"yesterday\" is not an RFC 3339 date");
}

TAP_MAIN
