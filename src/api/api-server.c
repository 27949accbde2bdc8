/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gRPC server of the API service on gRPC core's completion-queue API.
 *
 * Threads: the main thread accepts connections on the listening sockets (its own, or those of
 * socket activation: gRPC core 1.51 adopts only connected descriptors) and hands each to
 * gRPC (grpc_server_add_channel_from_fd()); it also waits for SIGINT/SIGTERM on a signalfd.
 * Each worker thread owns one completion queue, keeps one call requested per method on it and
 * runs the calls it gets from start to end, so a call's state is touched by one thread only.
 * A streaming call whose next response is not there yet (GetLogs --follow) waits on its
 * worker's list and is polled at each tick.
 *
 * A call's life: requested -> (request arrives) a RECV_CLOSE_ON_SERVER batch tells when the
 * client is gone -> the handler's response or status in one batch (unary), or one
 * SEND_MESSAGE batch at a time then the status (streaming) -> freed when no batch is in
 * flight any more.
 *
 * Runs in: rkt api-service.
 */
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api-grpc.h"
#include "api-private.h"
#include "log.h"
#include "store.h"

#define WORKERS_MIN            2
#define WORKERS_MAX            8
#define TICK_MS                200
#define MAX_RECEIVE_MESSAGE    (1 << 20)
#define MAX_STREAMS_PER_CONN   64
#define MAX_CONNECTION_IDLE_MS (10 * 60 * 1000)
#define ACCEPT_BACKOFF_MS      100

struct api_method {
        const char *name;
        api_unary_fn unary;
        const struct api_stream_ops *stream;
        const ProtobufCMessageDescriptor *input;
        void *handle; /* grpc_server_register_method() */
};

static struct api_method methods[] = {
        {"GetInfo", api_get_info, NULL},           {"ListPods", api_list_pods, NULL},
        {"InspectPod", api_inspect_pod, NULL},     {"ListImages", api_list_images, NULL},
        {"InspectImage", api_inspect_image, NULL}, {"ListenEvents", NULL, &api_listen_events_ops},
        {"GetLogs", NULL, &api_get_logs_ops},
};

struct server;
struct worker;

enum tag_kind { TAG_REQUEST, TAG_SEND, TAG_CLOSE, TAG_FINISH };

struct call;

struct tag {
        struct call *call;
        enum tag_kind kind;
};

struct call {
        struct worker *w;
        struct api_method *m; /* NULL: a method the service does not have */
        grpc_call *call;
        gpr_timespec deadline;
        grpc_metadata_array md;
        grpc_call_details details; /* unknown methods only */
        grpc_byte_buffer *payload;
        struct tag t_request, t_send, t_close, t_finish;
        unsigned pending;  /* batches in flight */
        bool sent_md;      /* initial metadata sent */
        bool sending;      /* a SEND_MESSAGE batch is in flight */
        bool finishing;    /* the status batch was started */
        bool closed;       /* RECV_CLOSE_ON_SERVER completed: the call is over for the client */
        int cancelled;     /* its result */
        grpc_slice status; /* the status details sent */
        bool has_status;
        void *state; /* a stream's */
        bool waiting;
        struct call *wprev, *wnext;
};

struct worker {
        struct server *srv;
        grpc_completion_queue *cq;
        pthread_t thread;
        bool started;
        struct api_ctx ctx;
        struct call *waiting; /* streams polled at each tick */
        int64_t next_tick;
};

struct server {
        grpc_server *grpc;
        grpc_server_credentials *creds;
        grpc_completion_queue *shutdown_cq;
        struct worker *workers;
        size_t n_workers;
        atomic_bool stopping;
        int *listen_fds;
        size_t n_listen;
        int sigfd;
};

static int64_t monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static gpr_timespec timespan_ms(int64_t ms)
{
        return (gpr_timespec){ms / 1000, (int32_t)(ms % 1000) * 1000000, GPR_TIMESPAN};
}

