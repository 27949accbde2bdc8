/* SPDX-License-Identifier: Apache-2.0 */
/* appc meta discovery: the pages, their <meta> tags, the templates (see discovery.h). */
#include "discovery.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "strv.h"

/* --- a small HTML tokenizer: enough of HTML's rules to find <meta> tags as browsers do --- */

struct cursor {
        const char *p, *end;
};

static bool at(const struct cursor *c, const char *s)
{
        size_t n = strlen(s);

        return (size_t)(c->end - c->p) >= n && strncasecmp(c->p, s, n) == 0;
}

/* Moves past the next occurrence of s (case-insensitive), or to the end. */
static void skip_past(struct cursor *c, const char *s)
{
        while (c->p < c->end && !at(c, s))
                c->p++;
        c->p = c->p < c->end ? c->p + strlen(s) : c->end;
}

static void skip_space(struct cursor *c)
{
        while (c->p < c->end && isspace((unsigned char)*c->p))
                c->p++;
}

/* Appends the code point u as UTF-8. */
static void put_utf8(struct strbuf *sb, unsigned long u)
{
        if (u == 0 || u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF))
                u = 0xFFFD;
        if (u < 0x80)
                strbuf_putc(sb, (char)u);
        else if (u < 0x800)
                strbuf_printf(sb, "%c%c", (char)(0xC0 | (u >> 6)), (char)(0x80 | (u & 0x3F)));
        else if (u < 0x10000)
                strbuf_printf(sb, "%c%c%c", (char)(0xE0 | (u >> 12)),
                              (char)(0x80 | ((u >> 6) & 0x3F)), (char)(0x80 | (u & 0x3F)));
        else
                strbuf_printf(sb, "%c%c%c%c", (char)(0xF0 | (u >> 18)),
                              (char)(0x80 | ((u >> 12) & 0x3F)), (char)(0x80 | ((u >> 6) & 0x3F)),
                              (char)(0x80 | (u & 0x3F)));
}

/* The attribute value v[0..n) with character references replaced. */
static char *unescape(const char *v, size_t n)
{
        static const struct {
                const char *name;
                char c;
        } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
        struct strbuf sb = STRBUF_INIT;

        strbuf_puts(&sb, "");
        for (size_t i = 0; i < n; i++) {
                bool done = false;

                if (v[i] != '&') {
                        strbuf_putc(&sb, v[i]);
                        continue;
                }
                for (size_t k = 0; k < ELEMENTSOF(named) && !done; k++) {
                        size_t l = strlen(named[k].name);

                        if (n - i - 1 >= l && strncmp(v + i + 1, named[k].name, l) == 0) {
                                strbuf_putc(&sb, named[k].c);
                                i += l;
                                done = true;
                        }
                }
                if (!done && i + 2 < n && v[i + 1] == '#') {
                        bool hex = v[i + 2] == 'x' || v[i + 2] == 'X';
                        size_t j = i + 2 + hex, start = j;
                        unsigned long u = 0;

                        while (j < n &&
                               (hex ? isxdigit((unsigned char)v[j])
                                    : isdigit((unsigned char)v[j])) &&
                               u < 0x110000) {
                                u = u * (hex ? 16 : 10) +
                                    (unsigned long)(isdigit((unsigned char)v[j])
                                                            ? v[j] - '0'
                                                            : (tolower((unsigned char)v[j]) - 'a' +
                                                               10));
                                j++;
                        }
                        if (j > start) {
                                put_utf8(&sb, u);
                                i = j < n && v[j] == ';' ? j : j - 1;
                                done = true;
                        }
                }
                if (!done)
                        strbuf_putc(&sb, '&');
        }
        return strbuf_detach(&sb);
}

