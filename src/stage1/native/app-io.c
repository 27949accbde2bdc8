/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An app's I/O modes and the mux serving its attach endpoints (app-io.h). Runs in: the stage1
 * host side (app_io_start, app_io_stop), the mux it forks (mux_main and below), the app's child
 * of the pod init (app_io_use) and the attach entrypoint (app_io_dir_open).
 */
#include "app-io.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "process-util.h"
#include "socket-util.h"

#define MUX_MAX_CLIENTS 16 /* per endpoint; more connections are refused (closed) */

const char *const app_io_endpoint_names[_APP_IO_EP_N] = {"stdin", "stdout", "stderr", "tty"};
static const char *const stream_names[_APP_IO_N] = {"stdin", "stdout", "stderr"};
static const char *const stream_annotations[_APP_IO_N] = {"coreos.com/rkt/stage2/stdin",
                                                          "coreos.com/rkt/stage2/stdout",
                                                          "coreos.com/rkt/stage2/stderr"};

int app_io_modes(const struct ac_labels *annotations, const char *app, struct app_io *ret,
                 struct rk_error **reterr)
{
        static const char *const names[] = {"null", "log", "stream", "tty"};

        *ret = (struct app_io){.mode = {APP_IO_NULL, APP_IO_LOG, APP_IO_LOG},
                               .app_fd = {-1, -1, -1}};
        for (int s = 0; s < _APP_IO_N; s++) {
                const char *v = ac_labels_get(annotations, stream_annotations[s]);
                bool found = false;

                for (int m = 0; v && m < (int)ELEMENTSOF(names); m++)
                        if (strcmp(v, names[m]) == 0 && !(s == APP_IO_STDIN && m == APP_IO_LOG)) {
                                ret->mode[s] = (enum app_io_mode)m;
                                found = true;
                        }
                if (v && strcmp(v, "interactive") == 0)
                        found = true; /* rkt's mark of --interactive: the pod's terminal */
                if (v && !found)
                        return rk_error_set(reterr, EINVAL, "invalid %s mode \"%s\" for app %s",
                                            stream_names[s], v, app);
        }
        return 0;
}

bool app_io_attachable(const struct app_io *io)
{
        for (int s = 0; s < _APP_IO_N; s++)
                if (io->mode[s] == APP_IO_STREAM || io->mode[s] == APP_IO_TTY)
                        return true;
        return false;
}

int app_io_dir_open(int pod_fd, const char *app)
{
        _cleanup_close_ int top =
                openat(pod_fd, APP_IO_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        int fd;

        if (top < 0)
                return -errno;
        fd = openat(top, app, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077)) {
                safe_close(fd);
                return -EPERM;
        }
        return fd;
}

void app_io_remove(int pod_fd, const char *app)
{
        _cleanup_close_ int top =
                openat(pod_fd, APP_IO_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int dir = app_io_dir_open(pod_fd, app);

        if (top < 0 || dir < 0)
                return;
        for (int e = 0; e < _APP_IO_EP_N; e++) {
                _cleanup_free_ char *file = xasprintf("sock-%s", app_io_endpoint_names[e]);
                (void)unlinkat(dir, file, 0);
        }
        (void)unlinkat(top, app, AT_REMOVEDIR);
}

/* mkdir name 0700 below dirfd (or reuse it, made 0700 root); returns an O_PATH fd or -errno. */
static int private_dir(int dirfd, const char *name)
{
        int fd;

        if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0700) < 0) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        return fd;
}

/* The file of endpoint e in an app's directory of endpoints. */
static char *endpoint_file(enum app_io_endpoint e)
{
        return xasprintf("sock-%s", app_io_endpoint_names[e]);
}

/* The listening socket of endpoint e in dirfd (an older one replaced). Returns it or -errno. */
static int listen_at(int dirfd, enum app_io_endpoint e)
{
        _cleanup_free_ char *file = endpoint_file(e);

        return unix_listen_at(dirfd, file, SOCK_STREAM, 0, 8);
}

int app_io_connect(int dirfd, enum app_io_endpoint e)
{
        _cleanup_free_ char *file = endpoint_file(e);

        return unix_connect_at(dirfd, file, SOCK_STREAM, false);
}

/* --- the mux --- */

static volatile sig_atomic_t mux_stop; /* SIGTERM: the pod ended */

