/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod manifest of run/prepare (SPEC.md §4.6): each app is its image's app section with
 * the command-line overrides of §4.2 applied, its environment merged as §4.4 says, its
 * mounts as §4.3; the pod gets the --volume volumes. The result is validated by parsing it.
 */
#include "pod-manifest.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fs-util.h"
#include "hashset.h"
#include "image-manifest.h"
#include "isolators.h"
#include "json-util.h"
#include "parse-util.h"
#include "seccomp-set.h"
#include "stage0.h"
#include "strv.h"

/* The default app name: the last "/" element of the image name, sanitized to an ACName. */
static char *app_name_default(const char *image_name)
{
        const char *base = strrchr(image_name, '/') ? strrchr(image_name, '/') + 1 : image_name;
        char *n = xstrdup(base), *start = n;
        size_t len;

        for (char *c = n; *c; c++) {
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
                        *c = '-';
        }
        while (*start == '-')
                start++;
        len = strlen(start);
        while (len > 0 && start[len - 1] == '-')
                start[--len] = '\0';
        memmove(n, start, len + 1);
        return n;
}

/* Adds NAME=VALUE lines of an env file (SPEC.md §4.4) to env; names may not repeat. */
static int env_file_load(const char *path, struct ac_labels *env, struct hashset *seen,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *raw = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        int r = read_file_at(AT_FDCWD, path, 1 << 20, &raw, NULL);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read environment file %s", path);
        lines = strv_split(raw, '\n');
        STRV_FOREACH(l, lines) {
                char *eq = strchr(*l, '=');

                if (!**l || **l == '#' || **l == ';')
                        continue;
                if (!eq || eq == *l)
                        return rk_error_set(reterr, EINVAL,
                                            "environment variable must be specified "
                                            "as name=value (file \"%s\")",
                                            path);
                *eq = '\0';
                if (hashset_put(seen, *l, 0) == 0)
                        return rk_error_set(reterr, EINVAL,
                                            "environment variable \"%s\" already "
                                            "set (file \"%s\")",
                                            *l, path);
                ac_labels_set(env, *l, eq + 1);
        }
        return 0;
}

/* The pod-wide environment: --set-env-file files, then --set-env (SPEC.md §4.4). */
static int pod_env(const struct pod_settings *ps, struct ac_labels *ret, struct rk_error **reterr)
{
        struct hashset seen = HASHSET_INIT, keys = HASHSET_INIT;
        int r = 0;

        STRV_FOREACH(f, ps->set_env_file)
                if (r >= 0)
                        r = env_file_load(*f, ret, &seen, reterr);
        STRV_FOREACH(kv, ps->set_env) {
                _cleanup_free_ char *k = NULL;
                const char *eq = strchr(*kv, '=');

                if (r < 0)
                        break;
                if (!eq || eq == *kv) {
                        r = rk_error_set(reterr, EINVAL, "\"%s\" must be specified as key=value",
                                         *kv);
                        break;
                }
                k = oom_check(strndup(*kv, (size_t)(eq - *kv)));
                if (hashset_put(&keys, k, 0) == 0)
                        r = rk_error_set(reterr, EINVAL, "key \"%s\" already set", k);
                else
                        ac_labels_set(ret, k, eq + 1);
        }
        hashset_done(&seen);
        hashset_done(&keys);
        return r;
}

static json_t *labels_to_pairs(const struct ac_labels *l)
{
        json_t *a = json_array();

        for (size_t i = 0; i < l->n; i++)
                json_array_append_new(a, json_pack("{s:s,s:s}", "name", l->items[i].name, "value",
                                                   l->items[i].value));
        return a;
}

