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

static int stage1_from_flags(struct store *s, const struct config *c, const struct stage1_flags *f,
                             char **ret_key, struct rk_error **reterr)
{
        _cleanup_free_ char *path = NULL;
        unsigned flags = 0;

        if (f->hash)
                return image_fetch(s, f->hash, "never", 0, ret_key, reterr);
        if (f->name)
                return image_fetch(s, f->name, "new", 0, ret_key, reterr);
        if (f->from_dir)
                path = xasprintf("%s/%s",
                                 c && c->stage1_images_dir ? c->stage1_images_dir
                                                           : RKT_STAGE1_IMAGES_DIR,
                                 f->from_dir);
        else
                path = xstrdup(f->path ? f->path : f->url);
        if (stage1_trusted_path(path))
                flags |= IMAGE_FETCH_NO_VERIFY;
        return image_fetch(s, path, "new", flags, ret_key, reterr);
}

/* The stored image name:version, unless the file at location is newer (a rebuilt stage1). */
static int stage1_from_store(struct store *s, const char *name, const char *version,
                             const char *location, char **ret_key)
{
        struct ac_labels labels = {0};
        struct image_info info = {0};
        struct rk_error *err = NULL;
        struct stat st;
        int r;

        ac_labels_set(&labels, "version", version);
        r = store_find_by_name(s, name, &labels, ret_key, &err);
        ac_labels_done(&labels);
        if (r < 0) {
                rk_error_free(err);
                return r;
        }
        if (location && stat(location, &st) == 0 &&
            store_get_image(s, *ret_key, &info, &err) >= 0 &&
            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec > info.import_time) {
                image_info_done(&info);
                *ret_key = (free(*ret_key), NULL);
                return -ESTALE;
        }
        rk_error_free(err);
        image_info_done(&info);
        log_with_prefix(LOG_LEVEL_DEBUG,
                        "image: ", "using image from local store for image name %s:%s", name,
                        version);
        return 0;
}

static int stage1_from_location(struct store *s, const char *location, char **ret_key,
                                struct rk_error **reterr)
{
        _cleanup_free_ char *fallback = NULL;
        const char *base;
        int r;

        if (location[0] != '/') /* a URL */
                return image_fetch(s, location, "new", 0, ret_key, reterr);
        r = image_fetch(s, location, "new", IMAGE_FETCH_NO_VERIFY, ret_key, reterr);
        if (r >= 0)
                return r;
        base = strrchr(location, '/') + 1;
        fallback = beside_binary(base);
        if (!fallback || access(fallback, R_OK) < 0)
                return rk_error_wrap(reterr, "failed to fetch stage1 image");
        *reterr = rk_error_free(*reterr);
        r = image_fetch(s, fallback, "new", IMAGE_FETCH_NO_VERIFY, ret_key, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "failed to fetch stage1 image and failed to fall back "
                                             "to stage1 image in the rkt directory");
        return 0;
}

/* The file a default stage1 would be imported from, if any: location, else the file of
 * the same name beside the rkt binary. Static storage. */
static const char *stage1_source_file(const char *location)
{
        static char *beside;

        if (location[0] != '/')
                return NULL;
        if (access(location, R_OK) == 0)
                return location;
        free(beside);
        beside = beside_binary(strrchr(location, '/') + 1);
        return beside;
}

int stage1_select(struct store *s, const struct config *c, const struct stage1_flags *f,
                  char **ret_key, struct rk_error **reterr)
{
        const char *name = STAGE1_DEFAULT_NAME, *version = RKT_VERSION;
        const char *location = RKT_STAGE1_IMAGES_DIR "/" STAGE1_DEFAULT_FILE;
        size_t vlen;

        if (f->url || f->path || f->name || f->hash || f->from_dir)
                return stage1_from_flags(s, c, f, ret_key, reterr);
        if (c && c->stage1_name) {
                name = c->stage1_name;
                version = c->stage1_version;
        }
        if (c && c->stage1_location)
                location = c->stage1_location;
        vlen = strlen(version);
        if ((vlen < 6 || strcmp(version + vlen - 6, "-dirty") != 0) &&
            stage1_from_store(s, name, version, stage1_source_file(location), ret_key) >= 0)
                return 0;
        return stage1_from_location(s, location, ret_key, reterr);
}
