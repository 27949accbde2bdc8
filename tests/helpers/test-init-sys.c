// SPDX-License-Identifier: Apache-2.0
/*
 * inspect, the static test payload: cgroup limits, namespaces and the network actions
 * (addresses, gateways, a one-shot HTTP server and client for loopback and pod addresses).
 * runs in: the app (stage2) of a test pod, a stub stage1, or the host (libc only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-init.h"

/* ---------------------------------------------------------------- cgroups */

/* Finds this process's cgroup path for a v1 controller, or the v2 path when controller is
 * NULL. Returns a malloc'ed path or NULL. */
static char *own_cgroup(const char *controller)
{
        char *buf = NULL, *line, *save = NULL, *res = NULL;
        const char *op;

        if (read_all("/proc/self/cgroup", &buf, NULL, &op) < 0)
                return NULL;
        for (line = strtok_r(buf, "\n", &save); line && !res; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':'), *c2;

                if (!c1)
                        continue;
                c2 = strchr(c1 + 1, ':');
                if (!c2)
                        continue;
                *c2 = '\0';
                if (controller) {
                        char *ctl, *s2 = NULL;

                        for (ctl = strtok_r(c1 + 1, ",", &s2); ctl; ctl = strtok_r(NULL, ",", &s2))
                                if (strcmp(ctl, controller) == 0)
                                        res = strdup(c2 + 1);
                } else if (strncmp(line, "0:", 2) == 0 && c1[1] == '\0') {
                        res = strdup(c2 + 1);
                }
        }
        free(buf);
        return res;
}

/* Reads the first readable of <root><mount><cgpath>/<file> for the usual roots: first
 * /proc/1/root (escapes an app's chroot, as rkt's helper does), then /, then the mount
 * point itself (a cgroup namespace makes the path relative to it). */
static char *read_cgroup_file(const char *const *mounts, const char *cgpath, const char *file,
                              char **ret_path)
{
        static const char *const roots[] = {"/proc/1/root", ""};
        char path[PATH_MAX];

        for (size_t m = 0; mounts[m]; m++) {
                for (size_t r = 0; r < 2; r++) {
                        for (int rel = 0; rel < 2; rel++) {
                                const char *op;
                                char *buf = NULL;

                                snprintf(path, sizeof(path), "%s%s%s/%s", roots[r], mounts[m],
                                         rel ? "" : cgpath, file);
                                if (read_all(path, &buf, NULL, &op) == 0) {
                                        chomp(buf);
                                        *ret_path = strdup(path);
                                        return buf;
                                }
                        }
                }
        }
        return NULL;
}

void do_print_memory_limit(void)
{
        static const char *const v1[] = {"/sys/fs/cgroup/memory", NULL};
        static const char *const v2[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", NULL};
        char *cg = own_cgroup("memory"), *val = NULL, *path = NULL;

        if (cg)
                val = read_cgroup_file(v1, cg, "memory.limit_in_bytes", &path);
        free(cg);
        if (!val) {
                cg = own_cgroup(NULL);
                if (cg)
                        val = read_cgroup_file(v2, cg, "memory.max", &path);
                free(cg);
        }
        if (!val)
                die("Error getting own memory cgroup path: no readable memory.limit_in_bytes "
                    "or memory.max");
        fprintf(stderr, "limitPath: %s\n", path);
        printf("Memory Limit: %s\n", val);
        free(val);
        free(path);
}

void do_print_cpu(bool quota)
{
        static const char *const v1[] = {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", NULL};
        static const char *const v2[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", NULL};
        char *cg = own_cgroup("cpu"), *a = NULL, *b = NULL, *p1 = NULL, *p2 = NULL;

        if (cg) {
                if (quota) {
                        a = read_cgroup_file(v1, cg, "cpu.cfs_quota_us", &p1);
                        b = read_cgroup_file(v1, cg, "cpu.cfs_period_us", &p2);
                } else {
                        a = read_cgroup_file(v1, cg, "cpu.shares", &p1);
                }
        }
        free(cg);
        if (!a) {
                cg = own_cgroup(NULL);
                if (cg)
                        a = read_cgroup_file(v2, cg, quota ? "cpu.max" : "cpu.weight", &p1);
                free(cg);
                if (a && quota) {
                        /* cpu.max is "QUOTA PERIOD" (QUOTA may be "max") */
                        char *sp = strchr(a, ' ');

                        if (sp) {
                                *sp = '\0';
                                b = strdup(sp + 1);
                        }
                }
        }
        if (!a || (quota && !b))
                die("Error getting own cpu cgroup path: no readable cpu controller files");
        if (quota) {
                long long q = strcmp(a, "max") == 0 ? -1 : atoll(a), period = atoll(b);

                if (period <= 0)
                        die("invalid cpu period \"%s\"", b);
                printf("CPU Quota: %lld\n", q < 0 ? -1 : q * 1000 / period);
        } else {
                printf("CPU Shares: %s\n", a);
        }
        free(a);
        free(b);
        free(p1);
        free(p2);
}

void do_check_cgroups(void)
{
        static const char *const subs[] = {"", "/memory", "/cpu"};
        /* pid 1's root as rkt's helper looked, unless pid 1 hides it (a non-dumpable pod
         * init): then the app's own view */
        const char *root = access("/proc/1/root/", X_OK) == 0 ? "/proc/1/root/sys/fs/cgroup"
                                                              : "/sys/fs/cgroup";
        char path[PATH_MAX];
        struct stat st;

        for (size_t i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s%s", root, subs[i]);
                if (i > 0 && stat(path, &st) < 0)
                        continue;
                snprintf(path, sizeof(path), "%s%s/test", root, subs[i]);
                if (mkdir(path, 0600) == 0 || errno != EROFS) {
                        int e = errno;

                        fflush(stdout);
                        fprintf(stderr, "check-cgroups: FAIL (%s)\n",
                                e == 0 ? "<nil>" : go_strerror(e));
                        exit(EXIT_HELPER_ERROR);
                }
        }
        printf("check-cgroups: SUCCESS\n");
}

/* ---------------------------------------------------------------- namespaces */

void print_ns(const char *label, const char *ns)
{
        char path[64], link[128];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
        n = readlink(path, link, sizeof(link) - 1);
        if (n < 0)
                die("readlink %s: %s", path, go_strerror(errno));
        link[n] = '\0';
        printf("%s: %s\n", label, link);
}

void do_print_all_ns(void)
{
        static const char *const ns[][2] = {
                {"NetNS", "net"},   {"IPCNS", "ipc"},   {"UTSNS", "uts"},       {"PIDNS", "pid"},
                {"MountNS", "mnt"}, {"UserNS", "user"}, {"CgroupNS", "cgroup"},
        };
        for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
                char path[64];

                snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i][1]);
                if (access(path, F_OK) == 0)
                        print_ns(ns[i][0], ns[i][1]);
        }
}

