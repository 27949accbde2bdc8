/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An app's I/O modes (SPEC.md §3.19, §4.2; the attach experiment): per stream, the
 * annotations coreos.com/rkt/stage2/{stdin,stdout,stderr} of the app in the pod manifest say
 * null, log (outputs only, the default for them: log-writer.h), stream or tty (null is the
 * default for stdin). Streams and ttys are served by a mux process per app that `rkt attach`
 * (the attach entrypoint) connects to.
 *
 * Where things run and what they hold:
 * - app_io_start(): the stage1 host side (outside the pod, root, no threads), before the app's
 *   process exists. It makes the app's ends (a pty slave, pipe ends, /dev/null) and forks the
 *   mux, which keeps the other ends (the pty master, the pipe ends) and listening unix sockets
 *   in P/attach/<app>/ (directories 0700 root: only root reaches them; not group rkt, which
 *   may read P, and not the pod, which never sees P). The mux never runs inside the pod, has
 *   no capabilities, no new privileges, is not dumpable, dies with the host side, and reads
 *   no path the pod could write.
 * - app_io_use(): the app's child of the pod init, just before exec (after setsid()): the
 *   app's descriptors 0-2 become its ends; a tty becomes its controlling terminal. The app
 *   gets no descriptor of the pod directory or of any terminal of the host.
 * - the attach entrypoint (attach.c): connects to the sockets and relays bytes between them
 *   and its own stdio; the caller's terminal stays with the caller.
 * - an app of a mutable pod (app-ctl.c): app_start makes the ends and sockets on the host
 *   (app_io_prepare()), the app's monitor, outside the pod's pid namespace, forks the mux
 *   (app_io_fork_mux()), which thus lives as long as the app; the monitor ends it when the
 *   app has exited (app_io_finish()), so each start serves new endpoints.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "types.h"

#define APP_IO_DIR "attach" /* below P: P/attach/<app>/sock-<endpoint> */

enum app_io_mode {
        APP_IO_NULL,
        APP_IO_LOG,
        APP_IO_STREAM,
        APP_IO_TTY,
};

enum app_io_stream { APP_IO_STDIN, APP_IO_STDOUT, APP_IO_STDERR, _APP_IO_N };

struct app_io {
        enum app_io_mode mode[_APP_IO_N];
        int app_fd[_APP_IO_N]; /* what the app's descriptor i becomes; -1: the default (the
                                * pod init's stdin /dev/null, the log pipes) */
        bool tty;              /* app_fd[] holds the pty slave (its controlling terminal) */
        pid_t mux;             /* the mux process, or 0 */
        struct app_io_pending *pending; /* the mux's ends, from app_io_prepare() until
                                         * app_io_fork_mux() */
};

/*
 * The modes the annotations of an app say (defaults for the absent ones and for rkt's
 * "interactive", which --interactive pods have: their terminal is the host side's). Another
 * value fails with `invalid <stream> mode "<value>" for app <app>`. Returns 0 or -EINVAL with
 * reterr set.
 */
int app_io_modes(const struct ac_labels *annotations, const char *app, struct app_io *ret,
                 struct rk_error **reterr);

/* Whether some stream of io is stream or tty (the app has attach endpoints). */
bool app_io_attachable(const struct app_io *io);

/*
 * Runs in: the stage1 host side, before the app is started. For an attachable io: creates
 * P/attach/<app>/ (pod_dir = P), its sockets, the pty or pipes, and forks the mux; stores the
 * app's ends in io->app_fd (close-on-exec) and the mux in io->mux. For the null outputs opens
 * /dev/null. Nothing to do for the rest. Returns 0 or < 0 with reterr set (nothing is left).
 */
int app_io_start(const char *pod_dir, const char *app, struct app_io *io, struct rk_error **reterr);

/*
 * app_io_start() in two steps, for a mux forked by another process than the one that made
 * its ends. app_io_prepare(): the same, but the mux's ends (descriptors: app_io_fds()) wait
 * in io->pending. app_io_fork_mux(): forks the mux from them (it dies with the caller) and
 * closes them in the caller; nothing to do without pending ends. Both return 0 or -errno
 * (app_io_prepare() with reterr set; nothing is left on failure).
 */
int app_io_prepare(const char *pod_dir, const char *app, struct app_io *io,
                   struct rk_error **reterr);
int app_io_fork_mux(struct app_io *io);

/* The descriptors io holds (its app ends, its pending mux ends): at most APP_IO_MAX_FDS
 * stored in fds; returns their number. */
#define APP_IO_MAX_FDS 16
size_t app_io_fds(const struct app_io *io, int fds[static APP_IO_MAX_FDS]);

/*
 * Runs in: the app's child, after setsid(), before exec. Descriptors 0-2 become io's app
 * ends where it has them; with ctty, a tty becomes the controlling terminal (else
 * app_io_ctty() says which descriptor the program makes it in a session of its own).
 */
void app_io_use(const struct app_io *io, bool ctty);

/* The descriptor (0-2) of io's tty, or -1. */
int app_io_ctty(const struct app_io *io);

/* Closes this process's app ends (the host side once the pod init has them; the pod init
 * once the app started). */
void app_io_close_app_fds(struct app_io *io);

/*
 * Runs in: the host side, when the pod has ended: stops the mux (SIGTERM; it removes its
 * sockets) and waits for it.
 */
void app_io_stop(struct app_io *io);

/*
 * Runs in: the monitor of an app of a mutable pod, when the app has exited: lets the mux
 * relay what the app wrote last (it ends by itself once the app's outputs are closed) for
 * at most timeout_ms, then app_io_stop(). The caller reaps no child meanwhile (it would
 * reap the mux): io->mux = 0 where it did.
 */
void app_io_finish(struct app_io *io, int timeout_ms);

/* Closes what app_io_prepare() left pending (a start that failed before the fork). */
void app_io_discard(struct app_io *io);

/* The endpoint names, indexed like the sockets the mux serves. */
enum app_io_endpoint {
        APP_IO_EP_STDIN,
        APP_IO_EP_STDOUT,
        APP_IO_EP_STDERR,
        APP_IO_EP_TTY,
        _APP_IO_EP_N
};
extern const char *const app_io_endpoint_names[_APP_IO_EP_N];

/* Opens P/attach/<app> below the directory pod_fd (root's, not through a symlink). Returns
 * the descriptor (O_PATH, close-on-exec) or -errno. */
int app_io_dir_open(int pod_fd, const char *app);

/* Removes P/attach/<app> below pod_fd (the app is gone: app rm), its mux ended. */
void app_io_remove(int pod_fd, const char *app);

/* Connects to endpoint e of the directory dirfd (app_io_dir_open()). Returns the socket
 * (close-on-exec) or -errno. */
int app_io_connect(int dirfd, enum app_io_endpoint e);
