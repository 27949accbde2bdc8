/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log writer and the native stage1's setup of it (see log-writer.h). Runs in: a child of
 * the host side of the stage1 (log_writer_run), the host side (app_logs_start/_wait), the
 * pod init and its app children (app_logs_use/_close_writers).
 */
#include "log-writer.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "strbuf.h"
#include "strv.h"
#include "time-util.h"

#define READ_CHUNK (64u << 10)

struct log_file {
        const char *name;
        int fd; /* -1: not written (it failed) */
        uint64_t size;
        struct strbuf out; /* records not written yet */
};

struct stream_state {
        const struct log_stream *s;
        char line[LOG_LINE_MAX]; /* the line being read */
        size_t len;
};

struct writer {
        struct log_writer_options *o;
        struct log_file *files;
        char ts[TIME_RFC3339NANO_MAX]; /* the time of the chunk being split */
};

static void file_fail(struct writer *w, struct log_file *f, int err)
{
        fprintf(stderr, "stage1: writing log %s: %s\n", f->name, strerror(err));
        f->fd = safe_close(f->fd);
        strbuf_reset(&f->out);
}

/*
 * Opens (appending) or creates name below the log directory: a regular file only, and what
 * is there is opened only once it is known to be one (the kubernetes log directory may be an
 * app's volume too): a FIFO's open would hold the writer, and with it the app once its pipe
 * is full, for good; a device node's acts on the host's device. A file with more than one
 * name is made anew, never written: its other name may be anywhere on that file system (a
 * hard link an app made, in its volume, to a file of the host). With fresh, whatever is at
 * name goes and a new file is made: nothing found there is ever opened. Returns the fd or
 * -errno.
 */
static int open_regular(int dirfd, const char *name, bool fresh)
{
        const int flags = O_WRONLY | O_APPEND;

        for (unsigned i = 0; i < 8; i++) { /* created or removed meanwhile: again */
                int fd = openat(dirfd, name,
                                flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
                                        O_CLOEXEC,
                                0640);
                if (fd >= 0 || errno != EEXIST)
                        return fd < 0 ? -errno : fd;
                if (!fresh) {
                        struct stat st;
                        _cleanup_close_ int pfd =
                                openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        if (pfd < 0 && errno == ENOENT)
                                continue;
                        if (pfd < 0 || fstat(pfd, &st) < 0)
                                return -errno;
                        if (!S_ISREG(st.st_mode) || st.st_nlink <= 1) {
                                /* the file checked, not a name again */
                                fd = fd_reopen_regular(pfd, flags);
                                return fd == -EBADFD ? -EINVAL : fd;
                        }
                }
                /* fresh, or a file with another name: what is there goes, a new one is made */
                if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                        return -errno;
        }
        return -EAGAIN;
}

static int file_open(struct writer *w, struct log_file *f, bool fresh)
{
        struct stat st;
        int fd = open_regular(w->o->dirfd, f->name, fresh);

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                safe_close(fd);
                return -EINVAL;
        }
        f->fd = fd;
        f->size = (uint64_t)st.st_size;
        return 0;
}

/* <name> becomes <name>.1 (what was there goes). */
static int file_move_aside(struct writer *w, struct log_file *f)
{
        char old[PATH_MAX];

        snprintf(old, sizeof(old), "%s.1", f->name); /* <app>.log.1 */
        return RET_NERRNO(renameat(w->o->dirfd, f->name, w->o->dirfd, old));
}

static void file_flush(struct writer *w, struct log_file *f)
{
        int r;

        if (f->fd < 0 || f->out.len == 0)
                return;
        r = write_full(f->fd, f->out.buf, f->out.len);
        if (r < 0) {
                file_fail(w, f, -r);
                return;
        }
        f->size += f->out.len;
        strbuf_reset(&f->out);
}

