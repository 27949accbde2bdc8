/* SPDX-License-Identifier: Apache-2.0 */
/* The registry of pods known to the metadata service. Runs in: rkt metadata-service. */
#include <string.h>
#include <sys/random.h>

#include "json-util.h"
#include "mds.h"

int mds_registry_new(struct mds_registry **ret)
{
        struct mds_registry *reg = xnew0(struct mds_registry, 1);

        if (getrandom(reg->hmac_key, sizeof(reg->hmac_key), 0) != (ssize_t)sizeof(reg->hmac_key)) {
                int r = -errno;
                free(reg);
                return r;
        }
        *ret = reg;
        return 0;
}

static void pod_free(struct mds_pod *pod)
{
        for (size_t i = 0; i < pod->n_apps; i++) {
                free(pod->apps[i].name);
                json_decref(pod->apps[i].manifest);
        }
        free(pod->apps);
        free(pod->token);
        json_decref(pod->manifest);
        free(pod);
}

struct mds_registry *mds_registry_free(struct mds_registry *reg)
{
        if (!reg)
                return NULL;
        for (size_t i = 0; i < reg->n_pods; i++)
                pod_free(reg->pods[i]);
        free(reg->pods);
        free(reg);
        return NULL;
}

struct mds_pod *mds_registry_by_token(const struct mds_registry *reg, const char *token)
{
        for (size_t i = 0; i < reg->n_pods; i++)
                if (strcmp(reg->pods[i]->token, token) == 0)
                        return reg->pods[i];
        return NULL;
}

struct mds_pod *mds_registry_by_uuid(const struct mds_registry *reg,
                                     const uint8_t uuid[static MDS_UUID_LEN])
{
        for (size_t i = 0; i < reg->n_pods; i++)
                if (memcmp(reg->pods[i]->uuid, uuid, MDS_UUID_LEN) == 0)
                        return reg->pods[i];
        return NULL;
}

int mds_registry_add_pod(struct mds_registry *reg, const uint8_t uuid[static MDS_UUID_LEN],
                         const char *token, json_t *manifest)
{
        struct mds_pod *other = mds_registry_by_token(reg, token);
        struct mds_pod *pod;

        if (other && memcmp(other->uuid, uuid, MDS_UUID_LEN) != 0)
                return -EEXIST;
        (void)mds_registry_remove(reg, uuid);
        pod = xnew0(struct mds_pod, 1);
        memcpy(pod->uuid, uuid, MDS_UUID_LEN);
        mds_uuid_format(uuid, pod->uuid_str);
        pod->token = xstrdup(token);
        pod->manifest = json_incref(manifest);
        reg->pods = oom_check(reallocarray(reg->pods, reg->n_pods + 1, sizeof(*reg->pods)));
        reg->pods[reg->n_pods++] = pod;
        return 0;
}

const struct mds_app *mds_pod_app(const struct mds_pod *pod, const char *name)
{
        for (size_t i = 0; i < pod->n_apps; i++)
                if (strcmp(pod->apps[i].name, name) == 0)
                        return &pod->apps[i];
        return NULL;
}

void mds_registry_add_app(struct mds_pod *pod, const char *name, json_t *manifest)
{
        struct mds_app *a = (struct mds_app *)mds_pod_app(pod, name);

        if (!a) {
                pod->apps = oom_check(reallocarray(pod->apps, pod->n_apps + 1, sizeof(*pod->apps)));
                a = &pod->apps[pod->n_apps++];
                a->name = xstrdup(name);
                a->manifest = NULL;
        }
        json_decref(a->manifest);
        a->manifest = json_incref(manifest);
}

int mds_registry_remove(struct mds_registry *reg, const uint8_t uuid[static MDS_UUID_LEN])
{
        for (size_t i = 0; i < reg->n_pods; i++) {
                if (memcmp(reg->pods[i]->uuid, uuid, MDS_UUID_LEN) != 0)
                        continue;
                pod_free(reg->pods[i]);
                reg->pods[i] = reg->pods[--reg->n_pods];
                return 0;
        }
        return -ENOENT;
}

void mds_response_done(struct mds_response *r)
{
        free(r->body);
        *r = (struct mds_response){0};
}

void mds_respond_text(struct mds_response *r, unsigned status, const char *fmt, ...)
{
        free(r->body);
        r->status = status;
        r->content_type = MDS_CT_TEXT;
        r->body = FORMAT_VARARGS(fmt);
        r->len = strlen(r->body);
}

void mds_respond_json(struct mds_response *r, const json_t *v)
{
        _cleanup_free_ char *text = json_dump_go(v, false);

        free(r->body);
        r->status = 200;
        r->content_type = MDS_CT_JSON;
        r->body = xasprintf("%s\n", text);
        r->len = strlen(r->body);
}
