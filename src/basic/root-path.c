/* SPDX-License-Identifier: Apache-2.0 */
/* In-root path resolution (see root-path.h). Runs in: any stage1 process. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if HAVE_OPENAT2
#include <linux/openat2.h>
#endif

#include "macro.h"
#include "root-path.h"
#include "strbuf.h"
#include "strv.h"

#define MAX_SYMLINKS 40

const char *fd_path(int fd, char buf[static FD_PATH_MAX])
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

/* Drops the last component of the canonical absolute path in sb (never above "/"). */
static void path_pop(struct strbuf *sb)
{
        char *slash;

        if (sb->len == 0)
                return; /* already at "/": ".." never rises above the root */
        slash = strrchr(sb->buf, '/');
        if (!slash || slash == sb->buf) {
                strbuf_reset(sb);
                return;
        }
        sb->len = (size_t)(slash - sb->buf);
        sb->buf[sb->len] = '\0';
}

/* Number of components of the canonical absolute path in sb ("" is the root: 0). */
static size_t path_depth(const struct strbuf *sb)
{
        size_t n = 0;

        for (size_t i = 0; i < sb->len; i++)
                n += sb->buf[i] == '/';
        return n;
}

/* Prepends the symlink target to the remaining components (a NULL-terminated queue). */
static char **queue_prepend(char **rest, const char *target)
{
        _cleanup_strv_free_ char **parts = strv_split(target, '/');
        char **out = NULL;

        STRV_FOREACH(p, parts)
                if (**p)
                        strv_push(&out, *p);
        STRV_FOREACH(p, rest)
                strv_push(&out, *p);
        if (!out)
                out = xnew0(char *, 1);
        return out;
}

int root_chase(int rootfd, const char *path, char **ret)
{
        _cleanup_strv_free_ char **queue = queue_prepend(NULL, path);
        struct strbuf sb = STRBUF_INIT;
        size_t missing = 0; /* depth of the first component that does not exist, or 0 */
        unsigned links = 0;
        size_t i = 0;

        while (queue[i]) {
                const char *c = queue[i++];
                char target[PATH_MAX];
                ssize_t n;

                if (strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0) {
                        path_pop(&sb);
                        if (path_depth(&sb) < missing)
                                missing = 0; /* back on existing ground: resolve again */
                        continue;
                }
                strbuf_printf(&sb, "/%s", c);
                if (missing)
                        continue;
                n = readlinkat(rootfd, strbuf_str(&sb) + 1, target, sizeof(target) - 1);
                if (n < 0) {
                        if (errno == ENOENT)
                                missing = path_depth(&sb);
                        else if (errno != EINVAL && errno != ENOTDIR) {
                                strbuf_release(&sb);
                                return -errno;
                        }
                        continue;
                }
                if (++links > MAX_SYMLINKS) {
                        strbuf_release(&sb);
                        return -ELOOP;
                }
                target[n] = '\0';
                path_pop(&sb);
                if (target[0] == '/')
                        strbuf_reset(&sb);
                char **nq = queue_prepend(queue + i, target);
                strv_free(queue);
                queue = nq;
                i = 0;
        }
        *ret = sb.len ? strbuf_detach(&sb) : xstrdup("/");
        strbuf_release(&sb);
        return 0;
}

