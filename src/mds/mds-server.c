/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The metadata service's sockets and event loop: two libmicrohttpd daemons (registration on
 * a unix socket, public API on TCP), each in external-epoll mode, driven by one poll() loop
 * together with a signalfd for SIGINT/SIGTERM. One thread: the registry needs no locks.
 * Bounds: connection counts and idle timeouts per listener, connections per client address
 * (one address holding half-sent requests cannot starve the pods), a deadline to receive a
 * whole request (a client trickling its headers a byte at a time is cut off), request bodies
 * (413 beyond), header sizes (libmicrohttpd's per-connection memory limit). Each request is
 * logged on stderr ("<method> <uri> - <status>") with its control characters escaped.
 * Runs in: rkt metadata-service.
 */
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "dlopen-util.h"
#include "escape.h"
#include "fs-util.h"
#include "mds.h"
#include "parse-util.h"
#include "strbuf.h"

/* libmicrohttpd, opened by mhd_load() when the service starts (dlopen-util.h). */
static typeof(MHD_create_response_from_buffer) *sym_MHD_create_response_from_buffer;
static typeof(MHD_add_response_header) *sym_MHD_add_response_header;
static typeof(MHD_queue_response) *sym_MHD_queue_response;
static typeof(MHD_destroy_response) *sym_MHD_destroy_response;
static typeof(MHD_lookup_connection_value) *sym_MHD_lookup_connection_value;
static typeof(MHD_get_connection_info) *sym_MHD_get_connection_info;
static typeof(MHD_start_daemon) *sym_MHD_start_daemon;
static typeof(MHD_get_daemon_info) *sym_MHD_get_daemon_info;
static typeof(MHD_get_timeout) *sym_MHD_get_timeout;
static typeof(MHD_run) *sym_MHD_run;
static typeof(MHD_stop_daemon) *sym_MHD_stop_daemon;
#define MHD_create_response_from_buffer sym_MHD_create_response_from_buffer
#define MHD_add_response_header         sym_MHD_add_response_header
#define MHD_queue_response              sym_MHD_queue_response
#define MHD_destroy_response            sym_MHD_destroy_response
#define MHD_lookup_connection_value     sym_MHD_lookup_connection_value
#define MHD_get_connection_info         sym_MHD_get_connection_info
#define MHD_start_daemon                sym_MHD_start_daemon
#define MHD_get_daemon_info             sym_MHD_get_daemon_info
#define MHD_get_timeout                 sym_MHD_get_timeout
#define MHD_run                         sym_MHD_run
#define MHD_stop_daemon                 sym_MHD_stop_daemon

static int mhd_load(struct rk_error **reterr)
{
        static void *handle;
        static const struct dl_sym syms[] = {
                DL_SYM(MHD_create_response_from_buffer),
                DL_SYM(MHD_add_response_header),
                DL_SYM(MHD_queue_response),
                DL_SYM(MHD_destroy_response),
                DL_SYM(MHD_lookup_connection_value),
                DL_SYM(MHD_get_connection_info),
                DL_SYM(MHD_start_daemon),
                DL_SYM(MHD_get_daemon_info),
                DL_SYM(MHD_get_timeout),
                DL_SYM(MHD_run),
                DL_SYM(MHD_stop_daemon),
        };

        return dlopen_syms(&handle, "libmicrohttpd.so.12",
                           "libmicrohttpd (package libmicrohttpd12)", syms, ELEMENTSOF(syms),
                           reterr);
}

#define PUBLIC_MAX_CONNECTIONS 1000
#define PUBLIC_PER_ADDRESS     16
#define PUBLIC_IDLE_TIMEOUT_S  5
#define REG_MAX_CONNECTIONS    64
#define REG_IDLE_TIMEOUT_S     10
#define REQUEST_DEADLINE_S     10
#define DRAIN_FACTOR           4

/* One accepted socket: the deadline of the request it is receiving, if any. */
struct peer {
        int fd;
        bool receiving;   /* a request (headers or body) is still arriving */
        int64_t deadline; /* CLOCK_MONOTONIC ns */
        struct peer *prev, *next;
};

struct listener {
        struct mds_registry *reg;
        bool registration;
        size_t max_body;
        struct peer *peers; /* every open connection */
};

static int64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void peer_expect_request(struct peer *p)
{
        p->receiving = true;
        p->deadline = monotonic_ns() + (int64_t)REQUEST_DEADLINE_S * 1000000000;
}

static struct peer *peer_of(struct MHD_Connection *c)
{
        const union MHD_ConnectionInfo *i =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

        return i ? i->socket_context : NULL;
}

/* Tracks each socket from accept to close (MHD_OPTION_NOTIFY_CONNECTION). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode what)
{
        struct listener *l = cls;
        struct peer *p = *socket_context;

        if (what == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *i =
                        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
                p = xnew0(struct peer, 1);
                p->fd = i ? i->connect_fd : -1;
                peer_expect_request(p);
                p->next = l->peers;
                if (l->peers)
                        l->peers->prev = p;
                l->peers = p;
                *socket_context = p;
                return;
        }
        if (!p)
                return;
        if (p->prev)
                p->prev->next = p->next;
        else
                l->peers = p->next;
        if (p->next)
                p->next->prev = p->prev;
        free(p);
        *socket_context = NULL;
}

/*
 * Cuts off every connection whose request did not arrive in time: shutdown() makes
 * libmicrohttpd see the end of the stream and close the socket it owns.
 */
static void peers_expire(struct listener *l)
{
        int64_t now = monotonic_ns();

        for (struct peer *p = l->peers; p; p = p->next)
                if (p->receiving && p->fd >= 0 && now >= p->deadline) {
                        (void)shutdown(p->fd, SHUT_RDWR);
                        p->receiving = false;
                }
}

/* Per request: the raw URI (for the log line) and the body read so far. */
struct conn {
        char *uri;
        struct strbuf body;
        size_t seen; /* body bytes received */
        bool started;
};

static void *conn_new(void *cls, const char *uri, struct MHD_Connection *c)
{
        struct conn *cs = xnew0(struct conn, 1);

        cs->uri = xstrdup(uri ?: "");
        cs->body = (struct strbuf)STRBUF_INIT;
        return cs;
}

static void conn_free(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode why)
{
        struct conn *cs = *con_cls;
        struct peer *p = peer_of(c);

        if (p)
                peer_expect_request(p); /* the next request on a kept-alive connection */
        if (!cs)
                return;
        strbuf_release(&cs->body);
        free(cs->uri);
        free(cs);
        *con_cls = NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, struct conn *cs, const char *method,
                             struct mds_response *r)
{
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_COPY);
        _cleanup_free_ char *m = escape_nonprint(method, NULL),
                            *uri = escape_nonprint(cs->uri, NULL);
        enum MHD_Result ret;

        if (!resp)
                return MHD_NO;
        if (r->content_type)
                (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
        ret = MHD_queue_response(c, r->status, resp);
        MHD_destroy_response(resp);
        /* the request line is an app's: its control characters are printed escaped */
        fprintf(stderr, "%s %s - %u\n", m, uri, r->status);
        mds_response_done(r);
        return ret;
}

/* The declared Content-Length, 0 when absent or unreadable. */
static uint64_t content_length(struct MHD_Connection *c)
{
        const char *v =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t n = 0;

        if (v && safe_atou64(v, &n) < 0)
                n = 0;
        return n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        const struct listener *l = cls;
        struct conn *cs = *con_cls;
        struct mds_response r = {0};
        struct peer *p = peer_of(c);

        if (!cs->started) {
                cs->started = true;
                if (content_length(c) <= l->max_body)
                        return MHD_YES;
                mds_respond_text(&r, 413, "request body too large\n");
                return reply(c, cs, method, &r);
        }
        /*
         * A body without a Content-Length that outgrows the limit is drained and answered
         * with 413 at its end (libmicrohttpd 0.9.75 cannot answer in the middle of an
         * upload), or the connection is dropped once it sends far more than the limit.
         */
        if (*upload_data_size > 0) {
                cs->seen += *upload_data_size;
                if (cs->seen > DRAIN_FACTOR * l->max_body)
                        return MHD_NO;
                if (cs->seen <= l->max_body)
                        strbuf_add(&cs->body, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (p)
                p->receiving = false; /* the whole request is in */
        if (cs->seen > l->max_body) {
                mds_respond_text(&r, 413, "request body too large\n");
                return reply(c, cs, method, &r);
        }
        struct mds_request rq = {
                .method = method,
                .path = url,
                .token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token"),
                .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                            MHD_HTTP_HEADER_CONTENT_TYPE),
                .body = strbuf_str(&cs->body),
                .body_len = cs->body.len,
        };
        if (l->registration)
                mds_handle_registration(l->reg, &rq, &r);
        else
                mds_handle_public(l->reg, &rq, &r);
        return reply(c, cs, method, &r);
}

/* per_address: connections one client address may hold (0: no limit, for the unix socket). */
static struct MHD_Daemon *daemon_start(struct listener *l, int fd, unsigned max_conns,
                                       unsigned per_address, unsigned timeout)
{
        return MHD_start_daemon(
                MHD_USE_EPOLL, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET, fd,
                MHD_OPTION_URI_LOG_CALLBACK, conn_new, NULL, MHD_OPTION_NOTIFY_COMPLETED, conn_free,
                NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, l, MHD_OPTION_CONNECTION_LIMIT,
                max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_address,
                MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_END);
}

static int tcp_listen(unsigned port, int *ret, struct rk_error **reterr)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
        } addr = {.in = {.sin_family = AF_INET,
                         .sin_port = htons((uint16_t)port),
                         .sin_addr.s_addr = htonl(INADDR_ANY)}};
        int one = 1;

        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return rk_error_set_errno(reterr, errno, "cannot create the TCP listener");
        if (bind(fd, &addr.sa, sizeof(addr.in)) < 0) {
                if (errno == EADDRINUSE)
                        return rk_error_set(reterr, EADDRINUSE,
                                            "cannot listen on TCP port %u: address already in use "
                                            "(is another metadata service running?)",
                                            port);
                return rk_error_set_errno(reterr, errno, "cannot listen on TCP port %u", port);
        }
        if (listen(fd, 128) < 0)
                return rk_error_set_errno(reterr, errno, "cannot listen on TCP port %u", port);
        *ret = TAKE_FD(fd);
        return 0;
}