/* <name> becomes <name>.1 (the previous one goes) and a new <name> starts. */
static void file_rotate(struct writer *w, struct log_file *f)
{
        int r;

        file_flush(w, f);
        if (f->fd < 0)
                return;
        r = file_move_aside(w, f);
        if (r < 0) {
                file_fail(w, f, -r);
                return;
        }
        f->fd = safe_close(f->fd);
        r = file_open(w, f, true);
        if (r < 0)
                file_fail(w, f, -r);
}

/* Appends one record of the open line of ss to its file. */
static void emit(struct writer *w, struct stream_state *ss, bool partial)
{
        struct log_file *f = &w->files[ss->s->file];
        const char *stream = ss->s->is_stderr ? APP_LOG_STDERR : APP_LOG_STDOUT;
        size_t before;

        if (f->fd < 0) {
                ss->len = 0;
                return;
        }
        before = f->out.len;
        strbuf_puts(&f->out, w->ts);
        strbuf_putc(&f->out, ' ');
        strbuf_puts(&f->out, stream);
        strbuf_putc(&f->out, ' ');
        if (w->o->format == LOG_FORMAT_CRI) {
                strbuf_putc(&f->out, partial ? APP_LOG_TAG_PARTIAL : APP_LOG_TAG_FULL);
                strbuf_putc(&f->out, ' ');
        }
        strbuf_add(&f->out, ss->line, ss->len);
        strbuf_putc(&f->out, '\n');
        ss->len = 0;
        if (f->size + f->out.len > w->o->max_size && f->size + before > 0) {
                /* this record starts the next file */
                struct strbuf rec = STRBUF_INIT;
                strbuf_add(&rec, f->out.buf + before, f->out.len - before);
                f->out.len = before;
                f->out.buf[before] = 0;
                file_rotate(w, f);
                if (f->fd >= 0)
                        strbuf_add(&f->out, rec.buf, rec.len);
                strbuf_release(&rec);
        }
}

/* Splits n bytes of ss into records: one per line, lines longer than LOG_LINE_MAX in parts. */
static void take(struct writer *w, struct stream_state *ss, const char *data, size_t n)
{
        while (n > 0) {
                const char *nl = memchr(data, '\n', n);
                size_t seg = nl ? (size_t)(nl - data) : n, room = LOG_LINE_MAX - ss->len;

                if (seg > room || (seg == room && !nl)) {
                        memcpy(ss->line + ss->len, data, room);
                        ss->len += room;
                        emit(w, ss, true);
                        data += room;
                        n -= room;
                        continue;
                }
                memcpy(ss->line + ss->len, data, seg);
                ss->len += seg;
                data += seg;
                n -= seg;
                if (nl) {
                        emit(w, ss, false);
                        data++;
                        n--;
                }
        }
}

static void forward(struct log_stream *s, const char *buf, size_t n)
{
        if (s->forward_fd >= 0 && write_full(s->forward_fd, buf, n) < 0)
                s->forward_fd = -1; /* rkt run's output is gone: the log goes on */
}

static void stamp(struct writer *w)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        format_time_rfc3339nano((int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec, w->ts);
}

/* Reads once from stream i; returns false at end of file. */
static bool stream_read(struct writer *w, struct stream_state *ss, char *buf)
{
        ssize_t n = read(ss->s->fd, buf, READ_CHUNK);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0) {
                if (ss->len > 0) {
                        stamp(w);
                        emit(w, ss, false);
                }
                return false;
        }
        forward((struct log_stream *)ss->s, buf, (size_t)n);
        stamp(w);
        take(w, ss, buf, (size_t)n);
        return true;
}

