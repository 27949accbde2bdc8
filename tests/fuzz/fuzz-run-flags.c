/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line of rkt run (src/cli: flags.c, app-args.c, stage0-flags.c, stage0-net.c,
 * stage0-manifest.c): the input is the argument words after "rkt run", separated by NUL
 * bytes. They are parsed as run parses them (its leading flags, then the image list with
 * per-app flags, "--" sections and --volume, --mount, --port, --net, --dns...), checked,
 * and, with every image standing for one fixed manifest, turned into the pod manifest,
 * which must then parse. Left out: --stage1-* (remembered in a static of stage0-flags.c
 * across calls) and --set-env-file (reads files). The parsed flags live in globals
 * (arg_stage0, arg_apps, arg_global, arg_dns), reset after each input.
 */
#include <stdio.h>
#include <string.h>

#include "app-args.h"
#include "flags.h"
#include "fuzz.h"
#include "image-manifest.h"
#include "json-util.h"
#include "net.h"
#include "pod-manifest.h"
#include "stage0-flags.h"
#include "strv.h"

#define INPUT_MAX (64 << 10)
#define WORDS_MAX 64
#define KEY       "sha512-0000000000000000000000000000000000000000000000000000000000000000"
/* An image with a mount point, environment, isolators and ports (%s). */
#define IMAGE_MANIFEST                                                                        \
        "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"%s\","             \
        "\"labels\":[{\"name\":\"os\",\"value\":\"linux\"},{\"name\":\"arch\",\"value\":"     \
        "\"amd64\"}],\"app\":{\"exec\":[\"/bin/app\",\"-x\"],\"user\":\"0\",\"group\":\"0\"," \
        "\"workingDirectory\":\"/srv\",\"environment\":[{\"name\":\"PATH\",\"value\":"        \
        "\"/bin\"}],\"mountPoints\":[{\"name\":\"data\",\"path\":\"/data\"}],\"ports\":[%s]," \
        "\"isolators\":[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"1G\"}}]}}"
