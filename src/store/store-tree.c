/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tree store: images rendered with their dependencies (appc's renderer rules: the
 * image first, then its dependencies breadth-first; a path provided by an upper image wins;
 * dependency files are filtered by the nearest upper image's pathWhitelist) into
 * D/cas/tree/<id>/{rootfs,manifest,hash,image,rendered}. "rendered" is written last, after
 * syncfs, so an entry without it is an interrupted render and is rebuilt.
 */
#include "store-tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "aci.h"
#include "format-util.h"
#include "fs-util.h"
#include "image-manifest.h"
#include "log.h"
#include "sha512.h"
#include "store-private.h"
#include "strv.h"
#include "tree-hash.h"
#include "userns.h"

void render_list_done(struct render_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].key);
                image_manifest_free(l->items[i].manifest);
        }
        free(l->items);
        *l = (struct render_list){0};
}

static int dep_resolve(struct store *s, const struct ac_dependency *d, char **ret_key,
                       struct rk_error **reterr)
{
        int r;

        if (d->image_id && d->image_id[0])
                r = store_resolve_key(s, d->image_id, ret_key, reterr);
        else
                r = store_find_dependency(s, d->image_name, &d->labels, ret_key, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "cannot find dependency \"%s\" in the local store",
                                     d->image_name);
        return 0;
}

static void render_list_insert(struct render_list *l, size_t at, char *key,
                               struct image_manifest *m, size_t parent)
{
        l->items = oom_check(realloc(l->items, (l->n + 1) * sizeof(*l->items)));
        memmove(l->items + at + 1, l->items + at, (l->n - at) * sizeof(*l->items));
        l->items[at] = (struct render_item){key, m, parent};
        l->n++;
}

int render_list_build(struct store *s, const char *key, struct image_manifest *top,
                      struct render_list *ret, struct rk_error **reterr)
{
        struct render_list l = {0};
        int r = 0;

