/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Choosing the stage1 image (SPEC.md §6.2): the --stage1-* flags, else the stage1.d
 * configuration and the build defaults (coreos.com/rkt/stage1-native, version = ours,
 * <libdir>/rkt/stage1-images/stage1-native.aci), falling back to the file of the same name
 * beside the rkt binary, which is how an uninstalled build finds its stage1.
 */
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "image-fetch.h"
#include "image-manifest.h"
#include "log.h"
#include "stage0.h"
#include "strv.h"

/* Whether path is the default stage1 location or inside the default directory. */
static bool stage1_trusted_path(const char *path)
{
        size_t n = strlen(RKT_STAGE1_IMAGES_DIR);

        return strncmp(path, RKT_STAGE1_IMAGES_DIR, n) == 0 && path[n] == '/';
}

/* <dir of the rkt binary>/<file>, malloc'd; NULL when /proc/self/exe is unreadable. */
static char *beside_binary(const char *file)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash;

        if (n < 0)
                return NULL;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        return slash ? xasprintf("%.*s/%s", (int)(slash - exe), exe, file) : NULL;
}

/*
 * A stage1 runs as root on the host: a store entry is one only if root imported it (its
 * blob is root's, store_image_importer()), and every dependency it renders with too. A
 * deliberate difference from rkt, which took any entry with the right name: members of
 * group rkt fetch images too.
 */
static int stage1_check_trusted(struct store *s, const char *key, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **keys = NULL;
        uid_t uid;
        int r;

        r = store_render_keys(s, key, &keys, reterr);
        STRV_FOREACH(k, keys) {
                if (r < 0)
                        break;
                r = store_image_importer(s, *k, &uid, reterr);
                if (r >= 0 && uid != 0 && strcmp(*k, key) == 0)
                        r = rk_error_set(reterr, EPERM,
                                         "stage1 image %s was not imported by root (but by uid "
                                         "%u): fetch it as root to use it as a stage1",
                                         key, (unsigned)uid);
                else if (r >= 0 && uid != 0)
                        r = rk_error_set(reterr, EPERM,
                                         "dependency %s of stage1 image %s was not imported by "
                                         "root (but by uid %u): fetch it as root to use the "
                                         "stage1",
                                         *k, key, (unsigned)uid);
        }
        return r;
}

static int stage1_from_flags(struct store *s, const struct stage0_context *ctx,
                             const struct stage1_flags *f, char **ret_key, struct rk_error **reterr)
{
        _cleanup_free_ char *path = NULL;
        unsigned flags = 0;
        int r;

        if (f->hash)
                r = image_fetch(s, ctx, f->hash, "never", 0, ret_key, reterr);
        else if (f->name)
                r = image_fetch(s, ctx, f->name, "new", 0, ret_key, reterr);
        else {
                const struct config *c = ctx->config;
                if (f->from_dir)
                        path = xasprintf("%s/%s",
                                         c && c->stage1_images_dir ? c->stage1_images_dir
                                                                   : RKT_STAGE1_IMAGES_DIR,
                                         f->from_dir);
                else
                        path = xstrdup(f->path ? f->path : f->url);
                if (stage1_trusted_path(path))
                        flags |= IMAGE_FETCH_NO_VERIFY;
                r = image_fetch(s, ctx, path, "new", flags, ret_key, reterr);
        }
        if (r >= 0 && (r = stage1_check_trusted(s, *ret_key, reterr)) < 0)
                *ret_key = (free(*ret_key), NULL);
        return r;
}

/* The stored image name:version (a stage1 named by the configuration), if root imported it. */
static int stage1_from_store(struct store *s, const char *name, const char *version, char **ret_key)
{
        struct ac_labels labels = {0};
        struct rk_error *err = NULL;
        int r;

        ac_labels_set(&labels, "version", version);
        r = store_find_by_name(s, name, &labels, ret_key, &err);
        ac_labels_done(&labels);
        if (r >= 0 && (r = stage1_check_trusted(s, *ret_key, &err)) < 0)
                *ret_key = (free(*ret_key), NULL);
        rk_error_free(err);
        if (r < 0)
                return r;
        log_with_prefix(LOG_LEVEL_DEBUG,
                        "image: ", "using image from local store for image name %s:%s", name,
                        version);
        return 0;
}