static void mux_on_term(int sig)
{
        mux_stop = 1;
}

struct mux_ep {
        int listen_fd; /* -1: the endpoint does not exist */
        int clients[MUX_MAX_CLIENTS];
        size_t n_clients;
};

struct mux {
        struct mux_ep ep[_APP_IO_EP_N];
        int in_fd;         /* the app's input: pty master or stdin pipe (non-blocking); -1 */
        int in_ep;         /* the endpoint whose clients write to in_fd */
        char in_buf[4096]; /* input the app has not taken yet: its clients wait meanwhile */
        size_t in_len, in_off;
        int out_fd[2]; /* what the app writes: [0] stdout pipe or pty master, [1] stderr */
        int out_ep[2]; /* the endpoint each out_fd goes to */
        bool out_done[2];
        int dirfd;
};

static void client_drop(struct mux_ep *e, size_t i)
{
        safe_close(e->clients[i]);
        e->clients[i] = e->clients[--e->n_clients];
}

static void mux_accept(struct mux_ep *e)
{
        int c = accept4(e->listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (c < 0)
                return;
        if (e->n_clients == MUX_MAX_CLIENTS) {
                safe_close(c);
                return;
        }
        e->clients[e->n_clients++] = c;
}

/* Copies one read of the app's output k to every client of its endpoint. */
static void mux_output(struct mux *m, int k)
{
        struct mux_ep *e = &m->ep[m->out_ep[k]];
        char buf[16384];
        ssize_t n = read(m->out_fd[k], buf, sizeof(buf));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) { /* EOF, or EIO from a pty master whose slave is gone */
                m->out_done[k] = true;
                while (e->n_clients > 0)
                        client_drop(e, 0);
                return;
        }
        for (size_t i = 0; i < e->n_clients;) {
                if (send(e->clients[i], buf, (size_t)n, MSG_NOSIGNAL) != n)
                        client_drop(e, i);
                else
                        i++;
        }
}

/*
 * Gives the app what waits in m->in_buf, as much as it takes now (an app that never reads
 * its input holds up nothing but its own input); false when it cannot take input any more.
 */
