/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt app sandbox|add|start|stop|rm|list|status (SPEC.md §3.20): mutable pods, behind
 * RKT_EXPERIMENT_APP. The app commands of a pod take P/pod.lck in turn; the running pod is
 * acted on through its stage1's app entrypoints only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app-args.h"
#include "app-status.h"
#include "cli-store.h"
#include "commands.h"
#include "fd-util.h"
#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "pod-cli.h"
#include "pod-manifest.h"
#include "process-util.h"
#include "stage0-flags.h"
#include "strv.h"
#include "time-util.h"

#define EXPERIMENT_APP "RKT_EXPERIMENT_APP"

static char *arg_app;
static bool arg_no_legend;
static char *arg_format;
static char **arg_mnt_volumes;

/* --- app sandbox --- */

/* "K=V" values into l ("<flag>: invalid key=value \"<v>\""). */
static int kv_labels(const char *flag, char *const *kvs, struct ac_labels *l)
{
        for (char *const *kv = kvs; kv && *kv; kv++) {
                const char *eq = strchr(*kv, '=');
                if (!eq || eq == *kv)
                        return cli_fail("--%s: invalid key=value \"%s\"", flag, *kv);
                _cleanup_free_ char *k = xasprintf("%.*s", (int)(eq - *kv), *kv);
                ac_labels_set(l, k, eq + 1);
        }
        return 0;
}

static int sandbox_request(struct stage0_pod_request *rq, struct ac_labels l[3])
{
        int r = kv_labels("annotation", arg_stage0.annotation, &l[0]);

        if (r == 0)
                r = kv_labels("user-annotation", arg_stage0.user_annotation, &l[1]);
        if (r == 0)
                r = kv_labels("user-label", arg_stage0.user_label, &l[2]);
        if (r != 0)
                return r;
        *rq = (struct stage0_pod_request){
                .stage1 = &arg_stage0.stage1,
                .apps = &arg_apps,
                .settings = {.pull_policy = "never",
                             .ports = arg_stage0.port,
                             .mutable_pod = true,
                             .annotations = &l[0],
                             .user_annotations = &l[1],
                             .user_labels = &l[2]},
                .no_overlay = arg_stage0.no_overlay,
                .uuid_file_save = arg_stage0.uuid_file_save,
        };
        return 0;
}

static int sandbox_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct ac_labels labels[3] = {{0}};
        struct stage0_pod_request rq;
        const struct stage0_context *ctx;
        struct rk_error *err = NULL;
        int r;

        if (argc != 0)
                return cli_usage(cmd);
        r = cli_require_root();
        if (r != 0)
                return r;
        /* an added app's image would be copied into S1 while the pod's apps run */
        if (arg_stage0.no_overlay)
                return cli_fail("--no-overlay is not supported for mutable pods (an app "
                                "added later needs overlayfs)");
        /* rkt's app sandbox fails with status 1 */
        if (stage0_dns_from_flags() != 0 || sandbox_request(&rq, labels) != 0)
                return 1;
        if (!(ctx = cli_stage0_context()) || cli_open_store(&s) < 0)
                return 1;
        if (stage0_create_pod(s, ctx, &rq, &p, &err) < 0) {
                cli_report(err);
                return 1;
        }
        for (size_t i = 0; i < 3; i++)
                ac_labels_done(&labels[i]);
        if (!stage0_stage1_supports_mutable(p)) {
                cli_fail("stage1 does not support mutable pods");
                return 1;
        }
        if (pod_to_run(p, &err) < 0) {
                cli_report(err);
                return 1;
        }
        struct stage1_run_args a = {arg_stage0.net, false, arg_stage0.hostname,
                                    NULL,           true,  &arg_dns};
        a.mutable_pod = true;
        if (a.hostname && !*a.hostname)
                a.hostname = NULL;
        stage0_run(s, ctx, p, &a, &err);
        rk_error_prefix(&err, "stage0");
        cli_report(err);
        return 1;
}

/* --- the pod of an app command --- */

