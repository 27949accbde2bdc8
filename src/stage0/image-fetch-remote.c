/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images over HTTP(S) (SPEC.md §5.3): by URL, or by appc name through discovery (§5.4).
 * The signature comes first (a server may defer it with 202 Accepted), then the image, with
 * the remote cache's ETag and max-age; the image becomes visible in the store only once its
 * name, its labels and its signature check out.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aci-download.h"
#include "discovery.h"
#include "format-util.h"
#include "fs-util.h"
#include "http-client.h"
#include "image-fetch-private.h"
#include "image-manifest.h"
#include "keystore.h"
#include "log.h"
#include "pgp.h"
#include "pubkey.h"
#include "stage0.h"
#include "strv.h"
#include "time-util.h"
#include "verify.h"

/* The host's architecture in appc's words. */
static const char *host_arch(void)
{
#if defined(__x86_64__)
        return "amd64";
#elif defined(__aarch64__)
        return "aarch64";
#elif defined(__i386__)
        return "i386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return "ppc64le";
#elif defined(__s390x__)
        return "s390x";
#else
        return "unknown";
#endif
}

/* What a discovered image must be: the name and labels asked for. */
struct expect {
        const char *name;
        const struct ac_labels *labels;
};

/* --- signatures --- */

static int signature_from_file(const char *path, char **ret, size_t *ret_len,
                               struct rk_error **reterr)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, path, PGP_MAX_SIZE, &data, &len);

        if (r < 0) {
                _cleanup_free_ char *why = strerror_go(-r);

                rk_error_set(reterr, -r, "open %s: %s", path, why);
                return rk_error_wrap(reterr, "error downloading the signature file");
        }
        *ret = TAKE_PTR(data);
        *ret_len = len;
        return 0;
}

/* Downloads the signature; *ret_deferred when the server answered 202 (try again later). */
static int signature_get(const struct fetch_job *j, const char *url, char **ret, size_t *ret_len,
                         bool *ret_deferred, struct rk_error **reterr)
{
        struct http_request req = {
                .url = url, .out_fd = -1, .max_size = PGP_MAX_SIZE, .progress_label = "signature"};
        struct http_response resp;
        struct http_client http;
        int r;

        *ret_deferred = false;
        if (j->signature)
                return signature_from_file(j->signature, ret, ret_len, reterr);
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "downloading signature from %s", url);
        stage0_http_client(j->ctx, &http);
        r = http_get(&http, &req, &resp, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "error downloading the signature file");
        if (resp.status == 202) {
                log_with_prefix(LOG_LEVEL_INFO,
                                "image: ", "server requested deferring the signature download");
                *ret_deferred = true;
        } else if (resp.status != 200) {
                r = rk_error_set(reterr, EPROTO, "bad HTTP status code: %ld", resp.status);
                http_response_done(&resp);
                return rk_error_wrap(reterr, "error downloading the signature file");
        } else {
                *ret = TAKE_PTR(resp.body);
                *ret_len = resp.len;
        }
        http_response_done(&resp);
        return 0;
}

/* rkt's maybeFetchPubKeys: discover and add keys when none is trusted for name yet. */
static void pubkeys_maybe_fetch(const struct fetch_job *j, const char *name)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_strv_free_ char **locations = NULL;
        struct keystore ks = stage0_keystore(j->ctx);
        unsigned insecure = j->ctx->insecure;
        struct pubkey_options o = {.trust_keys_from_https = j->ctx->trust_keys_from_https};
        _cleanup_free_ char *q = format_go_quote(name);

        if (keystore_prefix_has_keys(&ks, name)) {
                log_with_prefix(LOG_LEVEL_INFO,
                                "image: ", "keys already exist for prefix %s, not fetching again",
                                q);
                return;
        }
        if (insecure & INSECURE_PUBKEY) {
                log_with_prefix(LOG_LEVEL_INFO, "image: ",
                                "signing keys may be downloaded from an insecure connection");
                o.allow_http = insecure & INSECURE_HTTP;
        }
        if ((insecure & INSECURE_TLS) && !(insecure & INSECURE_PUBKEY))
                return;
        if (stage0_pubkey_locations(j->ctx, name, &o, &locations, &err) < 0)
                log_with_prefix(LOG_LEVEL_INFO, "image: ", "error determining key location: %s",
                                rk_error_cause(err));
        else if (stage0_pubkey_add(j->ctx, locations, name, &o, &err) < 0)
                log_with_prefix(LOG_LEVEL_INFO, "image: ", "error adding keys: %s",
                                rk_error_cause(err));
}

