/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What stage0 reads from a pod directory (SPEC.md §6.3, §6.4): times, pid, manifest, app exit
 * statuses, networks, readiness; and the waits of `rkt status`. Runs in stage0; never blocks
 * on a lock.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "app-status.h"
#include "pod-private.h"
#include "time-util.h"

static int64_t timespec_ns(const struct timespec *ts)
{
        return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

/* The mtime of P/name in ns, or 0. */
static int64_t pod_mtime(const struct pod *p, const char *name, int *ret_err)
{
        struct stat st;

        if (fstatat(p->fd, name, &st, 0) < 0) {
                *ret_err = -errno;
                return 0;
        }
        *ret_err = 0;
        return timespec_ns(&st.st_mtim);
}

int64_t pod_creation_time(const struct pod *p)
{
        int64_t t;
        int e;

        if (p->state != POD_STATE_PREPARED && p->state != POD_STATE_RUNNING && !pod_is_after_run(p))
                return 0;
        t = pod_mtime(p, "pod-created", &e);
        if (e == -ENOENT)
                t = pod_mtime(p, "pod", &e);
        return t;
}

int64_t pod_start_time(const struct pod *p)
{
        int64_t t;
        int e;

        if (p->state != POD_STATE_RUNNING && !pod_is_after_run(p))
                return 0;
        t = pod_mtime(p, "pid", &e);
        if (e < 0)
                t = pod_mtime(p, "ppid", &e);
        return t;
}

int64_t pod_gc_mark_time(const struct pod *p)
{
        struct stat st;

        if (p->state != POD_STATE_EXITED_GARBAGE && p->state != POD_STATE_EXITED_DELETING &&
            p->state != POD_STATE_GARBAGE && p->state != POD_STATE_DELETING)
                return 0;
        if (lstat(p->path, &st) < 0)
                return 0;
        return timespec_ns(&st.st_ctim);
}

/* An int written by rkt or a stage1, read as Go's Sscanf("%d") did. */
static int read_int_at(int dirfd, const char *path, int *ret)
{
        long v;
        int r = read_long_at(dirfd, path, READ_LONG_SCANF, &v);

        if (r < 0)
                return r;
        if (v < INT32_MIN || v > INT32_MAX)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

int pod_read_pid(const struct pod *p, int *ret_pid)
{
        if (read_int_at(p->fd, "pid", ret_pid) >= 0)
                return 0;
        return read_int_at(p->fd, "ppid", ret_pid) < 0 ? -ENOENT : 0;
}

int pod_read_manifest_raw(const struct pod *p, char **ret, size_t *ret_len,
                          struct rk_error **reterr)
{
        int r = read_file_at(p->fd, "pod", 64 << 20, ret, ret_len);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "error reading pod manifest");
        return 0;
}

bool pod_uses_overlay(const struct pod *p)
{
        return faccessat(p->fd, "overlay-prepared", F_OK, 0) == 0;
}

char *pod_stage1_rootfs(const struct pod *p)
{
        return xasprintf("%s/stage1/rootfs", p->path);
}

char *pod_stage1_upper(const struct pod *p)
{
        _cleanup_free_ char *id = NULL;
        size_t n;

        if (!pod_uses_overlay(p))
                return pod_stage1_rootfs(p);
        if (read_file_at(p->fd, "stage1TreeStoreID", 4096, &id, NULL) < 0)
                return NULL;
        n = strcspn(id, " \t\r\n");
        return xasprintf("%s/overlay/%.*s/upper", p->path, (int)n, id);
}

/*
 * The path of S1/rel to read: through S1 itself (the stage1 overlay stage0 mounted, which
 * members of group rkt may traverse), else, when the overlay is no longer mounted (after a
 * reboot), in its upper directory (P/overlay is root-only). malloc'd; NULL when neither
 * can be named.
 */
static char *pod_stage1_file(const struct pod *p, const char *rel)
{
        _cleanup_free_ char *s1 = pod_stage1_rootfs(p);
        char *path = xasprintf("%s/%s", s1, rel);
        _cleanup_free_ char *upper = NULL;

        if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || !pod_uses_overlay(p))
                return path;
        free(path);
        upper = pod_stage1_upper(p);
        return upper ? xasprintf("%s/%s", upper, rel) : NULL;
}

/* S1/dir (or its copy in the upper directory, as pod_stage1_file() finds it), reached
 * without following a link (an app that may trace writes S1): O_PATH, or -errno. */
static int pod_stage1_dir_open(const struct pod *p, const char *dir)
{
        _cleanup_free_ char *path = pod_stage1_file(p, dir);
        _cleanup_close_ int base = -EBADF;

        if (!path)
                return -ENOENT;
        /* S1 or its upper directory, whichever pod_stage1_file() named: ours */
        path[strlen(path) - strlen(dir) - 1] = '\0';
        base = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (base < 0)
                return -errno;
        return open_dir_nofollow(base, dir);
}

