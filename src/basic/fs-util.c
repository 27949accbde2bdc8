/* SPDX-License-Identifier: Apache-2.0 */
/* File and directory helpers (libc only). */
#include "fs-util.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "hashset.h"
#include "macro.h"
#include "strbuf.h"

int write_full(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
        size_t done = 0;

        while (done < len) {
                ssize_t n = read(fd, (char *)buf + done, len - done);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                done += (size_t)n;
        }
        return (ssize_t)done;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        struct strbuf sb = STRBUF_INIT;
        char buf[65536];

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n = read_full(fd, buf, sizeof(buf));

                if (n < 0) {
                        strbuf_release(&sb);
                        return (int)n;
                }
                if (n == 0)
                        break;
                if (sb.len + (size_t)n > max) {
                        strbuf_release(&sb);
                        return -EFBIG;
                }
                strbuf_add(&sb, buf, (size_t)n);
        }
        if (ret_len)
                *ret_len = sb.len;
        *ret = strbuf_detach(&sb);
        return 0;
}

int write_file_new_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode)
{
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        r = write_full(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dirfd, path, 0);
        return r;
}

/*
 * Creates a new file beside path with an unpredictable name (O_EXCL: never a file or symlink
 * someone planted, as in a world-writable directory). Returns the fd and the name in *ret.
 */
static int open_tmp_beside(int dirfd, const char *path, mode_t mode, char **ret)
{
        for (int attempt = 0; attempt < 16; attempt++) {
                uint64_t rnd;
                _cleanup_free_ char *tmp = NULL;
                int fd;

                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        return -errno;
                tmp = xasprintf("%s.tmp-%016" PRIx64, path, rnd);
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
                if (fd >= 0) {
                        *ret = TAKE_PTR(tmp);
                        return fd;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

int write_file_replace_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                          unsigned flags)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open_tmp_beside(dirfd, path, mode, &tmp);
        if (fd < 0)
                return fd;
        r = write_full(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && (flags & WRITE_SYNC) && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dirfd, tmp, dirfd, path) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dirfd, tmp, 0);
        return r;
}

int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode)
{
        return write_file_replace_at(dirfd, path, data, len, mode, WRITE_SYNC);
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        if (!*p)
                return -EINVAL;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

typedef int (*dir_entry_fn)(int dfd, const char *name, const struct stat *st, void *userdata);

/*
 * Calls fn for every entry of the directory fd (taken, closed on return) with its lstat.
 * Stops at the first error, or with keep_going visits every entry and returns the first.
 */
static int dir_foreach(int fd, bool keep_going, dir_entry_fn fn, void *userdata)
{
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((keep_going || r >= 0) && (de = readdir(d))) {
                struct stat st;
                int k;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        k = errno == ENOENT ? 0 : -errno;
                else
                        k = fn(dirfd(d), de->d_name, &st, userdata);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        return r;
}

/* Opens the directory dfd/name without following a symlink. */
static int open_subdir(int dfd, const char *name)
{
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

static int rm_rf_entry(int dfd, const char *name, const struct stat *st, void *userdata)
{
        const dev_t *dev = userdata;
        int fd, r;

        if (!S_ISDIR(st->st_mode))
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (st->st_dev != *dev)
                return -EXDEV; /* never cross into another file system */
        fd = open_subdir(dfd, name);
        r = fd < 0 ? fd : dir_foreach(fd, true, rm_rf_entry, userdata);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && r == 0)
                r = -errno;
        return r;
}

int rm_rf_at(int dirfd, const char *name)
{
        struct stat st;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        return rm_rf_entry(dirfd, name, &st, &st.st_dev);
}

struct size_walk {
        struct hashset inodes; /* hard-linked inodes already counted */
        off_t total;
};

static int size_entry(int dfd, const char *name, const struct stat *st, void *userdata)
{
        struct size_walk *sw = userdata;
        int fd;

        if (S_ISDIR(st->st_mode)) {
                sw->total += st->st_size;
                fd = open_subdir(dfd, name);
                return fd < 0 ? fd : dir_foreach(fd, false, size_entry, sw);
        }
        if (st->st_nlink > 1) {
                _cleanup_free_ char *id = xasprintf("%llu:%llu", (unsigned long long)st->st_dev,
                                                    (unsigned long long)st->st_ino);
                if (hashset_put(&sw->inodes, id, 0) == 0)
                        return 0;
        }
        sw->total += st->st_size;
        return 0;
}

int dir_size_at(int dirfd, const char *name, off_t *ret)
{
        struct size_walk sw = {HASHSET_INIT, 0};
        struct stat st;
        int r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        r = size_entry(dirfd, name, &st, &sw);
        hashset_done(&sw.inodes);
        if (r < 0)
                return r;
        *ret = sw.total;
        return 0;
}

int copy_fd(int fd, int outfd)
{
        char buf[128 * 1024];

        for (;;) {
                ssize_t n = sendfile(outfd, fd, NULL, 1 << 30);

                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno == EINTR)
                        continue;
                if (errno != EINVAL && errno != ENOSYS)
                        return -errno;
                break;
        }
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                r = write_full(outfd, buf, (size_t)n);
                if (r < 0)
                        return r;
        }
}

