/* SPDX-License-Identifier: Apache-2.0 */
/* The registry v2 protocol: probe, authentication, manifests, blobs. */
#include "registry.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "docker-manifest.h"
#include "json-util.h"
#include "log.h"
#include "strbuf.h"

#define SMALL_TIMEOUT  60        /* seconds: probe, token, manifest, config */
#define TOKEN_MAX      (1 << 20) /* bytes of a token response */
#define TOKEN_LIFETIME 60        /* seconds, when the server does not say */

struct challenge {
        char *scheme;
        char *realm, *service, *scope;
};

static void challenge_done(struct challenge *c)
{
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
}

/* Reads a token or quoted-string at *p into a new string; advances *p. */
static char *read_value(const char **p)
{
        struct strbuf b = STRBUF_INIT;
        const char *s = *p;

        if (*s == '"') {
                for (s++; *s && *s != '"'; s++) {
                        if (*s == '\\' && s[1])
                                s++;
                        strbuf_putc(&b, *s);
                }
                if (*s == '"')
                        s++;
        } else {
                size_t n = strcspn(s, ", \t");
                strbuf_add(&b, s, n);
                s += n;
        }
        *p = s;
        return strbuf_detach(&b);
}

/* RFC 7235: scheme, then comma-separated name=value parameters (values may be quoted and
 * contain commas). Only the first challenge of the header is read. */
static void challenge_parse(const char *h, struct challenge *c)
{
        const char *p = h + strspn(h, " \t");
        size_t n = strcspn(p, " \t");

        c->scheme = oom_check(strndup(p, n));
        p += n;
        for (;;) {
                _cleanup_free_ char *name = NULL;
                char *value, **slot = NULL;

                p += strspn(p, " \t,");
                n = strcspn(p, "= \t,");
                if (!*p || p[n] != '=')
                        return;
                name = oom_check(strndup(p, n));
                p += n + 1;
                value = read_value(&p);
                if (strcasecmp(name, "realm") == 0)
                        slot = &c->realm;
                else if (strcasecmp(name, "service") == 0)
                        slot = &c->service;
                else if (strcasecmp(name, "scope") == 0)
                        slot = &c->scope;
                if (slot && !*slot)
                        *slot = value;
                else
                        free(value);
        }
}

static char *basic_header(const char *user, const char *password)
{
        _cleanup_free_ char *plain = xasprintf("%s:%s", user, password);
        size_t n = strlen(plain);
        char *out = oom_check(malloc(6 + 4 * ((n + 2) / 3) + 1));

        memcpy(out, "Basic ", 6);
        EVP_EncodeBlock((unsigned char *)out + 6, (unsigned char *)plain, (int)n);
        return out;
}

static char *token_url(const struct registry *r, const struct challenge *c)
{
        _cleanup_free_ char *scope = NULL, *service = NULL;
        struct strbuf b = STRBUF_INIT;

        scope = http_escape(c->scope ?: "");
        if (!c->scope) {
                _cleanup_free_ char *s = xasprintf("repository:%s:pull", r->ref->repository);
                free(scope);
                scope = http_escape(s);
        }
        strbuf_puts(&b, c->realm);
        strbuf_putc(&b, strchr(c->realm, '?') ? '&' : '?');
        if (c->service) {
                service = http_escape(c->service);
                strbuf_printf(&b, "service=%s&", service);
        }
        strbuf_printf(&b, "scope=%s", scope);
        return strbuf_detach(&b);
}

static int token_parse(struct registry *r, const struct http_response *resp,
                       struct rk_error **reterr)
{
        static const struct json_field_spec fields[] = {
                {"token"}, {"access_token"}, {"expires_in"}, {"issued_at"}, {NULL},
        };
        _cleanup_json_ json_t *doc = json_load_fields(resp->body, resp->len, fields, NULL);
        const char *tok = json_string_value(json_object_get(doc, "token"));
        json_t *exp = json_object_get(doc, "expires_in");

        if (!tok || !*tok)
                tok = json_string_value(json_object_get(doc, "access_token"));
        if (!tok || !*tok || strpbrk(tok, "\r\n"))
                return rk_error_set(reterr, EPROTO, "no token in the answer of %s", resp->url);
        free(r->bearer);
        r->bearer = xasprintf("Bearer %s", tok);
        r->bearer_expiry = time(NULL) + (json_is_integer(exp) && json_integer_value(exp) > 0
                                                 ? (time_t)json_integer_value(exp)
                                                 : TOKEN_LIFETIME);
        return 0;
}

