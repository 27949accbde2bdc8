/* SPDX-License-Identifier: Apache-2.0 */
/* Pod cgroups (see cgroup.h). Runs in: stage1 host side. */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fs-util.h"
#include "process-util.h"
#include "strbuf.h"
#include "strv.h"
#include "userns.h"

static void hier_add(struct cgroups *c, const char *path, const char *opts, bool v2)
{
        for (size_t i = 0; i < c->n; i++)
                if (c->h[i].v2 == v2 && strcmp(c->h[i].opts, opts) == 0)
                        return; /* the same hierarchy mounted twice */
        c->h = oom_check(realloc(c->h, (c->n + 1) * sizeof(*c->h)));
        c->h[c->n++] = (struct cgroup_hier){xstrdup(path), xstrdup(opts), v2};
}

/* One mountinfo line: "id parent maj:min root mountpoint opts - fstype source superopts". */
static void mountinfo_line(struct cgroups *c, char *line)
{
        _cleanup_strv_free_ char **f = strv_split(line, ' ');
        size_t n = strv_length(f), sep = 0;

        for (size_t i = 6; i < n; i++)
                if (strcmp(f[i], "-") == 0) {
                        sep = i;
                        break;
                }
        if (!sep || sep + 3 >= n || strcmp(f[3], "/") != 0)
                return;
        if (strcmp(f[sep + 1], "cgroup2") == 0)
                hier_add(c, f[4], "", true);
        else if (strcmp(f[sep + 1], "cgroup") == 0)
                hier_add(c, f[4], f[sep + 3], false);
}

/*
 * listmount(2) and statmount(2) (Linux 6.8; mount options since 6.11), declared here: the
 * build's kernel headers may predate them. Only the filesystem type of every mount is asked
 * for, and the rest only of cgroup mounts, so that the cost does not grow with what else is
 * mounted (reading mountinfo formats every overlay's options: with many pods on the host,
 * milliseconds per call, once per pod start, stop and gc).
 */
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#define RK_LSMT_ROOT           UINT64_MAX
#define RK_STATMOUNT_SB_BASIC  0x01U
#define RK_STATMOUNT_MNT_ROOT  0x08U
#define RK_STATMOUNT_MNT_POINT 0x10U
#define RK_STATMOUNT_MNT_OPTS  0x80U
#define RK_CGROUP_SUPER_MAGIC  0x27e0ebULL
#define RK_CGROUP2_SUPER_MAGIC 0x63677270ULL
#define RK_SB_RDONLY           1U

struct rk_mnt_id_req {
        uint32_t size;
        uint32_t spare;
        uint64_t mnt_id;
        uint64_t param;
};

struct rk_statmount {
        uint32_t size;
        uint32_t mnt_opts; /* [str] */
        uint64_t mask;
        uint32_t sb_dev_major;
        uint32_t sb_dev_minor;
        uint64_t sb_magic;
        uint32_t sb_flags;
        uint32_t fs_type; /* [str] */
        uint64_t mnt_id;
        uint64_t mnt_parent_id;
        uint32_t mnt_id_old;
        uint32_t mnt_parent_id_old;
        uint64_t mnt_attr;
        uint64_t mnt_propagation;
        uint64_t mnt_peer_group;
        uint64_t mnt_master;
        uint64_t propagate_from;
        uint32_t mnt_root;  /* [str] */
        uint32_t mnt_point; /* [str] */
        uint64_t mnt_ns_id;
        uint64_t spare2[49];
        char str[];
};

static int statmount_of(uint64_t id, uint64_t mask, struct rk_statmount *buf, size_t size)
{
        struct rk_mnt_id_req req = {.size = 24, .mnt_id = id, .param = mask};

        return syscall(__NR_statmount, &req, buf, size, 0) < 0 ? -errno : 0;
}

