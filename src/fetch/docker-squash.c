/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory layer squasher: a tree of nodes, file data in a spool file. */
#include "docker-squash.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "strbuf.h"
#include "strv.h"

#define COPY_BLOCK (1 << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_write_free)

struct node {
        char *name;
        mode_t mode; /* type and permissions */
        uid_t uid;
        gid_t gid;
        int64_t mtime;
        dev_t rdev;
        char *link;        /* symlink target */
        uint64_t data_off; /* regular files: content in the spool */
        uint64_t size;
        unsigned long inode;    /* hard-link group, 0 when alone */
        unsigned layer;         /* the layer that last wrote this node */
        struct node **children; /* sorted by name */
        size_t n_children;
};

struct squash {
        struct node root;
        int spool_fd;
        uint64_t spool_end;
        unsigned layer;
        unsigned long next_inode;
};

static void node_free(struct node *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->n_children; i++)
                node_free(n->children[i]);
        free(n->children);
        free(n->name);
        free(n->link);
        free(n);
}

struct squash *squash_new(int spool_fd)
{
        struct squash *sq = xnew0(struct squash, 1);

        sq->root.mode = S_IFDIR | 0755;
        sq->spool_fd = spool_fd;
        return sq;
}

struct squash *squash_free(struct squash *sq)
{
        if (!sq)
                return NULL;
        for (size_t i = 0; i < sq->root.n_children; i++)
                node_free(sq->root.children[i]);
        free(sq->root.children);
        free(sq);
        return NULL;
}

