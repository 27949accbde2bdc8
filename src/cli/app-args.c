/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the image list of run/prepare: images, per-app flags, app argument sections. */
#include "app-args.h"

#include <inttypes.h>
#include <string.h>

#include "flags.h"
#include "format-util.h"
#include "parse-util.h"
#include "strv.h"

struct app_list arg_apps;

static struct app_spec *current_app(const char *flag, char **ret_msg)
{
        if (arg_apps.n == 0) {
                *ret_msg = xasprintf("--%s must follow an image", flag);
                return NULL;
        }
        return &arg_apps.apps[arg_apps.n - 1];
}

/* Sets a per-app string once ("--X specified multiple times for the same image"). */
static int set_once(char **field, const char *flag, const char *arg, char **ret_msg)
{
        if (*field) {
                *ret_msg = xasprintf("--%s specified multiple times for the same image", flag);
                return -EINVAL;
        }
        *field = xstrdup(arg);
        return 0;
}

#define APP_STRING_FLAG(fn, field, flagname, once)                          \
        static int fn(const char *arg, void *value, char **ret_msg)         \
        {                                                                   \
                struct app_spec *a = current_app(flagname, ret_msg);        \
                if (!a)                                                     \
                        return -EINVAL;                                     \
                if (once)                                                   \
                        return set_once(&a->field, flagname, arg, ret_msg); \
                free(a->field);                                             \
                a->field = xstrdup(arg);                                    \
                return 0;                                                   \
        }

APP_STRING_FLAG(parse_exec, exec, "exec", true)
APP_STRING_FLAG(parse_signature, signature, "signature", true)
APP_STRING_FLAG(parse_working_dir, working_dir, "working-dir", false)
APP_STRING_FLAG(set_user, user, "user", false)
APP_STRING_FLAG(set_group, group, "group", false)
APP_STRING_FLAG(parse_name, name, "name", false)
APP_STRING_FLAG(parse_memory, memory, "memory", false)
APP_STRING_FLAG(parse_cpu, cpu, "cpu", false)
APP_STRING_FLAG(parse_cpu_shares, cpu_shares, "cpu-shares", false)
APP_STRING_FLAG(parse_oom, oom_score_adj, "oom-score-adj", false)
APP_STRING_FLAG(parse_seccomp, seccomp, "seccomp", false)

/* A user or group: a name, or a number that parses exactly (parse-util.h: parse_id()). */
static int check_id(const char *arg, const char *flag, char **ret_msg)
{
        uint32_t id;

        if (id_is_numeric(arg) && parse_id(arg, &id) < 0) {
                *ret_msg = xasprintf("--%s must be a name or a number below %" PRIu32, flag,
                                     (uint32_t)ID_INVALID);
                return -EINVAL;
        }
        return 0;
}

static int parse_user(const char *arg, void *value, char **ret_msg)
{
        return set_user(arg, value, ret_msg) ?: check_id(arg, "user", ret_msg);
}

static int parse_group(const char *arg, void *value, char **ret_msg)
{
        return set_group(arg, value, ret_msg) ?: check_id(arg, "group", ret_msg);
}

static int parse_readonly_rootfs(const char *arg, void *value, char **ret_msg)
{
        struct app_spec *a = current_app("readonly-rootfs", ret_msg);
        bool b;

        if (!a)
                return -EINVAL;
        if (parse_bool_go(arg, &b) < 0) {
                *ret_msg = xstrdup("--readonly-rootfs must be set with a boolean");
                return -EINVAL;
        }
        a->readonly_rootfs = b;
        return 0;
}

static int parse_supp_gids(const char *arg, void *value, char **ret_msg)
{
        struct app_spec *a = current_app("supplementary-gids", ret_msg);
        _cleanup_strv_free_ char **l = NULL;

        if (!a)
                return -EINVAL;
        l = strv_split(arg, ',');
        STRV_FOREACH(g, l) {
                uint32_t v;

                if (parse_id(*g, &v) < 0) {
                        *ret_msg = xstrdup("--supplementary-gids must be integers");
                        return -EINVAL;
                }
        }
        strv_free(a->supp_gids);
        a->supp_gids = TAKE_PTR(l);
        return 0;
}

