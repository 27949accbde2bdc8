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

#include "app-args.h"
#include "cli-store.h"
#include "escape.h"
#include "fs-util.h"
#include "image-fetch.h"
#include "image-manifest.h"
#include "log.h"
#include "mds-client.h"
#include "pod-manifest.h"
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
        if (a->private_users)
                return "--private-users is not supported yet: user namespaces come with a later "
                       "release";
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
        if (run && arg_stage0.mds_register && !mds_client_reachable())
                return cli_fail("%s", MDS_UNREACHABLE_TEXT);
        if (app_list_check_mounts(&msg) < 0)
                return cli_fail("%s", msg);
        return run ? stage0_dns_from_flags() : 0;
}

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The PATH the app will have: from --environment, --set-env or the image, else rkt's. */
static const char *app_path(const struct stage0_app *a)
{
        const char *v = ac_labels_get(&a->spec->environment, "PATH");

        STRV_FOREACH(kv, arg_stage0.set_env)
                if (!v && strncmp(*kv, "PATH=", 5) == 0)
                        v = *kv + 5;
        if (!v && a->manifest->app)
                v = ac_labels_get(&a->manifest->app->environment, "PATH");
        return v ? v : DEFAULT_PATH;
}

/* A bare --exec name is looked up in the app's PATH inside the rendered image (SPEC.md
 * §7.3), so the pod manifest holds an absolute path. */
static int resolve_exec(struct store *s, struct stage0_app *a, struct rk_error **reterr)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!a->spec->exec || a->spec->exec[0] == '/' || strchr(a->spec->exec, '/'))
                return 0;
        r = store_render(s, a->key, &id, reterr);
        if (r >= 0)
                r = store_tree_open_rootfs(s, id, &fd, reterr);
        if (r < 0)
                return r;
        dirs = strv_split(app_path(a), ':');
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *rel = xasprintf("%s/%s", *d + strspn(*d, "/"), a->spec->exec);

                if (**d == '/' && faccessat(fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
                        free(a->spec->exec);
                        a->spec->exec = xasprintf("/%s", rel);
                        return 0;
                }
        }
        return rk_error_set(reterr, ENOENT, "--exec \"%s\" not found in the app's PATH (%s)",
                            a->spec->exec, app_path(a));
}

/* Fetches (or finds) every app image and reads its manifest. */
static int find_images(struct store *s, struct stage0_app **ret, struct rk_error **reterr)
{
        struct stage0_app *apps = xnew0(struct stage0_app, arg_apps.n);
        int r = 0;

        for (size_t i = 0; r >= 0 && i < arg_apps.n; i++) {
                apps[i].spec = &arg_apps.apps[i];
                r = image_fetch(s, apps[i].spec->image, pull_policy(), 0, &apps[i].key, reterr);
                if (r >= 0)
                        r = store_read_manifest(s, apps[i].key, &apps[i].manifest, reterr);
                if (r >= 0)
                        r = resolve_exec(s, &apps[i], reterr);
        }
        if (r < 0) {
                stage0_apps_free(apps, arg_apps.n);
                return r;
        }
        *ret = apps;
        return 0;
}

static int save_uuid(const struct pod *p)
{
        int r;

        if (!arg_stage0.uuid_file_save || !*arg_stage0.uuid_file_save)
                return 0;
        r = write_file_atomic_at(AT_FDCWD, arg_stage0.uuid_file_save, p->uuid, strlen(p->uuid),
                                 0644);
        if (r < 0)
                return cli_fail("cannot write the UUID to %s: %s", arg_stage0.uuid_file_save,
                                strerror(-r));
        return 0;
}

/* Takes D/locks/prepareLock shared (image gc takes it exclusively). */
static int prepare_lock(struct store *s, int *ret_fd)
{
        int fd;

        if (mkdirat(s->dir_fd, "locks/prepareLock", 02750) < 0 && errno != EEXIST)
                return cli_fail("cannot create the prepare lock: %m");
        fd = openat(s->dir_fd, "locks/prepareLock", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_SH) < 0)
                return cli_fail("cannot take the prepare lock: %m");
        *ret_fd = fd;
        return 0;
}

