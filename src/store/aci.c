/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACI archives: sniffing, decompress-and-hash into the blob, and the validating walk.
 * Runs in: stage0. Follows the image's symlinks only inside the rootfs and only one
 * directory descriptor at a time (O_NOFOLLOW), never creates device nodes, never opens
 * anything but regular files and directories of its own making.
 */
#include "aci.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "archive-util.h"
#include "chase.h"
#include "format-util.h"
#include "fs-util.h"
#include "log.h"
#include "path-util.h"
#include "store-private.h"
#include "strbuf.h"
#include "vtree.h"
#include "xattr-util.h"

#define MANIFEST_MAX (1 << 20)
#define READ_BLOCK   (1 << 20)

int aci_sniff(int fd, enum aci_compression *ret, struct rk_error **reterr)
{
        unsigned char b[512];
        ssize_t n = pread(fd, b, sizeof(b), 0);

        if (n < 0)
                return rk_error_set_errno(reterr, errno, "cannot read image");
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                *ret = ACI_GZIP;
        else if (n >= 3 && memcmp(b, "BZh", 3) == 0)
                *ret = ACI_BZIP2;
        else if (n >= 6 && memcmp(b,
                                  "\xfd"
                                  "7zXZ\0",
                                  6) == 0)
                *ret = ACI_XZ;
        else if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
                *ret = ACI_ZSTD;
        else if (n >= 262 && memcmp(b + 257, "ustar", 5) == 0)
                *ret = ACI_PLAIN;
        else
                return rk_error_set(reterr, EINVAL, "error: unknown image filetype");
        return 0;
}

/* Maps a libarchive failure to an errno, keeping real I/O errors such as ENOSPC. */
static int archive_errnum(struct archive *a)
{
        int e = archive_errno(a);

        return e > 0 && e < 4096 && e != EILSEQ ? e : EINVAL;
}

static int archive_fail(struct archive *a, struct rk_error **reterr, const char *fmt, ...)
        _printf_(3, 4);

/* Sets reterr to "<what>: <libarchive's message>", or "<what>: <strerror>" for I/O errors. */
static int archive_fail(struct archive *a, struct rk_error **reterr, const char *fmt, ...)
{
        const char *msg = archive_error_string(a);
        int e = archive_errnum(a);
        _cleanup_free_ char *what = FORMAT_VARARGS(fmt);

        if (e == ENOSPC || e == EDQUOT || !msg)
                return rk_error_set_errno(reterr, e, "%s", what);
        return rk_error_set(reterr, e, "%s: %s", what, msg);
}

struct stream {
        aci_read_fn fn;
        void *userdata;
        int error; /* the reader's failure (positive errno), which libarchive may overwrite */
};

static la_ssize_t stream_read(struct archive *a, void *userdata, const void **buf)
{
        struct stream *st = userdata;
        ssize_t n = st->fn(st->userdata, buf);

        if (n < 0) {
                st->error = (int)-n;
                archive_set_error(a, (int)-n, "%s", strerror((int)-n));
                return ARCHIVE_FATAL;
        }
        return n;
}

static const char *const compression_names[] = {
        [ACI_PLAIN] = "tar", [ACI_GZIP] = "gzip", [ACI_BZIP2] = "bzip2",
        [ACI_XZ] = "xz",     [ACI_ZSTD] = "zstd",
};

static const int compression_filters[] = {
        [ACI_PLAIN] = ARCHIVE_FILTER_NONE,  [ACI_GZIP] = ARCHIVE_FILTER_GZIP,
        [ACI_BZIP2] = ARCHIVE_FILTER_BZIP2, [ACI_XZ] = ARCHIVE_FILTER_XZ,
        [ACI_ZSTD] = ARCHIVE_FILTER_ZSTD,
};

/*
 * Opens a reader on fd, or on stream when fd < 0: with a compression, a raw reader through
 * exactly that one decompressor (never a chain, never an external program); else a tar
 * reader.
 */
static int open_reader(int fd, struct stream *stream, const enum aci_compression *c,
                       struct archive **ret, struct rk_error **reterr)
{
        struct archive *a = archive_read_new();
        int r = ARCHIVE_OK;