static gpr_timespec infinite(void)
{
        return (gpr_timespec){INT64_MAX, 0, GPR_CLOCK_REALTIME};
}

/* --- calls --- */

static void call_request(struct worker *w, struct api_method *m);

static void call_free(struct call *c)
{
        if (c->state && c->m && c->m->stream)
                c->m->stream->close(c->state);
        if (c->call)
                grpc_call_unref(c->call);
        grpc_metadata_array_destroy(&c->md);
        if (!c->m)
                grpc_call_details_destroy(&c->details);
        if (c->payload)
                grpc_byte_buffer_destroy(c->payload);
        if (c->has_status)
                grpc_slice_unref(c->status);
        free(c);
}

static void call_unwait(struct call *c)
{
        if (!c->waiting)
                return;
        if (c->wprev)
                c->wprev->wnext = c->wnext;
        else
                c->w->waiting = c->wnext;
        if (c->wnext)
                c->wnext->wprev = c->wprev;
        c->wprev = c->wnext = NULL;
        c->waiting = false;
}

static void call_wait(struct call *c)
{
        if (c->waiting)
                return;
        c->wprev = NULL;
        c->wnext = c->w->waiting;
        if (c->wnext)
                c->wnext->wprev = c;
        c->w->waiting = c;
        c->waiting = true;
}

/* Frees c once nothing of it is in flight and it is over (status sent or client gone). */
static void call_maybe_free(struct call *c)
{
        if (c->pending > 0 || !(c->finishing || c->closed))
                return;
        call_unwait(c);
        call_free(c);
}

static bool call_batch(struct call *c, const grpc_op *ops, size_t n, struct tag *t)
{
        grpc_call_error e = grpc_call_start_batch(c->call, ops, n, t, NULL);

        if (e != GRPC_CALL_OK) {
                log_debug("grpc_call_start_batch: error %d", (int)e);
                return false;
        }
        c->pending++;
        return true;
}

/* The packed message as a byte buffer (NULL when it cannot be packed). */
static grpc_byte_buffer *pack_message(const ProtobufCMessage *msg)
{
        size_t len = protobuf_c_message_get_packed_size(msg);
        uint8_t *buf = oom_check(malloc(len ? len : 1));
        grpc_slice s;
        grpc_byte_buffer *bb;

        protobuf_c_message_pack(msg, buf);
        s = grpc_slice_new(buf, len, free);
        bb = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        return bb;
}

static void add_initial_metadata(struct call *c, grpc_op *ops, size_t *n)
{
        if (c->sent_md)
                return;
        ops[(*n)++] = (grpc_op){.op = GRPC_OP_SEND_INITIAL_METADATA};
        c->sent_md = true;
}

/* Ends c: resp (NULL: none) and the status (code, message) in one batch. */
static void call_finish(struct call *c, grpc_status_code code, const char *message,
                        const ProtobufCMessage *resp)
{
        grpc_byte_buffer *bb = resp ? pack_message(resp) : NULL;
        grpc_op ops[3];
        size_t n = 0;

        call_unwait(c);
        c->finishing = true;
        add_initial_metadata(c, ops, &n);
        if (bb)
                ops[n++] = (grpc_op){.op = GRPC_OP_SEND_MESSAGE, .data.send_message = {bb}};
        c->status = grpc_slice_from_copied_string(message ? message : "");
        c->has_status = true;
        ops[n++] = (grpc_op){
                .op = GRPC_OP_SEND_STATUS_FROM_SERVER,
                .data.send_status_from_server = {.status = code, .status_details = &c->status}};
        (void)call_batch(c, ops, n, &c->t_finish);
        if (bb)
                grpc_byte_buffer_destroy(bb); /* the batch holds its own reference */
}

static void call_fail(struct call *c, struct rk_error *e)
{
        _cleanup_free_ char *msg = rk_error_render(e, false);

        call_finish(c, api_status_of(e->errnum), msg, NULL);
        rk_error_free(e);
}

