/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt image rm (SPEC.md §3.17). As in rkt, an argument that resolves to no image is
 * reported but does not make the exit status non-zero; removal failures do.
 */
#include "cli-store.h"
#include "commands.h"
#include "image-rm.h"
#include "log.h"
#include "strv.h"

static int image_rm_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_strv_free_ char **keys = NULL;

        if (argc == 0)
                return cli_fail("must provide at least one image ID");
        if (cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        for (int i = 0; i < argc; i++) {
                struct rk_error *err = NULL;
                char *key = NULL;

                /* rkt prints the cause alone here, without "cannot find image" */
                if (store_resolve_image_arg(s, argv[i], &key, &err) < 0) {
                        cli_report_cause(err);
                        continue;
                }
                if (strv_contains(keys, key))
                        free(key);
                else
                        strv_consume(&keys, key);
        }
        return image_rm_keys(s, keys) < 0 ? EXIT_RKT_ERROR : 0;
}

const struct command cmd_image_rm = {
        .name = "rm",
        .short_desc = "Remove one or more images with the given IDs or image names from the "
                      "local store",
        .usage = "IMAGE...",
        .long_desc = "Unlike image gc, image rm allows users to remove specific images.",
        .run = image_rm_run,
};