/* Reads one attribute at c (after its tag name); false at the end of the tag. */
static bool read_attr(struct cursor *c, char **ret_name, char **ret_value)
{
        const char *n0, *v0;
        size_t vn;

        while (c->p < c->end && (isspace((unsigned char)*c->p) || *c->p == '/'))
                c->p++;
        if (c->p >= c->end || *c->p == '>')
                return false;
        n0 = c->p;
        while (c->p < c->end && !isspace((unsigned char)*c->p) && !strchr("=>/", *c->p))
                c->p++;
        *ret_name = oom_check(strndup(n0, (size_t)(c->p - n0)));
        for (char *q = *ret_name; *q; q++)
                *q = (char)tolower((unsigned char)*q);
        skip_space(c);
        if (c->p >= c->end || *c->p != '=') {
                *ret_value = xstrdup("");
                return true;
        }
        c->p++;
        skip_space(c);
        if (c->p < c->end && (*c->p == '"' || *c->p == '\'')) {
                char q = *c->p++;

                v0 = c->p;
                while (c->p < c->end && *c->p != q)
                        c->p++;
                vn = (size_t)(c->p - v0);
                if (c->p < c->end)
                        c->p++;
        } else {
                v0 = c->p;
                while (c->p < c->end && !isspace((unsigned char)*c->p) && *c->p != '>')
                        c->p++;
                vn = (size_t)(c->p - v0);
        }
        *ret_value = unescape(v0, vn);
        return true;
}

/* "name\tprefix\turi" for an appc meta tag's attributes, NULL for any other tag. */
static char *meta_entry(const char *name, const char *content)
{
        _cleanup_free_ char *trimmed = NULL;
        const char *s = content, *e = content + strlen(content), *sp;

        if (!name || !content || strncmp(name, "ac-", 3) != 0 || strchr(name, '\t'))
                return NULL;
        while (s < e && isspace((unsigned char)*s))
                s++;
        while (e > s && isspace((unsigned char)e[-1]))
                e--;
        sp = memchr(s, ' ', (size_t)(e - s));
        if (!sp || sp == s)
                return NULL;
        trimmed = oom_check(strndup(sp + 1, (size_t)(e - sp - 1)));
        {
                const char *u = trimmed, *ue = trimmed + strlen(trimmed);

                while (u < ue && isspace((unsigned char)*u))
                        u++;
                if (u == ue || memchr(s, '\t', (size_t)(e - s)))
                        return NULL;
                return xasprintf("%s\t%.*s\t%s", name, (int)(sp - s), s, u);
        }
}

/* Reads the tag at c (just after its '<' and name start) and appends an appc meta entry. */
static void read_tag(struct cursor *c, char ***metas)
{
        _cleanup_free_ char *mname = NULL, *mcontent = NULL;
        const char *t0 = c->p;
        bool is_meta, raw;
        char *a, *v, *entry;
        size_t tn;

        while (c->p < c->end && isalnum((unsigned char)*c->p))
                c->p++;
        tn = (size_t)(c->p - t0);
        is_meta = tn == 4 && strncasecmp(t0, "meta", 4) == 0;
        raw = (tn == 6 && strncasecmp(t0, "script", 6) == 0) ||
              (tn == 5 && strncasecmp(t0, "style", 5) == 0);
        while (read_attr(c, &a, &v)) {
                if (is_meta && strcmp(a, "name") == 0) {
                        free(mname);
                        mname = v;
                } else if (is_meta && strcmp(a, "content") == 0) {
                        free(mcontent);
                        mcontent = v;
                } else
                        free(v);
                free(a);
        }
        if (c->p < c->end)
                c->p++; /* '>' */
        if (raw)
                skip_past(c, tn == 6 ? "</script" : "</style");
        if (is_meta && (entry = meta_entry(mname, mcontent)))
                strv_consume(metas, entry);
}

char **discovery_parse_meta(const char *html, size_t len)
{
        struct cursor c = {html, html + len};
        char **metas = NULL;

        while (c.p < c.end) {
                c.p = memchr(c.p, '<', (size_t)(c.end - c.p));
                if (!c.p)
                        break;
                c.p++;
                if (at(&c, "!--"))
                        skip_past(&c, "-->");
                else if (c.p < c.end && (*c.p == '!' || *c.p == '?' || *c.p == '/'))
                        skip_past(&c, ">");
                else if (c.p < c.end && isalpha((unsigned char)*c.p))
                        read_tag(&c, &metas);
        }
        return metas;
}

