/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the pod manifest of run/prepare (src/stage0/pod-manifest.c,
 * stage0_pod_manifest()): app sections with the per-app overrides, the environment's
 * precedence, isolators, mounts, volumes and ports, compared as the JSON the pod gets, and
 * the checks with their messages.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app-spec-util.h"
#include "image-manifest.h"
#include "json-util.h"
#include "stage0.h"
#include "strv.h"
#include "tap.h"

#define KEY_A "sha512-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "sha512-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define LINUX_AMD64                                          \
        "\"labels\":[{\"name\":\"os\",\"value\":\"linux\"}," \
        "{\"name\":\"arch\",\"value\":\"amd64\"}]"
/* An image manifest named name with extra members (an "app", "annotations"...). */
#define IMAGE(name, extra)                                                        \
        "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"" name \
        "\"," LINUX_AMD64 extra "}"
#define SIMPLE_APP ",\"app\":{\"exec\":[\"/bin/hello\"],\"user\":\"0\",\"group\":\"0\"}"
#define MUTABLE_FALSE \
        "\"annotations\":[{\"name\":\"coreos.com/rkt/stage1/mutable\",\"value\":\"false\"}]"

/* The apps and flags of one pod, as the CLI would hand them over. */
struct fixture {
        struct app_spec specs[3];
        struct stage0_app apps[3];
        struct app_list list;
        struct pod_settings ps;
        size_t n;
};

static struct image_manifest *image(const char *json)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct image_manifest *m = NULL;

        if (image_manifest_parse(json, strlen(json), &m, &e) < 0)
                TAP_FAIL("image manifest rejected: %s", e->frames[0]);
        return m;
}

/* Adds an app of image manifest json stored as key; returns its spec. */
static struct app_spec *fixture_add(struct fixture *f, const char *key, const char *json)
{
        size_t i = f->n++;

        f->specs[i] = (struct app_spec){.image = xstrdup(key), .readonly_rootfs = -1};
        f->apps[i] = (struct stage0_app){&f->specs[i], xstrdup(key), image(json), NULL};
        f->list.apps = f->specs;
        f->list.n = f->n;
        return &f->specs[i];
}

static void fixture_done(struct fixture *f)
{
        for (size_t i = 0; i < f->n; i++) {
                app_spec_done(&f->specs[i]);
                free(f->apps[i].key);
                free(f->apps[i].name);
                image_manifest_free(f->apps[i].manifest);
        }
        app_mounts_free(f->list.pod_mounts, f->list.n_pod_mounts);
        strv_free(f->list.volumes);
        strv_free(f->ps.set_env);
        strv_free(f->ps.set_env_file);
        strv_free(f->ps.ports);
        *f = (struct fixture){};
}

static void add_mount(struct app_mount **l, size_t *n, const char *volume, const char *target)
{
        *l = oom_check(reallocarray(*l, *n + 1, sizeof(**l)));
        (*l)[(*n)++] = (struct app_mount){xstrdup(volume), xstrdup(target)};
}

static struct pod_manifest *build(struct fixture *f)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct pod_manifest *m = NULL;

        if (stage0_pod_manifest(f->apps, f->n, &f->list, &f->ps, &m, &e) < 0) {
                _cleanup_free_ char *msg = rk_error_render(e, false);
                fixture_done(f);
                TAP_FAIL("stage0_pod_manifest failed: %s", msg);
        }
        return m;
}

/* The rendered error of building f's manifest, which must fail. */
static char *build_error(struct fixture *f)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct pod_manifest *m = NULL;

        if (stage0_pod_manifest(f->apps, f->n, &f->list, &f->ps, &m, &e) >= 0) {
                pod_manifest_free(m);
                return NULL;
        }
        ASSERT_NULL(m);
        return rk_error_render(e, false);
}

/* Builds f and checks the error; frees f. */
static void expect_error(struct fixture *f, const char *msg)
{
        _cleanup_free_ char *got = build_error(f);

        fixture_done(f);
        ASSERT_STREQ(got, msg);
}

static char *pod_text(const struct pod_manifest *m)
{
        return pod_manifest_to_json(m, false);
}

