/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deterministic hash of a directory tree. Entries are opened with O_NOFOLLOW (regular files
 * to be read, others with O_PATH for their xattrs) and checked with fstat, so nothing but
 * a regular file is ever read.
 */
#include "tree-hash.h"

#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

#include "format-util.h"
#include "fs-util.h"
#include "store-private.h"
#include "strbuf.h"
#include "xattr-util.h"

int content_digest_init(struct content_digest *cd, uint64_t size)
{
        *cd = (struct content_digest){EVP_MD_CTX_new(), size, UINT64_MAX, 0, malloc(CONTENT_BLOCK)};
        if (!cd->md || !cd->buf || !EVP_DigestInit_ex(cd->md, EVP_sha256(), NULL)) {
                content_digest_done(cd);
                return -ENOMEM;
        }
        return 0;
}

static void put_le64(EVP_MD_CTX *md, uint64_t v)
{
        unsigned char b[8];

        for (size_t i = 0; i < 8; i++)
                b[i] = (unsigned char)(v >> (8 * i));
        EVP_DigestUpdate(md, b, sizeof(b));
}

static void content_digest_flush(struct content_digest *cd)
{
        uint64_t start = cd->block * CONTENT_BLOCK;
        size_t len;

        if (cd->block == UINT64_MAX)
                return;
        len = (size_t)MIN((uint64_t)CONTENT_BLOCK, cd->size - start);
        if (cd->fill < len)
                memset(cd->buf + cd->fill, 0, len - cd->fill);
        if (len > 0 && (cd->buf[0] != 0 || memcmp(cd->buf, cd->buf + 1, len - 1) != 0)) {
                put_le64(cd->md, cd->block);
                EVP_DigestUpdate(cd->md, cd->buf, len);
        }
        cd->block = UINT64_MAX;
}

void content_digest_add(struct content_digest *cd, uint64_t off, const void *data, size_t len)
{
        const unsigned char *p = data;

        while (len > 0 && off < cd->size) {
                uint64_t block = off / CONTENT_BLOCK;
                size_t in = (size_t)(off % CONTENT_BLOCK);
                size_t k = (size_t)MIN(MIN((uint64_t)len, (uint64_t)(CONTENT_BLOCK - in)),
                                       cd->size - off);

                if (block != cd->block) {
                        content_digest_flush(cd);
                        cd->block = block;
                        cd->fill = 0;
                }
                if (in > cd->fill) /* a hole inside the block */
                        memset(cd->buf + cd->fill, 0, in - cd->fill);
                memcpy(cd->buf + in, p, k);
                cd->fill = MAX(cd->fill, in + k);
                p += k;
                off += k;
                len -= k;
        }
}

void content_digest_final(struct content_digest *cd, unsigned char out[CONTENT_DIGEST_LEN])
{
        content_digest_flush(cd);
        put_le64(cd->md, cd->size);
        EVP_DigestFinal_ex(cd->md, out, NULL);
        content_digest_done(cd);
}

void content_digest_done(struct content_digest *cd)
{
        EVP_MD_CTX_free(cd->md);
        free(cd->buf);
        *cd = (struct content_digest){0};
}

