/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the native stage1's cgroup module (src/stage1/native/cgroup.c) on fixture
 * trees: layout detection from mountinfo fixtures (hybrid, pure v1, pure v2), and the v1 and
 * v2 writers on directories imitating cgroup hierarchies.
 *
 * The imitation of cgroupfs: mkdirat and unlinkat are wrapped (-Wl,--wrap, see meson.build).
 * In a fixture directory (one holding a ".fixture" file naming its hierarchy: "v2" or the v1
 * controllers), mkdirat gives the new cgroup its interface files as the kernel would, and
 * rmdir removes them again (EBUSY while cgroup.procs lists a process, ENOTEMPTY while a child
 * cgroup exists). Value files start empty, so a file holds exactly what was written once.
 * Files written several times (cgroup.subtree_control, devices.allow/deny, freezer.state)
 * are FIFOs whose writes a reader kept open by the test logs. On v2, memory.* and cpu.* exist
 * in a child only when the parent's subtree_control enabled the controller first, as in the
 * kernel. cgroup.procs always stays empty, so nothing here ever signals a real process.
 */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cgroup.h"
#include "fs-util.h"
#include "macro.h"
#include "strbuf.h"
#include "strv.h"
#include "tap.h"

int __real_mkdirat(int at, const char *path, mode_t mode);
int __real_unlinkat(int at, const char *path, int flags);
int __wrap_mkdirat(int at, const char *path, mode_t mode);
int __wrap_unlinkat(int at, const char *path, int flags);

/* ---- the FIFO log: every fixture FIFO has a non-blocking reader kept open ---- */

struct fifo {
        char *path;
        int fd;
        struct strbuf log;
};
static struct fifo fifos[256];
static size_t n_fifos;

static void mkfifo_logged(const char *path)
{
        if (mkfifo(path, 0600) < 0 || n_fifos == ELEMENTSOF(fifos))
                abort();
        fifos[n_fifos] = (struct fifo){xstrdup(path), open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC),
                                       STRBUF_INIT};
        if (fifos[n_fifos].fd < 0)
                abort();
        n_fifos++;
}

/* Everything written to the FIFO at path so far ("" when none; NULL: not a FIFO). */
static const char *fifo_log(const char *path)
{
        for (size_t i = n_fifos; i-- > 0;) {
                char buf[4096];
                ssize_t k;
                if (strcmp(fifos[i].path, path) != 0)
                        continue;
                while ((k = read(fifos[i].fd, buf, sizeof(buf))) > 0)
                        strbuf_add(&fifos[i].log, buf, (size_t)k);
                return strbuf_str(&fifos[i].log);
        }
        return NULL;
}

/* ---- the cgroupfs imitation ---- */

static char *read_text(const char *path)
{
        char *s = NULL;

        if (read_file_at(AT_FDCWD, path, 1 << 20, &s, NULL) < 0)
                return NULL;
        return s;
}

static void put(const char *dir, const char *name, const char *content)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || write_full(fd, content, strlen(content)) < 0)
                abort();
}

static void put_fifo(const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);

        mkfifo_logged(p);
}

/* The hierarchy kind of a fixture directory (malloc'd), or NULL outside the fixtures. */
static char *fixture_kind(const char *dir)
{
        _cleanup_free_ char *p = xasprintf("%s/.fixture", dir);
        char *k = read_text(p);

        if (k)
                k[strcspn(k, "\n")] = '\0';
        return k;
}

static bool kind_has(const char *kind, const char *ctrl)
{
        _cleanup_free_ char *pat = xasprintf(",%s,", ctrl), *k = xasprintf(",%s,", kind);

        return strstr(k, pat) != NULL;
}