/* --- the discovery walk --- */

void discovery_endpoints_free(struct discovery_endpoint *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].aci);
                free(v[i].asc);
        }
        free(v);
}

/* GETs <scheme>://<prefix>?ac-discovery=1; *ret_body is the page when it answered 200. */
static int fetch_page(const struct discovery_request *rq, const char *scheme, const char *prefix,
                      char **ret_body, struct rk_error **reterr)
{
        _cleanup_free_ char *url = xasprintf("%s://%s?ac-discovery=1", scheme, prefix);
        struct http_request req = {.url = url, .out_fd = -1, .max_size = DISCOVERY_PAGE_MAX};
        struct http_response resp;
        int r;

        r = http_get(rq->http, &req, &resp, reterr);
        if (r < 0)
                return r;
        if (resp.status != 200) {
                r = rk_error_set(reterr, EPROTO, "expected a 200 OK got %ld", resp.status);
                http_response_done(&resp);
                return r;
        }
        *ret_body = TAKE_PTR(resp.body);
        http_response_done(&resp);
        return 0;
}

/* The appc meta tags of prefix's page: https, then http when allowed. */
static int prefix_metas(const struct discovery_request *rq, const char *prefix, char ***ret,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *body = NULL;
        int r;

        r = fetch_page(rq, "https", prefix, &body, reterr);
        if (r < 0 && rq->allow_http) {
                *reterr = rk_error_free(*reterr);
                r = fetch_page(rq, "http", prefix, &body, reterr);
        }
        if (r < 0)
                return r;
        *ret = discovery_parse_meta(body, strlen(body));
        return 0;
}

/* Whether a "{...}" is left in s. */
static bool has_template(const char *s)
{
        const char *o = strchr(s, '{');

        return o && strchr(o, '}');
}

static char *replace_all(const char *s, const char *from, const char *to)
{
        struct strbuf sb = STRBUF_INIT;
        size_t n = strlen(from);
        const char *hit;

        strbuf_puts(&sb, "");
        while ((hit = strstr(s, from))) {
                strbuf_add(&sb, s, (size_t)(hit - s));
                strbuf_puts(&sb, to);
                s = hit + n;
        }
        strbuf_puts(&sb, s);
        return strbuf_detach(&sb);
}

/* tpl with {name} and the labels (version defaulting to "latest") substituted. */
static char *render_labels(const struct discovery_request *rq, const char *tpl)
{
        char *s = replace_all(tpl, "{name}", rq->name);
        bool version = false;

        for (size_t i = 0; rq->labels && i < rq->labels->n; i++) {
                _cleanup_free_ char *key = xasprintf("{%s}", rq->labels->items[i].name);
                char *t = replace_all(s, key, rq->labels->items[i].value);

                free(s);
                s = t;
                version = version || strcmp(rq->labels->items[i].name, "version") == 0;
        }
        if (!version) {
                char *t = replace_all(s, "{version}", "latest");

                free(s);
                s = t;
        }
        return s;
}

/* Whether url may be fetched: absolute https://, or http:// when plain HTTP is allowed. */
static int check_url(const struct discovery_request *rq, const char *what, const char *url,
                     struct rk_error **reterr)
{
        const char *rest = strncasecmp(url, "https://", 8) == 0  ? url + 8
                           : strncasecmp(url, "http://", 7) == 0 ? url + 7
                                                                 : NULL;

        if (!rest || !*rest || *rest == '/')
                return rk_error_set(reterr, EINVAL, "%s \"%s\" is not an absolute https:// URL",
                                    what, url);
        if (url[4] == ':' && !rq->allow_http)
                return rk_error_set(reterr, EPERM,
                                    "%s \"%s\" is plain HTTP (allow it with "
                                    "--insecure-options=http)",
                                    what, url);
        return 0;
}

