/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt image extract (SPEC.md §3.17): the image alone (no dependencies) untarred into DIR,
 * or with --rootfs-only its rootfs, extracted under D/cas/tmp and moved into place.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cli-store.h"
#include "commands.h"
#include "fs-util.h"
#include "path-util.h"

static bool arg_overwrite, arg_rootfs_only;

static const struct flag extract_flags[] = {
        {"overwrite", FLAG_BOOL, &arg_overwrite, .def = "false",
         .usage = "overwrite output directory"},
        {"rootfs-only", FLAG_BOOL, &arg_rootfs_only, .def = "false",
         .usage = "extract rootfs only"},
        {NULL},
};

static int extract_full(struct store *s, const char *key, const char *dir, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;

        if (mkdir(dir, 0755) < 0)
                return rk_error_set_errno(reterr, errno, "cannot create %s", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open %s", dir);
        return store_extract(s, key, fd, true, reterr);
}

/* Moves tmp/rootfs to dir, copying when they are on different file systems. */
static int move_rootfs(int tmp_fd, const char *dir, struct rk_error **reterr)
{
        int r;

        if (renameat(tmp_fd, "rootfs", AT_FDCWD, dir) >= 0)
                return 0;
        if (errno != EXDEV)
                return rk_error_set_errno(reterr, errno, "cannot move rootfs to %s", dir);
        r = copy_tree_at(tmp_fd, "rootfs", AT_FDCWD, dir);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot copy rootfs to %s", dir);
        return 0;
}

static int extract_rootfs_only(struct store *s, const char *key, const char *dir,
                               struct rk_error **reterr)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int tmp_fd = -EBADF;
        int r;

        r = store_mkdtemp(s, "rkt-image-extract-", &tmp, &tmp_fd, reterr);
        if (r < 0)
                return r;
        r = store_extract(s, key, tmp_fd, false, reterr);
        if (r >= 0 && mkdirat(tmp_fd, "rootfs", 0755) < 0 && errno != EEXIST)
                r = rk_error_set_errno(reterr, errno, "cannot create rootfs");
        if (r >= 0)
                r = move_rootfs(tmp_fd, dir, reterr);
        (void)rm_rf_at(AT_FDCWD, tmp);
        return r;
}

static int image_extract_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *key = NULL, *dir = NULL;
        struct rk_error *err = NULL;
        int r;

        if (argc != 2)
                return cli_usage(cmd);
        dir = path_absolute(argv[1]);
        if (cli_open_store(&s) < 0 || cli_resolve_image(s, argv[0], &key) < 0)
                return EXIT_RKT_ERROR;
        r = cli_prepare_output_dir(dir, arg_overwrite, &err);
        if (r >= 0)
                r = arg_rootfs_only ? extract_rootfs_only(s, key, dir, &err)
                                    : extract_full(s, key, dir, &err);
        if (r < 0)
                return cli_report(err);
        return 0;
}

const struct command cmd_image_extract = {
        .name = "extract",
        .short_desc = "Extract a stored image to a directory",
        .usage = "IMAGE OUTPUT_DIR",
        .long_desc = "IMAGE should be a string referencing an image: either a ID or an image "
                     "name.\n"
                     "\n"
                     "Note that in order to make cleaning up easy (just rm -rf), extract does not "
                     "use\n"
                     "overlayfs or any other mechanism.",
        .flags = extract_flags,
        .run = image_extract_run,
};