/* The first app's ports (a port name must belong to one app only). */
#define PORTS                                                                                  \
        "{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":80},{\"name\":\"dns\",\"protocol\":" \
        "\"udp\",\"port\":53}"

static struct flag fuzz_flags[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        size_t n = 0;

        for (const struct flag *f = run_flags; f->name; f++)
                if (strncmp(f->name, "stage1-", 7) != 0 && strcmp(f->name, "set-env-file") != 0)
                        fuzz_flags[n++] = *f;
        return 0;
}

static void app_spec_done(struct app_spec *a)
{
        free(a->image);
        strv_free(a->args);
        free(a->exec);
        free(a->working_dir);
        free(a->user);
        free(a->group);
        strv_free(a->supp_gids);
        free(a->name);
        ac_labels_done(&a->annotations);
        ac_labels_done(&a->user_annotations);
        ac_labels_done(&a->user_labels);
        ac_labels_done(&a->environment);
        free(a->memory);
        free(a->cpu);
        free(a->cpu_shares);
        free(a->oom_score_adj);
        strv_free(a->caps_retain);
        strv_free(a->caps_remove);
        free(a->seccomp);
        free(a->signature);
        for (size_t i = 0; i < a->n_mounts; i++) {
                free(a->mounts[i].volume);
                free(a->mounts[i].target);
        }
        free(a->mounts);
}

/* Frees what the flags set and puts the globals back as they were before. */
static void reset_globals(void)
{
        struct stage0_args *s = &arg_stage0;

        for (size_t i = 0; i < arg_apps.n; i++)
                app_spec_done(&arg_apps.apps[i]);
        free(arg_apps.apps);
        for (size_t i = 0; i < arg_apps.n_pod_mounts; i++) {
                free(arg_apps.pod_mounts[i].volume);
                free(arg_apps.pod_mounts[i].target);
        }
        free(arg_apps.pod_mounts);
        strv_free(arg_apps.volumes);
        arg_apps = (struct app_list){0};
        strv_free(s->port);
        strv_free(s->net);
        strv_free(s->set_env);
        strv_free(s->set_env_file);
        strv_free(s->dns);
        strv_free(s->dns_search);
        strv_free(s->dns_opt);
        strv_free(s->hosts_entry);
        free(s->dns_domain);
        free(s->pull_policy);
        free(s->pod_manifest);
        free(s->uuid_file_save);
        free(s->hostname);
        free(s->ipc);
        *s = (struct stage0_args){0};
        stage0_dns_done(&arg_dns);
        arg_dns = (struct stage0_dns){"default", "default", NULL, NULL};
        free(arg_global.dir);
        free(arg_global.system_config);
        free(arg_global.local_config);
        free(arg_global.user_config);
        free(arg_global.cpuprofile);
        free(arg_global.memprofile);
        free(arg_global.insecure_words);
        arg_global = (struct global_args){0};
}

/* The image the i-th app stands for: named after its image argument when that is an image
 * name; the first has ports of both protocols. */
static struct image_manifest *app_image(const char *image, size_t i)
{
        _cleanup_free_ char *name = NULL, *json = NULL;
        struct ac_labels labels = {0};
        struct image_manifest *m = NULL;
        struct rk_error *err = NULL;

        if (app_ref_parse(image, &name, &labels, &err) < 0) {
                err = rk_error_free(err);
                name = xstrdup("example.com/app");
        }
        ac_labels_done(&labels);
        json = xasprintf(IMAGE_MANIFEST, name, i == 0 ? PORTS : "");
        FUZZ_ASSERT(image_manifest_parse(json, strlen(json), &m, &err) >= 0);
        return m;
}

static void pod_manifest(void)
{
        struct pod_settings ps = {arg_stage0.inherit_env, arg_stage0.set_env, NULL,
                                  arg_stage0.pull_policy, arg_stage0.port};
        struct stage0_app *apps = xnew0(struct stage0_app, arg_apps.n + 1);
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;
        struct rk_error *err = NULL;
        int r;

        for (size_t i = 0; i < arg_apps.n; i++) {
                apps[i].spec = &arg_apps.apps[i];
                apps[i].key = xstrdup(KEY);
                apps[i].manifest = app_image(arg_apps.apps[i].image, i);
        }
        r = stage0_pod_manifest(apps, arg_apps.n, &arg_apps, &ps, &m, &err);
        fuzz_check_error(r, &err);
        if (r >= 0) {
                /* what stage0 writes as P/pod is a pod manifest, with every app */
                text = pod_manifest_to_json(m, false);
                r = pod_manifest_parse(text, strlen(text), &again, &err);
                if (r < 0) {
                        _cleanup_free_ char *why = rk_error_render(err, false);
                        fprintf(stderr, "%s\n%s\n", why, text);
                }
                fuzz_check_error(r, &err);
                FUZZ_ASSERT(r >= 0 && again->n_apps == arg_apps.n);
        }
        stage0_apps_free(apps, arg_apps.n);
}

/* rkt run's steps up to the images: flags, image list, checks. */
static void parse(int argc, char **argv)
{
        const struct flag *const tables[] = {fuzz_flags, global_flags, NULL};
        _cleanup_strv_free_ char **rest = NULL;
        _cleanup_free_ char *msg = NULL;
        bool help = false;

        if (flags_parse(tables, argc, argv, false, &rest, &help, &msg) < 0 || help) {
                FUZZ_ASSERT(help || msg);
                return;
        }
        if (app_list_parse(fuzz_flags, (int)strv_length(rest), rest, &msg) < 0 ||
            app_list_check_mounts(&msg) < 0) {
                FUZZ_ASSERT(msg);
                return;
        }
        if (stage0_dns_from_flags() != 0)
                return;
        if (arg_dns.resolv) {
                /* the DNS flags that ask for a resolv.conf get one */
                _cleanup_free_ char *conf = net_resolv_conf("# fuzz", arg_dns.resolv);
                FUZZ_ASSERT(conf);
        }
        pod_manifest();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_strv_free_ char **words = NULL;

        if (size > INPUT_MAX)
                return 0;
        words = fuzz_split(data, size, '\0');
        if (strv_length(words) > WORDS_MAX)
                return 0;
        parse((int)strv_length(words), words);
        reset_globals();
        return 0;
}