/* --- the import gate: name, labels, signature --- */

struct remote_gate {
        const struct fetch_job *j;
        const struct expect *expect;
        int fd;
        const char *sig;
        size_t sig_len;
        struct pgp_verify_job *job; /* hashing fd while the import runs */
};

static int expect_check(const struct expect *e, const struct image_manifest *m,
                        struct rk_error **reterr)
{
        if (strcmp(m->name, e->name) != 0) {
                _cleanup_free_ char *qw = format_go_quote(e->name), *qg = format_go_quote(m->name);

                return rk_error_set(reterr, EINVAL,
                                    "error when reading the app name: %s expected but %s found", qw,
                                    qg);
        }
        for (size_t i = 0; e->labels && i < e->labels->n; i++) {
                const struct ac_label *l = &e->labels->items[i];
                const char *got = image_manifest_get_label(m, l->name);
                _cleanup_free_ char *qn = format_go_quote(l->name), *qw = NULL, *qg = NULL;

                if (!got)
                        return rk_error_set(reterr, EINVAL,
                                            "requested label %s not provided by the image "
                                            "manifest",
                                            qn);
                if (strcmp(got, l->value) != 0) {
                        qw = format_go_quote(l->value);
                        qg = format_go_quote(got);
                        return rk_error_set(reterr, EINVAL,
                                            "requested value for label %s: %s differs from "
                                            "fetched aci label value: %s",
                                            qn, qw, qg);
                }
        }
        return 0;
}

static int remote_gate_check(const struct image_manifest *m, void *userdata,
                             struct rk_error **reterr)
{
        struct remote_gate *g = userdata;
        int r = g->expect ? expect_check(g->expect, m, reterr) : 0;

        if (r >= 0 && g->sig)
                r = stage0_verify_image_job(g->j->ctx, g->j->s, m->name, NULL, TAKE_PTR(g->job),
                                            g->fd, g->sig, g->sig_len, reterr);
        return r;
}

/* --- one image URL --- */

/* The remote cache row of url, if the job may use it. */
static bool remote_row(const struct fetch_job *j, const char *url, struct store_remote *ret)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;

        if (store_get_remote_full(j->s, url, ret, &err) < 0)
                return false;
        if (fetch_job_store_usable(j, ret->key))
                return true;
        store_remote_done(ret);
        return false;
}

/* The image is in the store: the row says when it was fetched and how long it is fresh. */
static void remote_row_refresh(const struct fetch_job *j, struct store_remote *row,
                               const struct aci_download_result *dl)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;

        row->max_age = dl->max_age;
        row->download_time = 0;
        if (dl->etag) {
                free(row->etag);
                row->etag = xstrdup(dl->etag);
        }
        if (store_put_remote_full(j->s, row, &err) < 0)
                log_debug("cannot update the remote cache: %s", rk_error_cause(err));
}

/* --- importing while downloading --- */

/* aci_download() in a thread of its own, followed by the import in the calling thread. */
struct growing {
        const struct fetch_job *j;
        struct aci_download *d;
        struct aci_download_result dl;
        int r;
        struct rk_error *err;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int fd;        /* our own descriptor of the file, once a 200 or 206 body comes */
        uint64_t size; /* the bytes the file holds */
        bool done;     /* aci_download() returned */
};

static void growing_on_data(long status, int fd, uint64_t size, void *userdata)
{
        struct growing *gr = userdata;

        if (status != 200 && status != 206) /* a 202's body is no image */
                return;
        pthread_mutex_lock(&gr->lock);
        if (gr->fd < 0) /* the download closes its own when it fails */
                gr->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        gr->size = size;
        pthread_cond_broadcast(&gr->cond);
        pthread_mutex_unlock(&gr->lock);
}

static void *growing_run(void *userdata)
{
        struct growing *gr = userdata;
        int r = aci_download(gr->j->s, gr->d, &gr->dl, &gr->err);

        pthread_mutex_lock(&gr->lock);
        gr->r = r;
        gr->done = true;
        pthread_cond_broadcast(&gr->cond);
        pthread_mutex_unlock(&gr->lock);
        return NULL;
}