/* The running mutable pod uuid, with P/pod.lck taken in *ret_lock. Prints errors. */
static int open_running(const char *uuid, struct pod **ret, int *ret_lock)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct rk_error *err = NULL;
        const char *dir = cli_data_dir();
        int lock;

        if (!dir || cli_pod_open(dir, uuid, "cannot get pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (p->state != POD_STATE_RUNNING)
                return cli_fail("pod \"%s\" is not running", p->uuid);
        lock = stage0_app_lock(p, &err);
        if (lock < 0)
                return cli_report(err);
        *ret_lock = lock;
        *ret = TAKE_PTR(p);
        return 0;
}

static char **entrypoint_args(const char *app, const struct pod *p)
{
        char **args = NULL;

        strv_consume(&args, xasprintf("--debug=%s", arg_global.debug ? "true" : "false"));
        if (p)
                strv_consume(&args, xasprintf("--uuid=%s", p->uuid));
        strv_consume(&args, xasprintf("--app=%s", app));
        return args;
}

/* The app named in P/pod; prints `cannot find app "<n>" in the pod`. */
static int require_app(const struct pod *p, const char *app, bool *ret_found)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        struct rk_error *err = NULL;

        if (pod_read_manifest(p, &m, &err) < 0)
                return cli_report(err);
        for (size_t i = 0; i < m->n_apps; i++)
                if (strcmp(m->apps[i].name, app) == 0)
                        return 0;
        return cli_fail("cannot find app \"%s\" in the pod", app);
}

/* --- app add --- */

/* --mnt-volume=name=N,kind=host,source=S,target=T[,readOnly=B]: a --volume and its mount. */
static int mnt_volume(const char *v)
{
        _cleanup_strv_free_ char **kvs = strv_split(v, ',');
        _cleanup_free_ char *name = NULL, *target = NULL;
        char **rest = NULL;
        struct app_spec *a = &arg_apps.apps[0];

        STRV_FOREACH(kv, kvs) {
                if (strncmp(*kv, "name=", 5) == 0)
                        name = xstrdup(*kv + 5);
                else if (strncmp(*kv, "target=", 7) == 0)
                        target = xstrdup(*kv + 7);
                else
                        strv_push(&rest, *kv);
        }
        if (!name || !*name || !target || !*target) {
                strv_free(rest);
                return cli_fail("--mnt-volume \"%s\": name and target are required", v);
        }
        _cleanup_free_ char *joined = strv_join(rest, ",");
        strv_free(rest);
        strv_consume(&arg_apps.volumes, xasprintf("%s%s%s", name, *joined ? "," : "", joined));
        a->mounts = oom_check(realloc(a->mounts, (a->n_mounts + 1) * sizeof(*a->mounts)));
        a->mounts[a->n_mounts++] = (struct app_mount){TAKE_PTR(name), TAKE_PTR(target)};
        return 0;
}

static const struct flag add_pod_flags[] = {
        {"mnt-volume", FLAG_STRV, &arg_mnt_volumes,
         .usage = "volume to mount into the app (name=N,kind=host,source=S,target=T"
                  "[,readOnly=B])"},
        {NULL},
};

static int add_parse(int argc, char **argv)
{
        _cleanup_free_ char *msg = NULL;

        if (app_list_parse(add_pod_flags, argc, argv, &msg) < 0)
                return cli_fail("error parsing app image arguments: %s", msg);
        if (arg_apps.n != 1)
                return cli_fail("must give only one image");
        STRV_FOREACH(v, arg_mnt_volumes)
                if (mnt_volume(*v) != 0)
                        return EXIT_RKT_ERROR;
        if (app_list_check_mounts(&msg) < 0)
                return cli_fail("%s", msg);
        return 0;
}

