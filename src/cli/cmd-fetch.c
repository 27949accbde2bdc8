/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt fetch (and the hidden rkt image fetch), SPEC.md §3.4: brings images into the store
 * and prints their IDs. Local files (paths and file:// URLs) are imported; IDs resolve in
 * the store; names resolve in the store under --pull-policy=never|new.
 */
#include <fcntl.h>
#include <string.h>

#include "cli-store.h"
#include "commands.h"
#include "flags.h"
#include "image-fetch.h"
#include "log.h"
#include "strv.h"

static char **arg_signatures;
static bool arg_store_only, arg_no_store, arg_full;
static char *arg_pull_policy;

static const struct flag fetch_flags[] = {
        {"signature", FLAG_STRV, &arg_signatures,
         .usage = "local signature file to use in validating the preceding image"},
        {"store-only", FLAG_BOOL, &arg_store_only, .def = "false",
         .deprecated = "please use --pull-policy=never"},
        {"no-store", FLAG_BOOL, &arg_no_store, .def = "false",
         .deprecated = "please use --pull-policy=update"},
        {"full", FLAG_BOOL, &arg_full, .def = "false",
         .usage = "print the full image hash after fetching"},
        {"pull-policy", FLAG_STRING, &arg_pull_policy, .def = "update",
         .usage = "when to pull an image"},
        {NULL},
};

struct fetch_image {
        char *arg;
        char *signature;
};

/*
 * Splits the words after the leading flags into images with their --signature (SPEC.md
 * §4.1); fetch's other flags may stand among them (rkt's TestFetchFullHash: `fetch
 * --pull-policy=new IMAGE --full`) and are parsed as if they came first.
 */
static int fetch_parse_images(int argc, char **argv, struct fetch_image **ret, size_t *ret_n,
                              struct rk_error **reterr)
{
        static const struct flag *const tables[] = {fetch_flags, NULL};
        _cleanup_free_ struct fetch_image *v = NULL;
        _cleanup_strv_free_ char **flags = NULL, **rest = NULL;
        _cleanup_free_ char *msg = NULL;
        size_t n = 0;
        bool help = false;

        for (int i = 0; i < argc; i++) {
                const char *w = argv[i];

                if (strcmp(w, "--") == 0 || strcmp(w, "---") == 0)
                        return rk_error_set(reterr, EINVAL,
                                            "unable to parse arguments: app "
                                            "arguments unsupported");
                if (strncmp(w, "--signature", 11) == 0 && (w[11] == '=' || w[11] == '\0')) {
                        const char *val = w[11] ? w + 12 : i + 1 < argc ? argv[++i] : NULL;

                        if (n == 0 || !val)
                                return rk_error_set(reterr, EINVAL,
                                                    "unable to parse arguments: "
                                                    "--signature must follow an image");
                        v[n - 1].signature = (char *)val;
                        continue;
                }
                if (w[0] == '-' && w[1]) {
                        const char *name = w + strspn(w, "-");
                        const struct flag *f = flag_find(tables, name, strcspn(name, "="));

                        strv_push(&flags, w);
                        if (f && !strchr(w, '=') && flag_takes_value(f) && i + 1 < argc)
                                strv_push(&flags, argv[++i]);
                        continue;
                }
                v = oom_check(realloc(v, (n + 1) * sizeof(*v)));
                v[n++] = (struct fetch_image){(char *)w, NULL};
        }
        if (flags &&
            flags_parse(tables, (int)strv_length(flags), flags, true, &rest, &help, &msg) < 0)
                return rk_error_set(reterr, EINVAL, "unable to parse arguments: %s", msg);
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

static const char *pull_policy(void)
{
        if (arg_store_only)
                return "never";
        if (arg_no_store)
                return "update";
        return arg_pull_policy ? arg_pull_policy : "update";
}

static int fetch_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_free_ struct fetch_image *imgs = NULL;
        struct rk_error *err = NULL;
        const struct stage0_context *ctx;
        size_t n = 0;

        if (arg_store_only && arg_no_store)
                return cli_fail("both --store-only and --no-store specified");
        if (fetch_parse_images(argc, argv, &imgs, &n, &err) < 0)
                return cli_report(err);
        if (n == 0)
                return cli_fail("must provide at least one image");
        if (strv_index((const char *const[]){"new", "update", "never", NULL}, pull_policy()) < 0)
                return cli_fail("invalid pull policy \"%s\": use new, update or never",
                                pull_policy());
        ctx = cli_stage0_context(); /* the configuration: the credentials of auth.d */
        if (!ctx)
                return EXIT_RKT_ERROR;
        if (cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *key = NULL;

                if (image_fetch(s, ctx, imgs[i].arg, pull_policy(), 0, &key, &err) < 0)
                        return cli_report(err);
                printf("%.*s\n", arg_full ? STORE_KEY_LEN : 7 + 32, key);
                fflush(stdout);
        }
        return 0;
}

const struct command cmd_fetch = {
        .name = "fetch",
        .short_desc = "Fetch image(s) and store them in the local store",
        .usage = "IMAGE_URL...",
        .long_desc = "Locates and downloads remote ACIs and their attached signatures.\n"
                     "\n"
                     "If the ACI is available in the local store, the image will not be fetched\n"
                     "again.",
        .flags = fetch_flags,
        .run = fetch_run,
        .no_interspersed = true,
};

const struct command cmd_image_fetch = {
        .name = "fetch",
        .short_desc = "Fetch image(s) and store them in the local store",
        .usage = "IMAGE_URL...",
        .flags = fetch_flags,
        .run = fetch_run,
        .no_interspersed = true,
        .hidden = true,
};