/* "K=V" into a label list; replace says whether an existing key is overwritten. */
static int parse_kv(struct ac_labels *l, const char *arg, bool replace, char **ret_msg)
{
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *k = NULL;

        if (!eq || eq == arg) {
                *ret_msg = xasprintf("\"%s\" must be specified as key=value", arg);
                return -EINVAL;
        }
        k = oom_check(strndup(arg, (size_t)(eq - arg)));
        if (replace || !ac_labels_get(l, k))
                ac_labels_set(l, k, eq + 1);
        return 0;
}

#define APP_KV_FLAG(fn, field, flagname, replace)                                \
        static int fn(const char *arg, void *value, char **ret_msg)              \
        {                                                                        \
                struct app_spec *a = current_app(flagname, ret_msg);             \
                return a ? parse_kv(&a->field, arg, replace, ret_msg) : -EINVAL; \
        }

APP_KV_FLAG(parse_annotation, annotations, "annotation", false)
APP_KV_FLAG(parse_user_annotation, user_annotations, "user-annotation", true)
APP_KV_FLAG(parse_user_label, user_labels, "user-label", true)
APP_KV_FLAG(parse_environment, environment, "environment", true)

/* --caps-retain / --caps-remove: a comma list replacing the earlier one. */
static int set_caps(bool retain, const char *arg, char **ret_msg)
{
        struct app_spec *a = current_app(retain ? "caps-retain" : "caps-remove", ret_msg);
        char ***field;

        if (!a)
                return -EINVAL;
        field = retain ? &a->caps_retain : &a->caps_remove;
        strv_free(*field);
        *field = strv_split(arg, ',');
        return 0;
}

static int parse_caps_retain(const char *arg, void *value, char **ret_msg)
{
        return set_caps(true, arg, ret_msg);
}

static int parse_caps_remove(const char *arg, void *value, char **ret_msg)
{
        return set_caps(false, arg, ret_msg);
}

/* "volume=NAME,target=PATH" (SPEC.md §4.3). */
static int parse_mount_value(const char *arg, struct app_mount *m, char **ret_msg)
{
        _cleanup_strv_free_ char **parts = strv_split(arg, ',');

        *m = (struct app_mount){0};
        STRV_FOREACH(p, parts) {
                char *eq = strchr(*p, '=');
                char **field = NULL;

                if (eq && strncmp(*p, "volume=", 7) == 0)
                        field = &m->volume;
                else if (eq && strncmp(*p, "target=", 7) == 0)
                        field = &m->target;
                if (!field) {
                        *ret_msg = eq ? xasprintf("unknown mount parameter \"%.*s\"",
                                                  (int)(eq - *p), *p)
                                      : xasprintf("malformed mount \"%s\"", arg);
                        free(m->volume);
                        free(m->target);
                        return -EINVAL;
                }
                free(*field);
                *field = xstrdup(eq + 1);
        }
        if (!m->volume || !m->target) {
                *ret_msg = xasprintf("mount \"%s\" needs volume= and target=", arg);
                free(m->volume);
                free(m->target);
                return -EINVAL;
        }
        return 0;
}

static int parse_mount(const char *arg, void *value, char **ret_msg)
{
        struct app_mount m;
        struct app_mount **v;
        size_t *n;

        if (parse_mount_value(arg, &m, ret_msg) < 0)
                return -EINVAL;
        if (arg_apps.n == 0) {
                v = &arg_apps.pod_mounts;
                n = &arg_apps.n_pod_mounts;
        } else {
                v = &arg_apps.apps[arg_apps.n - 1].mounts;
                n = &arg_apps.apps[arg_apps.n - 1].n_mounts;
        }
        *v = oom_check(realloc(*v, (*n + 1) * sizeof(**v)));
        (*v)[(*n)++] = m;
        return 0;
}

/* --stdin, --stdout, --stderr: an I/O mode of the app (SPEC.md §4.2, attach experiment). */
static int set_io_mode(const char *flag, const char *arg, bool output, char **field, char **ret_msg)
{
        static const char *const modes[] = {"null", "stream", "tty", "log", NULL};
        struct app_spec *a = current_app(flag, ret_msg);

        if (!a)
                return -EINVAL;
        for (size_t i = 0; modes[i]; i++)
                if (strcmp(arg, modes[i]) == 0 && (output || strcmp(arg, "log") != 0)) {
                        free(*field);
                        *field = xstrdup(arg);
                        return 0;
                }
        _cleanup_free_ char *q = format_go_quote(arg);
        *ret_msg = xasprintf("invalid %s mode %s", flag, q);
        return -EINVAL;
}

