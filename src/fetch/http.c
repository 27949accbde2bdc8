/* SPDX-License-Identifier: Apache-2.0 */
/* GET requests over libcurl with bounded bodies, hand-followed redirects and hashing. */
#include "http.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ca-trust.h"
#include "crypto-util.h"
#include "curl-util.h"
#include "format-util.h"
#include "fs-util.h"
#include "log.h"
#include "strbuf.h"
#include "strv.h"

#define STALL_SPEED     1 /* abort when less than this many bytes/s for the stall time */
#define CONNECT_SECONDS 30

/* One transfer's state, shared by the libcurl callbacks. */
struct xfer {
        CURL *h;
        const struct http_request *req;
        struct http_response *resp;
        EVP_MD_CTX *md;
        struct strbuf body;
        bool too_big;    /* a 2xx body over its limit: an error */
        bool error_cut;  /* a non-2xx body cut at HTTP_ERROR_BODY_MAX: fine */
        int write_errno; /* writing out_fd failed */
        bool show_progress;
        bool progress_shown; /* this hop drew its bar */
        bool hop_written;    /* out_fd: this hop wrote its first byte */
        uint64_t synced;     /* out_fd: writeback started up to here */
        struct timespec last_progress;
        curl_off_t last_now; /* the bytes the bar last showed */
};

void http_response_done(struct http_response *r)
{
        free(r->body);
        free(r->content_type);
        free(r->www_authenticate);
        free(r->docker_digest);
        free(r->etag);
        free(r->cache_control);
        free(r->accept_ranges);
        free(r->last_modified);
        free(r->url);
        *r = (struct http_response){0};
}

static bool status_ok(long status)
{
        return status >= 200 && status < 300;
}

/* Before the first byte of a body: a 206 continues after resume_from, others start over. */
static int xfer_start_fd(struct xfer *x, long status)
{
        const struct http_request *req = x->req;
        off_t at = status == 206 ? (off_t)req->resume_from : 0;

        x->hop_written = true;
        x->resp->status = status;
        if (req->on_body)
                req->on_body(x->resp, req->userdata);
        if (req->resume_from == 0)
                return 0;
        if (ftruncate(req->out_fd, at) < 0 || lseek(req->out_fd, at, SEEK_SET) < 0)
                return -errno;
        x->resp->written = x->synced = (uint64_t)at;
        x->resp->resumed = at > 0;
        return 0;
}

static size_t xfer_to_fd(struct xfer *x, const char *data, size_t n, long status)
{
        const struct http_request *req = x->req;
        int r;

        if (!x->hop_written && (r = xfer_start_fd(x, status)) < 0) {
                x->write_errno = -r;
                return 0;
        }
        if ((req->expect_size && x->resp->written + n > req->expect_size) ||
            (!req->expect_size && req->max_out && x->resp->written + n > req->max_out)) {
                x->too_big = true;
                return 0;
        }
        r = write_full(req->out_fd, data, n);
        if (r < 0) {
                x->write_errno = -r;
                return 0;
        }
        if (req->digest)
                EVP_DigestUpdate(x->md, data, n);
        x->resp->written += n;
        if (req->writeback)
                writeback_start(req->out_fd, &x->synced, x->resp->written, WRITEBACK_STEP);
        if (req->on_data)
                req->on_data(x->resp, req->userdata);
        return n;
}

static size_t xfer_write(char *data, size_t size, size_t nmemb, void *userdata)
{
        struct xfer *x = userdata;
        size_t n = size * nmemb, limit;
        long status = 0;

        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
        if (status_ok(status) && x->req->out_fd >= 0)
                return xfer_to_fd(x, data, n, status);
        limit = status_ok(status) ? x->req->max_size : HTTP_ERROR_BODY_MAX;
        if (x->body.len + n > limit) {
                if (status_ok(status))
                        x->too_big = true;
                else
                        x->error_cut = true;
                return 0;
        }
        strbuf_add(&x->body, data, n);
        return n;
}