        render_list_insert(&l, 0, xstrdup(key), top, SIZE_MAX);
        /* Like appc's createDepList: each dependency is inserted right after its image. */
        for (size_t i = 0; i < l.n && r >= 0; i++) {
                const struct image_manifest *m = l.items[i].manifest;

                for (size_t d = 0; d < m->n_deps && r >= 0; d++) {
                        _cleanup_free_ char *dk = NULL;
                        struct image_manifest *dm = NULL;

                        if (l.n > 256)
                                r = rk_error_set(reterr, ELOOP, "too many dependencies (a cycle?)");
                        if (r >= 0)
                                r = dep_resolve(s, &m->deps[d], &dk, reterr);
                        if (r >= 0)
                                r = store_read_manifest(s, dk, &dm, reterr);
                        if (r >= 0)
                                render_list_insert(&l, i + 1, TAKE_PTR(dk), dm, i);
                        m = l.items[i].manifest; /* items moved */
                }
        }
        if (r < 0) {
                l.items[0].manifest = NULL; /* owned by the caller */
                render_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

/* sha512.h, not libcrypto: `rkt run` of a stored image hashes nothing else */
char *render_list_tree_id(const struct render_list *l)
{
        struct sha512 md;
        uint8_t digest[SHA512_DIGEST_SIZE];
        char hex[2 * SHA512_DIGEST_SIZE + 1];

        sha512_init(&md);
        for (size_t i = 0; i < l->n; i++) {
                if (i > 0)
                        sha512_update(&md, ",", 1);
                sha512_update(&md, l->items[i].key, strlen(l->items[i].key));
        }
        sha512_final(&md, digest);
        hex_encode(digest, STORE_KEY_HEX / 2, hex);
        return xasprintf("deps-" STORE_KEY_PREFIX "%s", hex);
}

/* The pathWhitelist that filters item i: its nearest ancestor's that has one. */
static void whitelist_for(const struct render_list *l, size_t i, struct hashset *ret)
{
        for (size_t p = l->items[i].parent; p != SIZE_MAX; p = l->items[p].parent) {
                char **wl = l->items[p].manifest->path_whitelist;

                if (!wl || !wl[0])
                        continue;
                STRV_FOREACH(w, wl) {
                        _cleanup_free_ char *path = xasprintf("rootfs%s", *w);
                        char *slash;

                        /* the path and every directory leading to it */
                        (void)hashset_put(ret, path, 0);
                        while ((slash = strrchr(path, '/')) && slash > path + 6) {
                                *slash = '\0';
                                (void)hashset_put(ret, path, 0);
                        }
                }
                return;
        }
}

void render_state_done(struct render_state *rs)
{
        hashset_done(&rs->provided);
        digest_map_done(&rs->digests);
        free(rs->manifest);
        rs->manifest = NULL;
}

#define BLOB_BLOCK (1 << 20)

struct blob_reader {
        int fd;
        EVP_MD_CTX *md;
        char *buf;
};

/* The walk's input: the blob, hashed as it is read (each byte read once). */
static ssize_t blob_read(void *userdata, const void **buf)
{
        struct blob_reader *br = userdata;
        ssize_t n = read_full(br->fd, br->buf, BLOB_BLOCK);

        if (n > 0)
                EVP_DigestUpdate(br->md, br->buf, (size_t)n);
        *buf = br->buf;
        return n;
}

static int mismatch(const char *key, const char *what, struct rk_error **reterr)
{
        return rk_error_set(reterr, EBADMSG,
                            "image %s in the store does not match its ID (its %s was changed after "
                            "the import): remove it and fetch it again",
                            key, what);
}

/*
 * Walks the blob of key with w, checking that what was extracted is the image of the ID:
 * the SHA-512 of every byte of the blob, read once, is the key. Members of group rkt may
 * own a blob (or have written one before blobs were read-only): nothing extracted from it
 * is used unless it is the image its ID names.
 */
static int walk_blob_verified(struct store *s, const char *key, struct aci_walk *w,
                              struct rk_error **reterr)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
        _cleanup_free_ char *buf = oom_check(malloc(BLOB_BLOCK));
        _cleanup_close_ int fd = -EBADF;
        struct blob_reader br = {.md = md, .buf = buf};
        unsigned char digest[EVP_MAX_MD_SIZE];
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        const void *p;
        ssize_t n;
        int r;

        r = store_open_blob(s, key, &fd, reterr);
        if (r < 0)
                return r;
        br.fd = fd;
        EVP_DigestInit_ex(md, EVP_sha512(), NULL);
        r = aci_walk_stream(blob_read, &br, w, reterr);
        while (r >= 0 && (n = blob_read(&br, &p)) != 0) /* what the tar reader left */
                if (n < 0)
                        r = rk_error_set_errno(reterr, (int)-n, "cannot read image %s", key);
        if (r < 0)
                return r;
        EVP_DigestFinal_ex(md, digest, NULL);
        hex_encode(digest, STORE_KEY_HEX / 2, hex);
        if (strcmp(hex, key + strlen(STORE_KEY_PREFIX)) != 0)
                return mismatch(key, "blob", reterr);
        return 0;
}

/* The stored manifest m of key (what the render list was built from) is the blob's own. */
static int check_blob_manifest(const char *key, const struct aci_walk *w,
                               const struct image_manifest *m, struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *own = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;
        struct rk_error *err = NULL;

        if (!w->manifest || image_manifest_parse(w->manifest, w->manifest_len, &own, &err) < 0) {
                rk_error_free(err);
                return mismatch(key, "manifest", reterr);
        }
        a = image_manifest_to_json(own, false);
        b = image_manifest_to_json(m, false);
        return strcmp(a, b) == 0 ? 0 : mismatch(key, "manifest", reterr);
}

int render_list_extract(struct store *s, const struct render_list *l, size_t from, int dirfd,
                        struct render_state *rs, struct rk_error **reterr)
{
        for (size_t i = from; i < l->n; i++) {
                struct hashset wl = HASHSET_INIT;
                struct aci_walk w = {
                        .extract_fd = dirfd,
                        .extract_rootfs = true,
                        .same_owner = userns_can_chown_images(),
                        .provided = &rs->provided,
                        .whitelist = &wl,
                        .extracted = &rs->provided,
                        .digests = &rs->digests,
                };
                int r;

                whitelist_for(l, i, &wl);
                r = walk_blob_verified(s, l->items[i].key, &w, reterr);
                if (r >= 0)
                        r = check_blob_manifest(l->items[i].key, &w, l->items[i].manifest, reterr);
                if (r >= 0 && i == 0) {
                        free(rs->manifest);
                        rs->manifest = TAKE_PTR(w.manifest);
                        rs->manifest_len = w.manifest_len;
                }
                aci_walk_done(&w);
                hashset_done(&wl);
                if (r < 0)
                        return rk_error_wrap(reterr, "cannot render image %s", l->items[i].key);
        }
        return 0;
}

static int write_marker(int dirfd, const char *name, const char *content, struct rk_error **reterr)
{
        int r = write_file_atomic_at(dirfd, name, content, strlen(content), 0644);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write tree store file %s", name);
        return 0;
}

/* Writes manifest, hash, image and (after syncfs) rendered into the tree at dirfd. */
static int tree_finish_files(const struct render_list *l, const struct render_state *rs, int dirfd,
                             struct rk_error **reterr)
{
        _cleanup_free_ char *hash = NULL, *json = NULL;
        struct stat st;
        int r;