void do_check_mountns(void)
{
        char a[128], b[128];
        ssize_t n1 = readlink("/proc/self/ns/mnt", a, sizeof(a) - 1);
        ssize_t n2;

        if (n1 < 0)
                die("readlink /proc/self/ns/mnt: %s", go_strerror(errno));
        n2 = readlink("/proc/1/ns/mnt", b, sizeof(b) - 1);
        if (n2 < 0 && errno == EACCES) { /* pid 1 hides its namespaces from us */
                printf("check-mountns: DIFFERENT\n");
                return;
        }
        if (n2 < 0)
                die("readlink /proc/1/ns/mnt: %s", go_strerror(errno));
        a[n1] = b[n2] = '\0';
        if (strcmp(a, b) != 0) {
                printf("check-mountns: DIFFERENT\n");
        } else {
                printf("check-mountns: IDENTICAL\n");
                fflush(stdout);
                exit(EXIT_HELPER_ERROR);
        }
}

/* ---------------------------------------------------------------- network */

void do_print_ipv4(const char *iface)
{
        struct ifaddrs *ifa = NULL;
        char ip[INET_ADDRSTRLEN] = "";

        if (getifaddrs(&ifa) < 0)
                die("getifaddrs: %s", go_strerror(errno));
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
                if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
                    strcmp(i->ifa_name, iface) == 0) {
                        inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr,
                                  ip, sizeof(ip));
                        break;
                }
        freeifaddrs(ifa);
        if (!ip[0])
                die("No IPv4 found for interface %s:", iface);
        printf("%s IPv4: %s\n", iface, ip);
}

void do_print_iface_count(void)
{
        struct if_nameindex *ni = if_nameindex();
        int n = 0;

        if (!ni)
                die("if_nameindex: %s", go_strerror(errno));
        while (ni[n].if_index != 0)
                n++;
        if_freenameindex(ni);
        printf("Interface count: %d\n", n);
}

/* Default gateway (iface == NULL) or the gateway of iface, from /proc/net/route. */
void do_print_gwv4(const char *iface)
{
        char *buf = NULL, *line, *save = NULL;
        char gw[INET_ADDRSTRLEN] = "";
        const char *op;
        int r = read_all("/proc/net/route", &buf, NULL, &op);

        if (r < 0)
                die("%s /proc/net/route: %s", op, go_strerror(-r));
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[IF_NAMESIZE + 1];
                unsigned dest, gate, flags;
                struct in_addr a;

                if (sscanf(line, "%16s %x %x %x", name, &dest, &gate, &flags) != 4)
                        continue;
                if (!(flags & 0x2) || gate == 0) /* RTF_GATEWAY */
                        continue;
                if (iface ? strcmp(name, iface) != 0 : dest != 0)
                        continue;
                a.s_addr = gate;
                inet_ntop(AF_INET, &a, gw, sizeof(gw));
                break;
        }
        free(buf);
        if (!gw[0])
                die("No default gateway found");
        if (iface)
                printf("%s GWv4: %s\n", iface, gw);
        else
                printf("DefaultGWv4: %s\n", gw);
}