/* Binary search: the index of name in dir, or where it would go (*found false). */
static size_t child_index(const struct node *dir, const char *name, size_t len, bool *found)
{
        size_t lo = 0, hi = dir->n_children;

        *found = false;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strncmp(dir->children[mid]->name, name, len);

                if (c == 0 && dir->children[mid]->name[len] != '\0')
                        c = 1;
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static struct node *child_find(const struct node *dir, const char *name, size_t len)
{
        bool found;
        size_t i = child_index(dir, name, len, &found);

        return found ? dir->children[i] : NULL;
}

static void child_remove(struct node *dir, const char *name)
{
        bool found;
        size_t i = child_index(dir, name, strlen(name), &found);

        if (!found)
                return;
        node_free(dir->children[i]);
        memmove(dir->children + i, dir->children + i + 1,
                (dir->n_children - i - 1) * sizeof(*dir->children));
        dir->n_children--;
}

/* Inserts n (whose name is not yet in dir). */
static void child_insert(struct node *dir, struct node *n)
{
        bool found;
        size_t i = child_index(dir, n->name, strlen(n->name), &found);

        dir->children =
                oom_check(realloc(dir->children, (dir->n_children + 1) * sizeof(*dir->children)));
        memmove(dir->children + i + 1, dir->children + i,
                (dir->n_children - i) * sizeof(*dir->children));
        dir->children[i] = n;
        dir->n_children++;
}

static struct node *node_new(const char *name, size_t len, mode_t mode, unsigned layer)
{
        struct node *n = xnew0(struct node, 1);

        n->name = oom_check(strndup(name, len));
        n->mode = mode;
        n->layer = layer;
        return n;
}

/* Normalises a layer path: no leading "./", no trailing "/"; NULL when hostile. "" is the
 * root itself. */
static char *path_normalise(const char *p)
{
        _cleanup_free_ char *s = NULL;
        size_t n;

        while (p[0] == '.' && p[1] == '/')
                p += 2;
        if (p[0] == '/' || strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 || strstr(p, "/../") ||
            strstr(p, "//"))
                return NULL;
        s = xstrdup(strcmp(p, ".") == 0 ? "" : p);
        n = strlen(s);
        while (n > 0 && s[n - 1] == '/')
                s[--n] = '\0';
        if ((n >= 3 && strcmp(s + n - 3, "/..") == 0) || strstr(s, "/./") ||
            (n >= 2 && strcmp(s + n - 2, "/.") == 0))
                return NULL;
        return TAKE_PTR(s);
}

/* The node at path, or NULL. Never follows symlinks. */
static struct node *node_lookup(struct squash *sq, const char *path)
{
        struct node *n = &sq->root;

        while (n && *path) {
                size_t len = strcspn(path, "/");

                n = S_ISDIR(n->mode) ? child_find(n, path, len) : NULL;
                path += len + (path[len] == '/');
        }
        return n;
}

/*
 * Walks to the directory holding the last component of path, creating missing directories
 * (and replacing lower-layer non-directories, as overlayfs shows them). Refuses to pass
 * through a non-directory the current layer wrote: that is an entry "through a symlink".
 */
static int walk_parent(struct squash *sq, const char *path, struct node **ret_dir,
                       const char **ret_base, struct rk_error **reterr)
{
        struct node *dir = &sq->root;
        const char *slash;

        while ((slash = strchr(path, '/'))) {
                size_t len = (size_t)(slash - path);
                struct node *c = child_find(dir, path, len);

                if (c && !S_ISDIR(c->mode)) {
                        if (c->layer == sq->layer)
                                return rk_error_set(reterr, EINVAL,
                                                    "entry below a non-directory of the same "
                                                    "layer");
                        child_remove(dir, c->name);
                        c = NULL;
                }
                if (!c) {
                        c = node_new(path, len, S_IFDIR | 0755, sq->layer);
                        child_insert(dir, c);
                }
                dir = c;
                path = slash + 1;
        }
        *ret_dir = dir;
        *ret_base = path;
        return 0;
}

/* Removes the lower-layer content of n's children; returns whether n itself was emptied
 * of everything below layer. */
static void prune_lower(struct node *dir, unsigned layer)
{
        for (size_t i = dir->n_children; i-- > 0;) {
                struct node *c = dir->children[i];

                if (S_ISDIR(c->mode))
                        prune_lower(c, layer);
                if (c->layer < layer && (!S_ISDIR(c->mode) || c->n_children == 0))
                        child_remove(dir, c->name);
        }
}

/* ".wh.NAME" in dir: NAME of lower layers goes. */
static void apply_whiteout(struct squash *sq, struct node *dir, const char *name)
{
        struct node *c = child_find(dir, name, strlen(name));

        if (!c)
                return;
        if (S_ISDIR(c->mode))
                prune_lower(c, sq->layer);
        if (c->layer < sq->layer && (!S_ISDIR(c->mode) || c->n_children == 0))
                child_remove(dir, c->name);
}

/* Copies the entry's data to the end of the spool. */
static int spool_data(struct squash *sq, struct archive *a, struct archive_entry *e, struct node *n,
                      struct rk_error **reterr)
{
        la_int64_t size = archive_entry_size(e), off;
        const void *buf;
        size_t len;
        int r;

        if (size < 0 || sq->spool_end + (uint64_t)size > SQUASH_MAX_BYTES)
                return rk_error_set(reterr, EFBIG, "image larger than %llu bytes",
                                    (unsigned long long)SQUASH_MAX_BYTES);
        n->data_off = sq->spool_end;
        n->size = (uint64_t)size;
        while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
                if (off < 0 || (uint64_t)off + len > n->size)
                        return rk_error_set(reterr, EINVAL, "file data beyond its size");
                if (pwrite(sq->spool_fd, buf, len, (off_t)(n->data_off + (uint64_t)off)) !=
                    (ssize_t)len)
                        return rk_error_set_errno(reterr, errno ?: ENOSPC,
                                                  "cannot write the layer data");
        }
        if (r != ARCHIVE_EOF)
                return rk_error_set(reterr, EIO, "%s", archive_error_string(a));
        sq->spool_end += n->size;
        return 0;
}

static void node_set_meta(struct node *n, struct archive_entry *e)
{
        n->mode = archive_entry_mode(e);
        n->uid = (uid_t)archive_entry_uid(e);
        n->gid = (gid_t)archive_entry_gid(e);
        n->mtime = archive_entry_mtime(e);
}

