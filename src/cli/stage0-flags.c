/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flags of run and prepare and the steps they share up to a prepared pod directory:
 * image list, flag checks, stage1 selection, image lookup, pod creation, preparation.
 */
#include "stage0-flags.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app-args.h"
#include "cli-store.h"
#include "escape.h"
#include "fs-util.h"
#include "image-fetch.h"
#include "image-manifest.h"
#include "log.h"
#include "mds-client.h"
#include "pod-manifest.h"
#include "register-mds.h"
#include "strv.h"

struct stage0_args arg_stage0;
static const char *stage1_flag_used;

static int parse_stage1_flag(const char *name, char **field, const char *arg, char **ret_msg)
{
        if (stage1_flag_used && strcmp(stage1_flag_used, name) == 0) {
                *ret_msg = xasprintf("--%s already used", name);
                return -EINVAL;
        }
        if (stage1_flag_used) { /* rkt names the flag being set first */
                *ret_msg = xasprintf("flags --%s and --%s are mutually exclusive", name,
                                     stage1_flag_used);
                return -EINVAL;
        }
        stage1_flag_used = name;
        *field = xstrdup(arg);
        return 0;
}

#define STAGE1_FLAG(fn, flagname, field)                                                    \
        static int fn(const char *arg, void *value, char **ret_msg)                         \
        {                                                                                   \
                return parse_stage1_flag(flagname, &arg_stage0.stage1.field, arg, ret_msg); \
        }

STAGE1_FLAG(parse_stage1_url, "stage1-url", url)
STAGE1_FLAG(parse_stage1_path, "stage1-path", path)
STAGE1_FLAG(parse_stage1_name, "stage1-name", name)
STAGE1_FLAG(parse_stage1_hash, "stage1-hash", hash)
STAGE1_FLAG(parse_stage1_from_dir, "stage1-from-dir", from_dir)

static int parse_volume(const char *arg, void *value, char **ret_msg)
{
        strv_push(&arg_apps.volumes, arg);
        return 0;
}

#define A (&arg_stage0)
#define POD_FLAGS_COMMON                                                                           \
        {"stage1-url", FLAG_FUNC, NULL, parse_stage1_url, "", "URL to an image to use as stage1"}, \
                {"stage1-path",                                                                    \
                 FLAG_FUNC,                                                                        \
                 NULL,                                                                             \
                 parse_stage1_path,                                                                \
                 "",                                                                               \
                 "absolute or relative path to an image to use as stage1"},                        \
                {"stage1-name",     FLAG_FUNC, NULL,                                               \
                 parse_stage1_name, "",        "name of an image to use as stage1"},               \
                {"stage1-hash",     FLAG_FUNC, NULL,                                               \
                 parse_stage1_hash, "",        "hash of an image to use as stage1"},               \
                {"stage1-from-dir",                                                                \
                 FLAG_FUNC,                                                                        \
                 NULL,                                                                             \
                 parse_stage1_from_dir,                                                            \
                 "",                                                                               \
                 "filename of an image in stage1 images directory to use as stage1"},              \
                {"inherit-env", FLAG_BOOL, &A->inherit_env, .def = "false",                        \
                 .usage = "inherit all environment variables not set by apps"},                    \
                {"no-overlay", FLAG_BOOL, &A->no_overlay, .def = "false",                          \
                 .usage = "disable overlay filesystem"},                                           \
                {"private-users", FLAG_BOOL, &A->private_users, .def = "false",                    \
                 .usage = "run within user namespaces."},                                          \
                {"set-env", FLAG_STRV, &A->set_env,                                                \
                 .usage = "environment variable to set for all the apps in the form key=value, "   \
                          "this will be overridden by --environment"},                             \
                {"store-only", FLAG_BOOL, &A->store_only, .def = "false",                          \
                 .deprecated = "please use --pull-policy=never"},                                  \
                {"no-store", FLAG_BOOL, &A->no_store, .def = "false",                              \
                 .deprecated = "please use --pull-policy=update"},                                 \
                {"pull-policy", FLAG_STRING, &A->pull_policy, .def = "new",                        \
                 .usage = "when to pull an image"},                                                \
        {                                                                                          \
                "volume", FLAG_FUNC, NULL, parse_volume, "",                                       \
                        "volumes to make available in the pod"                                     \
        }

