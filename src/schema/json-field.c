/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed JSON member access with field-naming errors, and output-tree builders, shared by the
 * image and pod manifest parsers (see json-field.h).
 */
#include "json-field.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "strv.h"

char *field_join(const char *parent, const char *key)
{
        if (!parent || !*parent)
                return xstrdup(key);
        return xasprintf("%s.%s", parent, key);
}

char *field_index(const char *parent, size_t i)
{
        return xasprintf("%s[%zu]", parent, i);
}

int field_error(struct rk_error **reterr, const char *path, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom_check(NULL);
        return rk_error_set(reterr, EINVAL, "%s: %s", path, msg);
}

int jf_get(const json_t *obj, const char *key, const char *parent, json_t **ret,
           struct rk_error **reterr)
{
        _cleanup_free_ char *why = NULL, *path = NULL;
        int r = json_field_get(obj, key, ret, &why);

        if (r != -EEXIST)
                return r;
        path = field_join(parent, key);
        return field_error(reterr, path, "%s", why);
}

/* Looks key up; 0 when absent/null, 1 when of type t, error otherwise. */
static int jf_lookup(const json_t *obj, const char *key, const char *parent, json_type t,
                     const char *tname, json_t **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *path = NULL;
        json_t *v;
        int r = jf_get(obj, key, parent, &v, reterr);

        *ret = NULL;
        if (r < 0)
                return r;
        if (!v || json_is_null(v))
                return 0;
        if (json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v))) {
                *ret = v;
                return 1;
        }
        path = field_join(parent, key);
        return field_error(reterr, path, "expected %s", tname);
}

int jf_string(const json_t *obj, const char *key, const char *parent, const char **ret,
              struct rk_error **reterr)
{
        json_t *v;
        int r = jf_lookup(obj, key, parent, JSON_STRING, "a string", &v, reterr);

        *ret = r > 0 ? json_string_value(v) : NULL;
        return r;
}

int jf_bool(const json_t *obj, const char *key, const char *parent, bool *ret,
            struct rk_error **reterr)
{
        json_t *v;
        int r = jf_lookup(obj, key, parent, JSON_TRUE, "a boolean", &v, reterr);

        *ret = r > 0 && json_is_true(v);
        return r;
}

int jf_array(const json_t *obj, const char *key, const char *parent, json_t **ret,
             struct rk_error **reterr)
{
        return jf_lookup(obj, key, parent, JSON_ARRAY, "an array", ret, reterr);
}

int jf_object(const json_t *obj, const char *key, const char *parent, json_t **ret,
              struct rk_error **reterr)
{
        return jf_lookup(obj, key, parent, JSON_OBJECT, "an object", ret, reterr);
}

int jf_int(const json_t *obj, const char *key, const char *parent, int64_t min, int64_t max,
           int64_t *ret, struct rk_error **reterr)
{
        _cleanup_free_ char *path = NULL;
        json_t *v;
        int r = jf_lookup(obj, key, parent, JSON_INTEGER, "an integer", &v, reterr);

        *ret = 0;
        if (r <= 0)
                return r;
        if (json_integer_value(v) < min || json_integer_value(v) > max) {
                path = field_join(parent, key);
                return field_error(reterr, path,
                                   "%" JSON_INTEGER_FORMAT " is out of range "
                                   "(%" PRId64 "..%" PRId64 ")",
                                   json_integer_value(v), min, max);
        }
        *ret = json_integer_value(v);
        return 1;
}

