/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Preparing a pod directory (SPEC.md §6.5): the stage1 and every app image rendered into
 * the tree store; without overlayfs their rootfs are copied into the pod, with it the pod
 * gets upper and work directories for the overlays mounted at run time (§6.6).
 */
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "fs-util.h"
#include "image-manifest.h"
#include "log.h"
#include "stage0.h"
#include "userns.h"

#define AUFS_MAGIC 0x61756673
#define ZFS_MAGIC  0x2FC12FC1

bool stage0_overlay_supported(const char *data_dir, char **ret_why)
{
        _cleanup_free_ char *fs = NULL;
        struct statfs sf;

        if (read_file_at(AT_FDCWD, "/proc/filesystems", 1 << 20, &fs, NULL) < 0 ||
            !strstr(fs, "nodev\toverlay\n")) {
                *ret_why = xstrdup("overlay entry not present in /proc/filesystems");
                return false;
        }
        if (statfs(data_dir, &sf) == 0 && (sf.f_type == AUFS_MAGIC || sf.f_type == ZFS_MAGIC)) {
                *ret_why = xasprintf("unsupported filesystem: %s",
                                     sf.f_type == AUFS_MAGIC ? "aufs" : "zfs");
                return false;
        }
        return true;
}

static int write_pod_file(int dirfd, const char *name, const char *data, mode_t mode,
                          struct rk_error **reterr)
{
        /* the pod directory is only committed by its rename out of prepare/ (synced then) */
        int r = write_file_new_at(dirfd, name, data, strlen(data), mode);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write %s", name);
        return 0;
}

static int make_dir(int dirfd, const char *path, mode_t mode, struct rk_error **reterr)
{
        int r = mkdir_p_at(dirfd, path, mode);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot create %s", path);
        return 0;
}

/* Copies the rendered tree of id to dirfd/dst. */
static int copy_tree(struct store *s, const char *id, int dirfd, const char *dst,
                     struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int r = store_tree_open_rootfs(s, id, &fd, reterr);

        if (r < 0)
                return r;
        r = copy_tree_at(fd, ".", dirfd, dst);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot copy image tree %s", id);
        return 0;
}

/* The merged root of an overlay takes the upper directory's owner and mode: give it those
 * of the image's root (not the pod directory's setgid group), as the pod's ids with userns. */
static int match_root_attrs(struct store *s, const char *id, int dirfd, const char *upper,
                            const struct userns_range *userns, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r = store_tree_open_rootfs(s, id, &fd, reterr);

        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return rk_error_set_errno(reterr, errno, "cannot set up %s", upper);
        if (userns) {
                st.st_uid = userns_range_shift(userns, st.st_uid);
                st.st_gid = userns_range_shift(userns, st.st_gid);
        }
        if (fchownat(dirfd, upper, st.st_uid, st.st_gid, 0) < 0 ||
            fchmodat(dirfd, upper, st.st_mode & 07777, 0) < 0)
                return rk_error_set_errno(reterr, errno, "cannot set up %s", upper);
        return 0;
}

/* The pod's root owns dirfd/path (userns: the overlay work directory of an app). */
static int own_dir(int dirfd, const char *path, const struct userns_range *userns,
                   struct rk_error **reterr)
{
        if (userns && fchownat(dirfd, path, userns->shift, userns->shift, 0) < 0)
                return rk_error_set_errno(reterr, errno, "cannot set up %s", path);
        return 0;
}

/* Copies the tree of id to dirfd/dst, as the pod's ids with userns. */
static int copy_tree_shifted(struct store *s, const char *id, int dirfd, const char *dst,
                             const struct userns_range *userns, struct rk_error **reterr)
{
        int r = copy_tree(s, id, dirfd, dst, reterr);

        if (r >= 0 && userns && (r = userns_shift_tree_at(dirfd, dst, userns)) < 0)
                return rk_error_set_errno(reterr, -r, "cannot shift the owners of %s", dst);
        return r;
}