/* "Name: value" when line starts with name (case-insensitive): the trimmed value. */
static char *header_value(const char *line, size_t n, const char *name)
{
        size_t k = strlen(name), end = n;

        if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
                return NULL;
        k++;
        while (k < end && (line[k] == ' ' || line[k] == '\t'))
                k++;
        while (end > k && strchr(" \t\r\n", line[end - 1]))
                end--;
        return oom_check(strndup(line + k, end - k));
}

static void set_once(char **field, char *value)
{
        if (!value)
                return;
        if (*field)
                free(value);
        else
                *field = value;
}

static size_t xfer_header(char *line, size_t size, size_t nmemb, void *userdata)
{
        struct xfer *x = userdata;
        size_t n = size * nmemb;
        char *ct;

        if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) { /* a new response (after 1xx) */
                char **fields[] = {&x->resp->content_type,  &x->resp->www_authenticate,
                                   &x->resp->docker_digest, &x->resp->etag,
                                   &x->resp->cache_control, &x->resp->accept_ranges,
                                   &x->resp->last_modified};

                for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                        free(*fields[i]);
                        *fields[i] = NULL;
                }
                return n;
        }
        ct = header_value(line, n, "Content-Type");
        if (ct)
                ct[strcspn(ct, "; \t")] = '\0';
        set_once(&x->resp->content_type, ct);
        set_once(&x->resp->www_authenticate, header_value(line, n, "WWW-Authenticate"));
        set_once(&x->resp->docker_digest, header_value(line, n, "Docker-Content-Digest"));
        set_once(&x->resp->etag, header_value(line, n, "ETag"));
        set_once(&x->resp->cache_control, header_value(line, n, "Cache-Control"));
        set_once(&x->resp->accept_ranges, header_value(line, n, "Accept-Ranges"));
        set_once(&x->resp->last_modified, header_value(line, n, "Last-Modified"));
        return n;
}

static int xfer_progress(void *userdata, curl_off_t total, curl_off_t now, curl_off_t ut,
                         curl_off_t un)
{
        struct xfer *x = userdata;
        struct timespec t;
        uint64_t full = x->req->expect_size ? x->req->expect_size : (uint64_t)total;
        int width = 40, filled;

        clock_gettime(CLOCK_MONOTONIC, &t);
        /* redrawn at most ten times a second, and only when the count moved */
        if (x->progress_shown &&
            (now == x->last_now ||
             ((full == 0 || (uint64_t)now < full) &&
              t.tv_sec * 10 + t.tv_nsec / 100000000 ==
                      x->last_progress.tv_sec * 10 + x->last_progress.tv_nsec / 100000000)))
                return 0;
        x->last_progress = t;
        x->last_now = now;
        x->progress_shown = true;
        filled = full ? (int)((double)now / (double)full * width) : 0;
        filled = MIN(filled, width);
        fprintf(stderr, "\rDownloading %s: [%.*s%*s] %.1f MB/%.1f MB", x->req->progress_label,
                filled, "========================================", width - filled, "",
                (double)now / 1e6, (double)full / 1e6);
        return 0;
}

static struct curl_slist *hop_headers(const struct http_request *req, bool send_auth)
{
        struct curl_slist *l = curl_slist_append(NULL, "User-Agent: rkt/" RKT_VERSION);

        STRV_FOREACH(h, req->headers)
                l = curl_slist_append(l, *h);
        if (send_auth && req->authorization) {
                _cleanup_free_ char *a = xasprintf("Authorization: %s", req->authorization);
                l = curl_slist_append(l, a);
        }
        return oom_check(l);
}

/* Where curl finds trusted certificates: ours (ca-trust.h), else its defaults unless
 * $SSL_CERT_FILE or $SSL_CERT_DIR say otherwise (see http_get()). */
static void hop_setup_ca(CURL *h)
{
        const char *file = getenv("SSL_CERT_FILE"), *dirs = getenv("SSL_CERT_DIR");
        const struct strbuf *pem;
        struct curl_blob b;

        if (ca_trust_attach(h))
                return;
        if (dirs && *dirs) {
                pem = ca_trust_pem();
                b = (struct curl_blob){
                        .data = pem->buf, .len = pem->len, .flags = CURL_BLOB_NOCOPY};
                curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
                curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
        } else if (file && *file)
                curl_easy_setopt(h, CURLOPT_CAINFO, file);
}

