/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deterministic hash of a directory tree. Regular files are opened with O_NOFOLLOW and
 * checked with fstat before reading, so nothing but a regular file is ever read.
 */
#include "tree-hash.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

#include "store-private.h"
#include "strbuf.h"
#include "strv.h"

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dir_sorted_names(int fd, char ***ret)
{
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        char **names = NULL;
        struct dirent *de;
        DIR *d;

        if (dup_fd < 0 || !(d = fdopendir(dup_fd)))
                return safe_close(dup_fd), -errno;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        strv_push(&names, de->d_name);
        closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        *ret = names;
        return 0;
}

/* Reads the regular file dirfd/name (the one lstat'ed as st) into a SHA-256 digest. */
static int digest_file(int dirfd, const char *name, const struct stat *st,
                       unsigned char out[CONTENT_DIGEST_LEN])
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_close_ int fd = -EBADF;
        static char buf[1 << 20];
        struct stat st2;

        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st2) < 0)
                return -errno;
        if (!S_ISREG(st2.st_mode) || st2.st_ino != st->st_ino)
                return -ESTALE;
        if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                EVP_DigestUpdate(md, buf, (size_t)n);
        }
        EVP_DigestFinal_ex(md, out, NULL);
        return 0;
}

struct hash_walk {
        EVP_MD_CTX *md;
        const struct digest_map *known;
        const char *root;
};

static int hash_content(struct hash_walk *hw, int dirfd, const char *name, const char *path,
                        const struct stat *st)
{
        _cleanup_free_ char *key = xasprintf("%s%s", hw->root, path);
        const unsigned char *known = hw->known ? digest_map_get(hw->known, key) : NULL;
        unsigned char digest[CONTENT_DIGEST_LEN];
        int r;

        if (!known) {
                r = digest_file(dirfd, name, st, digest);
                if (r < 0)
                        return r;
                known = digest;
        }
        EVP_DigestUpdate(hw->md, known, CONTENT_DIGEST_LEN);
        return 0;
}

static int hash_dir(struct hash_walk *hw, int fd, const char *prefix);

static int hash_entry(struct hash_walk *hw, int fd, const char *name, const char *path)
{
        struct strbuf hdr = STRBUF_INIT;
        char target[PATH_MAX];
        struct stat st;
        int r = 0;

        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        strbuf_printf(&hdr, "%s%c%o %u %u %lld%c", path, 0, (unsigned)st.st_mode,
                      (unsigned)st.st_uid, (unsigned)st.st_gid,
                      S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? (long long)st.st_size : 0LL, 0);
        if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlinkat(fd, name, target, sizeof(target) - 1);
                if (n < 0)
                        r = -errno;
                else
                        strbuf_add(&hdr, target, (size_t)n);
        }
        EVP_DigestUpdate(hw->md, hdr.buf, hdr.len + 1);
        strbuf_release(&hdr);
        if (r < 0)
                return r;
        if (S_ISREG(st.st_mode))
                return hash_content(hw, fd, name, path, &st);
        if (S_ISDIR(st.st_mode)) {
                int cfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0)
                        return -errno;
                r = hash_dir(hw, cfd, path);
                safe_close(cfd);
        }
        return r;
}

static int hash_dir(struct hash_walk *hw, int fd, const char *prefix)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = dir_sorted_names(fd, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *path = xasprintf("%s/%s", prefix, *n);

                r = hash_entry(hw, fd, *n, path);
                if (r < 0)
                        return r;
        }
        return 0;
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
        r = hash_entry(&hw, dirfd, name, "");
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot hash tree %s", name);
        EVP_DigestFinal_ex(md, digest, NULL);
        digest_to_hex(digest, STORE_KEY_HEX / 2, hex);
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
