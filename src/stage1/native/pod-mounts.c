/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mounts of an app's root. Runs in: pod init, in the pod's mount namespace, before
 * pivot_root (host paths are still visible). Every target is resolved with root-path.h, so
 * a hostile image cannot redirect a mount outside its rootfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs-util.h"
#include "mount-util.h"
#include "pod-plan.h"
#include "root-path.h"

struct dev_node {
        const char *name;
        unsigned major, minor;
};

static const struct dev_node dev_nodes[] = {
        {"null", 1, 3},    {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
        {"urandom", 1, 9}, {"tty", 5, 0},  {"ptmx", 5, 2},
};

/* Paths made inaccessible (SPEC.md §11.11: /proc/kcore stats as ----------). */
static const char *const inaccessible_paths[] = {
        "/proc/kcore",       "/proc/keys",        "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/latency_stats",
        "/proc/acpi",        "/proc/scsi",        "/sys/firmware",
};

static const char *const read_only_paths[] = {
        "/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/fs", "/proc/irq",
};

/* A new file system of type fstype at target (created as a directory) in the root. */
static int mount_at(int rootfd, const char *target, const char *fstype, unsigned long flags,
                    const char *data, struct rk_error **reterr)
{
        _cleanup_close_ int fd = root_mkdirs(rootfd, target, 0755, false);
        int r;

        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "creating %s", target);
        r = mount_fs_fd(fstype, fd, flags, data);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "mounting %s on %s", fstype, target);
        return 0;
}

/* Binds the host file or directory src onto target (created like src) in the root. */
static int bind_at(int rootfd, const char *src, const char *target, bool read_only,
                   struct rk_error **reterr)
{
        return mount_bind_in_root(rootfd, src, target, read_only ? MOUNT_BIND_READ_ONLY : 0,
                                  reterr);
}

/*
 * A rootless pod may not make device nodes: the host's own are bound (an app opens them as
 * the user could), and /dev/ptmx is the pod's devpts instance's.
 */
static int bind_dev_node(int devfd, const struct dev_node *d)
{
        _cleanup_free_ char *src = xasprintf("/dev/%s", d->name);
        _cleanup_close_ int fd = -EBADF;

        if (strcmp(d->name, "ptmx") == 0)
                return RET_NERRNO(symlinkat("pts/ptmx", devfd, "ptmx"));
        fd = openat(devfd, d->name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0)
                return -errno;
        fd = safe_close(fd);
        fd = openat(devfd, d->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return mount_bind_fd(src, fd, 0);
}

static int make_dev_node(int devfd, const struct dev_node *d, bool rootless)
{
        if (rootless)
                return bind_dev_node(devfd, d);
        if (mknodat(devfd, d->name, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0 ||
            fchmodat(devfd, d->name, 0666, 0) < 0)
                return -errno;
        return 0;
}

static int make_dev_nodes(int devfd, bool rootless, bool console, const char *tty,
                          struct rk_error **reterr)
{
        static const char *const links[][2] = {
                {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
                {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
                {"core", "/proc/kcore"},
        };

        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                int r = make_dev_node(devfd, &dev_nodes[i], rootless);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "creating /dev/%s",
                                                  dev_nodes[i].name);
        }
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i][1], devfd, links[i][0]) < 0)
                        return rk_error_set_errno(reterr, errno, "creating /dev/%s", links[i][0]);
        if (!console || !tty[0])
                return 0;
        _cleanup_close_ int c = openat(devfd, "console", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        _cleanup_close_ int cp = openat(devfd, "console", O_PATH | O_CLOEXEC);
        int r = c < 0 || cp < 0 ? -errno : mount_bind_fd(tty, cp, 0);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "binding /dev/console");
        return 0;
}

