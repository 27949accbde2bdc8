/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing, validation and Go-shaped output of the appc app section (types.App) and its
 * parts: event handlers, environment, mount points, ports.
 */
#include "app.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "json-field.h"
#include "macro.h"
#include "strv.h"

/* Event handler i (name as given): pre-start or post-stop, not among the n before it. */
static int event_handler_check(const struct ac_app *a, size_t n, const char *name, const char *path,
                               struct rk_error **reterr)
{
        if (!name || (strcmp(name, "pre-start") != 0 && strcmp(name, "post-stop") != 0))
                return field_error(reterr, path,
                                   "bad eventHandler name \"%s\" (must be "
                                   "pre-start or post-stop)",
                                   name ?: "");
        for (size_t i = 0; i < n; i++)
                if (strcmp(a->event_handlers[i].name, name) == 0)
                        return field_error(reterr, path,
                                           "only one eventHandler of name \"%s\" "
                                           "allowed",
                                           name);
        return 0;
}

static int event_handler_parse(const json_t *v, const char *path, void *data,
                               struct rk_error **reterr)
{
        struct ac_app *a = data;
        struct ac_event_handler *h;
        const char *name;
        int r = jf_string(v, "name", path, &name, reterr);

        if (r < 0)
                return r;
        r = event_handler_check(a, a->n_event_handlers, name, path, reterr);
        if (r < 0)
                return r;
        a->event_handlers =
                oom_check(reallocarray(a->event_handlers, a->n_event_handlers + 1, sizeof(*h)));
        h = &a->event_handlers[a->n_event_handlers++];
        *h = (struct ac_event_handler){.name = xstrdup(name)};
        return jf_strv(v, "exec", path, &h->exec, reterr);
}

/* A mount point: ACName name, absolute path, a name not among the n before it. */
static int mount_point_check(const struct ac_app *a, size_t n, const char *name, const char *mpath,
                             const char *path, struct rk_error **reterr)
{
        if (!ac_name_is_valid(name))
                return field_error(reterr, path, "name \"%s\" is not a valid AC name", name ?: "");
        if (!mpath || mpath[0] != '/')
                return field_error(reterr, path, "path \"%s\" is not an absolute path",
                                   mpath ?: "");
        for (size_t i = 0; i < n; i++)
                if (strcmp(a->mount_points[i].name, name) == 0)
                        return field_error(reterr, path, "duplicate mount point \"%s\"", name);
        return 0;
}

static int mount_point_parse(const json_t *v, const char *path, void *data,
                             struct rk_error **reterr)
{
        struct ac_app *a = data;
        const char *name, *mpath;
        bool ro;
        int r;

        if ((r = jf_string(v, "name", path, &name, reterr)) < 0 ||
            (r = jf_string(v, "path", path, &mpath, reterr)) < 0 ||
            (r = jf_bool(v, "readOnly", path, &ro, reterr)) < 0 ||
            (r = mount_point_check(a, a->n_mount_points, name, mpath, path, reterr)) < 0)
                return r;
        a->mount_points = oom_check(reallocarray(a->mount_points, a->n_mount_points + 1,
                                                 sizeof(struct ac_mount_point)));
        a->mount_points[a->n_mount_points++] =
                (struct ac_mount_point){xstrdup(name), xstrdup(mpath), ro};
        return 0;
}

int ac_port_validate(const struct ac_port *p, const char *path, struct rk_error **reterr)
{
        if (!ac_name_is_valid(p->name))
                return field_error(reterr, path, "name \"%s\" is not a valid AC name",
                                   p->name ?: "");
        if (!p->protocol || (strcmp(p->protocol, "tcp") != 0 && strcmp(p->protocol, "udp") != 0))
                return field_error(reterr, path, "protocol \"%s\" is not tcp or udp",
                                   p->protocol ?: "");
        if (p->port < 1 || p->port > 65535)
                return field_error(reterr, path, "port must be in 1-65535 range");
        if ((uint64_t)p->port + p->count > 65536)
                return field_error(reterr, path, "end of port range must be in 1-65535 range");
        return 0;
}

