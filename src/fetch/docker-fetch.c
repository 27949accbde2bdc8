/* SPDX-License-Identifier: Apache-2.0 */
/* docker:// — registry to store: manifest, cache check, config, layers, conversion. */
#include "docker-fetch.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

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

/*
 * The layers download on up to LAYER_CONNECTIONS connections at once (skopeo and Docker use
 * 3), each into its file of the temporary directory with its digest checked as it streams,
 * while the conversion squashes them in order as they arrive (layers_next()).
 */
#define LAYER_CONNECTIONS 3

struct layer_pool {
        struct docker_job *j;
        pthread_mutex_t lock;
        pthread_cond_t done; /* a layer finished */
        size_t next;         /* the next layer to start */
        bool stop;           /* start no more (the conversion ended) */
        int *fds;            /* per layer: its file once downloaded, else -EBADF */
        int *results;        /* per layer: 0 downloading or waiting, 1 there, < 0 failed */
        struct rk_error **errs;
        pthread_t threads[LAYER_CONNECTIONS];
        size_t n_threads;
};

static char *layer_name(size_t i)
{
        return xasprintf("layer-%zu", i);
}

/* Downloads layer i into a new file of the temporary directory; *ret_fd is at its start. */
static int layer_download(struct docker_job *j, size_t i, int *ret_fd, struct rk_error **reterr)
{
        const struct docker_descriptor *d = &j->manifest.layers[i];
        _cleanup_free_ char *name = layer_name(i);
        _cleanup_close_ int fd =
                openat(j->tmp_fd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        int r;

        if (fd < 0)
                return rk_error_set_errno(reterr, errno, "cannot create %s", name);
        r = registry_get_blob_fd(&j->reg, d->digest, d->size, fd, reterr);
        if (r < 0)
                return r;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return rk_error_set_errno(reterr, errno, "cannot read %s", name);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void *layer_worker(void *userdata)
{
        struct layer_pool *lp = userdata;

        for (;;) {
                struct rk_error *err = NULL;
                int fd = -EBADF, r;
                size_t i;

                pthread_mutex_lock(&lp->lock);
                if (lp->stop || lp->next >= lp->j->manifest.n_layers) {
                        pthread_mutex_unlock(&lp->lock);
                        return NULL;
                }
                i = lp->next++;
                pthread_mutex_unlock(&lp->lock);
                r = layer_download(lp->j, i, &fd, &err);
                pthread_mutex_lock(&lp->lock);
                lp->fds[i] = fd;
                lp->errs[i] = err;
                lp->results[i] = r < 0 ? r : 1;
                pthread_cond_broadcast(&lp->done);
                pthread_mutex_unlock(&lp->lock);
        }
}

/* docker_layer_fn: waits for layer i, then gives its file (already unlinked). */
static int layers_next(void *userdata, size_t i, int *ret_fd, struct rk_error **reterr)
{
        struct layer_pool *lp = userdata;
        _cleanup_free_ char *name = layer_name(i);
        int r;

        pthread_mutex_lock(&lp->lock);
        while (lp->results[i] == 0)
                pthread_cond_wait(&lp->done, &lp->lock);
        r = lp->results[i];
        if (r < 0) {
                *reterr = TAKE_PTR(lp->errs[i]);
        } else {
                *ret_fd = lp->fds[i];
                lp->fds[i] = -EBADF;
        }
        pthread_mutex_unlock(&lp->lock);
        if (r >= 0)
                (void)unlinkat(lp->j->tmp_fd, name, 0); /* the open file is enough */
        return r < 0 ? r : 0;
}

static void layers_start(struct layer_pool *lp, struct docker_job *j)
{
        size_t n = j->manifest.n_layers;

        *lp = (struct layer_pool){.j = j};
        pthread_mutex_init(&lp->lock, NULL);
        pthread_cond_init(&lp->done, NULL);
        lp->fds = xnew0(int, n + 1);
        lp->results = xnew0(int, n + 1);
        lp->errs = xnew0(struct rk_error *, n + 1);
        for (size_t i = 0; i < n; i++)
                lp->fds[i] = -EBADF;
        for (size_t t = 0; t < MIN((size_t)LAYER_CONNECTIONS, n); t++) {
                if (pthread_create(&lp->threads[lp->n_threads], NULL, layer_worker, lp) != 0)
                        break;
                lp->n_threads++;
        }
        if (n > 0 && lp->n_threads == 0) /* no thread at all: download in this one */
                layer_worker(lp);
}

/* Stops starting downloads, waits for those under way and frees what nobody took. */
static void layers_stop(struct layer_pool *lp)
{
        pthread_mutex_lock(&lp->lock);
        lp->stop = true;
        pthread_mutex_unlock(&lp->lock);
        for (size_t t = 0; t < lp->n_threads; t++)
                pthread_join(lp->threads[t], NULL);
        for (size_t i = 0; i < lp->j->manifest.n_layers; i++) {
                safe_close(lp->fds[i]);
                rk_error_free(lp->errs[i]);
        }
        free(lp->fds);
        free(lp->results);
        free(lp->errs);
        pthread_cond_destroy(&lp->done);
        pthread_mutex_destroy(&lp->lock);
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

struct job_conversion {
        struct docker_job *j;
        struct docker_image *img;
        struct layer_pool *lp;
};

/* import_producer_fn: squashes the layers as they arrive and writes the ACI. */
static int job_produce(void *userdata, int out_fd, struct rk_error **reterr)
{
        struct job_conversion *c = userdata;

        return docker_image_convert_from(c->img, c->j->manifest.n_layers, layers_next, c->lp,
                                         c->j->tmp_fd, out_fd, reterr);
}

/* Downloads, converts and imports, each while the one before is still under way. */
static int job_convert(struct docker_job *j, char **ret_key, struct rk_error **reterr)
{
        struct docker_image img = {0};
        int r;

        r = store_mkdtemp(j->s, "rkt-docker-", &j->tmp, &j->tmp_fd, reterr);
        if (r >= 0)
                r = job_config(j, &img, reterr);
        if (r >= 0) {
                struct layer_pool lp;
                struct job_conversion c = {j, &img, &lp};

                job_describe(j, &img);
                layers_start(&lp, j);
                r = store_import_produced(j->s, job_produce, &c, j->arg,
                                          j->o->render ? IMPORT_RENDER : 0, ret_key, reterr);
                layers_stop(&lp);
        }
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