/* A cgroup mount (its id) into c, as mountinfo_line() would add it. */
static int statmount_cgroup(struct cgroups *c, uint64_t id, struct rk_statmount *sm, size_t size)
{
        const uint64_t want =
                RK_STATMOUNT_SB_BASIC | RK_STATMOUNT_MNT_ROOT | RK_STATMOUNT_MNT_POINT;
        _cleanup_free_ char *opts = NULL;
        int r = statmount_of(id, want | RK_STATMOUNT_MNT_OPTS, sm, size);

        if (r == -ENOENT)
                return 0; /* unmounted meanwhile */
        if (r < 0)
                return r;
        if ((sm->mask & want) != want)
                return -EOPNOTSUPP;
        if (strcmp(sm->str + sm->mnt_root, "/") != 0)
                return 0;
        if (sm->sb_magic == RK_CGROUP2_SUPER_MAGIC) {
                hier_add(c, sm->str + sm->mnt_point, "", true);
                return 0;
        }
        /* a v1 hierarchy always has options (its controllers or name=): none means a kernel
         * that cannot give them (before 6.11): use mountinfo */
        if (!(sm->mask & RK_STATMOUNT_MNT_OPTS))
                return -EOPNOTSUPP;
        opts = xasprintf("%s%s%s", sm->sb_flags & RK_SB_RDONLY ? "ro" : "rw",
                         sm->str[sm->mnt_opts] ? "," : "", sm->str + sm->mnt_opts);
        hier_add(c, sm->str + sm->mnt_point, opts, false);
        return 0;
}

int cgroups_detect_statmount(struct cgroups *ret)
{
        const size_t size = sizeof(struct rk_statmount) + 3 * PATH_MAX;
        _cleanup_free_ struct rk_statmount *sm = oom_check(malloc(size));
        _cleanup_free_ uint64_t *ids = NULL;
        struct rk_mnt_id_req req = {.size = 24, .mnt_id = RK_LSMT_ROOT};
        struct cgroups c = {0};
        size_t cap = 256, n = 0;
        long got;
        int r = 0;

        ids = oom_check(malloc(cap * sizeof(*ids)));
        for (;;) {
                got = syscall(__NR_listmount, &req, ids + n, cap - n, 0);
                if (got < 0)
                        return -errno;
                n += (size_t)got;
                if (n < cap)
                        break;
                req.param = ids[n - 1]; /* more: continue after the last one */
                cap *= 2;
                ids = oom_check(reallocarray(ids, cap, sizeof(*ids)));
        }
        for (size_t i = 0; i < n && r >= 0; i++) {
                r = statmount_of(ids[i], RK_STATMOUNT_SB_BASIC, sm, size);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r >= 0 && (sm->sb_magic == RK_CGROUP_SUPER_MAGIC ||
                               sm->sb_magic == RK_CGROUP2_SUPER_MAGIC))
                        r = statmount_cgroup(&c, ids[i], sm, size);
        }
        if (r < 0) {
                cgroups_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

int cgroups_detect(struct cgroups *ret)
{
        if (cgroups_detect_statmount(ret) >= 0)
                return 0;
        return cgroups_detect_from("/proc/self/mountinfo", ret);
}

/* One read of the whole file (stdio would read /proc 1 KiB at a time), and only the cgroup
 * lines split: with many pods mounted, mountinfo is long and mostly overlays. */
int cgroups_detect_from(const char *mountinfo, struct cgroups *ret)
{
        _cleanup_free_ char *text = NULL;
        struct cgroups c = {0};
        char *save = NULL;
        int r = read_file_at(AT_FDCWD, mountinfo, 1 << 26, &text, NULL);

        if (r < 0)
                return r;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strstr(line, " - cgroup"))
                        mountinfo_line(&c, line);
        *ret = c;
        return 0;
}

void cgroups_done(struct cgroups *c)
{
        for (size_t i = 0; i < c->n; i++) {
                free(c->h[i].path);
                free(c->h[i].opts);
        }
        free(c->h);
        *c = (struct cgroups){0};
}

static bool hier_has(const struct cgroup_hier *h, const char *ctrl);

void cgroups_keep(struct cgroups *c, char *const *ctrls)
{
        size_t n = 0;

        for (size_t i = 0; i < c->n; i++) {
                bool keep = c->h[i].v2;
                for (char *const *k = ctrls; !keep && k && *k; k++)
                        keep = hier_has(&c->h[i], *k);
                if (keep) {
                        c->h[n++] = c->h[i];
                        continue;
                }
                free(c->h[i].path);
                free(c->h[i].opts);
        }
        c->n = n;
}

