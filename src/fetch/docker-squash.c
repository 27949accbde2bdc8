/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-memory layer squasher: a vtree of nodes, file data in a spool file. Nothing here
 * recurses: trees are walked with explicit stacks.
 */
#include "docker-squash.h"

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "aci.h"
#include "archive-util.h"
#include "chase.h"
#include "format-util.h"
#include "fs-util.h"
#include "path-util.h"
#include "store.h"
#include "strbuf.h"
#include "vtree.h"
#include "xattr-util.h"

#define COPY_BLOCK (1 << 20)

/* A stretch of a file's data, kept in the spool. */
struct segment {
        uint64_t off, len; /* in the file */
        uint64_t spool;    /* where it starts in the spool */
};

/* The content of a regular file, shared by its hard links. */
struct content {
        uint64_t size; /* apparent */
        struct segment *segs;
        size_t n_segs;
        bool sparse; /* written to the ACI as a sparse entry */
        unsigned refs;
};

struct node {
        struct vnode v; /* name, type and permissions, symlink target, children */
        uid_t uid;
        gid_t gid;
        int64_t mtime;
        dev_t rdev;
        struct content *content; /* regular files */
        struct xattrs xattrs;    /* the allowed ones */
        unsigned long inode;     /* hard-link group, 0 when alone */
        unsigned layer;          /* the layer that last wrote this node */
};

struct squash {
        struct node root;
        struct vtree tree;
        int spool_fd;
        uint64_t spool_end;
        uint64_t sparse_total, sparse_max;
        unsigned layer;
        unsigned long next_inode;
};

static struct node *node_of(struct vnode *v)
{
        return (struct node *)v;
}

static struct squash *squash_of(struct vtree *t)
{
        return (struct squash *)((char *)t - offsetof(struct squash, tree));
}

static void content_unref(struct content *c)
{
        if (!c || --c->refs > 0)
                return;
        free(c->segs);
        free(c);
}

static void node_free(struct vnode *v)
{
        struct node *n = node_of(v);

        content_unref(n->content);
        xattrs_done(&n->xattrs);
        free(n);
}

/* Frees a node that never went into the tree. */
static void node_discard(struct node *n)
{
        free(n->v.name);
        free(n->v.link);
        node_free(&n->v);
}

static struct node *node_new(const char *name, mode_t mode, unsigned layer)
{
        struct node *n = xnew0(struct node, 1);

        n->v.name = xstrdup(name);
        n->v.mode = mode;
        n->layer = layer;
        return n;
}

/* Directories made for the entries below them belong to the layer that needed them. */
static struct vnode *new_dir(struct vtree *t, const char *name)
{
        return &node_new(name, S_IFDIR | 0755, squash_of(t)->layer)->v;
}

struct squash *squash_new(int spool_fd)
{
        struct squash *sq = xnew0(struct squash, 1);

        sq->root.v.mode = S_IFDIR | 0755;
        vtree_init(&sq->tree, &sq->root.v, new_dir, node_free);
        sq->spool_fd = spool_fd;
        return sq;
}

struct squash *squash_free(struct squash *sq)
{
        if (!sq)
                return NULL;
        vtree_done(&sq->tree);
        free(sq);
        return NULL;
}

static struct node *child(struct squash *sq, struct vnode *dir, const char *name)
{
        struct vnode *c = vtree_child(&sq->tree, dir, name);

        return c ? node_of(c) : NULL;
}

/* --- whiteouts --- */

/*
 * Removes what layers below the current one put below dir (an opaque directory, or one
 * whited out): first every directory below it is listed (parents before children), then
 * they are pruned in reverse, so a lower-layer directory goes once it is empty.
 */
static void prune_lower(struct squash *sq, struct vnode *dir)
{
        struct vnode **dirs = xnew0(struct vnode *, 16);
        size_t n = 1, cap = 16;

        dirs[0] = dir;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < dirs[i]->n_children; k++) {
                        if (!S_ISDIR(dirs[i]->children[k]->mode))
                                continue;
                        if (n == cap) {
                                cap *= 2;
                                dirs = oom_check(reallocarray(dirs, cap, sizeof(*dirs)));
                        }
                        dirs[n++] = dirs[i]->children[k];
                }
        for (size_t i = n; i-- > 0;) {
                struct vnode *d = dirs[i];

                for (size_t k = d->n_children; k-- > 0;) {
                        struct vnode *c = d->children[k];

                        if (node_of(c)->layer < sq->layer &&
                            (!S_ISDIR(c->mode) || c->n_children == 0))
                                vtree_remove(&sq->tree, c);
                }
        }
        free(dirs);
}

