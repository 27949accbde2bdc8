/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the image list grammar of run and prepare (src/cli/app-args.c, SPEC.md
 * §4.1–4.3), linked against libcli: images with their per-app flags, "--" argument sections
 * ending at "---", pod-wide --mount and --volume, pod flags between images, and the errors.
 */
#include <stdarg.h>
#include <string.h>

#include "app-args.h"
#include "app-spec-util.h"
#include "stage0-flags.h"
#include "strv.h"
#include "tap.h"

/* Parses the words (NULL-terminated) after `rkt run`'s leading flags into arg_apps. */
static int parse_words(char **ret_msg, const char *first, ...)
{
        _cleanup_strv_free_ char **argv = NULL;
        va_list ap;

        va_start(ap, first);
        for (const char *w = first; w; w = va_arg(ap, const char *))
                strv_push(&argv, w);
        va_end(ap);
        *ret_msg = NULL;
        return app_list_parse(run_flags, (int)strv_length(argv), argv, ret_msg);
}
#define PARSE(msg, ...) parse_words(msg, __VA_ARGS__, NULL)

/* Forgets what the last parse set. */
static void reset(void)
{
        app_list_done(&arg_apps);
        arg_stage0.set_env = strv_free(arg_stage0.set_env);
        arg_stage0.inherit_env = false;
}

TEST(images_with_per_app_flags)
{
        _cleanup_free_ char *msg = NULL;
        const struct app_spec *a, *b;

        ASSERT_OK(PARSE(&msg, "a.aci", "--exec=/bin/x", "--name=one", "--user=5", "--group", "6",
                        "b.aci", "--working-dir=/w", "--readonly-rootfs", "true",
                        "--supplementary-gids=1,2", "--memory=16M", "--cpu=1", "--cpu-shares=2",
                        "--oom-score-adj=3", "--caps-retain=CAP_A,CAP_B", "--signature=/s",
                        "--annotation=k=v", "--annotation=k=w", "--user-annotation=u=1",
                        "--user-label=l=1", "--environment=E=1", "--environment=E=2"));
        ASSERT_EQ(arg_apps.n, 2);
        a = &arg_apps.apps[0];
        b = &arg_apps.apps[1];
        ASSERT_STREQ(a->image, "a.aci");
        ASSERT_STREQ(a->exec, "/bin/x");
        ASSERT_STREQ(a->name, "one");
        ASSERT_STREQ(a->user, "5");
        ASSERT_STREQ(a->group, "6");
        ASSERT_EQ(a->readonly_rootfs, -1);
        ASSERT_FALSE(a->has_args);
        ASSERT_STREQ(b->image, "b.aci");
        ASSERT_NULL(b->exec);
        ASSERT_STREQ(b->working_dir, "/w");
        ASSERT_EQ(b->readonly_rootfs, 1);
        ASSERT_EQ(strv_length(b->supp_gids), 2);
        ASSERT_STREQ(b->supp_gids[1], "2");
        ASSERT_STREQ(b->memory, "16M");
        ASSERT_STREQ(b->cpu, "1");
        ASSERT_STREQ(b->cpu_shares, "2");
        ASSERT_STREQ(b->oom_score_adj, "3");
        ASSERT_EQ(strv_length(b->caps_retain), 2);
        ASSERT_STREQ(b->caps_retain[1], "CAP_B");
        ASSERT_STREQ(b->signature, "/s");
        ASSERT_STREQ(ac_labels_get(&b->annotations, "k"), "v"); /* the first stays */
        ASSERT_STREQ(ac_labels_get(&b->user_annotations, "u"), "1");
        ASSERT_STREQ(ac_labels_get(&b->user_labels, "l"), "1");
        ASSERT_STREQ(ac_labels_get(&b->environment, "E"), "2"); /* the last wins */
        reset();
}

TEST(argument_sections_end_at_triple_dash)
{
        _cleanup_free_ char *msg = NULL;
        const struct app_spec *a, *b;

        ASSERT_OK(PARSE(&msg, "a.aci", "--", "--looks-like-a-flag", "--", "-x", "", "---", "b.aci",
                        "--name=two", "--", "y"));
        ASSERT_EQ(arg_apps.n, 2);
        a = &arg_apps.apps[0];
        b = &arg_apps.apps[1];
        ASSERT_TRUE(a->has_args);
        ASSERT_EQ(strv_length(a->args), 4);
        ASSERT_STREQ(a->args[0], "--looks-like-a-flag");
        ASSERT_STREQ(a->args[1], "--");
        ASSERT_STREQ(a->args[2], "-x");
        ASSERT_STREQ(a->args[3], "");
        ASSERT_STREQ(b->name, "two");
        ASSERT_TRUE(b->has_args);
        ASSERT_EQ(strv_length(b->args), 1);
        ASSERT_STREQ(b->args[0], "y");
        reset();
}

TEST(an_empty_section_still_counts)
{
        _cleanup_free_ char *msg = NULL;

        ASSERT_OK(PARSE(&msg, "a.aci", "--"));
        ASSERT_EQ(arg_apps.n, 1);
        ASSERT_TRUE(arg_apps.apps[0].has_args);
        ASSERT_EQ(strv_length(arg_apps.apps[0].args), 0);
        reset();
}

