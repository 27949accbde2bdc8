/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ordered name/value lists (labels, annotations, environments), appc's os/arch table, and
 * the "NAME[:VERSION][,LABEL=VALUE...]" image-name grammar used on the command line.
 */
#include <errno.h>
#include <string.h>

#include "strbuf.h"
#include "strv.h"
#include "types.h"

const char *ac_labels_get(const struct ac_labels *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].name, name) == 0)
                        return l->items[i].value;
        return NULL;
}

void ac_labels_set(struct ac_labels *l, const char *name, const char *value)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->items[i].name, name) == 0) {
                        free(l->items[i].value);
                        l->items[i].value = xstrdup(value);
                        return;
                }
        l->items = oom_check(reallocarray(l->items, l->n + 1, sizeof(struct ac_label)));
        l->items[l->n++] = (struct ac_label){xstrdup(name), xstrdup(value)};
}

void ac_labels_done(struct ac_labels *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].value);
        }
        free(l->items);
        *l = (struct ac_labels){};
}

void ac_labels_copy(struct ac_labels *dst, const struct ac_labels *src)
{
        *dst = (struct ac_labels){};
        for (size_t i = 0; i < src->n; i++)
                ac_labels_set(dst, src->items[i].name, src->items[i].value);
}

static const struct {
        const char *os;
        const char *archs[11];
} os_arch_table[] = {
        {"darwin", {"x86_64", "i386"}},
        {"freebsd", {"amd64", "i386", "arm"}},
        {"linux",
         {"amd64", "i386", "aarch64", "aarch64_be", "armv6l", "armv7l", "armv7b", "ppc64",
          "ppc64le", "s390x"}},
};

int ac_os_arch_validate(const char *os, const char *arch, struct rk_error **reterr)
{
        for (size_t i = 0; i < ELEMENTSOF(os_arch_table); i++) {
                _cleanup_free_ char *list = NULL;

                if (strcmp(os, os_arch_table[i].os) != 0)
                        continue;
                for (size_t j = 0; arch && os_arch_table[i].archs[j]; j++)
                        if (strcmp(arch, os_arch_table[i].archs[j]) == 0)
                                return 0;
                if (!arch)
                        return 0;
                list = strv_join((char **)os_arch_table[i].archs, " ");
                return rk_error_set(reterr, EINVAL, "bad arch \"%s\" for %s (must be one of: [%s])",
                                    arch, os, list);
        }
        return rk_error_set(reterr, EINVAL,
                            "bad os \"%s\" (must be one of: [darwin freebsd linux])", os);
}

int ac_labels_validate(const struct ac_labels *l, const char *field, struct rk_error **reterr)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        const char *os;

        for (size_t i = 0; i < l->n; i++) {
                const char *name = l->items[i].name;

                if (!ac_identifier_is_valid(name))
                        return rk_error_set(reterr, EINVAL,
                                            "%s: label name \"%s\" is not a valid AC identifier",
                                            field, name);
                if (strcmp(name, "name") == 0)
                        return rk_error_set(reterr, EINVAL, "%s: invalid label name: \"name\"",
                                            field);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(l->items[j].name, name) == 0)
                                return rk_error_set(reterr, EINVAL,
                                                    "%s: duplicate labels of name \"%s\"", field,
                                                    name);
        }
        os = ac_labels_get(l, "os");
        if (!os)
                return 0;
        if (ac_os_arch_validate(os, ac_labels_get(l, "arch"), &err) < 0)
                return rk_error_set(reterr, EINVAL, "%s: %s", field, rk_error_cause(err));
        return 0;
}

/* The two colon rules of appc's image-name grammar. */
static int app_ref_check_colon(const char *s, struct rk_error **reterr)
{
        const char *comma = strchr(s, ','), *colon = strchr(s, ':');

        if (colon && comma && colon > comma)
                return rk_error_set(reterr, EINVAL,
                                    "malformed app string - colon may appear "
                                    "only right after the app name");
        if (colon && strchr(colon + 1, ':'))
                return rk_error_set(reterr, EINVAL,
                                    "malformed app string - colon may appear at most once");
        return 0;
}

/* "name=" + s with the first ':' replaced by ",version=", as appc builds its query. */
static char *app_ref_prepare(const char *s)
{
        const char *colon = strchr(s, ':');

        if (!colon)
                return xasprintf("name=%s", s);
        return xasprintf("name=%.*s,version=%s", (int)(colon - s), s, colon + 1);
}

/* Error for key given more than once, listing all its values like Go's %q of a slice. */
static int app_ref_duplicate(const struct ac_labels *pairs, const char *key,
                             struct rk_error **reterr)
{
        struct strbuf sb = STRBUF_INIT;
        _cleanup_free_ char *values = NULL;

        for (size_t i = 0; i < pairs->n; i++)
                if (strcmp(pairs->items[i].name, key) == 0)
                        strbuf_printf(&sb, "%s\"%s\"", sb.len ? " " : "", pairs->items[i].value);
        values = strbuf_detach(&sb);
        return rk_error_set(reterr, EINVAL, "label %s with multiple values [%s]", key, values);
}

/* Splits the prepared string into key/value pairs (duplicates kept, in order). */
static int app_ref_split(const char *prepared, struct ac_labels *pairs, struct rk_error **reterr)
{
        _cleanup_strv_free_ char **parts = strv_split(prepared, ',');

        STRV_FOREACH(p, parts) {
                char *eq = strchr(*p, '=');

                if (!eq)
                        return rk_error_set(reterr, EINVAL,
                                            "malformed string \"%s\" - has a label without a "
                                            "value: %s",
                                            prepared, *p);
                *eq = '\0';
                pairs->items = oom_check(
                        reallocarray(pairs->items, pairs->n + 1, sizeof(struct ac_label)));
                pairs->items[pairs->n++] = (struct ac_label){xstrdup(*p), xstrdup(eq + 1)};
        }
        return 0;
}

/* Checks the split pairs: no duplicates, label names are AC identifiers. */
static int app_ref_check_pairs(const struct ac_labels *pairs, struct rk_error **reterr)
{
        for (size_t i = 0; i < pairs->n; i++) {
                const char *key = pairs->items[i].name;

                for (size_t j = 0; j < i; j++)
                        if (strcmp(pairs->items[j].name, key) == 0)
                                return app_ref_duplicate(pairs, key, reterr);
        }
        for (size_t i = 1; i < pairs->n; i++)
                if (!ac_identifier_is_valid(pairs->items[i].name))
                        return rk_error_set(reterr, EINVAL,
                                            "invalid label name \"%s\": not an AC identifier",
                                            pairs->items[i].name);
        if (!ac_identifier_is_valid(pairs->items[0].value))
                return rk_error_set(reterr, EINVAL, "invalid app name \"%s\": not an AC identifier",
                                    pairs->items[0].value);
        return 0;
}

int app_ref_parse(const char *s, char **ret_name, struct ac_labels *ret_labels,
                  struct rk_error **reterr)
{
        _cleanup_(ac_labels_done) struct ac_labels pairs = {};
        _cleanup_free_ char *prepared = NULL;
        int r;

        r = app_ref_check_colon(s, reterr);
        if (r < 0)
                return r;
        prepared = app_ref_prepare(s);
        r = app_ref_split(prepared, &pairs, reterr);
        if (r < 0)
                return r;
        r = app_ref_check_pairs(&pairs, reterr);
        if (r < 0)
                return r;
        for (size_t i = 1; i < pairs.n; i++)
                ac_labels_set(ret_labels, pairs.items[i].name, pairs.items[i].value);
        *ret_name = TAKE_PTR(pairs.items[0].value);
        return 0;
}