/* import_growing's wait: the file's size once it holds more than off, or it is complete. */
static int64_t growing_wait(void *userdata, uint64_t off)
{
        struct growing *gr = userdata;
        int64_t r;

        pthread_mutex_lock(&gr->lock);
        while (gr->size <= off && !gr->done)
                pthread_cond_wait(&gr->cond, &gr->lock);
        r = gr->size > off || (gr->r >= 0 && gr->dl.status == 200) ? (int64_t)gr->size : -EIO;
        pthread_mutex_unlock(&gr->lock);
        return r;
}

/*
 * aci_download() while the image is imported as it arrives (a 200 or 206 body), the import
 * reading only what the download wrote. *ret_imported tells whether the import ran; if not,
 * *dl is what aci_download() gave (a 304, a 202, an empty body) for the caller to handle.
 * The download always runs to its end, as it did before the import: a failed download is
 * the error even when the import failed too ("error downloading ACI"), whichever came
 * first, so that the same server always gets the same answer.
 */
static int download_importing(const struct fetch_job *j, struct aci_download *d,
                              struct remote_gate *g, unsigned flags, struct aci_download_result *dl,
                              bool *ret_imported, char **ret_key, struct rk_error **reterr)
{
        struct growing gr = {.j = j,
                             .d = d,
                             .fd = -EBADF,
                             .lock = PTHREAD_MUTEX_INITIALIZER,
                             .cond = PTHREAD_COND_INITIALIZER};
        struct import_growing follow = {growing_wait, &gr};
        pthread_t thread;
        int r;

        *ret_imported = false;
        d->on_data = growing_on_data;
        d->userdata = &gr;
        r = pthread_create(&thread, NULL, growing_run, &gr);
        if (r != 0) {
                d->on_data = NULL;
                r = aci_download(j->s, d, dl, reterr);
                return r < 0 ? rk_error_wrap(reterr, "error downloading ACI") : 0;
        }
        pthread_mutex_lock(&gr.lock);
        while (gr.fd < 0 && !gr.done)
                pthread_cond_wait(&gr.cond, &gr.lock);
        *ret_imported = gr.fd >= 0;
        pthread_mutex_unlock(&gr.lock);
        r = 0;
        if (*ret_imported) { /* the signature's hash too follows the download */
                g->fd = gr.fd;
                if (g->sig)
                        g->job = stage0_verify_start_growing(gr.fd, growing_wait, &gr, g->sig,
                                                             g->sig_len);
                r = store_import_aci_growing(j->s, gr.fd, &follow, d->url, flags, remote_gate_check,
                                             g, ret_key, reterr);
        }
        pthread_join(thread, NULL);
        /* the import failed before its gate; the job reads gr: it ends here */
        (void)pgp_verify_finish(TAKE_PTR(g->job), NULL, NULL, NULL);
        safe_close(gr.fd);
        g->fd = -EBADF;
        *dl = gr.dl;
        if (gr.r < 0) { /* (an import reads all of the file: it cannot have succeeded) */
                rk_error_free(*reterr);
                *reterr = TAKE_PTR(gr.err);
                return rk_error_wrap(reterr, "error downloading ACI");
        }
        rk_error_free(gr.err);
        return r;
}

/* Records where the image came from, once imported. */
static void remote_record(const struct fetch_job *j, const char *aci_url, const char *asc_url,
                          const struct remote_gate *g, const struct aci_download_result *dl,
                          const char *key)
{
        struct store_remote fresh = {.url = (char *)aci_url,
                                     .sig_url = (char *)asc_url,
                                     .etag = dl->etag,
                                     .key = (char *)key,
                                     .max_age = dl->max_age};
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;

        if (g->sig)
                stage0_mark_verified(j->s, key);
        if (store_put_remote_full(j->s, &fresh, &err) < 0)
                log_debug("cannot record the remote %s: %s", aci_url, rk_error_cause(err));
}