int ac_port_parse(const json_t *v, const char *path, struct ac_port *ret, struct rk_error **reterr)
{
        _cleanup_(ac_port_done) struct ac_port p = {};
        const char *name, *proto;
        int64_t port, count;
        bool sa;
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        if ((r = jf_string(v, "name", path, &name, reterr)) < 0 ||
            (r = jf_string(v, "protocol", path, &proto, reterr)) < 0 ||
            (r = jf_int(v, "port", path, 0, UINT32_MAX, &port, reterr)) < 0 ||
            (r = jf_int(v, "count", path, 0, UINT32_MAX, &count, reterr)) < 0 ||
            (r = jf_bool(v, "socketActivated", path, &sa, reterr)) < 0)
                return r;
        p = (struct ac_port){xstrdup(name), xstrdup(proto), (unsigned)port, (unsigned)count, sa};
        r = ac_port_validate(&p, path, reterr);
        if (r < 0)
                return r;
        if (p.count == 0)
                p.count = 1;
        *ret = p;
        p = (struct ac_port){};
        return 0;
}

void ac_port_done(struct ac_port *p)
{
        free(p->name);
        free(p->protocol);
        *p = (struct ac_port){};
}

/* Port i's name is not among the n before it. */
static int app_port_check_unique(const struct ac_app *a, size_t n, const char *name,
                                 const char *path, struct rk_error **reterr)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(a->ports[i].name, name) == 0)
                        return field_error(reterr, path, "duplicate port name \"%s\"", name);
        return 0;
}

static int app_port_parse(const json_t *v, const char *path, void *data, struct rk_error **reterr)
{
        struct ac_app *a = data;
        struct ac_port p;
        int r = ac_port_parse(v, path, &p, reterr);

        if (r < 0)
                return r;
        r = app_port_check_unique(a, a->n_ports, p.name, path, reterr);
        if (r < 0) {
                ac_port_done(&p);
                return r;
        }
        a->ports = oom_check(reallocarray(a->ports, a->n_ports + 1, sizeof(struct ac_port)));
        a->ports[a->n_ports++] = p;
        return 0;
}

static int gids_parse(const json_t *v, const char *path, struct ac_app *a, struct rk_error **reterr)
{
        _cleanup_free_ char *p = field_join(path, "supplementaryGIDs");
        json_t *arr, *g;
        size_t i;
        int r = jf_array(v, "supplementaryGIDs", path, &arr, reterr);

        if (r <= 0)
                return r;
        a->supplementary_gids = xnew0(int, json_array_size(arr) + 1);
        json_array_foreach(arr, i, g) {
                if (!json_is_integer(g) || json_integer_value(g) < 0 ||
                    json_integer_value(g) > INT32_MAX) {
                        _cleanup_free_ char *pi = field_index(p, i);
                        return field_error(reterr, pi, "expected a group ID");
                }
                a->supplementary_gids[a->n_supplementary_gids++] = (int)json_integer_value(g);
        }
        return 1;
}

static int environment_validate(const struct ac_labels *env, const char *path,
                                struct rk_error **reterr)
{
        for (size_t i = 0; i < env->n; i++) {
                const char *name = env->items[i].name;
                _cleanup_free_ char *p = field_index(path, i);

                if (!*name || strchr(name, '='))
                        return field_error(reterr, p, "invalid environment variable name \"%s\"",
                                           name);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(env->items[j].name, name) == 0)
                                return field_error(reterr, p,
                                                   "duplicate environment variable "
                                                   "of name \"%s\"",
                                                   name);
        }
        return 0;
}

