/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public API of the metadata service (SPEC.md §9.1): what an app reads about its own pod
 * under /<token>/acMetadata/v1/, and the pod's HMAC signing and verification. A pod sees only
 * what it registered; the token in the path selects the pod. Runs in: rkt metadata-service.
 */
#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

#include "json-util.h"
#include "mds.h"
#include "types.h"

#define API_PREFIX "/acMetadata/v1/"

/* The value of annotation name in a JSON annotation list, or NULL. */
static const char *annotation_get(const json_t *list, const char *name)
{
        size_t i;
        json_t *a;

        json_array_foreach(list, i, a) {
                const char *n = json_string_value(json_object_get(a, "name"));
                if (n && strcmp(n, name) == 0)
                        return json_string_value(json_object_get(a, "value"));
        }
        return NULL;
}

/* Sets name to value in the annotation list: in place when present, else appended. */
static void annotation_set(json_t *list, const char *name, const char *value)
{
        size_t i;
        json_t *a;

        json_array_foreach(list, i, a) {
                const char *n = json_string_value(json_object_get(a, "name"));
                if (n && strcmp(n, name) == 0) {
                        json_object_set_new(a, "value", json_string(value ?: ""));
                        return;
                }
        }
        json_array_append_new(list, json_pack("{s:s,s:s}", "name", name, "value", value ?: ""));
}

static const json_t *pod_app_entry(const struct mds_pod *pod, const char *name)
{
        size_t i;
        json_t *a;

        json_array_foreach(json_object_get(pod->manifest, "apps"), i, a) {
                const char *n = json_string_value(json_object_get(a, "name"));
                if (n && strcmp(n, name) == 0)
                        return a;
        }
        return NULL;
}

/* The image annotations with the pod manifest's app annotations applied on top. */
static json_t *app_annotations(const struct mds_pod *pod, const struct mds_app *app)
{
        json_t *merged = json_array();
        size_t i;
        json_t *a;

        json_array_foreach(json_object_get(app->manifest, "annotations"), i, a)
                annotation_set(merged, json_string_value(json_object_get(a, "name")) ?: "",
                               json_string_value(json_object_get(a, "value")));
        json_array_foreach(json_object_get(pod_app_entry(pod, app->name), "annotations"), i, a)
                annotation_set(merged, json_string_value(json_object_get(a, "name")) ?: "",
                               json_string_value(json_object_get(a, "value")));
        return merged;
}

static void annotation_value(const json_t *list, const char *name, const char *what,
                             struct mds_response *r)
{
        const char *v;

        if (!ac_identifier_is_valid(name)) {
                mds_respond_text(r, 400, "%s annotation is not a valid AC Identifier\n", what);
                return;
        }
        v = annotation_get(list, name);
        if (!v) {
                mds_respond_text(r, 404, "%s annotation \"%s\" not found\n", what, name);
                return;
        }
        mds_respond_text(r, 200, "%s", v);
}

/* The registered app named by the first segment of rest (*ret_rest: what follows it), or NULL
 * after answering 404 or 400. */
static const struct mds_app *find_app(const struct mds_pod *pod, const char *rest,
                                      const char **ret_rest, struct mds_response *r)
{
        const char *slash = strchr(rest, '/');
        _cleanup_free_ char *name = slash ? strndup(rest, (size_t)(slash - rest)) : NULL;
        const struct mds_app *app = NULL;

        if (!name)
                mds_respond_text(r, 404, "not found\n");
        else if (!ac_name_is_valid(name))
                mds_respond_text(r, 400, "App name \"%s\" is not a valid AC Name\n", name);
        else if (!(app = mds_pod_app(pod, name)))
                mds_respond_text(r, 404, "app not found\n");
        *ret_rest = slash ? slash + 1 : NULL;
        return app;
}

static void get_app(const struct mds_pod *pod, const char *rest, struct mds_response *r)
{
        const struct mds_app *app = find_app(pod, rest, &rest, r);
        const json_t *entry = app ? pod_app_entry(pod, app->name) : NULL;
        _cleanup_json_ json_t *merged = app ? app_annotations(pod, app) : NULL;

        if (!app)
                return;
        if (strcmp(rest, "image/manifest") == 0)
                mds_respond_json(r, app->manifest);
        else if (strcmp(rest, "image/id") == 0)
                mds_respond_text(
                        r, 200, "%s",
                        json_string_value(json_object_get(json_object_get(entry, "image"), "id"))
                                ?: "");
        else if (strcmp(rest, "annotations") == 0)
                mds_respond_json(r, merged);
        else if (strncmp(rest, "annotations/", 12) == 0)
                annotation_value(merged, rest + 12, "App", r);
        else
                mds_respond_text(r, 404, "not found\n");
}

static void get_pod(const struct mds_pod *pod, const char *rest, struct mds_response *r)
{
        json_t *annotations = json_object_get(pod->manifest, "annotations");
        _cleanup_json_ json_t *null = json_null();

        if (strcmp(rest, "pod/manifest") == 0)
                mds_respond_json(r, pod->manifest);
        else if (strcmp(rest, "pod/uuid") == 0)
                mds_respond_text(r, 200, "%s", pod->uuid_str);
        else if (strcmp(rest, "pod/annotations") == 0)
                /* absent and null answer null, [] answers []: as the manifest (Go DeepEqual) */
                mds_respond_json(r, annotations ?: null);
        else if (strncmp(rest, "pod/annotations/", 16) == 0)
                annotation_value(annotations, rest + 16, "Pod", r);
        else if (strncmp(rest, "apps/", 5) == 0)
                get_app(pod, rest + 5, r);
        else
                mds_respond_text(r, 404, "not found\n");
}