static const struct flag run_pod_flags[] = {
        POD_FLAGS_COMMON,
        {"port", FLAG_STRV, &A->port,
         .usage = "ports to expose on the host (requires contained network). Syntax: "
                  "--port=NAME:[HOSTIP:]HOSTPORT"},
        {"set-env-file", FLAG_STRV, &A->set_env_file,
         .usage = "path to an environment variables file"},
        {"pod-manifest", FLAG_STRING, &A->pod_manifest, .def = "",
         .usage = "the path to the pod manifest. If it's non-empty, then only '--net', "
                  "'--no-overlay' and '--interactive' will have effect"},
        {"net", FLAG_FUNC, &A->net, stage0_net_flag_parse, .def = "default",
         .no_opt_default = "default",
         .usage = "configure the pod's networking. Optionally, pass a list of user-configured "
                  "networks to load and set arguments to pass to each network, respectively. "
                  "Syntax: --net[=n[:args], ...]"},
        {"interactive", FLAG_BOOL, &A->interactive, .def = "false",
         .usage = "run pod interactively. If true, only one image may be supplied."},
        {"dns", FLAG_STRV, &A->dns,
         .usage = "name servers to write in /etc/resolv.conf. Pass 'host' to use host's "
                  "resolv.conf. Pass 'none' to ignore CNI DNS config"},
        {"dns-search", FLAG_STRV, &A->dns_search,
         .usage = "DNS search domains to write in /etc/resolv.conf"},
        {"dns-opt", FLAG_STRV, &A->dns_opt, .usage = "DNS options to write in /etc/resolv.conf"},
        {"dns-domain", FLAG_STRING, &A->dns_domain, .def = "",
         .usage = "DNS domain to write in /etc/resolv.conf"},
        {"hosts-entry", FLAG_STRV, &A->hosts_entry,
         .usage = "Entries to add to the pod-wide /etc/hosts. Pass 'host' to use the host's "
                  "/etc/hosts"},
        {"mds-register", FLAG_BOOL, &A->mds_register, .def = "false",
         .usage = "register pod with metadata service. needs network connectivity to the host "
                  "(--net=(default|default-restricted|host)"},
        {"uuid-file-save", FLAG_STRING, &A->uuid_file_save, .def = "",
         .usage = "write out pod UUID to specified file"},
        {"hostname", FLAG_STRING, &A->hostname, .def = "",
         .usage = "pod's hostname. If empty, it will be \"rkt-$PODUUID\""},
        {"ipc", FLAG_STRING, &A->ipc, .def = "",
         .usage = "whether to stay in the host IPC namespace. Syntax: --ipc=[auto|private|parent]"},
        {NULL},
};

static const struct flag prepare_pod_flags[] = {
        POD_FLAGS_COMMON,
        {"port", FLAG_STRV, &A->port,
         .usage = "ports to expose on the host (requires contained network). Syntax: "
                  "--port=NAME:HOSTPORT"},
        {"set-env-file", FLAG_STRV, &A->set_env_file,
         .usage = "the path to an environment variables file"},
        {"pod-manifest", FLAG_STRING, &A->pod_manifest, .def = "",
         .usage = "the path to the pod manifest. If it's non-empty, then only '--quiet' and "
                  "'--no-overlay' will have effect"},
        {"quiet", FLAG_BOOL, &A->quiet, .def = "false",
         .usage = "suppress superfluous output on stdout, print only the UUID on success"},
        {NULL},
};