/* app.environment: inherit-env (unset names only) < image < pod env < --environment. */
static void app_set_env(json_t *app, const struct ac_labels *pod, const struct app_spec *spec,
                        bool inherit)
{
        struct ac_labels env = {0};
        json_t *image_env = json_object_get(app, "environment"), *e;
        size_t i;

        json_array_foreach(image_env, i, e)
                ac_labels_set(&env, json_string_value(json_object_get(e, "name")),
                              json_string_value(json_object_get(e, "value")));
        for (char **ev = inherit ? environ : NULL; ev && *ev; ev++) {
                char *eq = strchr(*ev, '=');
                _cleanup_free_ char *k = eq ? oom_check(strndup(*ev, (size_t)(eq - *ev))) : NULL;

                if (k && *k && !ac_labels_get(&env, k))
                        ac_labels_set(&env, k, eq + 1);
        }
        for (i = 0; i < pod->n; i++)
                ac_labels_set(&env, pod->items[i].name, pod->items[i].value);
        for (i = 0; i < spec->environment.n; i++)
                ac_labels_set(&env, spec->environment.items[i].name,
                              spec->environment.items[i].value);
        if (env.n > 0)
                json_object_set_new(app, "environment", labels_to_pairs(&env));
        ac_labels_done(&env);
}

/* Removes the isolators called name (or, with prefix, starting with name). */
static void isolators_remove(json_t *isolators, const char *name, bool prefix)
{
        for (size_t i = json_array_size(isolators); i-- > 0;) {
                const char *n =
                        json_string_value(json_object_get(json_array_get(isolators, i), "name"));

                if (n && (prefix ? strncmp(n, name, strlen(name)) == 0 : strcmp(n, name) == 0))
                        json_array_remove(isolators, i);
        }
}

/* A resource isolator as appc's constructors marshal it: request = limit, "default" false. */
static json_t *resource_isolator(const char *name, const char *quantity)
{
        return oom_check(json_pack("{s:s,s:{s:b,s:s,s:s}}", "name", name, "value", "default", 0,
                                   "request", quantity, "limit", quantity));
}

static int app_set_resources(json_t *iso, const struct app_spec *spec, struct rk_error **reterr)
{
        struct ac_quantity q = {0};
        int r;

        if (spec->memory) {
                r = ac_quantity_parse(spec->memory, &q, reterr);
                if (r < 0)
                        return r;
                free(q.text);
                if (q.value < 4096)
                        return rk_error_set(reterr, EINVAL,
                                            "memory limit of %lld bytes too low. "
                                            "Try a reasonable value, such as --memory=16M",
                                            (long long)q.value);
                json_array_append_new(iso, resource_isolator("resource/memory", spec->memory));
        }
        if (spec->cpu) {
                r = ac_quantity_parse(spec->cpu, &q, reterr);
                if (r < 0)
                        return r;
                free(q.text);
                json_array_append_new(iso, resource_isolator("resource/cpu", spec->cpu));
        }
        return 0;
}

/* Replaces the isolator name with an integer one parsed from text within [min, max]. */
static int app_set_int_isolator(json_t *iso, const char *name, const char *flag, const char *text,
                                long long min, long long max, struct rk_error **reterr)
{
        char *end;
        long long v;

        if (!text)
                return 0;
        errno = 0;
        v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < min || v > max)
                return rk_error_set(reterr, EINVAL, "--%s must be an integer between %lld and %lld",
                                    flag, min, max);
        isolators_remove(iso, name, false);
        json_array_append_new(iso, json_pack("{s:s,s:I}", "name", name, "value", (json_int_t)v));
        return 0;
}

static int app_set_caps(json_t *iso, const struct app_spec *spec, struct rk_error **reterr)
{
        char **set = spec->caps_retain ? spec->caps_retain : spec->caps_remove;
        json_t *names;

        if (spec->caps_retain && spec->caps_remove)
                return rk_error_set(reterr, EINVAL,
                                    "error: cannot use both --caps-retain and "
                                    "--caps-remove on the same image");
        if (!set)
                return 0;
        isolators_remove(iso, "os/linux/capabilities-", true);
        names = json_array();
        STRV_FOREACH(c, set)
                json_array_append_new(names, json_string(*c));
        json_array_append_new(iso, json_pack("{s:s,s:{s:o}}", "name",
                                             spec->caps_retain ? "os/linux/capabilities-retain-set"
                                                               : "os/linux/capabilities-remove-set",
                                             "value", "set", names));
        return 0;
}