#define APP_IO_FLAG(fn, field, flagname, output)                                          \
        static int fn(const char *arg, void *value, char **ret_msg)                       \
        {                                                                                 \
                struct app_spec *a = arg_apps.n ? &arg_apps.apps[arg_apps.n - 1] : NULL;  \
                return set_io_mode(flagname, arg, output, a ? &a->field : NULL, ret_msg); \
        }

APP_IO_FLAG(parse_stdin, stdin_mode, "stdin", false)
APP_IO_FLAG(parse_stdout, stdout_mode, "stdout", true)
APP_IO_FLAG(parse_stderr, stderr_mode, "stderr", true)

const struct flag app_flags[] = {
        {"signature", FLAG_FUNC, NULL, parse_signature, "",
         "local signature file to use in validating the preceding image"},
        {"exec", FLAG_FUNC, NULL, parse_exec, "",
         "override the exec command for the preceding image"},
        {"working-dir", FLAG_FUNC, NULL, parse_working_dir, "",
         "override the working directory of the preceding image"},
        {"readonly-rootfs", FLAG_FUNC, NULL, parse_readonly_rootfs, "",
         "if set, the app's rootfs will be mounted read-only"},
        {"mount", FLAG_FUNC, NULL, parse_mount, "",
         "mount point binding a volume to a path within an app"},
        {"user", FLAG_FUNC, NULL, parse_user, "",
         "user override for the preceding image (example: '--user=user')"},
        {"group", FLAG_FUNC, NULL, parse_group, "",
         "group override for the preceding image (example: '--group=group')"},
        {"supplementary-gids", FLAG_FUNC, NULL, parse_supp_gids, "",
         "supplementary group IDs override for the preceding image (examples: "
         "'--supplementary-gids=1024,2048'"},
        {"name", FLAG_FUNC, NULL, parse_name, "",
         "set the name of the app (example: '--name=foo'). If not set, then the app name "
         "default to the image's name"},
        {"annotation", FLAG_FUNC, NULL, parse_annotation, "",
         "set the app's annotations (example: '--annotation=foo=bar')"},
        {"user-annotation", FLAG_FUNC, NULL, parse_user_annotation, "",
         "set the app's annotations (example: '--user-annotation=foo=bar')"},
        {"user-label", FLAG_FUNC, NULL, parse_user_label, "",
         "set the app's labels (example: '--user-label=foo=bar')"},
        {"environment", FLAG_FUNC, NULL, parse_environment, "",
         "set the app's environment variables (example: '--environment=foo=bar')"},
        {"memory", FLAG_FUNC, NULL, parse_memory, "",
         "memory limit for the preceding image (example: '--memory=16Mi', '--memory=50M', "
         "'--memory=1G')"},
        {"cpu", FLAG_FUNC, NULL, parse_cpu, "",
         "cpu limit for the preceding image (example: '--cpu=500m')"},
        {"cpu-shares", FLAG_FUNC, NULL, parse_cpu_shares, "",
         "cpu-shares assigns the specified CPU time share weight (example: "
         "'--cpu-shares=2048')"},
        {"caps-retain", FLAG_FUNC, NULL, parse_caps_retain, "",
         "capability to retain (example: '--caps-retain=CAP_SYS_ADMIN')"},
        {"caps-remove", FLAG_FUNC, NULL, parse_caps_remove, "",
         "capability to remove (example: '--caps-remove=CAP_MKNOD')"},
        {"cap-retain", FLAG_FUNC, NULL, parse_caps_retain, "",
         .deprecated = "use --caps-retain instead"},
        {"cap-remove", FLAG_FUNC, NULL, parse_caps_remove, "",
         .deprecated = "use --caps-remove instead"},
        {"seccomp", FLAG_FUNC, NULL, parse_seccomp, "",
         "seccomp filter override (example: '--seccomp mode=retain,errno=EPERM,chmod,chown')"},
        {"oom-score-adj", FLAG_FUNC, NULL, parse_oom, "", "oom-score-adj isolator override"},
        {"stdin", FLAG_FUNC, NULL, parse_stdin, "", "stdin mode for the preceding application",
         .hidden = true, .experiment = "RKT_EXPERIMENT_ATTACH"},
        {"stdout", FLAG_FUNC, NULL, parse_stdout, "", "stdout mode for the preceding application",
         .hidden = true, .experiment = "RKT_EXPERIMENT_ATTACH"},
        {"stderr", FLAG_FUNC, NULL, parse_stderr, "", "stderr mode for the preceding application",
         .hidden = true, .experiment = "RKT_EXPERIMENT_ATTACH"},
        {NULL},
};

