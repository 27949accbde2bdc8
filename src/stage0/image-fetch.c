/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image arguments to store keys: IDs looked up, files verified and imported, Docker images
 * converted, and the appc dependencies of what was fetched; URLs and names are in
 * image-fetch-remote.c.
 */
#include "image-fetch.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "docker-fetch.h"
#include "fd-util.h"
#include "fs-util.h"
#include "image-arg.h"
#include "image-fetch-private.h"
#include "image-manifest.h"
#include "log.h"
#include "pgp.h"
#include "stage0.h"
#include "strv.h"
#include "verify.h"

bool fetch_job_verifies(const struct fetch_job *j)
{
        return stage0_verifies(j->ctx) && !(j->flags & IMAGE_FETCH_NO_VERIFY);
}

unsigned fetch_job_import_flags(const struct fetch_job *j)
{
        unsigned flags = j->top ? IMPORT_RENDER | IMPORT_DEFER_DEPS : 0;

        if (isatty(STDERR_FILENO))
                flags |= IMPORT_PROGRESS;
        return flags;
}

bool fetch_job_store_usable(const struct fetch_job *j, const char *key)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        uid_t uid;

        if (!fetch_job_verifies(j))
                return true;
        return store_image_importer(j->s, key, &uid, &err) >= 0 && (uid == 0 || uid == geteuid());
}

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

/*
 * A file another user may write (its owner, or anyone its mode lets) can change between our
 * reads of it (the signature's hash and the import read it apart): such a file is read once,
 * into a sealed private copy, which *fd becomes. *identity (file_identity()) stays only if
 * the file did not change while it was copied. Returns 0 or -errno.
 */
static int file_make_private(const char *path, int *fd, char **identity)
{
        _cleanup_free_ char *after = NULL;
        struct stat st;
        int copy;

        if (fstat(*fd, &st) < 0)
                return -errno;
        if ((st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & 022))
                return 0;
        copy = memfd_sealed_copy(*fd, "rkt-image-file");
        if (copy < 0)
                return copy;
        if (lseek(copy, 0, SEEK_SET) < 0) {
                safe_close(copy);
                return -errno;
        }
        after = file_identity(path, *fd);
        if (!*identity || !after || strcmp(after, *identity) != 0) {
                free(*identity);
                *identity = NULL;
        }
        safe_close(*fd);
        *fd = copy;
        return 0;
}

