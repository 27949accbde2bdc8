/* SPDX-License-Identifier: Apache-2.0 */
/* In-root path resolution over any tree, and over a directory on disk. */
#include "chase.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "path-util.h"
#include "strbuf.h"

#define STR_(x)      #x
#define STRINGIFY(x) STR_(x)

/* The components still to resolve, the next one last. */
struct pending {
        char **v;
        bool *mine; /* a component of the path itself (CHASE_MKDIR may create it) */
        size_t n, cap;
};

static void pending_push(struct pending *p, const char *s, size_t len, bool mine)
{
        if (p->n == p->cap) {
                p->cap = p->cap ? 2 * p->cap : 16;
                p->v = oom_check(reallocarray(p->v, p->cap, sizeof(*p->v)));
                p->mine = oom_check(reallocarray(p->mine, p->cap, sizeof(*p->mine)));
        }
        p->v[p->n] = oom_check(strndup(s, len));
        p->mine[p->n++] = mine;
}

/* Pushes the components of s so that its first is resolved next. */
static void pending_push_path(struct pending *p, const char *s, bool mine)
{
        const char *end = s + strlen(s);

        while (end > s) {
                const char *start = end;

                while (start > s && start[-1] != '/')
                        start--;
                if (end > start)
                        pending_push(p, start, (size_t)(end - start), mine);
                end = start > s ? start - 1 : s;
        }
}

static void pending_done(struct pending *p)
{
        for (size_t i = 0; i < p->n; i++)
                free(p->v[i]);
        free(p->v);
        free(p->mine);
}

struct walker {
        const struct chase_ops *ops;
        void *tree;
        uintptr_t root, cur;
        struct strbuf path; /* of cur, below the root */
        size_t depth;
        unsigned hops;
};

static void walker_set(struct walker *w, uintptr_t h)
{
        w->ops->release(w->tree, w->cur);
        w->cur = h;
}

static int walker_up(struct walker *w)
{
        uintptr_t h;
        char *slash;
        int r;

        if (w->depth == 0)
                return 0; /* ".." of the root is the root */
        r = w->ops->parent(w->tree, w->cur, &h);
        if (r < 0)
                return r;
        walker_set(w, h);
        slash = strrchr(w->path.buf, '/');
        w->path.len = slash ? (size_t)(slash - w->path.buf) : 0;
        w->path.buf[w->path.len] = '\0';
        w->depth--;
        return 0;
}

static int walker_down(struct walker *w, uintptr_t h, const char *name)
{
        walker_set(w, h);
        if (w->path.len)
                strbuf_putc(&w->path, '/');
        strbuf_puts(&w->path, name);
        w->depth++;
        if (w->depth > PATH_DEPTH_MAX || w->path.len + 2 > PATH_MAX)
                return -ENAMETOOLONG;
        return 0;
}

static int walker_restart(struct walker *w)
{
        uintptr_t h;
        int r = w->ops->dup(w->tree, w->root, &h);

        if (r < 0)
                return r;
        walker_set(w, h);
        strbuf_reset(&w->path);
        w->depth = 0;
        return 0;
}

/* A symlink met on the way: its target goes in front of what is left. */
static int walker_follow(struct walker *w, struct pending *p, uintptr_t link, unsigned flags)
{
        _cleanup_free_ char *target = NULL;
        int r;

        if ((flags & CHASE_NOLINKS) || ++w->hops > CHASE_HOPS_MAX)
                return -ELOOP;
        r = w->ops->readlink(w->tree, link, &target);
        if (r < 0)
                return r;
        if (target[0] == '\0')
                return -ENOENT;
        pending_push_path(p, target, false);
        return target[0] == '/' ? walker_restart(w) : 0;
}

/* One component: descends into it or queues its symlink's target. */
static int walker_step(struct walker *w, struct pending *p, const char *name, bool mine,
                       unsigned flags)
{
        uintptr_t h;
        mode_t type;
        int r;

        if (strcmp(name, ".") == 0)
                return 0;
        if (strcmp(name, "..") == 0)
                return walker_up(w);
        r = w->ops->lookup(w->tree, w->cur, name, &h, &type);
        if (r == -ENOENT && mine && (flags & CHASE_MKDIR)) {
                r = w->ops->mkdir(w->tree, w->cur, name, &h);
                type = S_IFDIR;
        }
        if (r < 0)
                return r;
        if (S_ISDIR(type))
                return walker_down(w, h, name);
        if (S_ISLNK(type)) {
                r = walker_follow(w, p, h, flags);
                w->ops->release(w->tree, h);
                return r;
        }
        w->ops->release(w->tree, h);
        return -ENOTDIR;
}

