/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci:PATH[:REF] — an OCI image layout directory (skopeo's spelling) to the store. The
 * manifest is chosen by its org.opencontainers.image.ref.name annotation (or is the only
 * one); an index selects this machine's platform; every blob read is checked against its
 * digest. docker-archive:PATH[:REF] is read by docker-archive.c; both convert and import
 * the same way as docker:// images.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>

#include "crypto-util.h"
#include "docker-archive.h"
#include "docker-fetch.h"
#include "docker-image.h"
#include "docker-manifest.h"
#include "docker-ref.h"
#include "format-util.h"
#include "fs-util.h"
#include "json-util.h"
#include "log.h"
#include "strv.h"

#define REF_ANNOTATION "org.opencontainers.image.ref.name"

/* Reads the whole of a layout file (at most max bytes). */
static int layout_read(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len,
                       struct rk_error **reterr)
{
        int r = read_file_at(dirfd, path, max, ret, ret_len);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read %s of the OCI layout", path);
        return 0;
}

/* Checks that the blob at dirfd/path hashes to digest. */
static int blob_verify(int dirfd, const char *path, const char *digest, struct rk_error **reterr)
{
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = oom_check(EVP_MD_CTX_new());
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *buf = oom_check(malloc(1 << 20));
        unsigned char out[32];
        char hex[65];
        ssize_t n;

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open blob %s", digest);
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        while ((n = read(fd, buf, 1 << 20)) > 0)
                EVP_DigestUpdate(md, buf, (size_t)n);
        if (n < 0)
                return rk_error_set_errno(reterr, errno, "cannot read blob %s", digest);
        EVP_DigestFinal_ex(md, out, NULL);
        hex_encode(out, 32, hex);
        if (strcmp(hex, digest + 7) != 0)
                return rk_error_set(reterr, EBADMSG, "blob %s: digest mismatch", digest);
        return 0;
}

static char *blob_path(const char *digest)
{
        return xasprintf("blobs/sha256/%s", digest + 7);
}

/* Reads and checks a small blob. */
static int blob_read(int dirfd, const char *digest, size_t max, char **ret, size_t *ret_len,
                     struct rk_error **reterr)
{
        _cleanup_free_ char *path = blob_path(digest), *got = NULL;
        int r = layout_read(dirfd, path, max, ret, ret_len, reterr);

        if (r < 0)
                return r;
        got = docker_sha256(*ret, *ret_len);
        if (strcmp(got, digest) != 0) {
                *ret = (free(*ret), NULL);
                return rk_error_set(reterr, EBADMSG, "blob %s: digest mismatch", digest);
        }
        return 0;
}

/* The digest of the index.json entry named ref (any when ref is NULL and it is alone). */
static int layout_pick(int dirfd, const char *ref, char **ret_digest, struct rk_error **reterr)
{
        _cleanup_free_ char *text = NULL, *why = NULL;
        _cleanup_json_ json_t *idx = NULL;
        json_t *e;
        size_t len, i, n = 0;
        int r = layout_read(dirfd, "index.json", DOCKER_MANIFEST_MAX, &text, &len, reterr);

        if (r < 0)
                return r;
        idx = json_load_fields(text, len, docker_manifest_fields, &why);
        if (!idx)
                return rk_error_set(reterr, EINVAL, "invalid index.json: %s", why);
        json_array_foreach(json_object_get(idx, "manifests"), i, e) {
                const char *name = json_string_value(
                        json_object_get(json_object_get(e, "annotations"), REF_ANNOTATION));
                const char *digest = json_string_value(json_object_get(e, "digest"));

                if ((ref && (!name || strcmp(name, ref) != 0)) || !docker_digest_is_valid(digest))
                        continue;
                free(*ret_digest);
                *ret_digest = xstrdup(digest);
                n++;
        }
        if (n == 1)
                return 0;
        *ret_digest = (free(*ret_digest), NULL);
        return rk_error_set(reterr, ENOENT,
                            n ? "several images in the OCI layout: name one"
                              : "no image \"%s\" in the OCI layout",
                            ref ?: "");
}

/* Follows the chosen entry (through at most one index) to an image manifest. */
static int layout_manifest(int dirfd, char **digest, struct docker_manifest *ret,
                           struct rk_error **reterr)
{
        for (int depth = 0; depth < 2; depth++) {
                _cleanup_free_ char *body = NULL, *next = NULL;
                size_t len;
                int is_index, r;

                r = blob_read(dirfd, *digest, DOCKER_MANIFEST_MAX, &body, &len, reterr);
                if (r >= 0)
                        r = docker_manifest_parse(body, len, NULL, &is_index, &next, ret, reterr);
                if (r < 0)
                        return r;
                if (!is_index)
                        return 0;
                free(*digest);
                *digest = TAKE_PTR(next);
        }
        return rk_error_set(reterr, EINVAL, "an index inside an index");
}

static int layout_image(int dirfd, const char *dir, const char *ref, struct docker_image *img,
                        struct rk_error **reterr)
{
        struct docker_manifest m = {0};
        _cleanup_free_ char *cfg = NULL, *why = NULL;
        size_t len;
        int r;

        r = layout_pick(dirfd, ref, &img->manifest_digest, reterr);
        if (r >= 0)
                r = layout_manifest(dirfd, &img->manifest_digest, &m, reterr);
        if (r >= 0)
                r = blob_read(dirfd, m.config.digest, DOCKER_CONFIG_MAX, &cfg, &len, reterr);
        if (r >= 0)
                img->config = docker_config_parse(cfg, len, &why);
        if (r >= 0 && !img->config)
                r = rk_error_set(reterr, EINVAL, "the image configuration: %s", why);
        for (size_t i = 0; r >= 0 && i < m.n_layers; i++) {
                _cleanup_free_ char *p = blob_path(m.layers[i].digest);

                r = blob_verify(dirfd, p, m.layers[i].digest, reterr);
                strv_consume(&img->layers, xasprintf("%s/%s", dir, p));
        }
        if (r >= 0)
                img->config_digest = xstrdup(m.config.digest);
        docker_manifest_done(&m);
        return r;
}

/* "oci:PATH[:REF]": the path and the reference (NULL when none). */
static void split_arg(const char *arg, char **ret_path, char **ret_ref)
{
        const char *p = strchr(arg, ':') + 1, *colon = strrchr(p, ':');

        *ret_path = colon ? oom_check(strndup(p, (size_t)(colon - p))) : xstrdup(p);
        *ret_ref = colon && colon[1] ? xstrdup(colon + 1) : NULL;
}

static void describe(struct docker_image *img, const char *arg, const char *path, const char *ref)
{
        const char *base = strrchr(path, '/');

        img->name = xstrdup(base && base[1] ? base + 1 : path);
        img->version = ref ? xstrdup(ref) : NULL;
        img->original_name = xstrdup(arg);
}

/* oci:PATH[:REF] into img, its layers read in place. */
static int oci_image(const char *arg, struct docker_image *img, struct rk_error **reterr)
{
        _cleanup_free_ char *path = NULL, *ref = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        int r;

        split_arg(arg, &path, &ref);
        dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return rk_error_set_errno(reterr, errno, "cannot open the OCI layout %s", path);
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "using OCI image layout %s", path);
        r = layout_image(dirfd, path, ref, img, reterr);
        if (r >= 0)
                describe(img, arg, path, ref);
        return r;
}