static bool mux_flush_input(struct mux *m)
{
        while (m->in_off < m->in_len) {
                ssize_t w = write(m->in_fd, m->in_buf + m->in_off, m->in_len - m->in_off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        return true;
                if (w <= 0) {
                        m->in_len = m->in_off = 0;
                        return false;
                }
                m->in_off += (size_t)w;
        }
        m->in_len = m->in_off = 0;
        return true;
}

/* What a client of endpoint e sent: the app's input if e is its input endpoint (else it is
 * dropped); false when the client is gone or the app takes no input any more. */
static bool mux_input(struct mux *m, int e, int fd)
{
        bool input = m->in_fd >= 0 && e == m->in_ep;
        char *buf = input ? m->in_buf : (char[4096]){0};
        ssize_t n = read(fd, buf, 4096);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        if (!input)
                return true;
        m->in_len = (size_t)n;
        m->in_off = 0;
        return mux_flush_input(m);
}

static bool mux_finished(const struct mux *m)
{
        bool any = false;

        for (int k = 0; k < 2; k++)
                if (m->out_fd[k] >= 0) {
                        any = true;
                        if (!m->out_done[k])
                                return false;
                }
        return any; /* an app with only an input endpoint: until stopped */
}

#define OWNER_IN (-10) /* the pollfd of in_fd, while input waits for the app */

/*
 * The pollfd set: listeners, clients (their input; not the input endpoint's while the app has
 * not taken the last), the outputs (read only with clients), in_fd while input waits.
 */
static size_t mux_pollfds(struct mux *m, struct pollfd *pf, int *owner)
{
        size_t n = 0;

        if (m->in_len > 0) {
                owner[n] = OWNER_IN;
                pf[n++] = (struct pollfd){m->in_fd, POLLOUT, 0};
        }
        for (int k = 0; k < 2; k++)
                if (m->out_fd[k] >= 0 && !m->out_done[k]) {
                        bool want = m->ep[m->out_ep[k]].n_clients > 0;
                        owner[n] = -1 - k;
                        pf[n++] = (struct pollfd){m->out_fd[k], want ? POLLIN : 0, 0};
                }
        for (int e = 0; e < _APP_IO_EP_N; e++) {
                if (m->ep[e].listen_fd < 0)
                        continue;
                owner[n] = e * 100;
                pf[n++] = (struct pollfd){m->ep[e].listen_fd, POLLIN, 0};
                short events = m->in_len > 0 && e == m->in_ep ? 0 : POLLIN;
                for (size_t i = 0; i < m->ep[e].n_clients; i++) {
                        owner[n] = e * 100 + 1 + (int)i;
                        pf[n++] = (struct pollfd){m->ep[e].clients[i], events, 0};
                }
        }
        return n;
}

static void mux_loop(struct mux *m)
{
        struct pollfd pf[3 + _APP_IO_EP_N * (MUX_MAX_CLIENTS + 1)];
        int owner[ELEMENTSOF(pf)];
        sigset_t term, open_mask;

        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        for (;;) {
                /* SIGTERM blocked from the check of mux_stop until ppoll() waits (else one
                 * coming in between would leave it waiting), unblocked while we work (it
                 * interrupts a send to a client that does not read) */
                sigprocmask(SIG_BLOCK, &term, &open_mask);
                if (mux_stop || mux_finished(m))
                        return;
                size_t n = mux_pollfds(m, pf, owner);
                int r = ppoll(pf, n, NULL, &open_mask);
                sigprocmask(SIG_SETMASK, &open_mask, NULL);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                if (n > 0 && owner[0] == OWNER_IN && pf[0].revents)
                        (void)mux_flush_input(m); /* the app took input: before clients */
                /* clients first (from the last: dropping one moves the last into its slot) */
                for (size_t j = n; j-- > 0;) {
                        if (!pf[j].revents || owner[j] < 0)
                                continue;
                        struct mux_ep *e = &m->ep[owner[j] / 100];
                        int i = owner[j] % 100;
                        if (i == 0)
                                mux_accept(e);
                        else if (!(pf[j].revents & POLLIN) ||
                                 !mux_input(m, owner[j] / 100, pf[j].fd))
                                client_drop(e, (size_t)i - 1);
                }
                for (size_t j = 0; j < n; j++)
                        if (owner[j] < 0 && owner[j] != OWNER_IN && pf[j].revents) {
                                int k = -1 - owner[j];
                                if (pf[j].revents & POLLIN)
                                        mux_output(m, k);
                                else /* hung up with nobody attached: nothing to keep */
                                        m->out_done[k] = true;
                        }
        }
}

/* Runs in: the mux, first thing: no capability, no new privileges, not dumpable. */
static void mux_drop_privileges(void)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2] = {{0}};

        (void)prctl(PR_SET_NAME, "rkt-attach-mux", 0, 0, 0);
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (syscall(SYS_capset, &hdr, data) < 0)
                fprintf(stderr, "stage1: dropping the attach mux's capabilities: %m\n");
}

/* Runs in: the mux (forked by app_io_start()). Never returns. */
_noreturn_ static void mux_main(struct mux *m)
{
        int keep[3 + 3 + _APP_IO_EP_N];
        size_t n = 0;
        struct sigaction sa = {.sa_handler = mux_on_term};

        keep[n++] = STDERR_FILENO;
        keep[n++] = m->dirfd;
        if (m->in_fd >= 0)
                keep[n++] = m->in_fd;
        for (int k = 0; k < 2; k++)
                if (m->out_fd[k] >= 0)
                        keep[n++] = m->out_fd[k];
        for (int e = 0; e < _APP_IO_EP_N; e++)
                if (m->ep[e].listen_fd >= 0)
                        keep[n++] = m->ep[e].listen_fd;
        close_all_fds_except(keep, n);
        if (m->in_fd >= 0) /* mux_flush_input(); a pty master's outputs share the flag */
                (void)fcntl(m->in_fd, F_SETFL, fcntl(m->in_fd, F_GETFL) | O_NONBLOCK);
        mux_drop_privileges();
        (void)signals_reset_all();
        sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: poll() returns */
        signal(SIGPIPE, SIG_IGN);
        if (!mux_stop)
                mux_loop(m);
        for (int e = 0; e < _APP_IO_EP_N; e++)
                if (m->ep[e].listen_fd >= 0) {
                        _cleanup_free_ char *file = xasprintf("sock-%s", app_io_endpoint_names[e]);
                        (void)unlinkat(m->dirfd, file, 0);
                }
        _exit(0);
}