/*
 * --seccomp=mode=retain|remove[,errno=ENAME],ITEM,... as rkt reads it: each comma-separated
 * piece with exactly one "=" is a key (mode, errno; any other key is an error), the rest are
 * the set's items. The result replaces the image's seccomp isolators; the names are checked
 * here, before a pod exists, by the same code the stage1 compiles them with.
 */
struct seccomp_override {
        bool retain;
        char *errno_name; /* NULL when absent or empty */
        char **items;
};

static void seccomp_override_done(struct seccomp_override *o)
{
        free(o->errno_name);
        strv_free(o->items);
        *o = (struct seccomp_override){0};
}

static int seccomp_override_parse(const char *text, struct seccomp_override *ret,
                                  struct rk_error **reterr)
{
        _cleanup_strv_free_ char **pieces = strv_split(text, ',');
        const char *mode = NULL;
        bool bad_mode = false;

        STRV_FOREACH(p, pieces) {
                char *eq = strchr(*p, '=');

                if (!eq || strchr(eq + 1, '=')) {
                        strv_push(&ret->items, *p);
                        continue;
                }
                *eq = '\0';
                if (strcmp(*p, "mode") == 0) {
                        mode = eq + 1;
                        bad_mode |= strcmp(mode, "remove") != 0 && strcmp(mode, "retain") != 0;
                } else if (strcmp(*p, "errno") == 0) {
                        free(ret->errno_name);
                        ret->errno_name = eq[1] ? xstrdup(eq + 1) : NULL;
                } else
                        return rk_error_set(reterr, EINVAL,
                                            "invalid seccomp command-line override");
        }
        if (bad_mode || !mode)
                return rk_error_set(reterr, EINVAL, "invalid seccomp mode command-line override");
        ret->retain = strcmp(mode, "retain") == 0;
        return 0;
}

static int app_set_seccomp(json_t *iso, const char *text, struct rk_error **reterr)
{
        struct seccomp_override o = {0};
        struct seccomp_set checked = {0};
        json_t *set;
        int r;

        if (!text)
                return 0;
        r = seccomp_override_parse(text, &o, reterr);
        if (r >= 0)
                r = seccomp_set_from_items(o.retain, o.items, o.errno_name, &checked, reterr);
        if (r >= 0) {
                isolators_remove(iso, "os/linux/seccomp-", true);
                set = json_array();
                STRV_FOREACH(c, o.items)
                        json_array_append_new(set, json_string(*c));
                json_array_append_new(iso, json_pack("{s:s,s:{s:o,s:s}}", "name",
                                                     o.retain ? "os/linux/seccomp-retain-set"
                                                              : "os/linux/seccomp-remove-set",
                                                     "value", "set", set, "errno",
                                                     o.errno_name ? o.errno_name : ""));
        }
        seccomp_set_done(&checked);
        seccomp_override_done(&o);
        return r;
}

static int app_set_isolators(json_t *app, const struct app_spec *spec, struct rk_error **reterr)
{
        json_t *iso = json_object_get(app, "isolators");
        int r;

        if (!iso) {
                iso = json_array();
                json_object_set_new(app, "isolators", iso);
        }
        r = app_set_resources(iso, spec, reterr);
        if (r >= 0)
                r = app_set_int_isolator(iso, "os/linux/cpu-shares", "cpu-shares", spec->cpu_shares,
                                         2, 262144, reterr);
        if (r >= 0)
                r = app_set_int_isolator(iso, "os/linux/oom-score-adj", "oom-score-adj",
                                         spec->oom_score_adj, -1000, 1000, reterr);
        if (r >= 0)
                r = app_set_caps(iso, spec, reterr);
        if (r >= 0)
                r = app_set_seccomp(iso, spec->seccomp, reterr);
        if (r >= 0 && json_array_size(iso) == 0)
                json_object_del(app, "isolators");
        return r;
}

static json_t *labels_to_map(const struct ac_labels *l)
{
        json_t *o = json_object();

        for (size_t i = 0; i < l->n; i++)
                json_object_set_new(o, l->items[i].name, json_string(l->items[i].value));
        return o;
}

