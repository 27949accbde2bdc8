/* SPDX-License-Identifier: Apache-2.0 */
/* The v1 configuration kinds: auth, dockerAuth, paths, stage1; merging and printing. */
#include <limits.h>
#include <string.h>

#include "config-private.h"
#include "strv.h"

bool strv_contains_word(const char *words, const char *w)
{
        _cleanup_strv_free_ char **l = strv_split(words, ' ');

        return strv_contains(l, w);
}

const char *dirname_of(const char *path)
{
        static char buf[PATH_MAX];
        const char *slash = strrchr(path, '/');

        snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - path) : 0, path);
        return buf;
}

static const char *jstr_get(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? s : "";
}

static int check_credentials(const char *type, json_t *cred, struct rk_error **reterr)
{
        if (strcmp(type, "basic") == 0) {
                if (!*jstr_get(cred, "user"))
                        return rk_error_set(reterr, EINVAL, "user not specified");
                if (!*jstr_get(cred, "password"))
                        return rk_error_set(reterr, EINVAL, "password not specified");
        } else if (strcmp(type, "oauth") == 0) {
                if (!*jstr_get(cred, "token"))
                        return rk_error_set(reterr, EINVAL, "no oauth bearer token specified");
        } else if (strcmp(type, "aws") == 0) {
                if (!*jstr_get(cred, "accessKeyID"))
                        return rk_error_set(reterr, EINVAL, "no accessKeyID specified");
                if (!*jstr_get(cred, "secretAccessKey"))
                        return rk_error_set(reterr, EINVAL, "no secretAccessKey specified");
        } else
                return rk_error_set(reterr, EINVAL, "unknown auth type: \"%s\"", type);
        return 0;
}

static int parse_auth(struct config *c, json_t *v, struct rk_error **reterr)
{
        json_t *domains = json_object_get(v, "domains"), *d;
        const char *type = jstr_get(v, "type");
        size_t i;
        int r;

        if (json_array_size(domains) == 0)
                return rk_error_set(reterr, EINVAL, "no domains specified");
        if (!*type)
                return rk_error_set(reterr, EINVAL, "no auth type specified");
        r = check_credentials(type, json_object_get(v, "credentials"), reterr);
        if (r < 0)
                return r;
        json_array_foreach(domains, i, d) {
                const char *name = json_string_value(d) ? json_string_value(d) : "";

                for (size_t k = 0; k < c->n_auth; k++)
                        if (strcmp(c->auth[k].domain, name) == 0)
                                return rk_error_set(reterr, EEXIST,
                                                    "auth for domain \"%s\" is "
                                                    "already specified",
                                                    name);
                c->auth = oom_check(realloc(c->auth, (c->n_auth + 1) * sizeof(*c->auth)));
                c->auth[c->n_auth++] =
                        (struct config_auth){xstrdup(name), xstrdup(type),
                                             json_deep_copy(json_object_get(v, "credentials"))};
        }
        return 0;
}

static int parse_docker_auth(struct config *c, json_t *v, struct rk_error **reterr)
{
        json_t *regs = json_object_get(v, "registries"), *reg;
        json_t *cred = json_object_get(v, "credentials");
        size_t i;

        if (json_array_size(regs) == 0)
                return rk_error_set(reterr, EINVAL, "no registries specified");
        if (!*jstr_get(cred, "user"))
                return rk_error_set(reterr, EINVAL, "user not specified");
        if (!*jstr_get(cred, "password"))
                return rk_error_set(reterr, EINVAL, "password not specified");
        json_array_foreach(regs, i, reg) {
                const char *name = json_string_value(reg) ? json_string_value(reg) : "";

                for (size_t k = 0; k < c->n_docker_auth; k++)
                        if (strcmp(c->docker_auth[k].registry, name) == 0)
                                return rk_error_set(reterr, EEXIST,
                                                    "credentials for docker "
                                                    "registry \"%s\" are already specified",
                                                    name);
                c->docker_auth = oom_check(
                        realloc(c->docker_auth, (c->n_docker_auth + 1) * sizeof(*c->docker_auth)));
                c->docker_auth[c->n_docker_auth++] =
                        (struct config_docker_auth){xstrdup(name), xstrdup(jstr_get(cred, "user")),
                                                    xstrdup(jstr_get(cred, "password"))};
        }
        return 0;
}

