/* SPDX-License-Identifier: Apache-2.0 */
/* Trusting keys: locating, downloading, showing, reviewing and storing them (pubkey.h). */
#include "pubkey.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "discovery.h"
#include "escape.h"
#include "format-util.h"
#include "fs-util.h"
#include "http-client.h"
#include "keystore.h"
#include "log.h"
#include "pgp.h"
#include "stage0.h"
#include "strv.h"
#include "types.h"
#include "verify.h"

#define KEY_TIMEOUT_S 120 /* rkt's: keys are small */

static void log_failed_attempt(const char *prefix, const char *why, void *userdata)
{
        const struct stage0_context *ctx = userdata;

        if (ctx->debug)
                log_with_prefix(LOG_LEVEL_DEBUG,
                                "pubkey: ", "meta tag 'ac-discovery-pubkeys' not found on %s: %s",
                                prefix, why);
}

int stage0_pubkey_locations(const struct stage0_context *ctx, const char *prefix,
                            const struct pubkey_options *o, char ***ret, struct rk_error **reterr)
{
        struct http_client http;
        struct discovery_request rq = {
                .name = prefix,
                .http = &http,
                .allow_http = o->allow_http,
                .on_attempt_failed = log_failed_attempt,
                .userdata = (void *)ctx,
        };
        char **keys = NULL;
        int r;

        if (!prefix || !*prefix)
                return rk_error_set(reterr, EINVAL, "empty prefix");
        stage0_http_client(ctx, &http);
        http.progress = false;
        r = discovery_pubkeys(&rq, &keys, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "prefix meta discovery error");
        if (!keys)
                return rk_error_set(reterr, ENOENT, "meta discovery on %s resulted in no keys",
                                    prefix);
        *ret = keys;
        return 0;
}

/* The length of location's URL scheme ("https" -> 5), 0 when it has none. */
static size_t scheme_len(const char *s)
{
        size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

        return n > 0 && s[n] == ':' && ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z') ? n : 0;
}

static int key_from_file(const char *path, char **ret, size_t *ret_len, struct rk_error **reterr)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        if (fd < 0) {
                int e = errno;
                _cleanup_free_ char *why = strerror_go(e);

                return rk_error_set(reterr, e, "open %s: %s", path, why);
        }
        buf = oom_check(malloc(PGP_MAX_SIZE + 2));
        n = read_full(fd, buf, PGP_MAX_SIZE + 1);
        if (n < 0)
                return rk_error_set_errno(reterr, (int)-n, "read %s", path);
        if (n > PGP_MAX_SIZE)
                return rk_error_set(reterr, EFBIG, "%s is larger than %d bytes", path,
                                    PGP_MAX_SIZE);
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = (size_t)n;
        return 0;
}

static int key_from_url(const struct stage0_context *ctx, const char *url, char **ret,
                        size_t *ret_len, struct rk_error **reterr)
{
        struct http_request req = {
                .url = url, .out_fd = -1, .max_size = PGP_MAX_SIZE, .timeout_s = KEY_TIMEOUT_S};
        struct http_response resp;
        struct http_client http;
        int r;

        stage0_http_client(ctx, &http);
        r = http_get(&http, &req, &resp, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "error getting key");
        if (resp.status != 200) {
                r = rk_error_set(reterr, EPROTO, "bad HTTP status code: %ld", resp.status);
                http_response_done(&resp);
                return r;
        }
        *ret = TAKE_PTR(resp.body);
        *ret_len = resp.len;
        http_response_done(&resp);
        return 0;
}

/* The key bytes at location (rkt's getPubKey). *ret_https: it came over https. */
static int key_get(const struct stage0_context *ctx, const char *location,
                   const struct pubkey_options *o, char **ret, size_t *ret_len, bool *ret_https,
                   struct rk_error **reterr)
{
        size_t n = scheme_len(location);

        *ret_https = false;
        if (n == 0)
                return key_from_file(location, ret, ret_len, reterr);
        if (n == 4 && strncasecmp(location, "http", 4) == 0 && !o->allow_http)
                return rk_error_set(reterr, EPERM, "--insecure-allow-http required for http URLs");
        if ((n == 4 && strncasecmp(location, "http", 4) == 0) ||
            (n == 5 && strncasecmp(location, "https", 5) == 0)) {
                *ret_https = n == 5;
                return key_from_url(ctx, location, ret, ret_len, reterr);
        }
        return rk_error_set(reterr, EPROTONOSUPPORT,
                            "only local files and http or https URLs supported");
}