int log_writer_run(struct log_writer_options *o)
{
        _cleanup_free_ struct pollfd *pfd = xnew0(struct pollfd, o->n_streams + 1);
        _cleanup_free_ struct stream_state *ss = xnew0(struct stream_state, o->n_streams + 1);
        _cleanup_free_ char *buf = oom_check(malloc(READ_CHUNK));
        struct writer w = {.o = o, .files = xnew0(struct log_file, o->n_files + 1)};
        size_t open_streams = o->n_streams;
        int r = 0;

        if (o->max_size == 0)
                o->max_size = LOG_FILE_MAX;
        for (size_t i = 0; i < o->n_files; i++) {
                w.files[i] = (struct log_file){.name = o->files[i], .fd = -1, .out = STRBUF_INIT};
                /* in a directory apps may write, a file found there may be anything (a host
                 * file an app moved in): set aside, never appended to; what cannot be set
                 * aside (an app's directory at <name>.1) stays, and this file is not written */
                int k = o->shared_dir ? file_move_aside(&w, &w.files[i]) : 0;
                if (k >= 0 || k == -ENOENT)
                        k = file_open(&w, &w.files[i], o->shared_dir);
                if (k < 0)
                        file_fail(&w, &w.files[i], -k);
        }
        for (size_t i = 0; i < o->n_streams; i++) {
                ss[i].s = &o->streams[i];
                pfd[i] = (struct pollfd){.fd = o->streams[i].fd, .events = POLLIN};
        }
        while (open_streams > 0) {
                if (poll(pfd, o->n_streams, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (size_t i = 0; i < o->n_streams; i++) {
                        if (pfd[i].fd < 0 || !pfd[i].revents)
                                continue;
                        if (!stream_read(&w, &ss[i], buf)) {
                                pfd[i].fd = safe_close(pfd[i].fd);
                                open_streams--;
                        }
                }
                for (size_t i = 0; i < o->n_files; i++)
                        file_flush(&w, &w.files[i]);
        }
        for (size_t i = 0; i < o->n_files; i++) {
                file_flush(&w, &w.files[i]);
                safe_close(w.files[i].fd);
                strbuf_release(&w.files[i].out);
        }
        free(w.files);
        return r;
}

/* --- the native stage1's setup --- */

/* Runs in: the writer, first thing: no capability (root still owns P/logs), no new ones. */
static void writer_drop_privileges(void)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2] = {{0}};

        (void)prctl(PR_SET_NAME, "rkt-log-writer", 0, 0, 0);
        (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (syscall(SYS_capset, &hdr, data) < 0)
                fprintf(stderr, "stage1: dropping the log writer's capabilities: %m\n");
}

/* Runs in: the writer process (forked by app_logs_start_in()). Never returns. */
_noreturn_ static void writer_main(int dirfd, int *reads, char *const *names, size_t n,
                                   enum log_format format)
{
        _cleanup_free_ int *keep = xnew0(int, 2 * n + 3);
        struct log_stream *streams = xnew0(struct log_stream, 2 * n);
        char **files = xnew0(char *, n + 1);
        struct log_writer_options o = {.dirfd = dirfd,
                                       .files = files,
                                       .n_files = n,
                                       .streams = streams,
                                       .n_streams = 2 * n,
                                       .format = format,
                                       /* the kubernetes log directory: apps may write it */
                                       .shared_dir = format == LOG_FORMAT_K8S_PLAIN};

        keep[0] = STDOUT_FILENO;
        keep[1] = STDERR_FILENO;
        keep[2] = dirfd;
        memcpy(keep + 3, reads, 2 * n * sizeof(int));
        close_all_fds_except(keep, 2 * n + 3);
        signal(SIGPIPE, SIG_IGN);
        writer_drop_privileges();
        for (size_t i = 0; i < n; i++) {
                files[i] = xstrdup(names[i]);
                streams[2 * i] = (struct log_stream){reads[2 * i], STDOUT_FILENO, false, i};
                streams[2 * i + 1] = (struct log_stream){reads[2 * i + 1], STDERR_FILENO, true, i};
        }
        _exit(log_writer_run(&o) < 0 ? 1 : 0);
}

static int logs_dir_open(const char *pod_dir, struct rk_error **reterr)
{
        _cleanup_close_ int podfd = open(pod_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        int fd;

        if (podfd < 0 || fstat(podfd, &st) < 0)
                return rk_error_set_errno(reterr, errno, "opening the pod directory");
        if (mkdirat(podfd, APP_LOG_DIR, 0750) < 0 && errno != EEXIST)
                return rk_error_set_errno(reterr, errno, "creating the pod's log directory");
        fd = openat(podfd, APP_LOG_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        /* the group of P (rkt) may read the logs; new files inherit it (set-group-ID) */
        if (fd < 0 || fchown(fd, 0, st.st_gid) < 0 || fchmod(fd, 02750) < 0) {
                int e = errno;
                safe_close(fd);
                return rk_error_set_errno(reterr, e, "preparing the pod's log directory");
        }
        return fd;
}

int app_logs_start(const char *pod_dir, const char *const *apps, size_t n, struct app_logs *l,
                   struct rk_error **reterr)
{
        _cleanup_strv_free_ char **files = NULL;
        int dirfd = logs_dir_open(pod_dir, reterr);

        if (dirfd < 0)
                return dirfd;
        for (size_t i = 0; i < n; i++)
                strv_consume(&files, xasprintf("%s" APP_LOG_SUFFIX, apps[i]));
        return app_logs_start_in(dirfd, files, n, LOG_FORMAT_CRI, l, reterr);
}

int app_logs_start_in(int logdir, char *const *files, size_t n, enum log_format format,
                      struct app_logs *l, struct rk_error **reterr)
{
        _cleanup_free_ int *reads = xnew0(int, 2 * n + 1);
        _cleanup_close_ int dirfd = logdir;
        pid_t pid;

        l->fds = oom_check(calloc(n + 1, sizeof(*l->fds)));
        l->n = n;
        for (size_t i = 0; i < n; i++)
                l->fds[i][0] = l->fds[i][1] = -EBADF;
        for (size_t i = 0; i < n; i++)
                for (int k = 0; k < 2; k++) {
                        int p[2];
                        if (pipe2(p, O_CLOEXEC) < 0) {
                                int e = errno;
                                for (size_t j = 0; j < 2 * i + (size_t)k; j++)
                                        safe_close(reads[j]);
                                app_logs_close_writers(l);
                                return rk_error_set_errno(reterr, e, "creating log pipes");
                        }
                        reads[2 * i + (size_t)k] = p[0];
                        l->fds[i][k] = p[1];
                }
        fflush(NULL);
        pid = fork();
        if (pid == 0)
                writer_main(dirfd, reads, files, n, format);
        for (size_t j = 0; j < 2 * n; j++)
                safe_close(reads[j]);
        if (pid < 0) {
                app_logs_close_writers(l);
                return rk_error_set_errno(reterr, errno, "starting the log writer");
        }
        l->writer = pid;
        return 0;
}

void app_logs_use(const struct app_logs *l, size_t i)
{
        if (!l->fds || i >= l->n)
                return;
        (void)dup2(l->fds[i][0], STDOUT_FILENO);
        (void)dup2(l->fds[i][1], STDERR_FILENO);
}

void app_logs_close_writers(struct app_logs *l)
{
        for (size_t i = 0; l->fds && i < l->n; i++) {
                l->fds[i][0] = safe_close(l->fds[i][0]);
                l->fds[i][1] = safe_close(l->fds[i][1]);
        }
}

const int *app_logs_writer_fds(const struct app_logs *l, size_t *ret_n)
{
        *ret_n = l->fds ? 2 * l->n : 0;
        return l->fds ? &l->fds[0][0] : NULL;
}

void app_logs_wait(struct app_logs *l)
{
        app_logs_close_writers(l);
        while (l->writer > 0 && waitpid(l->writer, NULL, 0) < 0 && errno == EINTR)
                ;
        l->writer = 0;
}