        if (!a)
                return rk_error_set(reterr, ENOMEM, "out of memory");
        if (c) {
                archive_read_support_format_raw(a);
                if (compression_filters[*c] != ARCHIVE_FILTER_NONE)
                        r = archive_read_append_filter(a, compression_filters[*c]);
        } else
                archive_read_support_format_tar(a);
        if (r == ARCHIVE_OK && fd >= 0)
                r = archive_read_open_fd(a, fd, READ_BLOCK);
        else if (r == ARCHIVE_OK)
                r = archive_read_open(a, stream, NULL, stream_read, NULL);
        if (r != ARCHIVE_OK) {
                /* opening reads the first block: a bad compressed stream fails here */
                r = c ? archive_fail(a, reterr,
                                     "cannot decompress image: corrupt or truncated "
                                     "%s data",
                                     compression_names[*c])
                      : archive_fail(a, reterr, "cannot read image");
                archive_read_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* aci_decompress() of fd, or of stream when fd < 0. */
static int decompress(int fd, struct stream *stream, enum aci_compression c, int outfd,
                      aci_progress_fn progress, void *userdata, char **ret_key, uint64_t *ret_size,
                      struct rk_error **reterr)
{
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        struct archive_entry *e;
        unsigned char digest[EVP_MAX_MD_SIZE];
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        struct stat st;
        uint64_t total = 0, in_size, synced = 0;
        int r;

        r = open_reader(fd, stream, &c, &a, reterr);
        if (r < 0)
                return r;
        if (!md || !EVP_DigestInit_ex(md, EVP_sha512(), NULL))
                return rk_error_set(reterr, ENOMEM, "cannot initialise SHA-512");
        if (archive_read_next_header(a, &e) != ARCHIVE_OK)
                /* the forced decompressor failed on the first block */
                return archive_fail(a, reterr,
                                    "cannot decompress image: corrupt or truncated %s "
                                    "data",
                                    compression_names[c]);
        in_size = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;

                r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK)
                        return archive_fail(a, reterr,
                                            "cannot decompress image: corrupt or truncated %s data",
                                            compression_names[c]);
                EVP_DigestUpdate(md, buf, len);
                r = outfd >= 0 ? write_full(outfd, buf, len) : 0;
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot write image to the store");
                total += len;
                if (outfd >= 0) /* the blob is synced */
                        writeback_start(outfd, &synced, total, WRITEBACK_STEP);
                r = progress ? progress((uint64_t)archive_filter_bytes(a, -1), in_size, total,
                                        userdata)
                             : 0;
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "import stopped");
        }
        if (total == 0)
                return rk_error_set(reterr, EINVAL, "image is empty");
        EVP_DigestFinal_ex(md, digest, NULL);
        hex_encode(digest, STORE_KEY_HEX / 2, hex);
        *ret_key = xasprintf(STORE_KEY_PREFIX "%s", hex);
        *ret_size = total;
        return 0;
}

int aci_decompress(int fd, enum aci_compression c, int outfd, aci_progress_fn progress,
                   void *userdata, char **ret_key, uint64_t *ret_size, struct rk_error **reterr)
{
        return decompress(fd, NULL, c, outfd, progress, userdata, ret_key, ret_size, reterr);
}

int aci_decompress_stream(aci_read_fn fn, void *fn_data, enum aci_compression c, int outfd,
                          aci_progress_fn progress, void *userdata, char **ret_key,
                          uint64_t *ret_size, struct rk_error **reterr)
{
        struct stream st = {fn, fn_data, 0};

        return decompress(-EBADF, &st, c, outfd, progress, userdata, ret_key, ret_size, reterr);
}

/* --- the model: the image's own tree, every entry checked against it --- */

enum {
        NODE_IMPLICIT = 1 << 0, /* a directory made for entries below it, not an entry */
};

struct model_node {
        struct vnode v;
        unsigned flags;
};

static struct vnode *model_new_dir(struct vtree *t, const char *name)
{
        struct model_node *n = xnew0(struct model_node, 1);

        n->v.name = xstrdup(name);
        n->v.mode = S_IFDIR | 0755;
        n->flags = NODE_IMPLICIT;
        return &n->v;
}

static void model_free_node(struct vnode *v)
{
        free(v);
}

/* A directory to restore once its entries are written (they change its times). */
struct dir_fixup {
        char *path; /* canonical, below the rootfs */
        mode_t mode;
        struct timespec times[2];
};

/* Per-walk state. */
struct walk_state {
        struct model_node root; /* rootfs */
        struct vtree model;
        bool rootfs_seen;
        struct hashset others; /* entries outside rootfs/ */
        struct hashset mine;   /* "rootfs/<canonical path>" this walk extracted */
        uint64_t sparse_total, sparse_max;
        int rootfs_fd; /* extract_fd/rootfs when extracting it */
        struct dir_fixup *fixups;
        size_t n_fixups;
};