static char *app_text(const struct pod_manifest *m, size_t i)
{
        _cleanup_json_ json_t *o = ac_app_to_json(m->apps[i].app);

        return json_dump_go(o, false);
}

/* Builds f (which is freed) and returns the JSON of the first app's section. */
static char *build_app_text(struct fixture *f)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = build(f);

        fixture_done(f);
        return app_text(m, 0);
}

TEST(minimal_pod_bytes)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *text = NULL;

        fixture_add(&f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));
        m = build(&f);
        text = pod_text(m);
        ASSERT_STREQ(f.apps[0].name, "hello");
        fixture_done(&f);
        ASSERT_STREQ(text, "{\"acVersion\":\"1.30.0\",\"acKind\":\"PodManifest\",\"apps\":[{"
                           "\"name\":\"hello\",\"image\":{\"name\":\"example.com/hello\",\"id\":"
                           "\"" KEY_A "\"," LINUX_AMD64 "},\"app\":{\"exec\":[\"/bin/hello\"],"
                           "\"user\":\"0\",\"group\":\"0\"}}],\"volumes\":null,"
                           "\"isolators\":null," MUTABLE_FALSE ",\"ports\":[]}");
}

TEST(default_app_names_come_from_the_image_name)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;

        fixture_add(&f, KEY_A, IMAGE("example.com/my.app_x", SIMPLE_APP));
        fixture_add(&f, KEY_B, IMAGE("example.com/tools/x~y", SIMPLE_APP));
        m = build(&f);
        ASSERT_STREQ(m->apps[0].name, "my-app-x");
        ASSERT_STREQ(m->apps[1].name, "x-y");
        ASSERT_STREQ(f.apps[1].name, "x-y");
        fixture_done(&f);
}

TEST(overrides_rewrite_the_app_section)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *app = NULL, *pod = NULL;
        struct app_spec *s = fixture_add(
                &f, KEY_A,
                IMAGE("example.com/hello",
                      ",\"app\":{\"exec\":[\"/bin/img\",\"--img\"],\"user\":\"0\",\"group\":\"0\","
                      "\"workingDirectory\":\"/img\",\"userAnnotations\":{\"old\":\"1\"}}"));

        s->exec = xstrdup("/bin/other");
        s->args = strv_split("a,b", ',');
        s->has_args = true;
        s->user = xstrdup("1000");
        s->group = xstrdup("100");
        s->working_dir = xstrdup("/w");
        s->supp_gids = strv_split("4,5", ',');
        s->name = xstrdup("custom");
        s->readonly_rootfs = 1;
        ac_labels_set(&s->user_annotations, "b", "1");
        ac_labels_set(&s->user_labels, "c", "2");
        ac_labels_set(&s->annotations, "x", "y");
        m = build(&f);
        app = app_text(m, 0);
        pod = pod_text(m);
        fixture_done(&f);
        ASSERT_STREQ(app, "{\"exec\":[\"/bin/other\",\"a\",\"b\"],\"user\":\"1000\",\"group\":"
                          "\"100\",\"supplementaryGIDs\":[4,5],\"workingDirectory\":\"/w\","
                          "\"userAnnotations\":{\"b\":\"1\"},\"userLabels\":{\"c\":\"2\"}}");
        ASSERT_CONTAINS(pod, "{\"name\":\"custom\",\"image\":");
        ASSERT_CONTAINS(pod, "\"readOnlyRootFS\":true,\"annotations\":[{\"name\":\"x\","
                             "\"value\":\"y\"}]}]");
}

TEST(arguments_follow_the_images_exec)
{
        struct fixture f = {};
        _cleanup_free_ char *app = NULL;
        struct app_spec *s = fixture_add(&f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));

        s->args = strv_split("--x,y", ',');
        s->has_args = true;
        app = build_app_text(&f);
        ASSERT_STREQ(app, "{\"exec\":[\"/bin/hello\",\"--x\",\"y\"],\"user\":\"0\",\"group\":"
                          "\"0\"}");
}