/* rkt's displayKey: the summary on stderr, fingerprints and identities on stdout. */
static void key_display(const char *prefix, const char *location, const struct pgp_key *keys,
                        size_t n)
{
        _cleanup_free_ char *qp = format_go_quote(prefix), *ql = format_go_quote(location);

        log_with_prefix(LOG_LEVEL_INFO, "pubkey: ", "prefix: %s\nkey: %s", qp, ql);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *f = pgp_fingerprint_format(keys[i].fingerprint);

                printf("gpg key fingerprint is: %s\n", f);
                STRV_FOREACH(sub, keys[i].subkeys) {
                        _cleanup_free_ char *sf = pgp_fingerprint_format(*sub);

                        printf("    Subkey fingerprint: %s\n", sf);
                }
                STRV_FOREACH(u, keys[i].uids) {
                        _cleanup_free_ char *safe = escape_nonprint(*u, NULL);

                        printf("\t%s\n", safe);
                }
        }
        fflush(stdout);
}

/* Asks on the terminal; 1 for yes, 0 for no. */
static int key_review(const char *prefix, struct rk_error **reterr)
{
        char line[256];

        if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
                _cleanup_free_ char *q = format_go_quote(prefix);

                log_with_prefix(LOG_LEVEL_INFO,
                                "pubkey: ", "To trust the key for %s, do one of the following:", q);
                log_with_prefix(LOG_LEVEL_INFO,
                                "pubkey: ", " - call rkt with --trust-keys-from-https");
                log_with_prefix(LOG_LEVEL_INFO, "pubkey: ", " - run: rkt trust --prefix %s", q);
                return rk_error_set(reterr, ENOTTY,
                                    "error reviewing key: unable to ask user to review "
                                    "fingerprint due to lack of tty");
        }
        for (;;) {
                printf("Are you sure you want to trust this key (yes/no)?\n");
                fflush(stdout);
                if (!fgets(line, sizeof(line), stdin)) {
                        rk_error_set(reterr, EIO, "error reading input: EOF");
                        return rk_error_wrap(reterr, "error reviewing key");
                }
                if (strcmp(line, "yes\n") == 0)
                        return 1;
                if (strcmp(line, "no\n") == 0)
                        return 0;
                printf("Please enter 'yes' or 'no'\n");
        }
}

static int key_store(const struct stage0_context *ctx, const char *prefix,
                     const struct pgp_key *first, const char *data, size_t len,
                     struct rk_error **reterr)
{
        struct keystore ks = stage0_keystore(ctx);
        _cleanup_free_ char *path = NULL, *qpath = NULL, *qp = NULL;
        int r;

        r = keystore_store(&ks, prefix, first->fingerprint, data, len, &path, reterr);
        if (r < 0) {
                if (!prefix)
                        return rk_error_wrap(reterr, "error adding root key");
                qp = format_go_quote(prefix);
                return rk_error_wrap(reterr, "error adding key for prefix %s", qp);
        }
        qpath = format_go_quote(path);
        if (!prefix)
                printf("Added root key at %s\n", qpath);
        else {
                qp = format_go_quote(prefix);
                printf("Added key for prefix %s at %s\n", qp, qpath);
        }
        fflush(stdout);
        return 0;
}

/* One location: get, show, review, store. */
static int pubkey_add_one(const struct stage0_context *ctx, const char *location,
                          const char *prefix, const struct pubkey_options *o,
                          struct rk_error **reterr)
{
        _cleanup_free_ char *data = NULL, *ql = NULL, *qp = NULL;
        struct pgp_key *keys = NULL;
        size_t len = 0, n = 0;
        bool https = false, force;
        int r;

        r = key_get(ctx, location, o, &data, &len, &https, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "error accessing the key %s", location);
        r = pgp_keys_read(data, len, &keys, &n, reterr);
        if (r < 0) {
                rk_error_wrap(reterr, "error reading key");
                return rk_error_wrap(reterr, "error displaying the key %s", location);
        }
        key_display(prefix ? prefix : "", location, keys, n);
        force = o->skip_review || (o->trust_keys_from_https && https);
        if (!force) {
                r = key_review(prefix ? prefix : "", reterr);
                if (r <= 0) {
                        if (r == 0) {
                                ql = format_go_quote(location);
                                log_with_prefix(LOG_LEVEL_INFO, "pubkey: ", "not trusting %s", ql);
                        }
                        pgp_keys_free(keys, n);
                        return r;
                }
        }
        ql = format_go_quote(location);
        qp = format_go_quote(prefix ? prefix : "");
        printf("Trusting %s for prefix %s %s fingerprint review.\n", ql, qp,
               force ? "without" : "after");
        fflush(stdout);
        r = key_store(ctx, prefix, &keys[0], data, len, reterr);
        pgp_keys_free(keys, n);
        return r;
}

int stage0_pubkey_add(const struct stage0_context *ctx, char *const *locations, const char *prefix,
                      const struct pubkey_options *o, struct rk_error **reterr)
{
        for (size_t i = 0; locations && locations[i]; i++) {
                int r = pubkey_add_one(ctx, locations[i], prefix, o, reterr);

                if (r < 0)
                        return r;
        }
        return 0;
}