/* ".wh.NAME" in dir: NAME of lower layers goes (a directory with what lower layers put in
 * it; what this layer wrote there stays). */
static void apply_whiteout(struct squash *sq, struct vnode *dir, const char *name)
{
        struct node *c = child(sq, dir, name);

        if (!c)
                return;
        if (S_ISDIR(c->v.mode))
                prune_lower(sq, &c->v);
        if (c->layer < sq->layer && (!S_ISDIR(c->v.mode) || c->v.n_children == 0))
                vtree_remove(&sq->tree, &c->v);
}

/* A whiteout entry at path (its last component starts with ".wh."). */
static int whiteout(struct squash *sq, const char *path, const char *base, struct rk_error **reterr)
{
        const char *name = base + 4;
        struct chase_result cr = {0};
        int r;

        if (strncmp(base, ".wh..wh.", 8) == 0 && strcmp(base, ".wh..wh..opq") != 0)
                return 0; /* aufs' own bookkeeping (.wh..wh.plnk, ...) */
        if (strcmp(base, ".wh..wh..opq") != 0 &&
            (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
                return rk_error_set(reterr, EINVAL, "invalid whiteout \"%s\"", base);
        /* the directory it applies to, its symlinks resolved as any path's */
        r = vtree_chase(&sq->tree, path, CHASE_MKDIR, &cr);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0; /* nothing below there to white out */
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot resolve the path");
        if (strcmp(base, ".wh..wh..opq") == 0)
                prune_lower(sq, (struct vnode *)cr.dir);
        else
                apply_whiteout(sq, (struct vnode *)cr.dir, name);
        chase_result_done(&vtree_chase_ops, &sq->tree, &cr);
        return 0;
}

/* --- entries --- */

/* Appends the data of a regular entry to the spool: its segments (holes of a sparse entry
 * are not stored), counted against the limits. */
static int spool_data(struct squash *sq, struct archive *a, struct archive_entry *e,
                      struct content *c, struct rk_error **reterr)
{
        la_int64_t size = archive_entry_size(e), off;
        const void *buf;
        size_t len;
        int r;

        if (size < 0)
                return rk_error_set(reterr, EINVAL, "negative file size");
        c->size = (uint64_t)size;
        c->sparse = archive_entry_sparse_count(e) > 0;
        if (c->sparse) {
                sq->sparse_total += c->size;
                if (sq->sparse_total > sq->sparse_max) {
                        _cleanup_free_ char *max = format_size_iec(sq->sparse_max);
                        return rk_error_set(reterr, EFBIG,
                                            "the image's sparse files are larger than %s in all "
                                            "(the limit is set by RKT_MAX_SPARSE_SIZE)",
                                            max);
                }
        }
        while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
                struct segment *last = c->n_segs ? &c->segs[c->n_segs - 1] : NULL;

                if (len == 0)
                        continue;
                if (off < 0 || (uint64_t)off + len > c->size ||
                    (last && (uint64_t)off < last->off + last->len))
                        return rk_error_set(reterr, EINVAL, "file data beyond its size");
                if (sq->spool_end + len > SQUASH_MAX_BYTES)
                        return rk_error_set(reterr, EFBIG, "image larger than %llu bytes",
                                            (unsigned long long)SQUASH_MAX_BYTES);
                r = pwrite_full(sq->spool_fd, buf, len, (off_t)sq->spool_end);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot write the layer data");
                if (last && last->off + last->len == (uint64_t)off &&
                    last->spool + last->len == sq->spool_end)
                        last->len += len;
                else {
                        c->segs = oom_check(reallocarray(c->segs, c->n_segs + 1, sizeof(*c->segs)));
                        c->segs[c->n_segs++] = (struct segment){(uint64_t)off, len, sq->spool_end};
                }
                sq->spool_end += len;
        }
        if (r != ARCHIVE_EOF)
                return rk_error_set(reterr, EIO, "%s", archive_error_string(a));
        return 0;
}

static void node_set_meta(struct node *n, struct archive_entry *e)
{
        const char *name;
        const void *value;
        size_t size;

        n->v.mode = archive_entry_mode(e);
        n->uid = (uid_t)archive_entry_uid(e);
        n->gid = (gid_t)archive_entry_gid(e);
        n->mtime = archive_entry_mtime(e);
        xattrs_done(&n->xattrs);
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
                if (xattr_image_allowed(name, value, size))
                        xattrs_add(&n->xattrs, name, value, size);
}

/* A hard link: shares the content (and metadata) of its target, now or later. The target
 * is a path in the rootfs (absolute or not), resolved like any. */
static int make_hardlink(struct squash *sq, struct node *n, const char *target,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *t = NULL;
        struct chase_result cr = {0};
        struct node *tn = NULL;

        if (path_name_normalise(target, PATH_NAME_ABSOLUTE, &t) >= 0 && *t &&
            vtree_chase(&sq->tree, t, 0, &cr) >= 0) {
                tn = child(sq, (struct vnode *)cr.dir, cr.base);
                chase_result_done(&vtree_chase_ops, &sq->tree, &cr);
        }
        if (!tn || !S_ISREG(tn->v.mode))
                return rk_error_set(reterr, EINVAL,
                                    "hard link to \"%s\", which is not a file of the image",
                                    target);
        if (!tn->inode)
                tn->inode = ++sq->next_inode;
        n->v.mode = tn->v.mode;
        n->uid = tn->uid;
        n->gid = tn->gid;
        n->mtime = tn->mtime;
        n->content = tn->content;
        n->content->refs++;
        n->inode = tn->inode;
        for (size_t i = 0; i < tn->xattrs.n; i++)
                xattrs_add(&n->xattrs, tn->xattrs.v[i].name, tn->xattrs.v[i].value,
                           tn->xattrs.v[i].size);
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
        switch (n->v.mode & S_IFMT) {
        case S_IFREG:
                n->content = xnew0(struct content, 1);
                n->content->refs = 1;
                return spool_data(sq, a, e, n->content, reterr);
        case S_IFLNK:
                n->v.link = xstrdup(archive_entry_symlink(e) ?: "");
                if (!n->v.link[0])
                        return rk_error_set(reterr, EINVAL, "symbolic link with an empty target");
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

static int resolve_error(int r, struct rk_error **reterr)
{
        const char *why = chase_strerror(r);

        if (why)
                return rk_error_set(reterr, EINVAL, "%s", why);
        return rk_error_set_errno(reterr, -r, "cannot resolve the path");
}

/* One entry of the current layer at its normalised path, resolved in the rootfs. */
static int apply_entry(struct squash *sq, struct archive *a, struct archive_entry *e,
                       const char *path, struct rk_error **reterr)
{
        const char *why = path_limits_error(path), *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        struct chase_result cr = {0};
        struct node *old, *n;
        int r;

        if (!*path) /* the layer's "./": the rootfs keeps 0755 root:root */
                return 0;
        if (why)
                return rk_error_set(reterr, ENAMETOOLONG, "the path %s", why);
        if (strncmp(base, ".wh.", 4) == 0)
                return whiteout(sq, path, base, reterr);
        r = vtree_chase(&sq->tree, path, CHASE_MKDIR, &cr);
        if (r < 0)
                return resolve_error(r, reterr);
        old = child(sq, (struct vnode *)cr.dir, cr.base);
        if (old && S_ISDIR(old->v.mode) && AE_IFDIR == archive_entry_filetype(e) &&
            !archive_entry_hardlink(e)) {
                node_set_meta(old, e);
                old->layer = sq->layer;
        } else {
                n = node_new(cr.base, 0, sq->layer);
                r = node_fill(sq, a, e, n, reterr);
                if (r < 0)
                        node_discard(n);
                else {
                        if (old)
                                vtree_remove(&sq->tree, &old->v);
                        vtree_add(&sq->tree, (struct vnode *)cr.dir, &n->v);
                }
        }
        chase_result_done(&vtree_chase_ops, &sq->tree, &cr);
        return r;
}

int squash_support_filters(struct archive *a)
{
        /* each answers ARCHIVE_WARN when it would run the program instead of a library */
        if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
            archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
            archive_read_support_filter_xz(a) != ARCHIVE_OK ||
            archive_read_support_filter_bzip2(a) != ARCHIVE_OK)
                return -ENOTSUP;
        return 0;
}

static struct archive *layer_reader(int fd)
{
        struct archive *a = oom_check(archive_read_new());

        if (squash_support_filters(a) < 0) {
                archive_read_free(a);
                return NULL;
        }
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
        if (sq->layer == 0 && (r = store_sparse_max(&sq->sparse_max, reterr)) < 0)
                return r;
        sq->layer++;
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
                const char *pathname = archive_entry_pathname(e) ?: "";
                _cleanup_free_ char *path = NULL, *name = path_abbrev(pathname);

                if (path_name_normalise(pathname, 0, &path) < 0)
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
        struct chase_result cr = {0};
        _cleanup_free_ char *buf = NULL;
        struct node *n = NULL;

        if (vtree_chase(&sq->tree, path, CHASE_NOLINKS, &cr) >= 0) {
                n = child(sq, (struct vnode *)cr.dir, cr.base);
                chase_result_done(&vtree_chase_ops, &sq->tree, &cr);
        }
        if (!n || !S_ISREG(n->v.mode))
                return -ENOENT;
        if (n->content->size > max)
                return -EFBIG;
        buf = xnew0(char, n->content->size + 1);
        for (size_t i = 0; i < n->content->n_segs; i++) {
                const struct segment *s = &n->content->segs[i];

                if (pread(sq->spool_fd, buf + s->off, s->len, (off_t)s->spool) != (ssize_t)s->len)
                        return -EIO;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

bool squash_is_file(struct squash *sq, const char *path)
{
        _cleanup_free_ char *rel = NULL;
        struct chase_result cr = {0};
        struct node *n = NULL;

        if (path_name_normalise(path, PATH_NAME_ABSOLUTE, &rel) < 0 || !*rel ||
            vtree_chase(&sq->tree, rel, CHASE_FOLLOW, &cr) < 0)
                return false;
        n = child(sq, (struct vnode *)cr.dir, cr.base);
        chase_result_done(&vtree_chase_ops, &sq->tree, &cr);
        return n && S_ISREG(n->v.mode);
}

/* --- writing the ACI --- */

struct writer {
        struct squash *sq;
        struct aci_writer aw;
        char **first_path; /* per inode group: the path written with the data */
        char *buf;
};

/* The whole content in order: segments from the spool, zeros between them. */
static int write_data(struct writer *w, const struct content *c, struct rk_error **reterr)
{
        uint64_t pos = 0;
        int r;

        for (size_t i = 0; i < c->n_segs; i++) {
                const struct segment *s = &c->segs[i];

                r = aci_writer_zeros(&w->aw, s->off - pos, reterr);
                for (uint64_t done = 0; r >= 0 && done < s->len;) {
                        size_t chunk = (size_t)MIN((uint64_t)COPY_BLOCK, s->len - done);
                        ssize_t k = pread(w->sq->spool_fd, w->buf, chunk, (off_t)(s->spool + done));

                        if (k <= 0)
                                return rk_error_set_errno(reterr, k < 0 ? errno : EIO,
                                                          "cannot read the layer data");
                        r = aci_writer_data(&w->aw, w->buf, (size_t)k, reterr);
                        if (r < 0)
                                return r;
                        done += (uint64_t)k;
                }
                if (r < 0)
                        return r;
                pos = s->off + s->len;
        }
        return aci_writer_zeros(&w->aw, c->size - pos, reterr);
}

/* Writes n at path. */
static int write_node(struct writer *w, const struct node *n, const char *path,
                      struct rk_error **reterr)
{
        const struct content *c = n->content;
        bool link = false;
        int r;

        archive_entry_clear(w->aw.e);
        archive_entry_set_pathname(w->aw.e, path);
        archive_entry_set_mode(w->aw.e, n->v.mode);
        archive_entry_set_uid(w->aw.e, n->uid);
        archive_entry_set_gid(w->aw.e, n->gid);
        archive_entry_set_mtime(w->aw.e, n->mtime, 0);
        for (size_t i = 0; i < n->xattrs.n; i++)
                archive_entry_xattr_add_entry(w->aw.e, n->xattrs.v[i].name, n->xattrs.v[i].value,
                                              n->xattrs.v[i].size);
        if (S_ISLNK(n->v.mode))
                archive_entry_set_symlink(w->aw.e, n->v.link);
        if (S_ISCHR(n->v.mode) || S_ISBLK(n->v.mode))
                archive_entry_set_rdev(w->aw.e, n->rdev);
        if (S_ISREG(n->v.mode) && n->inode && w->first_path[n->inode]) {
                archive_entry_set_hardlink(w->aw.e, w->first_path[n->inode]);
                link = true;
        } else if (S_ISREG(n->v.mode)) {
                archive_entry_set_size(w->aw.e, (la_int64_t)c->size);
                for (size_t i = 0; c->sparse && i < c->n_segs; i++)
                        archive_entry_sparse_add_entry(w->aw.e, (la_int64_t)c->segs[i].off,
                                                       (la_int64_t)c->segs[i].len);
                if (c->sparse && c->n_segs == 0)
                        archive_entry_sparse_add_entry(w->aw.e, (la_int64_t)c->size, 0);
                if (n->inode)
                        w->first_path[n->inode] = xstrdup(path);
        }
        r = aci_writer_header(&w->aw, NULL, reterr);
        if (r < 0)
                return r;
        return S_ISREG(n->v.mode) && !link ? write_data(w, c, reterr) : 0;
}

/* A directory being written: its children in name order. */
struct write_frame {
        struct vnode **children;
        size_t n, next;
        size_t path_len;
};

/* Writes everything below the root, directories before their contents, depth first with
 * an explicit stack. */
static int write_tree(struct writer *w, struct strbuf *path, struct rk_error **reterr)
{
        struct write_frame *stack = xnew0(struct write_frame, 1);
        size_t depth = 1;
        int r = 0;

        stack[0] = (struct write_frame){vtree_sorted_children(&w->sq->root.v),
                                        w->sq->root.v.n_children, 0, path->len};
        while (depth > 0 && r >= 0) {
                struct write_frame *f = &stack[depth - 1];
                struct vnode *c;

                path->len = f->path_len;
                path->buf[path->len] = '\0';
                if (f->next == f->n) {
                        free(f->children);
                        depth--;
                        continue;
                }
                c = f->children[f->next++];
                strbuf_printf(path, "/%s", c->name);
                r = write_node(w, node_of(c), strbuf_str(path), reterr);
                if (r < 0 || !S_ISDIR(c->mode))
                        continue;
                stack = oom_check(reallocarray(stack, depth + 1, sizeof(*stack)));
                stack[depth++] =
                        (struct write_frame){vtree_sorted_children(c), c->n_children, 0, path->len};
        }
        while (depth > 0)
                free(stack[--depth].children);
        free(stack);
        return r;
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
        struct node *dev = child(sq, &sq->root.v, "dev");

        if (!dev) {
                dev = node_new("dev", S_IFDIR | 0755, sq->layer);
                vtree_add(&sq->tree, &sq->root.v, &dev->v);
        }
        if (!S_ISDIR(dev->v.mode))
                return;
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                struct node *n;

                if (child(sq, &dev->v, links[i][0]))
                        continue;
                n = node_new(links[i][0], S_IFLNK | 0777, sq->layer);
                n->v.link = xstrdup(links[i][1]);
                vtree_add(&sq->tree, &dev->v, &n->v);
        }
}

static int write_all(struct writer *w, const char *manifest_json, struct rk_error **reterr)
{
        struct strbuf path = STRBUF_INIT;
        int r;

        r = aci_writer_manifest(&w->aw, manifest_json, strlen(manifest_json), reterr);
        if (r >= 0) {
                strbuf_puts(&path, "rootfs");
                r = write_node(w, &w->sq->root, "rootfs", reterr);
        }
        if (r >= 0)
                r = write_tree(w, &path, reterr);
        strbuf_release(&path);
        if (r >= 0)
                r = aci_writer_close(&w->aw, reterr);
        return r;
}

int squash_write_aci(struct squash *sq, const char *manifest_json, int out_fd,
                     struct rk_error **reterr)
{
        struct writer w = {
                .sq = sq,
                .buf = oom_check(malloc(COPY_BLOCK)),
        };
        int r;

        add_dev_links(sq);
        w.first_path = xnew0(char *, sq->next_inode + 1);
        r = aci_writer_open(&w.aw, out_fd, false, reterr);
        if (r >= 0)
                r = write_all(&w, manifest_json, reterr);
        for (unsigned long i = 0; i <= sq->next_inode; i++)
                free(w.first_path[i]);
        free(w.first_path);
        free(w.buf);
        aci_writer_done(&w.aw);
        return r;
}