/* The request message of c, or NULL with the call ended (INVALID_ARGUMENT). */
static ProtobufCMessage *call_unpack(struct call *c)
{
        grpc_byte_buffer_reader r;
        ProtobufCMessage *msg = NULL;
        grpc_slice s;

        if (!c->payload) {
                call_finish(c, GRPC_STATUS_INVALID_ARGUMENT, "missing request message", NULL);
                return NULL;
        }
        if (grpc_byte_buffer_reader_init(&r, c->payload)) {
                s = grpc_byte_buffer_reader_readall(&r);
                msg = protobuf_c_message_unpack(c->m->input, NULL, GRPC_SLICE_LENGTH(s),
                                                GRPC_SLICE_START_PTR(s));
                grpc_slice_unref(s);
                grpc_byte_buffer_reader_destroy(&r);
        }
        if (!msg)
                call_finish(c, GRPC_STATUS_INVALID_ARGUMENT,
                            "malformed request: not a v1alpha message of the method's type", NULL);
        return msg;
}

static void call_run_unary(struct call *c, ProtobufCMessage *req)
{
        ProtobufCMessage *resp = NULL;
        struct rk_error *e = NULL;

        if (c->m->unary(&c->w->ctx, req, &resp, &e) < 0) {
                call_fail(c, e);
                return;
        }
        call_finish(c, GRPC_STATUS_OK, NULL, resp);
        api_msg_free(resp);
}

/* Streams: sends the next response, waits for one, or ends the call. */
static void call_pump(struct call *c)
{
        ProtobufCMessage *resp = NULL;
        struct rk_error *e = NULL;
        grpc_byte_buffer *bb;
        grpc_op ops[2];
        size_t n = 0;
        int r;

        if (c->finishing || c->sending || c->closed)
                return;
        r = c->m->stream->next(&c->w->ctx, c->state, &resp, &e);
        if (r < 0) {
                call_fail(c, e);
                return;
        }
        if (r == API_STREAM_WAIT) {
                call_wait(c);
                return;
        }
        if (r == API_STREAM_END) {
                call_finish(c, GRPC_STATUS_OK, NULL, NULL);
                return;
        }
        call_unwait(c);
        bb = pack_message(resp);
        api_msg_free(resp);
        add_initial_metadata(c, ops, &n);
        ops[n++] = (grpc_op){.op = GRPC_OP_SEND_MESSAGE, .data.send_message = {bb}};
        c->sending = call_batch(c, ops, n, &c->t_send);
        grpc_byte_buffer_destroy(bb);
        if (!c->sending)
                call_finish(c, GRPC_STATUS_INTERNAL, "cannot send", NULL);
}

static void call_start_stream(struct call *c, ProtobufCMessage *req)
{
        struct rk_error *e = NULL;

        if (c->m->stream->open(&c->w->ctx, req, &c->state, &e) < 0) {
                call_fail(c, e);
                return;
        }
        call_pump(c);
}

/* A request arrived on c: asks for the next one, then runs this one. */
static void call_started(struct call *c)
{
        grpc_op close_op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER,
                            .data.recv_close_on_server = {&c->cancelled}};
        ProtobufCMessage *req;

        if (!atomic_load(&c->w->srv->stopping))
                call_request(c->w, c->m);
        if (!call_batch(c, &close_op, 1, &c->t_close))
                c->closed = true;
        if (!c->m) {
                call_finish(c, GRPC_STATUS_UNIMPLEMENTED, "unknown method", NULL);
                return;
        }
        req = call_unpack(c);
        if (!req)
                return;
        if (c->m->unary)
                call_run_unary(c, req);
        else
                call_start_stream(c, req);
        protobuf_c_message_free_unpacked(req, NULL);
}