        if (mkdirat(dirfd, "rootfs", 0755) < 0 && errno != EEXIST)
                return rk_error_set_errno(reterr, errno, "cannot create rootfs");
        /* the walk only lets a directory be rootfs; check what is on disk all the same */
        if (fstatat(dirfd, "rootfs", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                return rk_error_set(reterr, EINVAL, "invalid image: rootfs is not a directory");
        r = tree_hash_compute(dirfd, "rootfs", &rs->digests, &hash, reterr);
        if (r >= 0 && rs->manifest) { /* the image's own bytes, as rkt's renderer leaves them */
                r = write_file_atomic_at(dirfd, "manifest", rs->manifest, rs->manifest_len, 0644);
                if (r < 0)
                        r = rk_error_set_errno(reterr, -r, "cannot write tree store file manifest");
        } else if (r >= 0) {
                json = image_manifest_to_json(l->items[0].manifest, false);
                r = write_marker(dirfd, "manifest", json, reterr);
        }
        if (r >= 0)
                r = write_marker(dirfd, "hash", hash, reterr);
        if (r >= 0)
                r = write_marker(dirfd, "image", l->items[0].key, reterr);
        if (r < 0)
                return r;
        if (syncfs(dirfd) < 0)
                return rk_error_set_errno(reterr, errno, "cannot sync the tree store");
        return write_marker(dirfd, "rendered", "", reterr);
}

int tree_install(struct store *s, const struct render_list *l, const struct render_state *rs,
                 const char *tmp_path, int tmp_fd, const char *id, struct rk_error **reterr)
{
        _cleanup_free_ char *dst = xasprintf("tree/%s", id);
        off_t size = 0;
        int r;

        r = tree_finish_files(l, rs, tmp_fd, reterr);
        if (r < 0)
                return r;
        (void)rm_rf_at(s->cas_fd, dst);
        if (renameat(AT_FDCWD, tmp_path, s->cas_fd, dst) < 0)
                return rk_error_set_errno(reterr, errno, "cannot install tree %s", id);
        if (fchmodat(s->cas_fd, dst, 0755, 0) < 0)
                log_debug("cannot set the mode of %s: %m", dst);
        if (dir_size_at(s->cas_fd, dst, &size) >= 0)
                (void)store_db_set_tree_size(s, l->items[0].key, (uint64_t)size);
        return 0;
}

static bool tree_is_rendered(struct store *s, const char *id)
{
        _cleanup_free_ char *marker = xasprintf("tree/%s/rendered", id);

        return faccessat(s->cas_fd, marker, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Renders l into a fresh temporary directory and installs it as tree id. */
static int tree_render_list(struct store *s, const struct render_list *l, const char *id,
                            struct rk_error **reterr)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int tmp_fd = -EBADF;
        struct render_state rs = {0};
        int r;

        r = store_mkdtemp(s, "rkt-render-", &tmp, &tmp_fd, reterr);
        if (r < 0)
                return r;
        r = render_list_extract(s, l, 0, tmp_fd, &rs, reterr);
        if (r >= 0)
                r = tree_install(s, l, &rs, tmp, tmp_fd, id, reterr);
        render_state_done(&rs);
        if (r < 0)
                (void)rm_rf_at(AT_FDCWD, tmp);
        return r;
}

static int store_render_list(struct store *s, const char *key, struct render_list *l,
                             struct rk_error **reterr)
{
        struct image_manifest *m = NULL;
        int r;

        r = store_read_manifest(s, key, &m, reterr);
        if (r < 0)
                return r;
        r = render_list_build(s, key, m, l, reterr);
        if (r < 0)
                image_manifest_free(m);
        return r;
}

int store_render_keys(struct store *s, const char *key, char ***ret, struct rk_error **reterr)
{
        struct render_list l = {0};
        char **keys = NULL;
        int r = store_render_list(s, key, &l, reterr);

        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++)
                strv_push(&keys, l.items[i].key);
        render_list_done(&l);
        *ret = keys;
        return 0;
}

int store_tree_id(struct store *s, const char *key, char **ret_id, struct rk_error **reterr)
{
        struct render_list l = {0};
        int r = store_render_list(s, key, &l, reterr);

        if (r < 0)
                return r;
        *ret_id = render_list_tree_id(&l);
        render_list_done(&l);
        return 0;
}

int store_render(struct store *s, const char *key, char **ret_id, struct rk_error **reterr)
{
        bool rendered = false;
        struct render_list l = {0};
        _cleanup_free_ char *id = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        r = store_render_list(s, key, &l, reterr);
        if (r < 0)
                return r;
        store_touch_image(s, key);
        id = render_list_tree_id(&l);
        r = store_lock(s, "treestorelocks", id, LOCK_EX, &lock, reterr);
        if (r >= 0 && !tree_is_rendered(s, id)) {
                r = tree_render_list(s, &l, id, reterr);
                rendered = r >= 0;
        }
        render_list_done(&l);
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = TAKE_PTR(id);
        return rendered;
}

int store_tree_verify(struct store *s, const char *id, char **ret_why, struct rk_error **reterr)
{
        _cleanup_free_ char *dir = xasprintf("tree/%s", id);
        _cleanup_free_ char *want = NULL, *got = NULL;
        _cleanup_close_ int fd = -EBADF, lock = -EBADF;
        int r;

        if (!tree_is_rendered(s, id))
                return rk_error_set(reterr, ENOENT, "tree %s is not rendered", id);
        r = store_lock(s, "treestorelocks", id, LOCK_SH, &lock, reterr);
        if (r < 0)
                return r;
        fd = openat(s->cas_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? -errno : read_file_at(fd, "hash", 4096, &want, NULL);
        if (r == -ENOENT && fd >= 0) {
                *ret_why = xstrdup("the tree has no recorded hash");
                return 0;
        }
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read the hash of tree %s", id);
        if (tree_hash_compute(fd, "rootfs", NULL, &got, reterr) < 0) {
                /* an unreadable tree is a corrupt tree */
                *ret_why = xstrdup(rk_error_cause(*reterr));
                *reterr = rk_error_free(*reterr);
                return 0;
        }
        if (strcmp(want, got) != 0) {
                *ret_why = xasprintf("hash mismatch: expected %s, got %s", want, got);
                return 0;
        }
        return 1;
}

int store_tree_remove(struct store *s, const char *id, struct rk_error **reterr)
{
        _cleanup_free_ char *dir = xasprintf("tree/%s", id);
        _cleanup_free_ char *key_file = xasprintf("%s/image", dir);
        _cleanup_free_ char *key = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        r = store_lock(s, "treestorelocks", id, LOCK_EX, &lock, reterr);
        if (r < 0)
                return r;
        if (read_file_at(s->cas_fd, key_file, 4096, &key, NULL) >= 0)
                (void)store_db_set_tree_size(s, key, 0);
        r = rm_rf_at(s->cas_fd, dir);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot remove tree %s", id);
        return 0;
}

int store_tree_manifest_raw(struct store *s, const char *id, char **ret, size_t *ret_len,
                            struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("tree/%s/manifest", id);
        int r = read_regular_file_at(s->cas_fd, path, 16 << 20, ret, ret_len);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read the manifest of tree %s", id);
        return 0;
}

int store_tree_manifest(struct store *s, const char *id, struct image_manifest **ret,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *raw = NULL;
        size_t len;
        int r = store_tree_manifest_raw(s, id, &raw, &len, reterr);

        if (r < 0)
                return r;
        r = image_manifest_parse(raw, len, ret, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid manifest in tree %s", id);
        return 0;
}

int store_tree_open_rootfs(struct store *s, const char *id, int *ret_fd, struct rk_error **reterr)
{
        _cleanup_free_ char *dir = xasprintf("tree/%s/rootfs", id);
        int fd = openat(s->cas_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open tree %s", id);
        *ret_fd = fd;
        return 0;
}

int store_tree_list(struct store *s, char ***ret_ids, struct rk_error **reterr)
{
        int fd = openat(s->cas_fd, "tree", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char **ids = NULL;
        struct dirent *de;
        DIR *d;

        if (fd < 0 && errno == ENOENT) { /* a store only ever fetched into renders nothing */
                *ret_ids = NULL;
                return 0;
        }
        if (fd < 0 || !(d = fdopendir(fd))) {
                safe_close(fd);
                return rk_error_set_errno(reterr, errno, "cannot list %s/cas/tree", s->dir);
        }
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        strv_push(&ids, de->d_name);
        closedir(d);
        *ret_ids = ids;
        return 0;
}

int store_extract(struct store *s, const char *key, int dirfd, bool with_manifest,
                  struct rk_error **reterr)
{
        struct aci_walk w = {
                .extract_fd = dirfd,
                .extract_rootfs = true,
                .extract_manifest = with_manifest,
                .same_owner = userns_can_chown_images(),
        };
        int r;

        r = walk_blob_verified(s, key, &w, reterr);
        aci_walk_done(&w);
        return r;
}