/* Asks the realm of a Bearer challenge for a token. */
static int token_fetch(struct registry *r, const struct challenge *c, struct rk_error **reterr)
{
        _cleanup_free_ char *url = NULL;
        struct http_request req = {.out_fd = -1, .max_size = TOKEN_MAX, .timeout_s = SMALL_TIMEOUT};
        struct http_response resp;
        int ret;

        if (!c->realm || (strncasecmp(c->realm, "https://", 8) != 0 &&
                          !(r->allow_http && strncasecmp(c->realm, "http://", 7) == 0)))
                return rk_error_set(reterr, EPERM, "registry %s: unusable token realm \"%s\"",
                                    r->ref->registry, c->realm ?: "");
        url = token_url(r, c);
        req.url = url;
        if (http_same_origin(url, r->base)) /* credentials stay with their registry */
                req.authorization = r->basic;
        ret = http_get(&r->http, &req, &resp, reterr);
        if (ret < 0)
                return ret;
        if (resp.status != 200)
                ret = rk_error_set(reterr, EACCES, "registry %s: token request: HTTP %ld",
                                   r->ref->registry, resp.status);
        else
                ret = token_parse(r, &resp, reterr);
        http_response_done(&resp);
        return ret;
}

/* After a 401: gets what the challenge asks for. */
static int authenticate(struct registry *r, const struct http_response *resp,
                        struct rk_error **reterr)
{
        struct challenge c = {0};
        int ret;

        challenge_parse(resp->www_authenticate ?: "", &c);
        if (strcasecmp(c.scheme, "Bearer") == 0)
                ret = token_fetch(r, &c, reterr);
        else if (strcasecmp(c.scheme, "Basic") == 0 && r->basic && !r->use_basic)
                ret = (r->use_basic = true, 0);
        else
                ret = rk_error_set(
                        reterr, EACCES, "registry %s: authentication required (HTTP 401)%s",
                        r->ref->registry, r->basic ? "" : ": no credentials configured for it");
        challenge_done(&c);
        return ret;
}

/* The Authorization value to send now (a copy: another thread may renew it), or NULL. */
static char *current_authorization(struct registry *r)
{
        char *auth;

        pthread_mutex_lock(&r->lock);
        if (r->bearer && time(NULL) >= r->bearer_expiry)
                r->bearer = (free(r->bearer), NULL);
        auth = r->bearer ? xstrdup(r->bearer) : r->use_basic ? xstrdup(r->basic) : NULL;
        pthread_mutex_unlock(&r->lock);
        return auth;
}

/* After a 401 to a request sent with used: new credentials, unless another thread already
 * got them meanwhile. */
static int renew_authorization(struct registry *r, const char *used,
                               const struct http_response *resp, struct rk_error **reterr)
{
        int ret = 0;

        pthread_mutex_lock(&r->lock);
        if (!r->bearer || (used && strcmp(r->bearer, used) == 0)) {
                r->bearer = (free(r->bearer), NULL);
                ret = authenticate(r, resp, reterr);
        }
        pthread_mutex_unlock(&r->lock);
        return ret;
}

/* GET base+path with the current credentials, renewing them once on a 401. */
static int registry_get(struct registry *r, const char *path, struct http_request *req,
                        struct http_response *resp, struct rk_error **reterr)
{
        _cleanup_free_ char *url = xasprintf("%s%s", r->base, path);
        int ret;

        req->url = url;
        for (int attempt = 0;; attempt++) {
                _cleanup_free_ char *auth = current_authorization(r);

                req->authorization = auth;
                ret = http_get(&r->http, req, resp, reterr);
                req->authorization = NULL;
                if (ret < 0 || resp->status != 401 || attempt > 0)
                        return ret;
                ret = renew_authorization(r, auth, resp, reterr);
                http_response_done(resp);
                if (ret < 0)
                        return ret;
        }
}

static int status_error(struct registry *r, const char *what, long status, struct rk_error **reterr)
{
        return rk_error_set(reterr,
                            status == 404   ? ENOENT
                            : status == 401 ? EACCES
                                            : EIO,
                            "registry %s: %s: %s (HTTP %ld)", r->ref->registry, what,
                            status == 404   ? "not found"
                            : status == 401 ? "access denied"
                                            : "unexpected answer",
                            status);
}

static int probe(struct registry *r, const char *scheme, struct rk_error **reterr)
{
        struct http_request req = {.out_fd = -1, .max_size = 1 << 16, .timeout_s = SMALL_TIMEOUT};
        struct http_response resp;
        _cleanup_free_ char *url = xasprintf("%s://%s/v2/", scheme, r->ref->registry);
        int ret;

        req.url = url;
        ret = http_get(&r->http, &req, &resp, reterr);
        if (ret < 0)
                return ret;
        if (resp.status != 200 && resp.status != 401)
                ret = rk_error_set(reterr, EPROTO,
                                   "%s does not answer as a Docker registry v2 (HTTP %ld)", url,
                                   resp.status);
        http_response_done(&resp);
        if (ret >= 0)
                r->base = xasprintf("%s://%s", scheme, r->ref->registry);
        return ret;
}

