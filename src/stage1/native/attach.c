/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's attach entrypoint (`/attach --action=list|auto-attach|custom-attach
 * [--tty-in=B --tty-out=B --stdin=B --stdout=B --stderr=B] --app=<name> --debug=<B>`, SPEC.md
 * §3.19). Runs in: the host, as root, a child of stage0 (`rkt attach`) with cwd = P. Lists
 * the app's endpoints (P/attach/<app>/sock-*, served by its mux: app-io.h) or connects to
 * them and relays bytes between them and its own stdin, stdout and stderr, the caller's
 * terminal in raw mode while attached to a tty. The caller's terminal never leaves this
 * process. Detaching: three ^] within one second on a terminal, SIGINT/SIGTERM/SIGHUP, or
 * the end of the app's output.
 */
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "app-io.h"
#include "fd-util.h"
#include "fs-util.h"
#include "parse-util.h"
#include "pod-plan.h"
#include "types.h"

struct attach_args {
        const char *action;
        const char *app;
        bool want[_APP_IO_EP_N]; /* custom-attach: the endpoints asked for */
        bool tty_in, tty_out;
};

_noreturn_ static void fail(const char *fmt, ...) _printf_(1, 2);
_noreturn_ static void fail(const char *fmt, ...)
{
        va_list ap;

        fputs("attach: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(254);
}

static bool bool_arg(const char *arg, const char *v)
{
        bool b;

        if (parse_bool_go(v, &b) < 0)
                fail("invalid value \"%s\" for %s", v, arg);
        return b;
}

static void parse_args(int argc, char **argv, struct attach_args *a)
{
        for (int i = 1; i < argc; i++) {
                const char *w = argv[i], *eq = strchr(w, '=');
                const char *v = eq ? eq + 1 : "true";
                size_t n = eq ? (size_t)(eq - w) : strlen(w);

#define IS(name) (n == strlen(name) && strncmp(w, name, n) == 0)
                if (IS("--action") && eq)
                        a->action = v;
                else if (IS("--app") && eq)
                        a->app = v;
                else if (IS("--debug"))
                        (void)bool_arg(w, v);
                else if (IS("--tty-in"))
                        a->tty_in = bool_arg(w, v);
                else if (IS("--tty-out"))
                        a->tty_out = bool_arg(w, v);
                else if (IS("--stdin"))
                        a->want[APP_IO_EP_STDIN] = bool_arg(w, v);
                else if (IS("--stdout"))
                        a->want[APP_IO_EP_STDOUT] = bool_arg(w, v);
                else if (IS("--stderr"))
                        a->want[APP_IO_EP_STDERR] = bool_arg(w, v);
                else
                        fail("unknown argument \"%s\"", w);
#undef IS
        }
        a->want[APP_IO_EP_TTY] = a->tty_in || a->tty_out;
        if (!a->app || !ac_name_is_valid(a->app))
                fail("invalid app name \"%s\"", a->app ?: "");
        if (!a->action)
                a->action = "list";
}

/* The endpoints the app's mux serves now (its sockets in P/attach/<app>). */
static void present_endpoints(int dirfd, bool ret[_APP_IO_EP_N])
{
        for (int e = 0; e < _APP_IO_EP_N; e++) {
                _cleanup_free_ char *file = xasprintf("sock-%s", app_io_endpoint_names[e]);
                struct stat st;

                ret[e] = dirfd >= 0 && fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                         S_ISSOCK(st.st_mode) && st.st_uid == 0;
        }
}

/* rkt's listing: {"version": 1, "targets": [{"name", "domain", "address"}...]}, indented. */
static int list_endpoints(const char *app, const bool present[_APP_IO_EP_N])
{
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        json_t *root = json_object(), *targets = json_array();
        char *text;

        json_object_set_new(root, "version", json_integer(1));
        for (int e = 0; e < _APP_IO_EP_N; e++) {
                if (!present[e])
                        continue;
                _cleanup_free_ char *addr = xasprintf("%s/%s/%s/sock-%s", cwd ?: ".", APP_IO_DIR,
                                                      app, app_io_endpoint_names[e]);
                json_t *t = json_object();
                json_object_set_new(t, "name", json_string(app_io_endpoint_names[e]));
                json_object_set_new(t, "domain", json_string("unix"));
                json_object_set_new(t, "address", json_string(addr));
                json_array_append_new(targets, t);
        }
        json_object_set_new(root, "targets", targets);
        text = json_dumps(root, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        json_decref(root);
        if (!text)
                fail("listing endpoints: out of memory");
        printf("%s\n", text);
        free(text);
        return fflush(stdout) == 0 ? 0 : 254;
}

struct relay {
        int sock[_APP_IO_EP_N]; /* connected endpoints, or -1 */
        int in_sock;            /* where our stdin goes, or -1 */
        bool stdin_open;
        bool raw; /* stdin is a terminal in raw mode: watch for the escape */
        struct pty_escape esc;
        size_t outputs;  /* output endpoints not at end of file */
        char pend[4096]; /* input the app's end has not taken yet: stdin waits meanwhile */
        size_t pend_len, pend_off;
};

/* The bytes of an output endpoint: to stdout (stderr for stderr), or dropped (tty-out off). */
static void relay_output(struct relay *r, int e, bool show)
{
        char buf[16384];
        ssize_t n = read(r->sock[e], buf, sizeof(buf));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                if (r->in_sock == r->sock[e])
                        r->in_sock = -1; /* the tty is gone */
                r->sock[e] = safe_close(r->sock[e]);
                r->outputs--;
                return;
        }
        if (show)
                (void)write_full(e == APP_IO_EP_STDERR ? STDERR_FILENO : STDOUT_FILENO, buf,
                                 (size_t)n);
}

/*
 * Sends what waits in r->pend, as much as the app's end takes now, never blocking (an app
 * that never reads its input holds up only our reading of stdin, never a signal or its
 * output).
 */
static void relay_flush(struct relay *r)
{
        while (r->pend_off < r->pend_len) {
                ssize_t w = send(r->in_sock, r->pend + r->pend_off, r->pend_len - r->pend_off,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN)
                        return;
                if (w <= 0) {
                        r->stdin_open = false;
                        break;
                }
                r->pend_off += (size_t)w;
        }
        r->pend_len = r->pend_off = 0;
}

/* Our stdin to the app; returns false when the escape was typed (detach). */
static bool relay_input(struct relay *r)
{
        ssize_t n = read(STDIN_FILENO, r->pend, sizeof(r->pend));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0) {
                r->stdin_open = false;
                if (r->in_sock >= 0 && r->in_sock == r->sock[APP_IO_EP_STDIN])
                        (void)shutdown(r->in_sock, SHUT_WR); /* the app's stdin stream ends */
                return true;
        }
        if (r->raw && pty_escape_seen(&r->esc, r->pend, n))
                return false;
        r->pend_len = (size_t)n;
        r->pend_off = 0;
        relay_flush(r);
        return true;
}

static void relay_loop(struct relay *r, bool tty_out, int sfd)
{
        for (;;) {
                struct pollfd pf[3 + _APP_IO_EP_N];
                int owner[ELEMENTSOF(pf)];
                size_t n = 0;

                if (r->outputs == 0 && (!r->stdin_open || r->in_sock < 0))
                        return; /* nothing more to show, nothing more to send */
                pf[n] = (struct pollfd){sfd, POLLIN, 0};
                owner[n++] = -1;
                if (r->stdin_open && r->in_sock >= 0 && r->pend_len > 0) {
                        pf[n] = (struct pollfd){r->in_sock, POLLOUT, 0};
                        owner[n++] = -3;
                } else if (r->stdin_open && r->in_sock >= 0) {
                        pf[n] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
                        owner[n++] = -2;
                }
                for (int e = APP_IO_EP_STDOUT; e < _APP_IO_EP_N; e++)
                        if (r->sock[e] >= 0) {
                                pf[n] = (struct pollfd){r->sock[e], POLLIN, 0};
                                owner[n++] = e;
                        }
                if (poll(pf, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                for (size_t j = 0; j < n; j++) {
                        if (!pf[j].revents)
                                continue;
                        if (owner[j] == -1)
                                return; /* a signal: detach */
                        if (owner[j] == -3) {
                                relay_flush(r);
                        } else if (owner[j] == -2) {
                                if (!relay_input(r))
                                        return;
                        } else
                                relay_output(r, owner[j], owner[j] != APP_IO_EP_TTY || tty_out);
                }
        }
}

static int attach(int dirfd, const struct attach_args *a, const bool present[_APP_IO_EP_N])
{
        struct relay r = {.in_sock = -1, .stdin_open = true};
        bool automatic = strcmp(a->action, "auto-attach") == 0;
        bool tty_in = automatic || a->tty_in, tty_out = automatic || a->tty_out;
        struct termios saved, raw;
        sigset_t set;
        int sfd;

        for (int e = 0; e < _APP_IO_EP_N; e++) {
                r.sock[e] = -1;
                if (!automatic && a->want[e] && !present[e])
                        fail("app %s has no %s endpoint", a->app, app_io_endpoint_names[e]);
        }
        for (int e = 0; e < _APP_IO_EP_N; e++) {
                if (!present[e] || !(automatic || a->want[e]))
                        continue;
                r.sock[e] = app_io_connect(dirfd, (enum app_io_endpoint)e);
                if (r.sock[e] < 0)
                        fail("connecting to the %s of app %s: %s", app_io_endpoint_names[e], a->app,
                             strerror(-r.sock[e]));
                if (e != APP_IO_EP_STDIN)
                        r.outputs++;
        }
        if (r.sock[APP_IO_EP_TTY] >= 0 && tty_in)
                r.in_sock = r.sock[APP_IO_EP_TTY];
        else if (r.sock[APP_IO_EP_STDIN] >= 0)
                r.in_sock = r.sock[APP_IO_EP_STDIN];
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        sfd = signalfd(-1, &set, SFD_CLOEXEC);
        signal(SIGPIPE, SIG_IGN);
        if (r.in_sock >= 0 && r.in_sock == r.sock[APP_IO_EP_TTY] &&
            tcgetattr(STDIN_FILENO, &saved) == 0) {
                raw = saved;
                cfmakeraw(&raw);
                r.raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        }
        relay_loop(&r, tty_out, sfd);
        if (r.raw)
                (void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        for (int e = 0; e < _APP_IO_EP_N; e++)
                safe_close(r.sock[e]);
        safe_close(sfd);
        return 0;
}

int main(int argc, char **argv)
{
        struct attach_args a = {0};
        bool present[_APP_IO_EP_N];
        _cleanup_close_ int dirfd = -EBADF;

        parse_args(argc, argv, &a);
        dirfd = app_io_dir_open(AT_FDCWD, a.app);
        if (dirfd < 0 && dirfd != -ENOENT)
                fail("opening the endpoints of app %s: %s", a.app, strerror(-dirfd));
        present_endpoints(dirfd, present);
        if (strcmp(a.action, "list") == 0)
                return list_endpoints(a.app, present);
        if (strcmp(a.action, "auto-attach") != 0 && strcmp(a.action, "custom-attach") != 0)
                fail("unknown action \"%s\"", a.action);
        if (!present[0] && !present[1] && !present[2] && !present[3])
                fail("app %s has no attachable endpoints (it runs without --stdin, --stdout or "
                     "--stderr set to tty or stream, or it has exited)",
                     a.app);
        return attach(dirfd, &a, present);
}
