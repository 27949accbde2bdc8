/* SPDX-License-Identifier: Apache-2.0 */
/* rkt image verify (SPEC.md §3.17): checks rendered trees against their recorded hash and
 * rebuilds the broken ones. */
#include <errno.h>

#include "cli-store.h"
#include "commands.h"
#include "log.h"

static int verify_one(struct store *s, const char *arg, const char *key)
{
        _cleanup_free_ char *id = NULL, *why = NULL;
        struct rk_error *err = NULL;
        int r;

        if (store_tree_id(s, key, &id, &err) < 0)
                return cli_report(err);
        r = store_tree_verify(s, id, &why, &err);
        if (r == -ENOENT) {
                rk_error_free(err);
                printf("image \"%s\" not rendered; no verification needed\n", arg);
                return 0;
        }
        if (r < 0)
                return cli_report(err);
        if (r > 0) {
                printf("successfully verified checksum for image: \"%s\" (\"%s\")\n", arg, key);
                return 0;
        }
        printf("tree cache verification failed for image %s: %s;  rebuilding...\n", arg, why);
        fflush(stdout);
        if (store_tree_remove(s, id, &err) < 0 || store_render(s, key, NULL, &err) < 0) {
                log_error("unable to repair cache for image %s: %s", arg, rk_error_cause(err));
                rk_error_free(err);
                return EXIT_RKT_ERROR;
        }
        return 0;
}

static int image_verify_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;

        if (argc == 0)
                return cli_fail("must provide at least one image ID");
        if (cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        for (int i = 0; i < argc; i++) {
                _cleanup_free_ char *key = NULL;
                struct rk_error *err = NULL;

                if (store_resolve_image_arg(s, argv[i], &key, &err) < 0) {
                        cli_fail("unable to resolve store key for image %s: %s", argv[i],
                                 rk_error_cause(err));
                        rk_error_free(err);
                        return EXIT_RKT_ERROR;
                }
                if (verify_one(s, argv[i], key) != 0)
                        return EXIT_RKT_ERROR;
        }
        return 0;
}

const struct command cmd_image_verify = {
        .name = "verify",
        .short_desc = "Verify one or more rendered images in the local store",
        .usage = "IMAGE...",
        .long_desc = "Verify is able to check that, based on the stored hash value, a rendered "
                     "image on disk has not changed.\n"
                     "\n"
                     "This command may be used if the user suspects disk corruption might have "
                     "damaged the rkt store.",
        .run = image_verify_run,
};
