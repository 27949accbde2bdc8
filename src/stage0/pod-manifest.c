/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod manifest of run/prepare (SPEC.md §4.6) as a struct pod_manifest: each app is a
 * copy of its image's app section with the command-line overrides of §4.2 applied, its
 * environment merged as §4.4 says, its mounts as §4.3; the pod gets the --volume volumes and
 * the --port ports. Volumes, isolators and ports are made by the schema's parsers and
 * constructors, and the whole is held to the parser's rules (pod_manifest_validate()).
 * Runs in: the rkt command (run, prepare).
 */
#include "pod-manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
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

/* app.environment: inherit-env (unset names only) < image < pod env < --environment. */
static void app_set_env(struct ac_app *app, const struct ac_labels *pod,
                        const struct app_spec *spec, bool inherit)
{
        struct ac_labels *env = &app->environment;

        for (char **ev = inherit ? environ : NULL; ev && *ev; ev++) {
                char *eq = strchr(*ev, '=');
                _cleanup_free_ char *k = eq ? oom_check(strndup(*ev, (size_t)(eq - *ev))) : NULL;

                if (k && *k && !ac_labels_get(env, k))
                        ac_labels_set(env, k, eq + 1);
        }
        for (size_t i = 0; i < pod->n; i++)
                ac_labels_set(env, pod->items[i].name, pod->items[i].value);
        for (size_t i = 0; i < spec->environment.n; i++)
                ac_labels_set(env, spec->environment.items[i].name,
                              spec->environment.items[i].value);
}

static bool kind_is_caps(enum ac_isolator_kind k)
{
        return k == AC_ISOLATOR_CAPABILITIES_RETAIN_SET || k == AC_ISOLATOR_CAPABILITIES_REMOVE_SET;
}

static bool kind_is_seccomp(enum ac_isolator_kind k)
{
        return k == AC_ISOLATOR_SECCOMP_RETAIN_SET || k == AC_ISOLATOR_SECCOMP_REMOVE_SET;
}

/* Removes the app's isolators of kind k (for a capability or seccomp set: both sets). */
static void isolators_drop(struct ac_app *app, enum ac_isolator_kind k)
{
        size_t n = 0;

        for (size_t i = 0; i < app->n_isolators; i++) {
                enum ac_isolator_kind ik = app->isolators[i].kind;

                if (ik == k || (kind_is_caps(k) && kind_is_caps(ik)) ||
                    (kind_is_seccomp(k) && kind_is_seccomp(ik)))
                        ac_isolator_done(&app->isolators[i]);
                else
                        app->isolators[n++] = app->isolators[i];
        }
        app->n_isolators = n;
}

/* Appends *i to the app's isolators (its contents move). */
static void isolators_add(struct ac_app *app, struct ac_isolator *i)
{
        app->isolators = oom_check(reallocarray(app->isolators, app->n_isolators + 1, sizeof(*i)));
        app->isolators[app->n_isolators++] = *i;
        *i = (struct ac_isolator){.kind = _AC_ISOLATOR_KIND_INVALID};
}

/* --memory and --cpu: appended, as appc's constructors marshal them. */
static int app_set_resources(struct ac_app *app, const struct app_spec *spec,
                             struct rk_error **reterr)
{
        struct ac_isolator i = {.kind = _AC_ISOLATOR_KIND_INVALID};
        int r;

        if (spec->memory) {
                r = ac_isolator_new_resource(AC_ISOLATOR_RESOURCE_MEMORY, spec->memory, "--memory",
                                             &i, reterr);
                if (r < 0)
                        return r;
                if (i.resource.limit.value < 4096) {
                        r = rk_error_set(reterr, EINVAL,
                                         "memory limit of %lld bytes too low. "
                                         "Try a reasonable value, such as --memory=16M",
                                         (long long)i.resource.limit.value);
                        ac_isolator_done(&i);
                        return r;
                }
                isolators_add(app, &i);
        }
        if (spec->cpu) {
                r = ac_isolator_new_resource(AC_ISOLATOR_RESOURCE_CPU, spec->cpu, "--cpu", &i,
                                             reterr);
                if (r < 0)
                        return r;
                isolators_add(app, &i);
        }
        return 0;
}