/* The interface files of a cgroup of kind at dir; parent: its parent ("" for a root). */
static void populate(const char *dir, const char *kind, const char *parent)
{
        put(dir, ".fixture", kind);
        put(dir, "cgroup.procs", "");
        if (strcmp(kind, "v2") == 0) {
                _cleanup_free_ char *sc = xasprintf("%s/cgroup.subtree_control", parent);
                const char *enabled = *parent ? fifo_log(sc) : NULL;
                struct strbuf ctrls = STRBUF_INIT;
                put_fifo(dir, "cgroup.subtree_control");
                put(dir, "cgroup.kill", "");
                if (!*parent)
                        return; /* the root: the test writes cgroup.controllers */
                /* the controllers the parent delegated (the parent's subtree_control) */
                if (enabled && strstr(enabled, "+memory")) {
                        put(dir, "memory.max", "");
                        strbuf_puts(&ctrls, "memory ");
                }
                if (enabled && strstr(enabled, "+cpu")) {
                        put(dir, "cpu.max", "");
                        put(dir, "cpu.weight", "");
                        strbuf_puts(&ctrls, "cpu ");
                }
                if (enabled && strstr(enabled, "+pids")) {
                        put(dir, "pids.max", "");
                        strbuf_puts(&ctrls, "pids ");
                }
                put(dir, "cgroup.controllers", strbuf_str(&ctrls));
                strbuf_release(&ctrls);
                return;
        }
        put(dir, "tasks", "");
        if (kind_has(kind, "memory"))
                put(dir, "memory.limit_in_bytes", "");
        if (kind_has(kind, "cpu")) {
                put(dir, "cpu.cfs_quota_us", "");
                put(dir, "cpu.cfs_period_us", "");
                put(dir, "cpu.shares", "");
        }
        if (kind_has(kind, "cpuset")) {
                /* a new v1 cpuset cgroup starts with empty cpus and mems */
                put(dir, "cpuset.cpus", *parent ? "" : "0-3\n");
                put(dir, "cpuset.mems", *parent ? "" : "0\n");
        }
        if (kind_has(kind, "devices")) {
                put_fifo(dir, "devices.allow");
                put_fifo(dir, "devices.deny");
        }
        if (kind_has(kind, "freezer"))
                put_fifo(dir, "freezer.state");
}

static char *fd_path(int dirfd)
{
        _cleanup_free_ char *link = xasprintf("/proc/self/fd/%d", dirfd);
        char buf[4096];
        ssize_t k = readlink(link, buf, sizeof(buf) - 1);

        if (k < 0)
                return NULL;
        buf[k] = '\0';
        return xstrdup(buf);
}

int __wrap_mkdirat(int dirfd, const char *path, mode_t mode)
{
        _cleanup_free_ char *parent = dirfd == AT_FDCWD ? NULL : fd_path(dirfd);
        _cleanup_free_ char *kind = parent ? fixture_kind(parent) : NULL;
        _cleanup_free_ char *child = NULL;

        if (__real_mkdirat(dirfd, path, mode) < 0)
                return -1;
        if (!kind || strchr(path, '/'))
                return 0;
        child = xasprintf("%s/%s", parent, path);
        populate(child, kind, parent);
        return 0;
}

/* rmdir of a fixture cgroup: refused while in use, else removes its interface files. */
int __wrap_unlinkat(int at, const char *path, int flags)
{
        _cleanup_free_ char *parent = NULL, *dir = NULL, *kind = NULL, *procs = NULL;
        _cleanup_strv_free_ char **files = NULL;
        DIR *d;
        struct dirent *de;
        bool busy = false;

        if (!(flags & AT_REMOVEDIR) || at == AT_FDCWD || path[0] == '/')
                return __real_unlinkat(at, path, flags);
        parent = fd_path(at);
        dir = parent ? xasprintf("%s/%s", parent, path) : NULL;
        kind = dir ? fixture_kind(dir) : NULL;
        if (!kind)
                return __real_unlinkat(at, path, flags);
        _cleanup_free_ char *pp = xasprintf("%s/cgroup.procs", dir);
        procs = read_text(pp);
        if (procs && *procs) {
                errno = EBUSY;
                return -1;
        }
        d = opendir(dir);
        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
                    strcmp(de->d_name, "..") != 0)
                        busy = true;
        rewinddir(d);
        while (!busy && (de = readdir(d)))
                if (de->d_type != DT_DIR)
                        strv_push(&files, de->d_name);
        STRV_FOREACH(f, files)
                (void)__real_unlinkat(dirfd(d), *f, 0);
        closedir(d);
        if (busy) {
                errno = ENOTEMPTY;
                return -1;
        }
        return __real_unlinkat(at, path, flags);
}

/* ---- fixtures ---- */

#define UUID "0c1ef3d4-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
#define POD \
        "machine.slice/machine-rkt\\x2d0c1ef3d4\\x2d5a6b\\x2d4c7d\\x2d8e9f\\x2da0b1c2d3e4f5.scope"