static int set_path(char **field, json_t *v, const char *key, const char *what,
                    struct rk_error **reterr)
{
        const char *s = json_string_value(json_object_get(v, key));

        if (!s || !*s)
                return 0;
        if (s[0] != '/')
                return rk_error_set(reterr, EINVAL, "%s must be an absolute path", what);
        if (*field)
                return rk_error_set(reterr, EEXIST, "%s is already specified", what);
        *field = xstrdup(s);
        return 0;
}

static int parse_paths(struct config *c, json_t *v, struct rk_error **reterr)
{
        int r = set_path(&c->data_dir, v, "data", "data directory", reterr);

        if (r < 0)
                return r;
        return set_path(&c->stage1_images_dir, v, "stage1-images", "stage1 images directory",
                        reterr);
}

static int check_stage1_location(const char *loc, struct rk_error **reterr)
{
        static const char *const schemes[] = {"docker", "file", "http", "https", NULL};
        const char *colon = strstr(loc, "://");
        _cleanup_free_ char *scheme = colon ? strndup(loc, (size_t)(colon - loc)) : NULL;

        if (loc[0] == '/')
                return 0;
        if (!scheme)
                return rk_error_set(reterr, EINVAL,
                                    "default stage1 image location is either a "
                                    "relative path or a URL without scheme");
        if (strv_index(schemes, scheme) < 0)
                return rk_error_set(reterr, EINVAL,
                                    "default stage1 image location URL has "
                                    "invalid scheme \"%s\", allowed schemes are \"docker\", "
                                    "\"file\", \"http\", \"https\"",
                                    scheme);
        return 0;
}

static int parse_stage1(struct config *c, json_t *v, struct rk_error **reterr)
{
        const char *name = jstr_get(v, "name"), *version = jstr_get(v, "version");
        const char *loc = jstr_get(v, "location");
        int r;

        if (*version && !*name)
                return rk_error_set(reterr, EINVAL,
                                    "default stage1 image version specified, "
                                    "but name is missing");
        if (*name && !*version)
                return rk_error_set(reterr, EINVAL,
                                    "default stage1 image name specified, but "
                                    "version is missing");
        if (*name && c->stage1_name)
                return rk_error_set(reterr, EEXIST,
                                    "default stage1 image name and version are "
                                    "already specified");
        if (*loc && c->stage1_location)
                return rk_error_set(reterr, EEXIST,
                                    "default stage1 image location is already "
                                    "specified");
        if (*loc && (r = check_stage1_location(loc, reterr)) < 0)
                return r;
        if (*name) {
                c->stage1_name = xstrdup(name);
                c->stage1_version = xstrdup(version);
        }
        if (*loc)
                c->stage1_location = xstrdup(loc);
        return 0;
}

int config_parse_v1(struct config *c, const char *kind, json_t *v, const char *path,
                    struct rk_error **reterr)
{
        int r;

        if (strcmp(kind, "auth") == 0)
                r = parse_auth(c, v, reterr);
        else if (strcmp(kind, "dockerAuth") == 0)
                r = parse_docker_auth(c, v, reterr);
        else if (strcmp(kind, "paths") == 0)
                r = parse_paths(c, v, reterr);
        else {
                r = parse_stage1(c, v, reterr);
                if (r < 0)
                        rk_error_prefix(reterr, "invalid stage1 configuration");
        }
        if (r < 0)
                return rk_error_prefix(reterr, "failed to parse \"%s\"", path);
        return 0;
}