/* Walks the canonical path component by component without following any symlink. */
static int open_walk(int rootfd, const char *canon, int flags, mode_t mode)
{
        _cleanup_strv_free_ char **parts = strv_split(canon + 1, '/');
        _cleanup_close_ int dir = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        size_t n = strv_length(parts);

        if (dir < 0)
                return -errno;
        if (n == 1 && parts[0][0] == '\0') {
                int fd = openat(dir, ".", flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW), mode);
                return fd < 0 ? -errno : fd;
        }
        for (size_t i = 0; i + 1 < n; i++) {
                int next = openat(dir, parts[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                safe_close(dir);
                dir = next;
        }
        int fd = openat(dir, parts[n - 1], flags | O_NOFOLLOW, mode);
        return fd < 0 ? -errno : fd;
}

static int root_open_fallback(int rootfd, const char *path, int flags, mode_t mode)
{
        _cleanup_free_ char *canon = NULL;
        int r;

        if (flags & O_NOFOLLOW) {
                /* resolve the parent only, keep the last component literal */
                _cleanup_free_ char *dir = xstrdup(path);
                char *slash = strrchr(dir, '/');
                const char *base = slash ? slash + 1 : dir;
                _cleanup_free_ char *basecopy = xstrdup(base);
                if (slash)
                        *slash = '\0';
                else
                        dir[0] = '\0';
                r = root_chase(rootfd, dir[0] ? dir : "/", &canon);
                if (r < 0)
                        return r;
                if (strcmp(basecopy, "..") == 0 || strcmp(basecopy, ".") == 0 || !*basecopy)
                        return -EINVAL;
                char *full = xasprintf("%s/%s", strcmp(canon, "/") == 0 ? "" : canon, basecopy);
                free(canon);
                canon = full;
        } else {
                r = root_chase(rootfd, path, &canon);
                if (r < 0)
                        return r;
        }
        return open_walk(rootfd, canon, flags, mode);
}

int root_open(int rootfd, const char *path, int flags, mode_t mode)
{
        flags |= O_CLOEXEC;
#if HAVE_OPENAT2
        struct open_how how = {
                .flags = (unsigned)flags,
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *p = path;
        while (*p == '/')
                p++;
        long fd = syscall(SYS_openat2, rootfd, *p ? p : ".", &how, sizeof(how));
        if (fd >= 0)
                return (int)fd;
        if (errno != ENOSYS && errno != E2BIG && errno != EPERM)
                return -errno;
#endif
        return root_open_fallback(rootfd, path, flags, mode);
}

static int mkdirs_leaf(int dir, const char *name, bool leaf_file, bool last, mode_t mode)
{
        int fd;

        if (!last || !leaf_file) {
                if (mkdirat(dir, name, mode) < 0 && errno != EEXIST)
                        return -errno;
                fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return errno == ENOTDIR ? -ENOTDIR : -errno;
                return fd;
        }
        /* created, never opened: what the image put there (a FIFO, whose open blocks until
         * a writer comes, a device node, whose open acts on the host's device) stays shut */
        if (mknodat(dir, name, S_IFREG | 0700, 0) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        int r = fstat(fd, &st) < 0    ? -errno
                : S_ISDIR(st.st_mode) ? -EISDIR
                : S_ISLNK(st.st_mode) ? -ELOOP /* put there meanwhile */
                                      : 0;
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        return fd;
}

int root_mkdirs(int rootfd, const char *path, mode_t mode, bool leaf_file)
{
        _cleanup_free_ char *canon = NULL;
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_close_ int dir = -EBADF;
        int r;

        r = root_chase(rootfd, path, &canon);
        if (r < 0)
                return r;
        dir = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        if (strcmp(canon, "/") == 0)
                return leaf_file ? -EISDIR : TAKE_FD(dir);
        parts = strv_split(canon + 1, '/');
        for (size_t i = 0; parts[i]; i++) {
                int next = mkdirs_leaf(dir, parts[i], leaf_file, !parts[i + 1], mode);
                if (next < 0)
                        return next;
                safe_close(dir);
                dir = next;
        }
        return TAKE_FD(dir);
}

static bool is_exec_file(int rootfd, const char *path)
{
        _cleanup_close_ int fd = root_open(rootfd, path, O_PATH, 0);
        struct stat st;

        return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int root_find_exec(int rootfd, const char *name, const char *path_env, char **ret)
{
        _cleanup_strv_free_ char **dirs = NULL;

        if (strchr(name, '/')) {
                *ret = name[0] == '/' ? xstrdup(name) : xasprintf("/%s", name);
                return 0;
        }
        dirs = strv_split(
                path_env ?: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ':');
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *p = xasprintf("%s/%s", **d ? *d : ".", name);
                if (is_exec_file(rootfd, p)) {
                        *ret = p[0] == '/' ? TAKE_PTR(p) : xasprintf("/%s", p);
                        return 0;
                }
        }
        return -ENOENT;
}