static char fx_root[64];

static void fixture_done(void)
{
        if (fx_root[0])
                (void)rm_rf_at(AT_FDCWD, fx_root);
        fx_root[0] = '\0';
}

/* A failed test skips its fixture_done() (longjmp): the next fixture or exit removes it. */
__attribute__((destructor)) static void fixture_atexit(void)
{
        fixture_done();
}

static const char *fixture_new(void)
{
        fixture_done();
        strcpy(fx_root, "/tmp/rkt-test-cgroup-XXXXXX");
        if (!mkdtemp(fx_root))
                abort();
        return fx_root;
}

/* A hierarchy root fx/name of kind ("v2" or v1 controllers); returns its path. */
static char *hier_new(const char *name, const char *kind)
{
        char *p = xasprintf("%s/%s", fx_root, name);

        if (mkdir(p, 0755) < 0)
                abort();
        populate(p, kind, "");
        if (strcmp(kind, "v2") == 0)
                put(p, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        return p;
}

/* A mountinfo fixture with the given text; returns its path. */
static char *mountinfo_new(const char *text)
{
        char *p = xasprintf("%s/mountinfo", fx_root);

        put(fx_root, "mountinfo", text);
        return p;
}

/* Whether a/b is a directory. */
static bool is_dir(const char *a, const char *b)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", a, b);
        struct stat st;

        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The file dir/rel (malloc'd; NULL when missing). */
static char *file_at(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);

        return read_text(p);
}

static const char *log_at(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);

        return fifo_log(p);
}

#define ASSERT_FILE(dir, rel, want)                          \
        do {                                                 \
                _cleanup_free_ char *_v = file_at(dir, rel); \
                ASSERT_STREQ(_v, want);                      \
        } while (0)

/* An app with memory 42Mi, cpu 500m and cpu-shares 2048. */
static struct ac_app *app_with_limits(void)
{
        static const char json[] =
                "{\"exec\": [\"/inspect\"], \"user\": \"0\", \"group\": \"0\", \"isolators\": ["
                "{\"name\": \"resource/memory\", \"value\": {\"limit\": \"42Mi\"}},"
                "{\"name\": \"resource/cpu\", \"value\": {\"limit\": \"500m\"}},"
                "{\"name\": \"os/linux/cpu-shares\", \"value\": 2048}]}";
        json_t *v = json_loads(json, 0, NULL);
        struct ac_app *app = NULL;
        struct rk_error *err = NULL;

        if (!v || ac_app_parse(v, "app", &app, &err) < 0)
                abort();
        json_decref(v);
        return app;
}

/* ---- detection from mountinfo fixtures ---- */

/* This machine's layout (systemd's "hybrid"): v1 controllers plus cgroup2 at unified. */
static const char mountinfo_hybrid[] =
        "23 29 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "150 23 0:146 / /sys/fs/cgroup rw,relatime shared:4 - tmpfs tmpfs rw,mode=755\n"
        "151 150 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:5 - cgroup cgroup rw,cpu\n"
        "152 150 0:30 / /sys/fs/cgroup/cpuacct rw,relatime shared:8 - cgroup cgroup rw,cpuacct\n"
        "153 150 0:31 / /sys/fs/cgroup/cpuset rw,relatime shared:9 - cgroup cgroup rw,cpuset\n"
        "166 150 0:32 / /sys/fs/cgroup/memory rw,relatime shared:10 - cgroup cgroup rw,memory\n"
        "167 150 0:33 / /sys/fs/cgroup/devices rw,relatime shared:11 - cgroup cgroup rw,devices\n"
        "186 150 0:34 / /sys/fs/cgroup/freezer rw,relatime shared:12 - cgroup cgroup rw,freezer\n"
        "187 150 0:35 / /sys/fs/cgroup/blkio rw,relatime shared:13 - cgroup cgroup rw,blkio\n"
        "188 150 0:36 / /sys/fs/cgroup/pids rw,relatime shared:14 - cgroup cgroup rw,pids\n"
        "189 150 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:15 - cgroup cgroup "
        "rw,name=systemd\n"
        "190 150 0:38 / /sys/fs/cgroup/unified rw,relatime shared:16 - cgroup2 cgroup2 rw\n"
        /* a bind mount of a sub-cgroup (root != "/") and a second mount of memory */
        "200 29 0:32 /machine.slice /var/lib/x rw,relatime - cgroup cgroup rw,memory\n"
        "201 29 0:32 / /mnt/memory rw,relatime - cgroup cgroup rw,memory\n";

