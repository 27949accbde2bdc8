/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the pod commands: root check, UUID files, the pod JSON object. */
#include "pod-cli.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-store.h"
#include "fs-util.h"
#include "json-util.h"
#include "net-info.h"
#include "path-util.h"
#include "pod-manifest.h"
#include "register-mds.h"
#include "rootless.h"
#include "stage0-flags.h"
#include "strbuf.h"
#include "strv.h"
#include "time-util.h"

int cli_pod_delete(struct pod *p, const struct pod_mounts *m, struct rk_error **reterr)
{
        if (p->locked_by_us &&
            (p->state == POD_STATE_EXITED_GARBAGE || p->state == POD_STATE_EXITED_DELETING))
                stage0_mds_unregister(p);
        return pod_delete(p, arg_global.local_config, arg_global.debug, m, reterr);
}

int cli_require_root(void)
{
        if (geteuid() != 0)
                return cli_fail("cannot run as unprivileged user");
        return 0;
}

/* A rootless pod has the host's network or none: the default network needs root (CNI). */
static bool rootless_net_ok(char *const *net)
{
        if (!net || !net[0])
                return false;
        if (strv_contains(net, "host"))
                return true;
        return strcmp(net[0], "none") == 0 && !net[1];
}

int cli_become_root(bool runs_pod, char *const *net)
{
        const char *dir;
        struct rk_error *err = NULL;
        uid_t owner;
        int r;

        if (geteuid() == 0)
                return 0;
        dir = cli_data_dir();
        if (!dir)
                return EXIT_RKT_ERROR;
        r = rootless_dir_owned(dir, &owner);
        if (r < 0)
                return cli_fail("cannot run as unprivileged user: %s: %s", dir, strerror(-r));
        if (r == 0 && owner == 0)
                return cli_fail("cannot run as unprivileged user");
        if (r == 0)
                return cli_fail("cannot run as unprivileged user: the data directory %s belongs "
                                "to uid %u (rootless pods need a --dir of your own)",
                                dir, (unsigned)owner);
        if (runs_pod && !rootless_net_ok(net))
                return cli_fail("rootless pods need --net=none or --net=host: the default "
                                "network needs root");
        if (arg_stage0.private_users)
                return cli_fail("--private-users needs root (a rootless pod already runs in "
                                "a user namespace of your ids)");
        if (r == 2 && (r = rootless_dir_create(dir)) < 0)
                return cli_fail("cannot create data directory %s: %s", dir, strerror(-r));
        if (rootless_enter(&err) < 0)
                return cli_report(err);
        return 0;
}

int cli_rootless_if_own_dir(void)
{
        const char *dir = cli_data_dir();
        struct rk_error *err = NULL;
        struct stat st;

        if (geteuid() == 0 || !dir || stat(dir, &st) < 0 || st.st_uid != getuid())
                return 0;
        if (rootless_enter(&err) < 0)
                return cli_report(err);
        return 0;
}

int cli_pod_open(const char *dir, const char *arg, const char *context, struct pod **ret)
{
        struct rk_error *err = NULL;

        if (pod_open(dir, arg, ret, &err) >= 0)
                return 0;
        rk_error_wrap(&err, "%s", context);
        return cli_report(err);
}