/* Adds the bytes [off, end) of fd to cd. */
static int digest_range(struct content_digest *cd, int fd, uint64_t off, uint64_t end)
{
        static unsigned char buf[1 << 20];

        while (off < end) {
                ssize_t n =
                        pread(fd, buf, (size_t)MIN((uint64_t)sizeof(buf), end - off), (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -ESTALE; /* shorter than its size: changed meanwhile */
                content_digest_add(cd, off, buf, (size_t)n);
                off += (uint64_t)n;
        }
        return 0;
}

int content_digest_fd(int fd, uint64_t size, unsigned char out[CONTENT_DIGEST_LEN])
{
        struct content_digest cd;
        uint64_t pos = 0;
        int r = content_digest_init(&cd, size);

        while (r >= 0 && pos < size) {
                off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;

                if (data < 0 && errno == ENXIO)
                        break; /* a hole up to the end */
                if (data < 0 && errno != EINVAL) {
                        r = -errno;
                        break;
                }
                hole = data < 0 ? (off_t)size : lseek(fd, data, SEEK_HOLE);
                if (data < 0)
                        data = (off_t)pos; /* no SEEK_DATA here: all of it */
                if (hole < 0) {
                        r = -errno;
                        break;
                }
                r = digest_range(&cd, fd, (uint64_t)data, MIN((uint64_t)hole, size));
                pos = (uint64_t)hole;
        }
        if (r < 0) {
                content_digest_done(&cd);
                return r;
        }
        content_digest_final(&cd, out);
        return 0;
}

struct hash_walk {
        EVP_MD_CTX *md;
        const struct digest_map *known;
        const char *root;
};

/* Opens the entry (not a symlink) for its xattrs, and to read it when regular; checks it is
 * the one the walk stat'ed. */
static int open_entry(const struct tree_walk_item *it)
{
        int flags = S_ISREG(it->st->st_mode) ? O_RDONLY | O_NOCTTY | O_NONBLOCK : O_PATH;
        int fd = openat(it->dfd, it->name, flags | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || st.st_ino != it->st->st_ino ||
            (st.st_mode & S_IFMT) != (it->st->st_mode & S_IFMT)) {
                safe_close(fd);
                return -ESTALE;
        }
        return fd;
}

/* The xattrs that describe the tree (the host's security.selinux label does not). */
static int read_xattrs(int fd, struct xattrs *ret)
{
        int r = xattrs_read_fd(fd, ret);
        size_t k = 0;

        if (r < 0)
                return r;
        for (size_t i = 0; i < ret->n; i++) {
                if (strcmp(ret->v[i].name, "security.selinux") == 0) {
                        free(ret->v[i].name);
                        free(ret->v[i].value);
                        continue;
                }
                ret->v[k++] = ret->v[i];
        }
        ret->n = k;
        return 0;
}

/* "<path>\0<mode> <uid> <gid> <size>[ x<n>]\0<symlink target>\0", then each xattr as
 * "<name>\0", its length (8 bytes LE) and value. */
static int hash_header(struct hash_walk *hw, const struct tree_walk_item *it, const char *path,
                       int fd)
{
        const struct stat *st = it->st;
        struct strbuf hdr = STRBUF_INIT;
        struct xattrs x = {0};
        char target[PATH_MAX];
        int r = fd >= 0 ? read_xattrs(fd, &x) : 0;

        if (r < 0)
                return r;
        strbuf_printf(&hdr, "%s%c%o %u %u %lld", path, 0, (unsigned)st->st_mode,
                      (unsigned)st->st_uid, (unsigned)st->st_gid,
                      S_ISREG(st->st_mode) || S_ISLNK(st->st_mode) ? (long long)st->st_size : 0LL);
        if (x.n)
                strbuf_printf(&hdr, " x%zu", x.n);
        strbuf_putc(&hdr, '\0');
        if (S_ISLNK(st->st_mode)) {
                ssize_t n = readlinkat(it->dfd, it->name, target, sizeof(target) - 1);
                if (n < 0)
                        r = -errno;
                else
                        strbuf_add(&hdr, target, (size_t)n);
        }
        EVP_DigestUpdate(hw->md, hdr.buf, hdr.len + 1);
        for (size_t i = 0; i < x.n; i++) {
                EVP_DigestUpdate(hw->md, x.v[i].name, strlen(x.v[i].name) + 1);
                put_le64(hw->md, x.v[i].size);
                EVP_DigestUpdate(hw->md, x.v[i].value, x.v[i].size);
        }
        strbuf_release(&hdr);
        xattrs_done(&x);
        return r;
}

static int hash_content(struct hash_walk *hw, int fd, const char *path, const struct stat *st)
{
        _cleanup_free_ char *key = xasprintf("%s%s", hw->root, path);
        const unsigned char *known = hw->known ? digest_map_get(hw->known, key) : NULL;
        unsigned char digest[CONTENT_DIGEST_LEN];
        int r;

        if (!known) {
                r = content_digest_fd(fd, (uint64_t)st->st_size, digest);
                if (r < 0)
                        return r;
                known = digest;
        }
        EVP_DigestUpdate(hw->md, known, CONTENT_DIGEST_LEN);
        return 0;
}

static int hash_item(const struct tree_walk_item *it, void *userdata)
{
        struct hash_walk *hw = userdata;
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (it->event == TREE_WALK_DIR_POST)
                return 0;
        path = it->depth ? xasprintf("/%s", it->path) : xstrdup("");
        if (it->event == TREE_WALK_DIR_PRE)
                return hash_header(hw, it, path, it->fd);
        if (!S_ISLNK(it->st->st_mode)) {
                fd = open_entry(it);
                if (fd < 0)
                        return fd;
        }
        r = hash_header(hw, it, path, fd);
        if (r >= 0 && S_ISREG(it->st->st_mode))
                r = hash_content(hw, fd, path, it->st);
        return r;
}

int tree_hash_compute(int dirfd, const char *name, const struct digest_map *known, char **ret,
                      struct rk_error **reterr)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        struct hash_walk hw = {md, known, name};
        unsigned char digest[EVP_MAX_MD_SIZE];
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        int r;

        if (!md || !EVP_DigestInit_ex(md, EVP_sha512(), NULL))
                return rk_error_set(reterr, ENOMEM, "cannot initialise SHA-512");
        r = tree_walk_at(dirfd, name, 0, hash_item, &hw);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot hash tree %s", name);
        EVP_DigestFinal_ex(md, digest, NULL);
        hex_encode(digest, STORE_KEY_HEX / 2, hex);
        *ret = xasprintf(STORE_KEY_PREFIX "%s", hex);
        return 0;
}

void digest_map_put(struct digest_map *m, const char *path,
                    const unsigned char digest[CONTENT_DIGEST_LEN])
{
        unsigned char copy[CONTENT_DIGEST_LEN];
        long i;

        memcpy(copy, digest, CONTENT_DIGEST_LEN); /* digest may point into m->v */
        if (!hashset_get(&m->index, path, &i)) {
                i = (long)m->n++;
                m->v = oom_check(realloc(m->v, m->n * sizeof(*m->v)));
                (void)hashset_put(&m->index, path, i);
        }
        memcpy(m->v[i], copy, CONTENT_DIGEST_LEN);
}

const unsigned char *digest_map_get(const struct digest_map *m, const char *path)
{
        long i;

        return hashset_get(&m->index, path, &i) ? m->v[i] : NULL;
}

void digest_map_done(struct digest_map *m)
{
        hashset_done(&m->index);
        free(m->v);
        *m = (struct digest_map){HASHSET_INIT, NULL, 0};
}