static int stage1_from_location(struct store *s, const struct stage0_context *ctx,
                                const char *location, char **ret_key, struct rk_error **reterr)
{
        _cleanup_free_ char *fallback = NULL;
        const char *base;
        int r;

        if (location[0] != '/') /* a URL */
                return image_fetch(s, ctx, location, "new", 0, ret_key, reterr);
        r = image_fetch(s, ctx, location, "new", IMAGE_FETCH_NO_VERIFY, ret_key, reterr);
        if (r >= 0)
                return r;
        base = strrchr(location, '/') + 1;
        fallback = beside_binary(base);
        if (!fallback || access(fallback, R_OK) < 0)
                return rk_error_wrap(reterr, "failed to fetch stage1 image");
        *reterr = rk_error_free(*reterr);
        r = image_fetch(s, ctx, fallback, "new", IMAGE_FETCH_NO_VERIFY, ret_key, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "failed to fetch stage1 image and failed to fall back "
                                             "to stage1 image in the rkt directory");
        return 0;
}

/* Imports file as the default stage1: it must be the image this build made. */
static int stage1_default_file(struct store *s, const struct stage0_context *ctx, const char *file,
                               char **ret_key, struct rk_error **reterr)
{
        int r = image_fetch(s, ctx, file, "new", IMAGE_FETCH_NO_VERIFY, ret_key, reterr);

        if (r < 0)
                return r;
        if (strcmp(*ret_key, ctx->stage1_default_id) == 0)
                return 0;
        r = rk_error_set(reterr, EPERM,
                         "stage1 image %s is not the one this rkt was built with (its ID is %s, "
                         "this build's is %s)",
                         file, *ret_key, ctx->stage1_default_id);
        *ret_key = (free(*ret_key), NULL);
        return r;
}

/*
 * The built-in default stage1: only the image whose ID this build recorded (stage1-ids.h),
 * from the store if root imported it, else from the default location or the file of the
 * same name beside the rkt binary. An image that merely names itself like it is never one.
 */
static int stage1_default(struct store *s, const struct stage0_context *ctx, char **ret_key,
                          struct rk_error **reterr)
{
        static const char location[] = RKT_STAGE1_IMAGES_DIR "/" STAGE1_DEFAULT_FILE;
        _cleanup_free_ char *beside = beside_binary(STAGE1_DEFAULT_FILE);
        struct rk_error *err = NULL;
        uid_t uid;
        int r;

        if (store_image_importer(s, ctx->stage1_default_id, &uid, &err) >= 0 && uid == 0) {
                log_with_prefix(LOG_LEVEL_DEBUG,
                                "image: ", "using image from local store for image name %s:%s",
                                STAGE1_DEFAULT_NAME, RKT_VERSION);
                *ret_key = xstrdup(ctx->stage1_default_id);
                return 0;
        }
        rk_error_free(err);
        if (access(location, R_OK) == 0) {
                r = stage1_default_file(s, ctx, location, ret_key, reterr);
                if (r >= 0 || !beside || access(beside, R_OK) < 0)
                        return r;
                *reterr = rk_error_free(*reterr);
        } else if (!beside || access(beside, R_OK) < 0) {
                return rk_error_set(reterr, ENOENT,
                                    "failed to fetch stage1 image: open %s: no such file or "
                                    "directory",
                                    location);
        }
        r = stage1_default_file(s, ctx, beside, ret_key, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "failed to fetch stage1 image and failed to fall back "
                                             "to stage1 image in the rkt directory");
        return 0;
}

int stage1_select(struct store *s, const struct stage0_context *ctx, const struct stage1_flags *f,
                  char **ret_key, struct rk_error **reterr)
{
        const struct config *c = ctx->config;
        const char *name, *version, *location;
        size_t vlen;
        int r;

        if (f->url || f->path || f->name || f->hash || f->from_dir)
                return stage1_from_flags(s, ctx, f, ret_key, reterr);
        if (!c || (!c->stage1_name && !c->stage1_location))
                return stage1_default(s, ctx, ret_key, reterr);
        name = c->stage1_name ? c->stage1_name : STAGE1_DEFAULT_NAME;
        version = c->stage1_name ? c->stage1_version : RKT_VERSION;
        location = c->stage1_location ? c->stage1_location
                                      : RKT_STAGE1_IMAGES_DIR "/" STAGE1_DEFAULT_FILE;
        vlen = strlen(version);
        if ((vlen < 6 || strcmp(version + vlen - 6, "-dirty") != 0) &&
            stage1_from_store(s, name, version, ret_key) >= 0)
                return 0;
        r = stage1_from_location(s, ctx, location, ret_key, reterr);
        if (r >= 0 && (r = stage1_check_trusted(s, *ret_key, reterr)) < 0)
                *ret_key = (free(*ret_key), NULL);
        return r;
}