int pod_app_status_dir_open(const struct pod *p)
{
        return pod_stage1_dir_open(p, APP_STATUS_DIR);
}

int pod_read_app_status(const struct pod *p, const char *app, int *ret_code)
{
        _cleanup_free_ char *valid = app_status_path(app);
        _cleanup_close_ int dir = -EBADF;

        if (!valid)
                return -ENOENT;
        dir = pod_app_status_dir_open(p);
        if (dir < 0)
                return -ENOENT;
        return app_status_read_at(dir, app, ret_code) < 0 ? -ENOENT : 0;
}

bool pod_supervisor_ready(const struct pod *p)
{
        _cleanup_close_ int dir = pod_stage1_dir_open(p, "rkt");
        char target[16];
        ssize_t n;

        if (dir < 0)
                return false;
        n = readlinkat(dir, "supervisor-status", target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = 0;
        return strcmp(target, "ready") == 0;
}

static void sleep_ns(int64_t ns)
{
        struct timespec ts = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int64_t monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return timespec_ns(&ts);
}

/* Polls check(p) every 100 ms until it is true or timeout_ns (< 0: never) has passed. */
static int pod_poll(struct pod *p, bool (*check)(struct pod *p), int64_t timeout_ns)
{
        int64_t deadline = monotonic_ns() + timeout_ns;

        for (;;) {
                if (check(p))
                        return 0;
                if (timeout_ns >= 0 && monotonic_ns() + 100 * NSEC_PER_MSEC > deadline) {
                        int64_t left = deadline - monotonic_ns();
                        if (left > 0)
                                sleep_ns(left);
                        return check(p) ? 0 : -ETIMEDOUT;
                }
                sleep_ns(100 * NSEC_PER_MSEC);
        }
}

static bool pod_check_ready(struct pod *p)
{
        if (pod_refresh_state(p) < 0)
                return false;
        return pod_supervisor_ready(p);
}

static bool pod_check_finished(struct pod *p)
{
        if (p->state == POD_STATE_EXITED || p->state == POD_STATE_EXITED_GARBAGE ||
            p->state == POD_STATE_ABORTED_PREPARE || p->state == POD_STATE_GARBAGE)
                return true;
        if (!p->locked_by_us && flock(p->fd, LOCK_SH | LOCK_NB) < 0)
                return false;
        if (!p->locked_by_us)
                (void)flock(p->fd, LOCK_UN);
        if (pod_refresh_state(p) == -ENOENT)
                return true;
        if (p->state == POD_STATE_PREPARED)
                sleep_ns(NSEC_PER_SEC);
        return p->state == POD_STATE_EXITED || p->state == POD_STATE_EXITED_GARBAGE ||
               p->state == POD_STATE_ABORTED_PREPARE || p->state == POD_STATE_GARBAGE;
}

int pod_wait_ready(struct pod *p, int64_t timeout_ns)
{
        return pod_poll(p, pod_check_ready, timeout_ns);
}

int pod_wait_finished(struct pod *p, int64_t timeout_ns)
{
        return pod_poll(p, pod_check_finished, timeout_ns);
}

/* The cgroup path of pid in the name=systemd hierarchy, else the unified one ("0::"). */
static char *proc_systemd_cgroup(int pid)
{
        _cleanup_free_ char *text = NULL, *path = xasprintf("/proc/%d/cgroup", pid);
        char *unified = NULL, *line, *save = NULL;

        if (pid <= 0 || read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
                return NULL;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2)
                        continue;
                if (c2 - c1 - 1 == 12 && strncmp(c1 + 1, "name=systemd", 12) == 0) {
                        free(unified);
                        return xstrdup(c2 + 1);
                }
                if (c2 == c1 + 1 && strncmp(line, "0:", 2) == 0 && !unified)
                        unified = xstrdup(c2 + 1);
        }
        return unified;
}

int pod_read_cgroup(const struct pod *p, int pid, char **ret)
{
        _cleanup_free_ char *sub = NULL;
        char *cg;
        size_t n;

        if (read_file_at(p->fd, "subcgroup", 4096, &sub, NULL) >= 0) {
                *ret = sub[0] == '/' ? TAKE_PTR(sub) : xasprintf("/%s", sub);
                return 0;
        }
        cg = proc_systemd_cgroup(pid);
        if (!cg)
                return -ENOENT;
        n = strlen(cg);
        if (n >= 11 && strcmp(cg + n - 11, "/init.scope") == 0)
                cg[n - 11] = 0;
        *ret = cg;
        return 0;
}