/* The image's app section (a copy), or one made from --exec when the image has none. */
static int app_base(const struct stage0_app *a, json_t **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *text = image_manifest_to_json(a->manifest, false);
        json_t *m = json_loads(text, 0, NULL), *app = json_object_get(m, "app");
        char uid[16], gid[16];

        if (app) {
                *ret = json_incref(app);
                json_decref(m);
                return 0;
        }
        json_decref(m);
        if (!a->spec->exec)
                return rk_error_set(reterr, EINVAL,
                                    "error: image %s has no app section and "
                                    "--exec argument is not provided",
                                    a->key);
        snprintf(uid, sizeof(uid), "%u", getuid());
        snprintf(gid, sizeof(gid), "%u", getgid());
        *ret = json_pack("{s:[],s:s,s:s}", "exec", "user", uid, "group", gid);
        return 0;
}

/*
 * For an image converted from Docker, arguments replace Cmd and keep Entrypoint, as
 * `docker run IMAGE ARGS` does (DOCKER.md §1.6): the exec restarts from the Entrypoint
 * recorded by the conversion (the program path as resolved in the exec). Only images
 * with the entrypoint or cmd annotations of our conversion: others keep rkt's rule.
 */
static void app_docker_args(json_t *app, const struct stage0_app *a)
{
        const char *ep = image_manifest_get_annotation(a->manifest, "appc.io/docker/entrypoint");
        json_t *exec = json_object_get(app, "exec");
        _cleanup_json_ json_t *entry = ep ? json_loads(ep, 0, NULL) : json_array();
        size_t n = json_array_size(entry);

        if (a->spec->exec || !a->spec->has_args || !json_is_array(entry) || !json_is_array(exec) ||
            !(ep || image_manifest_get_annotation(a->manifest, "appc.io/docker/cmd")) ||
            json_array_size(exec) < n)
                return;
        while (json_array_size(exec) > n)
                json_array_remove(exec, n);
}

/* exec, arguments, user, group, working directory, supplementary gids, user maps. */
static void app_set_simple(json_t *app, const struct app_spec *spec)
{
        json_t *exec = json_object_get(app, "exec");

        if (spec->exec) {
                exec = json_array();
                json_array_append_new(exec, json_string(spec->exec));
                json_object_set_new(app, "exec", exec);
        }
        if (!exec) {
                exec = json_array();
                json_object_set_new(app, "exec", exec);
        }
        STRV_FOREACH(w, spec->args)
                json_array_append_new(exec, json_string(*w));
        if (spec->user)
                json_object_set_new(app, "user", json_string(spec->user));
        if (spec->group)
                json_object_set_new(app, "group", json_string(spec->group));
        if (spec->working_dir)
                json_object_set_new(app, "workingDirectory", json_string(spec->working_dir));
        if (spec->supp_gids) {
                json_t *gids = json_array();
                STRV_FOREACH(g, spec->supp_gids)
                        json_array_append_new(gids, json_integer(strtoll(*g, NULL, 10)));
                json_object_set_new(app, "supplementaryGIDs", gids);
        }
        if (spec->user_annotations.n > 0)
                json_object_set_new(app, "userAnnotations", labels_to_map(&spec->user_annotations));
        if (spec->user_labels.n > 0)
                json_object_set_new(app, "userLabels", labels_to_map(&spec->user_labels));
}

/* The app's mounts: its own, then the pod-wide ones, first target wins (SPEC.md §4.3). */
static json_t *app_mounts(const struct app_spec *spec, const struct app_list *list)
{
        json_t *mounts = json_array();
        struct hashset seen = HASHSET_INIT;
        const struct app_mount *lists[] = {spec->mounts, list->pod_mounts};
        size_t counts[] = {spec->n_mounts, list->n_pod_mounts};

        for (size_t l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++) {
                        const struct app_mount *m = &lists[l][i];
                        _cleanup_free_ char *target = m->target[0] == '/'
                                                              ? xstrdup(m->target)
                                                              : xasprintf("/%s", m->target);

                        if (hashset_put(&seen, target, 0) == 0)
                                continue;
                        json_array_append_new(mounts, json_pack("{s:s,s:s}", "volume", m->volume,
                                                                "path", target));
                }
        hashset_done(&seen);
        return mounts;
}

