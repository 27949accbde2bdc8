/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt trust (SPEC.md §3.14): adds keys to the local keystore, for a prefix of image names or
 * (--root) for every image; keys from files, https:// URLs, or the prefix's discovery.
 */
#include <string.h>

#include "cli-store.h"
#include "commands.h"
#include "pubkey.h"
#include "stage0.h"
#include "strv.h"
#include "types.h"

static char *arg_prefix;
static bool arg_root, arg_allow_http, arg_skip_review;

static const struct flag trust_flags[] = {
        {"prefix", FLAG_STRING, &arg_prefix, .def = "", .usage = "prefix to limit trust to",
         .quote_default = true},
        {"root", FLAG_BOOL, &arg_root, .def = "false",
         .usage = "add root key from filesystem without a prefix"},
        {"skip-fingerprint-review", FLAG_BOOL, &arg_skip_review, .def = "false",
         .usage = "accept key without fingerprint confirmation"},
        {"insecure-allow-http", FLAG_BOOL, &arg_allow_http, .def = "false",
         .usage = "allow HTTP use for key discovery and/or retrieval"},
        {NULL},
};

/* The scheme of Go's url.Parse(prefix), NULL when it has none. */
static char *prefix_scheme(const char *p)
{
        size_t n;

        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                return NULL;
        n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
        return p[n] == ':' ? oom_check(strndup(p, n)) : NULL;
}

static int trust_run(const struct command *cmd, int argc, char **argv)
{
        const char *prefix = arg_prefix && *arg_prefix ? arg_prefix : NULL;
        struct pubkey_options o = {.allow_http = arg_allow_http, .skip_review = arg_skip_review};
        _cleanup_strv_free_ char **located = NULL;
        _cleanup_free_ char *scheme = NULL;
        const struct stage0_context *ctx;
        struct rk_error *err = NULL;
        char *const *keys = argv;

        if (!prefix && !arg_root) {
                if (argc == 0)
                        return cli_usage(cmd);
                return cli_fail("aborting due to implicit unbounded trust (root domain)\n"
                                "Please provide a specific domain prefix to trust:\n"
                                "    rkt trust --prefix \"example.com/foo\" [PUBKEY]\n"
                                "    rkt trust --prefix \"example.com/foo/*\" [PUBKEY]\n"
                                "Otherwise, trust at the root domain (not recommended) must be "
                                "explicitly requested:\n"
                                "    rkt trust --root PUBKEY");
        }
        if (prefix && arg_root)
                return cli_fail("--root and --prefix usage mutually exclusive");
        if (arg_global.insecure & INSECURE_IMAGE)
                return cli_fail("could not get the keystore");
        scheme = prefix ? prefix_scheme(prefix) : NULL;
        if (scheme)
                return cli_fail("--prefix must not contain a URL scheme, omit %s://", scheme);
        if (prefix && !ac_identifier_is_valid(prefix))
                return cli_fail("invalid --prefix \"%s\": a prefix is an image name (lower case "
                                "letters and digits, separated by one of \"-._~/\")",
                                prefix);
        ctx = cli_stage0_context();
        if (!ctx)
                return EXIT_RKT_ERROR;
        o.trust_keys_from_https = ctx->trust_keys_from_https;
        if (argc == 0) {
                if (stage0_pubkey_locations(ctx, prefix, &o, &located, &err) < 0) {
                        rk_error_wrap(&err, "error determining key location");
                        return cli_report(err);
                }
                keys = located;
        }
        if (stage0_pubkey_add(ctx, keys, prefix, &o, &err) < 0) {
                rk_error_wrap(&err, "error adding keys");
                return cli_report(err);
        }
        return 0;
}

const struct command cmd_trust = {
        .name = "trust",
        .short_desc = "Trust a key for image verification",
        .usage = "[--prefix=PREFIX] [--insecure-allow-http] [--skip-fingerprint-review] [--root] "
                 "[PUBKEY ...]",
        .long_desc = "Adds keys to the local keystore for use in verifying signed images.\n"
                     "\n"
                     "PUBKEY may be either a local file or URL.\n"
                     "\n"
                     "PREFIX scopes the applicability of PUBKEY to image names sharing PREFIX.\n"
                     "\n"
                     "Meta discovery of PUBKEY at PREFIX will be attempted if no PUBKEY is "
                     "specified.\n"
                     "\n"
                     "To trust a key for all images instead of for specific images, --root can "
                     "be\n"
                     "specified. Path to a key file must be given (no discovery).",
        .flags = trust_flags,
        .run = trust_run,
};
