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
#include "strv.h"
#include "xattr-util.h"

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

int pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, off);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                off += n;
                len -= (size_t)n;
        }
        return 0;
}

void writeback_start(int fd, uint64_t *started, uint64_t end, uint64_t min)
{
        if (end <= *started || end - *started < min)
                return;
        (void)sync_file_range(fd, (off_t)*started, (off_t)(end - *started), SYNC_FILE_RANGE_WRITE);
        *started = end;
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

int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len)
{
        struct strbuf sb = STRBUF_INIT;
        char buf[65536];

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

int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        return read_fd_all(fd, max, ret, ret_len);
}

int read_regular_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        return read_fd_all(fd, max, ret, ret_len);
}

int open_dir_nofollow(int dirfd, const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);
        _cleanup_close_ int cur = -EBADF;
        char *save = NULL;

        for (char *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int fd = openat(cur >= 0 ? cur : dirfd, c,
                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                safe_close(cur);
                cur = fd;
        }
        if (cur < 0)
                return -EINVAL;
        return TAKE_FD(cur);
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

/*
 * tmp renamed over path by exchanging the two (what was at path is then at tmp, which is
 * removed; a directory there is put back: -EISDIR), or by a plain rename when path does not
 * exist. Unlike a rename over an existing file, this has ext4 neither start writing the new
 * file's data back (its heuristic for replacements without fsync) nor, when the old file
 * never reached the disk, free and discard blocks. Returns 0 or -errno.
 */
static int replace_by_exchange(int dirfd, const char *tmp, const char *path)
{
        if (renameat2(dirfd, tmp, dirfd, path, RENAME_EXCHANGE) < 0)
                /* no path yet, or a file system without exchanges */
                return errno == ENOENT || errno == EINVAL
                               ? RET_NERRNO(renameat(dirfd, tmp, dirfd, path))
                               : -errno;
        if (unlinkat(dirfd, tmp, 0) == 0)
                return 0;
        if (errno == EISDIR && renameat2(dirfd, tmp, dirfd, path, RENAME_EXCHANGE) == 0)
                return -EISDIR; /* tmp is ours again: the caller removes it */
        return -errno;
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
        if (r >= 0 && (flags & WRITE_SYNC))
                r = RET_NERRNO(renameat(dirfd, tmp, dirfd, path));
        else if (r >= 0)
                r = replace_by_exchange(dirfd, tmp, path);
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

/* --- the iterative tree walk --- */

struct walk_frame {
        char **names; /* of the directory's entries, sorted */
        size_t next;
        char *name; /* of the directory in its parent */
        struct stat st;
        size_t path_len; /* of the parent's path */
};

struct walk {
        unsigned flags;
        tree_walk_fn fn;
        void *userdata;
        dev_t root_dev;
        struct walk_frame *frames;
        size_t n, cap;
        int cur; /* the directory of the top frame */
        struct strbuf path;
        int error; /* the first one, with TREE_WALK_KEEP_GOING */
};

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted entry names of the directory fd (its offset is not moved for the caller). */
static int read_names(int fd, char ***ret)
{
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;

        if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
                safe_close(dup_fd);
                return -errno;
        }
        rewinddir(d);
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                names = oom_check(reallocarray(names, n + 2, sizeof(char *)));
                names[n++] = xstrdup(de->d_name);
                names[n] = NULL;
        }
        closedir(d);
        if (n)
                qsort(names, n, sizeof(char *), cmp_names);
        *ret = names;
        return 0;
}

static void frame_done(struct walk_frame *f)
{
        strv_free(f->names);
        free(f->name);
}

/* A result of fn or of the walk: kept (first one) and dropped with KEEP_GOING. */
static int walk_result(struct walk *w, int r)
{
        if (r >= 0)
                return r;
        if (!(w->flags & TREE_WALK_KEEP_GOING))
                return r;
        if (w->error == 0)
                w->error = r;
        return 1; /* skip what failed */
}

static int walk_call(struct walk *w, enum tree_walk_event ev, int dfd, const char *name,
                     const struct stat *st, int fd)
{
        struct tree_walk_item it = {ev, dfd, name, st, fd, strbuf_str(&w->path), w->n};

        return w->fn(&it, w->userdata);
}

/* Whether a directory may be entered: with TREE_WALK_SAME_FS not another file system and
 * not a mount point of this one. */