/* The endpoints of one page's meta tags that apply to the name. */
static int page_endpoints(const struct discovery_request *rq, char **metas,
                          struct discovery_endpoint **v, size_t *n, struct rk_error **reterr)
{
        STRV_FOREACH(m, metas) {
                _cleanup_strv_free_ char **f = strv_split(*m, '\t');
                _cleanup_free_ char *uri = NULL, *aci = NULL, *asc = NULL;
                int r;

                if (strcmp(f[0], "ac-discovery") != 0 || strncmp(rq->name, f[1], strlen(f[1])) != 0)
                        continue;
                uri = render_labels(rq, f[2]);
                asc = replace_all(uri, "{ext}", "aci.asc");
                aci = replace_all(uri, "{ext}", "aci");
                if (has_template(asc) || has_template(aci))
                        continue;
                r = check_url(rq, "ac-discovery template", aci, reterr);
                if (r >= 0)
                        r = check_url(rq, "ac-discovery template", asc, reterr);
                if (r < 0)
                        return r;
                *v = oom_check(realloc(*v, (*n + 1) * sizeof(**v)));
                (*v)[(*n)++] = (struct discovery_endpoint){TAKE_PTR(aci), TAKE_PTR(asc)};
        }
        return 0;
}

static int page_pubkeys(const struct discovery_request *rq, char **metas, char ***keys,
                        struct rk_error **reterr)
{
        STRV_FOREACH(m, metas) {
                _cleanup_strv_free_ char **f = strv_split(*m, '\t');
                int r;

                if (strcmp(f[0], "ac-discovery-pubkeys") != 0 ||
                    strncmp(rq->name, f[1], strlen(f[1])) != 0)
                        continue;
                r = check_url(rq, "ac-discovery-pubkeys location", f[2], reterr);
                if (r < 0)
                        return r;
                strv_push(keys, f[2]);
        }
        return 0;
}

/* Walks the prefixes of the name, longest first, until want() finds what it looks for. */
static int discovery_walk(const struct discovery_request *rq, bool keys,
                          struct discovery_endpoint **ret_eps, size_t *ret_n, char ***ret_keys,
                          struct strbuf *why)
{
        _cleanup_free_ char *prefix = xstrdup(rq->name);

        for (;;) {
                _cleanup_(rk_error_freep) struct rk_error *err = NULL;
                _cleanup_strv_free_ char **metas = NULL;
                char *slash;
                int r;

                r = prefix_metas(rq, prefix, &metas, &err);
                if (r >= 0)
                        r = keys ? page_pubkeys(rq, metas, ret_keys, &err)
                                 : page_endpoints(rq, metas, ret_eps, ret_n, &err);
                if (r < 0) {
                        if (rq->on_attempt_failed)
                                rq->on_attempt_failed(prefix, rk_error_cause(err), rq->userdata);
                        strbuf_printf(why, "%s%s: %s", why->len ? "; " : "", prefix,
                                      rk_error_cause(err));
                } else if (keys ? *ret_keys != NULL : *ret_n > 0)
                        return 0;
                else
                        strbuf_printf(why, "%s%s: no %s meta tag for it", why->len ? "; " : "",
                                      prefix, keys ? "ac-discovery-pubkeys" : "ac-discovery");
                slash = strrchr(prefix, '/');
                if (!slash)
                        return -ENOENT;
                *slash = '\0';
        }
}

int discovery_aci_endpoints(const struct discovery_request *rq, struct discovery_endpoint **ret,
                            size_t *ret_n, struct rk_error **reterr)
{
        struct strbuf why = STRBUF_INIT;
        struct discovery_endpoint *v = NULL;
        size_t n = 0;
        int r;

        r = discovery_walk(rq, false, &v, &n, NULL, &why);
        if (r < 0) {
                discovery_endpoints_free(v, n);
                r = rk_error_set(reterr, ENOENT, "%s", why.buf);
                strbuf_release(&why);
                return r;
        }
        strbuf_release(&why);
        *ret = v;
        *ret_n = n;
        return 0;
}

int discovery_pubkeys(const struct discovery_request *rq, char ***ret, struct rk_error **reterr)
{
        struct strbuf why = STRBUF_INIT;
        char **keys = NULL;

        (void)discovery_walk(rq, true, NULL, NULL, &keys, &why);
        strbuf_release(&why);
        *ret = keys;
        return 0;
}