/* Parses the request's form body; false (and 400) when it is not a well-formed form. */
static bool read_form(const struct mds_request *rq, struct mds_form *ret, struct mds_response *r)
{
        const char *ct = rq->content_type ?: "";
        size_t n = strcspn(ct, ";");

        while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
                n--;
        *ret = (struct mds_form){0};
        if (n != 33 || strncasecmp(ct, "application/x-www-form-urlencoded", n) != 0) {
                mds_respond_text(r, 400, "expected a form (application/x-www-form-urlencoded)\n");
                return false;
        }
        if (mds_form_parse(rq->body, rq->body_len, ret) < 0) {
                mds_respond_text(r, 400, "malformed form\n");
                return false;
        }
        return true;
}

static void hmac_sign(const struct mds_registry *reg, const struct mds_pod *pod,
                      const struct mds_request *rq, struct mds_response *r)
{
        struct mds_form f;
        const char *content;
        uint8_t mac[MDS_HMAC_LEN];

        if (!read_form(rq, &f, r))
                return;
        content = mds_form_get(&f, "content");
        if (!content || !*content) {
                mds_form_done(&f);
                {
                        mds_respond_text(r, 400, "content form value not found\n");
                        return;
                }
        }
        mds_hmac(reg->hmac_key, pod->uuid, content, strlen(content), mac);
        mds_form_done(&f);
        mds_respond_text(r, 200, "%s", "");
        free(r->body);
        r->body = mds_base64_encode(mac, sizeof(mac));
        r->len = strlen(r->body);
}

/* Checks the fields of a verify form; answers 400 and returns false when one is bad. */
static bool verify_fields(const struct mds_form *f, uint8_t uuid[static MDS_UUID_LEN],
                          uint8_t **ret_sig, size_t *ret_len, struct mds_response *r)
{
        const char *why = "bad UUID length != 32";
        const char *u = mds_form_get(f, "uuid"), *content = mds_form_get(f, "content");
        const char *sig = mds_form_get(f, "signature") ?: "";

        if (!u || mds_uuid_parse(u, uuid, &why) < 0) {
                mds_respond_text(r, 400, "uuid field missing or malformed: %s\n", why);
                return false;
        }
        if (!content || !*content) {
                mds_respond_text(r, 400, "content field missing\n");
                return false;
        }
        if (mds_base64_decode(sig, ret_sig, ret_len) < 0) {
                mds_respond_text(r, 400, "signature field missing or corrupt\n");
                return false;
        }
        return true;
}

static void hmac_verify(const struct mds_registry *reg, const struct mds_request *rq,
                        struct mds_response *r)
{
        _cleanup_free_ uint8_t *sig = NULL;
        uint8_t uuid[MDS_UUID_LEN], mac[MDS_HMAC_LEN];
        struct mds_form f;
        size_t len = 0;
        const char *content;

        if (!read_form(rq, &f, r))
                return;
        if (!verify_fields(&f, uuid, &sig, &len, r)) {
                mds_form_done(&f);
                return;
        }
        content = mds_form_get(&f, "content");
        mds_hmac(reg->hmac_key, uuid, content, strlen(content), mac);
        mds_form_done(&f);
        if (len != sizeof(mac) || CRYPTO_memcmp(sig, mac, sizeof(mac)) != 0) {
                mds_respond_text(r, 403, "signature mismatch\n");
                return;
        }
        mds_respond_text(r, 200, "%s", "");
}

/* Splits "/<token>/acMetadata/v1/<rest>"; false when the path has another shape. */
static bool split_public(const char *path, char **ret_token, const char **ret_rest)
{
        const char *slash;

        if (path[0] != '/')
                return false;
        slash = strchr(path + 1, '/');
        if (!slash || slash == path + 1 || strncmp(slash, API_PREFIX, strlen(API_PREFIX)) != 0)
                return false;
        *ret_token = oom_check(strndup(path + 1, (size_t)(slash - path - 1)));
        *ret_rest = slash + strlen(API_PREFIX);
        return true;
}

void mds_handle_public(struct mds_registry *reg, const struct mds_request *rq,
                       struct mds_response *r)
{
        _cleanup_free_ char *token = NULL;
        const char *rest;
        const struct mds_pod *pod;
        bool hmac, allowed;

        if (!split_public(rq->path, &token, &rest)) {
                mds_respond_text(r, 404, "not found\n");
                return;
        }
        hmac = strcmp(rest, "pod/hmac/sign") == 0 || strcmp(rest, "pod/hmac/verify") == 0;
        allowed = hmac ? strcmp(rq->method, "POST") == 0
                       : strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
        if (!allowed) {
                mds_respond_text(r, 405, "method not allowed\n");
                return;
        }
        pod = mds_registry_by_token(reg, token);
        if (!pod)
                mds_respond_text(r, 401, "pod not found\n");
        else if (strcmp(rest, "pod/hmac/sign") == 0)
                hmac_sign(reg, pod, rq, r);
        else if (hmac)
                hmac_verify(reg, rq, r);
        else
                get_pod(pod, rest, r);
}