char *cgroup_pod_path(const char *uuid)
{
        struct strbuf sb = STRBUF_INIT;

        strbuf_puts(&sb, "machine.slice/machine-rkt\\x2d");
        for (const char *p = uuid; *p; p++)
                if (*p == '-')
                        strbuf_puts(&sb, "\\x2d");
                else
                        strbuf_putc(&sb, *p);
        strbuf_puts(&sb, ".scope");
        return strbuf_detach(&sb);
}

char *cgroup_app_path(const char *pod, const char *app)
{
        return xasprintf("%s/system.slice/%s.service", pod, app);
}

static bool hier_has(const struct cgroup_hier *h, const char *ctrl)
{
        _cleanup_strv_free_ char **opts = strv_split(h->opts, ',');

        return strv_contains(opts, ctrl);
}

static int write_at(int dirfd, const char *file, const char *value)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return write_full(fd, value, strlen(value));
}

/* v1 cpuset: a new cgroup has empty cpus/mems and refuses tasks; copy the parent's. */
static void cpuset_fixup(int parent, int dir)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *cur = NULL, *up = NULL;
                if (read_file_at(dir, files[i], 4096, &cur, NULL) < 0 || (cur[0] && cur[0] != '\n'))
                        continue;
                if (read_file_at(parent, files[i], 4096, &up, NULL) >= 0)
                        (void)write_at(dir, files[i], up);
        }
}

/* The controllers a cgroup2 cgroup has: the words of its cgroup.controllers (path, at
 * dirfd); NULL when it cannot be read. */
static char **v2_controllers(int dirfd, const char *path)
{
        _cleanup_free_ char *text = NULL;

        if (read_file_at(dirfd, path, 4096, &text, NULL) < 0)
                return NULL;
        text[strcspn(text, "\n")] = '\0';
        return strv_split(text, ' ');
}

/*
 * v2: delegate the controllers we set limits with to the children of parent, those it has:
 * a write of cgroup.subtree_control takes the kernel's cgroup lock and waits for removed
 * cgroups to go (cgroup_lock_and_drain_offline()) even when it fails, as it does for every
 * controller bound to a v1 hierarchy beside.
 */
static void v2_enable(int parent)
{
        static const char *const ctrls[] = {"memory", "cpu", "pids"};
        _cleanup_strv_free_ char **have = v2_controllers(parent, "cgroup.controllers");

        for (size_t i = 0; i < ELEMENTSOF(ctrls); i++) {
                if (!strv_contains(have, ctrls[i]))
                        continue;
                _cleanup_free_ char *plus = xasprintf("+%s", ctrls[i]);
                (void)write_at(parent, "cgroup.subtree_control", plus);
        }
}

static int hier_create(const struct cgroup_hier *h, const char *rel)
{
        _cleanup_strv_free_ char **parts = strv_split(rel, '/');
        _cleanup_close_ int dir = open(h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (dir < 0)
                return -errno;
        STRV_FOREACH(p, parts) {
                if (!**p)
                        continue;
                if (h->v2)
                        v2_enable(dir);
                bool created = mkdirat(dir, *p, 0755) == 0;
                if (!created && errno != EEXIST)
                        return -errno;
                int next = openat(dir, *p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                if (created && !h->v2 && hier_has(h, "cpuset"))
                        cpuset_fixup(dir, next);
                safe_close(dir);
                dir = next;
        }
        return 0;
}

int cgroups_create(const struct cgroups *c, const char *rel, struct rk_error **reterr)
{
        for (size_t i = 0; i < c->n; i++) {
                int r = hier_create(&c->h[i], rel);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "creating cgroup %s/%s", c->h[i].path,
                                                  rel);
        }
        return 0;
}

int cgroups_open(const struct cgroups *c, const char *rel, int **ret_fds)
{
        int *fds = xnew0(int, c->n + 1), r = 0;

        for (size_t i = 0; i < c->n; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", c->h[i].path, rel);
                fds[i] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fds[i] < 0 && r == 0)
                        r = -errno;
        }
        *ret_fds = fds;
        return r;
}

int cgroups_attach_fds(const int *fds, size_t n, pid_t pid)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (size_t i = 0; i < n; i++) {
                if (fds[i] < 0)
                        continue;
                _cleanup_close_ int fd = openat(fds[i], "cgroup.procs", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write_full(fd, buf, strlen(buf)) < 0)
                        return -errno;
        }
        return 0;
}