/* A minimal /dev: never a host device node beyond these. */
static int setup_dev(const struct pod_plan *p, int rootfd, struct rk_error **reterr)
{
        _cleanup_close_ int devfd = -EBADF;
        int r;

        r = mount_at(rootfd, "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k",
                     reterr);
        if (r < 0)
                return r;
        devfd = root_open(rootfd, "/dev", O_RDONLY | O_DIRECTORY, 0);
        if (devfd < 0)
                return rk_error_set_errno(reterr, -devfd, "opening /dev");
        r = make_dev_nodes(devfd, p->rootless, p->args.interactive, p->tty_path, reterr);
        if (r >= 0)
                r = mount_at(rootfd, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                             "newinstance,ptmxmode=0666,mode=620", reterr);
        if (r >= 0)
                r = mount_at(rootfd, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777",
                             reterr);
        return r;
}

/*
 * The S1 node rkt/name of type (S_IFDIR, S_IFREG), O_PATH, reached without following a link:
 * `rkt app start` masks the paths of an app while apps run, and an app allowed to trace the
 * pod init reaches S1 (a link there would bind a host file or directory into the app).
 * Returns the fd or -errno (-ELOOP for a link, -EBADFD for another type).
 */
static int open_s1_node(const struct pod_plan *p, const char *name, mode_t type)
{
        _cleanup_close_ int s1 = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int d = s1 < 0 ? -errno : open_dir_nofollow(s1, "rkt");
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (d < 0)
                return d;
        fd = openat(d, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((st.st_mode & S_IFMT) != type)
                return S_ISLNK(st.st_mode) ? -ELOOP : -EBADFD;
        return TAKE_FD(fd);
}

static int mask_paths(const struct pod_plan *p, int rootfd, struct rk_error **reterr)
{
        _cleanup_close_ int dir = open_s1_node(p, "inaccessible-dir", S_IFDIR);
        _cleanup_close_ int file = open_s1_node(p, "inaccessible-file", S_IFREG);
        int r;

        if (dir < 0 || file < 0)
                return rk_error_set_errno(reterr, dir < 0 ? -dir : -file,
                                          "opening /rkt/inaccessible-%s of the stage1",
                                          dir < 0 ? "dir" : "file");
        for (size_t i = 0; i < ELEMENTSOF(inaccessible_paths); i++) {
                _cleanup_close_ int fd =
                        root_open(rootfd, inaccessible_paths[i], O_PATH | O_NOFOLLOW, 0);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0)
                        continue;
                r = mount_bind_fd_fd(S_ISDIR(st.st_mode) ? dir : file, fd, 0);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "masking %s", inaccessible_paths[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(read_only_paths); i++) {
                _cleanup_close_ int fd =
                        root_open(rootfd, read_only_paths[i], O_PATH | O_NOFOLLOW, 0);
                if (fd < 0)
                        continue;
                r = mount_bind_fd_fd(fd, fd, MOUNT_BIND_RECURSIVE | MOUNT_BIND_READ_ONLY);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "making %s read-only",
                                                  read_only_paths[i]);
        }
        return 0;
}

/*
 * The host's cgroup filesystems, read-only, at /sys/fs/cgroup in the root (as nspawn and rkt
 * show them without a cgroup namespace: whole hierarchies, so /proc/self/cgroup paths resolve).
 * Limits are set from the host side; nothing in the pod may change them.
 */
static int bind_cgroupfs(int rootfd, struct rk_error **reterr)
{
        _cleanup_close_ int fd = root_mkdirs(rootfd, "/sys/fs/cgroup", 0755, false);
        int r;

        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "creating /sys/fs/cgroup");
        r = mount_bind_fd("/sys/fs/cgroup", fd, MOUNT_BIND_RECURSIVE | MOUNT_BIND_READ_ONLY);
        if (r < 0 && r != -ENOENT)
                return rk_error_set_errno(reterr, -r, "binding /sys/fs/cgroup read-only");
        return 0;
}

/*
 * A new sysfs shows the network devices of the network namespace it is mounted in, and only
 * its namespace's owner may mount one: a rootless pod on the host's network gets the host's
 * /sys (which the user sees anyway), bound read-only with everything below it.
 */