/* An entry's rootfs path as rkt checks it: model and disk resolution agree on it. */
struct entry {
        struct archive_entry *e;
        const char *raw;  /* as in the archive, for messages */
        const char *name; /* normalised: "rootfs/..." */
        const char *rel;  /* below the rootfs: "" for the rootfs itself */
        unsigned type;    /* AE_IF*; a hard link's is its target's */
        char *target;     /* hard links: the target below the rootfs */
};

static int resolve_error(int r, const char *raw, struct rk_error **reterr)
{
        const char *why = chase_strerror(r);

        if (why)
                return rk_error_set(reterr, EINVAL, "invalid image: entry \"%s\" %s", raw, why);
        return rk_error_set_errno(reterr, -r, "invalid image: entry \"%s\"", raw);
}

static char *join_path(const char *dir, const char *base)
{
        return *dir ? xasprintf("%s/%s", dir, base) : xstrdup(base);
}

/* The target of a hard link below the rootfs: a member name "rootfs/...", or an absolute
 * path in the rootfs. NULL when it is neither. */
static char *hardlink_target(const char *link)
{
        _cleanup_free_ char *t = NULL;

        if (path_name_normalise(link, PATH_NAME_ABSOLUTE, &t) < 0)
                return NULL;
        if (link[0] == '/')
                return TAKE_PTR(t);
        if (strncmp(t, "rootfs/", 7) != 0)
                return NULL;
        return xstrdup(t + 7);
}

/* Checks a hard link against the model: its target must be an earlier non-directory of the
 * image. Sets ent->target and ent->type. */
static int model_hardlink(struct walk_state *ws, struct entry *ent, const char *link,
                          struct rk_error **reterr)
{
        struct chase_result cr = {0};
        struct vnode *t = NULL;

        ent->target = hardlink_target(link);
        if (!ent->target || !ent->target[0])
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: hard link \"%s\" points outside the rootfs "
                                    "(\"%s\")",
                                    ent->raw, link);
        if (vtree_chase(&ws->model, ent->target, 0, &cr) >= 0) {
                t = vtree_child(&ws->model, (struct vnode *)cr.dir, cr.base);
                free(ent->target);
                ent->target = join_path(cr.path, cr.base);
                chase_result_done(&vtree_chase_ops, &ws->model, &cr);
        }
        if (!t || S_ISDIR(t->mode))
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: hard link \"%s\" points to \"%s\", which is "
                                    "not an earlier file of the image",
                                    ent->raw, link);
        ent->type = t->mode & S_IFMT;
        return 0;
}

/* Counts a sparse file against the limit of the image. */
static int count_sparse(struct walk_state *ws, const struct entry *ent, struct rk_error **reterr)
{
        la_int64_t size = archive_entry_size(ent->e);
        _cleanup_free_ char *max = NULL;

        if (ent->type != AE_IFREG || archive_entry_sparse_count(ent->e) == 0 || size <= 0)
                return 0;
        ws->sparse_total += (uint64_t)size;
        if (ws->sparse_total <= ws->sparse_max)
                return 0;
        max = format_size_iec(ws->sparse_max);
        return rk_error_set(reterr, EFBIG,
                            "invalid image: with \"%s\" its sparse files are larger than %s in "
                            "all (the limit is set by RKT_MAX_SPARSE_SIZE)",
                            ent->raw, max);
}

/* The rootfs entry itself. */
static int model_rootfs(struct walk_state *ws, const struct entry *ent, struct rk_error **reterr)
{
        if (archive_entry_hardlink(ent->e) || archive_entry_filetype(ent->e) != AE_IFDIR)
                return rk_error_set(reterr, EINVAL, "invalid image: rootfs is not a directory");
        if (ws->rootfs_seen)
                return rk_error_set(reterr, EINVAL, "invalid image: duplicate entry \"%s\"",
                                    ent->raw);
        ws->rootfs_seen = true;
        return 0;
}