/* --pod-manifest: the user's manifest, used verbatim; its images must be in the store. */
static int user_pod_manifest(struct store *s, struct stage0_app **ret_apps, size_t *ret_n,
                             json_t **ret, struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *raw = NULL;
        struct stage0_app *apps;
        size_t len;
        int r = read_file_at(AT_FDCWD, arg_stage0.pod_manifest, 16 << 20, &raw, &len);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read %s", arg_stage0.pod_manifest);
        r = pod_manifest_parse(raw, len, &m, reterr);
        if (r < 0)
                return r;
        if (m->n_apps == 0)
                return rk_error_set(reterr, EINVAL, "pod must contain at least one application");
        apps = xnew0(struct stage0_app, m->n_apps);
        for (size_t i = 0; r >= 0 && i < m->n_apps; i++) {
                apps[i].name = xstrdup(m->apps[i].name);
                r = store_resolve_key(s, m->apps[i].image_id, &apps[i].key, reterr);
                if (r >= 0)
                        r = store_read_manifest(s, apps[i].key, &apps[i].manifest, reterr);
                if (r >= 0 && !m->apps[i].app && !apps[i].manifest->app)
                        r = rk_error_set(reterr, EINVAL,
                                         "no app section in the pod manifest or "
                                         "the image manifest");
        }
        if (r < 0) {
                stage0_apps_free(apps, m->n_apps);
                return r;
        }
        *ret = json_loadb(raw, len, 0, NULL);
        *ret_apps = apps;
        *ret_n = m->n_apps;
        return 0;
}

/* Stage1, images and the pod manifest: everything that can fail before the pod exists. */
static int gather(struct store *s, char **ret_stage1, struct stage0_app **ret_apps, size_t *ret_n,
                  json_t **ret_manifest)
{
        struct pod_settings ps = {arg_stage0.inherit_env, arg_stage0.set_env,
                                  arg_stage0.set_env_file, NULL, arg_stage0.port};
        struct rk_error *err = NULL;
        int r;

        r = stage1_select(s, cli_config(), &arg_stage0.stage1, ret_stage1, &err);
        if (r < 0)
                return cli_report(err);
        if (arg_stage0.pod_manifest)
                r = user_pod_manifest(s, ret_apps, ret_n, ret_manifest, &err);
        else {
                r = find_images(s, ret_apps, &err);
                *ret_n = arg_apps.n;
                if (r >= 0)
                        r = stage0_pod_manifest(*ret_apps, *ret_n, arg_apps.volumes, &ps,
                                                ret_manifest, &err);
        }
        if (r < 0) {
                if (*ret_apps)
                        stage0_apps_free(*ret_apps, *ret_n);
                *ret_apps = NULL;
                return cli_report(err);
        }
        return 0;
}

int stage0_create_pod(const struct command *cmd, int argc, char **argv, bool run,
                      struct store **ret_store, struct pod **ret)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_free_ char *stage1 = NULL, *why = NULL;
        _cleanup_close_ int lock = -EBADF;
        struct stage0_app *apps = NULL;
        struct rk_error *err = NULL;
        json_t *manifest = NULL;
        size_t n = 0;
        bool overlay;
        int r;

        r = parse_and_check(run, argc, argv);
        if (r == 0 && (!cli_config() || cli_open_store(&s) < 0))
                r = EXIT_RKT_ERROR;
        if (r == 0)
                r = gather(s, &stage1, &apps, &n, &manifest);
        if (r != 0)
                return r;
        overlay = !arg_stage0.no_overlay && stage0_overlay_supported(s->dir, &why);
        if (!arg_stage0.no_overlay && !overlay)
                log_warning("disabling overlay support: \"%s\"", why);
        r = pod_create(s->dir, &p, &err) < 0 ? cli_report(err) : 0;
        if (r == 0)
                r = save_uuid(p);
        if (r == 0)
                r = prepare_lock(s, &lock);
        if (r == 0 && stage0_prepare(s, p, stage1, apps, n, manifest, overlay, &err) < 0)
                r = cli_report(err);
        stage0_apps_free(apps, n);
        json_decref(manifest);
        if (r != 0)
                return r;
        *ret_store = TAKE_PTR(s);
        *ret = TAKE_PTR(p);
        return 0;
}