static int mount_sys(const struct pod_plan *p, int rootfd, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!p->rootless || p->new_net)
                return mount_at(rootfd, "/sys", "sysfs",
                                MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, reterr);
        fd = root_mkdirs(rootfd, "/sys", 0755, false);
        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "creating /sys");
        r = mount_bind_fd("/sys", fd, MOUNT_BIND_RECURSIVE | MOUNT_BIND_READ_ONLY);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "binding /sys read-only");
        return 0;
}

/*
 * /proc, /sys (unless the app mounts something at /sys or below it: then /sys is what its
 * mounts make it, as rkt did, rkt issue 2874), cgroupfs, /dev and the masked paths.
 */
/* /proc of the pod's pid namespace: ours, or proc_pidns_fd's when we are outside it. */
static int mount_proc(const struct pod_plan *p, int rootfd, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (p->proc_pidns_fd < 3)
                return mount_at(rootfd, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
                                reterr);
        fd = root_mkdirs(rootfd, "/proc", 0755, false);
        if (fd < 0)
                return rk_error_set_errno(reterr, -fd, "creating /proc");
        r = mount_proc_of_fd(p->proc_pidns_fd, fd,
                             MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (r == -EINVAL)
                return rk_error_set(reterr, EINVAL,
                                    "mounting /proc of the pod's pid namespace from outside it "
                                    "needs Linux 6.18 or later (procfs pidns)");
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "mounting proc on /proc");
        return 0;
}

static int setup_kernel_fs(const struct pod_plan *p, const struct plan_app *pa, int rootfd,
                           struct rk_error **reterr)
{
        bool sysfs = !app_mounts_under(&pa->mounts, "/sys");
        int r;

        r = mount_proc(p, rootfd, reterr);
        if (r >= 0 && sysfs)
                r = mount_sys(p, rootfd, reterr);
        if (r >= 0 && sysfs)
                r = bind_cgroupfs(rootfd, reterr);
        if (r >= 0)
                r = setup_dev(p, rootfd, reterr);
        if (r >= 0 && !p->args.disable_paths)
                r = mask_paths(p, rootfd, reterr);
        return r;
}

static bool exists_in_root(int rootfd, const char *path)
{
        _cleanup_close_ int fd = root_open(rootfd, path, O_PATH, 0);

        return fd >= 0;
}

/*
 * The S1 file rel to bind into an app, as a descriptor in *ret_fd: reached without following
 * a link (`rkt app start` binds them while apps run, and an app allowed to trace the pod init
 * reaches S1), a regular file. Returns its S1 path (what messages name); a missing one: *ret_fd
 * -ENOENT (bind_s1_file() fails to stat it: never by path, where the app may since have put a
 * link); anything else: NULL.
 */