TEST(docker_arguments_replace_cmd_and_keep_entrypoint)
{
        struct fixture f = {};
        _cleanup_free_ char *app = NULL;
        struct app_spec *s = fixture_add(
                &f, KEY_A,
                IMAGE("example.com/docker",
                      ",\"app\":{\"exec\":[\"/bin/sh\",\"-c\",\"echo\",\"cmd1\"],\"user\":\"0\","
                      "\"group\":\"0\"},\"annotations\":[{\"name\":\"appc.io/docker/entrypoint\","
                      "\"value\":\"[\\\"/bin/sh\\\",\\\"-c\\\"]\"},{\"name\":"
                      "\"appc.io/docker/cmd\",\"value\":\"[\\\"echo\\\",\\\"cmd1\\\"]\"}]"));

        s->args = strv_split("other", ',');
        s->has_args = true;
        app = build_app_text(&f);
        ASSERT_STREQ(app, "{\"exec\":[\"/bin/sh\",\"-c\",\"other\"],\"user\":\"0\",\"group\":"
                          "\"0\"}");
}

TEST(an_image_without_app_needs_exec)
{
        struct fixture f = {};
        _cleanup_free_ char *app = NULL, *want = NULL;

        fixture_add(&f, KEY_A, IMAGE("example.com/noapp", ""));
        expect_error(&f, "error: image " KEY_A " has no app section and --exec argument is not "
                         "provided");
        fixture_add(&f, KEY_A, IMAGE("example.com/noapp", ""))->exec = xstrdup("/bin/x");
        app = build_app_text(&f);
        want = xasprintf("{\"exec\":[\"/bin/x\"],\"user\":\"%u\",\"group\":\"%u\"}", getuid(),
                         getgid());
        ASSERT_STREQ(app, want);
}

/* A temporary file holding text; its path (free it and unlink it). */
static char *temp_file(const char *text)
{
        char *path = xstrdup("/tmp/test-stage0-manifest-XXXXXX");
        int fd = mkstemp(path);

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
        close(fd);
        return path;
}

#define ENV_IMAGE                                                                                \
        IMAGE("example.com/env",                                                                 \
              ",\"app\":{\"exec\":[\"/bin/env\"],\"user\":\"0\",\"group\":\"0\","                \
              "\"environment\":[{\"name\":\"A\",\"value\":\"image\"},{\"name\":\"B\",\"value\":" \
              "\"image\"},{\"name\":\"C\",\"value\":\"image\"}]}")

/* The env precedence fixture: image A B C, file B D, --set-env C D, --environment C E. */
static void env_fixture(struct fixture *f, const char *file)
{
        struct app_spec *s = fixture_add(f, KEY_A, ENV_IMAGE);

        strv_push(&f->ps.set_env_file, file);
        f->ps.set_env = strv_split("C=pod,D=pod", ',');
        ac_labels_set(&s->environment, "C", "app");
        ac_labels_set(&s->environment, "E", "app");
}

TEST(environment_precedence)
{
        _cleanup_free_ char *file = temp_file("# comment\n;other\n\nB=file\nD=file=x\n");
        _cleanup_free_ char *app = NULL;
        struct fixture f = {};

        env_fixture(&f, file);
        app = build_app_text(&f);
        unlink(file);
        ASSERT_STREQ(app, "{\"exec\":[\"/bin/env\"],\"user\":\"0\",\"group\":\"0\","
                          "\"environment\":[{\"name\":\"A\",\"value\":\"image\"},{\"name\":\"B\","
                          "\"value\":\"file\"},{\"name\":\"C\",\"value\":\"app\"},{\"name\":\"D\","
                          "\"value\":\"pod\"},{\"name\":\"E\",\"value\":\"app\"}]}");
}

/* The position of name in env, or -1. */
static long env_index(const struct ac_labels *env, const char *name)
{
        for (size_t i = 0; i < env->n; i++)
                if (strcmp(env->items[i].name, name) == 0)
                        return (long)i;
        return -1;
}

