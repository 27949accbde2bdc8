/* SPDX-License-Identifier: Apache-2.0 */
/* docker:// — registry to store: manifest, cache check, config, layers, conversion. */
#include "docker-fetch.h"

#include <fcntl.h>
#include <string.h>

#include "docker-image.h"
#include "docker-manifest.h"
#include "docker-ref.h"
#include "fs-util.h"
#include "log.h"
#include "registry.h"

struct docker_job {
        struct store *s;
        const struct docker_fetch_options *o;
        const char *arg; /* as given */
        struct docker_ref ref;
        struct registry reg;
        char *tmp;
        int tmp_fd;
        char *digest; /* of the image manifest */
        struct docker_manifest manifest;
};

static void job_done(struct docker_job *j)
{
        if (j->tmp)
                (void)rm_rf_at(AT_FDCWD, j->tmp);
        free(j->tmp);
        safe_close(j->tmp_fd);
        free(j->digest);
        docker_manifest_done(&j->manifest);
        registry_done(&j->reg);
        docker_ref_done(&j->ref);
}

/* The image manifest: through at most one index (manifest list). */
static int job_manifest(struct docker_job *j, struct rk_error **reterr)
{
        _cleanup_free_ char *reference = xstrdup(docker_ref_reference(&j->ref));

        for (int depth = 0; depth < 2; depth++) {
                _cleanup_free_ char *body = NULL, *mt = NULL, *next = NULL;
                size_t len;
                int is_index, r;

                free(j->digest);
                j->digest = NULL;
                r = registry_get_manifest(&j->reg, reference, &body, &len, &mt, &j->digest, reterr);
                if (r >= 0)
                        r = docker_manifest_parse(body, len, mt, &is_index, &next, &j->manifest,
                                                  reterr);
                if (r < 0)
                        return r;
                if (!is_index)
                        return 0;
                free(reference);
                reference = TAKE_PTR(next);
        }
        return rk_error_set(reterr, EINVAL, "registry %s: an index inside an index",
                            j->ref.registry);
}

static int job_config(struct docker_job *j, struct docker_image *img, struct rk_error **reterr)
{
        _cleanup_free_ char *body = NULL, *why = NULL;
        size_t len;
        int r;

        r = registry_get_blob_mem(&j->reg, j->manifest.config.digest, j->manifest.config.size,
                                  DOCKER_CONFIG_MAX, &body, &len, reterr);
        if (r < 0)
                return r;
        img->config = docker_config_parse(body, len, &why);
        if (!img->config)
                return rk_error_set(reterr, EINVAL, "registry %s: image configuration %s: %s",
                                    j->ref.registry, j->manifest.config.digest, why);
        if (!json_is_object(img->config))
                return rk_error_set(reterr, EINVAL,
                                    "registry %s: image configuration %s is "
                                    "not a JSON object",
                                    j->ref.registry, j->manifest.config.digest);
        return 0;
}

