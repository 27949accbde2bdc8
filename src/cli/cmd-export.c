/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt export (SPEC.md §3.11): an app of an exited pod as a gzip ACI: its image manifest
 * and its root filesystem as the app left it (the overlay of its image and its upper
 * directory, or the copied rootfs of a pod without overlay).
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "aci.h"
#include "cli-store.h"
#include "commands.h"
#include "fs-util.h"
#include "pod-cli.h"
#include "stage0.h"

static bool arg_overwrite;
static char *arg_export_app;

static const struct flag export_flags[] = {
        {"app", FLAG_STRING, &arg_export_app, .def = "",
         .usage = "name of the app to export within the specified pod"},
        {"overwrite", FLAG_BOOL, &arg_overwrite, .def = "false", .usage = "overwrite output ACI"},
        {NULL},
};

/* Copies the file data of the current disk entry into the archive: its blocks at their
 * offsets, zeros between them (holes of a sparse entry, which the writer leaves out). */
static int copy_data(struct archive *disk, struct aci_writer *w, la_int64_t size,
                     struct rk_error **reterr)
{
        const void *buf;
        size_t len;
        la_int64_t off, pos = 0;
        int r;

        while ((r = archive_read_data_block(disk, &buf, &len, &off)) == ARCHIVE_OK) {
                if (off < pos || off + (la_int64_t)len > size)
                        return rk_error_set(reterr, EIO, "%s changed while it was read",
                                            archive_entry_pathname(w->e));
                r = aci_writer_zeros(w, (uint64_t)(off - pos), reterr);
                if (r >= 0)
                        r = aci_writer_data(w, buf, len, reterr);
                if (r < 0)
                        return r;
                pos = off + (la_int64_t)len;
        }
        if (r != ARCHIVE_EOF)
                return rk_error_set(reterr, EIO, "cannot read %s: %s", archive_entry_pathname(w->e),
                                    archive_error_string(disk) ?: "read error");
        return aci_writer_zeros(w, (uint64_t)(size - pos), reterr);
}

/* Adds the tree rootfs_dir as "rootfs/..." (owners numeric, symlinks not followed; the ids
 * of a --private-users pod as the pod saw them). */
static int write_rootfs(struct aci_writer *w, const char *rootfs_dir,
                        const struct userns_range *userns, struct rk_error **reterr)
{
        struct archive *disk = archive_read_disk_new();
        size_t n = strlen(rootfs_dir);
        int r = 0;

        if (archive_read_disk_open(disk, rootfs_dir) != ARCHIVE_OK)
                r = rk_error_set(reterr, EIO, "cannot read %s: %s", rootfs_dir,
                                 archive_error_string(disk) ?: "read error");
        archive_read_disk_set_symlink_physical(disk);
        while (r >= 0 && archive_read_next_header2(disk, w->e) == ARCHIVE_OK) {
                _cleanup_free_ char *name = xasprintf("rootfs%s", archive_entry_pathname(w->e) + n);

                archive_read_disk_descend(disk);
                archive_entry_set_pathname(w->e, name);
                archive_entry_set_uname(w->e, NULL);
                archive_entry_set_gname(w->e, NULL);
                if (userns) {
                        archive_entry_set_uid(
                                w->e,
                                userns_range_unshift(userns, (uint32_t)archive_entry_uid(w->e)));
                        archive_entry_set_gid(
                                w->e,
                                userns_range_unshift(userns, (uint32_t)archive_entry_gid(w->e)));
                }
                r = aci_writer_header(w, NULL, reterr);
                if (r >= 0 && archive_entry_filetype(w->e) == AE_IFREG &&
                    archive_entry_size(w->e) > 0)
                        r = copy_data(disk, w, archive_entry_size(w->e), reterr);
                archive_entry_clear(w->e);
        }
        archive_read_free(disk);
        return r;
}

static int build_aci(const char *out, const char *manifest, size_t len, const char *rootfs,
                     const struct userns_range *userns)
{
        _cleanup_close_ int fd = -EBADF;
        struct aci_writer w = {0};
        struct rk_error *err = NULL;
        int r;

        fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC | (arg_overwrite ? O_TRUNC : O_EXCL), 0644);
        if (fd < 0 && errno == EEXIST)
                return cli_fail("error building aci: target file exists (try --overwrite)");
        if (fd < 0)
                return cli_fail("error building aci: cannot create %s: %m", out);
        r = aci_writer_open(&w, fd, true, &err);
        if (r >= 0)
                r = aci_writer_manifest(&w, manifest, len, &err);
        if (r >= 0)
                r = write_rootfs(&w, rootfs, userns, &err);
        if (r >= 0)
                r = aci_writer_close(&w, &err);
        aci_writer_done(&w);
        if (r < 0) {
                (void)unlink(out);
                rk_error_prefix(&err, "error building aci");
                return cli_report(err);
        }
        return 0;
}

/* Whether path is a mount point (its device differs from its parent's). */
static bool is_mount_point(const char *path)
{
        _cleanup_free_ char *parent = xasprintf("%s/..", path);
        struct stat a, b;

        return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* Whether anything is mounted below dir (read from /proc/self/mountinfo). */
static bool has_mounts_below(const char *dir)
{
        _cleanup_free_ char *info = NULL, *prefix = xasprintf(" %s/", dir);

        return read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 24, &info, NULL) >= 0 &&
               strstr(info, prefix);
}

