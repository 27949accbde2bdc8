/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Importing an ACI: decompress-and-hash into an anonymous O_TMPFILE blob (so a killed
 * import leaves no file behind), validate every entry while (as root) extracting the
 * rootfs for the tree store, then make the image visible: link the blob, write the
 * manifest, commit the index row, install the rendered tree.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "aci.h"
#include "fs-util.h"
#include "image-manifest.h"
#include "log.h"
#include "store-private.h"
#include "store-tree.h"

struct import {
        struct store *s;
        unsigned flags;
        int blob_fd;
        char *key;
        uint64_t size;
        bool existed;
        struct image_manifest *manifest;
        char *tmp;       /* render directory, NULL when not rendering */
        int tmp_fd;
        struct hashset provided;
        struct render_list deps;
        struct timespec last_progress;
};

static void import_done(struct import *im)
{
        safe_close(im->blob_fd);
        safe_close(im->tmp_fd);
        if (im->tmp)
                (void)rm_rf_at(AT_FDCWD, im->tmp);
        free(im->tmp);
        free(im->key);
        hashset_done(&im->provided);
        if (im->deps.n > 0)
                render_list_done(&im->deps); /* owns the manifest */
        else
                image_manifest_free(im->manifest);
}

static void import_progress(uint64_t done, uint64_t total, void *userdata)
{
        struct import *im = userdata;
        struct timespec now;
        int width = 40, filled;

        clock_gettime(CLOCK_MONOTONIC, &now);
        if (done < total && now.tv_sec * 10 + now.tv_nsec / 100000000 ==
                                    im->last_progress.tv_sec * 10 +
                                            im->last_progress.tv_nsec / 100000000)
                return;
        im->last_progress = now;
        filled = total ? (int)((double)done / (double)total * width) : 0;
        fprintf(stderr, "\rImporting ACI: [%.*s%*s] %.1f MB/%.1f MB", filled,
                "========================================", width - filled, "",
                (double)done / 1e6, (double)total / 1e6);
        if (done >= total)
                fputc('\n', stderr);
}

static int import_open_blob(struct import *im, struct rk_error **reterr)
{
        im->blob_fd = openat(im->s->cas_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0660);
        if (im->blob_fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot create a temporary file in "
                                          "%s/cas/tmp", im->s->dir);
        return 0;
}

