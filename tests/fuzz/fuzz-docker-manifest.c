/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker and OCI image manifests, manifest lists and indexes as a registry or an OCI layout
 * serves them (src/fetch/docker-manifest.c). The first byte picks the Content-Type the
 * server sent (none, one of the four manifest types, or a generic one); the rest is the
 * body. What is accepted names only well-formed digests.
 */
#include <string.h>

#include "docker-manifest.h"
#include "docker-ref.h"
#include "fuzz.h"

#define INPUT_MAX (256 << 10)

static const char *const content_types[] = {
        NULL,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/json",
        "application/octet-stream",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct docker_manifest m = {0};
        _cleanup_free_ char *digest = NULL;
        struct rk_error *err = NULL;
        int index = -1, r;

        if (size < 1 || size > INPUT_MAX)
                return 0;
        r = docker_manifest_parse((const char *)data + 1, size - 1,
                                  content_types[data[0] % ELEMENTSOF(content_types)], &index,
                                  &digest, &m, &err);
        fuzz_check_error(r, &err);
        if (r >= 0 && index == 1)
                FUZZ_ASSERT(docker_digest_is_valid(digest));
        if (r >= 0 && index == 0) {
                FUZZ_ASSERT(docker_digest_is_valid(m.config.digest));
                for (size_t i = 0; i < m.n_layers; i++)
                        FUZZ_ASSERT(docker_digest_is_valid(m.layers[i].digest) &&
                                    m.layers[i].media_type);
        }
        FUZZ_ASSERT(r < 0 || index == 0 || index == 1);
        docker_manifest_done(&m);
        return 0;
}