/* Validates a rootfs entry against the image's own tree and adds it there. */
static int model_add(struct walk_state *ws, struct entry *ent, struct rk_error **reterr)
{
        const char *link = archive_entry_hardlink(ent->e);
        const char *symlink = archive_entry_symlink(ent->e);
        const char *why = path_limits_error(ent->rel);
        struct chase_result cr = {0};
        struct model_node *n;
        struct vnode *old;
        int r;

        if (!ent->rel[0])
                return model_rootfs(ws, ent, reterr);
        if (why)
                return rk_error_set(reterr, ENAMETOOLONG, "invalid image: entry \"%s\" %s",
                                    ent->raw, why);
        if (ent->type == AE_IFLNK && !link && (!symlink || !symlink[0]))
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: symbolic link \"%s\" has an empty target",
                                    ent->raw);
        r = link ? model_hardlink(ws, ent, link, reterr) : count_sparse(ws, ent, reterr);
        if (r < 0)
                return r;
        r = vtree_chase(&ws->model, ent->rel, CHASE_MKDIR, &cr);
        if (r < 0)
                return resolve_error(r, ent->raw, reterr);
        old = vtree_child(&ws->model, (struct vnode *)cr.dir, cr.base);
        if (old && !(((struct model_node *)old)->flags & NODE_IMPLICIT && ent->type == AE_IFDIR &&
                     !link)) {
                chase_result_done(&vtree_chase_ops, &ws->model, &cr);
                return rk_error_set(reterr, EINVAL, "invalid image: duplicate entry \"%s\"",
                                    ent->raw);
        }
        if (old)
                ((struct model_node *)old)->flags &= ~(unsigned)NODE_IMPLICIT;
        else {
                n = xnew0(struct model_node, 1);
                n->v.name = xstrdup(cr.base);
                n->v.mode = ent->type | (archive_entry_perm(ent->e) & 07777);
                if (ent->type == AE_IFLNK) {
                        struct vnode *t = NULL;
                        if (link) {
                                struct chase_result tr = {0};
                                if (vtree_chase(&ws->model, ent->target, 0, &tr) >= 0)
                                        t = vtree_child(&ws->model, (struct vnode *)tr.dir,
                                                        tr.base);
                                chase_result_done(&vtree_chase_ops, &ws->model, &tr);
                        }
                        n->v.link = xstrdup(t ? t->link : symlink);
                }
                vtree_add(&ws->model, (struct vnode *)cr.dir, &n->v);
        }
        chase_result_done(&vtree_chase_ops, &ws->model, &cr);
        return 0;
}

/* Entries outside rootfs/ (other than the manifest) are checked, never written. */
static int check_other(struct walk_state *ws, const struct entry *ent, struct rk_error **reterr)
{
        const char *link = archive_entry_hardlink(ent->e);
        _cleanup_free_ char *t = NULL;

        if (link && path_name_normalise(link, 0, &t) < 0)
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: hard link \"%s\" has an absolute target or "
                                    "\"..\" (\"%s\")",
                                    ent->raw, link);
        if (hashset_put(&ws->others, ent->name, 0) == 0)
                return rk_error_set(reterr, EINVAL, "invalid image: duplicate entry \"%s\"",
                                    ent->raw);
        return 0;
}

static int read_manifest(struct archive *a, struct archive_entry *e, struct aci_walk *w,
                         struct rk_error **reterr)
{
        struct strbuf sb = STRBUF_INIT;
        const void *buf;
        size_t len;
        la_int64_t off;
        int r;

        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e))
                return rk_error_set(reterr, EINVAL, "invalid image: manifest is not a file");
        if (archive_entry_size(e) > MANIFEST_MAX)
                return rk_error_set(reterr, EFBIG,
                                    "invalid image: manifest is larger than "
                                    "%d bytes",
                                    MANIFEST_MAX);
        while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
                strbuf_add(&sb, buf, len);
        if (r != ARCHIVE_EOF) {
                strbuf_release(&sb);
                return archive_fail(a, reterr, "invalid image: cannot read manifest");
        }
        free(w->manifest);
        w->manifest_len = sb.len;
        w->manifest = strbuf_detach(&sb);
        return 0;
}

/* --- extraction: every step relative to the directory descriptor before it --- */

/* Whether the walk writes this rootfs entry. */
static bool entry_wanted(const struct aci_walk *w, const struct entry *ent)
{
        if (w->extract_fd < 0 || !w->extract_rootfs)
                return false;
        if (ent->type == AE_IFCHR || ent->type == AE_IFBLK || ent->type == AE_IFSOCK) {
                log_debug("not creating device node or socket %s", ent->name);
                return false;
        }
        if (w->whitelist && w->whitelist->n > 0 && ent->rel[0] &&
            !hashset_get(w->whitelist, ent->name, NULL))
                return false;
        return true;
}

/* Writes the entry's data at its offsets (holes of a sparse entry stay holes), digesting
 * it into digest when non-NULL. */
static int write_data(struct archive *a, int fd, const struct entry *ent, unsigned char *digest,
                      struct rk_error **reterr)
{
        la_int64_t size = archive_entry_size(ent->e), end = 0;
        uint64_t synced = 0;
        struct content_digest cd = {0};
        const void *buf;
        size_t len;
        la_int64_t off;
        int r;