static void call_event(struct tag *t, bool ok)
{
        struct call *c = t->call;

        switch (t->kind) {
        case TAG_REQUEST:
                if (!ok) { /* shutting down: this request was never matched */
                        call_free(c);
                        return;
                }
                call_started(c);
                break;
        case TAG_SEND:
                c->pending--;
                c->sending = false;
                if (!ok)
                        c->closed = true;
                else
                        call_pump(c);
                break;
        case TAG_CLOSE:
                c->pending--;
                c->closed = true;
                call_unwait(c);
                break;
        case TAG_FINISH:
                c->pending--;
                break;
        }
        call_maybe_free(c);
}

static void call_request(struct worker *w, struct api_method *m)
{
        struct call *c = xnew0(struct call, 1);
        grpc_call_error e;

        c->w = w;
        c->m = m;
        c->t_request = (struct tag){c, TAG_REQUEST};
        c->t_send = (struct tag){c, TAG_SEND};
        c->t_close = (struct tag){c, TAG_CLOSE};
        c->t_finish = (struct tag){c, TAG_FINISH};
        grpc_metadata_array_init(&c->md);
        if (m)
                e = grpc_server_request_registered_call(w->srv->grpc, m->handle, &c->call,
                                                        &c->deadline, &c->md, &c->payload, w->cq,
                                                        w->cq, &c->t_request);
        else {
                grpc_call_details_init(&c->details);
                e = grpc_server_request_call(w->srv->grpc, &c->call, &c->details, &c->md, w->cq,
                                             w->cq, &c->t_request);
        }
        if (e != GRPC_CALL_OK) {
                log_debug("requesting a call: error %d", (int)e);
                call_free(c);
        }
}

/* --- workers --- */

static void worker_tick(struct worker *w)
{
        struct call *list = w->waiting;

        w->waiting = NULL;
        while (list) {
                struct call *c = list;
                list = c->wnext;
                c->waiting = false;
                c->wprev = c->wnext = NULL;
                call_pump(c);
                call_maybe_free(c);
        }
        w->next_tick = monotonic_ms() + TICK_MS;
}

static void *worker_main(void *userdata)
{
        struct worker *w = userdata;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                call_request(w, &methods[i]);
        if (w == &w->srv->workers[0])
                call_request(w, NULL); /* unknown methods: answered UNIMPLEMENTED */
        for (;;) {
                int64_t left = w->next_tick - monotonic_ms();
                gpr_timespec dl = w->waiting ? timespan_ms(left > 0 ? left : 0) : infinite();
                grpc_event ev = grpc_completion_queue_next(w->cq, dl, NULL);

                if (ev.type == GRPC_QUEUE_SHUTDOWN)
                        break;
                if (ev.type == GRPC_OP_COMPLETE)
                        call_event(ev.tag, ev.success);
                if (w->waiting && monotonic_ms() >= w->next_tick)
                        worker_tick(w);
                else if (!w->waiting)
                        w->next_tick = monotonic_ms() + TICK_MS;
        }
        return NULL;
}

/* --- listening --- */

/* Go's net.SplitHostPort for "host:port" and "[host]:port". */
static int split_host_port(const char *addr, char **ret_host, char **ret_port,
                           struct rk_error **reterr)
{
        const char *colon = strrchr(addr, ':');

        if (!colon)
                return rk_error_set(reterr, EINVAL, "address %s: missing port in address", addr);
        if (addr[0] == '[') {
                const char *end = strchr(addr, ']');
                if (!end || end + 1 != colon)
                        return rk_error_set(reterr, EINVAL, "address %s: missing ']' in address",
                                            addr);
                *ret_host = strndup(addr + 1, (size_t)(end - addr - 1));
        } else {
                if (memchr(addr, ':', (size_t)(colon - addr)))
                        return rk_error_set(reterr, EINVAL,
                                            "address %s: too many colons in address", addr);
                *ret_host = strndup(addr, (size_t)(colon - addr));
        }
        oom_check(*ret_host);
        *ret_port = xstrdup(colon + 1);
        return 0;
}