static int check_os_arch(const struct stage0_app *a, struct rk_error **reterr)
{
        const char *os = ac_labels_get(&a->manifest->labels, "os");
        const char *arch = ac_labels_get(&a->manifest->labels, "arch");

        if (!os)
                return rk_error_set(reterr, EINVAL, "missing os label in the image manifest");
        if (!arch)
                return rk_error_set(reterr, EINVAL, "missing arch label in the image manifest");
        if (strcmp(os, "linux") != 0)
                return rk_error_set(reterr, EINVAL, "bad os \"%s\" (must be one of: [linux])", os);
        return ac_os_arch_validate(os, arch, reterr);
}

static int app_entry(const struct stage0_app *a, const struct app_list *l,
                     const struct ac_labels *env, const struct pod_settings *ps, json_t **ret,
                     struct rk_error **reterr)
{
        const struct app_spec *spec = a->spec;
        json_t *app = NULL, *entry, *mounts;
        int r;

        r = check_os_arch(a, reterr);
        if (r >= 0)
                r = app_base(a, &app, reterr);
        if (r < 0)
                return r;
        app_docker_args(app, a);
        app_set_simple(app, spec);
        app_set_env(app, env, spec, ps->inherit_env);
        r = app_set_isolators(app, spec, reterr);
        if (r < 0) {
                json_decref(app);
                return r;
        }
        entry = json_pack("{s:s,s:{s:s,s:s,s:o},s:o}", "name", a->name, "image", "name",
                          a->manifest->name, "id", a->key, "labels",
                          labels_to_pairs(&a->manifest->labels), "app", app);
        if (spec->readonly_rootfs > 0)
                json_object_set_new(entry, "readOnlyRootFS", json_true());
        mounts = app_mounts(spec, l);
        if (json_array_size(mounts) > 0)
                json_object_set(entry, "mounts", mounts);
        json_decref(mounts);
        if (spec->annotations.n > 0)
                json_object_set_new(entry, "annotations", labels_to_pairs(&spec->annotations));
        *ret = entry;
        return 0;
}

/* Checks and converts one --volume value's key=value (SPEC.md §4.3) into v. */
static int volume_set(json_t *v, const char *key, const char *value, struct rk_error **reterr)
{
        bool b;

        if (strcmp(key, "kind") == 0 || strcmp(key, "source") == 0 || strcmp(key, "mode") == 0 ||
            strcmp(key, "name") == 0)
                json_object_set_new(v, key, json_string(value));
        else if (strcmp(key, "readOnly") == 0 || strcmp(key, "recursive") == 0) {
                if (parse_bool_go(value, &b) < 0)
                        return rk_error_set(reterr, EINVAL, "invalid boolean \"%s\" for %s", value,
                                            key);
                json_object_set_new(v, key, json_boolean(b));
        } else if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
                char *end;
                long n = strtol(value, &end, 10);
                if (!*value || *end || n < 0)
                        return rk_error_set(reterr, EINVAL, "invalid %s \"%s\"", key, value);
                json_object_set_new(v, key, json_integer(n));
        } else
                return rk_error_set(reterr, EINVAL, "unknown volume parameter \"%s\"", key);
        return 0;
}

static int volume_check(json_t *v, struct rk_error **reterr)
{
        const char *kind = json_string_value(json_object_get(v, "kind"));
        const char *source = json_string_value(json_object_get(v, "source"));

        if (!kind || (strcmp(kind, "host") != 0 && strcmp(kind, "empty") != 0))
                return rk_error_set(reterr, EINVAL,
                                    "unrecognized volume kind: should be one of "
                                    "\"empty\", \"host\"");
        if (strcmp(kind, "host") == 0) {
                if (!source || source[0] != '/')
                        return rk_error_set(reterr, EINVAL,
                                            "source for host volume must be "
                                            "absolute path");
                if (json_object_get(v, "mode") || json_object_get(v, "uid") ||
                    json_object_get(v, "gid"))
                        return rk_error_set(reterr, EINVAL,
                                            "mode, uid and gid are only valid "
                                            "for empty volumes");
                return 0;
        }
        if (source)
                return rk_error_set(reterr, EINVAL, "source is not valid for empty volumes");
        if (!json_object_get(v, "mode"))
                json_object_set_new(v, "mode", json_string("0755"));
        if (!json_object_get(v, "uid"))
                json_object_set_new(v, "uid", json_integer(0));
        if (!json_object_get(v, "gid"))
                json_object_set_new(v, "gid", json_integer(0));
        return 0;
}

