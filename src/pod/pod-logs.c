/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading the apps' logs of a pod (app-log.h), for `rkt logs` and the API service's GetLogs:
 * each app's files read in order, the apps merged by time, the since/until bounds and the
 * last N lines, and following files that grow, are truncated or rotated under the reader.
 * Reads only; never blocks. Runs in: stage0, the API service (any thread, one reader each).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app-log.h"
#include "pod-private.h"
#include "strv.h"
#include "time-util.h"

#define BUF_SIZE (64u << 10) /* more than a record can take (APP_LOG_LINE_MAX + its header) */

struct log_file {
        int fd;
        ino_t ino;
        off_t off;   /* the next byte to read */
        off_t limit; /* no record starts at or after this offset (-1: none) */
};

struct log_src {
        char *app;
        char *name; /* <app>.log */
        struct log_file f[2];
        size_t n, cur; /* files, the one being read */
        char *buf;     /* read but not consumed: buf[0..len) */
        size_t len;
        char *line; /* the head record's copy */
        bool has_head;
        struct pod_log_record head;
};

struct pod_logs {
        int dirfd;
        struct log_src *srcs;
        size_t n;
        struct pod_logs_filter f;
        uint64_t skip; /* full lines still to skip for the tail */
};

static void src_done(struct log_src *s)
{
        for (size_t i = 0; i < s->n; i++)
                safe_close(s->f[i].fd);
        free(s->app);
        free(s->name);
        free(s->buf);
        free(s->line);
}

struct pod_logs *pod_logs_free(struct pod_logs *l)
{
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n; i++)
                src_done(&l->srcs[i]);
        free(l->srcs);
        safe_close(l->dirfd);
        free(l);
        return NULL;
}

static int file_open(int dirfd, const char *name, struct log_file *ret)
{
        struct stat st;
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                safe_close(fd);
                return -EINVAL;
        }
        *ret = (struct log_file){fd, st.st_ino, 0, st.st_size};
        return 0;
}

/*
 * Opens <app>.log then <app>.log.1: the order that cannot miss a file rotated in between (if
 * it was, the ".1" just opened is the file opened first, and <app>.log is opened again).
 */
static int src_open(int dirfd, const char *app, struct log_src *s)
{
        _cleanup_free_ char *old = xasprintf("%s" APP_LOG_OLD_SUFFIX, app);
        struct log_file cur, prev;
        int r;

        s->app = xstrdup(app);
        s->name = xasprintf("%s" APP_LOG_SUFFIX, app);
        s->buf = oom_check(malloc(BUF_SIZE));
        r = file_open(dirfd, s->name, &cur);
        if (r < 0)
                return r == -ENOENT ? 0 : r; /* nothing written yet */
        if (file_open(dirfd, old, &prev) >= 0) {
                if (prev.ino == cur.ino) {
                        safe_close(cur.fd);
                        if (file_open(dirfd, s->name, &cur) < 0)
                                cur.fd = -EBADF;
                }
                s->f[s->n++] = prev;
        }
        if (cur.fd >= 0)
                s->f[s->n++] = cur;
        return 0;
}

/* Reads more of the current file into the buffer; returns the bytes read (0: none now). */
static size_t src_fill(struct log_src *s)
{
        struct log_file *f = &s->f[s->cur];
        ssize_t n;

        if (s->len == 0 && f->limit >= 0 && f->off >= f->limit)
                return 0; /* the snapshot is read; a line started before may still finish */
        n = pread(f->fd, s->buf + s->len, BUF_SIZE - s->len, f->off);
        if (n <= 0)
                return 0;
        f->off += n;
        s->len += (size_t)n;
        return (size_t)n;
}

/* The next whole line of s (copied to s->line, NUL-terminated); false when there is none now. */
static bool src_line(struct log_src *s, size_t *ret_len)
{
        while (s->cur < s->n) {
                char *nl = memchr(s->buf, '\n', s->len);
                if (nl) {
                        size_t n = (size_t)(nl - s->buf);
                        free(s->line);
                        s->line = oom_check(malloc(n + 1));
                        memcpy(s->line, s->buf, n);
                        s->line[n] = 0;
                        memmove(s->buf, nl + 1, s->len - n - 1);
                        s->len -= n + 1;
                        *ret_len = n;
                        return true;
                }
                if (s->len == BUF_SIZE)
                        s->len = 0; /* no newline in a whole buffer: not a record */
                if (src_fill(s) > 0)
                        continue;
                if (s->cur + 1 < s->n) { /* a finished older file: on to the next */
                        s->cur++;
                        s->len = 0;
                        continue;
                }
                return false; /* a line being written stays for later */
        }
        return false;
}

