/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket of a prepared app start (app-ctl.c): right after `rkt app add`, the app's
 * preparer (a helper of app_add, root, outside the pod) waits on P/appsinfo/<app>/start for
 * app_start, which sends "go" with the app's log pipes, or for app_rm, which sends "rm".
 * The socket is root's (0600, in a directory only root writes) and its peer is checked. A
 * preparation that fails ends its preparer: the app start that comes does it all itself.
 *
 * Runs in: the host, cwd = P (the stage1's app entrypoints and their children).
 */
#pragma once

#include <sys/resource.h>

#include "log-writer.h"

/*
 * What app_start's caller passes on to the app, as a start that forks the app's processes
 * itself does: its resource limits, nice value and OOM score adjustment (the preparer's
 * are those of app add's caller).
 */
struct prepared_attrs {
        struct rlimit rlim[RLIM_NLIMITS];
        int nice;
        int oom_score_adj;
};

/* Runs in: the preparer's helper (procfd: the host's /proc), before it forks the app's
 * monitor: makes them its own (what cannot be set is left as it is). */
void prepared_attrs_apply(const struct prepared_attrs *a, int procfd);

/*
 * app_add: the socket of app, listening, and P/appsinfo/<app>/root (the directory the app's
 * root is bound onto) made: what app add leaves in P is there when it returns. Returns the
 * socket or -errno.
 */
int prepared_listen(const char *app);

/*
 * Runs in: a preparer, its preparation done. Waits for app_start or app_rm on listen_fd, or
 * for the end of the pod init (pod_fd, a pidfd): returns the connection of a root process,
 * to which it said that it takes it ("a", with the confinement its children would inherit,
 * read through procfd, the host's /proc), or -ECANCELED when the preparer is to end (the pod
 * init exited; a connection that failed: its file is gone, no other can come).
 */
int prepared_accept(int listen_fd, int pod_fd, int procfd);

/*
 * Runs in: a preparer. The message on conn: 1 for "go" (the log pipes it brought in logs[],
 * -1 when none, and app start's attributes in *attrs), 0 for anything else ("rm", end of
 * file: the preparer is to end).
 */
int prepared_recv_go(int conn, int logs[2], struct prepared_attrs *attrs);

/*
 * app_start, app_rm: a connection to app's preparer, SO_PASSCRED on (the monitor's report
 * says its pid); the socket's file goes whatever happens (one start uses it; no one listens
 * on a stale one). -errno when no one listens.
 */
int prepared_connect(const char *app);

/*
 * app_start, once connected: 0 when the preparer took the connection and would give the app
 * the confinement app start's caller gives it (no_new_privs, seccomp, capabilities, CPU
 * affinity, umask, namespaces, ...); -ECONNRESET when it ended before (its preparation
 * failed, or it was killed) or is confined otherwise: app start does it all itself (nothing
 * of the app was done in the pod; the preparer ends at the end of the connection).
 */
int prepared_taken(int conn);

/* app_start: "go" on conn, with the app's log pipes (l: none when not logged) and our
 * attributes. Returns 0 or -EPIPE. */
int prepared_send_go(int conn, const struct app_logs *l);

/* app_rm: ends app's preparer, if one waits ("rm", then its end of file, which comes once it
 * is gone; at most timeout_ms). */
void prepared_stop(const char *app, int timeout_ms);