union unix_addr {
        struct sockaddr sa;
        struct sockaddr_un un;
};

/* Whether a server accepts connections on the unix socket path. */
static bool unix_socket_alive(const union unix_addr *addr)
{
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        return fd >= 0 && connect(fd, &addr->sa, sizeof(addr->un)) == 0;
}

/* Binds the registration socket (0600, its directory 0755), replacing a stale one. */
static int unix_listen(const char *path, int *ret, struct rk_error **reterr)
{
        union unix_addr addr = {.un = {.sun_family = AF_UNIX}};
        _cleanup_free_ char *dir = xstrdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *slash = strrchr(dir, '/');

        if (strlen(path) >= sizeof(addr.un.sun_path))
                return rk_error_set(reterr, ENAMETOOLONG, "socket path %s is too long", path);
        memcpy(addr.un.sun_path, path, strlen(path) + 1);
        if (slash && slash != dir) {
                *slash = '\0';
                int r = mkdir_p_at(AT_FDCWD, dir, 0755);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot create %s", dir);
        }
        if (unix_socket_alive(&addr))
                return rk_error_set(reterr, EADDRINUSE,
                                    "another metadata service is listening on %s", path);
        (void)unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || bind(fd, &addr.sa, sizeof(addr.un)) < 0 || chmod(path, 0600) < 0 ||
            listen(fd, 64) < 0)
                return rk_error_set_errno(reterr, errno, "cannot listen on %s", path);
        *ret = TAKE_FD(fd);
        return 0;
}

