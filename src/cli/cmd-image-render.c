/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt image render (SPEC.md §3.17): the image rendered with its dependencies in the tree
 * store, copied to DIR/rootfs (or DIR with --rootfs-only) with DIR/manifest.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cli-store.h"
#include "commands.h"
#include "fs-util.h"
#include "image-manifest.h"
#include "log.h"

static bool arg_overwrite, arg_rootfs_only;

static const struct flag render_flags[] = {
        {"overwrite", FLAG_BOOL, &arg_overwrite, .def = "false",
         .usage = "overwrite output directory"},
        {"rootfs-only", FLAG_BOOL, &arg_rootfs_only, .def = "false", .usage = "render rootfs only"},
        {NULL},
};

static int render_manifest(struct store *s, const char *key, const char *dir,
                           struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        _cleanup_free_ char *json = NULL, *path = xasprintf("%s/manifest", dir);
        int r;

        r = store_read_manifest(s, key, &m, reterr);
        if (r < 0)
                return r;
        json = image_manifest_to_json(m, false);
        r = write_file_atomic_at(AT_FDCWD, path, json, strlen(json), 0700);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write %s", path);
        return 0;
}

/* Rebuilds the tree when it no longer matches its recorded hash, as rkt does. */
static int render_check(struct store *s, const char *key, const char *id, struct rk_error **reterr)
{
        _cleanup_free_ char *why = NULL;
        int r = store_tree_verify(s, id, &why, reterr);

        if (r != 0)
                return r < 0 ? r : 0;
        log_warning("warning: tree cache is in a bad state. Rebuilding...");
        r = store_tree_remove(s, id, reterr);
        return r < 0 ? r : store_render(s, key, NULL, reterr);
}

static int render_to(struct store *s, const char *key, const char *dir, struct rk_error **reterr)
{
        _cleanup_free_ char *id = NULL, *rootfs = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = store_render(s, key, &id, reterr);
        if (r == 0) /* a tree rendered before may have been changed since: check it */
                r = render_check(s, key, id, reterr);
        if (r >= 0)
                r = store_tree_open_rootfs(s, id, &fd, reterr);
        if (r < 0)
                return r;
        if (!arg_rootfs_only && mkdir(dir, 0755) < 0)
                return rk_error_set_errno(reterr, errno, "cannot create %s", dir);
        rootfs = arg_rootfs_only ? xstrdup(dir) : xasprintf("%s/rootfs", dir);
        r = copy_tree_at(fd, ".", AT_FDCWD, rootfs);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot copy the rendered image to %s",
                                          rootfs);
        return arg_rootfs_only ? 0 : render_manifest(s, key, dir, reterr);
}

static int image_render_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *key = NULL;
        struct rk_error *err = NULL;
        int r;

        if (argc != 2)
                return cli_usage(cmd);
        if (cli_open_store(&s) < 0 || cli_resolve_image(s, argv[0], &key) < 0)
                return EXIT_RKT_ERROR;
        r = cli_prepare_output_dir(argv[1], arg_overwrite, &err);
        if (r >= 0)
                r = render_to(s, key, argv[1], &err);
        if (r < 0)
                return cli_report(err);
        return 0;
}

const struct command cmd_image_render = {
        .name = "render",
        .short_desc = "Render a stored image to a directory with all its dependencies",
        .usage = "IMAGE OUTPUT_DIR",
        .long_desc = "IMAGE should be a string referencing an image: either a ID or an image "
                     "name.\n"
                     "\n"
                     "This differs from extract in that the rendered image is in the state the "
                     "app\n"
                     "would see when running in rkt, dependencies and all.\n"
                     "\n"
                     "Note that in order to make cleaning up easy (just rm -rf), this does not "
                     "use\n"
                     "overlayfs or any other mechanism.",
        .flags = render_flags,
        .run = image_render_run,
};