TEST(inherited_environment_ranks_lowest)
{
        _cleanup_free_ char *file = temp_file("B=file\n");
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        struct fixture f = {};
        const struct ac_labels *env;

        env_fixture(&f, file);
        ASSERT_OK(setenv("A", "host", 1));
        ASSERT_OK(setenv("E", "host", 1));
        ASSERT_OK(setenv("RKT_UNIT_INHERITED", "host", 1));
        f.ps.inherit_env = true;
        m = build(&f);
        fixture_done(&f);
        unlink(file);
        unsetenv("A");
        unsetenv("E");
        unsetenv("RKT_UNIT_INHERITED");
        env = &m->apps[0].app->environment;
        ASSERT_STREQ(ac_labels_get(env, "A"), "image");
        ASSERT_STREQ(ac_labels_get(env, "E"), "app");
        ASSERT_STREQ(ac_labels_get(env, "RKT_UNIT_INHERITED"), "host");
        ASSERT_EQ(env_index(env, "A"), 0);
        ASSERT_TRUE(env_index(env, "C") < env_index(env, "RKT_UNIT_INHERITED"));
        ASSERT_TRUE(env_index(env, "RKT_UNIT_INHERITED") < env_index(env, "D"));
}

TEST(environment_errors)
{
        _cleanup_free_ char *noeq = temp_file("NOEQ\n"), *one = temp_file("X=1\n");
        _cleanup_free_ char *want1 = NULL, *want2 = NULL;
        struct fixture f = {};

        want1 = xasprintf("environment variable must be specified as name=value (file \"%s\")",
                          noeq);
        want2 = xasprintf("environment variable \"X\" already set (file \"%s\")", one);
        fixture_add(&f, KEY_A, ENV_IMAGE);
        strv_push(&f.ps.set_env_file, noeq);
        expect_error(&f, want1);
        fixture_add(&f, KEY_A, ENV_IMAGE);
        strv_push(&f.ps.set_env_file, one);
        strv_push(&f.ps.set_env_file, one);
        expect_error(&f, want2);
        fixture_add(&f, KEY_A, ENV_IMAGE);
        strv_push(&f.ps.set_env, "A");
        expect_error(&f, "\"A\" must be specified as key=value");
        fixture_add(&f, KEY_A, ENV_IMAGE);
        f.ps.set_env = strv_split("A=1,A=2", ',');
        expect_error(&f, "key \"A\" already set");
        unlink(noeq);
        unlink(one);
}

#define ISO_IMAGE                                                                                \
        IMAGE("example.com/iso",                                                                 \
              ",\"app\":{\"exec\":[\"/bin/iso\"],\"user\":\"0\",\"group\":\"0\",\"isolators\":[" \
              "{\"name\":\"resource/memory\",\"value\":{\"default\":false,\"limit\":\"1G\"}},"   \
              "{\"name\":\"os/linux/cpu-shares\",\"value\":100},"                                \
              "{\"name\":\"os/linux/"                                                            \
              "capabilities-retain-set\",\"value\":{\"set\":[\"CAP_KILL\"]}},"                   \
              "{\"name\":\"os/linux/oom-score-adj\",\"value\":5},"                               \
              "{\"name\":\"os/linux/no-new-privileges\",\"value\":true},"                        \
              "{\"name\":\"os/linux/"                                                            \
              "capabilities-remove-set\",\"value\":{\"set\":[\"CAP_CHOWN\"]}}"                   \
              "]}")

TEST(isolators_added_and_replaced)
{
        struct fixture f = {};
        _cleanup_free_ char *app = NULL;
        struct app_spec *s = fixture_add(&f, KEY_A, ISO_IMAGE);

        s->memory = xstrdup("16Mi");
        s->cpu = xstrdup("500m");
        s->cpu_shares = xstrdup("2048");
        s->oom_score_adj = xstrdup("-5");
        s->caps_retain = strv_split("CAP_NET_ADMIN", ',');
        app = build_app_text(&f);
        ASSERT_STREQ(
                app,
                "{\"exec\":[\"/bin/iso\"],\"user\":\"0\",\"group\":\"0\",\"isolators\":["
                "{\"name\":\"resource/memory\",\"value\":{\"default\":false,\"limit\":\"1G\"}},"
                "{\"name\":\"os/linux/no-new-privileges\",\"value\":true},"
                "{\"name\":\"resource/memory\",\"value\":{\"default\":false,\"request\":"
                "\"16Mi\",\"limit\":\"16Mi\"}},"
                "{\"name\":\"resource/cpu\",\"value\":{\"default\":false,\"request\":\"500m\","
                "\"limit\":\"500m\"}},"
                "{\"name\":\"os/linux/cpu-shares\",\"value\":2048},"
                "{\"name\":\"os/linux/oom-score-adj\",\"value\":-5},"
                "{\"name\":\"os/linux/capabilities-retain-set\",\"value\":{\"set\":"
                "[\"CAP_NET_ADMIN\"]}}]}");
}