/* The registration socket passed by socket activation (fd 3), or -1. */
static int activation_fd(void)
{
        const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
        uint64_t n = 0, p = 0;

        if (!fds || safe_atou64(fds, &n) < 0 || n < 1)
                return -1;
        if (pid && (safe_atou64(pid, &p) < 0 || p != (uint64_t)getpid()))
                return -1;
        (void)fcntl(3, F_SETFD, FD_CLOEXEC);
        return 3;
}

/* Room for the connection limits: the soft RLIMIT_NOFILE raised to the hard one. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static int signal_fd(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Serves until a signal arrives on sigfd (l: the listeners of d, for their deadlines). */
static void serve_loop(struct MHD_Daemon *const d[2], struct listener *const l[2], int sigfd)
{
        struct pollfd pfd[3] = {{.fd = sigfd, .events = POLLIN}};

        for (size_t i = 0; i < 2; i++)
                pfd[i + 1] = (struct pollfd){
                        .fd = MHD_get_daemon_info(d[i], MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd,
                        .events = POLLIN};
        for (;;) {
                int timeout = 1000;
                for (size_t i = 0; i < 2; i++) {
                        MHD_UNSIGNED_LONG_LONG t;
                        if (MHD_get_timeout(d[i], &t) == MHD_YES && t < (unsigned)timeout)
                                timeout = (int)t;
                }
                if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
                        return;
                if (pfd[0].revents & POLLIN)
                        return;
                for (size_t i = 0; i < 2; i++) {
                        peers_expire(l[i]);
                        (void)MHD_run(d[i]);
                }
        }
}

/* Opens both listeners; *ret_unlink tells whether the socket file is ours to remove. */
static int open_listeners(const struct mds_options *o, int fds[2], bool *ret_unlink,
                          struct rk_error **reterr)
{
        int r = tcp_listen(o->port, &fds[1], reterr);

        if (r < 0)
                return r;
        fds[0] = activation_fd();
        *ret_unlink = fds[0] < 0;
        if (fds[0] < 0 && (r = unix_listen(o->reg_socket, &fds[0], reterr)) < 0) {
                fds[1] = safe_close(fds[1]);
                return r;
        }
        return 0;
}

int mds_serve(const struct mds_options *o, struct rk_error **reterr)
{
        _cleanup_(mds_registry_freep) struct mds_registry *reg = NULL;
        _cleanup_close_ int sigfd = signal_fd();
        struct MHD_Daemon *d[2] = {NULL, NULL};
        int fds[2] = {-1, -1}, r;
        bool unlink_socket = false;

        r = mhd_load(reterr);
        if (r < 0)
                return r;
        if (sigfd < 0 || (r = mds_registry_new(&reg)) < 0)
                return rk_error_set_errno(reterr, sigfd < 0 ? errno : -r,
                                          "cannot set up the metadata service");
        raise_fd_limit();
        r = open_listeners(o, fds, &unlink_socket, reterr);
        if (r < 0)
                return r;
        struct listener reg_l = {reg, true, MDS_MAX_MANIFEST, NULL},
                        pub_l = {reg, false, MDS_MAX_FORM_BODY, NULL};
        struct listener *const l[2] = {&reg_l, &pub_l};
        d[0] = daemon_start(&reg_l, fds[0], REG_MAX_CONNECTIONS, 0, REG_IDLE_TIMEOUT_S);
        d[1] = daemon_start(&pub_l, fds[1], PUBLIC_MAX_CONNECTIONS, PUBLIC_PER_ADDRESS,
                            PUBLIC_IDLE_TIMEOUT_S);
        if (d[0] && d[1]) {
                fprintf(stderr, "metadata service running...\n");
                serve_loop(d, l, sigfd);
        } else
                r = rk_error_set(reterr, EIO, "cannot start the HTTP servers");
        for (size_t i = 0; i < 2; i++)
                if (d[i])
                        MHD_stop_daemon(d[i]);
                else
                        safe_close(fds[i]);
        if (unlink_socket)
                (void)unlink(o->reg_socket);
        return r < 0 ? r : 0;
}
