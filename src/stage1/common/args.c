/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing of the stage1 run argv. Runs in: stage1 run entrypoint, host side. */
#include "args.h"

#include <fcntl.h>
#include <string.h>

#include "escape.h"
#include "fs-util.h"
#include "parse-util.h"
#include "runtime-config.h"
#include "stage1-pod.h"
#include "strv.h"

enum flag_type { FLAG_BOOL, FLAG_STRING };

struct flag_def {
        const char *name;
        enum flag_type type;
        size_t offset;
};

#define BOOLF(n, f)                                           \
        {                                                     \
                n, FLAG_BOOL, offsetof(struct stage1_args, f) \
        }
#define STRF(n, f)                                              \
        {                                                       \
                n, FLAG_STRING, offsetof(struct stage1_args, f) \
        }

static const struct flag_def flags[] = {
        BOOLF("debug", debug),
        STRF("net", net),
        BOOLF("interactive", interactive),
        STRF("private-users", private_users),
        STRF("mds-token", mds_token),
        STRF("local-config", local_config),
        STRF("hostname", hostname),
        STRF("dns-conf-mode", resolv_mode), /* split below */
        BOOLF("disable-capabilities-restriction", disable_caps),
        BOOLF("disable-paths", disable_paths),
        BOOLF("disable-seccomp", disable_seccomp),
        BOOLF("mutable", mutable_pod),
        STRF("ipc", ipc),
};

static const struct flag_def *flag_find(const char *name, size_t len)
{
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
                        return &flags[i];
        return NULL;
}

/* "resolv=<m>,hosts=<m>" into the two modes. */
static int dns_conf_mode_parse(struct stage1_args *a, const char *v, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **parts = strv_split(v, ',');

        STRV_FOREACH(p, parts) {
                char *eq = strchr(*p, '=');
                if (!eq)
                        return rk_error_set(reterr, EINVAL, "invalid --dns-conf-mode %s", v);
                *eq = '\0';
                char **dst = strcmp(*p, "resolv") == 0  ? &a->resolv_mode
                             : strcmp(*p, "hosts") == 0 ? &a->hosts_mode
                                                        : NULL;
                if (!dst)
                        return rk_error_set(reterr, EINVAL, "invalid --dns-conf-mode %s", v);
                free(*dst);
                *dst = xstrdup(eq + 1);
        }
        return 0;
}

static int flag_set(struct stage1_args *a, const struct flag_def *f, const char *value,
                    struct rk_error **reterr)
{
        char *base = (char *)a + f->offset;

        if (f->type == FLAG_BOOL) {
                bool b = true;
                if (value && parse_bool_go(value, &b) < 0)
                        return rk_error_set(reterr, EINVAL, "invalid boolean value \"%s\" for -%s",
                                            value, f->name);
                *(bool *)base = b;
                return 0;
        }
        if (strcmp(f->name, "dns-conf-mode") == 0)
                return dns_conf_mode_parse(a, value, reterr);
        free(*(char **)base);
        *(char **)base = xstrdup(value);
        return 0;
}

/*
 * Sets flag f from value, a string of argv. The metadata service token is then wiped from
 * argv: it is the pod's identity towards the service, and every user reads our command line
 * (/proc/<pid>/cmdline) for as long as the pod runs.
 */
static int flag_from_argv(struct stage1_args *a, const struct flag_def *f, char *value,
                          struct rk_error **reterr)
{
        int r = flag_set(a, f, value, reterr);

        if (value && strcmp(f->name, "mds-token") == 0)
                memset(value, 'x', strlen(value));
        return r;
}

static int one_flag(struct stage1_args *a, int argc, char **argv, int *i, struct rk_error **reterr)
{
        char *arg = argv[*i] + 1 + (argv[*i][1] == '-');
        char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct flag_def *f = flag_find(arg, len);

        if (!f)
                return rk_error_set(reterr, EINVAL, "flag provided but not defined: -%.*s",
                                    (int)len, arg);
        if (eq || f->type == FLAG_BOOL)
                return flag_from_argv(a, f, eq ? eq + 1 : NULL, reterr);
        if (*i + 1 >= argc)
                return rk_error_set(reterr, EINVAL, "flag needs an argument: -%s", f->name);
        (*i)++;
        return flag_from_argv(a, f, argv[*i], reterr);
}

int stage1_args_parse(int argc, char **argv, struct stage1_args *ret, struct rk_error **reterr)
{
        struct stage1_args a = {0};
        int r;

        for (int i = 1; i < argc; i++) {
                if (argv[i][0] != '-' || argv[i][1] == '\0') {
                        if (a.uuid) {
                                stage1_args_done(&a);
                                return rk_error_set(reterr, EINVAL, "unexpected argument %s",
                                                    argv[i]);
                        }
                        a.uuid = xstrdup(argv[i]);
                        continue;
                }
                r = one_flag(&a, argc, argv, &i, reterr);
                if (r < 0) {
                        stage1_args_done(&a);
                        return r;
                }
        }
        if (!a.uuid) {
                stage1_args_done(&a);
                return rk_error_set(reterr, EINVAL, "UUID is missing");
        }
        if (a.hostname && escape_has_control(a.hostname)) {
                /* it becomes a line of the pod's hosts and hostname files */
                stage1_args_done(&a);
                return rk_error_set(reterr, EINVAL,
                                    "-hostname must not contain control characters");
        }
        if (!a.net)
                a.net = xstrdup("default");
        if (!a.ipc)
                a.ipc = xstrdup("auto");
        if (!a.resolv_mode)
                a.resolv_mode = xstrdup("default");
        if (!a.hosts_mode)
                a.hosts_mode = xstrdup("default");
        *ret = a;
        return 0;
}

void stage1_args_done(struct stage1_args *a)
{
        free(a->net);
        free(a->private_users);
        free(a->mds_token);
        free(a->local_config);
        free(a->hostname);
        free(a->resolv_mode);
        free(a->hosts_mode);
        free(a->ipc);
        free(a->uuid);
        *a = (struct stage1_args){0};
}

bool stage1_args_net_has(const struct stage1_args *a, const char *name)
{
        _cleanup_strv_free_ char **nets = strv_split(a->net, ',');
        size_t n = strlen(name);

        STRV_FOREACH(e, nets)
                if (strncmp(*e, name, n) == 0 && ((*e)[n] == '\0' || (*e)[n] == ':'))
                        return true;
        return false;
}

char *stage1_args_hostname(const struct stage1_args *a)
{
        if (a->hostname && a->hostname[0])
                return xstrdup(a->hostname);
        return xasprintf("rkt-%s", a->uuid);
}

int stage1_args_write_runtime_config(const struct stage1_args *a, const char *mds_url, int poddirfd)
{
        struct stage1_runtime_config c = {
                .mds_url = xstrdup(mds_url ?: ""),
                .private_users = xstrdup(a->private_users ?: ""),
                .mds_token = xstrdup(a->mds_token ?: ""),
                .hostname = stage1_args_hostname(a),
                .debug = a->debug,
                .mutable_pod = a->mutable_pod,
                .resolv_conf_mode = xstrdup(a->resolv_mode),
                .etc_hosts_mode = xstrdup(a->hosts_mode),
                .net_list = strv_split(a->net, ','),
                .interactive = a->interactive,
                .insecure = {.disable_paths = a->disable_paths,
                             .disable_capabilities = a->disable_caps,
                             .disable_seccomp = a->disable_seccomp},
                .ipc_mode = xstrdup(a->ipc),
        };
        int r = stage1_runtime_config_write(poddirfd, &c);

        stage1_runtime_config_done(&c);
        return r;
}
