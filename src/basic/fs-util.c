/* SPDX-License-Identifier: Apache-2.0 */
/* File and directory helpers (libc only). */
#include "fs-util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
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

int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        r = write_full(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dirfd, tmp, dirfd, path) < 0)
                r = -errno;
        if (r < 0)
                (void)unlinkat(dirfd, tmp, 0);
        return r;
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

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

static int rm_rf_children(int fd, dev_t dev)
{
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT)
                                r = -errno;
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        int cfd;

                        if (st.st_dev != dev)
                                return closedir(d), -EXDEV;
                        cfd = openat(dirfd(d), de->d_name,
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd >= 0) {
                                int k = rm_rf_children(cfd, dev);
                                if (k < 0 && r == 0)
                                        r = k;
                        }
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && r == 0)
                                r = -errno;
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        }
        closedir(d);
        return r;
}

int rm_rf_at(int dirfd, const char *name)
{
        struct stat st;
        int fd, r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return RET_NERRNO(unlinkat(dirfd, name, 0));
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = rm_rf_children(fd, st.st_dev);
        if (r < 0)
                return r;
        return RET_NERRNO(unlinkat(dirfd, name, AT_REMOVEDIR));
}

/* Adds the sizes below fd to *total, counting a hard-linked inode once. */
static int dir_size_fd(int fd, struct hashset *inodes, off_t *total)
{
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while (r >= 0 && (de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        break;
                }
                if (S_ISDIR(st.st_mode)) {
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        *total += st.st_size;
                        r = cfd < 0 ? -errno : dir_size_fd(cfd, inodes, total);
                } else if (st.st_nlink > 1) {
                        _cleanup_free_ char *id =
                                xasprintf("%llu:%llu", (unsigned long long)st.st_dev,
                                          (unsigned long long)st.st_ino);
                        if (hashset_put(inodes, id, 0) > 0)
                                *total += st.st_size;
                } else
                        *total += st.st_size;
        }
        closedir(d);
        return r;
}

int dir_size_at(int dirfd, const char *name, off_t *ret)
{
        struct hashset inodes = HASHSET_INIT;
        struct stat st;
        off_t total;
        int fd, r = 0;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        total = st.st_size;
        if (S_ISDIR(st.st_mode)) {
                fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                r = fd < 0 ? -errno : dir_size_fd(fd, &inodes, &total);
        }
        hashset_done(&inodes);
        if (r < 0)
                return r;
        *ret = total;
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

static int copy_dir_contents(int sfd, int dfd)
{
        DIR *d = fdopendir(sfd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                safe_close(sfd);
                return -errno;
        }
        while (r >= 0 && (de = readdir(d))) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        r = -errno;
                else
                        r = copy_entry(dirfd(d), de->d_name, dfd, de->d_name, &st);
        }
        closedir(d);
        return r;
}

static int copy_regular(int sfd, const char *name, int dfd, const char *dname)
{
        _cleanup_close_ int in = -EBADF, out = -EBADF;

        in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (in < 0)
                return -errno;
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
                int s2, d2;

                if (mkdirat(dfd, dname, 0700) < 0)
                        return -errno;
                s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s2 < 0)
                        return -errno;
                d2 = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (d2 < 0)
                        return safe_close(s2), -errno;
                r = copy_dir_contents(s2, d2);
                safe_close(d2);
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