/* Downloads the image of aci_url and imports it once the gate agrees. */
static int remote_import(const struct fetch_job *j, const char *aci_url, const char *asc_url,
                         struct remote_gate *g, bool latest, struct store_remote *row,
                         char **ret_key, struct rk_error **reterr)
{
        struct aci_download d = {
                .url = aci_url, .etag = row->key ? row->etag : NULL, .label = "ACI"};
        unsigned flags = fetch_job_import_flags(j) | IMPORT_ADOPT | (latest ? IMPORT_LATEST : 0);
        struct aci_download_result dl;
        struct http_client http;
        _cleanup_free_ char *sig2 = NULL;
        bool deferred = g->sig == NULL && fetch_job_verifies(j), imported = false;
        int r;

        stage0_http_client(j->ctx, &http);
        d.http = &http;
        if (deferred) { /* the signature comes after the image: import it after that */
                r = aci_download(j->s, &d, &dl, reterr);
                if (r < 0)
                        return rk_error_wrap(reterr, "error downloading ACI");
        } else {
                r = download_importing(j, &d, g, flags, &dl, &imported, ret_key, reterr);
                if (r < 0 && !imported)
                        return r;
        }
        if (!imported && dl.status == 304 && row->key) {
                remote_row_refresh(j, row, &dl);
                aci_download_done(j->s, &dl);
                *ret_key = xstrdup(row->key);
                return 0;
        }
        if (!imported && dl.status != 200) {
                r = rk_error_set(reterr, EPROTO, "bad HTTP status code: %ld", dl.status);
                aci_download_done(j->s, &dl);
                return rk_error_wrap(reterr, "error downloading ACI");
        }
        if (!imported && deferred) {
                r = signature_get(j, asc_url, &sig2, &g->sig_len, &deferred, reterr);
                if (r >= 0 && deferred)
                        r = rk_error_set(reterr, EAGAIN,
                                         "error downloading the signature file: server asked to "
                                         "defer the download again");
                g->sig = sig2;
        }
        if (!imported && r >= 0) {
                g->fd = dl.fd;
                if (g->sig && !g->job)
                        g->job = stage0_verify_start(dl.fd, g->sig, g->sig_len);
                r = store_import_aci_gated(j->s, dl.fd, aci_url, flags, remote_gate_check, g,
                                           ret_key, reterr);
        }
        /* the import failed before its gate: the check is not needed */
        (void)pgp_verify_finish(TAKE_PTR(g->job), NULL, NULL, NULL);
        if (r >= 0)
                remote_record(j, aci_url, asc_url, g, &dl, *ret_key);
        aci_download_done(j->s, &dl);
        return r;
}

/* rkt's httpFetcher/nameFetcher Hash: cache freshness, signature, image. */
static int fetch_remote(const struct fetch_job *j, const char *aci_url, const char *asc_url,
                        const struct expect *expect, bool latest, char **ret_key,
                        struct rk_error **reterr)
{
        _cleanup_(store_remote_done) struct store_remote row = {0};
        _cleanup_free_ char *sig = NULL;
        struct remote_gate g = {.j = j, .expect = expect, .fd = -EBADF};
        bool deferred = false, verify = fetch_job_verifies(j);
        int r;

        if (remote_row(j, aci_url, &row) && row.max_age > 0 &&
            now_ns() - row.download_time < row.max_age * (int64_t)1000000000) {
                log_with_prefix(LOG_LEVEL_DEBUG, "image: ",
                                "image for %s isn't expired, not "
                                "fetching.",
                                aci_url);
                *ret_key = xstrdup(row.key);
                return 0;
        }
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "fetching image from %s", aci_url);
        if (verify && (j->ctx->insecure & INSECURE_TLS))
                log_with_prefix(LOG_LEVEL_INFO,
                                "image: ", "warning: TLS verification has been disabled");
        if (verify && expect)
                pubkeys_maybe_fetch(j, expect->name);
        if (verify) {
                r = signature_get(j, asc_url, &sig, &g.sig_len, &deferred, reterr);
                if (r >= 0 && expect && !deferred)
                        r = stage0_check_signer(j->ctx, expect->name, sig, g.sig_len, reterr);
                if (r < 0)
                        return r;
                g.sig = sig;
        }
        return remote_import(j, aci_url, asc_url, &g, latest, &row, ret_key, reterr);
}

/* <url without .aci>.aci.asc */
static char *asc_url_of(const char *url)
{
        size_t n = strcspn(url, "?#");
        const char *rest = url + n;

        if (n >= 4 && strncmp(url + n - 4, ".aci", 4) == 0)
                n -= 4;
        return xasprintf("%.*s.aci.asc%s", (int)n, url, rest);
}

int fetch_url(const struct fetch_job *j, const char *url, char **ret_key, struct rk_error **reterr)
{
        _cleanup_(store_remote_done) struct store_remote row = {0};
        _cleanup_free_ char *asc = asc_url_of(url);
        int r;

        if (strcmp(j->policy, "update") != 0 && remote_row(j, url, &row)) {
                log_with_prefix(LOG_LEVEL_DEBUG,
                                "image: ", "using image from local store for url %s", url);
                *ret_key = xstrdup(row.key);
                return 0;
        }
        if (strcmp(j->policy, "never") == 0)
                return rk_error_set(reterr, ENOENT,
                                    "unable to fetch image from URL \"%s\": either image was not "
                                    "found in the store or store was disabled and fetching from "
                                    "remote yielded nothing or it was disabled",
                                    url);
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "remote fetching from URL \"%s\"", url);
        r = fetch_remote(j, url, asc, NULL, false, ret_key, reterr);
        return r;
}

