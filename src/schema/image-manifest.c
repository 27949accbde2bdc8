/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appc ImageManifest: parse + validate (stricter than actool where rkt needs it, e.g. an
 * absolute exec[0]) and canonical Go-compatible output.
 */
#include "image-manifest.h"

#include <errno.h>
#include <string.h>

#include "json-field.h"
#include "json-util.h"
#include "macro.h"
#include "strv.h"

static int dependency_parse(const json_t *v, const char *path, struct ac_dependency *d,
                            struct rk_error **reterr)
{
        const char *name, *id;
        int64_t size;
        int r;

        if (!json_is_object(v))
                return field_error(reterr, path, "expected an object");
        if ((r = jf_string(v, "imageName", path, &name, reterr)) < 0 ||
            (r = jf_string(v, "imageID", path, &id, reterr)) < 0 ||
            (r = jf_int(v, "size", path, 0, INT64_MAX, &size, reterr)) < 0 ||
            (r = jf_labels(v, "labels", path, &d->labels, reterr)) < 0)
                return r;
        if (!ac_identifier_is_valid(name))
                return field_error(reterr, path, "imageName \"%s\" is not a valid AC identifier",
                                   name ?: "");
        if (id && !ac_hash_is_valid(id))
                return field_error(reterr, path, "imageID \"%s\" is not a sha512-<hex> hash", id);
        d->image_name = xstrdup(name);
        d->image_id = xstrdup(id);
        d->size = (uint64_t)size;
        return 0;
}

static int dependencies_parse(const json_t *doc, struct image_manifest *m, struct rk_error **reterr)
{
        json_t *arr, *v;
        size_t i;
        int r = jf_array(doc, "dependencies", NULL, &arr, reterr);

        if (r <= 0)
                return r;
        m->deps = xnew0(struct ac_dependency, json_array_size(arr) + 1);
        json_array_foreach(arr, i, v) {
                _cleanup_free_ char *p = field_index("dependencies", i);

                m->n_deps++;
                r = dependency_parse(v, p, &m->deps[i], reterr);
                if (r < 0)
                        return r;
        }
        return 1;
}

static int path_whitelist_parse(const json_t *doc, struct image_manifest *m,
                                struct rk_error **reterr)
{
        int r = jf_strv(doc, "pathWhitelist", NULL, &m->path_whitelist, reterr);

        if (r <= 0)
                return r;
        for (size_t i = 0; m->path_whitelist[i]; i++)
                if (m->path_whitelist[i][0] != '/') {
                        _cleanup_free_ char *p = field_index("pathWhitelist", i);
                        return field_error(reterr, p, "\"%s\" is not an absolute path",
                                           m->path_whitelist[i]);
                }
        return 1;
}

static int image_manifest_parse_doc(const json_t *doc, struct image_manifest *m,
                                    struct rk_error **reterr)
{
        const char *name;
        json_t *app;
        int r;

        if ((r = jf_string(doc, "name", NULL, &name, reterr)) < 0)
                return r;
        if (!name || !*name)
                return field_error(reterr, "name", "name must be set");
        if (!ac_identifier_is_valid(name))
                return field_error(reterr, "name", "\"%s\" is not a valid AC identifier", name);
        m->name = xstrdup(name);
        if ((r = jf_labels(doc, "labels", NULL, &m->labels, reterr)) < 0 ||
            (r = jf_object(doc, "app", NULL, &app, reterr)) < 0 ||
            (app && (r = ac_app_parse(app, "app", &m->app, reterr)) < 0) ||
            (r = jf_annotations(doc, "annotations", NULL, &m->annotations, reterr)) < 0 ||
            (r = dependencies_parse(doc, m, reterr)) < 0 ||
            (r = path_whitelist_parse(doc, m, reterr)) < 0)
                return r;
        return 0;
}

int image_manifest_parse(const char *json, size_t len, struct image_manifest **ret,
                         struct rk_error **reterr)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = xnew0(struct image_manifest, 1);
        _cleanup_json_ json_t *doc = NULL;
        int r;

        r = manifest_load(json, len, "ImageManifest", true, &doc, &m->ac_version, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid ImageManifest");
        r = image_manifest_parse_doc(doc, m, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid ImageManifest");
        *ret = TAKE_PTR(m);
        return 0;
}

struct image_manifest *image_manifest_free(struct image_manifest *m)
{
        if (!m)
                return NULL;
        free(m->ac_version);
        free(m->name);
        ac_labels_done(&m->labels);
        ac_app_free(m->app);
        ac_labels_done(&m->annotations);
        for (size_t i = 0; i < m->n_deps; i++) {
                free(m->deps[i].image_name);
                free(m->deps[i].image_id);
                ac_labels_done(&m->deps[i].labels);
        }
        free(m->deps);
        strv_free(m->path_whitelist);
        free(m);
        return NULL;
}

static json_t *dependencies_to_json(const struct image_manifest *m)
{
        json_t *arr = oom_check(json_array());

        for (size_t i = 0; i < m->n_deps; i++) {
                const struct ac_dependency *d = &m->deps[i];
                json_t *o = oom_check(json_object());

                jset(o, "imageName", jstr(d->image_name));
                if (d->image_id)
                        jset(o, "imageID", jstr(d->image_id));
                if (d->labels.n)
                        jset(o, "labels", jpairs(&d->labels));
                if (d->size)
                        jset(o, "size", oom_check(json_integer((json_int_t)d->size)));
                json_array_append_new(arr, o);
        }
        return arr;
}

char *image_manifest_to_json(const struct image_manifest *m, bool pretty)
{
        _cleanup_json_ json_t *o = oom_check(json_object());

        jset(o, "acKind", jstr("ImageManifest"));
        jset(o, "acVersion", jstr(m->ac_version));
        jset(o, "name", jstr(m->name));
        if (m->labels.n)
                jset(o, "labels", jpairs(&m->labels));
        if (m->app)
                jset(o, "app", ac_app_to_json(m->app));
        if (m->annotations.n)
                jset(o, "annotations", jpairs(&m->annotations));
        if (m->n_deps)
                jset(o, "dependencies", dependencies_to_json(m));
        if (strv_length(m->path_whitelist))
                jset(o, "pathWhitelist", jstrv(m->path_whitelist));
        return json_dump_go(o, pretty);
}

const char *image_manifest_get_label(const struct image_manifest *m, const char *name)
{
        return ac_labels_get(&m->labels, name);
}

const char *image_manifest_get_annotation(const struct image_manifest *m, const char *name)
{
        return ac_labels_get(&m->annotations, name);
}
