/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The apps' logs: what each app writes on its stdout and stderr, kept in one file per app in
 * the pod directory (app-log.h: P/logs/<app>.log, at most LOG_FILE_MAX bytes, then rotated
 * once to <app>.log.1) while still going to rkt run's output. One writer serves every log format of
 * the stage1s: Kubernetes' CRI format for pods (rkt logs, GetLogs) and rkt's plain
 * Kubernetes form.
 *
 * Where it runs: a process forked by the host side of the stage1 (outside the pod's
 * namespaces), never inside the pod. The apps hold only the write ends of their pipes: no
 * descriptor of the pod directory or any other host file reaches the pod (DESIGN.md §7).
 * The writer has no threads; the host side creates namespaces, the writer never does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "app-log.h"
#include "error.h"

#define LOG_FILE_MAX APP_LOG_FILE_MAX /* bytes per log file before it is rotated */
#define LOG_LINE_MAX APP_LOG_LINE_MAX /* longer lines are cut into partial records */

enum log_format {
        /* "<RFC 3339 nano time> <stdout|stderr> <F|P> <line>": Kubernetes' CRI log format, P for
         * a part of a line longer than LOG_LINE_MAX (the rest follows), F for a full line */
        LOG_FORMAT_CRI,
        /* "<RFC 3339 nano time> <stdout|stderr> <line>": rkt's Kubernetes log mode */
        LOG_FORMAT_K8S_PLAIN,
};

/* One pipe the writer reads. */
struct log_stream {
        int fd;         /* the read end; the writer owns it */
        int forward_fd; /* the bytes also go there unchanged (-1: nowhere) */
        bool is_stderr;
        size_t file; /* the index of its file in log_writer_options.files */
};

struct log_writer_options {
        int dirfd;    /* the log directory; the writer owns it */
        char **files; /* file names ("<app>.log"), one per app */
        size_t n_files;
        struct log_stream *streams;
        size_t n_streams;
        enum log_format format;
        uint64_t max_size; /* per file; 0: LOG_FILE_MAX */
        /* apps may write dirfd: a file found at a name when the writer starts becomes
         * "<name>.1" and a new one is made, never appended to */
        bool shared_dir;
};

/*
 * Copies every stream to its forward descriptor and, as records in o->format, to its file
 * (appended, created 0640 when missing, in the directory's group when it is set-group-ID), until
 * every stream reached end of file; a line still open at end of file becomes a full record. A file
 * that would grow beyond max_size is renamed to "<name>.1" (replacing it) and started anew. A
 * forward descriptor that fails is dropped; a file that fails stops being written (one message on
 * stderr); the other streams go on. Returns 0, or -errno when the streams cannot be polled.
 */
int log_writer_run(struct log_writer_options *o);

/* The logs of a pod's apps, as the native stage1's host side sets them up. */
struct app_logs {
        pid_t writer;  /* the writer process; 0 when the pod is not logged */
        int (*fds)[2]; /* per app, the write ends of its stdout and stderr pipes */
        size_t n;
};

/*
 * Runs in: the host side of the native stage1, before it clones the pod (no threads). Creates
 * P/logs (0750, P's group) below pod_dir, a stdout and a stderr pipe per app and forks the
 * writer (LOG_FORMAT_CRI, forwarding to this process's stdout and stderr), which holds only
 * the read ends, P/logs and stdout/stderr, without any capability. The write ends stay in
 * l->fds for the pod's apps (app_logs_use()). Returns 0 or < 0 with reterr set.
 */
int app_logs_start(const char *pod_dir, const char *const *apps, size_t n, struct app_logs *l,
                   struct rk_error **reterr);

/*
 * The same for the files named files[i] (app i's) in the directory logdir (taken: closed
 * here whatever happens), records in format. Returns 0 or < 0 with reterr set.
 */
int app_logs_start_in(int logdir, char *const *files, size_t n, enum log_format format,
                      struct app_logs *l, struct rk_error **reterr);

/* Runs in: an app's child of the pod init, before exec: its stdout and stderr become app i's
 * pipes. No-op when the pod is not logged. */
void app_logs_use(const struct app_logs *l, size_t i);

/* Closes this process's write ends (the host side after the clone, the pod init once its
 * apps are started), so that the writer sees end of file when the apps are gone. */
void app_logs_close_writers(struct app_logs *l);

/* The write ends (2 per app) for a process's list of descriptors to keep; *ret_n of them. */
const int *app_logs_writer_fds(const struct app_logs *l, size_t *ret_n);

/* Runs in: the host side, after the pod exited: waits until the writer has written and
 * forwarded everything the apps wrote. */
void app_logs_wait(struct app_logs *l);
