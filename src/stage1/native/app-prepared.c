/* SPDX-License-Identifier: Apache-2.0 */
#include "app-prepared.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "macro.h"
#include "socket-util.h"

#define PREPARED_SOCK "start"

struct prepared_msg {
        char tag[4];                 /* "go" (with the app's two log pipes, or none), "rm" */
        struct prepared_attrs attrs; /* "go": app start's */
};

static void attrs_get(struct prepared_attrs *ret)
{
        long v = 0;

        for (int i = 0; i < RLIM_NLIMITS; i++)
                (void)getrlimit(i, &ret->rlim[i]);
        errno = 0;
        ret->nice = getpriority(PRIO_PROCESS, 0);
        if (errno)
                ret->nice = 0;
        ret->oom_score_adj =
                read_long_at(AT_FDCWD, "/proc/self/oom_score_adj", READ_LONG_STRICT, &v) >= 0
                        ? (int)v
                        : 0;
}

/*
 * What of a process's confinement its children inherit and the helper cannot take on from
 * app start afterwards (it is app add's caller's): no_new_privs, seccomp, capability sets,
 * CPU affinity, umask, user and time namespaces, audit login id, scheduling policy and I/O
 * priority (procfd: the host's /proc). The two must be the same for app start to use it.
 */
static char *confinement(int procfd)
{
        static const char *const keys[] = {
                "NoNewPrivs:", "Seccomp:", "Seccomp_filters:",   "CapInh:", "CapPrm:", "CapEff:",
                "CapBnd:",     "CapAmb:",  "Cpus_allowed_list:", "Umask:",  NULL};
        _cleanup_free_ char *status = NULL, *loginuid = NULL, *out = NULL;
        char user[64] = "", time_ns[64] = "";
        struct sched_param sp = {0};
        char *save = NULL;

        (void)read_file_at(procfd, "self/status", 1 << 16, &status, NULL);
        (void)read_file_at(procfd, "self/loginuid", 64, &loginuid, NULL);
        (void)!readlinkat(procfd, "self/ns/user", user, sizeof(user) - 1);
        (void)!readlinkat(procfd, "self/ns/time", time_ns, sizeof(time_ns) - 1);
        (void)sched_getparam(0, &sp);
        out = xasprintf("%s %s %s %d/%d %ld", user, time_ns, loginuid ?: "", sched_getscheduler(0),
                        sp.sched_priority, syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));
        for (char *l = status ? strtok_r(status, "\n", &save) : NULL; l;
             l = strtok_r(NULL, "\n", &save))
                for (size_t i = 0; keys[i]; i++)
                        if (strncmp(l, keys[i], strlen(keys[i])) == 0) {
                                char *more = xasprintf("%s\n%s", out, l);
                                free(out);
                                out = more;
                        }
        return TAKE_PTR(out);
}