static char *s1_file(const struct pod_plan *p, const char *dir, const char *name, int *ret_fd)
{
        _cleanup_close_ int s1 = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int d = s1 < 0 ? -EBADF : open_dir_nofollow(s1, dir);
        struct stat st;

        *ret_fd = d < 0 ? -EBADF : openat(d, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (*ret_fd < 0 && d >= 0 && errno == ENOENT) {
                *ret_fd = -ENOENT;
                return xasprintf("%s/%s/%s", p->pod->stage1_dir, dir, name);
        }
        if (*ret_fd < 0 || fstat(*ret_fd, &st) < 0 || !S_ISREG(st.st_mode))
                return NULL;
        return xasprintf("%s/%s/%s", p->pod->stage1_dir, dir, name);
}

/* Binds the S1 file fd (s1_file(), which named it shown) onto target in the app's root. */
static int bind_s1_file(int rootfd, const char *shown, int fd, const char *target, bool read_only,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *src = NULL;

        if (fd < 0) {
                rk_error_set_errno(reterr, ENOENT, "Failed to stat %s", shown);
                return rk_error_exit_status(reterr, 1); /* as mount_bind_in_root() */
        }
        src = xasprintf("/proc/self/fd/%d", fd);
        return bind_at(rootfd, src, target, read_only, reterr);
}

/* /etc/hostname, /etc/hosts, /etc/resolv.conf and /etc/mtab (SPEC.md §8.4, §11.10). */
static int setup_etc(const struct pod_plan *p, int rootfd, struct rk_error **reterr)
{
        _cleanup_close_ int hostname_fd = -EBADF, hosts_fd = -EBADF, resolv_fd = -EBADF;
        _cleanup_free_ char *hostname = s1_file(p, "etc", "hostname", &hostname_fd);
        _cleanup_free_ char *hosts = s1_file(p, "rkt", "hosts", &hosts_fd);
        _cleanup_free_ char *resolv = s1_file(p, "etc", "rkt-resolv.conf", &resolv_fd);
        const char *hm = p->args.hosts_mode, *rm = p->args.resolv_mode;
        int r;

        if (!hostname || !hosts || !resolv)
                return rk_error_set(reterr, ELOOP,
                                    "/etc/hostname, /rkt/hosts or /etc/rkt-resolv.conf of the "
                                    "stage1 is not a regular file");

        r = bind_s1_file(rootfd, hostname, hostname_fd, "/etc/hostname", false, reterr);
        if (r >= 0 && strcmp(hm, "host") == 0)
                r = bind_at(rootfd, "/etc/hosts", "/etc/hosts", true, reterr);
        else if (r >= 0 && (strcmp(hm, "stage0") == 0 || !exists_in_root(rootfd, "/etc/hosts")))
                r = bind_s1_file(rootfd, hosts, hosts_fd, "/etc/hosts", false, reterr);
        if (r >= 0 && strcmp(rm, "host") == 0)
                r = bind_at(rootfd, "/etc/resolv.conf", "/etc/resolv.conf", true, reterr);
        else if (r >= 0 && (strcmp(rm, "stage0") == 0 || p->resolv_from_net))
                r = bind_s1_file(rootfd, resolv, resolv_fd, "/etc/resolv.conf", false, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int etc = root_open(rootfd, "/etc", O_PATH | O_DIRECTORY, 0);
        struct stat st;
        if (etc >= 0 && fstatat(etc, "mtab", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
                if (symlinkat("../proc/self/mounts", etc, "mtab") < 0 && errno != EROFS)
                        return rk_error_set_errno(reterr, errno, "creating /etc/mtab");
        return 0;
}

int pod_mounts_setup_app(const struct pod_plan *p, const struct plan_app *pa,
                         struct rk_error **reterr)
{
        const char *rootfs = pa->a->rootfs;
        _cleanup_close_ int rootfd = -EBADF;
        int r;

        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return rk_error_set_errno(reterr, errno, "binding rootfs of app %s", pa->a->name);
        rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return rk_error_set_errno(reterr, errno, "opening %s", rootfs);
        r = setup_kernel_fs(p, pa, rootfd, reterr);
        for (size_t i = 0; r >= 0 && i < pa->mounts.n; i++)
                r = volume_mount(p->pod, rootfs, &pa->mounts.items[i], true, reterr);
        if (r >= 0)
                r = setup_etc(p, rootfd, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "setting up app %s", pa->a->name);
        if (pa->a->pod_app->read_only_rootfs && (r = mount_make_read_only(rootfd, false)) < 0)
                return rk_error_set_errno(reterr, -r, "making the rootfs of %s read-only",
                                          pa->a->name);
        return 0;
}

int pod_mounts_setup_stage1(const struct pod_plan *p, struct rk_error **reterr)
{
        _cleanup_close_ int rootfd = open(p->pod->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (rootfd < 0)
                return rk_error_set_errno(reterr, errno, "opening the stage1 rootfs");
        return bind_cgroupfs(rootfd, reterr);
}