/* The hierarchy holding controller ctrl: a v1 one, else v2 when its root offers it. */
static const struct cgroup_hier *hier_for(const struct cgroups *c, const char *ctrl)
{
        for (size_t i = 0; i < c->n; i++)
                if (!c->h[i].v2 && hier_has(&c->h[i], ctrl))
                        return &c->h[i];
        for (size_t i = 0; i < c->n; i++) {
                if (!c->h[i].v2)
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/cgroup.controllers", c->h[i].path);
                _cleanup_strv_free_ char **l = v2_controllers(AT_FDCWD, p);
                if (strv_contains(l, ctrl))
                        return &c->h[i];
        }
        return NULL;
}

static int set_knob(const struct cgroups *c, const char *ctrl, const char *rel, const char *v1file,
                    const char *v2file, const char *value, struct rk_error **reterr)
{
        const struct cgroup_hier *h = hier_for(c, ctrl);
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!h)
                return rk_error_set(reterr, ENOTSUP, "cgroup controller %s is not available", ctrl);
        dir = xasprintf("%s/%s", h->path, rel);
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "opening cgroup %s", dir);
        r = write_at(fd, h->v2 ? v2file : v1file, value);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "setting %s/%s", dir,
                                          h->v2 ? v2file : v1file);
        return 0;
}

static int set_cpu_quota(const struct cgroups *c, const char *rel, int64_t milli,
                         struct rk_error **reterr)
{
        const struct cgroup_hier *h = hier_for(c, "cpu");
        _cleanup_free_ char *v2 = xasprintf("%" PRId64 " 100000", milli * 100);
        _cleanup_free_ char *v1 = xasprintf("%" PRId64, milli * 100);

        if (h && !h->v2) {
                int r = set_knob(c, "cpu", rel, "cpu.cfs_period_us", "", "100000", reterr);
                if (r < 0)
                        return r;
        }
        return set_knob(c, "cpu", rel, "cpu.cfs_quota_us", "cpu.max", h && h->v2 ? v2 : v1, reterr);
}

int cgroups_set_limits(const struct cgroups *c, const char *rel, const struct ac_app *app,
                       struct rk_error **reterr)
{
        for (size_t i = 0; i < app->n_isolators; i++) {
                const struct ac_isolator *iso = &app->isolators[i];
                _cleanup_free_ char *v = NULL;
                int r = 0;

                if (iso->kind == AC_ISOLATOR_RESOURCE_MEMORY && iso->resource.limit.text) {
                        v = xasprintf("%" PRId64, iso->resource.limit.value);
                        r = set_knob(c, "memory", rel, "memory.limit_in_bytes", "memory.max", v,
                                     reterr);
                } else if (iso->kind == AC_ISOLATOR_RESOURCE_CPU && iso->resource.limit.text) {
                        r = set_cpu_quota(c, rel, iso->resource.limit.milli_value, reterr);
                } else if (iso->kind == AC_ISOLATOR_CPU_SHARES) {
                        const struct cgroup_hier *h = hier_for(c, "cpu");
                        int sh = iso->cpu_shares;
                        v = h && h->v2 ? xasprintf("%d", 1 + ((sh - 2) * 9999) / 262142)
                                       : xasprintf("%d", sh);
                        r = set_knob(c, "cpu", rel, "cpu.shares", "cpu.weight", v, reterr);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * The devices every app may use (systemd's DevicePolicy=closed, as rkt): the standard
 * pseudo devices, /dev/tty, /dev/ptmx without mknod ("may be accessed, not duplicated") and
 * every pts. Writing "a" to devices.deny first empties the inherited allow-all list.
 */
static const char *const device_allow_default[] = {
        "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
        "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rw",  "c 136:* rw",
};

char **cgroup_device_rules(char *const *extra)
{
        char **rules = NULL;

        for (size_t i = 0; i < ELEMENTSOF(device_allow_default); i++)
                strv_push(&rules, device_allow_default[i]);
        for (char *const *e = extra; e && *e; e++)
                strv_push(&rules, *e);
        return rules;
}

int cgroups_restrict_devices(const struct cgroups *c, const char *rel, char **extra,
                             struct rk_error **reterr)
{
        const struct cgroup_hier *h = hier_for(c, "devices");
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!h || h->v2)
                return 0; /* cgroup v2: device-filter.h */
        dir = xasprintf("%s/%s", h->path, rel);
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "opening cgroup %s", dir);
        r = write_at(fd, "devices.deny", "a");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(device_allow_default); i++)
                r = write_at(fd, "devices.allow", device_allow_default[i]);
        STRV_FOREACH(e, extra)
                if (r >= 0)
                        r = write_at(fd, "devices.allow", *e);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "restricting devices of %s", dir);
        return 0;
}