/*
 * The manifest of image key for the pod's files, as the tree has its bytes (rendered from the
 * verified blob), which must be the manifest stage0 built the pod from (read from
 * D/cas/imageManifest, which members of group rkt write): a manifest changed after the
 * import (an isolator added, an entrypoint moved) is refused, never run.
 */
static int verified_manifest(struct store *s, const char *key, const char *id,
                             const struct image_manifest *used, char **ret_json,
                             struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *tree = NULL;
        _cleanup_free_ char *raw = NULL, *json = NULL, *want = NULL;
        size_t len;
        int r = store_tree_manifest_raw(s, id, &raw, &len, reterr);

        if (r >= 0)
                r = image_manifest_parse(raw, len, &tree, reterr);
        if (r < 0)
                return r;
        json = image_manifest_to_json(tree, false);
        want = image_manifest_to_json(used, false);
        if (strcmp(json, want) != 0)
                return rk_error_set(reterr, EBADMSG,
                                    "image %s in the store does not match its ID (its manifest "
                                    "was changed after the import): remove it and fetch it "
                                    "again",
                                    key);
        *ret_json = TAKE_PTR(raw); /* the image's own bytes, as rkt wrote them */
        return 0;
}

/* Renders key, records the tree ID in dirfd/id_file, and copies or prepares overlay dirs:
 * copy_to is the rootfs path for copies; upper/work the overlay directories. *ret_manifest
 * is the image's verified manifest (verified_manifest()). */
static int prepare_image(struct store *s, struct pod *p, const char *key,
                         const struct image_manifest *used, const char *id_file,
                         const char *copy_to, const char *sub, bool overlay,
                         const struct userns_range *userns, char **ret_manifest,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *id = NULL, *upper = NULL, *work = NULL;
        int r;

        r = store_render(s, key, &id, reterr);
        if (r >= 0)
                r = verified_manifest(s, key, id, used, ret_manifest, reterr);
        if (r < 0)
                return r;
        if (id_file && (r = write_pod_file(p->fd, id_file, id, 0640, reterr)) < 0)
                return r;
        if (!overlay)
                return copy_tree_shifted(s, id, p->fd, copy_to, userns, reterr);
        upper = xasprintf("overlay/%s/upper%s%s", id, sub ? "/" : "", sub ? sub : "");
        work = xasprintf("overlay/%s/work%s%s", id, sub ? "/" : "", sub ? sub : "");
        r = make_dir(p->fd, upper, 0755, reterr);
        if (r >= 0)
                r = match_root_attrs(s, id, p->fd, upper, userns, reterr);
        if (r >= 0)
                r = make_dir(p->fd, work, 0755, reterr);
        if (r >= 0)
                r = own_dir(p->fd, work, userns, reterr);
        if (r >= 0 && copy_to) /* the overlay mount point */
                r = make_dir(p->fd, copy_to, 0755, reterr);
        return r;
}

/*
 * S1/opt/stage2, where the apps' root filesystems are, is root-only (a deliberate difference
 * from rkt's 0755): a member of group rkt may read a pod's records but must not reach a
 * setuid file an app made. With overlayfs the directory is made in the stage1's upper
 * directory (its attributes are the merged directory's); a copy is changed in place.
 */
static int protect_stage2(struct pod *p, const char *id, bool overlay, struct rk_error **reterr)
{
        _cleanup_free_ char *upper = xasprintf("overlay/%s/upper", id);
        _cleanup_free_ char *opt = xasprintf("%s/opt", overlay ? upper : "stage1/rootfs");
        _cleanup_free_ char *stage2 = xasprintf("%s/stage2", opt);
        int r;

        r = make_dir(p->fd, opt, 0755, reterr);
        if (r >= 0)
                r = make_dir(p->fd, stage2, 0700, reterr);
        if (r >= 0 && fchmodat(p->fd, stage2, 0700, 0) < 0)
                r = rk_error_set_errno(reterr, errno, "cannot protect %s", stage2);
        return r;
}