static int job_layers(struct docker_job *j, struct docker_image *img, struct rk_error **reterr)
{
        for (size_t i = 0; i < j->manifest.n_layers; i++) {
                const struct docker_descriptor *d = &j->manifest.layers[i];
                _cleanup_free_ char *name = xasprintf("layer-%zu", i);
                _cleanup_close_ int fd =
                        openat(j->tmp_fd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
                int r;

                if (fd < 0)
                        return rk_error_set_errno(reterr, errno, "cannot create %s", name);
                r = registry_get_blob_fd(&j->reg, d->digest, d->size, fd, reterr);
                if (r < 0)
                        return r;
                strv_consume(&img->layers, xasprintf("%s/%s", j->tmp, name));
        }
        return 0;
}

static void job_describe(struct docker_job *j, struct docker_image *img)
{
        img->name = xasprintf("%s/%s", j->ref.registry, j->ref.repository);
        img->version = j->ref.tag ? xstrdup(j->ref.tag) : NULL;
        img->original_name = xstrdup(j->arg + (strncmp(j->arg, "docker://", 9) == 0 ? 9 : 7));
        img->registry = xstrdup(j->ref.registry);
        img->repository = xstrdup(j->ref.repository);
        img->manifest_digest = xstrdup(j->digest);
        img->config_digest = xstrdup(j->manifest.config.digest);
}

/* Downloads, converts and imports. */
static int job_convert(struct docker_job *j, char **ret_key, struct rk_error **reterr)
{
        _cleanup_close_ int aci = -EBADF;
        struct docker_image img = {0};
        int r;

        r = store_mkdtemp(j->s, "rkt-docker-", &j->tmp, &j->tmp_fd, reterr);
        if (r >= 0)
                r = job_config(j, &img, reterr);
        if (r >= 0)
                r = job_layers(j, &img, reterr);
        if (r >= 0) {
                job_describe(j, &img);
                r = docker_image_convert(&img, j->tmp_fd, &aci, reterr);
        }
        if (r >= 0)
                r = store_import_aci(j->s, aci, j->arg, j->o->render ? IMPORT_RENDER : 0, ret_key,
                                     reterr);
        docker_image_done(&img);
        return r;
}

/* The image last fetched for this reference, for policies new and never. */
static int cached_remote(struct store *s, const char *url, char **ret_key)
{
        struct rk_error *err = NULL;
        int r = store_get_remote(s, url, ret_key, &err);

        rk_error_free(err);
        if (r >= 0)
                log_with_prefix(LOG_LEVEL_DEBUG,
                                "image: ", "using image from local store for url %s", url);
        return r;
}

static int job_run(struct docker_job *j, char **ret_key, struct rk_error **reterr)
{
        struct rk_error *err = NULL;
        int r;

        j->reg.http.insecure_tls = j->o->insecure_tls;
        j->reg.http.progress = j->o->progress;
        r = registry_open(&j->reg, &j->ref, j->o->allow_http, j->o->user, j->o->password, reterr);
        if (r >= 0)
                r = job_manifest(j, reterr);
        if (r < 0)
                return r;
        if (store_get_docker(j->s, j->arg, j->digest, ret_key, &err) >= 0) {
                log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "%s: manifest %s already converted",
                                j->arg, j->digest);
                return 0;
        }
        rk_error_free(err);
        r = job_convert(j, ret_key, reterr);
        if (r >= 0)
                r = store_put_docker(j->s, j->arg, j->digest, *ret_key, reterr);
        return r;
}

int docker_fetch(struct store *s, const char *arg, const char *pull_policy,
                 const struct docker_fetch_options *o, char **ret_key, struct rk_error **reterr)
{
        _cleanup_free_ char *url = NULL, *key = NULL;
        struct docker_job j = {.s = s, .o = o, .arg = arg, .tmp_fd = -EBADF};
        int r;

        r = docker_ref_parse(arg, &j.ref, reterr);
        if (r < 0)
                return r;
        url = xasprintf("docker://%s", arg + (strncmp(arg, "docker://", 9) == 0 ? 9 : 7));
        j.arg = url;
        if (strcmp(pull_policy, "update") != 0 && cached_remote(s, url, ret_key) >= 0) {
                docker_ref_done(&j.ref);
                return 0;
        }
        if (strcmp(pull_policy, "never") == 0)
                r = rk_error_set(reterr, ENOENT, "no image was fetched from %s", url);
        else
                r = job_run(&j, &key, reterr);
        if (r >= 0)
                r = store_put_remote(s, url, key, reterr);
        if (r >= 0)
                *ret_key = TAKE_PTR(key);
        job_done(&j);
        return r;
}

char *docker_fetch_registry(const char *arg)
{
        struct rk_error *err = NULL;
        struct docker_ref ref = {0};
        char *host;

        if (docker_ref_parse(arg, &ref, &err) < 0) {
                rk_error_free(err);
                return NULL;
        }
        host = TAKE_PTR(ref.registry);
        docker_ref_done(&ref);
        return host;
}