/* Appends the pids listed in dir/cgroup.procs and below to *pids; returns the count. */
static size_t collect_pids(int dir, pid_t **pids, size_t n)
{
        _cleanup_free_ char *text = NULL;
        int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        if (read_file_at(dir, "cgroup.procs", 1u << 22, &text, NULL) >= 0) {
                _cleanup_strv_free_ char **l = strv_split(text, '\n');
                STRV_FOREACH(p, l)
                        if (**p) {
                                *pids = oom_check(realloc(*pids, (n + 1) * sizeof(pid_t)));
                                (*pids)[n++] = (pid_t)atoi(*p);
                        }
        }
        if (dfd < 0 || !(d = fdopendir(dfd))) {
                safe_close(dfd);
                return n;
        }
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.') {
                        _cleanup_close_ int sub =
                                openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (sub >= 0)
                                n = collect_pids(sub, pids, n);
                }
        closedir(d);
        return n;
}

static size_t kill_listed(const char *dir, int sig)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ pid_t *pids = NULL;
        size_t n;

        if (fd < 0)
                return 0;
        n = collect_pids(fd, &pids, 0);
        for (size_t i = 0; i < n; i++)
                if (pids[i] > 0)
                        (void)kill(pids[i], sig);
        return n;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

/* v1: freeze (so nothing forks while we kill), SIGKILL every pid, thaw. */
static size_t v1_kill_round(const struct cgroups *c, const char *rel)
{
        const struct cgroup_hier *fr = hier_for(c, "freezer");
        _cleanup_free_ char *frdir = fr && !fr->v2 ? xasprintf("%s/%s", fr->path, rel) : NULL;
        _cleanup_close_ int frfd = frdir ? open(frdir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        size_t n = 0;

        if (frfd >= 0)
                (void)write_at(frfd, "freezer.state", "FROZEN");
        for (size_t i = 0; i < c->n; i++) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", c->h[i].path, rel);
                n += kill_listed(dir, SIGKILL);
        }
        if (frfd >= 0)
                (void)write_at(frfd, "freezer.state", "THAWED");
        return n;
}

int cgroups_kill(const struct cgroups *c, const char *rel)
{
        for (size_t i = 0; i < c->n; i++) {
                _cleanup_free_ char *dir = xasprintf("%s/%s", c->h[i].path, rel);
                _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (c->h[i].v2 && fd >= 0)
                        (void)write_at(fd, "cgroup.kill", "1");
        }
        for (int round = 0; round < 100; round++) {
                if (v1_kill_round(c, rel) == 0)
                        return 0;
                sleep_ms(20);
        }
        return -EBUSY;
}