/* The address to bind: an IPv4 one first (as Go's Listen picks), else the first. */
static struct addrinfo *pick_address(struct addrinfo *list)
{
        for (struct addrinfo *a = list; a; a = a->ai_next)
                if (a->ai_family == AF_INET)
                        return a;
        return list;
}

static int listen_tcp(const char *addr, int *ret_fd, struct rk_error **reterr)
{
        _cleanup_free_ char *host = NULL, *port = NULL;
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
        struct addrinfo *list = NULL, *a;
        _cleanup_close_ int fd = -EBADF;
        int r, one = 1, zero = 0;

        r = split_host_port(addr, &host, &port, reterr);
        if (r < 0)
                return rk_error_prefix(reterr, "listen tcp");
        if (!*host)
                hints.ai_family = AF_INET6; /* all addresses: dual-stack, as Go */
        r = getaddrinfo(*host ? host : NULL, *port ? port : "0", &hints, &list);
        if (r != 0 && !*host) {
                hints.ai_family = AF_INET;
                r = getaddrinfo(NULL, *port ? port : "0", &hints, &list);
        }
        if (r != 0)
                return rk_error_set(reterr, EINVAL, "listen tcp: lookup %s: %s", addr,
                                    gai_strerror(r));
        a = pick_address(list);
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0) {
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (a->ai_family == AF_INET6 && !*host)
                        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        }
        if (fd < 0 || bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
                _cleanup_free_ char *why = strerror_go(errno);
                freeaddrinfo(list);
                return rk_error_set(reterr, errno, "listen tcp %s: bind: %s", addr, why);
        }
        freeaddrinfo(list);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int open_listeners(struct server *s, const struct api_options *o, struct rk_error **reterr)
{
        int r;

        if (o->n_listen_fds > 0) {
                if (o->listen && *o->listen)
                        return rk_error_set(reterr, EINVAL,
                                            "started under systemd.socket(5), but --listen "
                                            "passed! Quitting.");
                log_info("Listening on %d systemd-provided socket(s)", o->n_listen_fds);
                s->listen_fds = xnew0(int, (size_t)o->n_listen_fds);
                for (int i = 0; i < o->n_listen_fds; i++) {
                        int fd = 3 + i, acc = 0, type = 0;
                        socklen_t l = sizeof(acc), lt = sizeof(type);
                        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0 || !acc ||
                            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &lt) < 0 ||
                            type != SOCK_STREAM)
                                return rk_error_set(reterr, EINVAL,
                                                    "could not open listener: descriptor %d is "
                                                    "not a listening stream socket",
                                                    fd);
                        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                        s->listen_fds[s->n_listen++] = fd;
                }
                return 0;
        }
        log_info("Listening on %s", o->listen);
        s->listen_fds = xnew0(int, 1);
        r = listen_tcp(o->listen, &s->listen_fds[0], reterr);
        if (r < 0)
                return r;
        s->n_listen = 1;
        return 0;
}