static int prepare_stage1(struct store *s, struct pod *p, const char *key, bool overlay,
                          struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        _cleanup_free_ char *manifest = NULL, *id = NULL;
        int r;

        r = make_dir(p->fd, "stage1", 0750, reterr);
        if (r >= 0)
                r = store_read_manifest(s, key, &m, reterr);
        if (r >= 0)
                r = prepare_image(s, p, key, m, "stage1TreeStoreID", "stage1/rootfs", NULL, overlay,
                                  NULL, &manifest, reterr);
        if (r >= 0) /* its entrypoints: the verified manifest's */
                r = write_pod_file(p->fd, "stage1/manifest", manifest, 0640, reterr);
        if (r >= 0)
                r = store_tree_id(s, key, &id, reterr);
        if (r >= 0)
                r = protect_stage2(p, id, overlay, reterr);
        return r;
}

int stage0_prepare_app(struct store *s, struct pod *p, const struct stage0_app *a, bool overlay,
                       const struct userns_range *userns, struct rk_error **reterr)
{
        _cleanup_free_ char *info = xasprintf("appsinfo/%s", a->name);
        _cleanup_free_ char *info_manifest = xasprintf("%s/manifest", info);
        _cleanup_free_ char *id_file = xasprintf("%s/treeStoreID", info);
        _cleanup_free_ char *stage2 = xasprintf("stage1/rootfs/opt/stage2/%s", a->name);
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", stage2);
        _cleanup_free_ char *stage2_manifest = xasprintf("%s/manifest", stage2);
        _cleanup_free_ char *manifest = NULL;
        int r;

        r = make_dir(p->fd, info, 0750, reterr);
        if (r >= 0 && !overlay)
                r = make_dir(p->fd, stage2, 0750, reterr);
        if (r >= 0 && !overlay)
                r = own_dir(p->fd, stage2, userns, reterr);
        if (r >= 0)
                r = prepare_image(s, p, a->key, a->manifest, overlay ? id_file : NULL,
                                  overlay ? NULL : rootfs, a->name, overlay, userns, &manifest,
                                  reterr);
        if (r >= 0)
                r = write_pod_file(p->fd, info_manifest, manifest, 0640, reterr);
        if (r >= 0 && !overlay)
                r = write_pod_file(p->fd, stage2_manifest, manifest, 0640, reterr);
        return r;
}

int stage0_prepare(struct store *s, struct pod *p, const char *stage1_key,
                   const struct stage0_app *apps, size_t n, const struct pod_manifest *manifest,
                   bool overlay, const struct userns_range *userns, struct rk_error **reterr)
{
        _cleanup_free_ char *text = pod_manifest_to_json(manifest, false);
        int r;

        /* rkt renders images owned by group rkt, and says so when there is none */
        if (userns_is_host() && !getgrnam("rkt"))
                log_warning("group \"rkt\" not found, will use default gid when rendering images");
        r = make_dir(p->fd, "appsinfo", 0750, reterr);
        if (r >= 0 && overlay) /* the apps' upper directories: root-only (see protect_stage2) */
                r = make_dir(p->fd, "overlay", 0700, reterr);
        if (r >= 0)
                r = prepare_stage1(s, p, stage1_key, overlay, reterr);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = stage0_prepare_app(s, p, &apps[i], overlay, userns, reterr);
        if (r >= 0)
                r = write_pod_file(p->fd, "pod.lck", "", 0600, reterr);
        if (r >= 0) {
                log_with_prefix(LOG_LEVEL_DEBUG, "stage0: ", "Writing pod manifest");
                r = write_pod_file(p->fd, "pod", text, 0640, reterr);
        }
        if (r >= 0)
                r = write_pod_file(p->fd, "pod-created", "", 0640, reterr);
        if (r >= 0 && overlay)
                r = write_pod_file(p->fd, "overlay-prepared", "", 0640, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "error setting up stage0");
        return 0;
}

void stage0_apps_free(struct stage0_app *apps, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(apps[i].key);
                free(apps[i].name);
                image_manifest_free(apps[i].manifest);
        }
        free(apps);
}