/* A hard link: shares the content (and metadata) of its target, now or later. */
static int make_hardlink(struct squash *sq, struct node *n, const char *target,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *t = path_normalise(target);
        struct node *tn = t && *t ? node_lookup(sq, t) : NULL;

        if (!tn || !S_ISREG(tn->mode))
                return rk_error_set(reterr, EINVAL,
                                    "hard link to \"%s\", which is not a file "
                                    "of the image",
                                    target);
        if (!tn->inode)
                tn->inode = ++sq->next_inode;
        n->mode = tn->mode;
        n->uid = tn->uid;
        n->gid = tn->gid;
        n->mtime = tn->mtime;
        n->data_off = tn->data_off;
        n->size = tn->size;
        n->inode = tn->inode;
        return 0;
}

/* Fills the new node n from the entry e. */
static int node_fill(struct squash *sq, struct archive *a, struct archive_entry *e, struct node *n,
                     struct rk_error **reterr)
{
        const char *hl = archive_entry_hardlink(e);

        if (hl)
                return make_hardlink(sq, n, hl, reterr);
        node_set_meta(n, e);
        switch (n->mode & S_IFMT) {
        case S_IFREG:
                return spool_data(sq, a, e, n, reterr);
        case S_IFLNK:
                n->link = xstrdup(archive_entry_symlink(e) ?: "");
                return 0;
        case S_IFCHR:
        case S_IFBLK:
                n->rdev = archive_entry_rdev(e);
                return 0;
        case S_IFDIR:
        case S_IFIFO:
                return 0;
        default:
                return rk_error_set(reterr, EINVAL, "unsupported file type");
        }
}

/* One entry of the current layer at its normalised path. */
static int apply_entry(struct squash *sq, struct archive *a, struct archive_entry *e,
                       const char *path, struct rk_error **reterr)
{
        struct node *dir = NULL, *old, *n;
        const char *base = NULL;
        int r;

        if (!*path) /* the layer's "./": the rootfs keeps 0755 root:root */
                return 0;
        r = walk_parent(sq, path, &dir, &base, reterr);
        if (r < 0)
                return r;
        if (strncmp(base, ".wh.", 4) == 0) {
                if (strcmp(base, ".wh..wh..opq") == 0)
                        prune_lower(dir, sq->layer);
                else if (strncmp(base, ".wh..wh.", 8) != 0)
                        apply_whiteout(sq, dir, base + 4);
                return 0;
        }
        old = child_find(dir, base, strlen(base));
        if (old && S_ISDIR(old->mode) && AE_IFDIR == archive_entry_filetype(e) &&
            !archive_entry_hardlink(e)) {
                node_set_meta(old, e);
                old->layer = sq->layer;
                return 0;
        }
        n = node_new(base, strlen(base), 0, sq->layer);
        r = node_fill(sq, a, e, n, reterr);
        if (r < 0) {
                node_free(n);
                return r;
        }
        if (old)
                child_remove(dir, base);
        child_insert(dir, n);
        return 0;
}

static struct archive *layer_reader(int fd)
{
        struct archive *a = oom_check(archive_read_new());

        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        archive_read_support_format_empty(a);
        if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
                archive_read_free(a);
                return NULL;
        }
        return a;
}

int squash_apply_layer(struct squash *sq, int fd, const char *what, struct rk_error **reterr)
{
        _cleanup_(archive_read_freep) struct archive *a = layer_reader(fd);
        struct archive_entry *e;
        int r;

        if (!a)
                return rk_error_set(reterr, EINVAL, "layer %s: not a tar archive", what);
        sq->layer++;
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e) ?: "";
                _cleanup_free_ char *path = path_normalise(name);

                if (!path)
                        return rk_error_set(reterr, EINVAL, "layer %s: entry \"%s\": unsafe path",
                                            what, name);
                r = apply_entry(sq, a, e, path, reterr);
                if (r < 0)
                        return rk_error_prefix(reterr, "layer %s: entry \"%s\"", what, name);
        }
        if (r != ARCHIVE_EOF)
                return rk_error_set(reterr, EINVAL, "layer %s: %s", what,
                                    archive_error_string(a) ?: "invalid tar archive");
        return 0;
}

