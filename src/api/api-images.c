/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ListImages and InspectImage (SPEC.md §9.2): a v1alpha.Image per image of the store, read
 * through the store module as `rkt image list` reads it, and rkt's filters.
 *
 * Runs in: rkt api-service (any worker thread, with its own store handle).
 */
#include <string.h>

#include "api-private.h"
#include "image-manifest.h"
#include "store.h"
#include "time-util.h"

#define FILTER_VALUES_MAX 4096

/* The image of info with its stored manifest; NULL when the manifest cannot be read or
 * parsed (the image is then left out, as `rkt image list` leaves it out). */
static V1alpha__Image *image_message(struct store *s, const struct image_info *info, bool detail)
{
        _cleanup_(image_manifest_freep) struct image_manifest *im = NULL;
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_free_ char *raw = NULL;
        V1alpha__Image *m;
        const char *version;
        size_t len;

        if (store_read_manifest_raw(s, info->key, &raw, &len, &e) < 0 ||
            image_manifest_parse(raw, len, &im, &e) < 0)
                return NULL;
        m = xnew0(V1alpha__Image, 1);
        v1alpha__image__init(m);
        m->base_format = xnew0(V1alpha__ImageFormat, 1);
        v1alpha__image_format__init(m->base_format);
        m->base_format->type = V1ALPHA__IMAGE_TYPE__IMAGE_TYPE_APPC;
        m->base_format->version = api_str(APPC_VERSION);
        m->id = api_str(info->key);
        m->name = api_str(im->name);
        version = image_manifest_get_label(im, "version");
        m->version = api_str(version ? version : "latest");
        m->import_timestamp = info->import_time / NSEC_PER_SEC;
        m->size = (int64_t)(info->size + info->tree_size);
        api_add_labels(&m->annotations, &m->n_annotations, &im->annotations);
        api_add_labels(&m->labels, &m->n_labels, &im->labels);
        if (detail) {
                m->manifest.data = (uint8_t *)TAKE_PTR(raw);
                m->manifest.len = len;
        }
        return m;
}

/* --- filters --- */

static bool any_of(char **v, size_t n, const char *s, bool (*match)(const char *w, const char *s))
{
        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++)
                if (match(v[i], s))
                        return true;
        return false;
}

static bool is_equal(const char *w, const char *s)
{
        return strcmp(w, s) == 0;
}

static bool is_prefix(const char *w, const char *s)
{
        return strncmp(w, s, strlen(w)) == 0;
}

/* Go's path.Base: the last element, trailing slashes dropped; "." for "", "/" for slashes. */
static bool is_base_name(const char *w, const char *s)
{
        size_t n = strlen(s);
        const char *b;

        while (n > 1 && s[n - 1] == '/')
                n--;
        if (n == 0)
                return strcmp(w, ".") == 0;
        if (n == 1 && s[0] == '/')
                return strcmp(w, "/") == 0;
        b = memrchr(s, '/', n);
        b = b ? b + 1 : s;
        return strlen(w) == (size_t)(s + n - b) && strncmp(w, b, (size_t)(s + n - b)) == 0;
}

static bool is_part(const char *w, const char *s)
{
        return strstr(s, w) != NULL;
}

static bool image_matches(const V1alpha__Image *m, const V1alpha__ImageFilter *f)
{
        return any_of(f->ids, f->n_ids, m->id, is_equal) &&
               any_of(f->full_names, f->n_full_names, m->name, is_equal) &&
               any_of(f->prefixes, f->n_prefixes, m->name, is_prefix) &&
               any_of(f->base_names, f->n_base_names, m->name, is_base_name) &&
               any_of(f->keywords, f->n_keywords, m->name, is_part) &&
               (f->imported_after <= 0 || m->import_timestamp > f->imported_after) &&
               (f->imported_before <= 0 || m->import_timestamp < f->imported_before) &&
               api_has_key_values(m->labels, m->n_labels, f->labels, f->n_labels) &&
               api_has_key_values(m->annotations, m->n_annotations, f->annotations,
                                  f->n_annotations);
}

static bool image_matches_any(const V1alpha__Image *m, const V1alpha__ListImagesRequest *req)
{
        if (req->n_filters == 0)
                return true;
        for (size_t i = 0; i < req->n_filters; i++)
                if (image_matches(m, req->filters[i]))
                        return true;
        return false;
}

static int check_filters(const V1alpha__ListImagesRequest *req, struct rk_error **reterr)
{
        size_t total = 0;

        for (size_t i = 0; i < req->n_filters; i++) {
                const V1alpha__ImageFilter *f = req->filters[i];
                if (f->imported_after < 0 || f->imported_before < 0)
                        return rk_error_set(reterr, EINVAL,
                                            "malformed filter: a negative import time");
                total += 1 + f->n_ids + f->n_prefixes + f->n_base_names + f->n_keywords +
                         f->n_labels + f->n_annotations + f->n_full_names;
        }
        if (total > FILTER_VALUES_MAX)
                return rk_error_set(reterr, E2BIG,
                                    "malformed filter: more than %d filters and values",
                                    FILTER_VALUES_MAX);
        return 0;
}

/* --- the methods --- */

int api_list_images(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                    struct rk_error **reterr)
{
        const V1alpha__ListImagesRequest *r = (const V1alpha__ListImagesRequest *)req;
        V1alpha__ListImagesResponse *resp;
        struct image_info *v = NULL;
        size_t n = 0;
        int k;

        k = check_filters(r, reterr);
        if (k < 0)
                return k;
        k = store_list_images(c->store, &v, &n, reterr);
        if (k < 0)
                return k;
        resp = xnew0(V1alpha__ListImagesResponse, 1);
        v1alpha__list_images_response__init(resp);
        for (size_t i = 0; i < n; i++) {
                V1alpha__Image *m = image_message(c->store, &v[i], r->detail);
                if (m && image_matches_any(m, r))
                        API_APPEND(resp->images, resp->n_images, m);
                else
                        api_msg_free(m);
        }
        image_infos_free(v, n);
        *ret = &resp->base;
        return 0;
}

int api_inspect_image(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                      struct rk_error **reterr)
{
        const V1alpha__InspectImageRequest *r = (const V1alpha__InspectImageRequest *)req;
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        V1alpha__InspectImageResponse *resp;
        struct image_info info = {0};
        V1alpha__Image *m = NULL;

        int k = store_get_image(c->store, r->id, &info, &e);

        if (k < 0 && k != -ENOENT) {
                *reterr = TAKE_PTR(e);
                return k;
        }
        if (k >= 0)
                m = image_message(c->store, &info, true);
        image_info_done(&info);
        if (!m)
                return rk_error_set(reterr, ENOENT, "ACI info not found with blob key \"%s\"",
                                    r->id);
        resp = xnew0(V1alpha__InspectImageResponse, 1);
        v1alpha__inspect_image_response__init(resp);
        resp->image = m;
        *ret = &resp->base;
        return 0;
}