/* Hands one waiting connection of fd to gRPC. Returns -EMFILE/-ENFILE when out of fds. */
static int accept_one(struct server *s, int fd)
{
        int one = 1, domain = 0, c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        socklen_t len = sizeof(domain);

        if (c < 0)
                return -errno;
        /* no Nagle: a response would otherwise wait for the client's delayed ACK */
        if (getsockopt(c, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
            (domain == AF_INET || domain == AF_INET6))
                (void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        grpc_server_add_channel_from_fd(s->grpc, c, s->creds); /* takes c */
        return 0;
}

/* Accepts until SIGINT or SIGTERM. */
static void accept_loop(struct server *s)
{
        _cleanup_free_ struct pollfd *pfd = xnew0(struct pollfd, s->n_listen + 1);
        int backoff = 0;

        pfd[0] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
        for (size_t i = 0; i < s->n_listen; i++)
                pfd[i + 1] = (struct pollfd){.fd = s->listen_fds[i], .events = POLLIN};
        for (;;) {
                int n = poll(pfd, backoff ? 1 : s->n_listen + 1, backoff ? ACCEPT_BACKOFF_MS : -1);
                if (n < 0 && errno != EINTR)
                        return;
                backoff = 0;
                if (pfd[0].revents & POLLIN)
                        return;
                for (size_t i = 0; i < s->n_listen; i++) {
                        if (!(pfd[i + 1].revents & POLLIN))
                                continue;
                        int r = accept_one(s, s->listen_fds[i]);
                        if (r == -EMFILE || r == -ENFILE || r == -ENOBUFS || r == -ENOMEM)
                                backoff = 1; /* let connections close; the backlog waits */
                }
        }
}

/* --- the server --- */

static int signals_open(struct server *s, struct rk_error **reterr)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        /* before any thread exists: gRPC's and ours inherit the mask */
        if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
                return rk_error_set(reterr, EINVAL, "blocking signals");
        signal(SIGPIPE, SIG_IGN);
        s->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (s->sigfd < 0)
                return rk_error_set_errno(reterr, errno, "signalfd");
        return 0;
}

/* As many file descriptors as allowed: each client connection holds one. */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static size_t worker_count(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        if (n < WORKERS_MIN)
                return WORKERS_MIN;
        return n > WORKERS_MAX ? WORKERS_MAX : (size_t)n;
}

static int register_methods(struct server *s, struct rk_error **reterr)
{
        const ProtobufCServiceDescriptor *d = &v1alpha__public_api__descriptor;

        for (size_t i = 0; i < ELEMENTSOF(methods); i++) {
                const ProtobufCMethodDescriptor *md =
                        protobuf_c_service_descriptor_get_method_by_name(d, methods[i].name);
                _cleanup_free_ char *path = NULL;
                if (!md)
                        return rk_error_set(reterr, EINVAL, "no method %s in %s", methods[i].name,
                                            d->name);
                path = xasprintf("/%s/%s", d->name, md->name);
                methods[i].input = md->input;
                methods[i].handle = grpc_server_register_method(
                        s->grpc, path, NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
                if (!methods[i].handle)
                        return rk_error_set(reterr, EINVAL, "cannot register %s", path);
        }
        return 0;
}

static int server_create(struct server *s, struct rk_error **reterr)
{
        grpc_arg args[] = {
                {GRPC_ARG_INTEGER,
                 (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                 {.integer = MAX_RECEIVE_MESSAGE}},
                {GRPC_ARG_INTEGER,
                 (char *)GRPC_ARG_MAX_CONCURRENT_STREAMS,
                 {.integer = MAX_STREAMS_PER_CONN}},
                {GRPC_ARG_INTEGER,
                 (char *)GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                 {.integer = MAX_CONNECTION_IDLE_MS}},
        };
        grpc_channel_args ca = {ELEMENTSOF(args), args};
        int r;

        s->grpc = grpc_server_create(&ca, NULL);
        s->creds = grpc_insecure_server_credentials_create();
        r = register_methods(s, reterr);
        if (r < 0)
                return r;
        s->shutdown_cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(s->grpc, s->shutdown_cq, NULL);
        for (size_t i = 0; i < s->n_workers; i++) {
                s->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
                grpc_server_register_completion_queue(s->grpc, s->workers[i].cq, NULL);
        }
        grpc_server_start(s->grpc);
        return 0;
}

static int workers_start(struct server *s, struct rk_error **reterr)
{
        for (size_t i = 0; i < s->n_workers; i++) {
                int r = pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
                if (r != 0)
                        return rk_error_set_errno(reterr, r, "starting a worker thread");
                s->workers[i].started = true;
        }
        return 0;
}

/* Stops accepting calls, cancels those in flight and waits for every worker to finish. */
static void server_stop(struct server *s)
{
        static int shutdown_tag;

        if (!s->grpc)
                return;
        atomic_store(&s->stopping, true);
        grpc_server_shutdown_and_notify(s->grpc, s->shutdown_cq, &shutdown_tag);
        grpc_server_cancel_all_calls(s->grpc);
        for (;;) {
                grpc_event ev = grpc_completion_queue_next(s->shutdown_cq, infinite(), NULL);
                if (ev.type == GRPC_OP_COMPLETE && ev.tag == &shutdown_tag)
                        break;
        }
        for (size_t i = 0; i < s->n_workers; i++)
                if (s->workers[i].started)
                        grpc_completion_queue_shutdown(s->workers[i].cq);
        for (size_t i = 0; i < s->n_workers; i++)
                if (s->workers[i].started)
                        pthread_join(s->workers[i].thread, NULL);
        grpc_server_destroy(s->grpc);
        s->grpc = NULL;
}

/* Frees what exists of s (any stage of api_serve()). */
static void server_free(struct server *s)
{
        server_stop(s);
        if (s->shutdown_cq) {
                grpc_completion_queue_shutdown(s->shutdown_cq);
                while (grpc_completion_queue_next(s->shutdown_cq, infinite(), NULL).type !=
                       GRPC_QUEUE_SHUTDOWN)
                        ;
                grpc_completion_queue_destroy(s->shutdown_cq);
        }
        for (size_t i = 0; i < s->n_workers; i++) {
                struct worker *w = &s->workers[i];
                if (w->cq && !w->started) { /* drained by nobody: drain it here */
                        grpc_completion_queue_shutdown(w->cq);
                        while (grpc_completion_queue_next(w->cq, infinite(), NULL).type !=
                               GRPC_QUEUE_SHUTDOWN)
                                ;
                }
                if (w->cq)
                        grpc_completion_queue_destroy(w->cq);
                store_free(s->workers[i].ctx.store);
        }
        free(s->workers);
        if (s->creds)
                grpc_server_credentials_release(s->creds);
        for (size_t i = 0; i < s->n_listen; i++)
                safe_close(s->listen_fds[i]);
        free(s->listen_fds);
        safe_close(s->sigfd);
}

static int workers_prepare(struct server *s, const struct api_options *o,
                           struct api_pod_cache *cache, struct rk_error **reterr)
{
        s->n_workers = worker_count();
        s->workers = xnew0(struct worker, s->n_workers);
        for (size_t i = 0; i < s->n_workers; i++) {
                struct worker *w = &s->workers[i];
                int r = store_open(o->data_dir, &w->ctx.store, reterr);
                if (r < 0)
                        return r;
                w->srv = s;
                w->ctx.o = o;
                w->ctx.cache = cache;
        }
        return 0;
}

int api_serve(const struct api_options *o, struct rk_error **reterr)
{
        struct server s = {.sigfd = -EBADF};
        struct api_pod_cache *cache = api_pod_cache_new();
        bool initialized = false;
        int r;

        r = signals_open(&s, reterr);
        if (r >= 0)
                r = open_listeners(&s, o, reterr);
        if (r < 0)
                rk_error_wrap(reterr, "Failed to open sockets");
        if (r >= 0) {
                raise_fd_limit();
                r = api_grpc_load(reterr);
        }
        if (r >= 0)
                r = workers_prepare(&s, o, cache, reterr);
        if (r >= 0) {
                grpc_init();
                initialized = true;
                r = server_create(&s, reterr);
        }
        if (r >= 0)
                r = workers_start(&s, reterr);
        if (r >= 0) {
                log_info("API service running");
                accept_loop(&s);
                log_info("API service exiting...");
        }
        server_free(&s);
        if (initialized)
                grpc_shutdown_blocking();
        api_pod_cache_free(cache);
        return r;
}
