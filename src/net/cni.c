/* SPDX-License-Identifier: Apache-2.0 */
/* Running CNI plugins and reading their results (SPEC.md §8.3, CNI spec). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs-util.h"
#include "json-util.h"
#include "net-private.h"
#include "process-util.h"
#include "strbuf.h"
#include "strv.h"

#define CNI_TIMEOUT_MS 60000
#define CNI_OUTPUT_MAX (1u << 20)

int cni_plugin_find(char *const *dirs, const char *type, char **ret_path, struct rk_error **reterr)
{
        if (!type || !type[0] || strchr(type, '/'))
                return rk_error_set(reterr, EINVAL, "invalid plugin type \"%s\"", type ?: "");
        for (char *const *d = dirs; d && *d; d++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", *d, type);
                struct stat st;
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
                        *ret_path = TAKE_PTR(p);
                        return 0;
                }
        }
        return rk_error_set(reterr, ENOENT, "Could not find plugin \"%s\"", type);
}

/* Our environment without CNI_* variables, plus the call's. */
static char **cni_env(const struct cni_call *c)
{
        char **env = NULL;

        for (char **e = environ; e && *e; e++)
                if (strncmp(*e, "CNI_", 4) != 0)
                        strv_push(&env, *e);
        strv_consume(&env, xasprintf("CNI_VERSION=%s", c->version));
        strv_consume(&env, xasprintf("CNI_COMMAND=%s", c->command));
        strv_consume(&env, xasprintf("CNI_CONTAINERID=%s", c->container_id));
        strv_consume(&env, xasprintf("CNI_NETNS=%s", c->netns));
        strv_consume(&env, xasprintf("CNI_ARGS=%s", c->args ? c->args : ""));
        strv_consume(&env, xasprintf("CNI_IFNAME=%s", c->ifname));
        strv_consume(&env, xasprintf("CNI_PATH=%s", c->path));
        return env;
}