static void hop_setup(CURL *h, const struct http_client *c, struct xfer *x, const char *url,
                      struct curl_slist *headers)
{
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_SECONDS);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, (long)STALL_SPEED);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                         x->req->stall_s > 0 ? x->req->stall_s : (long)HTTP_STALL_SECONDS);
        curl_easy_setopt(h, CURLOPT_NOBODY, x->req->head ? 1L : 0L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, x->req->timeout_s);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, xfer_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, xfer_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->insecure_tls ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->insecure_tls ? 0L : 2L);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, x->show_progress ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xfer_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
        if (!c->insecure_tls && strncasecmp(url, "https:", 6) == 0) /* else none is read */
                hop_setup_ca(h);
}

/* Resets the sinks before a hop: an earlier hop's answer must not leak into this one. */
static int hop_reset(struct xfer *x, struct rk_error **reterr)
{
        off_t keep = (off_t)x->req->resume_from;

        strbuf_reset(&x->body);
        x->too_big = x->error_cut = x->hop_written = false;
        x->resp->written = 0;
        x->resp->resumed = false;
        if (x->req->out_fd < 0)
                return 0;
        EVP_DigestInit_ex(x->md, EVP_sha256(), NULL);
        if (ftruncate(x->req->out_fd, keep) < 0 || lseek(x->req->out_fd, keep, SEEK_SET) < 0)
                return rk_error_set_errno(reterr, errno, "cannot reset the download file");
        return 0;
}

static int hop_result(struct xfer *x, const char *url, CURLcode cr, struct rk_error **reterr)
{
        if (x->too_big)
                return rk_error_set(reterr, EFBIG, "response from %s is larger than %llu bytes",
                                    url,
                                    (unsigned long long)(x->req->out_fd >= 0 ? x->req->expect_size
                                                                             : x->req->max_size));
        if (x->write_errno)
                return rk_error_set_errno(reterr, x->write_errno, "cannot store %s", url);
        if (cr != CURLE_OK && !(cr == CURLE_WRITE_ERROR && x->error_cut))
                return rk_error_set(reterr, EIO, "GET %s: %s", url, curl_easy_strerror(cr));
        return 0;
}

/* One request/response; *ret_next is the redirect target of a 3xx answer, else NULL. */
static int hop(const struct http_client *c, struct xfer *x, const char *url, bool send_auth,
               char **ret_next, struct rk_error **reterr)
{
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = hop_headers(x->req, send_auth);
        char *next = NULL;
        CURLcode cr;
        int r;

        curl_easy_reset(x->h);
        hop_setup(x->h, c, x, url, headers);
        r = hop_reset(x, reterr);
        if (r < 0)
                return r;
        log_debug("%s %s", x->req->head ? "HEAD" : "GET", url);
        cr = curl_easy_perform(x->h);
        if (x->progress_shown)
                fputc('\n', stderr);
        x->progress_shown = false;
        r = hop_result(x, url, cr, reterr);
        if (r < 0)
                return r;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->resp->status);
        if (x->resp->status >= 300 && x->resp->status < 400 &&
            curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &next) == CURLE_OK && next)
                *ret_next = xstrdup(next);
        return 0;
}

static bool is_https(const char *url)
{
        return strncasecmp(url, "https:", 6) == 0;
}

static int http_follow(const struct http_client *c, struct xfer *x, struct rk_error **reterr)
{
        _cleanup_free_ char *url = xstrdup(x->req->url);
        bool send_auth = true;
        int r;

        for (int hops = 0;; hops++) {
                _cleanup_free_ char *next = NULL;

                r = hop(c, x, url, send_auth, &next, reterr);
                if (r < 0 || !next)
                        break;
                if (hops == HTTP_MAX_REDIRECTS)
                        return rk_error_set(reterr, ELOOP, "GET %s: more than %d redirects",
                                            x->req->url, HTTP_MAX_REDIRECTS);
                if (is_https(url) && !is_https(next))
                        return rk_error_set(reterr, EPERM,
                                            "refusing a redirect from HTTPS to %s (from %s)", next,
                                            url);
                send_auth = send_auth && http_same_origin(x->req->url, next);
                free(url);
                url = TAKE_PTR(next);
        }
        x->resp->url = TAKE_PTR(url);
        return r;
}