TEST(caps_remove_replaces_both_sets)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;

        fixture_add(&f, KEY_A, ISO_IMAGE)->caps_remove = strv_split("CAP_KILL,CAP_MKNOD", ',');
        m = build(&f);
        fixture_done(&f);
        ASSERT_EQ(m->apps[0].app->n_isolators, 5);
        ASSERT_EQ(m->apps[0].app->isolators[4].kind, AC_ISOLATOR_CAPABILITIES_REMOVE_SET);
        ASSERT_STREQ(m->apps[0].app->isolators[4].caps.set[1], "CAP_MKNOD");
        for (size_t i = 0; i < 4; i++)
                ASSERT_TRUE(
                        m->apps[0].app->isolators[i].kind != AC_ISOLATOR_CAPABILITIES_RETAIN_SET &&
                        m->apps[0].app->isolators[i].kind != AC_ISOLATOR_CAPABILITIES_REMOVE_SET);
}

/* --seccomp replaces both seccomp sets of the image, as appc's constructor writes it. */
TEST(seccomp_override_replaces_the_images_sets)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *text = NULL;
        const struct ac_app *app;

        fixture_add(&f, KEY_A,
                    IMAGE("example.com/hello",
                          ",\"app\":{\"exec\":[\"/bin/x\"],\"user\":\"0\",\"group\":\"0\","
                          "\"isolators\":[{\"name\":\"os/linux/seccomp-retain-set\","
                          "\"value\":{\"set\":[\"@appc.io/all\"]}}]}"))
                ->seccomp = xstrdup("mode=remove,errno=EXFULL,stat,@rkt/default-blacklist");
        m = build(&f);
        fixture_done(&f);
        app = m->apps[0].app;
        ASSERT_EQ(app->n_isolators, 1);
        ASSERT_EQ(app->isolators[0].kind, AC_ISOLATOR_SECCOMP_REMOVE_SET);
        text = app_text(m, 0);
        ASSERT_TRUE(strstr(text,
                           "{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":"
                           "[\"stat\",\"@rkt/default-blacklist\"],\"errno\":\"EXFULL\"}}") != NULL);
}

/* Adds one plain app to f; returns its spec. */
static struct app_spec *one_app(struct fixture *f)
{
        return fixture_add(f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));
}

TEST(isolator_errors)
{
        struct fixture f = {};
        struct app_spec *s;

        one_app(&f)->memory = xstrdup("100");
        expect_error(&f, "memory limit of 100 bytes too low. Try a reasonable value, such as "
                         "--memory=16M");
        one_app(&f)->cpu = xstrdup("abc");
        expect_error(&f, "quantity \"abc\" is not valid");
        one_app(&f)->cpu_shares = xstrdup("1");
        expect_error(&f, "--cpu-shares must be an integer between 2 and 262144");
        one_app(&f)->oom_score_adj = xstrdup("1x");
        expect_error(&f, "--oom-score-adj must be an integer between -1000 and 1000");
        one_app(&f)->seccomp = xstrdup("mode=maybe,chmod");
        expect_error(&f, "invalid seccomp mode command-line override");
        one_app(&f)->seccomp = xstrdup("chmod");
        expect_error(&f, "invalid seccomp mode command-line override");
        one_app(&f)->seccomp = xstrdup("mode=remove,color=red,chmod");
        expect_error(&f, "invalid seccomp command-line override");
        one_app(&f)->seccomp = xstrdup("mode=remove,nosuchcall");
        expect_error(&f, "unknown system call \"nosuchcall\"");
        one_app(&f)->seccomp = xstrdup("mode=remove,errno=ENOSUCH,chmod");
        expect_error(&f, "unknown errno \"ENOSUCH\"");
        one_app(&f)->seccomp = xstrdup("mode=retain");
        expect_error(&f, "--seccomp.set: set must be non-empty");
        one_app(&f)->caps_retain = strv_split("CAP_BOGUS", ',');
        expect_error(&f, "--caps-retain: unknown capability \"CAP_BOGUS\"");
        s = one_app(&f);
        s->caps_retain = strv_split("CAP_KILL", ',');
        s->caps_remove = strv_split("CAP_KILL", ',');
        expect_error(&f, "error: cannot use both --caps-retain and --caps-remove on the same "
                         "image");
}