/* A pure v1 host (cgroup2 not mounted), co-mounted cpu,cpuacct as on most distributions. */
static const char mountinfo_v1[] =
        "25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
        "cgroup rw,xattr,name=systemd\n"
        "29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - "
        "cgroup cgroup rw,cpu,cpuacct\n"
        "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "
        "cgroup rw,memory\n"
        "31 25 0:27 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
        "cgroup rw,devices\n"
        "32 25 0:28 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:16 - cgroup "
        "cgroup rw,freezer\n";

/* A pure v2 host (systemd's "unified"). */
static const char mountinfo_v2[] =
        "23 29 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "35 23 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
        "rw,nsdelegate,memory_recursiveprot\n";

TEST(detect_hybrid)
{
        struct cgroups c = {0};
        _cleanup_strv_free_ char **wanted = strv_split("devices,memory", ',');

        fixture_new();
        _cleanup_free_ char *mi = mountinfo_new(mountinfo_hybrid);
        ASSERT_OK(cgroups_detect_from(mi, &c));
        ASSERT_EQ(c.n, 10); /* no tmpfs, no sub-cgroup bind mount, memory once */
        ASSERT_STREQ(c.h[0].path, "/sys/fs/cgroup/cpu");
        ASSERT_STREQ(c.h[0].opts, "rw,cpu");
        ASSERT_FALSE(c.h[0].v2);
        ASSERT_STREQ(c.h[3].path, "/sys/fs/cgroup/memory");
        ASSERT_STREQ(c.h[8].opts, "rw,name=systemd");
        ASSERT_STREQ(c.h[9].path, "/sys/fs/cgroup/unified");
        ASSERT_TRUE(c.h[9].v2);
        ASSERT_STREQ(c.h[9].opts, "");
        for (size_t i = 0; i < 9; i++)
                ASSERT_FALSE(c.h[i].v2);
        cgroups_keep(&c, wanted);
        ASSERT_EQ(c.n, 3); /* memory, devices and the cgroup2 hierarchy, in mount order */
        ASSERT_STREQ(c.h[0].path, "/sys/fs/cgroup/memory");
        ASSERT_STREQ(c.h[1].path, "/sys/fs/cgroup/devices");
        ASSERT_STREQ(c.h[2].path, "/sys/fs/cgroup/unified");
        cgroups_done(&c);
        ASSERT_EQ(c.n, 0);
        fixture_done();
}

TEST(detect_pure_v1)
{
        struct cgroups c = {0};
        _cleanup_strv_free_ char **wanted = strv_split("freezer,devices,cpu", ',');

        fixture_new();
        _cleanup_free_ char *mi = mountinfo_new(mountinfo_v1);
        ASSERT_OK(cgroups_detect_from(mi, &c));
        ASSERT_EQ(c.n, 5);
        for (size_t i = 0; i < c.n; i++)
                ASSERT_FALSE(c.h[i].v2);
        ASSERT_STREQ(c.h[1].path, "/sys/fs/cgroup/cpu,cpuacct");
        ASSERT_STREQ(c.h[1].opts, "rw,cpu,cpuacct");
        cgroups_keep(&c, wanted);
        ASSERT_EQ(c.n, 3); /* cpu,cpuacct (has cpu, not just a prefix), devices, freezer */
        ASSERT_STREQ(c.h[0].path, "/sys/fs/cgroup/cpu,cpuacct");
        ASSERT_STREQ(c.h[1].path, "/sys/fs/cgroup/devices");
        ASSERT_STREQ(c.h[2].path, "/sys/fs/cgroup/freezer");
        cgroups_done(&c);
        fixture_done();
}