/* The signature of the file path: the --signature file, else <path without .aci>.aci.asc. */
static int file_signature(const struct fetch_job *j, const char *path, char **ret, size_t *ret_len,
                          struct rk_error **reterr)
{
        size_t n = strlen(path);
        _cleanup_free_ char *asc = j->signature ? xstrdup(j->signature)
                                   : n >= 4 && strcmp(path + n - 4, ".aci") == 0
                                           ? xasprintf("%.*s.aci.asc", (int)(n - 4), path)
                                           : xasprintf("%s.aci.asc", path);
        _cleanup_close_ int fd = open(asc, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t got;
        int e;

        if (fd < 0 || fstat(fd, &st) < 0) {
                _cleanup_free_ char *why = NULL;

                e = errno;
                why = strerror_go(e);
                rk_error_set(reterr, e, "open %s: %s", asc, why);
                return rk_error_wrap(reterr, "error opening signature file");
        }
        if (!S_ISREG(st.st_mode) || st.st_size > PGP_MAX_SIZE) {
                rk_error_set(reterr, EINVAL, "%s is not a regular file of at most %d bytes", asc,
                             PGP_MAX_SIZE);
                return rk_error_wrap(reterr, "error opening signature file");
        }
        buf = oom_check(malloc((size_t)st.st_size + 1));
        got = read_full(fd, buf, (size_t)st.st_size);
        if (got < 0) {
                rk_error_set_errno(reterr, (int)-got, "read %s", asc);
                return rk_error_wrap(reterr, "error opening signature file");
        }
        *ret = TAKE_PTR(buf);
        *ret_len = (size_t)got;
        return 0;
}

/* What the signature check of an import needs. */
struct file_gate {
        const struct fetch_job *j;
        int fd;
        const char *sig;
        size_t sig_len;
        struct pgp_verify_job *job; /* hashing fd while the import runs (NULL: at the gate) */
};

/* The gate of a file import: the signature, for the name the manifest holds. */
static int file_gate_check(const struct image_manifest *m, void *userdata, struct rk_error **reterr)
{
        struct file_gate *g = userdata;
        int r = stage0_verify_image_job(g->j->ctx, g->j->s, m->name, NULL, TAKE_PTR(g->job), g->fd,
                                        g->sig, g->sig_len, reterr);

        return r < 0 ? rk_error_wrap(reterr, "image \"%s\" verification failed", m->name) : 0;
}

/* An unchanged file imported before: its signature is checked again, all the same. */
static int fetch_file_reverify(const struct fetch_job *j, const char *key, int fd,
                               struct file_gate *g, struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        int r = store_read_manifest(j->s, key, &m, reterr);

        if (r >= 0)
                r = file_gate_check(m, g, reterr);
        if (r >= 0)
                stage0_mark_verified(j->s, key);
        return r;
}

static int fetch_file(const struct fetch_job *j, const char *path, char **ret_key,
                      struct rk_error **reterr)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_free_ char *identity = NULL, *sig = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct file_gate g = {.j = j};
        bool verify = fetch_job_verifies(j);
        int r;

        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "using image from file %s", path);
        if (verify && (r = file_signature(j, path, &sig, &g.sig_len, reterr)) < 0)
                return r;
        g.sig = sig;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) { /* Go's *PathError, as rkt reports it */
                int e = errno;
                _cleanup_free_ char *why = strerror_go(e);

                return rk_error_set(reterr, e, "open %s: %s", path, why);
        }
        identity = file_identity(path, fd);
        r = file_make_private(path, &fd, &identity);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading %s", path);
        g.fd = fd;
        if (fetch_file_cached(j->s, identity, ret_key) >= 0) {
                log_with_prefix(LOG_LEVEL_DEBUG,
                                "image: ", "%s is unchanged since it was imported as %s", path,
                                *ret_key);
                r = verify ? fetch_file_reverify(j, *ret_key, fd, &g, reterr) : 0;
                if (r < 0)
                        *ret_key = (free(*ret_key), NULL);
                return r;
        }
        if (verify)
                g.job = stage0_verify_start(fd, g.sig, g.sig_len);
        r = store_import_aci_gated(j->s, fd, path, fetch_job_import_flags(j),
                                   verify ? file_gate_check : NULL, &g, ret_key, reterr);
        /* the import failed before its gate: the check is not needed */
        (void)pgp_verify_finish(TAKE_PTR(g.job), NULL, NULL, NULL);
        if (r < 0)
                return r;
        if (verify)
                stage0_mark_verified(j->s, *ret_key);
        if (identity && store_put_remote(j->s, identity, *ret_key, &err) < 0)
                log_debug("cannot remember %s: %s", path, rk_error_cause(err));
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
static int fetch_docker(const struct fetch_job *j, const char *arg, enum image_arg_kind kind,
                        char **ret_key, struct rk_error **reterr)
{
        struct store *s = j->s;
        const struct stage0_context *ctx = j->ctx;
        const char *pull_policy = j->policy;
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

/* Fetches one image (not its dependencies). */
static int fetch_one(const struct fetch_job *j, const char *arg, char **ret_key,
                     struct rk_error **reterr)
{
        _cleanup_free_ char *value = NULL;
        enum image_arg_kind kind;

        if (image_arg_classify(arg, &kind, &value) < 0)
                return rk_error_set(reterr, EINVAL, "%s", value);
        switch (kind) {
        case IMAGE_ARG_HASH:
                return fetch_hash(j->s, arg, ret_key, reterr);
        case IMAGE_ARG_NAME:
                return fetch_name(j, arg, ret_key, reterr);
        case IMAGE_ARG_DOCKER:
        case IMAGE_ARG_LOCAL_DOCKER:
                return fetch_docker(j, arg, kind, ret_key, reterr);
        case IMAGE_ARG_HTTP:
                return fetch_url(j, value, ret_key, reterr);
        case IMAGE_ARG_PATH:
                break;
        }
        return fetch_file(j, value, ret_key, reterr);
}

/* The dependency walk: images on the current path (cycles) and images done (diamonds). */
struct deps_walk {
        const struct fetch_job *j;
        char **path;
        char **done;
};

/* "name[,label=value...]" of a dependency, as rkt printed it. */
static char *dep_display(const struct ac_dependency *d)
{
        char *s = xstrdup(d->image_name);

        for (size_t i = 0; i < d->labels.n; i++) {
                char *t =
                        xasprintf("%s,%s=%s", s, d->labels.items[i].name, d->labels.items[i].value);

                free(s);
                s = t;
        }
        return s;
}

static int deps_fetch_of(struct deps_walk *w, const char *key, struct rk_error **reterr);

/* One dependency of parent: by ID when the store has it, else by name and labels. */
static int deps_fetch_one(struct deps_walk *w, const char *parent, const struct ac_dependency *d,
                          struct rk_error **reterr)
{
        _cleanup_free_ char *display = dep_display(d), *key = NULL;
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        int r = -ENOENT;

        if (d->image_id)
                r = store_resolve_key(w->j->s, d->image_id, &key, &err);
        if (r < 0 || !fetch_job_store_usable(w->j, key)) {
                key = (free(key), NULL);
                r = fetch_name_labels(w->j, display, d->image_name, &d->labels, &key, reterr);
                if (r < 0)
                        return rk_error_wrap(reterr, "cannot fetch dependency \"%s\" of %s",
                                             display, parent);
                if (d->image_id && strncmp(key, d->image_id, strlen(d->image_id)) != 0)
                        return rk_error_set(reterr, EINVAL,
                                            "dependency \"%s\" of %s: the image fetched is %s, "
                                            "not the imageID %s the manifest asks for",
                                            display, parent, key, d->image_id);
        }
        if (strv_contains(w->path, key))
                return rk_error_set(reterr, ELOOP,
                                    "image dependencies form a cycle: %s depends on %s, which "
                                    "depends on it",
                                    parent, display);
        return deps_fetch_of(w, key, reterr);
}

/* Fetches the dependencies of key, depth first. */
static int deps_fetch_of(struct deps_walk *w, const char *key, struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        int r;

        if (strv_contains(w->done, key))
                return 0;
        if (strv_length(w->path) >= 64)
                return rk_error_set(reterr, ELOOP, "image dependencies nested more than 64 deep");
        r = store_read_manifest(w->j->s, key, &m, reterr);
        if (r < 0)
                return r;
        strv_push(&w->path, key);
        for (size_t i = 0; r >= 0 && i < m->n_deps; i++)
                r = deps_fetch_one(w, m->name, &m->deps[i], reterr);
        free(w->path[strv_length(w->path) - 1]);
        w->path[strv_length(w->path) - 1] = NULL;
        if (r >= 0)
                strv_push(&w->done, key);
        return r;
}

/* The dependencies of the top-level key, then (as root) its tree with them. */
static int fetch_deps(const struct fetch_job *top, const char *key, struct rk_error **reterr)
{
        struct fetch_job dep = *top;
        struct deps_walk w = {.j = &dep};
        int r;

        dep.signature = NULL; /* a --signature is the top image's */
        dep.top = false;
        r = deps_fetch_of(&w, key, reterr);
        strv_free(w.path);
        strv_free(w.done);
        if (r >= 0 && geteuid() == 0)
                r = store_render(top->s, key, NULL, reterr);
        return r;
}

int image_fetch(struct store *s, const struct stage0_context *ctx, const char *arg,
                const char *signature, const char *pull_policy, unsigned flags, char **ret_key,
                struct rk_error **reterr)
{
        struct fetch_job j = {
                .s = s,
                .ctx = ctx,
                .policy = pull_policy,
                .signature = signature,
                .flags = flags,
                .top = true,
        };
        int r;

        r = fetch_one(&j, arg, ret_key, reterr);
        if (r >= 0 && (flags & IMAGE_FETCH_WITH_DEPS)) {
                r = fetch_deps(&j, *ret_key, reterr);
                if (r < 0)
                        *ret_key = (free(*ret_key), NULL);
        }
        return r;
}