TEST(app_checks)
{
        struct fixture f = {};

        one_app(&f);
        fixture_add(&f, KEY_B, IMAGE("example.org/hello", SIMPLE_APP));
        expect_error(&f, "error: multiple apps with name hello");
        one_app(&f)->name = xstrdup("Bad_Name");
        expect_error(&f, "invalid pod manifest: apps[0]: name \"Bad_Name\" is not a valid AC "
                         "name");
        one_app(&f)->user = xstrdup("");
        expect_error(&f, "invalid pod manifest: apps[0].app: user is required");
        one_app(&f)->working_dir = xstrdup("rel");
        expect_error(&f, "invalid pod manifest: apps[0].app: workingDirectory \"rel\" must be an "
                         "absolute path");
        one_app(&f)->exec = xstrdup("a/b");
        expect_error(&f, "invalid pod manifest: apps[0].app.exec[0]: \"a/b\" is not an absolute "
                         "path");
        one_app(&f)->supp_gids = strv_split("3000000000", ',');
        expect_error(&f, "--supplementary-gids: 3000000000 is not a valid group ID");
        ac_labels_set(&one_app(&f)->annotations, "created", "bogus");
        expect_error(&f, "invalid pod manifest: apps[0].annotations: created: \"bogus\" is not an "
                         "RFC 3339 date");
}

TEST(os_and_arch_labels_are_checked)
{
        struct fixture f = {};

        fixture_add(&f, KEY_A,
                    "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\","
                    "\"labels\":[{\"name\":\"os\",\"value\":\"linux\"}]" SIMPLE_APP "}");
        expect_error(&f, "missing arch label in the image manifest");
        fixture_add(
                &f, KEY_A,
                "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\"" SIMPLE_APP
                "}");
        expect_error(&f, "missing os label in the image manifest");
        fixture_add(&f, KEY_A,
                    "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"a\","
                    "\"labels\":[{\"name\":\"os\",\"value\":\"freebsd\"},{\"name\":\"arch\","
                    "\"value\":\"amd64\"}]" SIMPLE_APP "}");
        expect_error(&f, "bad os \"freebsd\" (must be one of: [linux])");
}

TEST(mounts_own_then_pod_wide_first_target_wins)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *pod = NULL;
        struct app_spec *s = fixture_add(&f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));

        f.list.volumes = strv_split("v,kind=empty;w,kind=host,source=/srv", ';');
        add_mount(&s->mounts, &s->n_mounts, "v", "/a");
        add_mount(&s->mounts, &s->n_mounts, "w", "b");
        add_mount(&f.list.pod_mounts, &f.list.n_pod_mounts, "v", "/b");
        add_mount(&f.list.pod_mounts, &f.list.n_pod_mounts, "w", "/c");
        add_mount(&f.list.pod_mounts, &f.list.n_pod_mounts, "v", "a");
        m = build(&f);
        pod = pod_text(m);
        fixture_done(&f);
        ASSERT_CONTAINS(pod, "\"mounts\":[{\"volume\":\"v\",\"path\":\"/a\"},{\"volume\":\"w\","
                             "\"path\":\"/b\"},{\"volume\":\"w\",\"path\":\"/c\"}]}]");
}

