/* SPDX-License-Identifier: Apache-2.0 */
/* Manifest and index parsing with platform selection. */
#include "docker-manifest.h"

#include <openssl/evp.h>
#include <string.h>

#include "docker-image.h"
#include "docker-ref.h"
#include "format-util.h"
#include "json-util.h"
#include "strv.h"

#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"

static const char *const layer_types[] = {
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        NULL,
};

static const char *const config_types[] = {
        "application/vnd.docker.container.image.v1+json",
        "application/vnd.oci.image.config.v1+json",
        NULL,
};

char *docker_sha256(const void *data, size_t len)
{
        unsigned char md[32];
        char *out = oom_check(malloc(7 + 64 + 1));

        EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
        memcpy(out, "sha256:", 7);
        hex_encode(md, sizeof(md), out + 7);
        return out;
}

static void descriptor_done(struct docker_descriptor *d)
{
        free(d->media_type);
        free(d->digest);
}

void docker_manifest_done(struct docker_manifest *m)
{
        descriptor_done(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                descriptor_done(&m->layers[i]);
        free(m->layers);
        *m = (struct docker_manifest){0};
}

static int descriptor_parse(const json_t *v, const char *const *types, const char *what,
                            struct docker_descriptor *ret, struct rk_error **reterr)
{
        const char *mt = json_string_value(json_object_get(v, "mediaType"));
        const char *digest = json_string_value(json_object_get(v, "digest"));
        json_t *size = json_object_get(v, "size");

        if (!docker_digest_is_valid(digest))
                return rk_error_set(reterr, EINVAL, "%s: missing or unsupported digest", what);
        if (!json_is_integer(size) || json_integer_value(size) < 0)
                return rk_error_set(reterr, EINVAL, "%s: missing size", what);
        if (types && (!mt || strv_index(types, mt) < 0))
                return rk_error_set(reterr, ENOTSUP, "%s: unsupported media type \"%s\"", what,
                                    mt ?: "");
        ret->media_type = xstrdup(mt ?: "");
        ret->digest = xstrdup(digest);
        ret->size = (uint64_t)json_integer_value(size);
        return 0;
}

static int image_manifest_parse(const json_t *doc, struct docker_manifest *ret,
                                struct rk_error **reterr)
{
        const json_t *layers = json_object_get(doc, "layers");
        struct docker_manifest m = {0};
        int r;

        if (!json_is_array(layers))
                return rk_error_set(reterr, EINVAL, "image manifest without layers");
        r = descriptor_parse(json_object_get(doc, "config"), config_types, "config", &m.config,
                             reterr);
        m.layers = xnew0(struct docker_descriptor, json_array_size(layers) + 1);
        for (size_t i = 0; r >= 0 && i < json_array_size(layers); i++) {
                r = descriptor_parse(json_array_get(layers, i), layer_types, "layer", &m.layers[i],
                                     reterr);
                m.n_layers += r >= 0;
        }
        if (r < 0) {
                docker_manifest_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

/* The entry of index for linux on this machine's architecture (and variant, when any). */
static int index_select(const json_t *doc, char **ret_digest, struct rk_error **reterr)
{
        const char *arch, *variant;
        json_t *e;
        size_t i;

        docker_host_platform(&arch, &variant);
        json_array_foreach(json_object_get(doc, "manifests"), i, e) {
                json_t *p = json_object_get(e, "platform");
                const char *os = json_string_value(json_object_get(p, "os"));
                const char *a = json_string_value(json_object_get(p, "architecture"));
                const char *v = json_string_value(json_object_get(p, "variant"));
                const char *digest = json_string_value(json_object_get(e, "digest"));

                if (!os || !a || strcmp(os, "linux") != 0 || strcmp(a, arch) != 0 ||
                    (variant && v && strcmp(v, variant) != 0))
                        continue;
                if (!docker_digest_is_valid(digest))
                        return rk_error_set(reterr, EINVAL, "index entry with a bad digest");
                *ret_digest = xstrdup(digest);
                return 0;
        }
        return rk_error_set(reterr, ENOENT, "no image for linux/%s%s%s in the image index", arch,
                            variant ? "/" : "", variant ?: "");
}

static const struct json_field_spec platform_fields[] = {
        {"architecture"},
        {"os"},
        {"variant"},
        {NULL},
};
static const struct json_field_spec descriptor_fields[] = {
        {"mediaType"}, {"digest"},      {"size"},
        {"urls"},      {"annotations"}, {"platform", platform_fields},
        {NULL},
};
const struct json_field_spec docker_manifest_fields[] = {
        {"schemaVersion"},
        {"mediaType"},
        {"config", descriptor_fields},
        {"layers", descriptor_fields},
        {"manifests", descriptor_fields},
        {NULL},
};
static const struct json_field_spec container_config_fields[] = {
        {"User"},       {"ExposedPorts"}, {"Env"},    {"Cmd"},        {"Volumes"},
        {"WorkingDir"}, {"Entrypoint"},   {"Labels"}, {"StopSignal"}, {NULL},
};
static const struct json_field_spec rootfs_fields[] = {{"type"}, {"diff_ids"}, {NULL}};
const struct json_field_spec docker_config_fields[] = {
        {"architecture"},
        {"os"},
        {"variant"},
        {"created"},
        {"author"},
        {"config", container_config_fields},
        {"rootfs", rootfs_fields},
        {NULL},
};

json_t *docker_config_parse(const char *body, size_t len, char **ret_error)
{
        return json_load_object_fields(body, len, docker_config_fields, ret_error);
}

int docker_manifest_parse(const char *body, size_t len, const char *media_type, int *ret_index,
                          char **ret_digest, struct docker_manifest *ret, struct rk_error **reterr)
{
        _cleanup_free_ char *why = NULL;
        _cleanup_json_ json_t *doc = json_load_fields(body, len, docker_manifest_fields, &why);
        const char *mt = media_type;

        if (!doc)
                return rk_error_set(reterr, EINVAL, "invalid manifest: %s", why);
        if (!json_is_object(doc))
                return rk_error_set(reterr, EINVAL, "manifest is not a JSON object");
        if (!mt || strcmp(mt, "application/json") == 0 || strcmp(mt, "text/plain") == 0)
                mt = json_string_value(json_object_get(doc, "mediaType"));
        if (!mt && json_is_array(json_object_get(doc, "manifests")))
                mt = MT_OCI_INDEX;
        if (!mt && json_is_array(json_object_get(doc, "layers")))
                mt = MT_OCI_MANIFEST;
        if (mt && (strcmp(mt, MT_DOCKER_LIST) == 0 || strcmp(mt, MT_OCI_INDEX) == 0)) {
                *ret_index = 1;
                return index_select(doc, ret_digest, reterr);
        }
        if (mt && (strcmp(mt, MT_DOCKER_MANIFEST) == 0 || strcmp(mt, MT_OCI_MANIFEST) == 0)) {
                *ret_index = 0;
                return image_manifest_parse(doc, ret, reterr);
        }
        return rk_error_set(reterr, ENOTSUP, "unsupported manifest type \"%s\"", mt ?: "");
}