        if (digest && content_digest_init(&cd, (uint64_t)MAX(size, 0)) < 0)
                return rk_error_set(reterr, ENOMEM, "cannot initialise SHA-256");
        while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
                if (off < 0 || (uint64_t)off + len > (uint64_t)MAX(size, 0)) {
                        content_digest_done(&cd);
                        return rk_error_set(reterr, EINVAL,
                                            "invalid image: data of \"%s\" beyond its size",
                                            ent->raw);
                }
                r = len > 0 ? pwrite_full(fd, buf, len, off) : 0;
                if (r < 0) {
                        content_digest_done(&cd);
                        return rk_error_set_errno(reterr, -r, "cannot extract \"%s\"", ent->raw);
                }
                if (digest)
                        content_digest_add(&cd, (uint64_t)off, buf, len);
                end = off + (la_int64_t)len;
                writeback_start(fd, &synced, (uint64_t)end, WRITEBACK_STEP);
        }
        /* the tree store syncs what it extracts: big files start on their way now */
        writeback_start(fd, &synced, (uint64_t)end, WRITEBACK_TAIL);
        if (r != ARCHIVE_EOF) {
                content_digest_done(&cd);
                return archive_fail(a, reterr, "invalid image archive");
        }
        /* a hole at the end: the file gets its size (a truncate costs a journal transaction
         * on some file systems: only then) */
        if (end < MAX(size, 0) && ftruncate(fd, MAX(size, 0)) < 0) {
                content_digest_done(&cd);
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        }
        if (digest)
                content_digest_final(&cd, digest);
        return 0;
}

/* Sets the entry's allowed xattrs on fd (after its owner: chown drops capabilities). */
static int write_xattrs(int fd, const struct entry *ent, struct rk_error **reterr)
{
        const char *name;
        const void *value;
        size_t size;

        archive_entry_xattr_reset(ent->e);
        while (archive_entry_xattr_next(ent->e, &name, &value, &size) == ARCHIVE_OK) {
                if (!xattr_image_allowed(name, value, size)) {
                        log_debug("dropping xattr %s of %s", name, ent->raw);
                        continue;
                }
                /* without the privilege (capabilities) or on a file system without xattrs,
                 * it is left out as an owner is: the tree hash is taken from disk */
                if (fsetxattr(fd, name, value, size, 0) < 0 && errno != EPERM && errno != ENOTSUP)
                        return rk_error_set_errno(reterr, errno, "cannot set xattr %s of \"%s\"",
                                                  name, ent->raw);
        }
        return 0;
}

static void entry_times(const struct entry *ent, struct timespec ts[2])
{
        struct archive_entry *e = ent->e;

        ts[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
        ts[0] = archive_entry_atime_is_set(e)
                        ? (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)}
                        : ts[1];
}

/* Owner, xattrs, mode and times of the open file fd. */
static int set_meta_fd(const struct aci_walk *w, int fd, const struct entry *ent,
                       struct rk_error **reterr)
{
        struct timespec ts[2];
        int r;