TEST(volumes_are_written_in_go_order)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *pod = NULL;

        fixture_add(&f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));
        f.list.volumes = strv_split("d,kind=empty,recursive=false,mode=0700,uid=5,readOnly=true;h,"
                                    "kind=host,source=/srv",
                                    ';');
        m = build(&f);
        pod = pod_text(m);
        fixture_done(&f);
        ASSERT_CONTAINS(pod, "\"volumes\":[{\"name\":\"d\",\"kind\":\"empty\",\"readOnly\":true,"
                             "\"recursive\":false,\"mode\":\"0700\",\"uid\":5,\"gid\":0},"
                             "{\"name\":\"h\",\"kind\":\"host\",\"source\":\"/srv\"}],");
}

TEST(volume_errors)
{
        struct fixture f = {};
        struct app_spec *s;

        fixture_add(&f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));
        f.list.volumes = strv_split("v,kind=bogus", ';');
        expect_error(&f, "invalid value in --volume flag \"v,kind=bogus\": unrecognized volume "
                         "kind: should be one of \"empty\", \"host\"");
        fixture_add(&f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));
        f.list.volumes = strv_split("v,kind=empty;v,kind=host,source=/srv", ';');
        expect_error(&f, "invalid pod manifest: volumes[1]: duplicate volume name \"v\"");
        s = fixture_add(&f, KEY_A, IMAGE("example.com/hello", SIMPLE_APP));
        add_mount(&s->mounts, &s->n_mounts, "nope", "/x");
        expect_error(&f, "invalid pod manifest: apps[0].mounts[0]: volume \"nope\" is not declared "
                         "in the pod's volumes");
}

#define PORT_IMAGE(name, port)                                                                  \
        IMAGE(name, ",\"app\":{\"exec\":[\"/bin/p\"],\"user\":\"0\",\"group\":\"0\",\"ports\":" \
                    "[" port "]}")
#define HTTP "{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":80}"
#define DNS  "{\"name\":\"dns\",\"protocol\":\"udp\",\"port\":53}"

TEST(ports)
{
        struct fixture f = {};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *pod = NULL;

        fixture_add(&f, KEY_A, PORT_IMAGE("example.com/web", HTTP));
        fixture_add(&f, KEY_B, PORT_IMAGE("example.com/dns", DNS));
        f.ps.ports = strv_split("http:8080,dns:127.0.0.1:53", ',');
        m = build(&f);
        pod = pod_text(m);
        fixture_done(&f);
        ASSERT_CONTAINS(pod, ",\"ports\":[{\"name\":\"http\",\"hostPort\":8080},{\"name\":\"dns\","
                             "\"hostPort\":53,\"hostIP\":\"127.0.0.1\"}]}");
}

TEST(port_errors)
{
        struct fixture f = {};

        fixture_add(&f, KEY_A, PORT_IMAGE("example.com/web", HTTP));
        f.ps.ports = strv_split("nope:1", ',');
        expect_error(&f, "port name \"nope\" could not be found in any apps");
        fixture_add(&f, KEY_A, PORT_IMAGE("example.com/web", HTTP));
        fixture_add(&f, KEY_B, PORT_IMAGE("example.com/web2", HTTP));
        f.ps.ports = strv_split("http:1", ',');
        expect_error(&f, "port name \"http\" defined multiple apps");
        fixture_add(&f, KEY_A, PORT_IMAGE("example.com/web", HTTP));
        f.ps.ports = strv_split("http:8080,http:8080", ',');
        expect_error(&f, "port tcp-0.0.0.0:8080 already mapped to pod port http");
        fixture_add(&f, KEY_A, PORT_IMAGE("example.com/web", HTTP));
        f.ps.ports = strv_split("http:1.2.3:80", ',');
        expect_error(&f, "\"1.2.3\" is not a valid IP");
        fixture_add(&f, KEY_A, PORT_IMAGE("example.com/web", HTTP));
        f.ps.ports = strv_split("http:65536", ',');
        expect_error(&f, "\"65536\" is not a valid port number");
}

TAP_MAIN