/* --- the host side --- */

struct app_io_pending {
        struct mux m;
        int slave;
};

static void pending_close(struct app_io_pending *s)
{
        safe_close(s->m.in_fd);
        if (s->m.out_fd[1] != s->m.out_fd[0])
                safe_close(s->m.out_fd[1]);
        safe_close(s->m.out_fd[0]);
        for (int e = 0; e < _APP_IO_EP_N; e++)
                safe_close(s->m.ep[e].listen_fd);
        safe_close(s->m.dirfd);
        safe_close(s->slave);
}

/* A pty whose slave the app gets (80x24 until someone resizes it). */
static int open_pty(struct app_io_pending *s)
{
        struct winsize ws = {.ws_row = 24, .ws_col = 80};
        char name[64];
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

        if (master < 0)
                return -errno;
        if (grantpt(master) < 0 || unlockpt(master) < 0 ||
            ptsname_r(master, name, sizeof(name)) != 0 ||
            (s->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
                int r = -errno;
                safe_close(master);
                return r;
        }
        (void)ioctl(master, TIOCSWINSZ, &ws);
        return master;
}

/* The pty and pipes of io: the mux's ends in s->m, the app's in io->app_fd. */
static int make_ends(struct app_io *io, struct app_io_pending *s)
{
        int master = -1;

        if (io->mode[0] == APP_IO_TTY || io->mode[1] == APP_IO_TTY || io->mode[2] == APP_IO_TTY) {
                master = open_pty(s);
                if (master < 0)
                        return master;
                io->tty = true;
        }
        for (int st = 0; st < _APP_IO_N; st++) {
                int p[2], fd;
                if (io->mode[st] == APP_IO_TTY) {
                        fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
                        io->app_fd[st] = fcntl(s->slave, F_DUPFD_CLOEXEC, 3);
                        if (fd < 0 || io->app_fd[st] < 0)
                                return -errno;
                } else if (io->mode[st] == APP_IO_STREAM) {
                        if (pipe2(p, O_CLOEXEC) < 0)
                                return -errno;
                        fd = st == 0 ? p[1] : p[0];
                        io->app_fd[st] = st == 0 ? p[0] : p[1];
                } else {
                        if (io->mode[st] == APP_IO_NULL && st > 0 &&
                            (io->app_fd[st] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
                                return -errno;
                        continue;
                }
                if (st == 0) {
                        s->m.in_fd = fd;
                        s->m.in_ep = io->mode[st] == APP_IO_TTY ? APP_IO_EP_TTY : APP_IO_EP_STDIN;
                } else {
                        s->m.out_fd[st - 1] = fd;
                        s->m.out_ep[st - 1] = io->mode[st] == APP_IO_TTY ? APP_IO_EP_TTY : st;
                }
        }
        safe_close(master);
        /* a tty for both outputs: one reader of the master is enough */
        if (io->mode[1] == APP_IO_TTY && io->mode[2] == APP_IO_TTY)
                s->m.out_fd[1] = safe_close(s->m.out_fd[1]);
        return 0;
}

static int make_listeners(const struct app_io *io, struct app_io_pending *s)
{
        for (int st = 0; st < _APP_IO_N; st++) {
                int e = io->mode[st] == APP_IO_TTY ? APP_IO_EP_TTY : st;
                if (io->mode[st] != APP_IO_TTY && io->mode[st] != APP_IO_STREAM)
                        continue;
                if (s->m.ep[e].listen_fd >= 0)
                        continue;
                s->m.ep[e].listen_fd = listen_at(s->m.dirfd, (enum app_io_endpoint)e);
                if (s->m.ep[e].listen_fd < 0)
                        return s->m.ep[e].listen_fd;
        }
        return 0;
}

static int open_app_dir(const char *pod_dir, const char *app)
{
        _cleanup_close_ int podfd = open(pod_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int top = -EBADF;

        if (podfd < 0)
                return -errno;
        top = private_dir(podfd, APP_IO_DIR);
        if (top < 0)
                return top;
        return private_dir(top, app);
}

int app_io_prepare(const char *pod_dir, const char *app, struct app_io *io,
                   struct rk_error **reterr)
{
        struct app_io_pending *s = xnew0(struct app_io_pending, 1);
        int r = 0;

        *s = (struct app_io_pending){
                .m = {.in_fd = -1, .in_ep = -1, .out_fd = {-1, -1}, .dirfd = -1}, .slave = -1};
        for (int e = 0; e < _APP_IO_EP_N; e++)
                s->m.ep[e].listen_fd = -1;
        if (!app_io_attachable(io)) {
                r = make_ends(io, s);
                free(s);
                if (r < 0) {
                        app_io_close_app_fds(io);
                        return rk_error_set_errno(reterr, -r, "opening /dev/null for app %s", app);
                }
                return 0;
        }
        s->m.dirfd = open_app_dir(pod_dir, app);
        if (s->m.dirfd < 0)
                r = s->m.dirfd;
        if (r >= 0)
                r = make_ends(io, s);
        if (r >= 0)
                r = make_listeners(io, s);
        s->slave = safe_close(s->slave); /* the app's ends are copies */
        if (r < 0) {
                pending_close(s);
                free(s);
                app_io_close_app_fds(io);
                return rk_error_set_errno(reterr, -r, "setting up the I/O of app %s", app);
        }
        io->pending = s;
        return 0;
}

int app_io_fork_mux(struct app_io *io)
{
        int r;

        if (!io->pending)
                return 0;
        fflush(NULL);
        r = safe_fork("attach-mux", FORK_DEATHSIG_SIGKILL, &io->mux);
        if (r == 0)
                mux_main(&io->pending->m);
        pending_close(io->pending);
        free(TAKE_PTR(io->pending));
        return r < 0 ? r : 0;
}

int app_io_start(const char *pod_dir, const char *app, struct app_io *io, struct rk_error **reterr)
{
        int r = app_io_prepare(pod_dir, app, io, reterr);

        if (r < 0)
                return r;
        r = app_io_fork_mux(io);
        if (r < 0) {
                app_io_close_app_fds(io);
                return rk_error_set_errno(reterr, -r, "setting up the I/O of app %s", app);
        }
        return 0;
}

static void push_fd(int fds[static APP_IO_MAX_FDS], size_t *n, int fd)
{
        if (fd >= 0 && *n < APP_IO_MAX_FDS)
                fds[(*n)++] = fd;
}

size_t app_io_fds(const struct app_io *io, int fds[static APP_IO_MAX_FDS])
{
        const struct app_io_pending *s = io->pending;
        size_t n = 0;

        for (int i = 0; i < _APP_IO_N; i++)
                push_fd(fds, &n, io->app_fd[i]);
        if (!s)
                return n;
        push_fd(fds, &n, s->m.in_fd);
        push_fd(fds, &n, s->m.out_fd[0]);
        push_fd(fds, &n, s->m.out_fd[1]);
        push_fd(fds, &n, s->m.dirfd);
        for (int e = 0; e < _APP_IO_EP_N; e++)
                push_fd(fds, &n, s->m.ep[e].listen_fd);
        return n;
}

int app_io_ctty(const struct app_io *io)
{
        for (int i = 0; io->tty && i < _APP_IO_N; i++)
                if (io->mode[i] == APP_IO_TTY)
                        return i;
        return -1;
}

void app_io_use(const struct app_io *io, bool ctty)
{
        int t = app_io_ctty(io);

        for (int i = 0; i < _APP_IO_N; i++)
                if (io->app_fd[i] >= 0)
                        (void)dup2(io->app_fd[i], i);
        if (ctty && t >= 0)
                (void)ioctl(t, TIOCSCTTY, 0);
}

void app_io_close_app_fds(struct app_io *io)
{
        for (int i = 0; i < _APP_IO_N; i++)
                io->app_fd[i] = safe_close(io->app_fd[i]);
}

void app_io_stop(struct app_io *io)
{
        kill_and_wait(&io->mux, SIGTERM);
}

void app_io_finish(struct app_io *io, int timeout_ms)
{
        _cleanup_close_ int pidfd = io->mux > 0 ? pidfd_open_pid(io->mux) : -EBADF;
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

        if (pidfd >= 0)
                while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
                        ;
        app_io_stop(io);
}

void app_io_discard(struct app_io *io)
{
        if (io->pending) {
                pending_close(io->pending);
                free(TAKE_PTR(io->pending));
        }
        app_io_close_app_fds(io);
}
