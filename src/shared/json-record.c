/* SPDX-License-Identifier: Apache-2.0 */
/* Records as JSON through field tables (see json-record.h). */
#include "json-record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs-util.h"
#include "json-util.h"
#include "macro.h"
#include "strv.h"

#define FIELD(rec, f) ((char *)(rec) + (f)->offset)

static json_t *strv_json(char *const *l)
{
        json_t *a = oom_check(json_array());

        for (size_t i = 0; l && l[i]; i++)
                json_array_append_new(a, oom_check(json_string_nocheck(l[i])));
        return a;
}

/* The value of field f of rec; NULL when it is absent and form leaves it out. */
static json_t *field_value(const struct json_record_field *f, const void *rec,
                           enum json_record_form form)
{
        const void *p = FIELD(rec, f);
        bool rkt = form == JSON_RECORD_RKT;

        switch (f->type) {
        case JSON_RECORD_STRING: {
                const char *s = *(char *const *)p;
                return s || rkt ? oom_check(json_string_nocheck(s ?: "")) : NULL;
        }
        case JSON_RECORD_BOOL:
                return json_boolean(*(const bool *)p);
        case JSON_RECORD_STRV: {
                char *const *l = *(char **const *)p;
                return l || rkt ? strv_json(l) : NULL;
        }
        case JSON_RECORD_JSON: {
                json_t *v = *(json_t *const *)p;
                return v ? json_incref(v) : rkt ? json_null() : NULL;
        }
        case JSON_RECORD_OBJECT:
                return json_record_build(f->fields, p, form);
        }
        return NULL;
}

json_t *json_record_build(const struct json_record_field *fields, const void *rec,
                          enum json_record_form form)
{
        json_t *o = oom_check(json_object());

        for (const struct json_record_field *f = fields; f->name; f++) {
                json_t *v;
                if (form == JSON_RECORD_RKT && (f->flags & JSON_RECORD_OURS))
                        continue;
                v = field_value(f, rec, form);
                if (v && json_object_set_new_nocheck(o, f->name, v) < 0)
                        oom_check(NULL);
        }
        return o;
}

static int type_error(const char *path, const char *name, const char *what, char **ret_error)
{
        *ret_error =
                xasprintf("%s%s%s: expected %s", path ?: "", path && *path ? "." : "", name, what);
        return -EINVAL;
}

static int parse_strv(const json_t *v, char ***ret)
{
        char **l = xnew0(char *, json_array_size(v) + 1);
        json_t *s;
        size_t i;

        json_array_foreach(v, i, s) {
                if (!json_is_string(s)) {
                        strv_free(l);
                        return -EINVAL;
                }
                l[i] = xstrdup(json_string_value(s));
        }
        *ret = l;
        return 0;
}

/* Reads v, the member of field f, into rec. */
static int parse_field(const struct json_record_field *f, const json_t *v, const char *path,
                       void *rec, char **ret_error)
{
        void *p = FIELD(rec, f);
        _cleanup_free_ char *inner = NULL;

        switch (f->type) {
        case JSON_RECORD_STRING:
                if (!json_is_string(v))
                        return type_error(path, f->name, "a string", ret_error);
                *(char **)p = xstrdup(json_string_value(v));
                return 0;
        case JSON_RECORD_BOOL:
                if (!json_is_boolean(v))
                        return type_error(path, f->name, "a boolean", ret_error);
                *(bool *)p = json_is_true(v);
                return 0;
        case JSON_RECORD_STRV:
                if (!json_is_array(v) || parse_strv(v, (char ***)p) < 0)
                        return type_error(path, f->name, "an array of strings", ret_error);
                return 0;
        case JSON_RECORD_JSON:
                *(json_t **)p = json_incref((json_t *)v);
                return 0;
        case JSON_RECORD_OBJECT:
                inner = xasprintf("%s%s%s", path ?: "", path && *path ? "." : "", f->name);
                return json_record_parse(f->fields, v, inner, p, ret_error);
        }
        return 0;
}

int json_record_parse(const struct json_record_field *fields, const json_t *obj, const char *path,
                      void *rec, char **ret_error)
{
        if (!json_is_object(obj)) {
                *ret_error =
                        xasprintf("%s%sexpected an object", path ?: "", path && *path ? ": " : "");
                return -EINVAL;
        }
        for (const struct json_record_field *f = fields; f->name; f++) {
                _cleanup_free_ char *why = NULL;
                json_t *v;
                int r = json_field_get(obj, f->name, &v, &why);

                if (r == -EEXIST) {
                        *ret_error =
                                xasprintf("%s%s%s", path ?: "", path && *path ? ": " : "", why);
                        return -EINVAL;
                }
                if (r <= 0 || json_is_null(v))
                        continue;
                r = parse_field(f, v, path, rec, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int json_record_load_at(int dirfd, const char *path, size_t max, json_t **ret)
{
        _cleanup_free_ char *raw = NULL, *why = NULL;
        size_t len;

        if (read_file_at(dirfd, path, max, &raw, &len) < 0)
                return -ENOENT;
        *ret = json_load_strict(raw, len, JSON_DECODE_ANY, &why);
        return *ret ? 0 : -EINVAL;
}

int json_record_write_at(int dirfd, const char *path, const json_t *v, mode_t mode)
{
        _cleanup_free_ char *text = json_dump_go(v, false);

        return write_file_replace_at(dirfd, path, text, strlen(text), mode, 0);
}

void json_record_done(const struct json_record_field *fields, void *rec)
{
        for (const struct json_record_field *f = fields; f->name; f++) {
                void *p = FIELD(rec, f);

                switch (f->type) {
                case JSON_RECORD_STRING:
                        free(*(char **)p);
                        *(char **)p = NULL;
                        break;
                case JSON_RECORD_BOOL:
                        *(bool *)p = false;
                        break;
                case JSON_RECORD_STRV:
                        *(char ***)p = strv_free(*(char ***)p);
                        break;
                case JSON_RECORD_JSON:
                        json_decref(*(json_t **)p);
                        *(json_t **)p = NULL;
                        break;
                case JSON_RECORD_OBJECT:
                        json_record_done(f->fields, p);
                        break;
                }
        }
}

json_t *json_record_build_array(const struct json_record_field *fields, const void *recs, size_t n,
                                size_t size, enum json_record_form form)
{
        json_t *a = oom_check(json_array());

        for (size_t i = 0; i < n; i++)
                json_array_append_new(
                        a, json_record_build(fields, (const char *)recs + i * size, form));
        return a;
}

int json_record_parse_array(const struct json_record_field *fields, const json_t *arr, size_t size,
                            void **ret, size_t *ret_n, char **ret_error)
{
        size_t n = json_array_size(arr);
        char *recs;
        json_t *v;
        size_t i;

        if (!json_is_array(arr)) {
                *ret_error = xstrdup("expected an array");
                return -EINVAL;
        }
        recs = oom_check(calloc(n + 1, size));
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *path = xasprintf("[%zu]", i);
                int r = json_record_parse(fields, v, path, recs + i * size, ret_error);

                if (r < 0) {
                        json_record_array_free(fields, recs, i + 1, size);
                        return r;
                }
        }
        *ret = recs;
        *ret_n = n;
        return 0;
}

void json_record_array_free(const struct json_record_field *fields, void *recs, size_t n,
                            size_t size)
{
        for (size_t i = 0; recs && i < n; i++)
                json_record_done(fields, (char *)recs + i * size);
        free(recs);
}