/* An overlay pod whose app mount is gone: mount it again under D/tmp. */
static int export_mount(struct store *s, struct pod *p, const char *app, char **ret_tmp,
                        char **ret_rootfs)
{
        _cleanup_free_ char *id_file = xasprintf("appsinfo/%s/treeStoreID", app), *id = NULL;
        _cleanup_free_ char *tmp = xasprintf("%s/tmp/rkt-export-%sXXXXXX", s->dir, p->uuid);
        struct rk_error *err = NULL;
        char *rootfs;

        if (read_file_at(p->fd, id_file, 4096, &id, NULL) < 0)
                return cli_fail("cannot read %s/%s: %m", p->path, id_file);
        if (!mkdtemp(tmp))
                return cli_fail("cannot create a temporary directory in %s/tmp: %m", s->dir);
        rootfs = xasprintf("%s/rootfs", tmp);
        if (mkdir(rootfs, 0755) < 0 || stage0_mount_overlay(s, p, id, app, rootfs, &err) < 0) {
                (void)rm_rf_at(AT_FDCWD, tmp);
                free(rootfs);
                return err ? cli_report(err) : cli_fail("cannot create %s: %m", tmp);
        }
        *ret_tmp = TAKE_PTR(tmp);
        *ret_rootfs = rootfs;
        return 0;
}

/*
 * Opens P/stage1/rootfs/opt/stage2/<app>/rootfs without following a link on the way: an app
 * that may trace rewrote S1 while the pod ran (a link there named any host directory).
 * Returns the directory's fd or -errno (-ELOOP, -ENOTDIR: a link; -ENOENT).
 */
static int app_rootfs_open(const struct pod *p, const char *app)
{
        _cleanup_free_ char *rel = xasprintf("stage1/rootfs/opt/stage2/%s/rootfs", app);

        return open_dir_nofollow(p->fd, rel);
}

static int export_app(struct store *s, struct pod *p, const char *app, const char *out)
{
        _cleanup_free_ char *mf = xasprintf("appsinfo/%s/manifest", app), *manifest = NULL;
        _cleanup_free_ char *named =
                xasprintf("%s/stage1/rootfs/opt/stage2/%s/rootfs", p->path, app);
        _cleanup_free_ char *tmp = NULL, *rootfs = NULL;
        _cleanup_close_ int rootfd = -EBADF;
        struct userns_range range;
        size_t len;
        int r;

        if (read_file_at(p->fd, mf, 16 << 20, &manifest, &len) < 0)
                return cli_fail("cannot read %s/%s: %m", p->path, mf);
        r = pod_read_userns_range(p->fd, &range);
        if (r < 0 && r != -ENOENT)
                return cli_fail("cannot read %s/private-users-prepared: %s", p->path, strerror(-r));
        bool userns = r >= 0;
        rootfd = app_rootfs_open(p, app);
        /* the tree is read through the fd: "/proc/self/fd/N/." names it whatever S1 holds */
        if (rootfd >= 0)
                rootfs = xasprintf("/proc/self/fd/%d/.", rootfd);
        if (pod_uses_overlay(p) && (!rootfs || !is_mount_point(rootfs))) {
                free(rootfs);
                rootfs = NULL;
                r = export_mount(s, p, app, &tmp, &rootfs);
                if (r != 0)
                        return r;
        } else if (!rootfs)
                return cli_fail("cannot open %s: %s", named, strerror(-rootfd));
        else if (!pod_uses_overlay(p) && has_mounts_below(named))
                return cli_fail("pod has remaining mountpoints. Only pods using overlayfs or with "
                                "no mountpoints can be exported");
        r = build_aci(out, manifest, len, rootfs, userns ? &range : NULL);
        if (tmp && (umount2(rootfs, MNT_DETACH) < 0 || rm_rf_at(AT_FDCWD, tmp) < 0)) {
                cli_fail("cannot remove the temporary export directory %s: %m", tmp);
                return r != 0 ? r : 1; /* as rkt: a failure after the export exits 1 */
        }
        return r;
}

static int export_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_free_ char *app = NULL;
        size_t n;
        int r;

        if (argc != 2)
                return cli_usage(cmd);
        n = strlen(argv[1]);
        if (n < 4 || strcmp(argv[1] + n - 4, ".aci") != 0)
                return cli_fail("extension must be .aci (given %s)", argv[1]);
        if (!cli_data_dir() || cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        if (mkdirat(s->dir_fd, "tmp", 02750) < 0 && errno != EEXIST)
                return cli_fail("cannot create %s/tmp: %m", s->dir);
        if (cli_pod_open(s->dir, argv[0], "problem retrieving pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (p->state != POD_STATE_EXITED && p->state != POD_STATE_EXITED_GARBAGE)
                return cli_fail("pod is not exited. Only exited pods can be exported");
        r = cli_pod_app(p, arg_export_app, "export", &app);
        return r != 0 ? r : export_app(s, p, app, argv[1]);
}

const struct command cmd_export = {
        .name = "export",
        .short_desc = "Export an app from an exited pod to an ACI file",
        .usage = "[--app=APPNAME] UUID OUTPUT_ACI_FILE",
        .long_desc = "UUID should be the uuid of an exited pod.",
        .flags = export_flags,
        .run = export_run,
};