static int add_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_close_ int lock = -EBADF;
        _cleanup_free_ char *name = NULL;
        _cleanup_strv_free_ char **args = NULL;
        const struct stage0_context *ctx;
        struct pod_settings ps = {.pull_policy = "never"};
        struct rk_error *err = NULL, *ignored = NULL;
        struct pod_entrypoint ep;
        int r, ran = -1;

        if (argc < 2)
                return cli_usage(cmd);
        r = cli_require_root();
        if (r == 0)
                r = add_parse(argc - 1, argv + 1);
        if (r == 0)
                r = open_running(argv[0], &p, &lock);
        if (r != 0)
                return r;
        if (!pod_supervisor_ready(p))
                return cli_fail("supervisor for pod \"%s\" is not yet ready", p->uuid);
        /* the index waits for the entrypoint (store_sync()) when the image is given by its
         * full ID, as the kubelet's runtime gives it */
        if (!(ctx = cli_stage0_context()) || cli_open_store_deferred(&s) < 0)
                return EXIT_RKT_ERROR;
        if (stage0_app_add(s, ctx, p, &arg_apps, &ps, &name, &err) < 0) {
                store_forget_deferred(s); /* refused: the index is not waited for */
                return cli_report(err);
        }
        args = entrypoint_args(name, p);
        /* the app's root before the entrypoint, which prepares the app's start (app-ctl.c) */
        r = stage0_app_add_root(s, p, name, &err);
        if (r >= 0)
                r = ran = pod_start_app_entrypoint(p, "add", args, &ep, &err);
        if (r >= 0) {
                /* while the entrypoint runs: the index opened, the image checked against it */
                int sync = store_sync(s, &err);
                r = pod_wait_entrypoint(&ep, sync < 0 ? &ignored : &err);
                r = sync < 0 ? sync : r;
        }
        if (r < 0) {
                store_forget_deferred(s);
                rk_error_free(TAKE_PTR(ignored));
                /* what the stage1 made of the app (app_add prepares its start) goes too */
                if (ran >= 0)
                        (void)pod_run_app_entrypoint(p, "rm", args, &ignored);
                rk_error_free(TAKE_PTR(ignored));
                (void)stage0_app_remove(p, name, &ignored);
                rk_error_free(ignored);
                return cli_report(err);
        }
        return 0;
}

/* --- app start, stop, rm --- */

static int require_app_flag(const struct command *cmd, int argc)
{
        if (argc != 1)
                return cli_usage(cmd);
        if (!arg_app || !*arg_app)
                return cli_fail("must specify the app name using --app");
        return 0;
}