static int memfd_with(const char *name, const char *data, size_t len)
{
        int fd = memfd_create(name, MFD_CLOEXEC);

        if (fd < 0)
                return -errno;
        int r = len ? write_full(fd, data, len) : 0;
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        (void)lseek(fd, 0, SEEK_SET);
        return fd;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd to EOF into sb within the deadline; -ETIMEDOUT or -EFBIG otherwise. */
static int read_bounded(int fd, struct strbuf *sb, int64_t deadline)
{
        char buf[8192];

        for (;;) {
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                int64_t left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                int r = poll(&pfd, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return r < 0 ? -errno : -ETIMEDOUT;
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : 0;
                if (sb->len + (size_t)n > CNI_OUTPUT_MAX)
                        return -EFBIG;
                strbuf_add(sb, buf, (size_t)n);
        }
}

/* The first line of what fd holds (from its start), or NULL when empty. */
static char *first_line(int fd)
{
        struct strbuf sb = STRBUF_INIT;
        char buf[4096], *s;
        ssize_t n;

        (void)lseek(fd, 0, SEEK_SET);
        while (sb.len < CNI_OUTPUT_MAX && (n = read(fd, buf, sizeof(buf))) > 0)
                strbuf_add(&sb, buf, (size_t)n);
        s = strbuf_detach(&sb);
        s[strcspn(s, "\n")] = '\0';
        if (s[0])
                return s;
        free(s);
        return NULL;
}

/* What rkt reads of a plugin's output, matched as Go's encoding/json did (json-util.h). */
static const struct json_field_spec error_fields[] = {{"code"}, {"msg"}, {"details"}, {NULL}};
static const struct json_field_spec route_fields[] = {{"dst"}, {"gw"}, {NULL}};
static const struct json_field_spec ip_config_fields[] = {
        {"ip"},
        {"gateway"},
        {"routes", route_fields},
        {NULL},
};
static const struct json_field_spec ips_fields[] = {
        {"version"}, {"interface"}, {"address"}, {"gateway"}, {NULL},
};
static const struct json_field_spec dns_fields[] = {
        {"nameservers"}, {"domain"}, {"search"}, {"options"}, {NULL},
};
static const struct json_field_spec interface_fields[] = {
        {"name"},
        {"mac"},
        {"sandbox"},
        {NULL},
};
static const struct json_field_spec result_fields[] = {
        {"cniVersion"},
        {"ip4", ip_config_fields},
        {"ip6", ip_config_fields},
        {"ips", ips_fields},
        {"interfaces", interface_fields},
        {"routes", route_fields},
        {"dns", dns_fields},
        {NULL},
};

json_t *cni_result_parse(const char *out, size_t len, char **ret_error)
{
        return json_load_object_fields(out, len, result_fields, ret_error);
}

/* The plugin's own message: its JSON error on stdout, else the first line on stderr. */
static char *plugin_error(const char *out, int errfd, int status)
{
        _cleanup_json_ json_t *j = json_load_fields(out, strlen(out), error_fields, NULL);
        const char *msg = json_string_value(json_object_get(j, "msg"));
        const char *details = json_string_value(json_object_get(j, "details"));
        char *line;

        if (msg && details && details[0])
                return xasprintf("%s; %s", msg, details);
        if (msg)
                return xstrdup(msg);
        line = first_line(errfd);
        if (line)
                return line;
        if (WIFSIGNALED(status))
                return xasprintf("killed by signal %d", WTERMSIG(status));
        return xasprintf("exit status %d", WEXITSTATUS(status));
}

/* Whether pid exits before the deadline (its pidfd becomes readable). */
static bool exits_by(pid_t pid, int64_t deadline)
{
        _cleanup_close_ int pidfd = pidfd_open_pid(pid);
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int64_t left;

        if (pidfd < 0)
                return true; /* no pidfds (Linux < 5.3): wait without a limit */
        while ((left = deadline - now_ms()) > 0) {
                int n = poll(&p, 1, (int)left);
                if (n > 0)
                        return true;
                if (n == 0 || errno != EINTR)
                        return false;
        }
        return false;
}

/* Waits for the plugin after its stdout closed, killing its process group on a timeout
 * (r < 0, or no exit by the deadline). */
static int reap(pid_t pid, int r, int64_t deadline, int *ret_status)
{
        int q;

        if (r >= 0 && !exits_by(pid, deadline))
                r = -ETIMEDOUT;
        if (r < 0) {
                (void)kill(-pid, SIGKILL);
                (void)kill(pid, SIGKILL);
        }
        q = wait_for_pid(pid, ret_status);
        return q < 0 ? q : r;
}

/*
 * Starts the plugin with in, out and err as its stdio and nothing else open. It gets default
 * signals, its own process group (killed as a whole on a timeout) and dies with us: a plugin
 * left behind by a killed rkt would go on changing the network after gc undid it.
 */
static int cni_spawn(const char *plugin, const struct cni_call *c, int in, int out, int err,
                     pid_t *ret_pid)
{
        _cleanup_strv_free_ char **env = cni_env(c);
        int r = safe_fork_full("CNI plugin", (const int[]){in, out, err}, NULL, 0,
                               FORK_RESET_SIGNALS | FORK_DEATHSIG_SIGKILL | FORK_NEW_PROCESS_GROUP |
                                       FORK_REARRANGE_STDIO | FORK_CLOSE_ALL_FDS | FORK_LOG,
                               ret_pid);

        if (r != 0)
                return r < 0 ? r : 0;
        /* Runs in: the child */
        execve(plugin, (char *[]){(char *)plugin, NULL}, env);
        dprintf(STDERR_FILENO, "exec %s: %s\n", plugin, strerror(errno));
        _exit(127);
}

int cni_exec(const char *plugin, const struct cni_call *c, const char *conf, size_t len,
             json_t **ret_result, struct rk_error **reterr)
{
        _cleanup_close_ int in = memfd_with("cni-stdin", conf, len);
        _cleanup_close_ int err = memfd_with("cni-stderr", NULL, 0);
        _cleanup_(strbuf_release) struct strbuf out = STRBUF_INIT;
        _cleanup_free_ char *why = NULL;
        int pipefd[2], status = 0, r;
        pid_t pid = -1;

        if (in < 0 || err < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
                return rk_error_set_errno(reterr,
                                          in < 0    ? -in
                                          : err < 0 ? -err
                                                    : errno,
                                          "running %s", plugin);
        r = cni_spawn(plugin, c, in, pipefd[1], err, &pid);
        safe_close(pipefd[1]);
        int64_t deadline = now_ms() + CNI_TIMEOUT_MS;
        if (r >= 0)
                r = reap(pid, read_bounded(pipefd[0], &out, deadline), deadline, &status);
        safe_close(pipefd[0]);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "running %s", plugin);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                _cleanup_free_ char *msg = plugin_error(strbuf_str(&out), err, status);
                return rk_error_set(reterr, EIO, "%s", msg);
        }
        if (!ret_result)
                return 0;
        *ret_result = out.len ? cni_result_parse(out.buf, out.len, &why) : NULL;
        if (out.len && !*ret_result)
                return rk_error_set(reterr, EINVAL, "%s printed an invalid result: %s", plugin,
                                    why);
        return 0;
}

/* "a.b.c.d/n" into its parts. */
static int split_cidr(const char *cidr, char **ret_ip, int *ret_prefix)
{
        const char *slash = cidr ? strchr(cidr, '/') : NULL;

        if (!slash)
                return -EINVAL;
        *ret_ip = strndup(cidr, (size_t)(slash - cidr));
        *ret_prefix = atoi(slash + 1);
        return *ret_ip ? 0 : -ENOMEM;
}

int cni_result_ip4(json_t *result, char **ret_ip, int *ret_prefix, char **ret_gateway)
{
        json_t *ip4 = json_object_get(result, "ip4"), *ip;
        const char *cidr = NULL, *gw = NULL;
        size_t i;

        if (ip4) { /* CNI 0.1.0 and 0.2.0 */
                cidr = json_string_value(json_object_get(ip4, "ip"));
                gw = json_string_value(json_object_get(ip4, "gateway"));
        }
        json_array_foreach(json_object_get(result, "ips"), i, ip) {
                const char *a = json_string_value(json_object_get(ip, "address"));
                if (cidr || !a || !strchr(a, '.'))
                        continue;
                cidr = a;
                gw = json_string_value(json_object_get(ip, "gateway"));
        }
        if (split_cidr(cidr, ret_ip, ret_prefix) < 0)
                return -ENOENT;
        *ret_gateway = gw ? xstrdup(gw) : NULL;
        return 0;
}