void prepared_attrs_apply(const struct prepared_attrs *a, int procfd)
{
        char buf[16];
        int fd, n;

        for (int i = 0; i < RLIM_NLIMITS; i++)
                (void)setrlimit(i, &a->rlim[i]);
        (void)setpriority(PRIO_PROCESS, 0, a->nice);
        n = snprintf(buf, sizeof(buf), "%d", a->oom_score_adj);
        fd = openat(procfd, "self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd >= 0)
                (void)!write(fd, buf, (size_t)n);
        safe_close(fd);
}

/* P/appsinfo/<app>, reached without following a link. */
static int appsinfo_open(const char *app)
{
        _cleanup_free_ char *rel = xasprintf("appsinfo/%s", app);

        return open_dir_nofollow(AT_FDCWD, rel);
}

int prepared_listen(const char *app)
{
        _cleanup_close_ int dir = appsinfo_open(app);

        if (dir < 0)
                return dir;
        if (mkdirat(dir, "root", 0700) < 0 && errno != EEXIST)
                return -errno;
        return unix_listen_at(dir, PREPARED_SOCK, SOCK_SEQPACKET, 0600, 4);
}

int prepared_recv_go(int conn, int logs[2], struct prepared_attrs *attrs)
{
        struct prepared_msg msg = {0};
        char cbuf[CMSG_SPACE(2 * sizeof(int))];
        struct iovec iov = {&msg, sizeof(msg)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = cbuf,
                            .msg_controllen = sizeof(cbuf)};
        ssize_t n;

        logs[0] = logs[1] = -1;
        while ((n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        int got[2] = {-1, -1};
                        memcpy(got, CMSG_DATA(c), MIN(k, (size_t)2) * sizeof(int));
                        if (k == 2 && logs[0] < 0) {
                                logs[0] = got[0];
                                logs[1] = got[1];
                        } else {
                                safe_close(got[0]);
                                safe_close(got[1]);
                        }
                }
        if (n == (ssize_t)sizeof(msg) && !(mh.msg_flags & MSG_CTRUNC) &&
            memcmp(msg.tag, "go", 3) == 0) {
                *attrs = msg.attrs;
                return 1;
        }
        logs[0] = safe_close(logs[0]);
        logs[1] = safe_close(logs[1]);
        return 0;
}

int prepared_accept(int listen_fd, int pod_fd, int procfd)
{
        _cleanup_free_ char *taken = NULL;

        for (;;) {
                struct pollfd pfd[] = {{.fd = listen_fd, .events = POLLIN},
                                       {.fd = pod_fd, .events = POLLIN}};
                struct ucred uc = {.uid = (uid_t)-1};
                socklen_t len = sizeof(uc);
                int conn;

                if (poll(pfd, ELEMENTSOF(pfd), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -ECANCELED;
                }
                if (pfd[1].revents || (pfd[0].revents & ~POLLIN))
                        return -ECANCELED;
                if (!pfd[0].revents)
                        continue;
                conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN))
                        continue;
                if (conn < 0)
                        return -ECANCELED;
                /* root's alone: the socket is 0600 in a directory only root writes. Its
                 * file went at the connect: this is the last connection that can come */
                if (!taken) {
                        _cleanup_free_ char *c = confinement(procfd);
                        taken = xasprintf("a%s", c);
                }
                if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || uc.uid != 0 ||
                    send(conn, taken, strlen(taken), MSG_NOSIGNAL) != (ssize_t)strlen(taken)) {
                        safe_close(conn);
                        return -ECANCELED;
                }
                return conn;
        }
}

int prepared_connect(const char *app)
{
        _cleanup_close_ int dir = appsinfo_open(app);
        int fd;

        if (dir < 0)
                return dir;
        if (faccessat(dir, PREPARED_SOCK, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        fd = unix_connect_at(dir, PREPARED_SOCK, SOCK_SEQPACKET, true);
        (void)unlinkat(dir, PREPARED_SOCK, 0);
        return fd;
}

int prepared_taken(int conn)
{
        _cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *mine = confinement(procfd);
        char buf[8192];
        ssize_t n;

        while ((n = recv(conn, buf, sizeof(buf) - 1, 0)) < 0 && errno == EINTR)
                ;
        if (n <= 0 || buf[0] != 'a')
                return -ECONNRESET;
        buf[n] = 0;
        /* confined otherwise than app add's caller: ours is the app's (end of file to it) */
        return strcmp(buf + 1, mine) == 0 ? 0 : -ECONNRESET;
}

int prepared_send_go(int conn, const struct app_logs *l)
{
        struct prepared_msg msg = {.tag = "go"};
        char cbuf[CMSG_SPACE(2 * sizeof(int))] = {0};
        struct iovec iov = {&msg, sizeof(msg)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        size_t n;
        const int *fds = app_logs_writer_fds(l, &n);

        attrs_get(&msg.attrs);
        if (n == 2) {
                mh.msg_control = cbuf;
                mh.msg_controllen = sizeof(cbuf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(2 * sizeof(int));
                memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
        }
        return sendmsg(conn, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(msg) ? 0 : -EPIPE;
}

void prepared_stop(const char *app, int timeout_ms)
{
        _cleanup_close_ int fd = prepared_connect(app);
        struct prepared_msg msg = {.tag = "rm"};
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char buf[4096];

        if (fd < 0)
                return;
        (void)send(fd, &msg, sizeof(msg), MSG_NOSIGNAL);
        /* one still preparing reads it when done; one that failed says why first */
        while (poll(&pfd, 1, timeout_ms) > 0 && read(fd, buf, sizeof(buf)) > 0)
                ;
}