const struct flag sandbox_flags[] = {
        {"stage1-url", FLAG_FUNC, NULL, parse_stage1_url, "", "URL to an image to use as stage1"},
        {"stage1-path", FLAG_FUNC, NULL, parse_stage1_path, "",
         "absolute or relative path to an image to use as stage1"},
        {"stage1-name", FLAG_FUNC, NULL, parse_stage1_name, "",
         "name of an image to use as stage1"},
        {"stage1-hash", FLAG_FUNC, NULL, parse_stage1_hash, "",
         "hash of an image to use as stage1"},
        {"stage1-from-dir", FLAG_FUNC, NULL, parse_stage1_from_dir, "",
         "filename of an image in stage1 images directory to use as stage1"},
        {"uuid-file-save", FLAG_STRING, &A->uuid_file_save, .def = "",
         .usage = "write out pod UUID to specified file"},
        {"net", FLAG_FUNC, &A->net, stage0_net_flag_parse, .def = "default",
         .usage = "configure the pod's networking. Optionally, pass a list of user-configured "
                  "networks to load and set arguments to pass to each network, respectively. "
                  "Syntax: --net[=n[:args], ...]"},
        {"no-overlay", FLAG_BOOL, &A->no_overlay, .def = "false",
         .usage = "disable overlay filesystem"},
        {"dns", FLAG_STRV, &A->dns,
         .usage = "name servers to write in /etc/resolv.conf. Pass 'host' to use host's "
                  "resolv.conf. Pass 'none' to ignore CNI DNS config"},
        {"dns-search", FLAG_STRV, &A->dns_search,
         .usage = "DNS search domains to write in /etc/resolv.conf"},
        {"dns-opt", FLAG_STRV, &A->dns_opt, .usage = "DNS options to write in /etc/resolv.conf"},
        {"dns-domain", FLAG_STRING, &A->dns_domain, .def = "",
         .usage = "DNS domain to write in /etc/resolv.conf"},
        {"hosts-entry", FLAG_STRV, &A->hosts_entry,
         .usage = "Entries to add to the pod-wide /etc/hosts. Pass 'host' to use the host's "
                  "/etc/hosts"},
        {"hostname", FLAG_STRING, &A->hostname, .def = "",
         .usage = "pod's hostname. If empty, it will be \"rkt-$PODUUID\""},
        {"port", FLAG_STRV, &A->port,
         .usage = "ports to forward. format: \"name:proto:podPort:hostIP:hostPort\""},
        {"annotation", FLAG_STRV, &A->annotation,
         .usage = "optional, set the pod's annotations in the form of key=value"},
        {"user-annotation", FLAG_STRV, &A->user_annotation,
         .usage = "optional, set the pod's annotations in the form of key=value"},
        {"user-label", FLAG_STRV, &A->user_label,
         .usage = "optional, set the pod's label in the form of key=value"},
        {NULL},
};

struct flag run_flags[64];
struct flag prepare_flags[64];

/* Each command's table: its pod-level flags, then the per-app flags. */
static void concat_flags(struct flag *dst, const struct flag *pod)
{
        size_t n = 0;

        for (const struct flag *f = pod; f->name; f++)
                dst[n++] = *f;
        for (const struct flag *f = app_flags; f->name; f++)
                dst[n++] = *f;
        dst[n] = (struct flag){NULL};
}

static void stage0_flags_init(void) __attribute__((constructor));
static void stage0_flags_init(void)
{
        concat_flags(run_flags, run_pod_flags);
        concat_flags(prepare_flags, prepare_pod_flags);
}

static const char *pull_policy(void)
{
        if (arg_stage0.store_only)
                return "never";
        if (arg_stage0.no_store)
                return "update";
        return arg_stage0.pull_policy ? arg_stage0.pull_policy : "new";
}

/* host: anywhere in --net (SPEC.md §8.1); none: as the only entry. */
static bool net_is(const char *name)
{
        if (!arg_stage0.net)
                return false;
        if (strcmp(name, "host") == 0)
                return strv_contains(arg_stage0.net, "host");
        return strv_contains(arg_stage0.net, name) && !arg_stage0.net[1];
}