/*
 * What a local image is converted from, for the conversion cache: the same configuration
 * (whose diff_ids fix every layer) under the same name and tag gives the same ACI.
 */
static char *local_identity(const struct docker_image *img)
{
        if (!img->config_digest)
                return NULL;
        return xasprintf("%s|%s|%s", img->config_digest, img->name ? img->name : "",
                         img->version ? img->version : "");
}

/* The key of an image converted before from the same source, or -ENOENT. */
static int local_cached(struct store *s, const char *arg, const char *identity, char **ret_key)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;

        if (!identity || store_get_docker(s, arg, identity, ret_key, &err) < 0)
                return -ENOENT;
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "%s: already converted as %s", arg, *ret_key);
        return 0;
}

struct local_conversion {
        const struct docker_image *img;
        int tmp_fd;
};

/* import_producer_fn: converts the image's layer files. */
static int local_produce(void *userdata, int out_fd, struct rk_error **reterr)
{
        const struct local_conversion *c = userdata;

        return docker_image_convert(c->img, c->tmp_fd, out_fd, reterr);
}

static int local_convert(struct store *s, const char *arg, const struct docker_fetch_options *o,
                         const struct docker_image *img, int tmp_fd, char **ret_key,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *identity = local_identity(img);
        struct local_conversion c = {img, tmp_fd};
        int r;

        if (local_cached(s, arg, identity, ret_key) >= 0)
                return 0;
        r = store_import_produced(s, local_produce, &c, arg, o->render ? IMPORT_RENDER : 0, ret_key,
                                  reterr);
        if (r >= 0 && identity)
                r = store_put_docker(s, arg, identity, *ret_key, reterr);
        return r;
}

int docker_fetch_local(struct store *s, const char *arg, const struct docker_fetch_options *o,
                       char **ret_key, struct rk_error **reterr)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int tmp_fd = -EBADF;
        struct docker_image img = {0};
        int r;

        r = store_mkdtemp(s, "rkt-docker-", &tmp, &tmp_fd, reterr);
        if (r >= 0 && strncmp(arg, "oci:", 4) == 0)
                r = oci_image(arg, &img, reterr);
        else if (r >= 0)
                r = docker_archive_image(arg, tmp, tmp_fd, &img, reterr);
        if (r >= 0)
                r = local_convert(s, arg, o, &img, tmp_fd, ret_key, reterr);
        if (tmp)
                (void)rm_rf_at(AT_FDCWD, tmp);
        docker_image_done(&img);
        if (r < 0)
                return rk_error_wrap(reterr, "unable to convert image \"%s\"", arg);
        return 0;
}
