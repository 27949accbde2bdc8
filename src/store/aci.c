/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACI archives: sniffing, decompress-and-hash into the blob, and the validating walk.
 * Runs in: stage0. Never follows a symlink of the image while writing, never creates
 * device nodes, never opens anything but regular files of its own making.
 */
#include "aci.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "log.h"
#include "store-private.h"
#include "strbuf.h"

#define MANIFEST_MAX (1 << 20)
#define READ_BLOCK   (1 << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(struct archive *, archive_read_free)

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

int aci_decompress(int fd, enum aci_compression c, int outfd, aci_progress_fn progress,
                   void *userdata, char **ret_key, uint64_t *ret_size, struct rk_error **reterr)
{
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        struct archive_entry *e;
        unsigned char digest[EVP_MAX_MD_SIZE];
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        struct stat st;
        uint64_t total = 0, in_size;
        int r;

        r = open_reader(fd, NULL, &c, &a, reterr);
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
        in_size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
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
                r = write_full(outfd, buf, len);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "cannot write image to the store");
                total += len;
                r = progress ? progress((uint64_t)archive_filter_bytes(a, -1), in_size, total,
                                        userdata)
                             : 0;
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "import stopped");
        }
        if (total == 0)
                return rk_error_set(reterr, EINVAL, "image is empty");
        EVP_DigestFinal_ex(md, digest, NULL);
        digest_to_hex(digest, STORE_KEY_HEX / 2, hex);
        *ret_key = xasprintf(STORE_KEY_PREFIX "%s", hex);
        *ret_size = total;
        return 0;
}

/* Normalises an entry name: drops "./", "." and empty components and a trailing "/".
 * Returns NULL for names that are absolute or contain "..". "" means the archive root. */
static char *entry_name_normalize(const char *name)
{
        struct strbuf sb = STRBUF_INIT;
        const char *p = name;

        if (name[0] == '/')
                return NULL;
        while (*p) {
                size_t n = strcspn(p, "/");

                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        strbuf_release(&sb);
                        return NULL;
                }
                if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (sb.len)
                                strbuf_putc(&sb, '/');
                        strbuf_add(&sb, p, n);
                }
                p += n;
                while (*p == '/')
                        p++;
        }
        return strbuf_detach(&sb);
}

/* Per-walk state: every path seen, with its file type. */
struct walk_state {
        struct hashset seen; /* path -> file type (AE_IF*) */
        struct hashset mine; /* the paths this walk extracted */
        int cwd_fd;
        struct archive *writer;
};

static bool path_crosses_symlink(const struct walk_state *ws, const char *path)
{
        for (const char *p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
                long type;

                if (hashset_get_n(&ws->seen, path, (size_t)(p - path), &type) && type == AE_IFLNK)
                        return true;
        }
        return false;
}

/* Checks a hard link target: an earlier, non-directory entry inside rootfs/. *ret_type is
 * the target's type. */
static int check_hardlink(struct walk_state *ws, const char *name, const char *target,
                          long *ret_type, struct rk_error **reterr)
{
        _cleanup_free_ char *t = entry_name_normalize(target);
        long type;

        if (!t || strncmp(t, "rootfs/", 7) != 0 || path_crosses_symlink(ws, t))
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: hard link \"%s\" points "
                                    "outside the rootfs (\"%s\")",
                                    name, target);
        if (!hashset_get(&ws->seen, t, &type) || type == AE_IFDIR)
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: hard link \"%s\" points to "
                                    "\"%s\", which is not an earlier file of the image",
                                    name, target);
        *ret_type = type;
        return 0;
}