/* "HOST:PORT", ":PORT" or "PORT" -> IPv4 sockaddr ("localhost" is 127.0.0.1). */
union sockaddr_u {
        struct sockaddr sa;
        struct sockaddr_in in;
};

static void parse_addr(const char *s, struct sockaddr_in *sa, const char *dflt_host)
{
        char host[256];
        const char *colon = strrchr(s, ':'), *port;

        if (colon) {
                size_t n = (size_t)(colon - s);

                if (n >= sizeof(host))
                        die("invalid address \"%s\"", s);
                memcpy(host, s, n);
                host[n] = '\0';
                port = colon + 1;
        } else {
                host[0] = '\0';
                port = s;
        }
        if (!host[0])
                snprintf(host, sizeof(host), "%s", dflt_host);
        if (strcmp(host, "localhost") == 0)
                snprintf(host, sizeof(host), "127.0.0.1");
        memset(sa, 0, sizeof(*sa));
        sa->sin_family = AF_INET;
        sa->sin_port = htons((uint16_t)parse_int("port", port));
        if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
                die("invalid address \"%s\": need an IPv4 address", s);
}

void do_serve_http(const char *arg)
{
        char hostname[256] = "", addr[64];
        const char *body = settings.serve_body;
        union sockaddr_u su;
        int one = 1, fd, served = 0;

        parse_addr(arg, &su.in, "0.0.0.0");
        if (!body) {
                (void)gethostname(hostname, sizeof(hostname) - 1);
                body = hostname;
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                die("socket: %s", go_strerror(errno));
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        inet_ntop(AF_INET, &su.in.sin_addr, addr, sizeof(addr));
        if (bind(fd, &su.sa, sizeof(su.in)) < 0 || listen(fd, 16) < 0)
                die("listen tcp %s:%u: %s", addr, ntohs(su.in.sin_port), go_strerror(errno));
        printf("serving on %s:%u\n", addr, ntohs(su.in.sin_port));
        fflush(stdout);
        while (settings.serve_count <= 0 || served < settings.serve_count) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                char req[4096], hdr[256];
                size_t got = 0;
                int c, r;

                r = poll(&p, 1, settings.serve_timeout > 0 ? settings.serve_timeout * 1000 : -1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        die("serve-http: timeout after %ds waiting for a client",
                            settings.serve_timeout);
                c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                /* Read the request head (bounded), then answer whatever was asked. */
                while (got < sizeof(req) - 1) {
                        struct pollfd pc = {.fd = c, .events = POLLIN};
                        ssize_t n;

                        if (poll(&pc, 1, 5000) <= 0)
                                break;
                        n = read(c, req + got, sizeof(req) - 1 - got);
                        if (n <= 0)
                                break;
                        got += (size_t)n;
                        req[got] = '\0';
                        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
                                break;
                }
                snprintf(hdr, sizeof(hdr),
                         "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                         strlen(body));
                write_all_fd(c, hdr, strlen(hdr));
                write_all_fd(c, body, strlen(body));
                close(c);
                served++;
        }
        close(fd);
}

/* Plain-HTTP GET of "http://IPv4[:PORT]/path"; returns the malloc'ed body. */
char *http_get(const char *url)
{
        char host[300], hostport[300], *resp = NULL, *body;
        const char *rest = url, *slash, *path;
        size_t len = 0, cap = 0;
        union sockaddr_u su;
        char req[1024];
        int fd;

        if (strncmp(rest, "http://", 7) == 0)
                rest += 7;
        slash = strchr(rest, '/');
        path = slash ? slash : "/";
        snprintf(hostport, sizeof(hostport), "%.*s",
                 (int)(slash ? (size_t)(slash - rest) : strlen(rest)), rest);
        snprintf(host, sizeof(host), "%s", hostport);
        if (!strchr(hostport, ':'))
                snprintf(hostport + strlen(hostport), sizeof(hostport) - strlen(hostport), ":80");
        parse_addr(hostport, &su.in, "127.0.0.1");
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                die("socket: %s", go_strerror(errno));
        if (connect(fd, &su.sa, sizeof(su.in)) < 0)
                die("Get %s: dial tcp %s: %s", url, hostport, go_strerror(errno));
        snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path,
                 host);
        write_all_fd(fd, req, strlen(req));
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t n;

                if (len + 4096 + 1 > cap) {
                        char *nr;

                        cap = cap ? cap * 2 : 8192;
                        if (cap > (8u << 20))
                                die("Get %s: response too large", url);
                        nr = realloc(resp, cap);
                        if (!nr)
                                die("out of memory");
                        resp = nr;
                }
                if (poll(&p, 1, 30000) <= 0)
                        die("Get %s: timeout", url);
                n = read(fd, resp + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        die("Get %s: read: %s", url, go_strerror(errno));
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        if (!resp)
                die("Get %s: EOF", url);
        resp[len] = '\0';
        body = strstr(resp, "\r\n\r\n");
        body = body ? body + 4 : resp + len;
        body = strdup(body);
        free(resp);
        if (!body)
                die("out of memory");
        return body;
}