        entry_times(ent, ts);
        if (w->same_owner &&
            fchown(fd, (uid_t)archive_entry_uid(ent->e), (gid_t)archive_entry_gid(ent->e)) < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        if (fchmod(fd, archive_entry_perm(ent->e) & 07777) < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        r = write_xattrs(fd, ent, reterr);
        if (r < 0)
                return r;
        if (futimens(fd, ts) < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        return 0;
}

static int extract_file(struct archive *a, const struct aci_walk *w, int dfd, const char *base,
                        const struct entry *ent, unsigned char *digest, struct rk_error **reterr)
{
        _cleanup_close_ int fd =
                openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        r = write_data(a, fd, ent, digest, reterr);
        if (r < 0)
                return r;
        return set_meta_fd(w, fd, ent, reterr);
}

/* A directory: made (or, implicit so far, kept) now, its mode and times restored last. */
static int extract_dir(struct walk_state *ws, const struct aci_walk *w, int dfd, const char *base,
                       const char *path, const struct entry *ent, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        struct dir_fixup *f;
        int r;

        if (base[0] && mkdirat(dfd, base, 0700) < 0 && errno != EEXIST)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        fd = base[0] ? openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                     : fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        if (w->same_owner &&
            fchown(fd, (uid_t)archive_entry_uid(ent->e), (gid_t)archive_entry_gid(ent->e)) < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        r = write_xattrs(fd, ent, reterr);
        if (r < 0)
                return r;
        ws->fixups = oom_check(reallocarray(ws->fixups, ws->n_fixups + 1, sizeof(*ws->fixups)));
        f = &ws->fixups[ws->n_fixups++];
        *f = (struct dir_fixup){xstrdup(path), archive_entry_perm(ent->e) & 07777};
        entry_times(ent, f->times);
        return 0;
}

/* Owner and times of dfd/base, which cannot be opened (a symlink or fifo), and its mode
 * (not for a symlink). */
static int set_meta_at(const struct aci_walk *w, int dfd, const char *base, const struct entry *ent,
                       struct rk_error **reterr)
{
        struct timespec ts[2];

        entry_times(ent, ts);
        if (w->same_owner && fchownat(dfd, base, (uid_t)archive_entry_uid(ent->e),
                                      (gid_t)archive_entry_gid(ent->e), AT_SYMLINK_NOFOLLOW) < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        /* the directory is ours alone: nothing replaces the fifo between these calls */
        if (ent->type != AE_IFLNK && fchmodat(dfd, base, archive_entry_perm(ent->e) & 07777, 0) < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        if (utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        return 0;
}

/* A hard link to target (below the rootfs), resolved on disk like any path. */
static int extract_hardlink(struct walk_state *ws, int dfd, const char *base,
                            const struct entry *ent, char **ret_target, struct rk_error **reterr)
{
        struct chase_result cr = {0};
        _cleanup_free_ char *key = NULL;
        int r = chase_at(ws->rootfs_fd, ent->target, 0, &cr);

        if (r < 0)
                return resolve_error(r, ent->raw, reterr);
        key = *cr.path ? xasprintf("rootfs/%s/%s", cr.path, cr.base)
                       : xasprintf("rootfs/%s", cr.base);
        /* linking to a path another image provided would join two layers' inodes */
        if (!hashset_get(&ws->mine, key, NULL))
                r = rk_error_set(reterr, EINVAL,
                                 "invalid image: hard link \"%s\" points to \"%s\", which this "
                                 "image does not provide",
                                 ent->raw, archive_entry_hardlink(ent->e));
        else if (linkat((int)cr.dir, cr.base, dfd, base, 0) < 0)
                r = rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
        chase_at_done(&cr);
        if (r >= 0)
                *ret_target = TAKE_PTR(key);
        return r;
}

/* Writes the entry at dfd/base; path is its canonical "rootfs/..." name. */
static int extract_at(struct walk_state *ws, struct archive *a, const struct aci_walk *w, int dfd,
                      const char *base, const char *path, const struct entry *ent,
                      struct rk_error **reterr)
{
        unsigned char digest[CONTENT_DIGEST_LEN];
        _cleanup_free_ char *target = NULL;
        const char *sym = archive_entry_symlink(ent->e);
        int r;

        if (archive_entry_hardlink(ent->e)) {
                r = extract_hardlink(ws, dfd, base, ent, &target, reterr);
                if (r >= 0 && w->digests && digest_map_get(w->digests, target))
                        digest_map_put(w->digests, path, digest_map_get(w->digests, target));
                return r;
        }
        switch (ent->type) {
        case AE_IFREG:
                r = extract_file(a, w, dfd, base, ent, w->digests ? digest : NULL, reterr);
                if (r >= 0 && w->digests)
                        digest_map_put(w->digests, path, digest);
                return r;
        case AE_IFDIR:
                return extract_dir(ws, w, dfd, base, path[6] ? path + 7 : "", ent, reterr);
        case AE_IFLNK:
                if (symlinkat(sym ?: "", dfd, base) < 0)
                        return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
                return set_meta_at(w, dfd, base, ent, reterr);
        case AE_IFIFO:
                if (mknodat(dfd, base, S_IFIFO | 0600, 0) < 0)
                        return rk_error_set_errno(reterr, errno, "cannot extract \"%s\"", ent->raw);
                return set_meta_at(w, dfd, base, ent, reterr);
        default:
                return 0;
        }
}

static int extract_entry(struct walk_state *ws, struct archive *a, struct aci_walk *w,
                         const struct entry *ent, struct rk_error **reterr)
{
        struct chase_result cr = {0};
        _cleanup_free_ char *path = NULL;
        int r;

        if (!ent->rel[0]) {
                if (w->provided && hashset_get(w->provided, "rootfs", NULL))
                        return 0;
                r = extract_dir(ws, w, ws->rootfs_fd, "", "", ent, reterr);
                if (r >= 0 && w->extracted)
                        (void)hashset_put(w->extracted, "rootfs", AE_IFDIR);
                return r;
        }
        r = chase_at(ws->rootfs_fd, ent->rel, CHASE_MKDIR, &cr);
        if (r < 0)
                return resolve_error(r, ent->raw, reterr);
        path = *cr.path ? xasprintf("rootfs/%s/%s", cr.path, cr.base)
                        : xasprintf("rootfs/%s", cr.base);
        if (!(w->provided && hashset_get(w->provided, path, NULL))) {
                r = extract_at(ws, a, w, (int)cr.dir, cr.base, path, ent, reterr);
                if (r >= 0) {
                        (void)hashset_put(&ws->mine, path, 0);
                        if (w->extracted)
                                (void)hashset_put(w->extracted, path, ent->type);
                }
        }
        chase_at_done(&cr);
        return r;
}

/* Restores the modes and times of the directories written, now that their entries are. */
static int apply_fixups(struct walk_state *ws, struct rk_error **reterr)
{
        for (size_t i = 0; i < ws->n_fixups; i++) {
                struct dir_fixup *f = &ws->fixups[i];
                _cleanup_close_ int fd = chase_open_at(ws->rootfs_fd, f->path, CHASE_NOLINKS,
                                                       O_RDONLY | O_DIRECTORY);

                if (fd < 0)
                        return rk_error_set_errno(reterr, -fd, "cannot extract \"rootfs/%s\"",
                                                  f->path);
                if (fchmod(fd, f->mode) < 0 || futimens(fd, f->times) < 0)
                        return rk_error_set_errno(reterr, errno, "cannot extract \"rootfs/%s\"",
                                                  f->path);
        }
        return 0;
}

/* --- the walk --- */

static int walk_rootfs_entry(struct walk_state *ws, struct archive *a, struct aci_walk *w,
                             struct entry *ent, struct rk_error **reterr)
{
        int r = model_add(ws, ent, reterr);

        if (r < 0 || !entry_wanted(w, ent))
                return r;
        return extract_entry(ws, a, w, ent, reterr);
}

static int walk_entry(struct walk_state *ws, struct archive *a, struct archive_entry *e,
                      struct aci_walk *w, struct rk_error **reterr)
{
        const char *pathname = archive_entry_pathname(e);
        _cleanup_free_ char *name = NULL, *raw = pathname ? path_abbrev(pathname) : NULL;
        struct entry ent = {e, raw};
        int r;

        if (!pathname)
                return rk_error_set(reterr, EINVAL, "invalid image: entry without a name");
        if (path_name_normalise(pathname, 0, &name) < 0)
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: entry \"%s\" has an absolute path or \"..\"",
                                    raw);
        if (!name[0])
                return 0; /* "./": the archive root */
        ent.name = name;
        ent.type = archive_entry_filetype(e);
        if (strcmp(name, "rootfs") == 0 || strncmp(name, "rootfs/", 7) == 0) {
                ent.rel = name[6] ? name + 7 : "";
                r = walk_rootfs_entry(ws, a, w, &ent, reterr);
                free(ent.target);
                return r;
        }
        r = check_other(ws, &ent, reterr);
        if (r < 0 || strcmp(name, "manifest") != 0)
                return r;
        r = read_manifest(a, e, w, reterr);
        if (r < 0 || !w->extract_manifest || w->extract_fd < 0)
                return r;
        r = write_file_atomic_at(w->extract_fd, "manifest", w->manifest, w->manifest_len, 0644);
        return r < 0 ? rk_error_set_errno(reterr, -r, "cannot write manifest") : 0;
}

static int walk_entries(struct walk_state *ws, struct archive *a, struct aci_walk *w,
                        struct rk_error **reterr)
{
        struct archive_entry *e;
        int r;

        for (;;) {
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return archive_fail(a, reterr, "invalid image archive");
                r = walk_entry(ws, a, e, w, reterr);
                if (r < 0)
                        return r;
        }
        if (!w->manifest)
                return rk_error_set(reterr, EINVAL, "invalid image: no manifest in the archive");
        return ws->rootfs_fd >= 0 ? apply_fixups(ws, reterr) : 0;
}

/* Opens (making it) extract_fd/rootfs. */
static int open_rootfs(const struct aci_walk *w, int *ret, struct rk_error **reterr)
{
        struct stat st;

        if (mkdirat(w->extract_fd, "rootfs", 0755) < 0 && errno != EEXIST)
                return rk_error_set_errno(reterr, errno, "cannot create rootfs");
        *ret = openat(w->extract_fd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (*ret < 0 || fstat(*ret, &st) < 0)
                return rk_error_set_errno(reterr, errno, "cannot open rootfs");
        return 0;
}

static void walk_state_done(struct walk_state *ws)
{
        vtree_done(&ws->model);
        hashset_done(&ws->others);
        hashset_done(&ws->mine);
        safe_close(ws->rootfs_fd);
        for (size_t i = 0; i < ws->n_fixups; i++)
                free(ws->fixups[i].path);
        free(ws->fixups);
}

static int walk(int fd, struct stream *stream, struct aci_walk *w, struct rk_error **reterr)
{
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        struct walk_state ws = {.others = HASHSET_INIT, .mine = HASHSET_INIT, .rootfs_fd = -EBADF};
        mode_t old_umask = umask(022);
        int r;

        ws.root.v.mode = S_IFDIR | 0755;
        vtree_init(&ws.model, &ws.root.v, model_new_dir, model_free_node);
        r = store_sparse_max(&ws.sparse_max, reterr);
        if (r >= 0)
                r = open_reader(fd, stream, NULL, &a, reterr);
        if (r >= 0 && w->extract_fd >= 0 && w->extract_rootfs)
                r = open_rootfs(w, &ws.rootfs_fd, reterr);
        if (r >= 0)
                r = walk_entries(&ws, a, w, reterr);
        if (r < 0 && stream && stream->error) {
                /* the input failed: say so, not what the tar reader made of it */
                *reterr = rk_error_free(*reterr);
                r = rk_error_set_errno(reterr, stream->error, "cannot read image");
        }
        walk_state_done(&ws);
        umask(old_umask);
        return r;
}

int aci_walk(int fd, struct aci_walk *w, struct rk_error **reterr)
{
        return walk(fd, NULL, w, reterr);
}

int aci_walk_stream(aci_read_fn fn, void *userdata, struct aci_walk *w, struct rk_error **reterr)
{
        struct stream stream = {fn, userdata};

        return walk(-EBADF, &stream, w, reterr);
}

/* The writer's failure; its errno when the output failed (EPIPE: the reader went away). */
static int writer_failed(struct aci_writer *w, struct rk_error **reterr)
{
        int e = archive_errno(w->a);

        return rk_error_set(reterr, e > 0 && e < 4096 ? e : EIO, "cannot write the image: %s",
                            archive_error_string(w->a) ?: "write error");
}

int aci_writer_open(struct aci_writer *w, int fd, bool gzip, struct rk_error **reterr)
{
        *w = (struct aci_writer){oom_check(archive_write_new()), oom_check(archive_entry_new())};
        if (gzip && archive_write_add_filter_gzip(w->a) != ARCHIVE_OK)
                return writer_failed(w, reterr);
        archive_write_set_format_pax_restricted(w->a);
        if (archive_write_open_fd(w->a, fd) != ARCHIVE_OK)
                return writer_failed(w, reterr);
        /* The same bytes whatever fd is: libarchive would pad the last block of a pipe. */
        archive_write_set_bytes_in_last_block(w->a, 1);
        return 0;
}

int aci_writer_header(struct aci_writer *w, struct archive_entry *entry, struct rk_error **reterr)
{
        if (archive_write_header(w->a, entry ?: w->e) < ARCHIVE_OK)
                return writer_failed(w, reterr);
        return 0;
}

int aci_writer_data(struct aci_writer *w, const void *buf, size_t len, struct rk_error **reterr)
{
        if (archive_write_data(w->a, buf, len) != (la_ssize_t)len)
                return writer_failed(w, reterr);
        return 0;
}

int aci_writer_manifest(struct aci_writer *w, const char *json, size_t len,
                        struct rk_error **reterr)
{
        int r;

        archive_entry_clear(w->e);
        archive_entry_set_pathname(w->e, "manifest");
        archive_entry_set_filetype(w->e, AE_IFREG);
        archive_entry_set_perm(w->e, 0644);
        archive_entry_set_size(w->e, (la_int64_t)len);
        r = aci_writer_header(w, NULL, reterr);
        return r < 0 ? r : aci_writer_data(w, json, len, reterr);
}

int aci_writer_zeros(struct aci_writer *w, uint64_t len, struct rk_error **reterr)
{
        static const char zeros[1 << 20];

        while (len > 0) {
                size_t n = (size_t)MIN(len, (uint64_t)sizeof(zeros));
                int r = aci_writer_data(w, zeros, n, reterr);
                if (r < 0)
                        return r;
                len -= n;
        }
        return 0;
}

int aci_writer_close(struct aci_writer *w, struct rk_error **reterr)
{
        if (archive_write_close(w->a) != ARCHIVE_OK)
                return writer_failed(w, reterr);
        return 0;
}

void aci_writer_done(struct aci_writer *w)
{
        if (w->a)
                archive_write_free(w->a);
        if (w->e)
                archive_entry_free(w->e);
        *w = (struct aci_writer){0};
}

void aci_walk_done(struct aci_walk *w)
{
        free(w->manifest);
        w->manifest = NULL;
}