/* Validates entry e (named path after normalisation) against DESIGN.md §7. */
static int check_entry(struct walk_state *ws, struct archive_entry *e, const char *raw,
                       const char *path, struct rk_error **reterr)
{
        const char *link = archive_entry_hardlink(e);
        long type = AE_IFREG;
        int r;

        if (!path)
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: entry \"%s\" has an "
                                    "absolute path or \"..\"",
                                    raw);
        if (path_crosses_symlink(ws, path))
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: entry \"%s\" would be "
                                    "written through a symbolic link",
                                    raw);
        if (strcmp(path, "rootfs") == 0 && (link || archive_entry_filetype(e) != AE_IFDIR))
                return rk_error_set(reterr, EINVAL, "invalid image: rootfs is not a directory");
        if (hashset_get(&ws->seen, path, NULL))
                return rk_error_set(reterr, EINVAL, "invalid image: duplicate entry \"%s\"", raw);
        /* a hard link is checked before it is recorded (it may not name itself), and is
         * recorded with its target's type (a link to a symlink is a symlink) */
        if (link && (r = check_hardlink(ws, raw, link, &type, reterr)) < 0)
                return r;
        (void)hashset_put(&ws->seen, path, link ? type : archive_entry_filetype(e));
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

        if (archive_entry_filetype(e) != AE_IFREG)
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

/* Copies the entry's data to the writer, digesting it into digest when non-NULL. */
static int copy_entry_data(struct archive *a, struct archive *out, const char *raw,
                           unsigned char *digest, struct rk_error **reterr)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = digest ? EVP_MD_CTX_new() : NULL;
        const void *buf;
        size_t len;
        la_int64_t off;
        int r;

        if (digest && (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)))
                return rk_error_set(reterr, ENOMEM, "cannot initialise SHA-256");
        while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
                if (archive_write_data_block(out, buf, len, off) < ARCHIVE_OK)
                        return archive_fail(out, reterr, "cannot extract \"%s\"", raw);
                if (md)
                        EVP_DigestUpdate(md, buf, len);
        }
        if (r != ARCHIVE_EOF)
                return archive_fail(a, reterr, "invalid image archive");
        if (md)
                EVP_DigestFinal_ex(md, digest, NULL);
        return 0;
}

/* Whether the walk writes this entry. */
static bool entry_wanted(const struct aci_walk *w, struct archive_entry *e, const char *path)
{
        unsigned type = archive_entry_filetype(e);

        if (w->extract_fd < 0)
                return false;
        if (strcmp(path, "manifest") == 0)
                return w->extract_manifest;
        if (strcmp(path, "rootfs") != 0 && strncmp(path, "rootfs/", 7) != 0)
                return false;
        if (!w->extract_rootfs)
                return false;
        if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
                log_debug("not creating device node or socket %s", path);
                return false;
        }
        if (w->provided && hashset_get(w->provided, path, NULL))
                return false;
        if (w->whitelist && w->whitelist->n > 0 && strcmp(path, "rootfs") != 0 &&
            !hashset_get(w->whitelist, path, NULL))
                return false;
        return true;
}

/* Remembers the content digest of a regular file (a hard link shares its target's). */
static void record_digest(struct aci_walk *w, struct archive_entry *e, const char *path,
                          const char *target, const unsigned char *digest)
{
        const unsigned char *d = digest;

        if (!w->digests)
                return;
        if (target)
                d = digest_map_get(w->digests, target);
        else if (archive_entry_filetype(e) != AE_IFREG)
                d = NULL;
        if (d)
                digest_map_put(w->digests, path, d);
}

static int extract_entry(struct walk_state *ws, struct archive *a, struct archive_entry *e,
                         const char *raw, const char *path, struct aci_walk *w,
                         struct rk_error **reterr)
{
        const char *link = archive_entry_hardlink(e);
        _cleanup_free_ char *target = link ? entry_name_normalize(link) : NULL;
        unsigned char digest[CONTENT_DIGEST_LEN];
        int r;