static int walk_check_fs(struct walk *w, int fd, const struct stat *st)
{
        struct statx sx;

        if (!(w->flags & TREE_WALK_SAME_FS))
                return 0;
        if (st->st_dev != w->root_dev)
                return -EXDEV;
        if (statx(fd, "", AT_EMPTY_PATH, 0, &sx) == 0 &&
            (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
            (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return -EXDEV;
        return 0;
}

/* Pushes the directory fd (named name in its parent, holding names) and makes it current. */
static void walk_push(struct walk *w, int fd, const char *name, const struct stat *st, char **names,
                      size_t parent_len)
{
        if (w->n == w->cap) {
                w->cap = w->cap ? 2 * w->cap : 16;
                w->frames = oom_check(reallocarray(w->frames, w->cap, sizeof(*w->frames)));
        }
        w->frames[w->n++] = (struct walk_frame){names, 0, xstrdup(name), *st, parent_len};
        safe_close(w->cur); /* the way back up is "..": one directory open at a time */
        w->cur = fd;
}

/* Enters the directory fd (dfd/name): reads it, calls fn, pushes it. Takes fd. */
static int walk_enter(struct walk *w, int dfd, const char *name, int fd, const struct stat *st,
                      size_t parent_len)
{
        char **names = NULL;
        int r = read_names(fd, &names);

        if (r >= 0)
                r = walk_call(w, TREE_WALK_DIR_PRE, dfd, name, st, fd);
        if (r != 0) {
                strv_free(names);
                safe_close(fd);
                return r;
        }
        walk_push(w, fd, name, st, names, parent_len);
        return 0;
}

/* Opens the directory name of dfd and checks it is the one stat'ed. */
static int walk_open_dir(int dfd, const char *name, struct stat *st)
{
        struct stat st2;
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st2) < 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
                safe_close(fd);
                return -ESTALE;
        }
        *st = st2;
        return fd;
}

/* The next entry of the current directory: called, or entered when a directory. */
static int walk_entry(struct walk *w, const char *name)
{
        size_t len = w->path.len;
        struct stat st;
        int fd, r;

        if (fstatat(w->cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : walk_result(w, -errno);
        strbuf_printf(&w->path, "%s%s", len ? "/" : "", name);
        if (!S_ISDIR(st.st_mode)) {
                r = walk_result(w, walk_call(w, TREE_WALK_ENTRY, w->cur, name, &st, -EBADF));
                w->path.len = len;
                w->path.buf[len] = '\0';
                return r < 0 ? r : 0;
        }
        fd = walk_open_dir(w->cur, name, &st);
        r = fd < 0 ? fd : walk_check_fs(w, fd, &st);
        if (r < 0)
                safe_close(fd);
        else
                r = walk_enter(w, w->cur, name, fd, &st, len);
        if (r != 0) {
                w->path.len = len;
                w->path.buf[len] = '\0';
                r = walk_result(w, r);
                return r < 0 ? r : 0;
        }
        return 0;
}

/* Leaves the current directory (its frame is done) for its parent. */
static int walk_pop(struct walk *w, int rootdirfd)
{
        struct walk_frame f = w->frames[--w->n];
        int pfd = -EBADF, r = 0;

        if (w->n > 0) {
                const struct stat *want = &w->frames[w->n - 1].st;
                struct stat st;

                pfd = openat(w->cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0 || fstat(pfd, &st) < 0)
                        r = -errno;
                else if (st.st_dev != want->st_dev || st.st_ino != want->st_ino)
                        r = -ESTALE; /* moved away under us: we lost our place */
        }
        if (r >= 0)
                r = walk_result(w, walk_call(w, TREE_WALK_DIR_POST, w->n > 0 ? pfd : rootdirfd,
                                             f.name, &f.st, w->cur));
        w->path.len = f.path_len;
        if (w->path.buf)
                w->path.buf[f.path_len] = '\0';
        frame_done(&f);
        safe_close(w->cur);
        w->cur = pfd;
        return r < 0 ? r : 0;
}

static int walk_run(struct walk *w, int rootdirfd)
{
        int r = 0;

        while (w->n > 0 && r >= 0) {
                struct walk_frame *f = &w->frames[w->n - 1];

                if (f->names && f->names[f->next])
                        r = walk_entry(w, f->names[f->next++]);
                else
                        r = walk_pop(w, rootdirfd);
        }
        return r;
}

int tree_walk_at(int dirfd, const char *name, unsigned flags, tree_walk_fn fn, void *userdata)
{
        struct walk w = {flags, fn, userdata, 0, NULL, 0, 0, -EBADF, STRBUF_INIT, 0};
        struct stat st;
        int fd, r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        w.root_dev = st.st_dev;
        if (!S_ISDIR(st.st_mode)) {
                r = walk_call(&w, TREE_WALK_ENTRY, dirfd, name, &st, -EBADF);
                strbuf_release(&w.path);
                return r < 0 ? r : 0;
        }
        fd = walk_open_dir(dirfd, name, &st);
        if (fd < 0)
                return fd;
        r = walk_enter(&w, dirfd, name, fd, &st, 0);
        if (r == 0)
                r = walk_run(&w, dirfd);
        while (w.n > 0) /* stopped by an error */
                frame_done(&w.frames[--w.n]);
        if (w.cur >= 0)
                safe_close(w.cur);
        free(w.frames);
        strbuf_release(&w.path);
        if (r < 0)
                return r;
        return w.error;
}

/* --- users of the walk --- */

static int rm_rf_item(const struct tree_walk_item *it, void *userdata)
{
        if (it->event == TREE_WALK_DIR_PRE)
                return 0;
        if (unlinkat(it->dfd, it->name, it->event == TREE_WALK_DIR_POST ? AT_REMOVEDIR : 0) < 0 &&
            errno != ENOENT)
                return -errno;
        return 0;
}

int rm_rf_at(int dirfd, const char *name)
{
        int r = tree_walk_at(dirfd, name, TREE_WALK_SAME_FS | TREE_WALK_KEEP_GOING, rm_rf_item,
                             NULL);

        return r == -ENOENT ? 0 : r;
}

struct size_walk {
        struct hashset inodes; /* hard-linked inodes already counted */
        off_t total;
};

static int size_item(const struct tree_walk_item *it, void *userdata)
{
        struct size_walk *sw = userdata;

        if (it->event == TREE_WALK_DIR_POST)
                return 0;
        if (it->event == TREE_WALK_ENTRY && it->st->st_nlink > 1) {
                _cleanup_free_ char *id = xasprintf("%llu:%llu", (unsigned long long)it->st->st_dev,
                                                    (unsigned long long)it->st->st_ino);
                if (hashset_put(&sw->inodes, id, 0) == 0)
                        return 0;
        }
        sw->total += it->st->st_size;
        return 0;
}

int dir_size_at(int dirfd, const char *name, off_t *ret)
{
        struct size_walk sw = {HASHSET_INIT, 0};
        int r = tree_walk_at(dirfd, name, 0, size_item, &sw);

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

/* Copies len bytes at off of fd to the same offset of outfd. */
static int copy_range(int fd, int outfd, off_t off, off_t len)
{
        static char buf[1 << 20];
        off_t in = off, out = off;

        while (len > 0) {
                ssize_t n = copy_file_range(fd, &in, outfd, &out, (size_t)MIN(len, 1 << 30), 0);

                if (n > 0) {
                        len -= n;
                        continue;
                }
                if (n == 0)
                        return -EIO; /* the file shrank */
                if (errno == EINTR)
                        continue;
                if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        return -errno;
                break;
        }
        while (len > 0) {
                ssize_t n = pread(fd, buf, (size_t)MIN(len, (off_t)sizeof(buf)), in);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                if (pwrite(outfd, buf, (size_t)n, out) != n)
                        return errno ? -errno : -EIO;
                in += n;
                out += n;
                len -= n;
        }
        return 0;
}

int copy_fd_sparse(int fd, int outfd, off_t size)
{
        off_t pos = 0, end = 0;

        while (pos < size) {
                off_t data = lseek(fd, pos, SEEK_DATA), hole;
                int r;

                if (data < 0 && errno == ENXIO)
                        break; /* only a hole is left */
                if (data < 0 && errno != EINVAL)
                        return -errno;
                hole = data < 0 ? size : lseek(fd, data, SEEK_HOLE);
                if (data < 0)
                        data = pos; /* no SEEK_DATA here: all of it */
                if (hole < 0)
                        return -errno;
                r = copy_range(fd, outfd, data, MIN(hole, size) - data);
                if (r < 0)
                        return r;
                end = MIN(hole, size);
                pos = hole;
        }
        /* a hole at the end (a truncate costs a journal transaction: only then) */
        return end < size ? RET_NERRNO(ftruncate(outfd, size)) : 0;
}

/* Sets xattrs an image may carry, and owner, mode and times, on the copy of st: fd (open)
 * when >= 0, else dfd/name (symlinks and fifos, which carry no xattrs of ours). */
static int copy_attrs(int fd, int src_fd, int dfd, const char *name, const struct stat *st)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        struct xattrs x = {0};
        int r;

        if ((fd >= 0 ? fchown(fd, st->st_uid, st->st_gid)
                     : fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW)) < 0 &&
            errno != EPERM)
                return -errno;
        if (S_ISLNK(st->st_mode))
                return RET_NERRNO(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW));
        if ((fd >= 0 ? fchmod(fd, st->st_mode & 07777)
                     : fchmodat(dfd, name, st->st_mode & 07777, 0)) < 0)
                return -errno;
        if (fd >= 0 && src_fd >= 0) {
                /* after chown, which drops security.capability */
                r = xattrs_read_fd(src_fd, &x);
                if (r >= 0)
                        r = xattrs_write_allowed_fd(fd, &x);
                xattrs_done(&x);
                if (r < 0 && r != -EPERM && r != -ENOTSUP)
                        return r;
        }
        return RET_NERRNO(fd >= 0 ? futimens(fd, ts) : utimensat(dfd, name, ts, 0));
}

int fd_reopen_regular(int pfd, int flags)
{
        char path[32];
        struct stat st;
        int fd;

        if (fstat(pfd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
        fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int copy_regular(int sfd, const char *name, int dfd, const char *dname,
                        const struct stat *st)
{
        _cleanup_close_ int pfd = -EBADF, in = -EBADF, out = -EBADF;
        struct stat st2;
        int r;

        /* still the regular file of the caller's stat? Never opens a FIFO or device. */
        pfd = openat(sfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        in = fd_reopen_regular(pfd, O_RDONLY);
        if (in < 0)
                return in;
        if (fstat(in, &st2) < 0)
                return -errno;
        if (!S_ISREG(st2.st_mode) || st2.st_ino != st->st_ino)
                return -ESTALE;
        out = openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return -errno;
        r = copy_fd_sparse(in, out, st2.st_size);
        if (r < 0)
                return r;
        return copy_attrs(out, in, -EBADF, NULL, &st2);
}

struct copy_walk {
        int dstdirfd;     /* the parent of the copy's root */
        const char *dst;  /* the copy's root there */
        int cur;          /* the copy of the directory the walk is in */
        struct stat *ids; /* of the copies of the directories the walk is in */
        size_t n;
};

static int copy_entry(struct copy_walk *cw, const struct tree_walk_item *it)
{
        int dfd = it->depth == 0 ? cw->dstdirfd : cw->cur;
        const char *dname = it->depth == 0 ? cw->dst : it->name;
        char target[PATH_MAX];
        ssize_t n;
        int r;

        switch (it->st->st_mode & S_IFMT) {
        case S_IFREG:
                return copy_regular(it->dfd, it->name, dfd, dname, it->st);
        case S_IFLNK:
                n = readlinkat(it->dfd, it->name, target, sizeof(target) - 1);
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
        return r < 0 ? r : copy_attrs(-EBADF, -EBADF, dfd, dname, it->st);
}

/* Creates the copy of the directory the walk enters and makes it current. */
static int copy_enter(struct copy_walk *cw, const struct tree_walk_item *it)
{
        int dfd = it->depth == 0 ? cw->dstdirfd : cw->cur;
        const char *dname = it->depth == 0 ? cw->dst : it->name;
        int fd;

        if (mkdirat(dfd, dname, 0700) < 0)
                return -errno;
        fd = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        cw->ids = oom_check(reallocarray(cw->ids, cw->n + 1, sizeof(*cw->ids)));
        if (fstat(fd, &cw->ids[cw->n]) < 0) {
                safe_close(fd);
                return -errno;
        }
        cw->n++;
        if (it->depth > 0)
                safe_close(cw->cur);
        cw->cur = fd;
        return 0;
}

/* The walk leaves a directory: the copy gets its attributes, its parent becomes current. */
static int copy_leave(struct copy_walk *cw, const struct tree_walk_item *it)
{
        struct stat st;
        int r = copy_attrs(cw->cur, it->fd, -EBADF, NULL, it->st), pfd;

        cw->n--;
        if (cw->n == 0 || r < 0)
                return r;
        pfd = openat(cw->cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        if (fstat(pfd, &st) < 0 || st.st_dev != cw->ids[cw->n - 1].st_dev ||
            st.st_ino != cw->ids[cw->n - 1].st_ino) {
                safe_close(pfd);
                return -ESTALE; /* the copy was moved under us */
        }
        safe_close(cw->cur);
        cw->cur = pfd;
        return 0;
}

static int copy_item(const struct tree_walk_item *it, void *userdata)
{
        struct copy_walk *cw = userdata;

        switch (it->event) {
        case TREE_WALK_ENTRY:
                return copy_entry(cw, it);
        case TREE_WALK_DIR_PRE:
                return copy_enter(cw, it);
        default:
                return copy_leave(cw, it);
        }
}

int copy_tree_at(int dirfd, const char *src, int dstdirfd, const char *dst)
{
        struct copy_walk cw = {dstdirfd, dst, -EBADF, NULL, 0};
        int r = tree_walk_at(dirfd, src, 0, copy_item, &cw);

        safe_close(cw.cur);
        free(cw.ids);
        return r;
}

int read_long_at(int dirfd, const char *path, enum read_long_mode mode, long *ret)
{
        _cleanup_free_ char *text = NULL;
        char *end;
        long v;
        int r;

        r = read_regular_file_at(dirfd, path, 4096, &text, NULL);
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