/* Calls parse_one for each element of the array member key; each must be of type t. */
static int foreach_typed(const json_t *obj, const char *key, const char *parent, json_type t,
                         const char *tname,
                         int (*parse_one)(const json_t *, const char *, void *, struct rk_error **),
                         void *data, struct rk_error **reterr)
{
        _cleanup_free_ char *path = field_join(parent, key);
        json_t *arr, *v;
        size_t i;
        int r = jf_array(obj, key, parent, &arr, reterr);

        if (r <= 0)
                return r;
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *p = field_index(path, i);

                if (json_typeof(v) != t)
                        return field_error(reterr, p, "expected %s", tname);
                r = parse_one(v, p, data, reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

int jf_foreach_object(const json_t *obj, const char *key, const char *parent,
                      int (*parse_one)(const json_t *, const char *, void *, struct rk_error **),
                      void *data, struct rk_error **reterr)
{
        return foreach_typed(obj, key, parent, JSON_OBJECT, "an object", parse_one, data, reterr);
}

/* Appends string element v to the strv *data. */
static int strv_push_element(const json_t *v, const char *path, void *data,
                             struct rk_error **reterr)
{
        strv_push(data, json_string_value(v));
        return 0;
}

int jf_strv(const json_t *obj, const char *key, const char *parent, char ***ret,
            struct rk_error **reterr)
{
        _cleanup_strv_free_ char **l = xnew0(char *, 1);
        int r = foreach_typed(obj, key, parent, JSON_STRING, "a string", strv_push_element, &l,
                              reterr);

        *ret = r > 0 ? TAKE_PTR(l) : NULL;
        return r;
}

struct pair_list {
        bool (*name_ok)(const char *);
        struct ac_labels *labels;
};

/* The name of a pair at path, checked with name_ok when non-NULL. */
static int pair_name_check(const char *name, bool (*name_ok)(const char *), const char *path,
                           struct rk_error **reterr)
{
        if (name_ok && !name_ok(name ?: ""))
                return field_error(reterr, path, "name \"%s\" is not valid", name ?: "");
        return 0;
}

/* One {"name","value"} element of a pair list; data is a struct pair_list. */
static int jf_pair(const json_t *v, const char *path, void *data, struct rk_error **reterr)
{
        struct pair_list *pl = data;
        struct ac_labels *l = pl->labels;
        const char *name, *value;
        int r;

        if ((r = jf_string(v, "name", path, &name, reterr)) < 0 ||
            (r = jf_string(v, "value", path, &value, reterr)) < 0)
                return r;
        r = pair_name_check(name, pl->name_ok, path, reterr);
        if (r < 0)
                return r;
        l->items = oom_check(reallocarray(l->items, l->n + 1, sizeof(struct ac_label)));
        l->items[l->n++] = (struct ac_label){xstrdup(name ?: ""), xstrdup(value ?: "")};
        return 0;
}

int jf_pairs(const json_t *obj, const char *key, const char *parent, bool (*name_ok)(const char *),
             struct ac_labels *ret, struct rk_error **reterr)
{
        struct pair_list pl = {name_ok, ret};

        return jf_foreach_object(obj, key, parent, jf_pair, &pl, reterr);
}

int jf_string_map(const json_t *obj, const char *key, const char *parent, struct ac_labels *ret,
                  struct rk_error **reterr)
{
        _cleanup_free_ char *path = field_join(parent, key);
        const char *k;
        json_t *map, *v;
        int r = jf_object(obj, key, parent, &map, reterr);

        if (r <= 0)
                return r;
        json_object_foreach(map, k, v) {
                if (!json_is_string(v) && !json_is_null(v)) {
                        _cleanup_free_ char *p = field_join(path, k);
                        return field_error(reterr, p, "expected a string");
                }
                ac_labels_set(ret, k, json_is_string(v) ? json_string_value(v) : "");
        }
        return 1;
}

int annotations_validate(const struct ac_labels *a, const char *path, struct rk_error **reterr)
{
        const char *v;

        for (size_t i = 0; i < a->n; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(a->items[i].name, a->items[j].name) == 0)
                                return field_error(reterr, path,
                                                   "duplicate annotations of name \"%s\"",
                                                   a->items[i].name);
        v = ac_labels_get(a, "created");
        if (v && !ac_date_is_valid(v))
                return field_error(reterr, path, "created: \"%s\" is not an RFC 3339 date", v);
        v = ac_labels_get(a, "homepage");
        if (v && !ac_url_is_valid(v))
                return field_error(reterr, path, "homepage: \"%s\" is not an http(s) URL", v);
        v = ac_labels_get(a, "documentation");
        if (v && !ac_url_is_valid(v))
                return field_error(reterr, path, "documentation: \"%s\" is not an http(s) URL", v);
        return 0;
}

json_t *jstr(const char *s)
{
        return oom_check(json_string_nocheck(s ?: ""));
}

json_t *jstrv(char *const *l)
{
        json_t *a;

        if (!l)
                return json_null();
        a = oom_check(json_array());
        for (size_t i = 0; l[i]; i++)
                json_array_append_new(a, jstr(l[i]));
        return a;
}

json_t *jpairs(const struct ac_labels *l)
{
        json_t *a = oom_check(json_array());

        for (size_t i = 0; i < l->n; i++) {
                json_t *o = oom_check(json_object());

                jset(o, "name", jstr(l->items[i].name));
                jset(o, "value", jstr(l->items[i].value));
                json_array_append_new(a, o);
        }
        return a;
}

static int label_cmp(const void *a, const void *b)
{
        return strcmp(((const struct ac_label *)a)->name, ((const struct ac_label *)b)->name);
}

json_t *jstring_map(const struct ac_labels *l)
{
        _cleanup_free_ struct ac_label *sorted = xnew0(struct ac_label, l->n + 1);
        json_t *o = oom_check(json_object());

        if (l->n)
                memcpy(sorted, l->items, l->n * sizeof(struct ac_label));
        qsort(sorted, l->n, sizeof(struct ac_label), label_cmp);
        for (size_t i = 0; i < l->n; i++)
                jset(o, sorted[i].name, jstr(sorted[i].value));
        return o;
}

void jset(json_t *obj, const char *key, json_t *v)
{
        if (json_object_set_new_nocheck(obj, key, v) < 0)
                oom_check(NULL);
}

int ac_version_check(const char *v, bool required, struct rk_error **reterr)
{
        if (v && !ac_semver_is_valid(v))
                return field_error(reterr, "acVersion", "\"%s\" is not a valid semantic version",
                                   v);
        if (!v && required)
                return field_error(reterr, "acVersion", "acVersion must be set");
        return 0;
}

/* acKind and acVersion of a loaded manifest document. */
static int manifest_check_header(const json_t *doc, const char *kind, bool version_required,
                                 char **ret_version, struct rk_error **reterr)
{
        const char *k, *v;
        int r;

        if ((r = jf_string(doc, "acKind", NULL, &k, reterr)) < 0 ||
            (r = jf_string(doc, "acVersion", NULL, &v, reterr)) < 0)
                return r;
        if (!k || strcmp(k, kind) != 0)
                return field_error(reterr, "acKind", "missing or bad ACKind (must be \"%s\")",
                                   kind);
        r = ac_version_check(v, version_required, reterr);
        if (r < 0)
                return r;
        *ret_version = v ? ac_semver_normalize(v) : NULL;
        return 0;
}

int manifest_load(const char *json, size_t len, const char *kind, bool version_required,
                  json_t **ret, char **ret_version, struct rk_error **reterr)
{
        _cleanup_json_ json_t *doc = NULL;
        _cleanup_free_ char *why = NULL;
        int r;

        doc = json_load_strict(json, len, JSON_DECODE_ANY, &why);
        if (!doc)
                return rk_error_set(reterr, EINVAL, "invalid JSON at %s", why);
        if (!json_is_object(doc))
                return rk_error_set(reterr, EINVAL, "%s: expected a JSON object", kind);
        r = manifest_check_header(doc, kind, version_required, ret_version, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(doc);
        return 0;
}

/* jf_pairs() with AC identifier names, then validate(list, path) on a present list. */
static int jf_checked_pairs(const json_t *obj, const char *key, const char *parent,
                            int (*validate)(const struct ac_labels *, const char *,
                                            struct rk_error **),
                            struct ac_labels *ret, struct rk_error **reterr)
{
        _cleanup_free_ char *path = field_join(parent, key);
        int r = jf_pairs(obj, key, parent, ac_identifier_is_valid, ret, reterr);

        if (r <= 0)
                return r;
        r = validate(ret, path, reterr);
        return r < 0 ? r : 1;
}

int jf_labels(const json_t *obj, const char *key, const char *parent, struct ac_labels *ret,
              struct rk_error **reterr)
{
        return jf_checked_pairs(obj, key, parent, ac_labels_validate, ret, reterr);
}

int jf_annotations(const json_t *obj, const char *key, const char *parent, struct ac_labels *ret,
                   struct rk_error **reterr)
{
        return jf_checked_pairs(obj, key, parent, annotations_validate, ret, reterr);
}

/* The rules of jf_checked_pairs() for a list made in memory. */
static int checked_pairs_check(const struct ac_labels *l, const char *path,
                               int (*validate)(const struct ac_labels *, const char *,
                                               struct rk_error **),
                               struct rk_error **reterr)
{
        for (size_t i = 0; i < l->n; i++) {
                _cleanup_free_ char *p = field_index(path, i);
                int r = pair_name_check(l->items[i].name, ac_identifier_is_valid, p, reterr);

                if (r < 0)
                        return r;
        }
        return validate(l, path, reterr);
}

int labels_check(const struct ac_labels *l, const char *path, struct rk_error **reterr)
{
        return checked_pairs_check(l, path, ac_labels_validate, reterr);
}

int annotations_check(const struct ac_labels *l, const char *path, struct rk_error **reterr)
{
        return checked_pairs_check(l, path, annotations_validate, reterr);
}