TEST(detect_pure_v2)
{
        struct cgroups c = {0};
        _cleanup_strv_free_ char **wanted = strv_split("freezer,devices,memory,cpu", ',');

        fixture_new();
        _cleanup_free_ char *mi = mountinfo_new(mountinfo_v2);
        ASSERT_OK(cgroups_detect_from(mi, &c));
        ASSERT_EQ(c.n, 1);
        ASSERT_STREQ(c.h[0].path, "/sys/fs/cgroup");
        ASSERT_TRUE(c.h[0].v2);
        cgroups_keep(&c, wanted);
        ASSERT_EQ(c.n, 1); /* a cgroup2 hierarchy is always kept */
        cgroups_done(&c);
        fixture_done();
}

TEST(detect_errors_and_empty)
{
        struct cgroups c = {0};

        ASSERT_ERRNO(cgroups_detect_from("/nonexistent/mountinfo", &c), ENOENT);
        fixture_new();
        _cleanup_free_ char *mi = mountinfo_new("garbage\n\n1 2 3\n"
                                                "9 1 0:1 / /x rw - cgroup\n");
        ASSERT_OK(cgroups_detect_from(mi, &c));
        ASSERT_EQ(c.n, 0);
        cgroups_done(&c);
        fixture_done();
}

static int compare_hier(const void *a, const void *b)
{
        return strcmp(((const struct cgroup_hier *)a)->path, ((const struct cgroup_hier *)b)->path);
}

/* listmount/statmount find the hierarchies mountinfo lists, with the same options. */
TEST(detect_statmount_matches_mountinfo)
{
        struct cgroups a = {0}, b = {0};
        int r = cgroups_detect_statmount(&a);

        if (r == -ENOSYS || r == -EOPNOTSUPP || r == -EPERM)
                TEST_SKIP("no listmount/statmount with mount options here");
        ASSERT_OK(r);
        ASSERT_OK(cgroups_detect_from("/proc/self/mountinfo", &b));
        ASSERT_EQ(a.n, b.n);
        qsort(a.h, a.n, sizeof(*a.h), compare_hier);
        qsort(b.h, b.n, sizeof(*b.h), compare_hier);
        for (size_t i = 0; i < a.n; i++) {
                ASSERT_STREQ(a.h[i].path, b.h[i].path);
                ASSERT_STREQ(a.h[i].opts, b.h[i].opts);
                ASSERT_EQ(a.h[i].v2, b.h[i].v2);
        }
        cgroups_done(&a);
        cgroups_done(&b);
}

TEST(pod_and_app_paths)
{
        _cleanup_free_ char *pod = cgroup_pod_path(UUID);
        _cleanup_free_ char *app = cgroup_app_path(pod, "redis");

        ASSERT_STREQ(pod, POD);
        ASSERT_STREQ(app, POD "/system.slice/redis.service");
}