/* The host[:port] of url as written (lowercase), NULL if it has none. */
static char *url_authority(const char *url)
{
        const char *p = strstr(url, "://"), *end;

        if (!p)
                return NULL;
        p += 3;
        end = p + strcspn(p, "/?#");
        if (memchr(p, '@', (size_t)(end - p)))
                p = (const char *)memchr(p, '@', (size_t)(end - p)) + 1;
        return p < end ? oom_check(strndup(p, (size_t)(end - p))) : NULL;
}

/* The configured credentials for an https:// url, NULL when none. */
static const char *credentials_for(const struct http_client *c, const char *url)
{
        _cleanup_free_ char *auth = NULL;

        if (c->n_credentials == 0 || !is_https(url) || !(auth = url_authority(url)))
                return NULL;
        for (size_t i = 0; i < c->n_credentials; i++)
                if (strcasecmp(c->credentials[i].host, auth) == 0)
                        return c->credentials[i].authorization;
        return NULL;
}

static int http_get_loaded(const struct http_client *c, const struct http_request *req_in,
                           struct http_response *ret, struct rk_error **reterr)
{
        struct http_request with_auth = *req_in;
        const struct http_request *req = &with_auth;

        _cleanup_(curl_easy_cleanupp) CURL *h = curl_easy_init();
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = oom_check(EVP_MD_CTX_new());
        struct xfer x = {
                .h = h,
                .req = req,
                .resp = ret,
                .md = md,
                .show_progress = c->progress && req->progress_label,
        };
        unsigned char digest[32];
        int r;

        *ret = (struct http_response){0};
        if (!with_auth.authorization)
                with_auth.authorization = credentials_for(c, req_in->url);
        if (!h)
                return rk_error_set(reterr, ENOMEM, "cannot start an HTTP client");
        r = http_follow(c, &x, reterr);
        if (r >= 0 && req->out_fd >= 0 && req->digest && status_ok(ret->status)) {
                EVP_DigestFinal_ex(md, digest, NULL);
                strcpy(ret->sha256, "sha256:");
                hex_encode(digest, sizeof(digest), ret->sha256 + 7);
        }
        ret->len = x.body.len;
        ret->body = strbuf_detach(&x.body);
        if (r < 0)
                http_response_done(ret);
        return r;
}

int http_get(const struct http_client *c, const struct http_request *req, struct http_response *ret,
             struct rk_error **reterr)
{
        int r = curl_load(reterr);

        *ret = (struct http_response){0};
        return r < 0 ? r : http_get_loaded(c, req, ret, reterr);
}

/* scheme://host:port of url, lowercased host, default ports filled in; NULL if invalid (or
 * without libcurl: then no origin matches, and no credentials are sent). */
static char *url_origin(const char *url)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_(curl_url_cleanupp) CURLU *u = curl_load(&e) < 0 ? NULL : curl_url();
        _cleanup_free_ char *scheme_s = NULL, *host_s = NULL, *port_s = NULL;
        char *scheme = NULL, *host = NULL, *port = NULL;

        if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
                return NULL;
        scheme_s = xstrdup(scheme);
        curl_free(scheme);
        if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                return NULL;
        host_s = xstrdup(host);
        curl_free(host);
        if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
                return NULL;
        port_s = xstrdup(port);
        curl_free(port);
        for (char *p = host_s; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        return xasprintf("%s://%s:%s", scheme_s, host_s, port_s);
}

bool http_same_origin(const char *a, const char *b)
{
        _cleanup_free_ char *oa = url_origin(a), *ob = url_origin(b);

        return oa && ob && strcasecmp(oa, ob) == 0;
}

char *http_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        struct strbuf sb = STRBUF_INIT;

        strbuf_puts(&sb, ""); /* "" for "" */
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
                        strbuf_putc(&sb, (char)*p);
                else
                        strbuf_printf(&sb, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
        }
        return strbuf_detach(&sb);
}