/* The app's state by the records of SPEC.md §3.20 (no pod state applied). */
static const char *record_state(const struct pod *p, const char *app)
{
        static const char *const states[] = {"exited", "running", "created"};
        static const char *const suffixes[] = {"", "-started", "-created"};

        _cleanup_close_ int dir = pod_app_status_dir_open(p);

        for (size_t i = 0; dir >= 0 && i < ELEMENTSOF(states); i++) {
                _cleanup_free_ char *name = xasprintf("%s%s", app, suffixes[i]);
                if (faccessat(dir, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                        return states[i];
        }
        return "unknown";
}

/*
 * Whether the monitor of app (app-ctl.c) runs: P/appsinfo/<app>/monitor-pid names a live
 * process in the pod's init.scope (proc_cgroup_text_in()). A monitor killed with -9 leaves
 * the app "running" by the records; app start may then start it again (the stage1 kills what
 * is left in its cgroup).
 */
static bool monitor_alive(const struct pod *p, const char *app)
{
        _cleanup_free_ char *rel = xasprintf("appsinfo/%s/monitor-pid", app), *sub = NULL;
        _cleanup_free_ char *init = NULL;
        _cleanup_close_ int pidfd = -EBADF;
        long pid = 0;

        if (read_long_at(p->fd, rel, READ_LONG_STRICT, &pid) < 0 || pid <= 0 ||
            read_file_at(p->fd, "subcgroup", 4096, &sub, NULL) < 0)
                return false;
        init = xasprintf("%s/init.scope", sub);
        pidfd = pidfd_open_checked((pid_t)pid, "cgroup", proc_cgroup_text_in, init);
        return pidfd >= 0;
}

static int start_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_close_ int lock = -EBADF;
        _cleanup_strv_free_ char **args = NULL;
        struct rk_error *err = NULL;
        int r;

        r = require_app_flag(cmd, argc);
        if (r == 0)
                r = cli_require_root();
        if (r == 0)
                r = open_running(argv[0], &p, &lock);
        if (r == 0)
                r = require_app(p, arg_app, NULL);
        if (r != 0)
                return r;
        if (strcmp(record_state(p, arg_app), "running") == 0 && monitor_alive(p, arg_app))
                return cli_fail("app \"%s\" is already running", arg_app);
        args = entrypoint_args(arg_app, NULL);
        if (pod_run_app_entrypoint(p, "start", args, &err) < 0)
                return cli_report(err);
        return 0;
}

static int stop_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_close_ int lock = -EBADF;
        _cleanup_strv_free_ char **args = NULL;
        struct rk_error *err = NULL;
        const char *dir;
        int r;

        r = require_app_flag(cmd, argc);
        if (r == 0)
                r = cli_require_root();
        if (r != 0)
                return r;
        dir = cli_data_dir();
        if (!dir || cli_pod_open(dir, argv[0], "cannot get pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (pod_is_after_run(p)) {
                printf("pod \"%s\" is already stopped\n", p->uuid);
                return 0;
        }
        p = pod_free(p);
        r = open_running(argv[0], &p, &lock);
        if (r == 0)
                r = require_app(p, arg_app, NULL);
        if (r != 0)
                return r;
        args = entrypoint_args(arg_app, NULL);
        if (pod_run_app_entrypoint(p, "stop", args, &err) < 0)
                return cli_report(err);
        return 0;
}

static int rm_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_close_ int lock = -EBADF;
        _cleanup_strv_free_ char **args = NULL;
        struct rk_error *err = NULL;
        int r;

        r = require_app_flag(cmd, argc);
        if (r == 0)
                r = cli_require_root();
        if (r == 0)
                r = open_running(argv[0], &p, &lock);
        if (r == 0)
                r = require_app(p, arg_app, NULL);
        if (r != 0)
                return r;
        args = entrypoint_args(arg_app, p);
        if (pod_run_app_entrypoint(p, "rm", args, &err) < 0 ||
            stage0_app_remove(p, arg_app, &err) < 0)
                return cli_report(err);
        return 0;
}

/* --- app list, status --- */

/* The mutable app state: the records, or exited once the pod itself is after run. */
static const char *app_state(const struct pod *p, const char *app)
{
        const char *s = record_state(p, app);

        if (pod_is_after_run(p) && strcmp(s, "exited") != 0)
                return "exited";
        return s;
}

static int open_pod_read(const char *uuid, struct pod **ret, struct pod_manifest **ret_m)
{
        struct rk_error *err = NULL;
        const char *dir = cli_data_dir();

        if (!dir || cli_pod_open(dir, uuid, "cannot get pod", ret) != 0)
                return EXIT_RKT_ERROR;
        if (pod_read_manifest(*ret, ret_m, &err) < 0)
                return cli_report(err);
        return 0;
}

static int list_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        int r;

        if (argc != 1)
                return cli_usage(cmd);
        r = open_pod_read(argv[0], &p, &m);
        if (r != 0)
                return r;
        if (!arg_no_legend)
                printf("NAME\tSTATE\n");
        for (size_t i = 0; i < m->n_apps; i++)
                printf("%s\t%s\n", m->apps[i].name, app_state(p, m->apps[i].name));
        if (arg_no_legend && m->n_apps == 0)
                printf("\n");
        return 0;
}