static void app_list_add(const char *image)
{
        struct app_spec *a;

        arg_apps.apps = oom_check(realloc(arg_apps.apps, (arg_apps.n + 1) * sizeof(*a)));
        a = &arg_apps.apps[arg_apps.n++];
        *a = (struct app_spec){.image = xstrdup(image), .readonly_rootfs = -1};
}

/* The index of the next "--" or "---" word at or after i, or argc. */
static int next_separator(int argc, char **argv, int i)
{
        for (; i < argc; i++)
                if (strcmp(argv[i], "--") == 0 || strcmp(argv[i], "---") == 0)
                        return i;
        return argc;
}

/* Runs the flag parser on argv[i..); returns how many words it consumed. */
static int parse_flags_at(const struct flag *pod_flags, int argc, char **argv, int i,
                          char **ret_msg)
{
        const struct flag *const tables[] = {pod_flags, app_flags, global_flags, NULL};
        _cleanup_strv_free_ char **rest = NULL;
        int end = next_separator(argc, argv, i);
        bool help;
        int r;

        r = flags_parse(tables, end - i, argv + i, false, &rest, &help, ret_msg);
        if (r < 0)
                return r;
        if (help) { /* pflag's ErrHelp: rkt has no help among the flags after an image */
                *ret_msg = xstrdup("pflag: help requested");
                return -EINVAL;
        }
        return end - i - (int)strv_length(rest);
}

/* Handles "--" at argv[i]: the argument section of the last image, up to "---". */
static int parse_app_args(int argc, char **argv, int *i, char **ret_msg)
{
        struct app_spec *a;

        if (arg_apps.n == 0) {
                *ret_msg = xstrdup("an image is required before any app arguments");
                return -EINVAL;
        }
        a = &arg_apps.apps[arg_apps.n - 1];
        if (a->has_args) {
                *ret_msg = xstrdup("only one set of app arguments allowed per image");
                return -EINVAL;
        }
        a->has_args = true;
        for ((*i)++; *i < argc && strcmp(argv[*i], "---") != 0; (*i)++)
                strv_push(&a->args, argv[*i]);
        return 0;
}

int app_list_parse(const struct flag *pod_flags, int argc, char **argv, char **ret_msg)
{
        for (int i = 0; i < argc;) {
                const char *w = argv[i];
                int r;

                if (!*w || strcmp(w, "---") == 0) {
                        i++;
                        continue;
                }
                if (strcmp(w, "--") == 0) {
                        r = parse_app_args(argc, argv, &i, ret_msg);
                        if (r < 0)
                                return r;
                        i++;
                        continue;
                }
                r = w[0] == '-' ? parse_flags_at(pod_flags, argc, argv, i, ret_msg) : 0;
                if (r < 0)
                        return r;
                if (r == 0)
                        app_list_add(argv[i++]);
                i += r;
        }
        return 0;
}

static bool volume_declared(const char *name)
{
        STRV_FOREACH(v, arg_apps.volumes) {
                size_t n = strcspn(*v, ",");

                if (strlen(name) == n && strncmp(*v, name, n) == 0)
                        return true;
        }
        return false;
}

static int check_mounts(const struct app_mount *m, size_t n, char **ret_msg)
{
        for (size_t i = 0; i < n; i++)
                if (!volume_declared(m[i].volume)) {
                        *ret_msg = xasprintf("dangling mount point \"%s\": volume \"%s\" not found",
                                             m[i].target, m[i].volume);
                        return -EINVAL;
                }
        return 0;
}

int app_list_check_mounts(char **ret_msg)
{
        int r = check_mounts(arg_apps.pod_mounts, arg_apps.n_pod_mounts, ret_msg);

        for (size_t i = 0; r >= 0 && i < arg_apps.n; i++)
                r = check_mounts(arg_apps.apps[i].mounts, arg_apps.apps[i].n_mounts, ret_msg);
        return r;
}