static bool tree_rendered_for(struct import *im)
{
        struct rk_error *err = NULL;
        _cleanup_free_ char *id = NULL, *marker = NULL;

        if (store_tree_id(im->s, im->key, &id, &err) < 0) {
                rk_error_free(err);
                return false;
        }
        marker = xasprintf("tree/%s/rendered", id);
        return faccessat(im->s->cas_fd, marker, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Pass 2: validate the tar, read the manifest, extract the rootfs when rendering. */
static int import_walk(struct import *im, struct rk_error **reterr)
{
        struct aci_walk w = {
                .extract_fd = -1,
                .extract_rootfs = true,
                .same_owner = geteuid() == 0,
                .provided = &im->provided,
                .extracted = &im->provided,
        };
        int r;

        if (im->flags & IMPORT_RENDER) {
                r = store_mkdtemp(im->s, "rkt-import-", &im->tmp, &im->tmp_fd, reterr);
                if (r < 0)
                        return r;
                w.extract_fd = im->tmp_fd;
        }
        if (lseek(im->blob_fd, 0, SEEK_SET) < 0)
                return rk_error_set_errno(reterr, errno, "cannot rewind the image blob");
        r = aci_walk(im->blob_fd, &w, reterr);
        if (r >= 0)
                r = image_manifest_parse(w.manifest, w.manifest_len, &im->manifest, reterr);
        aci_walk_done(&w);
        if (r < 0)
                return r;
        if (im->flags & IMPORT_RENDER)
                return render_list_build(im->s, im->key, im->manifest, &im->deps, reterr);
        return 0;
}

static int import_link_blob(struct import *im, struct rk_error **reterr)
{
        _cleanup_free_ char *sub = store_key_subpath(im->key);
        _cleanup_free_ char *dir = xasprintf("blob/sha512/%.2s", im->key + 7);
        _cleanup_free_ char *dst = xasprintf("blob/%s", sub);
        _cleanup_free_ char *tmp = xasprintf("tmp/rkt-blob-%s-%d", im->key + 7, (int)getpid());
        _cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", im->blob_fd);

        if (mkdirat(im->s->cas_fd, dir, 02770) == 0)
                store_chown(im->s, im->s->cas_fd, dir);
        if (fchmod(im->blob_fd, 0660) < 0 || fsync(im->blob_fd) < 0)
                return rk_error_set_errno(reterr, errno, "cannot write the image blob");
        store_chown(im->s, im->blob_fd, "");
        (void)unlinkat(im->s->cas_fd, tmp, 0);
        if (linkat(AT_FDCWD, proc, im->s->cas_fd, tmp, AT_SYMLINK_FOLLOW) < 0)
                return rk_error_set_errno(reterr, errno, "cannot store the image blob");
        if (renameat(im->s->cas_fd, tmp, im->s->cas_fd, dst) < 0) {
                int e = errno;
                (void)unlinkat(im->s->cas_fd, tmp, 0);
                return rk_error_set_errno(reterr, e, "cannot store the image blob");
        }
        return 0;
}

static int import_write_manifest(struct import *im, struct rk_error **reterr)
{
        _cleanup_free_ char *sub = store_key_subpath(im->key);
        _cleanup_free_ char *dir = xasprintf("imageManifest/sha512/%.2s", im->key + 7);
        _cleanup_free_ char *dst = xasprintf("imageManifest/%s", sub);
        _cleanup_free_ char *json = image_manifest_to_json(im->manifest, false);
        mode_t old = umask(0);
        int r;

        if (mkdirat(im->s->cas_fd, dir, 02770) == 0)
                store_chown(im->s, im->s->cas_fd, dir);
        r = write_file_atomic_at(im->s->cas_fd, dst, json, strlen(json), 0660);
        umask(old);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot store the image manifest");
        store_chown(im->s, im->s->cas_fd, dst);
        return 0;
}

/* Makes the image visible: blob, manifest, then the index row. */
static int import_commit(struct import *im, struct rk_error **reterr)
{
        struct image_info info = {
                .key = im->key,
                .name = im->manifest->name,
                .version = (char *)ac_labels_get(&im->manifest->labels, "version"),
                .size = im->size,
        };
        _cleanup_close_ int lock = -EBADF;
        int r;

        r = store_lock(im->s, "imagelocks", im->key, LOCK_EX, &lock, reterr);
        if (r >= 0)
                r = import_link_blob(im, reterr);
        if (r >= 0)
                r = import_write_manifest(im, reterr);
        if (r >= 0)
                r = store_db_upsert_image(im->s, &info, reterr);
        return r;
}

/* Extracts the dependencies into the render directory and installs the tree. */
static int import_render(struct import *im, struct rk_error **reterr)
{
        _cleanup_free_ char *id = render_list_tree_id(&im->deps);
        _cleanup_close_ int lock = -EBADF;
        int r;

        r = store_lock(im->s, "treestorelocks", id, LOCK_EX, &lock, reterr);
        if (r >= 0)
                r = render_list_extract(im->s, &im->deps, 1, im->tmp_fd, &im->provided, reterr);
        if (r >= 0)
                r = tree_install(im->s, &im->deps, im->tmp, im->tmp_fd, id, reterr);
        if (r >= 0)
                im->tmp = (free(im->tmp), NULL); /* renamed into place */
        return r;
}

static int import_run(struct import *im, int fd, struct rk_error **reterr)
{
        struct image_info old = {0};
        struct rk_error *err = NULL;
        int r;

        r = import_open_blob(im, reterr);
        if (r >= 0)
                r = aci_decompress(fd, im->blob_fd, im->flags & IMPORT_PROGRESS ? import_progress
                                                                               : NULL,
                                   im, &im->key, &im->size, reterr);
        if (r < 0)
                return r;
        im->existed = store_get_image(im->s, im->key, &old, &err) >= 0;
        err = rk_error_free(err);
        image_info_done(&old);
        if (im->existed && (!(im->flags & IMPORT_RENDER) || tree_rendered_for(im)))
                im->flags &= ~(unsigned)IMPORT_RENDER;
        r = import_walk(im, reterr);
        if (r >= 0)
                r = import_commit(im, reterr);
        if (r >= 0 && (im->flags & IMPORT_RENDER)) {
                r = import_render(im, reterr);
                if (r < 0 && !im->existed && store_remove_image(im->s, im->key, &err) < 0)
                        rk_error_free(err);
        }
        return r;
}

int store_import_aci(struct store *s, int fd, const char *what, unsigned flags, char **ret_key,
                     struct rk_error **reterr)
{
        struct import im = {.s = s, .flags = flags, .blob_fd = -EBADF, .tmp_fd = -EBADF};
        enum aci_compression c;
        int r;

        if (geteuid() != 0)
                im.flags &= ~(unsigned)IMPORT_RENDER;
        r = aci_sniff(fd, &c, reterr);
        if (r >= 0)
                r = import_run(&im, fd, reterr);
        if (r >= 0)
                *ret_key = TAKE_PTR(im.key);
        import_done(&im);
        return r;
}