/* Whether the last component, base, is followed as a symlink: then it is queued again. */
static int walker_last(struct walker *w, struct pending *p, const char *base, unsigned flags,
                       bool *ret_done)
{
        uintptr_t h;
        mode_t type;
        int r;

        *ret_done = true;
        if (!(flags & CHASE_FOLLOW) || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
                return 0;
        r = w->ops->lookup(w->tree, w->cur, base, &h, &type);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (S_ISLNK(type)) {
                *ret_done = false;
                r = walker_follow(w, p, h, flags);
        }
        w->ops->release(w->tree, h);
        return r;
}

static int chase_walk(struct walker *w, struct pending *p, unsigned flags, char **ret_base)
{
        int r;

        while (p->n > 0) {
                _cleanup_free_ char *name = p->v[--p->n];
                bool mine = p->mine[p->n], done;

                if (p->n > 0) {
                        r = walker_step(w, p, name, mine, flags);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = walker_last(w, p, name, flags, &done);
                if (r < 0)
                        return r;
                if (!done)
                        continue;
                if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
                        /* a target ending in "." or "..": the directory it names */
                        r = walker_step(w, p, name, false, flags);
                        if (r < 0)
                                return r;
                        if (w->depth == 0) {
                                *ret_base = xstrdup("");
                                return 0;
                        }
                        free(name);
                        name = xstrdup(strrchr(w->path.buf, '/') ? strrchr(w->path.buf, '/') + 1
                                                                 : w->path.buf);
                        r = walker_up(w);
                        if (r < 0)
                                return r;
                }
                /* "/" + path + "/" + name and the NUL, at most PATH_DEPTH_MAX components */
                if (w->depth + 1 > PATH_DEPTH_MAX || w->path.len + strlen(name) + 3 > PATH_MAX)
                        return -ENAMETOOLONG;
                *ret_base = TAKE_PTR(name);
                return 0;
        }
        *ret_base = xstrdup(""); /* the root itself */
        return 0;
}

int chase(const struct chase_ops *ops, void *tree, uintptr_t root, const char *path, unsigned flags,
          struct chase_result *ret)
{
        struct walker w = {.ops = ops, .tree = tree, .root = root, .path = STRBUF_INIT};
        struct pending p = {0};
        char *base = NULL;
        int r;

        r = ops->dup(tree, root, &w.cur);
        if (r < 0)
                return r;
        pending_push_path(&p, path, true);
        r = chase_walk(&w, &p, flags, &base);
        pending_done(&p);
        if (r < 0) {
                ops->release(tree, w.cur);
                strbuf_release(&w.path);
                return r;
        }
        *ret = (struct chase_result){w.cur, base, strbuf_detach(&w.path)};
        return 0;
}

const char *chase_strerror(int r)
{
        switch (r) {
        case -ENOENT:
                return "is below a symbolic link to nothing";
        case -ENOTDIR:
                return "is below a file that is not a directory";
        case -ELOOP:
                return "is below too many levels of symbolic links";
        case -ENAMETOOLONG:
                return "is longer than " STRINGIFY(PATH_MAX) " bytes or has more than " STRINGIFY(
                        PATH_DEPTH_MAX) " components once its symbolic links are resolved";
        default:
                return NULL;
        }
}

void chase_result_done(const struct chase_ops *ops, void *tree, struct chase_result *r)
{
        if (r->base || r->path)
                ops->release(tree, r->dir);
        free(r->base);
        free(r->path);
        *r = (struct chase_result){0};
}

/* --- on disk --- */

static int fd_lookup(void *tree, uintptr_t dir, const char *name, uintptr_t *ret, mode_t *ret_type)
{
        struct stat st;
        int fd = openat((int)dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                safe_close(fd);
                return -errno;
        }
        *ret = (uintptr_t)fd;
        *ret_type = st.st_mode & S_IFMT;
        return 0;
}

static int fd_readlink(void *tree, uintptr_t node, char **ret)
{
        char buf[PATH_MAX];
        ssize_t n = readlinkat((int)node, "", buf, sizeof(buf));

        if (n < 0)
                return -errno;
        if ((size_t)n >= sizeof(buf))
                return -ENAMETOOLONG;
        *ret = oom_check(strndup(buf, (size_t)n));
        return 0;
}

static int fd_open_dir(int dir, const char *name, uintptr_t *ret)
{
        int fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        *ret = (uintptr_t)fd;
        return 0;
}

static int fd_mkdir(void *tree, uintptr_t dir, const char *name, uintptr_t *ret)
{
        if (mkdirat((int)dir, name, 0755) < 0 && errno != EEXIST)
                return -errno;
        return fd_open_dir((int)dir, name, ret);
}

static int fd_parent(void *tree, uintptr_t dir, uintptr_t *ret)
{
        return fd_open_dir((int)dir, "..", ret);
}

static int fd_dup(void *tree, uintptr_t h, uintptr_t *ret)
{
        int fd = fcntl((int)h, F_DUPFD_CLOEXEC, 3);

        if (fd < 0)
                return -errno;
        *ret = (uintptr_t)fd;
        return 0;
}

static void fd_release(void *tree, uintptr_t h)
{
        safe_close((int)h);
}

static const struct chase_ops fd_ops = {
        .lookup = fd_lookup,
        .readlink = fd_readlink,
        .mkdir = fd_mkdir,
        .parent = fd_parent,
        .dup = fd_dup,
        .release = fd_release,
};

int chase_at(int rootfd, const char *path, unsigned flags, struct chase_result *ret)
{
        return chase(&fd_ops, NULL, (uintptr_t)rootfd, path, flags, ret);
}

void chase_at_done(struct chase_result *r)
{
        chase_result_done(&fd_ops, NULL, r);
}

int chase_open_at(int rootfd, const char *path, unsigned chase_flags, int open_flags)
{
        struct chase_result cr = {0};
        int r, fd;

        r = chase_at(rootfd, path, chase_flags, &cr);
        if (r < 0)
                return r;
        fd = cr.base[0] ? openat((int)cr.dir, cr.base, open_flags | O_NOFOLLOW | O_CLOEXEC)
                        : openat((int)cr.dir, ".", open_flags | O_CLOEXEC);
        r = fd < 0 ? -errno : fd;
        chase_at_done(&cr);
        return r;
}