TEST(empty_words_and_stray_triple_dashes_are_skipped)
{
        _cleanup_free_ char *msg = NULL;

        ASSERT_OK(PARSE(&msg, "", "---", "a.aci", "", "---", "b.aci"));
        ASSERT_EQ(arg_apps.n, 2);
        ASSERT_STREQ(arg_apps.apps[0].image, "a.aci");
        ASSERT_STREQ(arg_apps.apps[1].image, "b.aci");
        reset();
}

TEST(pod_wide_mounts_and_volumes)
{
        _cleanup_free_ char *msg = NULL;

        ASSERT_OK(PARSE(&msg, "--volume=v,kind=empty", "--mount=volume=v,target=/p", "a.aci",
                        "--mount=volume=v,target=/a", "--mount", "target=/b,volume=w",
                        "--volume=w,kind=host,source=/s", "b.aci"));
        ASSERT_EQ(arg_apps.n, 2);
        ASSERT_EQ(strv_length(arg_apps.volumes), 2);
        ASSERT_STREQ(arg_apps.volumes[1], "w,kind=host,source=/s");
        ASSERT_EQ(arg_apps.n_pod_mounts, 1);
        ASSERT_STREQ(arg_apps.pod_mounts[0].volume, "v");
        ASSERT_STREQ(arg_apps.pod_mounts[0].target, "/p");
        ASSERT_EQ(arg_apps.apps[0].n_mounts, 2);
        ASSERT_STREQ(arg_apps.apps[0].mounts[1].volume, "w");
        ASSERT_STREQ(arg_apps.apps[0].mounts[1].target, "/b");
        ASSERT_EQ(arg_apps.apps[1].n_mounts, 0);
        ASSERT_OK(app_list_check_mounts(&msg));
        reset();
}

TEST(mounts_must_name_a_declared_volume)
{
        _cleanup_free_ char *msg = NULL, *msg2 = NULL;

        ASSERT_OK(PARSE(&msg, "--volume=vv,kind=empty", "a.aci", "--mount=volume=v,target=/x"));
        ASSERT_FAIL(app_list_check_mounts(&msg2));
        ASSERT_STREQ(msg2, "dangling mount point \"/x\": volume \"v\" not found");
        reset();
}

TEST(pod_flags_between_images_apply_to_the_pod)
{
        _cleanup_free_ char *msg = NULL;

        ASSERT_OK(PARSE(&msg, "a.aci", "--set-env=K=V", "b.aci", "--inherit-env"));
        ASSERT_EQ(arg_apps.n, 2);
        ASSERT_EQ(strv_length(arg_stage0.set_env), 1);
        ASSERT_STREQ(arg_stage0.set_env[0], "K=V");
        ASSERT_TRUE(arg_stage0.inherit_env);
        reset();
}

TEST(errors)
{
        static const struct {
                const char *words[4];
                const char *msg;
        } cases[] = {
                {{"--exec=/x"}, "--exec must follow an image"},
                {{"--name=x"}, "--name must follow an image"},
                {{"a", "--exec=/a", "--exec=/b"},
                 "--exec specified multiple times for the same image"},
                {{"a", "--signature=/a", "--signature=/b"},
                 "--signature specified multiple times for the same image"},
                {{"--", "a"}, "an image is required before any app arguments"},
                {{"a", "--readonly-rootfs=maybe"}, "--readonly-rootfs must be set with a boolean"},
                {{"a", "--supplementary-gids=1,x"}, "--supplementary-gids must be integers"},
                {{"a", "--user=-1"}, "--user must be a name or a number below 4294967295"},
                {{"a", "--group=4294967295"},
                 "--group must be a name or a number below 4294967295"},
                {{"a", "--mount=volume=v"}, "mount \"volume=v\" needs volume= and target="},
                {{"a", "--mount=foo=bar"}, "unknown mount parameter \"foo\""},
                {{"a", "--mount=junk"}, "malformed mount \"junk\""},
                {{"a", "--annotation=novalue"}, "\"novalue\" must be specified as key=value"},
                {{"a", "--bogus"}, "--bogus"},
                {{"a", "-h"}, "pflag: help requested"},
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *msg = NULL;
                const char *const *w = cases[i].words;
                int r = parse_words(&msg, w[0], w[1], w[2], w[3], NULL);

                reset();
                if (r >= 0)
                        TAP_FAIL("%s %s %s: accepted", w[0], w[1] ?: "", w[2] ?: "");
                if (!msg || !strstr(msg, cases[i].msg))
                        TAP_FAIL("%s %s %s: \"%s\", expected \"%s\"", w[0], w[1] ?: "", w[2] ?: "",
                                 msg ?: "(null)", cases[i].msg);
        }
}

TEST(only_one_argument_section_per_image)
{
        _cleanup_free_ char *msg = NULL;

        ASSERT_FAIL(PARSE(&msg, "a", "--", "x", "---", "--", "y"));
        ASSERT_STREQ(msg, "only one set of app arguments allowed per image");
        reset();
}

TAP_MAIN