/* rmdir dir/name depth-first; only cgroup directories exist there. */
static int rmdir_tree(int dir, const char *name)
{
        int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.')
                        (void)rmdir_tree(dirfd(d), de->d_name);
        closedir(d);
        for (int i = 0; i < 50; i++) {
                if (unlinkat(dir, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return -errno;
                sleep_ms(20);
        }
        return -EBUSY;
}

int cgroups_remove(const struct cgroups *c, const char *rel)
{
        int ret = 0;

        (void)cgroups_kill(c, rel);
        for (size_t i = 0; i < c->n; i++) {
                _cleanup_close_ int root = open(c->h[i].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root < 0)
                        continue;
                int r = rmdir_tree(root, rel);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int cgroup_pidfd_in(pid_t pid, const char *rel)
{
        if (!rel || !*rel)
                return -ESRCH;
        return pidfd_open_checked(pid, "cgroup", proc_cgroup_text_in, rel);
}

/* A relative cgroup path of plain names: not empty, no leading '/', no "", "." or "..". */
static bool rel_plain(const char *rel)
{
        _cleanup_strv_free_ char **parts = NULL;

        if (!rel[0] || rel[0] == '/' || rel[strlen(rel) - 1] == '/' || strstr(rel, "//"))
                return false;
        parts = strv_split(rel, '/');
        STRV_FOREACH(p, parts)
                if (strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
                        return false;
        return true;
}

/* Whether the caller may manage the cgroup rel below the cgroup2 mount mnt (rel_plain()). */
static bool v2_manageable(int mnt, const char *rel)
{
        static const char *const files[] = {"cgroup.procs", "cgroup.subtree_control"};

        if (faccessat(mnt, rel, W_OK | X_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *f = xasprintf("%s/%s", rel, files[i]);
                if (faccessat(mnt, f, W_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        return false;
        }
        return true;
}

/* The caller's cgroup2 cgroup ("0::/<path>"), without the leading '/', malloc'd; "" at the
 * root. Returns 0 or -errno (-ENOENT: none). */
static int self_v2_cgroup(char **ret)
{
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &text, NULL);
        const char *line;

        if (r < 0)
                return r;
        line = strncmp(text, "0::", 3) == 0 ? text : strstr(text, "\n0::");
        if (!line)
                return -ENOENT;
        line += line == text ? 3 : 4;
        if (line[0] != '/')
                return -ENOENT;
        *ret = strndup(line + 1, strcspn(line + 1, "\n"));
        return *ret ? 0 : -ENOMEM;
}

int cgroup_delegated_find(const char *v2mount, char **ret)
{
        _cleanup_close_ int mnt = open(v2mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *rel = NULL;
        int r;

        if (mnt < 0)
                return -errno;
        r = self_v2_cgroup(&rel);
        if (r < 0)
                return r;
        if (!rel[0] || !rel_plain(rel))
                return -ENOENT; /* the root, or outside our cgroup namespace */
        for (;;) {
                if (v2_manageable(mnt, rel)) {
                        *ret = TAKE_PTR(rel);
                        return 0;
                }
                char *slash = strrchr(rel, '/');
                if (!slash)
                        return -ENOENT;
                *slash = '\0';
        }
}

char *cgroup_rootless_pod_path(const char *deleg, const char *uuid)
{
        return xasprintf("%s/rkt-%s", deleg, uuid);
}

/* The name of the cwd (P: the pod's UUID), malloc'd, or NULL. */
static char *cwd_name(void)
{
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        const char *slash = cwd ? strrchr(cwd, '/') : NULL;

        return slash && slash[1] ? strdup(slash + 1) : NULL;
}

bool cgroup_caller_rootless(void)
{
        return geteuid() != 0 || !userns_is_host();
}

int cgroup_read_subcgroup(char **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *sub = NULL, *uuid = NULL;
        struct cgroups cg = {0};
        bool rootless = cgroup_caller_rootless(), valid;
        int r;

        *ret = NULL;
        r = read_file_at(AT_FDCWD, "subcgroup", 4096, &sub, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        sub[strcspn(sub, "\n")] = '\0';
        uuid = cwd_name();
        if (!uuid)
                return -errno ?: -ENOENT;
        if (rootless && cgroups_detect(&cg) >= 0)
                cgroups_keep(&cg, NULL); /* only cgroup2 is the user's */
        valid = cgroup_subcgroup_valid(sub, uuid, rootless, cg.n > 0 ? cg.h[0].path : NULL);
        cgroups_done(&cg);
        if (!valid)
                return rk_error_set(reterr, EPERM, "refusing unexpected subcgroup \"%s\"", sub);
        *ret = TAKE_PTR(sub);
        return 0;
}

bool cgroup_subcgroup_valid(const char *sub, const char *uuid, bool rootless, const char *v2mount)
{
        _cleanup_free_ char *root = cgroup_pod_path(uuid), *leaf = xasprintf("/rkt-%s", uuid);
        _cleanup_free_ char *deleg = NULL;
        _cleanup_close_ int mnt = -EBADF;
        size_t n = strlen(sub), m = strlen(leaf);

        if (strchr(uuid, '/') || strstr(uuid, ".."))
                return false;
        if (!rootless)
                return strcmp(sub, root) == 0;
        if (!v2mount || !rel_plain(sub) || n <= m || strcmp(sub + n - m, leaf) != 0)
                return false;
        mnt = open(v2mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
        deleg = strndup(sub, n - m);
        return mnt >= 0 && deleg && v2_manageable(mnt, deleg);
}
