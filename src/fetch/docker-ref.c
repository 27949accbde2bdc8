/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing and normalising Docker image references. */
#include "docker-ref.h"

#include <string.h>

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool docker_digest_is_valid(const char *d)
{
        if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
                return false;
        return strspn(d + 7, "0123456789abcdef") == 64;
}

/* One path component: [a-z0-9]+ separated by '.', '_', "__" or runs of '-'. */
static bool component_is_valid(const char *c, size_t n)
{
        if (n == 0 || !is_lower_alnum(c[0]) || !is_lower_alnum(c[n - 1]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!is_lower_alnum(c[i]) && !strchr("._-", c[i]))
                        return false;
        return true;
}

static bool repository_is_valid(const char *repo)
{
        const char *p = repo;

        for (;;) {
                size_t n = strcspn(p, "/");

                if (!component_is_valid(p, n))
                        return false;
                if (!p[n])
                        return strlen(repo) <= 255;
                p += n + 1;
        }
}

static bool tag_is_valid(const char *t)
{
        size_t n = strlen(t);

        if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
                return false;
        return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Whether the first component names a registry host (DOCKER.md §1.1). */
static bool is_registry(const char *first, size_t n)
{
        return memchr(first, '.', n) || memchr(first, ':', n) ||
               (n == 9 && strncmp(first, "localhost", 9) == 0);
}

static const char *strip_scheme(const char *s)
{
        if (strncmp(s, "docker://", 9) == 0)
                return s + 9;
        if (strncmp(s, "docker:", 7) == 0)
                return s + 7;
        return s;
}

/* Splits "name[:tag][@digest]" into its parts (the name keeps a registry port). */
static void split_name(char *name, struct docker_ref *r)
{
        char *at = strchr(name, '@'), *colon;

        if (at) {
                *at = '\0';
                r->digest = xstrdup(at + 1);
        }
        colon = strrchr(name, ':');
        if (colon && !strchr(colon, '/')) {
                *colon = '\0';
                r->tag = xstrdup(colon + 1);
        }
}

static void normalise(char *name, struct docker_ref *r)
{
        size_t n = strcspn(name, "/");

        if (name[n] && is_registry(name, n)) {
                r->registry = oom_check(strndup(name, n));
                r->repository = xstrdup(name + n + 1);
        } else {
                r->registry = xstrdup(DOCKER_HUB);
                r->repository = xstrdup(name);
        }
        if (strcmp(r->registry, "docker.io") == 0 || strcmp(r->registry, "index.docker.io") == 0) {
                free(r->registry);
                r->registry = xstrdup(DOCKER_HUB);
        }
        if (strcmp(r->registry, DOCKER_HUB) == 0 && !strchr(r->repository, '/')) {
                char *full = xasprintf("library/%s", r->repository);
                free(r->repository);
                r->repository = full;
        }
        if (!r->tag && !r->digest)
                r->tag = xstrdup("latest");
}

static const char *ref_check(const struct docker_ref *r)
{
        if (!repository_is_valid(r->repository))
                return "invalid repository name (lowercase letters, digits and separators)";
        if (r->tag && !tag_is_valid(r->tag))
                return "invalid tag";
        if (r->digest && !docker_digest_is_valid(r->digest))
                return "invalid digest (only sha256:<64 hex digits> is supported)";
        return NULL;
}

int docker_ref_parse(const char *s, struct docker_ref *ret, struct rk_error **reterr)
{
        _cleanup_free_ char *name = xstrdup(strip_scheme(s));
        struct docker_ref r = {0};
        const char *why;

        if (!name[0])
                return rk_error_set(reterr, EINVAL, "invalid docker reference \"%s\": empty", s);
        split_name(name, &r);
        normalise(name, &r);
        why = ref_check(&r);
        if (why) {
                docker_ref_done(&r);
                return rk_error_set(reterr, EINVAL, "invalid docker reference \"%s\": %s", s, why);
        }
        *ret = r;
        return 0;
}

void docker_ref_done(struct docker_ref *r)
{
        free(r->registry);
        free(r->repository);
        free(r->tag);
        free(r->digest);
        *r = (struct docker_ref){0};
}

const char *docker_ref_reference(const struct docker_ref *r)
{
        return r->digest ? r->digest : r->tag;
}
