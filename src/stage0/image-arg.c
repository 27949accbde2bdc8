/* SPDX-License-Identifier: Apache-2.0 */
/* Image argument classification, in rkt's order: hash, URL scheme, then path-or-name. */
#include "image-arg.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "path-util.h"

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* rkt's guess for words without a scheme. */
static bool looks_like_path(const char *arg)
{
        struct stat st;

        if (arg[0] == '/')
                return true;
        if (stat(arg, &st) == 0 && S_ISREG(st.st_mode))
                return true;
        if (strchr(arg, ':'))
                return false;
        return strstr(arg, "./") || ends_with(arg, ".aci");
}

/* The scheme of arg ("" when none): letters, digits, "+-." then "://" or ":". */
static size_t scheme_len(const char *arg)
{
        size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");

        return n > 0 && arg[n] == ':' ? n : 0;
}

int image_arg_classify(const char *arg, enum image_arg_kind *ret_kind, char **ret_value)
{
        size_t n = scheme_len(arg);

        if (strncmp(arg, "sha512-", 7) == 0) {
                *ret_kind = IMAGE_ARG_HASH;
        } else if (n == 6 && strncmp(arg, "docker", 6) == 0) {
                *ret_kind = IMAGE_ARG_DOCKER;
        } else if ((n == 14 && strncmp(arg, "docker-archive", 14) == 0) ||
                   (n == 3 && strncmp(arg, "oci", 3) == 0)) {
                *ret_kind = IMAGE_ARG_LOCAL_DOCKER;
        } else if ((n == 4 && strncmp(arg, "file", 4) == 0) ||
                   ((n == 4 || n == 5) && strncmp(arg, "http", 4) == 0 &&
                    (n == 4 || arg[4] == 's'))) {
                const char *path = strncmp(arg + n, "://", 3) == 0 ? arg + n + 3 : arg + n + 1;

                if (!ends_with(arg, ".aci")) {
                        *ret_value = xasprintf("invalid image string \"%s\"", arg);
                        return -EINVAL;
                }
                *ret_kind = arg[0] == 'f' ? IMAGE_ARG_PATH : IMAGE_ARG_HTTP;
                *ret_value = arg[0] == 'f' ? path_absolute(path) : xstrdup(arg);
                return 0;
        } else if (n == 0 && looks_like_path(arg)) {
                *ret_kind = IMAGE_ARG_PATH;
                *ret_value = path_absolute(arg);
                return 0;
        } else {
                *ret_kind = IMAGE_ARG_NAME;
        }
        *ret_value = xstrdup(arg);
        return 0;
}