int registry_open(struct registry *r, const struct docker_ref *ref, bool allow_http,
                  const char *user, const char *password, struct rk_error **reterr)
{
        struct rk_error *first = NULL;
        int ret;

        pthread_mutex_init(&r->lock, NULL);
        r->ref = ref;
        r->allow_http = allow_http;
        if (user && password)
                r->basic = basic_header(user, password);
        ret = probe(r, "https", &first);
        if (ret >= 0 || !allow_http) {
                *reterr = first;
                return ret;
        }
        log_debug("%s; trying plain HTTP", rk_error_cause(first));
        rk_error_free(first);
        return probe(r, "http", reterr);
}

void registry_done(struct registry *r)
{
        free(r->base);
        free(r->basic);
        free(r->bearer);
        pthread_mutex_destroy(&r->lock);
        *r = (struct registry){0};
}

static int check_manifest_digest(struct registry *r, const char *reference,
                                 const struct http_response *resp, char *digest,
                                 struct rk_error **reterr)
{
        const char *header = resp->docker_digest;

        if (docker_digest_is_valid(reference) && strcmp(reference, digest) != 0)
                return rk_error_set(reterr, EBADMSG,
                                    "registry %s: manifest digest mismatch: asked for %s, got %s",
                                    r->ref->registry, reference, digest);
        if (header && strncmp(header, "sha256:", 7) == 0 && strcmp(header, digest) != 0)
                return rk_error_set(reterr, EBADMSG,
                                    "registry %s: manifest digest mismatch: announced %s, got %s",
                                    r->ref->registry, header, digest);
        return 0;
}

int registry_get_manifest(struct registry *r, const char *reference, char **ret_body,
                          size_t *ret_len, char **ret_media_type, char **ret_digest,
                          struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", r->ref->repository, reference);
        _cleanup_free_ char *digest = NULL;
        char *accept[] = {(char *)DOCKER_MANIFEST_ACCEPT, NULL};
        struct http_request req = {.out_fd = -1,
                                   .max_size = DOCKER_MANIFEST_MAX,
                                   .timeout_s = SMALL_TIMEOUT,
                                   .headers = accept};
        struct http_response resp;
        int ret;

        ret = registry_get(r, path, &req, &resp, reterr);
        if (ret < 0)
                return ret;
        if (resp.status != 200) {
                _cleanup_free_ char *what =
                        xasprintf("manifest %s:%s", r->ref->repository, reference);
                ret = status_error(r, what, resp.status, reterr);
        } else {
                digest = docker_sha256(resp.body, resp.len);
                ret = check_manifest_digest(r, reference, &resp, digest, reterr);
        }
        if (ret >= 0) {
                *ret_len = resp.len;
                *ret_body = TAKE_PTR(resp.body);
                *ret_media_type = TAKE_PTR(resp.content_type);
                *ret_digest = TAKE_PTR(digest);
        }
        http_response_done(&resp);
        return ret;
}

int registry_get_blob_fd(struct registry *r, const char *digest, uint64_t size, int out_fd,
                         struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", r->ref->repository, digest);
        struct http_request req = {
                .out_fd = out_fd, .expect_size = size, .progress_label = digest, .digest = true};
        struct http_response resp;
        int ret;

        if (size == 0)
                req.expect_size = 1; /* an empty layer has no data: anything is too much */
        ret = registry_get(r, path, &req, &resp, reterr);
        if (ret < 0)
                return ret;
        if (resp.status != 200)
                ret = status_error(r, digest, resp.status, reterr);
        else if (resp.written != size)
                ret = rk_error_set(reterr, EBADMSG,
                                   "registry %s: blob %s: %llu bytes instead of %llu",
                                   r->ref->registry, digest, (unsigned long long)resp.written,
                                   (unsigned long long)size);
        else if (strcmp(resp.sha256, digest) != 0)
                ret = rk_error_set(reterr, EBADMSG, "registry %s: blob %s: digest mismatch (%s)",
                                   r->ref->registry, digest, resp.sha256);
        http_response_done(&resp);
        return ret;
}

int registry_get_blob_mem(struct registry *r, const char *digest, uint64_t size, size_t max,
                          char **ret_body, size_t *ret_len, struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", r->ref->repository, digest);
        _cleanup_free_ char *got = NULL;
        struct http_request req = {.out_fd = -1,
                                   .max_size = (size_t)MIN((uint64_t)max, size),
                                   .timeout_s = SMALL_TIMEOUT};
        struct http_response resp;
        int ret;

        ret = registry_get(r, path, &req, &resp, reterr);
        if (ret < 0)
                return ret;
        if (resp.status != 200)
                ret = status_error(r, digest, resp.status, reterr);
        else if (strcmp((got = docker_sha256(resp.body, resp.len)), digest) != 0)
                ret = rk_error_set(reterr, EBADMSG, "registry %s: blob %s: digest mismatch (%s)",
                                   r->ref->registry, digest, got);
        if (ret >= 0) {
                *ret_len = resp.len;
                *ret_body = TAKE_PTR(resp.body);
        }
        http_response_done(&resp);
        return ret;
}