/* exec[0] absolute, user and group set, workingDirectory absolute. */
static int app_check_basics(const struct ac_app *a, const char *path, struct rk_error **reterr)
{
        _cleanup_free_ char *pexec = field_join(path, "exec[0]");
        const char *wd = a->working_directory;

        if (a->exec && a->exec[0] && a->exec[0][0] != '/')
                return field_error(reterr, pexec, "\"%s\" is not an absolute path", a->exec[0]);
        if (!a->user || !*a->user)
                return field_error(reterr, path, "user is required");
        if (!a->group || !*a->group)
                return field_error(reterr, path, "group is required");
        if (wd && *wd && wd[0] != '/')
                return field_error(reterr, path,
                                   "workingDirectory \"%s\" must be an absolute "
                                   "path",
                                   wd);
        return 0;
}

/* exec, user, group, workingDirectory, with their checks. */
static int app_parse_basics(const json_t *v, const char *path, struct ac_app *a,
                            struct rk_error **reterr)
{
        const char *user, *group, *wd;
        int r;

        if ((r = jf_strv(v, "exec", path, &a->exec, reterr)) < 0 ||
            (r = jf_string(v, "user", path, &user, reterr)) < 0 ||
            (r = jf_string(v, "group", path, &group, reterr)) < 0 ||
            (r = jf_string(v, "workingDirectory", path, &wd, reterr)) < 0)
                return r;
        a->user = xstrdup(user);
        a->group = xstrdup(group);
        a->working_directory = wd && *wd ? xstrdup(wd) : NULL;
        return app_check_basics(a, path, reterr);
}

/* environment, supplementaryGIDs, userAnnotations, userLabels. */
static int app_parse_lists(const json_t *v, const char *path, struct ac_app *a,
                           struct rk_error **reterr)
{
        _cleanup_free_ char *penv = field_join(path, "environment");
        int r;

        if ((r = jf_pairs(v, "environment", path, NULL, &a->environment, reterr)) < 0 ||
            (r = environment_validate(&a->environment, penv, reterr)) < 0 ||
            (r = gids_parse(v, path, a, reterr)) < 0 ||
            (r = jf_string_map(v, "userAnnotations", path, &a->user_annotations, reterr)) < 0 ||
            (r = jf_string_map(v, "userLabels", path, &a->user_labels, reterr)) < 0)
                return r;
        return 0;
}