/* Parses "<time> <stream> <tag> <content>" (app-log.h). */
static bool parse_record(const char *app, char *line, size_t len, struct pod_log_record *r)
{
        char *sp1 = memchr(line, ' ', len), *sp2, *p;

        if (!sp1 || parse_time_rfc3339(line, (size_t)(sp1 - line), &r->time_ns) < 0)
                return false;
        p = sp1 + 1;
        sp2 = memchr(p, ' ', len - (size_t)(p - line));
        if (!sp2 || (size_t)(sp2 - line) + 3 > len || sp2[2] != ' ')
                return false;
        if (sp2 - p == 6 && strncmp(p, APP_LOG_STDOUT, 6) == 0)
                r->is_stderr = false;
        else if (sp2 - p == 6 && strncmp(p, APP_LOG_STDERR, 6) == 0)
                r->is_stderr = true;
        else
                return false;
        if (sp2[1] != APP_LOG_TAG_FULL && sp2[1] != APP_LOG_TAG_PARTIAL)
                return false;
        r->partial = sp2[1] == APP_LOG_TAG_PARTIAL;
        r->app = app;
        r->line = line;
        r->line_len = len;
        r->content = sp2 + 3;
        r->content_len = len - (size_t)(sp2 + 3 - line);
        return true;
}

static bool wanted(const struct pod_logs *l, const struct pod_log_record *r)
{
        return (l->f.since_ns == 0 || r->time_ns >= l->f.since_ns) &&
               (l->f.until_ns == 0 || r->time_ns < l->f.until_ns);
}

/* Makes sure s has its next wanted record as head, if there is one now. */
static bool src_head(const struct pod_logs *l, struct log_src *s)
{
        size_t len;

        while (!s->has_head && src_line(s, &len))
                s->has_head = parse_record(s->app, s->line, len, &s->head) && wanted(l, &s->head);
        return s->has_head;
}

/* The source whose head is the oldest record, or NULL. */
static struct log_src *oldest(struct pod_logs *l)
{
        struct log_src *best = NULL;

        for (size_t i = 0; i < l->n; i++)
                if (src_head(l, &l->srcs[i]) &&
                    (!best || l->srcs[i].head.time_ns < best->head.time_ns))
                        best = &l->srcs[i];
        return best;
}

int pod_logs_next(struct pod_logs *l, struct pod_log_record *ret)
{
        for (;;) {
                struct log_src *s = oldest(l);
                if (!s)
                        return 0;
                s->has_head = false;
                if (l->skip > 0) {
                        l->skip -= !s->head.partial;
                        continue;
                }
                *ret = s->head;
                return 1;
        }
}

static void src_rewind(struct log_src *s)
{
        for (size_t i = 0; i < s->n; i++)
                s->f[i].off = 0;
        s->cur = 0;
        s->len = 0;
        s->has_head = false;
}

/* For the tail: counts the full lines of the snapshot, then rewinds. */
static uint64_t count_lines(struct pod_logs *l)
{
        struct pod_log_record r;
        uint64_t n = 0;

        while (pod_logs_next(l, &r) > 0)
                n += !r.partial;
        for (size_t i = 0; i < l->n; i++)
                src_rewind(&l->srcs[i]);
        return n;
}

/* Whether everything of s's files has been read (a new <app>.log may then be opened). */
static bool src_drained(struct log_src *s)
{
        struct log_file *last = &s->f[s->n - 1];
        struct stat st;

        if (fstat(last->fd, &st) == 0 && st.st_size < last->off) {
                last->off = 0; /* truncated under us: what is there now is new */
                if (s->cur == s->n - 1)
                        s->len = 0;
                return false;
        }
        return s->cur == s->n - 1 && s->len == 0 && last->off >= st.st_size;
}