        /* Linking to a path another image provided would join two layers' inodes. */
        if (target && !hashset_get(&ws->mine, target, NULL))
                return rk_error_set(reterr, EINVAL,
                                    "invalid image: hard link \"%s\" points to \"%s\", which "
                                    "this image does not provide",
                                    raw, link);
        archive_entry_set_pathname(e, path);
        if (target)
                archive_entry_set_hardlink(e, target);
        r = archive_write_header(ws->writer, e);
        if (r < ARCHIVE_WARN)
                return archive_fail(ws->writer, reterr, "invalid image: cannot extract \"%s\"",
                                    raw);
        r = copy_entry_data(a, ws->writer, raw,
                            w->digests && !target && archive_entry_filetype(e) == AE_IFREG ? digest
                                                                                           : NULL,
                            reterr);
        if (r < 0)
                return r;
        if (archive_write_finish_entry(ws->writer) < ARCHIVE_WARN)
                return archive_fail(ws->writer, reterr, "cannot extract \"%s\"", raw);
        (void)hashset_put(&ws->mine, path, 0);
        if (w->extracted)
                (void)hashset_put(w->extracted, path, archive_entry_filetype(e));
        record_digest(w, e, path, target, digest);
        return 0;
}

static int walk_entry(struct walk_state *ws, struct archive *a, struct archive_entry *e,
                      struct aci_walk *w, struct rk_error **reterr)
{
        const char *raw = archive_entry_pathname(e);
        _cleanup_free_ char *path = raw ? entry_name_normalize(raw) : NULL;
        int r;

        if (!raw)
                return rk_error_set(reterr, EINVAL, "invalid image: entry without a name");
        if (path && path[0] == '\0')
                return 0; /* "./": the archive root */
        r = check_entry(ws, e, raw, path, reterr);
        if (r < 0)
                return r;
        if (strcmp(path, "manifest") == 0) {
                r = read_manifest(a, e, w, reterr);
                if (r < 0 || !w->extract_manifest || w->extract_fd < 0)
                        return r;
                r = write_file_atomic_at(w->extract_fd, "manifest", w->manifest, w->manifest_len,
                                         0644);
                return r < 0 ? rk_error_set_errno(reterr, -r, "cannot write manifest") : 0;
        }
        if (!entry_wanted(w, e, path))
                return 0;
        return extract_entry(ws, a, e, raw, path, w, reterr);
}

static struct archive *writer_new(const struct aci_walk *w)
{
        struct archive *out = archive_write_disk_new();
        int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
                    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR;

        if (!out)
                return oom_check(NULL);
        if (w->same_owner)
                flags |= ARCHIVE_EXTRACT_OWNER;
        archive_write_disk_set_options(out, flags);
        return out;
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
        if (ws->writer && archive_write_close(ws->writer) < ARCHIVE_WARN)
                return archive_fail(ws->writer, reterr, "cannot finish extraction");
        if (!w->manifest)
                return rk_error_set(reterr, EINVAL, "invalid image: no manifest in the archive");
        return 0;
}

static int walk(int fd, struct stream *stream, struct aci_walk *w, struct rk_error **reterr)
{
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        struct walk_state ws = {HASHSET_INIT, HASHSET_INIT, -EBADF, NULL};
        mode_t old_umask = umask(022);
        int r;

        r = open_reader(fd, stream, NULL, &a, reterr);
        if (r >= 0 && w->extract_fd >= 0) {
                ws.cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                ws.writer = writer_new(w);
                if (ws.cwd_fd < 0 || fchdir(w->extract_fd) < 0)
                        r = rk_error_set_errno(reterr, errno,
                                               "cannot enter the directory to "
                                               "extract into");
        }
        if (r >= 0)
                r = walk_entries(&ws, a, w, reterr);
        if (r < 0 && stream && stream->error) {
                /* the input failed: say so, not what the tar reader made of it */
                *reterr = rk_error_free(*reterr);
                r = rk_error_set_errno(reterr, stream->error, "cannot read image");
        }
        /* Freeing the writer applies its deferred directory fix-ups (relative names): do it
         * while still inside the extraction directory. */
        if (ws.writer)
                archive_write_free(ws.writer);
        if (ws.cwd_fd >= 0 && fchdir(ws.cwd_fd) < 0)
                log_debug("cannot return to the working directory: %m");
        safe_close(ws.cwd_fd);
        hashset_done(&ws.seen);
        hashset_done(&ws.mine);
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

void aci_walk_done(struct aci_walk *w)
{
        free(w->manifest);
        w->manifest = NULL;
}