int cli_running_pod_open(const struct command *cmd, int argc, char **argv, struct pod **ret)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        int r;

        r = cli_require_root();
        if (r != 0)
                return r;
        if (argc < 1)
                return cli_usage(cmd);
        if (!cli_data_dir() || cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        if (cli_pod_open(s->dir, argv[0], "problem retrieving pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (p->state != POD_STATE_RUNNING)
                return cli_fail("pod \"%s\" isn't currently running", p->uuid);
        *ret = TAKE_PTR(p);
        return 0;
}

int cli_read_uuid_file(const char *path, char **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *text = NULL, *why = NULL;
        size_t start, end;
        int r;

        r = read_file_at(AT_FDCWD, path, 4096, &text, NULL);
        if (r < 0) {
                why = strerror_go(-r);
                return rk_error_set(reterr, -r, "unable to resolve UUID from file: open %s: %s",
                                    path, why);
        }
        start = strspn(text, " \t\r\n\v\f");
        end = strlen(text);
        while (end > start && isspace((unsigned char)text[end - 1]))
                end--;
        *ret = xasprintf("%.*s", (int)(end - start), text + start);
        return 0;
}

int cli_pod_uuid_args(const struct command *cmd, int argc, char **argv, const char *uuid_file,
                      char ***ret)
{
        struct rk_error *err = NULL;
        char *uuid = NULL;

        if (argc > 0 && !(uuid_file && *uuid_file)) {
                *ret = strv_copy(argv);
                return 0;
        }
        if (argc != 0 || !uuid_file || !*uuid_file)
                return cli_usage(cmd);
        if (cli_read_uuid_file(uuid_file, &uuid, &err) < 0) {
                cli_report(err);
                return 1;
        }
        *ret = NULL;
        strv_consume(ret, uuid);
        return 0;
}

int cli_parse_pod_format(const char *arg, void *value, char **ret_msg)
{
        char **v = value;

        if (*arg && strcmp(arg, "json") != 0 && strcmp(arg, "json-pretty") != 0) {
                *ret_msg = xasprintf("unknown output format \"%s\"", arg);
                return -EINVAL;
        }
        free(*v);
        *v = xstrdup(arg);
        return 0;
}

static int compare_labels(const void *a, const void *b)
{
        return strcmp(((const struct ac_label *)a)->name, ((const struct ac_label *)b)->name);
}

void cli_json_set_labels(json_t *o, const char *key, const struct ac_labels *l)
{
        _cleanup_free_ struct ac_label *v = NULL;
        json_t *m;

        if (l->n == 0)
                return;
        v = xnew0(struct ac_label, l->n);
        memcpy(v, l->items, l->n * sizeof(*v));
        qsort(v, l->n, sizeof(*v), compare_labels);
        m = json_object();
        for (size_t i = 0; i < l->n; i++)
                json_object_set_new(m, v[i].name, json_string(v[i].value));
        json_object_set_new(o, key, m);
}

char *cli_pod_networks(const struct pod *p)
{
        _cleanup_(net_info_done) struct net_info info = {0};
        struct strbuf sb = STRBUF_INIT;

        (void)net_info_read(p->fd, &info);
        for (size_t i = 0; i < info.n; i++) {
                const struct net_info_entry *e = &info.entries[i];
                strbuf_printf(&sb, "%s%s:ip4=%s", i ? ", " : "", e->net_name ?: "",
                              e->ip ?: "<nil>");
        }
        return strbuf_detach(&sb);
}

/* netinfo.NetInfo as Go marshals it. NULL when there are none. */
static json_t *pod_networks_json(const struct pod *p)
{
        _cleanup_(net_info_done) struct net_info info = {0};

        if (p->state != POD_STATE_RUNNING && p->state != POD_STATE_EXITED)
                return NULL;
        if (net_info_read(p->fd, &info) < 0 || info.n == 0)
                return NULL;
        return net_info_to_rkt_json(&info);
}

static const char *app_state_from_pod(enum pod_state s)
{
        switch (s) {
        case POD_STATE_PREPARED:
                return "created";
        case POD_STATE_RUNNING:
                return "running";
        case POD_STATE_EMBRYO:
        case POD_STATE_PREPARING:
        case POD_STATE_ABORTED_PREPARE:
                return "unknown";
        default:
                return "exited";
        }
}

static json_t *app_mounts_json(const struct pod_manifest *m, const struct pod_app *a)
{
        json_t *out = json_array();

        for (size_t i = 0; i < a->n_mounts; i++) {
                const struct pod_mount *mnt = &a->mounts[i];
                const struct ac_volume *v = mnt->app_volume
                                                    ? mnt->app_volume
                                                    : pod_manifest_find_volume(m, mnt->volume);
                json_t *o = json_object();

                json_object_set_new(o, "name", json_string(mnt->volume));
                json_object_set_new(o, "container_path", json_string(mnt->path));
                json_object_set_new(o, "host_path", json_string(v && v->source ? v->source : ""));
                json_object_set_new(o, "read_only",
                                    json_boolean(v && v->has_read_only && v->read_only));
                json_array_append_new(out, o);
        }
        return out;
}

/* v1.App with the immutable-pod rules (SPEC.md §3.5). */
static json_t *pod_app_json(const struct pod *p, const struct pod_manifest *m,
                            const struct pod_app *a, int64_t created, int64_t started,
                            int64_t finished)
{
        json_t *o = json_object();
        int code;
        bool exited = pod_read_app_status(p, a->name, &code) >= 0;

        json_object_set_new(o, "name", json_string(a->name));
        json_object_set_new(o, "state",
                            json_string(exited ? "exited" : app_state_from_pod(p->state)));
        json_object_set_new(o, "created_at", json_integer(created));
        if (started)
                json_object_set_new(o, "started_at", json_integer(started));
        if (finished)
                json_object_set_new(o, "finished_at", json_integer(finished));
        if (exited)
                json_object_set_new(o, "exit_code", json_integer(code));
        json_object_set_new(o, "image_id", json_string(a->image_id));
        if (a->n_mounts)
                json_object_set_new(o, "mounts", app_mounts_json(m, a));
        if (a->app) {
                cli_json_set_labels(o, "user_annotations", &a->app->user_annotations);
                cli_json_set_labels(o, "user_labels", &a->app->user_labels);
        }
        return o;
}

static void pod_apps_json(const struct pod *p, const struct pod_manifest *m, json_t *o)
{
        int64_t created = pod_creation_time(p), started = pod_start_time(p);
        int64_t finished = pod_gc_mark_time(p);
        json_t *names, *apps;

        if (m->n_apps == 0)
                return;
        names = json_array();
        apps = json_array();
        for (size_t i = 0; i < m->n_apps; i++) {
                json_array_append_new(names, json_string(m->apps[i].name));
                json_array_append_new(apps,
                                      pod_app_json(p, m, &m->apps[i], created, started, finished));
        }
        json_object_set_new(o, "app_names", names);
        json_object_set_new(o, "apps", apps);
}

int cli_pod_to_json(const struct pod *p, json_t **ret, struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_json_ json_t *o = json_object();
        int64_t created = pod_creation_time(p), started = pod_start_time(p);
        json_t *nets = pod_networks_json(p);
        int r;

        json_object_set_new(o, "name", json_string(p->uuid));
        json_object_set_new(o, "state", json_string(pod_state_to_string(p->state)));
        if (nets)
                json_object_set_new(o, "networks", nets);
        if (created / NSEC_PER_SEC <= 0)
                return rk_error_set(reterr, EINVAL, "invalid creation time");
        if (pod_manifest_available(p)) {
                r = pod_read_manifest(p, &m, reterr);
                if (r < 0)
                        return r;
                pod_apps_json(p, m, o);
        }
        json_object_set_new(o, "created_at", json_integer(created / NSEC_PER_SEC));
        if (started)
                json_object_set_new(o, "started_at", json_integer(started / NSEC_PER_SEC));
        if (m) {
                cli_json_set_labels(o, "user_annotations", &m->user_annotations);
                cli_json_set_labels(o, "user_labels", &m->user_labels);
        }
        *ret = TAKE_PTR(o);
        return 0;
}
