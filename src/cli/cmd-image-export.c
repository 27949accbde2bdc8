/* SPDX-License-Identifier: Apache-2.0 */
/* rkt image export (SPEC.md §3.17): the stored (uncompressed) ACI, byte for byte. */
#include <fcntl.h>
#include <string.h>

#include "cli-store.h"
#include "commands.h"
#include "fs-util.h"

static bool arg_overwrite;

static const struct flag export_flags[] = {
        {"overwrite", FLAG_BOOL, &arg_overwrite, .def = "false", .usage = "overwrite output ACI"},
        {NULL},
};

static int image_export_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        struct rk_error *err = NULL;
        int r;

        if (argc != 2)
                return cli_usage(cmd);
        if (cli_open_store(&s) < 0 || cli_resolve_image(s, argv[0], &key) < 0)
                return EXIT_RKT_ERROR;
        if (store_open_blob(s, key, &in, &err) < 0)
                return cli_report(err);
        out = open(argv[1],
                   O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | (arg_overwrite ? O_TRUNC : O_EXCL),
                   0644);
        if (out < 0 && errno == EEXIST)
                return cli_fail("output ACI file exists (try --overwrite)");
        if (out < 0)
                return cli_fail("unable to create %s: %m", argv[1]);
        r = copy_fd(in, out);
        if (r < 0)
                return cli_fail("unable to write %s: %s", argv[1], strerror(-r));
        if (close(TAKE_FD(out)) < 0) {
                /* as rkt: a failure after the copy exits 1 */
                cli_fail("unable to close %s: %m", argv[1]);
                return 1;
        }
        return 0;
}

const struct command cmd_image_export = {
        .name = "export",
        .short_desc = "Export a stored image to an ACI file",
        .usage = "IMAGE OUTPUT_ACI_FILE",
        .long_desc = "IMAGE should be a string referencing an image: either an ID or an image "
                     "name.\n"
                     "\n"
                     "Note that images must be fetched prior to running export and that this "
                     "command\n"
                     "always returns uncompressed ACIs",
        .flags = export_flags,
        .run = image_export_run,
};