/* SPEC.md §3.1 validation steps 2–8, plus what this build does not have yet. */
static const char *check_flags(size_t n_apps)
{
        const struct stage0_args *a = &arg_stage0;

        if (a->store_only && a->no_store)
                return "both --store-only and --no-store specified";
        if (a->private_users && access("/proc/self/uid_map", F_OK) < 0)
                return "--private-users is not supported, kernel compiled without user "
                       "namespace support";
        if (a->port && net_is("none"))
                return "--port flag does not work with 'none' networking";
        if (a->port && net_is("host"))
                return "--port flag does not work with 'host' networking";
        if (a->mds_register && net_is("none"))
                return "--mds-register flag does not work with --net=none. Please use 'host', "
                       "'default' or an equivalent network";
        if (a->pod_manifest &&
            (n_apps > 0 || arg_apps.volumes || arg_apps.n_pod_mounts || a->port || a->inherit_env ||
             a->set_env || a->set_env_file || a->store_only || a->no_store ||
             (a->pull_policy && strcmp(a->pull_policy, "new") != 0)))
                return "conflicting flags set with --pod-manifest (see --help)";
        if (a->interactive && n_apps > 1)
                return "interactive option only supports one image";
        if (n_apps == 0 && !a->pod_manifest)
                return "must provide at least one image or specify the pod manifest";
        return NULL;
}

struct stage0_dns arg_dns = {"default", "default", NULL, NULL};

/* A value written as a line of resolv.conf, hosts or hostname: no control characters. */
static int check_line_value(const char *flag, const char *v)
{
        _cleanup_free_ char *shown = NULL;

        if (!v || !escape_has_control(v))
                return 0;
        shown = escape_nonprint(v, NULL);
        return cli_fail("%s must not contain control characters: \"%s\"", flag, shown);
}

static int check_line_values(const char *flag, char *const *l)
{
        for (char *const *v = l; v && *v; v++)
                if (check_line_value(flag, *v) != 0)
                        return EXIT_RKT_ERROR;
        return 0;
}

int stage0_dns_from_flags(void)
{
        struct stage0_dns_flags f = {arg_stage0.dns, arg_stage0.dns_search, arg_stage0.dns_opt,
                                     arg_stage0.hosts_entry, arg_stage0.dns_domain};
        struct rk_error *err = NULL;

        if (check_line_value("--hostname", arg_stage0.hostname) ||
            check_line_values("--dns-search", arg_stage0.dns_search) ||
            check_line_values("--dns-opt", arg_stage0.dns_opt) ||
            check_line_value("--dns-domain", arg_stage0.dns_domain) ||
            check_line_values("--hosts-entry", arg_stage0.hosts_entry))
                return EXIT_RKT_ERROR;
        if (stage0_dns_parse(&f, &arg_dns, &err) < 0)
                return cli_report(err);
        return 0;
}

static int parse_and_check(bool run, int argc, char **argv)
{
        _cleanup_free_ char *msg = NULL;
        const char *err;

        if (app_list_parse(run ? run_pod_flags : prepare_pod_flags, argc, argv, &msg) < 0)
                return cli_fail("error parsing app image arguments: %s", msg);
        err = check_flags(arg_apps.n);
        if (err)
                return cli_fail("%s", err);
        if (run && arg_stage0.mds_register && !stage0_mds_wait_reachable())
                return cli_fail("%s", MDS_UNREACHABLE_TEXT);
        if (app_list_check_mounts(&msg) < 0)
                return cli_fail("%s", msg);
        return run ? stage0_dns_from_flags() : 0;
}

int cli_create_pod(const struct command *cmd, int argc, char **argv, bool run,
                   struct store **ret_store, struct pod **ret)
{
        _cleanup_(store_freep) struct store *s = NULL;
        const struct stage0_context *ctx = NULL;
        struct rk_error *err = NULL;
        int r;

        r = parse_and_check(run, argc, argv);
        if (r == 0 && (!(ctx = cli_stage0_context()) || cli_open_store(&s) < 0))
                r = EXIT_RKT_ERROR;
        if (r != 0)
                return r;
        struct stage0_pod_request rq = {
                .stage1 = &arg_stage0.stage1,
                .apps = &arg_apps,
                .pod_manifest = arg_stage0.pod_manifest,
                .settings = {arg_stage0.inherit_env, arg_stage0.set_env, arg_stage0.set_env_file,
                             pull_policy(), arg_stage0.port},
                .no_overlay = arg_stage0.no_overlay,
                .private_users = arg_stage0.private_users,
                .uuid_file_save = arg_stage0.uuid_file_save,
        };
        if (stage0_create_pod(s, ctx, &rq, ret, &err) < 0)
                return cli_report(err);
        *ret_store = TAKE_PTR(s);
        return 0;
}