int squash_read_file(struct squash *sq, const char *path, size_t max, char **ret)
{
        struct node *n = node_lookup(sq, path);
        _cleanup_free_ char *buf = NULL;

        if (!n || !S_ISREG(n->mode))
                return -ENOENT;
        if (n->size > max)
                return -EFBIG;
        buf = oom_check(malloc(n->size + 1));
        if (pread(sq->spool_fd, buf, n->size, (off_t)n->data_off) != (ssize_t)n->size)
                return -EIO;
        buf[n->size] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Pops the last component of the "/"-joined path in b. */
static void path_pop(struct strbuf *b)
{
        char *slash = b->len ? strrchr(b->buf, '/') : NULL;

        b->len = slash ? (size_t)(slash - b->buf) : 0;
        if (b->buf)
                b->buf[b->len] = '\0';
}

/* Resolves path (absolute or relative to the directory in b) into b, following symlinks. */
static int resolve_into(struct squash *sq, const char *path, struct strbuf *b, int *hops)
{
        _cleanup_strv_free_ char **parts = strv_split(path, '/');

        if (path[0] == '/')
                strbuf_reset(b);
        STRV_FOREACH(p, parts) {
                struct node *n;

                if (!**p || strcmp(*p, ".") == 0)
                        continue;
                if (strcmp(*p, "..") == 0) {
                        path_pop(b);
                        continue;
                }
                strbuf_printf(b, "/%s", *p);
                n = node_lookup(sq, strbuf_str(b) + 1);
                if (!n)
                        return -ENOENT;
                if (!S_ISLNK(n->mode))
                        continue;
                if (++*hops > 40)
                        return -ELOOP;
                path_pop(b);
                if (resolve_into(sq, n->link, b, hops) < 0)
                        return -ENOENT;
        }
        return 0;
}

bool squash_is_file(struct squash *sq, const char *path)
{
        struct strbuf b = STRBUF_INIT;
        int hops = 0;
        bool ok = false;

        if (resolve_into(sq, path, &b, &hops) >= 0) {
                struct node *n = node_lookup(sq, b.len ? b.buf + 1 : "");
                ok = n && S_ISREG(n->mode);
        }
        strbuf_release(&b);
        return ok;
}

/* --- writing the ACI --- */

struct writer {
        struct squash *sq;
        struct archive *a;
        struct archive_entry *e;
        char **first_path; /* per inode group: the path written with the data */
        char *buf;
};

static int write_header(struct writer *w, struct rk_error **reterr)
{
        if (archive_write_header(w->a, w->e) != ARCHIVE_OK)
                return rk_error_set(reterr, EIO, "cannot write the image: %s",
                                    archive_error_string(w->a));
        return 0;
}

static int write_data(struct writer *w, const struct node *n, struct rk_error **reterr)
{
        uint64_t done = 0;

        while (done < n->size) {
                size_t chunk = (size_t)MIN((uint64_t)COPY_BLOCK, n->size - done);
                ssize_t k = pread(w->sq->spool_fd, w->buf, chunk, (off_t)(n->data_off + done));

                if (k <= 0)
                        return rk_error_set_errno(reterr, k < 0 ? errno : EIO,
                                                  "cannot read the layer data");
                if (archive_write_data(w->a, w->buf, (size_t)k) != k)
                        return rk_error_set(reterr, EIO, "cannot write the image: %s",
                                            archive_error_string(w->a));
                done += (uint64_t)k;
        }
        return 0;
}

/* Writes n at path; its children follow (the caller recurses). */
static int write_node(struct writer *w, const struct node *n, const char *path,
                      struct rk_error **reterr)
{
        bool link = false;

        archive_entry_clear(w->e);
        archive_entry_set_pathname(w->e, path);
        archive_entry_set_mode(w->e, n->mode);
        archive_entry_set_uid(w->e, n->uid);
        archive_entry_set_gid(w->e, n->gid);
        archive_entry_set_mtime(w->e, n->mtime, 0);
        if (S_ISLNK(n->mode))
                archive_entry_set_symlink(w->e, n->link);
        if (S_ISCHR(n->mode) || S_ISBLK(n->mode))
                archive_entry_set_rdev(w->e, n->rdev);
        if (S_ISREG(n->mode) && n->inode && w->first_path[n->inode]) {
                archive_entry_set_hardlink(w->e, w->first_path[n->inode]);
                link = true;
        } else if (S_ISREG(n->mode)) {
                archive_entry_set_size(w->e, (la_int64_t)n->size);
                if (n->inode)
                        w->first_path[n->inode] = xstrdup(path);
        }
        if (write_header(w, reterr) < 0)
                return -EIO;
        return S_ISREG(n->mode) && !link ? write_data(w, n, reterr) : 0;
}

static int write_tree(struct writer *w, const struct node *dir, struct strbuf *path,
                      struct rk_error **reterr)
{
        size_t len = path->len;
        int r;

        for (size_t i = 0; i < dir->n_children; i++) {
                const struct node *c = dir->children[i];

                strbuf_printf(path, "/%s", c->name);
                r = write_node(w, c, strbuf_str(path), reterr);
                if (r >= 0 && S_ISDIR(c->mode))
                        r = write_tree(w, c, path, reterr);
                if (r < 0)
                        return r;
                path->len = len;
                path->buf[len] = '\0';
        }
        return 0;
}

/* /dev/stdin, stdout, stderr and fd, as docker2aci adds them (DOCKER.md §1.4). */
static void add_dev_links(struct squash *sq)
{
        static const char *const links[][2] = {
                {"fd", "/proc/self/fd"},
                {"stderr", "/dev/console"},
                {"stdin", "/proc/self/fd/0"},
                {"stdout", "/dev/console"},
        };
        struct node *dev = child_find(&sq->root, "dev", 3);

        if (!dev) {
                dev = node_new("dev", 3, S_IFDIR | 0755, sq->layer);
                child_insert(&sq->root, dev);
        }
        if (!S_ISDIR(dev->mode))
                return;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                struct node *n;

                if (child_find(dev, links[i][0], strlen(links[i][0])))
                        continue;
                n = node_new(links[i][0], strlen(links[i][0]), S_IFLNK | 0777, sq->layer);
                n->link = xstrdup(links[i][1]);
                child_insert(dev, n);
        }
}