/* Root accepts its own record only; a rootless user only <a cgroup it manages>/rkt-<uuid>. */
TEST(subcgroup_records)
{
        fixture_new();
        _cleanup_free_ char *v2 = hier_new("unified", "v2");
        _cleanup_close_ int fd = open(v2, O_PATH | O_DIRECTORY | O_CLOEXEC);
        static const char *const bad[] = {
                "user/d/../rkt-" UUID,  "/user/d/rkt-" UUID,   "user//d/rkt-" UUID,
                "user/d/rkt-" UUID "/", "user/none/rkt-" UUID, "rkt-" UUID,
                "user/d/rkt-x",         "user/d/./rkt-" UUID,  POD,
        };

        ASSERT_OK(mkdirat(fd, "user", 0755)); /* cgroups with their interface files */
        _cleanup_close_ int ufd = openat(fd, "user", O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_OK(mkdirat(ufd, "d", 0755));
        ASSERT_TRUE(cgroup_subcgroup_valid(POD, UUID, false, v2));
        ASSERT_FALSE(cgroup_subcgroup_valid("user/d/rkt-" UUID, UUID, false, v2));
        ASSERT_TRUE(cgroup_subcgroup_valid("user/d/rkt-" UUID, UUID, true, v2));
        ASSERT_FALSE(cgroup_subcgroup_valid("user/d/rkt-" UUID, UUID, true, NULL));
        ASSERT_FALSE(cgroup_subcgroup_valid("../rkt-..", "..", true, v2));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_FALSE(cgroup_subcgroup_valid(bad[i], UUID, true, v2));
        fixture_done();
}

/* ---- pure v2 ---- */

TEST(v2_pod_lifecycle)
{
        struct cgroups c = {0};
        struct rk_error *err = NULL;
        _cleanup_strv_free_ char **wanted = strv_split("freezer,devices,memory,cpu", ',');
        _cleanup_(ac_app_freep) struct ac_app *app = app_with_limits();
        _cleanup_free_ int *fds = NULL;

        fixture_new();
        _cleanup_free_ char *root = hier_new("cg", "v2");
        _cleanup_free_ char *mi = xasprintf(
                "35 23 0:30 / %s rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
                "rw,nsdelegate,memory_recursiveprot\n",
                root);
        _cleanup_free_ char *mip = mountinfo_new(mi);
        _cleanup_free_ char *init = xasprintf("%s/init.scope", POD);
        _cleanup_free_ char *appcg = cgroup_app_path(POD, "app1");
        _cleanup_free_ char *pod = xasprintf("%s/%s", root, POD);
        _cleanup_free_ char *appdir = xasprintf("%s/%s", root, appcg);

        ASSERT_OK(cgroups_detect_from(mip, &c));
        cgroups_keep(&c, wanted);
        ASSERT_EQ(c.n, 1);

        /* the pod and its init: every level delegates memory, cpu and pids to its children */
        ASSERT_OK(cgroups_create(&c, init, &err));
        ASSERT_TRUE(is_dir(root, "machine.slice"));
        ASSERT_TRUE(is_dir(root, POD));
        ASSERT_TRUE(is_dir(root, POD "/init.scope"));
        ASSERT_STREQ(log_at(root, "cgroup.subtree_control"), "+memory+cpu+pids");
        ASSERT_STREQ(log_at(root, "machine.slice/cgroup.subtree_control"), "+memory+cpu+pids");
        ASSERT_STREQ(log_at(pod, "cgroup.subtree_control"), "+memory+cpu+pids");
        ASSERT_FILE(pod, "init.scope/cgroup.controllers", "memory cpu pids ");

        /* the app: below system.slice, with the knobs of the delegated controllers */
        ASSERT_OK(cgroups_create(&c, appcg, &err));
        ASSERT_TRUE(is_dir(pod, "system.slice/app1.service"));
        ASSERT_STREQ(log_at(pod, "system.slice/cgroup.subtree_control"), "+memory+cpu+pids");
        /* creating again is fine (EEXIST), and enables again */
        ASSERT_OK(cgroups_create(&c, appcg, &err));
        ASSERT_STREQ(log_at(root, "cgroup.subtree_control"),
                     "+memory+cpu+pids+memory+cpu+pids+memory+cpu+pids");

        ASSERT_OK(cgroups_set_limits(&c, appcg, app, &err));
        ASSERT_FILE(appdir, "memory.max", "44040192");
        ASSERT_FILE(appdir, "cpu.max", "50000 100000");
        /* cpu-shares 2048 as a weight: 1 + (shares - 2) * 9999 / 262142 */
        ASSERT_FILE(appdir, "cpu.weight", "79");
        ASSERT_FILE(pod, "init.scope/memory.max", ""); /* limits are the app's only */

        /* no v2 device controller: nothing is restricted, and that is not an error */
        ASSERT_OK(cgroups_restrict_devices(&c, appcg, NULL, &err));

        /* joining: cgroup.procs of the app's cgroup */
        ASSERT_OK(cgroups_open(&c, appcg, &fds));
        ASSERT_TRUE(fds[0] >= 0);
        ASSERT_OK(cgroups_attach_fds(fds, c.n, 0));
        ASSERT_FILE(appdir, "cgroup.procs", "0");
        put(appdir, "cgroup.procs", ""); /* "the process left" */
        safe_close(fds[0]);

        /* stop --force: cgroup.kill of the pod's cgroup */
        ASSERT_OK(cgroups_kill(&c, POD));
        ASSERT_FILE(pod, "cgroup.kill", "1");

        /* gc: the pod's tree goes, machine.slice and the root stay */
        ASSERT_OK(cgroups_remove(&c, POD));
        ASSERT_FALSE(is_dir(root, POD));
        ASSERT_TRUE(is_dir(root, "machine.slice"));
        ASSERT_FILE(root, "cgroup.procs", "");
        /* removing what is gone is fine */
        ASSERT_OK(cgroups_remove(&c, POD));
        ASSERT_NULL(err);
        cgroups_done(&c);
        fixture_done();
}

TEST(v2_missing_controller_is_an_error)
{
        struct cgroups c = {0};
        struct rk_error *err = NULL;
        _cleanup_(ac_app_freep) struct ac_app *app = app_with_limits();

        fixture_new();
        _cleanup_free_ char *root = hier_new("cg", "v2");
        put(root, "cgroup.controllers", "cpu pids\n");
        _cleanup_free_ char *mi = xasprintf("35 23 0:30 / %s rw - cgroup2 cgroup2 rw\n", root);
        _cleanup_free_ char *mip = mountinfo_new(mi);
        _cleanup_free_ char *appcg = cgroup_app_path(POD, "app1");

        ASSERT_OK(cgroups_detect_from(mip, &c));
        ASSERT_OK(cgroups_create(&c, appcg, &err));
        /* only what the root has is delegated: no write that can only fail (each one waits
         * in the kernel for removed cgroups to go) */
        ASSERT_STREQ(log_at(root, "cgroup.subtree_control"), "+cpu+pids");
        ASSERT_ERRNO(cgroups_set_limits(&c, appcg, app, &err), ENOTSUP);
        ASSERT_NOT_NULL(err);
        _cleanup_free_ char *msg = rk_error_render(err, false);
        ASSERT_CONTAINS(msg, "cgroup controller memory is not available");
        err = rk_error_free(err);
        ASSERT_OK(cgroups_remove(&c, POD));
        ASSERT_FALSE(is_dir(root, "machine.slice/x") || is_dir(root, POD));
        cgroups_done(&c);
        fixture_done();
}

/* ---- pure v1 ---- */

TEST(v1_pod_lifecycle)
{
        struct cgroups c = {0};
        struct rk_error *err = NULL;
        _cleanup_strv_free_ char **wanted = strv_split("freezer,devices,memory,cpu", ',');
        _cleanup_(ac_app_freep) struct ac_app *app = app_with_limits();
        _cleanup_strv_free_ char **extra = strv_split("c 4:1 rw", ',');

        fixture_new();
        _cleanup_free_ char *sd = hier_new("systemd", "name=systemd");
        _cleanup_free_ char *cpu = hier_new("cpu,cpuacct", "cpu,cpuacct");
        _cleanup_free_ char *mem = hier_new("memory", "memory");
        _cleanup_free_ char *dev = hier_new("devices", "devices");
        _cleanup_free_ char *frz = hier_new("freezer", "freezer");
        _cleanup_free_ char *pids = hier_new("pids", "pids");
        _cleanup_free_ char *mi =
                xasprintf("26 25 0:22 / %s rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
                          "29 25 0:25 / %s rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
                          "30 25 0:26 / %s rw,relatime - cgroup cgroup rw,memory\n"
                          "31 25 0:27 / %s rw,relatime - cgroup cgroup rw,devices\n"
                          "32 25 0:28 / %s rw,relatime - cgroup cgroup rw,freezer\n"
                          "33 25 0:29 / %s rw,relatime - cgroup cgroup rw,pids\n",
                          sd, cpu, mem, dev, frz, pids);
        _cleanup_free_ char *mip = mountinfo_new(mi);
        _cleanup_free_ char *init = xasprintf("%s/init.scope", POD);
        _cleanup_free_ char *appcg = cgroup_app_path(POD, "app1");
        _cleanup_free_ char *memapp = xasprintf("%s/%s", mem, appcg);
        _cleanup_free_ char *cpuapp = xasprintf("%s/%s", cpu, appcg);
        _cleanup_free_ char *devapp = xasprintf("%s/%s", dev, appcg);
        _cleanup_free_ char *frzpod = xasprintf("%s/%s", frz, POD);
        _cleanup_free_ char *ms = xasprintf("%s/machine.slice", mem);
        struct strbuf allow = STRBUF_INIT;

        /* machine.slice exists already in the memory hierarchy (systemd made it) */
        ASSERT_OK(mkdir(ms, 0755));
        populate(ms, "memory", mem);

        ASSERT_OK(cgroups_detect_from(mip, &c));
        ASSERT_EQ(c.n, 6);
        cgroups_keep(&c, wanted);
        ASSERT_EQ(c.n, 4);
        ASSERT_OK(cgroups_create(&c, init, &err));
        ASSERT_OK(cgroups_create(&c, appcg, &err));
        for (size_t i = 0; i < c.n; i++) {
                ASSERT_TRUE(is_dir(c.h[i].path, POD "/init.scope"));
                ASSERT_TRUE(is_dir(c.h[i].path, appcg));
        }
        /* the hierarchies not needed are left alone */
        ASSERT_FALSE(is_dir(sd, "machine.slice"));
        ASSERT_FALSE(is_dir(pids, "machine.slice"));

        ASSERT_OK(cgroups_set_limits(&c, appcg, app, &err));
        ASSERT_FILE(memapp, "memory.limit_in_bytes", "44040192");
        ASSERT_FILE(cpuapp, "cpu.cfs_period_us", "100000");
        ASSERT_FILE(cpuapp, "cpu.cfs_quota_us", "50000");
        ASSERT_FILE(cpuapp, "cpu.shares", "2048");

        /* devices: deny all, then the default set and the volume's device */
        ASSERT_OK(cgroups_restrict_devices(&c, appcg, extra, &err));
        ASSERT_STREQ(log_at(devapp, "devices.deny"), "a");
        strbuf_puts(&allow, "c 1:3 rwmc 1:5 rwmc 1:7 rwmc 1:8 rwmc 1:9 rwmc 5:0 rwmc 5:2 rw"
                            "c 136:* rwc 4:1 rw");
        ASSERT_STREQ(log_at(devapp, "devices.allow"), strbuf_str(&allow));
        strbuf_release(&allow);

        /* stop --force without cgroup2: the pod is frozen while it is killed, then thawed */
        ASSERT_OK(cgroups_kill(&c, POD));
        ASSERT_STREQ(log_at(frzpod, "freezer.state"), "FROZENTHAWED");

        ASSERT_OK(cgroups_remove(&c, POD));
        for (size_t i = 0; i < c.n; i++) {
                ASSERT_FALSE(is_dir(c.h[i].path, POD));
                ASSERT_TRUE(is_dir(c.h[i].path, "machine.slice"));
        }
        ASSERT_NULL(err);
        cgroups_done(&c);
        fixture_done();
}

TEST(v1_cpuset_inherits_cpus_and_mems)
{
        struct cgroups c = {0};
        struct rk_error *err = NULL;
        _cleanup_strv_free_ char **wanted = strv_split("cpuset", ',');

        fixture_new();
        _cleanup_free_ char *cs = hier_new("cpuset", "cpuset");
        _cleanup_free_ char *mi = xasprintf("1 2 0:1 / %s rw - cgroup cgroup rw,cpuset\n", cs);
        _cleanup_free_ char *mip = mountinfo_new(mi);
        _cleanup_free_ char *pod = xasprintf("%s/%s", cs, POD);

        ASSERT_OK(cgroups_detect_from(mip, &c));
        cgroups_keep(&c, wanted);
        ASSERT_EQ(c.n, 1);
        ASSERT_OK(cgroups_create(&c, POD, &err));
        ASSERT_FILE(cs, "machine.slice/cpuset.cpus", "0-3\n");
        ASSERT_FILE(pod, "cpuset.mems", "0\n");
        ASSERT_OK(cgroups_remove(&c, POD));
        ASSERT_FALSE(is_dir(cs, POD));
        cgroups_done(&c);
        fixture_done();
}

TEST(remove_refuses_a_cgroup_in_use)
{
        /* the imitation itself: rmdir of a fixture cgroup listing a process is EBUSY */
        fixture_new();
        _cleanup_free_ char *m = hier_new("memory", "memory");
        _cleanup_free_ char *d = xasprintf("%s/busy", m);
        _cleanup_close_ int fd = open(m, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(mkdirat(fd, "busy", 0755));
        ASSERT_FILE(d, "memory.limit_in_bytes", "");
        put(d, "cgroup.procs", "0\n");
        ASSERT_TRUE(unlinkat(fd, "busy", AT_REMOVEDIR) < 0 && errno == EBUSY);
        put(d, "cgroup.procs", "");
        ASSERT_OK(unlinkat(fd, "busy", AT_REMOVEDIR));
        ASSERT_FALSE(is_dir(m, "busy"));
        fixture_done();
}

TAP_MAIN
