/* SPDX-License-Identifier: Apache-2.0 */
/* rkt image cat-manifest (SPEC.md §3.17): the stored manifest, re-marshalled. */
#include "cli-store.h"
#include "commands.h"
#include "image-manifest.h"

static bool arg_pretty = true;

static const struct flag cat_flags[] = {
        {"pretty-print", FLAG_BOOL, &arg_pretty, .def = "true",
         .usage = "apply indent to format the output"},
        {NULL},
};

static int image_cat_manifest_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        _cleanup_free_ char *key = NULL, *json = NULL;
        struct rk_error *err = NULL;

        if (argc != 1)
                return cli_usage(cmd);
        if (cli_open_store(&s) < 0 || cli_resolve_image(s, argv[0], &key) < 0)
                return EXIT_RKT_ERROR;
        if (store_read_manifest(s, key, &m, &err) < 0)
                return cli_report(err);
        json = image_manifest_to_json(m, arg_pretty);
        printf("%s\n", json);
        return 0;
}

const struct command cmd_image_cat_manifest = {
        .name = "cat-manifest",
        .short_desc = "Inspect and print the image manifest",
        .usage = "IMAGE",
        .long_desc = "IMAGE should be a string referencing an image; either a ID or an image name.",
        .flags = cat_flags,
        .run = image_cat_manifest_run,
};