static int write_manifest(struct writer *w, const char *json, struct rk_error **reterr)
{
        size_t len = strlen(json);

        archive_entry_clear(w->e);
        archive_entry_set_pathname(w->e, "manifest");
        archive_entry_set_mode(w->e, S_IFREG | 0644);
        archive_entry_set_size(w->e, (la_int64_t)len);
        if (write_header(w, reterr) < 0)
                return -EIO;
        if (archive_write_data(w->a, json, len) != (la_ssize_t)len)
                return rk_error_set(reterr, EIO, "cannot write the image: %s",
                                    archive_error_string(w->a));
        return 0;
}

static int write_all(struct writer *w, const char *manifest_json, struct rk_error **reterr)
{
        struct strbuf path = STRBUF_INIT;
        int r;

        r = write_manifest(w, manifest_json, reterr);
        if (r >= 0) {
                strbuf_puts(&path, "rootfs");
                r = write_node(w, &w->sq->root, "rootfs", reterr);
        }
        if (r >= 0)
                r = write_tree(w, &w->sq->root, &path, reterr);
        strbuf_release(&path);
        if (r >= 0 && archive_write_close(w->a) != ARCHIVE_OK)
                r = rk_error_set(reterr, EIO, "cannot write the image: %s",
                                 archive_error_string(w->a));
        return r;
}

int squash_write_aci(struct squash *sq, const char *manifest_json, int out_fd,
                     struct rk_error **reterr)
{
        _cleanup_(archive_write_freep) struct archive *a = oom_check(archive_write_new());
        struct writer w = {
                .sq = sq,
                .a = a,
                .e = oom_check(archive_entry_new()),
                .buf = oom_check(malloc(COPY_BLOCK)),
        };
        int r;

        add_dev_links(sq);
        w.first_path = xnew0(char *, sq->next_inode + 1);
        archive_write_set_format_pax_restricted(a);
        if (archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
                r = rk_error_set(reterr, EIO, "cannot write the image: %s",
                                 archive_error_string(a));
        else
                r = write_all(&w, manifest_json, reterr);
        for (unsigned long i = 0; i <= sq->next_inode; i++)
                free(w.first_path[i]);
        free(w.first_path);
        free(w.buf);
        archive_entry_free(w.e);
        return r;
}
