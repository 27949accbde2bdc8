/* SPDX-License-Identifier: Apache-2.0 */
/* Image arguments to store keys: files are imported, IDs and names looked up. */
#include "image-fetch.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "docker-fetch.h"
#include "image-arg.h"
#include "log.h"
#include "stage0.h"

/*
 * The identity of an image file in the remote cache: its path, device, inode, size and
 * modification and change times, which any write to it changes. A file imported before and
 * unchanged since is not read again (rkt decompressed and hashed it on every run).
 */
static char *file_identity(const char *path, int fd)
{
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return NULL;
        return xasprintf("file://%s#%llx:%llx:%lld:%lld.%09ld:%lld.%09ld", path,
                         (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                         (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                         (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

/*
 * The key of an unchanged, already imported file whose blob is still in the store and was
 * imported by root or by us: the index is writable by every member of group rkt, so a row
 * another user could have written never stands for the file we were given.
 */
static int fetch_file_cached(struct store *s, const char *identity, char **ret_key)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_close_ int blob = -EBADF;
        struct stat st;

        if (!identity || store_get_remote(s, identity, ret_key, &err) < 0)
                return -ENOENT;
        if (store_open_blob(s, *ret_key, &blob, &err) < 0 || fstat(blob, &st) < 0 ||
            (st.st_uid != 0 && st.st_uid != geteuid())) {
                free(*ret_key);
                *ret_key = NULL;
                return -ENOENT;
        }
        return 0;
}

static int fetch_file(struct store *s, const char *path, char **ret_key, struct rk_error **reterr)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_free_ char *identity = NULL;
        _cleanup_close_ int fd = -EBADF;
        unsigned flags = IMPORT_RENDER;
        int r;

        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "using image from file %s", path);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) { /* Go's *PathError, as rkt reports it */
                int e = errno;
                _cleanup_free_ char *why = strerror_go(e);

                return rk_error_set(reterr, e, "open %s: %s", path, why);
        }
        identity = file_identity(path, fd);
        if (fetch_file_cached(s, identity, ret_key) >= 0) {
                log_with_prefix(LOG_LEVEL_DEBUG,
                                "image: ", "%s is unchanged since it was imported as %s", path,
                                *ret_key);
                return 0;
        }
        if (isatty(STDERR_FILENO))
                flags |= IMPORT_PROGRESS;
        r = store_import_aci(s, fd, path, flags, ret_key, reterr);
        if (r >= 0 && identity && store_put_remote(s, identity, *ret_key, &err) < 0)
                log_debug("cannot remember %s: %s", path, rk_error_cause(err));
        return r;
}

static int fetch_name(struct store *s, const char *arg, const char *pull_policy, char **ret_key,
                      struct rk_error **reterr)
{
        int r;

        if (strcmp(pull_policy, "update") == 0)
                return rk_error_set(reterr, ENOTSUP,
                                    "unable to fetch image from image name \"%s\": appc "
                                    "discovery is not available in this build; fetch the image "
                                    "from a file, or use --pull-policy=never to use the local "
                                    "store",
                                    arg);
        r = store_resolve_image_arg(s, arg, ret_key, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "unable to fetch image from image name \"%s\"", arg);
        log_with_prefix(LOG_LEVEL_DEBUG,
                        "image: ", "using image from local store for image name %s", arg);
        return 0;
}

static int fetch_hash(struct store *s, const char *arg, char **ret_key, struct rk_error **reterr)
{
        int r = store_resolve_key(s, arg, ret_key, reterr);

        if (r < 0)
                return rk_error_wrap(reterr, "could not resolve image \"%s\"", arg);
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "using image from the store with hash %s",
                        *ret_key);
        return 0;
}

static void docker_options(const struct stage0_context *ctx, const char *arg,
                           struct docker_fetch_options *o, char **ret_registry)
{
        const struct config *c = ctx->config;
        char *registry = docker_fetch_registry(arg);

        *o = (struct docker_fetch_options){
                .allow_http = ctx->insecure & INSECURE_HTTP,
                .insecure_tls = ctx->insecure & INSECURE_TLS,
                .progress = isatty(STDERR_FILENO),
                .render = true,
        };
        for (size_t i = 0; c && registry && i < c->n_docker_auth; i++)
                if (strcmp(c->docker_auth[i].registry, registry) == 0) {
                        o->user = c->docker_auth[i].user;
                        o->password = c->docker_auth[i].password;
                }
        *ret_registry = registry;
}

/* docker:// and the local Docker/OCI formats: no signatures exist (SPEC.md §5.5). */
static int fetch_docker(struct store *s, const struct stage0_context *ctx, const char *arg,
                        enum image_arg_kind kind, const char *pull_policy, char **ret_key,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *registry = NULL;
        struct docker_fetch_options o;
        int r;

        if (!(ctx->insecure & INSECURE_IMAGE))
                return rk_error_set(reterr, ENOTSUP,
                                    "signature verification for docker images is not supported "
                                    "(try --insecure-options=image)");
        docker_options(ctx, arg, &o, &registry);
        if (kind == IMAGE_ARG_LOCAL_DOCKER)
                return docker_fetch_local(s, arg, &o, ret_key, reterr);
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "remote fetching from URL \"%s\"", arg);
        r = docker_fetch(s, arg, pull_policy, &o, ret_key, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "unable to fetch docker image from URL \"%s\"", arg);
        return 0;
}

int image_fetch(struct store *s, const struct stage0_context *ctx, const char *arg,
                const char *pull_policy, unsigned flags, char **ret_key, struct rk_error **reterr)
{
        _cleanup_free_ char *value = NULL;
        enum image_arg_kind kind;

        if (image_arg_classify(arg, &kind, &value) < 0)
                return rk_error_set(reterr, EINVAL, "%s", value);
        switch (kind) {
        case IMAGE_ARG_HASH:
                return fetch_hash(s, arg, ret_key, reterr);
        case IMAGE_ARG_NAME:
                return fetch_name(s, arg, pull_policy, ret_key, reterr);
        case IMAGE_ARG_DOCKER:
        case IMAGE_ARG_LOCAL_DOCKER:
                return fetch_docker(s, ctx, arg, kind, pull_policy, ret_key, reterr);
        case IMAGE_ARG_HTTP:
                return rk_error_set(reterr, ENOTSUP,
                                    "fetching %s is not available in this build: only local "
                                    "image files and the local store are supported",
                                    arg);
        case IMAGE_ARG_PATH:
                break;
        }
        if (!(ctx->insecure & INSECURE_IMAGE) && !(flags & IMAGE_FETCH_NO_VERIFY))
                return rk_error_set(reterr, ENOTSUP,
                                    "signature verification is not available in this build, "
                                    "so \"%s\" cannot be verified: pass "
                                    "--insecure-options=image to fetch it without verifying its "
                                    "signature",
                                    arg);
        return fetch_file(s, value, ret_key, reterr);
}
