/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration API of the metadata service (SPEC.md §9.1), served on the unix socket
 * that only root can connect to: stage0 registers a pod with its manifest and token, then
 * each app's image manifest; pod deletion unregisters it. Runs in: rkt metadata-service.
 */
#include <string.h>

#include "image-manifest.h"
#include "json-util.h"
#include "mds.h"
#include "pod-manifest.h"
#include "types.h"

/* Parses and validates the body as a pod or image manifest; on failure answers 400. */
static json_t *decode_manifest(const struct mds_request *rq, bool pod, struct mds_response *r)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        json_error_t jerr;
        json_t *v;
        int k;

        if (pod) {
                struct pod_manifest *m = NULL;
                k = pod_manifest_parse(rq->body, rq->body_len, &m, &err);
                pod_manifest_free(m);
        } else {
                struct image_manifest *m = NULL;
                k = image_manifest_parse(rq->body, rq->body_len, &m, &err);
                image_manifest_free(m);
        }
        if (k < 0) {
                _cleanup_free_ char *why = rk_error_render(err, false);
                mds_respond_text(r, 400, "JSON-decoding failed: %s\n", why);
                return NULL;
        }
        v = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!v)
                mds_respond_text(r, 400, "JSON-decoding failed: %s\n", jerr.text);
        return v;
}

static void register_pod(struct mds_registry *reg, const uint8_t uuid[static MDS_UUID_LEN],
                         const struct mds_request *rq, struct mds_response *r)
{
        _cleanup_json_ json_t *m = NULL;

        if (!rq->token || !*rq->token) {
                mds_respond_text(r, 400, "token missing\n");
                return;
        }
        if (!mds_token_is_valid(rq->token)) {
                mds_respond_text(r, 400, "token malformed\n");
                return;
        }
        m = decode_manifest(rq, true, r);
        if (!m)
                return;
        if (mds_registry_add_pod(reg, uuid, rq->token, m) < 0) {
                mds_respond_text(r, 409, "token already in use by another pod\n");
                return;
        }
        mds_respond_text(r, 200, "%s", "");
}

/* Whether the pod manifest lists the app name. */
static bool manifest_has_app(const json_t *pm, const char *name)
{
        size_t i;
        json_t *a;

        json_array_foreach(json_object_get(pm, "apps"), i, a)
                if (json_is_string(json_object_get(a, "name")) &&
                    strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
                        return true;
        return false;
}

static void register_app(struct mds_registry *reg, const uint8_t uuid[static MDS_UUID_LEN],
                         const char *app, const struct mds_request *rq, struct mds_response *r)
{
        struct mds_pod *pod = mds_registry_by_uuid(reg, uuid);
        _cleanup_json_ json_t *m = NULL;

        if (!ac_name_is_valid(app)) {
                mds_respond_text(r, 400, "app name malformed\n");
                return;
        }
        if (!pod) {
                mds_respond_text(r, 404, "Pod with given UUID not found\n");
                return;
        }
        if (!manifest_has_app(pod->manifest, app)) {
                mds_respond_text(r, 400, "app \"%s\" is not in the pod manifest\n", app);
                return;
        }
        m = decode_manifest(rq, false, r);
        if (!m)
                return;
        mds_registry_add_app(pod, app, m);
        mds_respond_text(r, 200, "%s", "");
}

/* Splits "/pods/<uuid>[/<app>]"; returns false when path has another shape. */
static bool split_path(const char *path, char **ret_uuid, char **ret_app)
{
        const char *rest, *slash;

        if (strncmp(path, "/pods/", 6) != 0)
                return false;
        rest = path + 6;
        slash = strchr(rest, '/');
        if (slash && (strchr(slash + 1, '/') || !slash[1]))
                return false;
        *ret_uuid = slash ? strndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
        oom_check(*ret_uuid);
        *ret_app = slash ? xstrdup(slash + 1) : NULL;
        return true;
}

void mds_handle_registration(struct mds_registry *reg, const struct mds_request *rq,
                             struct mds_response *r)
{
        _cleanup_free_ char *uuid_text = NULL, *app = NULL;
        uint8_t uuid[MDS_UUID_LEN];
        const char *why = NULL;
        bool put = strcmp(rq->method, "PUT") == 0, del = strcmp(rq->method, "DELETE") == 0;

        if (!split_path(rq->path, &uuid_text, &app))
                mds_respond_text(r, 404, "not found\n");
        else if (!put && !(del && !app))
                mds_respond_text(r, 405, "method not allowed\n");
        else if (mds_uuid_parse(uuid_text, uuid, &why) < 0)
                mds_respond_text(r, 400, "UUID is missing or malformed: %s\n", why);
        else if (app)
                register_app(reg, uuid, app, rq, r);
        else if (put)
                register_pod(reg, uuid, rq, r);
        else if (mds_registry_remove(reg, uuid) < 0)
                mds_respond_text(r, 404, "pod not found\n");
        else
                mds_respond_text(r, 200, "%s", "");
}