/* --cpu-shares, --oom-score-adj: replace the isolator of kind with the integer text. */
static int app_set_int_isolator(struct ac_app *app, enum ac_isolator_kind kind, const char *flag,
                                const char *text, struct rk_error **reterr)
{
        struct ac_isolator i = {.kind = _AC_ISOLATOR_KIND_INVALID};
        int min = 0, max = 0, r;
        char *end;
        long long v;

        if (!text)
                return 0;
        (void)ac_isolator_int_range(kind, &min, &max);
        errno = 0;
        v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < min || v > max)
                return rk_error_set(reterr, EINVAL, "%s must be an integer between %d and %d", flag,
                                    min, max);
        r = ac_isolator_new_int(kind, v, flag, &i, reterr);
        if (r < 0)
                return r;
        isolators_drop(app, kind);
        isolators_add(app, &i);
        return 0;
}

/* --caps-retain or --caps-remove: replaces every capability isolator of the image. */
static int app_set_caps(struct ac_app *app, const struct app_spec *spec, struct rk_error **reterr)
{
        struct ac_isolator i = {.kind = _AC_ISOLATOR_KIND_INVALID};
        bool retain = spec->caps_retain;
        int r;

        if (spec->caps_retain && spec->caps_remove)
                return rk_error_set(reterr, EINVAL,
                                    "error: cannot use both --caps-retain and "
                                    "--caps-remove on the same image");
        if (!spec->caps_retain && !spec->caps_remove)
                return 0;
        r = ac_isolator_new_caps(retain ? AC_ISOLATOR_CAPABILITIES_RETAIN_SET
                                        : AC_ISOLATOR_CAPABILITIES_REMOVE_SET,
                                 retain ? spec->caps_retain : spec->caps_remove,
                                 retain ? "--caps-retain" : "--caps-remove", &i, reterr);
        if (r < 0)
                return r;
        isolators_drop(app, AC_ISOLATOR_CAPABILITIES_RETAIN_SET);
        isolators_add(app, &i);
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

static int app_set_seccomp(struct ac_app *app, const char *text, struct rk_error **reterr)
{
        struct seccomp_override o = {0};
        struct seccomp_set checked = {0};
        struct ac_isolator i = {.kind = _AC_ISOLATOR_KIND_INVALID};
        enum ac_isolator_kind kind;
        int r;

        if (!text)
                return 0;
        r = seccomp_override_parse(text, &o, reterr);
        kind = o.retain ? AC_ISOLATOR_SECCOMP_RETAIN_SET : AC_ISOLATOR_SECCOMP_REMOVE_SET;
        if (r >= 0)
                r = seccomp_set_from_items(o.retain, o.items, o.errno_name, &checked, reterr);
        if (r >= 0)
                r = ac_isolator_new_seccomp(kind, o.items, o.errno_name, "--seccomp", &i, reterr);
        if (r >= 0) {
                isolators_drop(app, AC_ISOLATOR_SECCOMP_RETAIN_SET);
                isolators_add(app, &i);
        }
        seccomp_set_done(&checked);
        seccomp_override_done(&o);
        return r;
}

static int app_set_isolators(struct ac_app *app, const struct app_spec *spec,
                             struct rk_error **reterr)
{
        int r;

        r = app_set_resources(app, spec, reterr);
        if (r >= 0)
                r = app_set_int_isolator(app, AC_ISOLATOR_CPU_SHARES, "--cpu-shares",
                                         spec->cpu_shares, reterr);
        if (r >= 0)
                r = app_set_int_isolator(app, AC_ISOLATOR_OOM_SCORE_ADJ, "--oom-score-adj",
                                         spec->oom_score_adj, reterr);
        if (r >= 0)
                r = app_set_caps(app, spec, reterr);
        if (r >= 0)
                r = app_set_seccomp(app, spec->seccomp, reterr);
        return r;
}

/* A copy of the image's app section, or one made for --exec when the image has none. */
static int app_base(const struct stage0_app *a, struct ac_app **ret, struct rk_error **reterr)
{
        struct ac_app *app;

        if (a->manifest->app) {
                *ret = ac_app_copy(a->manifest->app);
                return 0;
        }
        if (!a->spec->exec)
                return rk_error_set(reterr, EINVAL,
                                    "error: image %s has no app section and "
                                    "--exec argument is not provided",
                                    a->key);
        app = xnew0(struct ac_app, 1);
        app->exec = xnew0(char *, 1);
        app->user = xasprintf("%u", getuid());
        app->group = xasprintf("%u", getgid());
        *ret = app;
        return 0;
}

/*
 * For an image converted from Docker, arguments replace Cmd and keep Entrypoint, as
 * `docker run IMAGE ARGS` does (DOCKER.md §1.6): the exec restarts from the Entrypoint
 * recorded by the conversion (the program path as resolved in the exec). Only images
 * with the entrypoint or cmd annotations of our conversion: others keep rkt's rule.
 */
static void app_docker_args(struct ac_app *app, const struct stage0_app *a)
{
        const char *ep = image_manifest_get_annotation(a->manifest, "appc.io/docker/entrypoint");
        _cleanup_json_ json_t *entry = ep ? json_loads(ep, 0, NULL) : json_array();
        size_t n = json_array_size(entry), len = strv_length(app->exec);

        if (a->spec->exec || !a->spec->has_args || !json_is_array(entry) || !app->exec ||
            !(ep || image_manifest_get_annotation(a->manifest, "appc.io/docker/cmd")) || len < n)
                return;
        for (size_t i = n; i < len; i++)
                free(app->exec[i]);
        app->exec[n] = NULL;
}

/* --exec replaces the exec, the arguments follow it. */
static void app_set_exec(struct ac_app *app, const struct app_spec *spec)
{
        if (spec->exec) {
                strv_free(app->exec);
                app->exec = NULL;
                strv_push(&app->exec, spec->exec);
        }
        if (!app->exec) /* an image app without exec keeps none: its arguments are dropped */
                return;
        STRV_FOREACH(w, spec->args)
                strv_push(&app->exec, *w);
}

static void replace_string(char **field, const char *value)
{
        if (!value)
                return;
        free(*field);
        *field = xstrdup(value);
}

/* --supplementary-gids: group IDs of the app (the schema's are 0..2^31-1). */
static int app_set_gids(struct ac_app *app, char *const *gids, struct rk_error **reterr)
{
        size_t n = strv_length(gids);
        _cleanup_free_ int *l = xnew0(int, n + 1);

        for (size_t i = 0; i < n; i++) {
                uint32_t v;

                if (parse_id(gids[i], &v) < 0 || v > INT32_MAX)
                        return rk_error_set(reterr, EINVAL,
                                            "--supplementary-gids: %s is not a valid group ID",
                                            gids[i]);
                l[i] = (int)v;
        }
        free(app->supplementary_gids);
        app->supplementary_gids = TAKE_PTR(l);
        app->n_supplementary_gids = n;
        return 0;
}

/* user, group, working directory, supplementary gids, user annotations and labels. */
static int app_set_identity(struct ac_app *app, const struct app_spec *spec,
                            struct rk_error **reterr)
{
        replace_string(&app->user, spec->user);
        replace_string(&app->group, spec->group);
        replace_string(&app->working_directory, spec->working_dir);
        if (spec->user_annotations.n > 0) {
                ac_labels_done(&app->user_annotations);
                ac_labels_copy(&app->user_annotations, &spec->user_annotations);
        }
        if (spec->user_labels.n > 0) {
                ac_labels_done(&app->user_labels);
                ac_labels_copy(&app->user_labels, &spec->user_labels);
        }
        return spec->supp_gids ? app_set_gids(app, spec->supp_gids, reterr) : 0;
}

/* The app's mounts: its own, then the pod-wide ones, first target wins (SPEC.md §4.3). */
static void app_mounts(struct pod_app *pa, const struct app_spec *spec, const struct app_list *list)
{
        struct hashset seen = HASHSET_INIT;
        const struct app_mount *lists[] = {spec->mounts, list->pod_mounts};
        size_t counts[] = {spec->n_mounts, list->n_pod_mounts};

        pa->mounts = xnew0(struct pod_mount, counts[0] + counts[1] + 1);
        for (size_t l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++) {
                        const struct app_mount *m = &lists[l][i];
                        _cleanup_free_ char *target = m->target[0] == '/'
                                                              ? xstrdup(m->target)
                                                              : xasprintf("/%s", m->target);

                        if (hashset_put(&seen, target, 0) == 0)
                                continue;
                        pa->mounts[pa->n_mounts++] =
                                (struct pod_mount){xstrdup(m->volume), TAKE_PTR(target), NULL};
                }
        hashset_done(&seen);
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

/* The app section of a: the image's with the overrides of its spec and the environment. */
static int app_section(const struct stage0_app *a, const struct ac_labels *env,
                       const struct pod_settings *ps, struct ac_app **ret, struct rk_error **reterr)
{
        _cleanup_(ac_app_freep) struct ac_app *app = NULL;
        int r;

        r = check_os_arch(a, reterr);
        if (r >= 0)
                r = app_base(a, &app, reterr);
        if (r < 0)
                return r;
        app_docker_args(app, a);
        app_set_exec(app, a->spec);
        r = app_set_identity(app, a->spec, reterr);
        if (r < 0)
                return r;
        app_set_env(app, env, a->spec, ps->inherit_env);
        r = app_set_isolators(app, a->spec, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(app);
        return 0;
}

/* The pod manifest's app of a: name, image, app section, read-only rootfs, mounts and
 * annotations. */
static int app_entry(const struct stage0_app *a, const struct app_list *l,
                     const struct ac_labels *env, const struct pod_settings *ps,
                     struct pod_app *ret, struct rk_error **reterr)
{
        struct ac_app *app = NULL;
        int r = app_section(a, env, ps, &app, reterr);

        if (r < 0)
                return r;
        *ret = (struct pod_app){
                .name = xstrdup(a->name),
                .image_name = xstrdup(a->manifest->name),
                .image_id = xstrdup(a->key),
                .app = app,
                .read_only_rootfs = a->spec->readonly_rootfs > 0,
        };
        ac_labels_copy(&ret->image_labels, &a->manifest->labels);
        app_mounts(ret, a->spec, l);
        ac_labels_copy(&ret->annotations, &a->spec->annotations);
        /* the I/O modes replace what --annotation said, as rkt's (SPEC.md §4.2) */
        if (a->spec->stdin_mode)
                ac_labels_set(&ret->annotations, "coreos.com/rkt/stage2/stdin",
                              a->spec->stdin_mode);
        if (a->spec->stdout_mode)
                ac_labels_set(&ret->annotations, "coreos.com/rkt/stage2/stdout",
                              a->spec->stdout_mode);
        if (a->spec->stderr_mode)
                ac_labels_set(&ret->annotations, "coreos.com/rkt/stage2/stderr",
                              a->spec->stderr_mode);
        return 0;
}

/* The --volume values (NULL: none given, written as null). */
static int pod_volumes(char *const *volumes, struct pod_manifest *m, struct rk_error **reterr)
{
        m->has_volumes = volumes;
        m->volumes = xnew0(struct ac_volume, strv_length(volumes) + 1);
        for (char *const *t = volumes; t && *t; t++) {
                int r = ac_volume_from_string(*t, &m->volumes[m->n_volumes], reterr);

                if (r < 0)
                        return rk_error_prefix(reterr, "invalid value in --volume flag \"%s\"", *t);
                m->n_volumes++;
        }
        return 0;
}

static int pod_apps(struct stage0_app *apps, size_t n, const struct app_list *l,
                    const struct pod_settings *ps, struct pod_manifest *m, struct rk_error **reterr)
{
        struct ac_labels env = {0};
        struct hashset names = HASHSET_INIT;
        int r = pod_env(ps, &env, reterr);

        m->has_apps = true;
        m->apps = xnew0(struct pod_app, n + 1);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                free(apps[i].name);
                apps[i].name = apps[i].spec->name ? xstrdup(apps[i].spec->name)
                                                  : app_name_default(apps[i].manifest->name);
                if (hashset_put(&names, apps[i].name, 0) == 0) {
                        r = rk_error_set(reterr, EINVAL, "error: multiple apps with name %s",
                                         apps[i].name);
                        break;
                }
                r = app_entry(&apps[i], l, &env, ps, &m->apps[i], reterr);
                if (r >= 0)
                        m->n_apps++;
        }
        ac_labels_done(&env);
        hashset_done(&names);
        return r;
}

int stage0_pod_manifest(struct stage0_app *apps, size_t n, const struct app_list *l,
                        const struct pod_settings *ps, struct pod_manifest **ret,
                        struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = xnew0(struct pod_manifest, 1);
        int r;

        m->ac_version = xstrdup(RKT_VERSION);
        r = pod_apps(apps, n, l, ps, m, reterr);
        if (r >= 0)
                r = pod_volumes(l->volumes, m, reterr);
        if (r >= 0 && ps->mutable_pod)
                r = stage0_sandbox_ports_parse(ps->ports, &m->ports, &m->n_ports, reterr);
        else if (r >= 0)
                r = stage0_ports_parse(ps->ports, apps, n, &m->ports, &m->n_ports, reterr);
        if (r < 0)
                return r;
        m->has_ports = true;
        ac_labels_set(&m->annotations, STAGE1_ANNOTATION_MUTABLE,
                      ps->mutable_pod ? "true" : "false");
        if (ps->annotations)
                for (size_t i = 0; i < ps->annotations->n; i++)
                        ac_labels_set(&m->annotations, ps->annotations->items[i].name,
                                      ps->annotations->items[i].value);
        if (ps->user_annotations)
                ac_labels_copy(&m->user_annotations, ps->user_annotations);
        if (ps->user_labels)
                ac_labels_copy(&m->user_labels, ps->user_labels);
        m->has_annotations = true;
        r = pod_manifest_validate(m, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid pod manifest");
        *ret = TAKE_PTR(m);
        return 0;
}