static void src_refresh(int dirfd, struct log_src *s)
{
        struct log_file fresh;
        struct stat st;

        for (size_t i = 0; i < s->n; i++)
                s->f[i].limit = -1;
        if (s->n > 0 && !src_drained(s))
                return; /* finish what we have first */
        if (fstatat(dirfd, s->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            (s->n > 0 && st.st_ino == s->f[s->n - 1].ino))
                return;
        if (file_open(dirfd, s->name, &fresh) < 0)
                return;
        fresh.limit = -1; /* rotated (or created): a new <app>.log, read from its start */
        if (s->n > 0) {
                safe_close(s->f[s->n - 1].fd);
                s->f[s->n - 1] = fresh;
        } else {
                s->f[s->n++] = fresh;
        }
        s->cur = s->n - 1;
        s->len = 0;
}

void pod_logs_refresh(struct pod_logs *l)
{
        for (size_t i = 0; i < l->n; i++)
                src_refresh(l->dirfd, &l->srcs[i]);
}

/* The error when P/logs does not exist. */
static int no_logs(const struct pod *p, struct rk_error **reterr)
{
        if (p->state == POD_STATE_EMBRYO || p->state == POD_STATE_PREPARING ||
            p->state == POD_STATE_PREPARED || p->state == POD_STATE_ABORTED_PREPARE)
                return rk_error_set(reterr, EOPNOTSUPP,
                                    "no logs for pod \"%s\": it has not started", p->uuid);
        return rk_error_set(
                reterr, EOPNOTSUPP,
                "logging unsupported for pod \"%s\": only pods run by the native stage1 "
                "without --interactive keep logs",
                p->uuid);
}

/*
 * Opens P/logs. A pod that has just started may not have it yet (its stage1 makes it before
 * the apps start): a running pod gets up to LOGS_DIR_GRACE for it to appear, less when its
 * apps are running already without it.
 */
#define LOGS_DIR_GRACE_MS 2000
static int logs_dir_open(const struct pod *p)
{
        for (unsigned waited = 0;; waited += 50) {
                int fd =
                        openat(p->fd, APP_LOG_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0 || errno != ENOENT)
                        return fd < 0 ? -errno : fd;
                if (p->state != POD_STATE_RUNNING || waited >= LOGS_DIR_GRACE_MS ||
                    pod_supervisor_ready(p))
                        return -ENOENT;
                (void)usleep(50 * 1000);
        }
}

static int logs_apps(const struct pod *p, const char *app, char ***ret, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **names = NULL;
        int r = pod_app_names(p, &names, reterr);

        if (r < 0)
                return r;
        if (!app) {
                *ret = TAKE_PTR(names);
                return 0;
        }
        if (!strv_contains(names, app))
                return rk_error_set(reterr, ENOENT, "no app %s in pod \"%s\"", app, p->uuid);
        strv_push(ret, app);
        return 0;
}

int pod_logs_open(const struct pod *p, const struct pod_logs_filter *f, struct pod_logs **ret,
                  struct rk_error **reterr)
{
        _cleanup_(pod_logs_freep) struct pod_logs *l = xnew0(struct pod_logs, 1);
        _cleanup_strv_free_ char **apps = NULL;
        int r;

        l->f = *f;
        l->f.app = NULL;
        l->dirfd = logs_dir_open(p);
        if (l->dirfd == -ENOENT)
                return no_logs(p, reterr);
        if (l->dirfd < 0)
                return rk_error_set_errno(reterr, -l->dirfd, "opening the logs of pod \"%s\"",
                                          p->uuid);
        r = logs_apps(p, f->app, &apps, reterr);
        if (r < 0)
                return r;
        l->n = strv_length(apps);
        l->srcs = xnew0(struct log_src, l->n + 1);
        for (size_t i = 0; i < l->n; i++) {
                r = src_open(l->dirfd, apps[i], &l->srcs[i]);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "opening the log of app %s", apps[i]);
        }
        if (f->tail > 0) {
                uint64_t n = count_lines(l);
                l->skip = n > f->tail ? n - f->tail : 0;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

size_t pod_logs_n_apps(const struct pod_logs *l)
{
        return l->n;
}

bool pod_logs_follow(struct pod_logs *l, struct pod *p)
{
        bool running = pod_refresh_state(p) >= 0 && p->state == POD_STATE_RUNNING;

        pod_logs_refresh(l);
        return running;
}