int ac_app_parse(const json_t *v, const char *path, struct ac_app **ret, struct rk_error **reterr)
{
        _cleanup_(ac_app_freep) struct ac_app *a = xnew0(struct ac_app, 1);
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        if ((r = app_parse_basics(v, path, a, reterr)) < 0 ||
            (r = app_parse_lists(v, path, a, reterr)) < 0 ||
            (r = jf_foreach_object(v, "eventHandlers", path, event_handler_parse, a, reterr)) < 0 ||
            (r = jf_foreach_object(v, "mountPoints", path, mount_point_parse, a, reterr)) < 0 ||
            (r = jf_foreach_object(v, "ports", path, app_port_parse, a, reterr)) < 0 ||
            (r = ac_isolators_parse(v, "isolators", path, &a->isolators, &a->n_isolators, reterr)) <
                    0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

struct ac_app *ac_app_free(struct ac_app *a)
{
        if (!a)
                return NULL;
        strv_free(a->exec);
        for (size_t i = 0; i < a->n_event_handlers; i++) {
                free(a->event_handlers[i].name);
                strv_free(a->event_handlers[i].exec);
        }
        free(a->event_handlers);
        free(a->user);
        free(a->group);
        free(a->supplementary_gids);
        free(a->working_directory);
        ac_labels_done(&a->environment);
        for (size_t i = 0; i < a->n_mount_points; i++) {
                free(a->mount_points[i].name);
                free(a->mount_points[i].path);
        }
        free(a->mount_points);
        for (size_t i = 0; i < a->n_ports; i++)
                ac_port_done(&a->ports[i]);
        free(a->ports);
        ac_isolators_free(a->isolators, a->n_isolators);
        ac_labels_done(&a->user_annotations);
        ac_labels_done(&a->user_labels);
        free(a);
        return NULL;
}

json_t *ac_port_to_json(const struct ac_port *p)
{
        json_t *o = oom_check(json_object());

        jset(o, "name", jstr(p->name));
        jset(o, "protocol", jstr(p->protocol));
        jset(o, "port", oom_check(json_integer(p->port)));
        jset(o, "count", oom_check(json_integer(p->count)));
        jset(o, "socketActivated", json_boolean(p->socket_activated));
        return o;
}

static json_t *event_handlers_to_json(const struct ac_app *a)
{
        json_t *arr = oom_check(json_array());

        for (size_t i = 0; i < a->n_event_handlers; i++) {
                json_t *o = oom_check(json_object());

                jset(o, "name", jstr(a->event_handlers[i].name));
                jset(o, "exec", jstrv(a->event_handlers[i].exec));
                json_array_append_new(arr, o);
        }
        return arr;
}

static json_t *mount_points_to_json(const struct ac_app *a)
{
        json_t *arr = oom_check(json_array());

        for (size_t i = 0; i < a->n_mount_points; i++) {
                json_t *o = oom_check(json_object());

                jset(o, "name", jstr(a->mount_points[i].name));
                jset(o, "path", jstr(a->mount_points[i].path));
                if (a->mount_points[i].read_only)
                        jset(o, "readOnly", json_true());
                json_array_append_new(arr, o);
        }
        return arr;
}

static json_t *gids_to_json(const struct ac_app *a)
{
        json_t *arr = oom_check(json_array());

        for (size_t i = 0; i < a->n_supplementary_gids; i++)
                json_array_append_new(arr, oom_check(json_integer(a->supplementary_gids[i])));
        return arr;
}

static json_t *ports_to_json(const struct ac_app *a)
{
        json_t *arr = oom_check(json_array());

        for (size_t i = 0; i < a->n_ports; i++)
                json_array_append_new(arr, ac_port_to_json(&a->ports[i]));
        return arr;
}

json_t *ac_app_to_json(const struct ac_app *a)
{
        json_t *o = oom_check(json_object());

        jset(o, "exec", jstrv(a->exec));
        if (a->n_event_handlers)
                jset(o, "eventHandlers", event_handlers_to_json(a));
        jset(o, "user", jstr(a->user));
        jset(o, "group", jstr(a->group));
        if (a->n_supplementary_gids)
                jset(o, "supplementaryGIDs", gids_to_json(a));
        if (a->working_directory && *a->working_directory)
                jset(o, "workingDirectory", jstr(a->working_directory));
        if (a->environment.n)
                jset(o, "environment", jpairs(&a->environment));
        if (a->n_mount_points)
                jset(o, "mountPoints", mount_points_to_json(a));
        if (a->n_ports)
                jset(o, "ports", ports_to_json(a));
        if (a->n_isolators)
                jset(o, "isolators", ac_isolators_to_json(a->isolators, a->n_isolators));
        if (a->user_annotations.n)
                jset(o, "userAnnotations", jstring_map(&a->user_annotations));
        if (a->user_labels.n)
                jset(o, "userLabels", jstring_map(&a->user_labels));
        return o;
}

static int gids_validate(const struct ac_app *a, const char *path, struct rk_error **reterr)
{
        _cleanup_free_ char *p = field_join(path, "supplementaryGIDs");

        for (size_t i = 0; i < a->n_supplementary_gids; i++)
                if (a->supplementary_gids[i] < 0) {
                        _cleanup_free_ char *pi = field_index(p, i);
                        return field_error(reterr, pi, "expected a group ID");
                }
        return 0;
}

/* Event handlers, mount points and ports, each checked against the ones before it. */
static int app_lists_validate(const struct ac_app *a, const char *path, struct rk_error **reterr)
{
        _cleanup_free_ char *peh = field_join(path, "eventHandlers");
        _cleanup_free_ char *pmp = field_join(path, "mountPoints");
        _cleanup_free_ char *pp = field_join(path, "ports");
        int r = 0;

        for (size_t i = 0; r >= 0 && i < a->n_event_handlers; i++) {
                _cleanup_free_ char *p = field_index(peh, i);
                r = event_handler_check(a, i, a->event_handlers[i].name, p, reterr);
        }
        for (size_t i = 0; r >= 0 && i < a->n_mount_points; i++) {
                _cleanup_free_ char *p = field_index(pmp, i);
                r = mount_point_check(a, i, a->mount_points[i].name, a->mount_points[i].path, p,
                                      reterr);
        }
        for (size_t i = 0; r >= 0 && i < a->n_ports; i++) {
                _cleanup_free_ char *p = field_index(pp, i);
                r = ac_port_validate(&a->ports[i], p, reterr);
                if (r >= 0)
                        r = app_port_check_unique(a, i, a->ports[i].name, p, reterr);
        }
        return r;
}

int ac_app_validate(const struct ac_app *a, const char *path, struct rk_error **reterr)
{
        _cleanup_free_ char *penv = field_join(path, "environment");
        _cleanup_free_ char *piso = field_join(path, "isolators");
        int r;

        if ((r = app_check_basics(a, path, reterr)) < 0 ||
            (r = environment_validate(&a->environment, penv, reterr)) < 0 ||
            (r = gids_validate(a, path, reterr)) < 0 ||
            (r = app_lists_validate(a, path, reterr)) < 0)
                return r;
        return ac_isolators_validate(a->isolators, a->n_isolators, piso, reterr);
}

static struct ac_event_handler *event_handlers_copy(const struct ac_app *a)
{
        struct ac_event_handler *c = xnew0(struct ac_event_handler, a->n_event_handlers + 1);

        for (size_t i = 0; i < a->n_event_handlers; i++)
                c[i] = (struct ac_event_handler){
                        xstrdup(a->event_handlers[i].name),
                        a->event_handlers[i].exec ? strv_copy(a->event_handlers[i].exec) : NULL};
        return c;
}

static struct ac_mount_point *mount_points_copy(const struct ac_app *a)
{
        struct ac_mount_point *c = xnew0(struct ac_mount_point, a->n_mount_points + 1);

        for (size_t i = 0; i < a->n_mount_points; i++)
                c[i] = (struct ac_mount_point){xstrdup(a->mount_points[i].name),
                                               xstrdup(a->mount_points[i].path),
                                               a->mount_points[i].read_only};
        return c;
}

static struct ac_port *ports_copy(const struct ac_app *a)
{
        struct ac_port *c = xnew0(struct ac_port, a->n_ports + 1);

        for (size_t i = 0; i < a->n_ports; i++) {
                c[i] = a->ports[i];
                c[i].name = xstrdup(a->ports[i].name);
                c[i].protocol = xstrdup(a->ports[i].protocol);
        }
        return c;
}

struct ac_app *ac_app_copy(const struct ac_app *a)
{
        struct ac_app *c = xnew0(struct ac_app, 1);

        c->exec = a->exec ? strv_copy(a->exec) : NULL;
        c->event_handlers = event_handlers_copy(a);
        c->n_event_handlers = a->n_event_handlers;
        c->user = xstrdup(a->user);
        c->group = xstrdup(a->group);
        c->supplementary_gids = xnew0(int, a->n_supplementary_gids + 1);
        if (a->n_supplementary_gids)
                memcpy(c->supplementary_gids, a->supplementary_gids,
                       a->n_supplementary_gids * sizeof(int));
        c->n_supplementary_gids = a->n_supplementary_gids;
        c->working_directory = xstrdup(a->working_directory);
        ac_labels_copy(&c->environment, &a->environment);
        c->mount_points = mount_points_copy(a);
        c->n_mount_points = a->n_mount_points;
        c->ports = ports_copy(a);
        c->n_ports = a->n_ports;
        c->isolators = ac_isolators_copy(a->isolators, a->n_isolators);
        c->n_isolators = a->n_isolators;
        ac_labels_copy(&c->user_annotations, &a->user_annotations);
        ac_labels_copy(&c->user_labels, &a->user_labels);
        return c;
}
