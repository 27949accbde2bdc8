/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The socket of a prepared app start (app-ctl.c): right after `rkt app add`, the app's
 * preparer (a helper of app_add, root, outside the pod) waits on P/appsinfo/<app>/start for
 * app_start, which sends "go" with the app's log pipes, or for app_rm, which sends "rm".
 * The socket is root's (0600, in a directory only root writes) and its peer is checked.
 *
 * Runs in: the host, cwd = P (the stage1's app entrypoints and their children).
 */
#pragma once

#include "log-writer.h"

/*
 * app_add: the socket of app, listening, and P/appsinfo/<app>/root (the directory the app's
 * root is bound onto) made: what app add leaves in P is there when it returns. Returns the
 * socket or -errno.
 */
int prepared_listen(const char *app);

/*
 * Runs in: a preparer. Waits for app_start or app_rm on listen_fd, or for the end of the
 * pod init (pod_fd, a pidfd; < 0: not watched). Returns app_start's connection (the log
 * pipes it brought in logs[], -1 when none); -ECANCELED when the preparer is to end (app_rm
 * came, the pod init exited, the socket failed).
 */
int prepared_accept(int listen_fd, int pod_fd, int logs[2]);

/*
 * app_start, app_rm: a connection to app's preparer, SO_PASSCRED on (the monitor's report
 * says its pid); the socket's file goes whatever happens (one start uses it; no one listens
 * on a stale one). -errno when no one listens.
 */
int prepared_connect(const char *app);

/* app_start: "go" on conn, with the app's log pipes (l: none when not logged). Returns 0 or
 * -EPIPE. */
int prepared_send_go(int conn, const struct app_logs *l);

/* app_rm: ends app's preparer, if one waits ("rm", then its end of file, which comes once it
 * is gone; at most timeout_ms). */
void prepared_stop(const char *app, int timeout_ms);