static int copy_attrs(int dirfd, const char *name, const struct stat *st)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};

        if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
            errno != EPERM)
                return -errno;
        if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
                return -errno;
        return RET_NERRNO(utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW));
}

static int copy_entry(int sfd, const char *name, int dfd, const char *dname, const struct stat *st);

static int copy_child(int sfd, const char *name, const struct stat *st, void *userdata)
{
        return copy_entry(sfd, name, *(int *)userdata, name, st);
}

int fd_reopen_regular(int pfd)
{
        char path[32];
        struct stat st;
        int fd;

        if (fstat(pfd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int copy_regular(int sfd, const char *name, int dfd, const char *dname)
{
        _cleanup_close_ int pfd = -EBADF, in = -EBADF, out = -EBADF;

        /* still a regular file since the caller's stat? Never opens a FIFO or device. */
        pfd = openat(sfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        in = fd_reopen_regular(pfd);
        if (in < 0)
                return in;
        out = openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        return copy_fd(in, out);
}

static int copy_entry(int sfd, const char *name, int dfd, const char *dname, const struct stat *st)
{
        char target[PATH_MAX];
        ssize_t n;
        int r;

        switch (st->st_mode & S_IFMT) {
        case S_IFDIR: {
                _cleanup_close_ int d2 = -EBADF;
                int s2;

                if (mkdirat(dfd, dname, 0700) < 0)
                        return -errno;
                d2 = open_subdir(dfd, dname);
                if (d2 < 0)
                        return d2;
                s2 = open_subdir(sfd, name);
                r = s2 < 0 ? s2 : dir_foreach(s2, false, copy_child, &d2);
                break;
        }
        case S_IFREG:
                r = copy_regular(sfd, name, dfd, dname);
                break;
        case S_IFLNK:
                n = readlinkat(sfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return -errno;
                target[n] = '\0';
                r = RET_NERRNO(symlinkat(target, dfd, dname));
                break;
        case S_IFIFO:
                r = RET_NERRNO(mkfifoat(dfd, dname, 0600));
                break;
        default:
                /* Device nodes and sockets are never copied: see the security model. */
                return 0;
        }
        if (r < 0)
                return r;
        return copy_attrs(dfd, dname, st);
}

int copy_tree_at(int dirfd, const char *src, int dstdirfd, const char *dst)
{
        struct stat st;

        if (fstatat(dirfd, src, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return copy_entry(dirfd, src, dstdirfd, dst, &st);
}

int read_long_at(int dirfd, const char *path, enum read_long_mode mode, long *ret)
{
        _cleanup_free_ char *text = NULL;
        char *end;
        long v;
        int r;

        r = read_file_at(dirfd, path, 4096, &text, NULL);
        if (r < 0)
                return r;
        errno = 0;
        v = strtol(text, &end, 10);
        if (errno || end == text)
                return -EINVAL;
        if (mode == READ_LONG_STRICT && *end && strcmp(end, "\n") != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}