/* "NAME,kind=…,…" as a pod manifest volume. */
static int volume_parse(const char *text, json_t **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *full = xasprintf("name=%s", text);
        _cleanup_strv_free_ char **parts = strv_split(full, ',');
        json_t *v = json_object();
        int r = 0;

        STRV_FOREACH(p, parts) {
                char *eq = strchr(*p, '=');

                if (!eq) {
                        r = rk_error_set(reterr, EINVAL,
                                         "malformed string \"%s\" has a label "
                                         "without a value",
                                         text);
                        break;
                }
                *eq = '\0';
                if (json_object_get(v, *p)) {
                        r = rk_error_set(reterr, EINVAL, "label %s with multiple values", *p);
                        break;
                }
                r = volume_set(v, *p, eq + 1, reterr);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = volume_check(v, reterr);
        if (r < 0) {
                json_decref(v);
                return rk_error_prefix(reterr, "invalid value in --volume flag \"%s\"", text);
        }
        *ret = v;
        return 0;
}

static int pod_volumes(char *const *volumes, json_t **ret, struct rk_error **reterr)
{
        json_t *a;

        if (!volumes) {
                *ret = json_null();
                return 0;
        }
        a = json_array();
        for (char *const *t = volumes; *t; t++) {
                json_t *v = NULL;
                int r = volume_parse(*t, &v, reterr);

                if (r < 0) {
                        json_decref(a);
                        return r;
                }
                json_array_append_new(a, v);
        }
        *ret = a;
        return 0;
}

static int pod_apps(struct stage0_app *apps, size_t n, const struct app_list *l,
                    const struct pod_settings *ps, json_t *arr, struct rk_error **reterr)
{
        struct ac_labels env = {0};
        struct hashset names = HASHSET_INIT;
        int r = pod_env(ps, &env, reterr);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                json_t *entry;

                free(apps[i].name);
                apps[i].name = apps[i].spec->name ? xstrdup(apps[i].spec->name)
                                                  : app_name_default(apps[i].manifest->name);
                if (hashset_put(&names, apps[i].name, 0) == 0) {
                        r = rk_error_set(reterr, EINVAL, "error: multiple apps with name %s",
                                         apps[i].name);
                        break;
                }
                r = app_entry(&apps[i], l, &env, ps, &entry, reterr);
                if (r >= 0)
                        json_array_append_new(arr, entry);
        }
        ac_labels_done(&env);
        hashset_done(&names);
        return r;
}

int stage0_pod_manifest(struct stage0_app *apps, size_t n, const struct app_list *l,
                        const struct pod_settings *ps, json_t **ret, struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *check = NULL;
        _cleanup_free_ char *text = NULL;
        json_t *pod, *vols = NULL, *ports = NULL, *arr = json_array();
        int r;

        r = pod_apps(apps, n, l, ps, arr, reterr);
        if (r >= 0)
                r = pod_volumes(l->volumes, &vols, reterr);
        if (r >= 0 && ps->ports)
                r = stage0_ports_json(ps->ports, apps, n, &ports, reterr);
        if (r < 0) {
                json_decref(arr);
                json_decref(vols);
                return r;
        }
        pod = json_pack("{s:s,s:s,s:o,s:o,s:n,s:[{s:s,s:s}],s:o}", "acVersion", RKT_VERSION,
                        "acKind", "PodManifest", "apps", arr, "volumes", vols, "isolators",
                        "annotations", "name", "coreos.com/rkt/stage1/mutable", "value", "false",
                        "ports", ports ? ports : json_array());
        text = json_dump_go(pod, false);
        r = pod_manifest_parse(text, strlen(text), &check, reterr);
        if (r < 0) {
                json_decref(pod);
                return rk_error_wrap(reterr, "invalid pod manifest");
        }
        *ret = pod;
        return 0;
}