/* The mtime (ns) of S1/rkt/status/<app><suffix>; 0 when missing. */
static int64_t record_time(const struct pod *p, const char *app, const char *suffix)
{
        _cleanup_free_ char *name = xasprintf("%s%s", app, suffix);
        _cleanup_close_ int dir = pod_app_status_dir_open(p);
        struct stat st;

        if (dir < 0 || fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return 0;
        return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* Go's Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST" (fraction trimmed). */
static char *format_time_go_ns(int64_t ns)
{
        _cleanup_free_ char *whole = format_time_go(ns - ns % 1000000000);
        char frac[11];
        int n;

        n = snprintf(frac, sizeof(frac), ".%09d", (int)(ns % 1000000000));
        while (n > 1 && frac[n - 1] == '0')
                frac[--n] = 0;
        if (n == 1)
                frac[0] = 0;
        return xasprintf("%.19s%s%s", whole, frac, whole + 19);
}

static void print_time(const char *key, int64_t ns)
{
        if (ns == 0)
                return;
        _cleanup_free_ char *t = format_time_go_ns(ns);
        printf("%s=%s\n", key, t);
}

/* The host volume of mount k of a, or NULL. */
static const struct ac_volume *mount_volume(const struct pod_manifest *m, const struct pod_app *a,
                                            size_t k)
{
        if (a->mounts[k].app_volume)
                return a->mounts[k].app_volume;
        for (size_t i = 0; i < m->n_volumes; i++)
                if (strcmp(m->volumes[i].name, a->mounts[k].volume) == 0)
                        return &m->volumes[i];
        return NULL;
}

/* "host:container:(read_only:B)" for each mount of a (mounts=). */
static char *mounts_text(const struct pod_manifest *m, const struct pod_app *a)
{
        char **items = NULL;

        for (size_t k = 0; k < a->n_mounts; k++) {
                const struct ac_volume *v = mount_volume(m, a, k);
                if (v)
                        strv_consume(&items,
                                     xasprintf("%s:%s:(read_only:%s)", v->source ?: "",
                                               a->mounts[k].path, v->read_only ? "true" : "false"));
        }
        char *s = items ? strv_join(items, ",") : NULL;
        strv_free(items);
        return s;
}

/* The app object of rkt's v1.App (SPEC.md §3.5), with the mutable-pod state: times in ns. */
static json_t *status_json(const struct pod_manifest *m, const struct pod_app *a, const char *state,
                           const int64_t t[3], const int *code)
{
        json_t *o = json_object(), *mounts = json_array();

        json_object_set_new(o, "name", json_string(a->name));
        json_object_set_new(o, "state", json_string(state));
        static const char *const keys[] = {"created_at", "started_at", "finished_at"};
        for (size_t i = 0; i < 3; i++)
                if (t[i])
                        json_object_set_new(o, keys[i], json_integer(t[i]));
        if (code)
                json_object_set_new(o, "exit_code", json_integer(*code));
        json_object_set_new(o, "image_id", json_string(a->image_id));
        for (size_t k = 0; k < a->n_mounts; k++) {
                const struct ac_volume *v = mount_volume(m, a, k);
                json_array_append_new(mounts,
                                      json_pack("{s:s, s:s, s:s, s:b}", "name", a->mounts[k].volume,
                                                "container_path", a->mounts[k].path, "host_path",
                                                v && v->source ? v->source : "", "read_only",
                                                v && v->read_only));
        }
        if (json_array_size(mounts))
                json_object_set_new(o, "mounts", mounts);
        else
                json_decref(mounts);
        if (a->app) {
                cli_json_set_labels(o, "user_annotations", &a->app->user_annotations);
                cli_json_set_labels(o, "user_labels", &a->app->user_labels);
        }
        return o;
}

static int status_print(const struct pod *p, const struct pod_manifest *m, const struct pod_app *a)
{
        _cleanup_free_ char *mounts = mounts_text(m, a);
        const char *state = app_state(p, a->name);
        bool exited = strcmp(state, "exited") == 0;
        int64_t t[3] = {record_time(p, a->name, "-created"), record_time(p, a->name, "-started"),
                        0};
        int code = 0;

        if (exited && pod_read_app_status(p, a->name, &code) < 0)
                code = record_time(p, a->name, "") ? 1 : 0;
        if (exited)
                t[2] = record_time(p, a->name, "") ?: pod_gc_mark_time(p);
        if (arg_format && *arg_format) {
                json_t *o = status_json(m, a, state, t, exited ? &code : NULL);
                _cleanup_free_ char *text = json_dumps(
                        o, strcmp(arg_format, "json-pretty") == 0 ? JSON_INDENT(2) : JSON_COMPACT);
                json_decref(o);
                printf("%s\n", text);
                return 0;
        }
        printf("name=%s\nstate=%s\nimage_id=%s\n", a->name, state, a->image_id);
        print_time("created_at", t[0]);
        print_time("started_at", t[1]);
        print_time("finished_at", t[2]);
        if (exited)
                printf("exit_code=%d\n", code);
        if (mounts)
                printf("mounts=%s\n", mounts);
        return 0;
}

static int status_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        int r;

        if (argc != 1 || !arg_app || !*arg_app) {
                cli_usage(cmd);
                return 1;
        }
        r = open_pod_read(argv[0], &p, &m);
        if (r != 0)
                return r;
        for (size_t i = 0; i < m->n_apps; i++)
                if (strcmp(m->apps[i].name, arg_app) == 0)
                        return status_print(p, m, &m->apps[i]);
        cli_fail("cannot find app \"%s\" in the pod", arg_app);
        return 1;
}

static const struct flag app_name_flags[] = {
        {"app", FLAG_STRING, &arg_app, .def = "", .usage = "Name of the app",
         .quote_default = true},
        {NULL},
};

static const struct flag list_flags[] = {
        {"no-legend", FLAG_BOOL, &arg_no_legend, .def = "false",
         .usage = "suppress a legend with the list"},
        {NULL},
};

static const struct flag status_flags[] = {
        {"app", FLAG_STRING, &arg_app, .def = "", .usage = "Name of the app",
         .quote_default = true},
        {"format", FLAG_FUNC, &arg_format, cli_parse_pod_format, "",
         "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, "
         "then the result is printed as key value pairs"},
        {NULL},
};

static const struct command cmd_app_sandbox = {
        .name = "sandbox",
        .short_desc = "Create an empty pod application sandbox",
        .usage = "",
        .long_desc = "Initializes an empty pod having no applications.",
        .flags = sandbox_flags,
        .run = sandbox_run,
};

static const struct command cmd_app_add = {
        .name = "add",
        .short_desc = "Add an app to a pod",
        .usage = "UUID IMAGEID ...",
        .long_desc = "This allows addition of apps to pods with custom stage1 images.",
        .flags = add_pod_flags,
        .run = add_run,
        .no_interspersed = true,
};

static const struct command cmd_app_start = {
        .name = "start",
        .short_desc = "Start an app in a pod",
        .usage = "UUID --app=APP_NAME",
        .flags = app_name_flags,
        .run = start_run,
};

static const struct command cmd_app_stop = {
        .name = "stop",
        .short_desc = "Stop an app in a pod",
        .usage = "UUID --app=APP_NAME",
        .flags = app_name_flags,
        .run = stop_run,
};

static const struct command cmd_app_rm = {
        .name = "rm",
        .short_desc = "Remove an app from a pod",
        .usage = "UUID --app=APP_NAME",
        .flags = app_name_flags,
        .run = rm_run,
};

static const struct command cmd_app_list = {
        .name = "list",
        .short_desc = "List apps in a pod",
        .usage = "UUID",
        .flags = list_flags,
        .run = list_run,
};

static const struct command cmd_app_status = {
        .name = "status",
        .short_desc = "Check the status of an app in a pod",
        .usage = "UUID --app=APP_NAME [--format=json]",
        .flags = status_flags,
        .run = status_run,
};

static const struct command *const app_children[] = {
        &cmd_app_add,   &cmd_app_list,   &cmd_app_rm,   &cmd_app_sandbox,
        &cmd_app_start, &cmd_app_status, &cmd_app_stop, NULL,
};

const struct command cmd_app = {
        .name = "app",
        .short_desc = "Operate on app(s) in a pod",
        .usage = "[command]",
        .children = app_children,
        .hidden = true,
        .experiment = EXPERIMENT_APP,
};