/* --- names --- */

static void log_discovery_attempt(const char *prefix, const char *why, void *userdata)
{
        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "meta tag 'ac-discovery' not found on %s: %s",
                        prefix, why);
}

/* The labels discovery and the checks use: those asked for, os and arch defaulting to the
 * host's. */
static int labels_for_fetch(const struct ac_labels *asked, struct ac_labels *ret,
                            struct rk_error **reterr)
{
        ac_labels_copy(ret, asked);
        if (!ac_labels_get(ret, "os"))
                ac_labels_set(ret, "os", "linux");
        if (!ac_labels_get(ret, "arch"))
                ac_labels_set(ret, "arch", host_arch());
        return ac_os_arch_validate(ac_labels_get(ret, "os"), ac_labels_get(ret, "arch"), reterr);
}

static int fetch_discovered(const struct fetch_job *j, const char *display, const char *name,
                            const struct ac_labels *asked, char **ret_key, struct rk_error **reterr)
{
        struct ac_labels labels = {0};
        struct http_client http;
        struct discovery_endpoint *eps = NULL;
        size_t n = 0;
        int r;

        r = labels_for_fetch(asked, &labels, reterr);
        if (r < 0) {
                ac_labels_done(&labels);
                return rk_error_wrap(reterr, "invalid Appc distribution \"%s\"", display);
        }
        stage0_http_client(j->ctx, &http);
        struct discovery_request rq = {
                .name = name,
                .labels = &labels,
                .http = &http,
                .allow_http = j->ctx->insecure & INSECURE_HTTP,
                .on_attempt_failed = log_discovery_attempt,
        };
        struct expect e = {.name = name, .labels = &labels};

        log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "searching for app image %s", name);
        http.progress = false;
        r = discovery_aci_endpoints(&rq, &eps, &n, reterr);
        if (r < 0)
                r = rk_error_wrap(reterr, "discovery failed for \"%s\"", name);
        else {
                log_with_prefix(LOG_LEVEL_DEBUG, "image: ", "remote fetching from URL \"%s\"",
                                eps[0].aci);
                r = fetch_remote(j, eps[0].aci, eps[0].asc, &e, !ac_labels_get(asked, "version"),
                                 ret_key, reterr);
        }
        discovery_endpoints_free(eps, n);
        ac_labels_done(&labels);
        return r;
}

int fetch_name_labels(const struct fetch_job *j, const char *display, const char *name,
                      const struct ac_labels *labels, char **ret_key, struct rk_error **reterr)
{
        if (strcmp(j->policy, "update") != 0) {
                struct rk_error *err = NULL;
                int r = store_find_by_name(j->s, name, labels, ret_key, &err);

                if (r >= 0 && fetch_job_store_usable(j, *ret_key)) {
                        rk_error_free(err);
                        log_with_prefix(LOG_LEVEL_DEBUG,
                                        "image: ", "using image from local store for image name %s",
                                        display);
                        return 0;
                }
                if (r >= 0) {
                        *ret_key = (free(*ret_key), NULL);
                        r = rk_error_set(&err, EPERM,
                                         "the stored image is not one root or you imported");
                }
                if (strcmp(j->policy, "never") == 0) {
                        *reterr = err;
                        rk_error_wrap(reterr, "cannot find image");
                        return rk_error_wrap(reterr, "unable to fetch image from image name \"%s\"",
                                             display);
                }
                rk_error_free(err);
        }
        return fetch_discovered(j, display, name, labels, ret_key, reterr);
}

int fetch_name(const struct fetch_job *j, const char *arg, char **ret_key, struct rk_error **reterr)
{
        _cleanup_free_ char *name = NULL;
        struct ac_labels labels = {0};
        int r;

        r = app_ref_parse(arg, &name, &labels, reterr);
        if (r < 0) {
                ac_labels_done(&labels);
                return rk_error_wrap(reterr, "unable to fetch image from image name \"%s\"", arg);
        }
        r = fetch_name_labels(j, arg, name, &labels, ret_key, reterr);
        ac_labels_done(&labels);
        return r;
}
