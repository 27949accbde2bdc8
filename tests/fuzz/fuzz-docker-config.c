/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker and OCI image configurations (src/fetch/docker-manifest.c's parser) and their
 * conversion to an ACI (src/fetch/docker-aci.c) for an image without layers. A conversion
 * that succeeds must produce an ACI whose tar passes the ACI walk; its manifest must pass the
 * image manifest parser unless the configuration itself is invalid in a field the conversion
 * copies as is (a "created" that is no RFC 3339 date: the store's import refuses that image,
 * as rkt did).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "aci.h"
#include "docker-image.h"
#include "docker-manifest.h"
#include "fuzz.h"
#include "image-manifest.h"
#include "types.h"

#define INPUT_MAX (256 << 10)

/* Says why the store refused the converted image before the process stops. */
static void report(const char *what, struct rk_error *err, const char *manifest)
{
        _cleanup_free_ char *text = rk_error_render(err, false);

        fprintf(stderr, "%s refused: %s\n%s\n", what, text, manifest ?: "");
}

/* Whether the configuration is valid where the conversion copies it verbatim. */
static bool config_valid(const json_t *config)
{
        const char *created = json_string_value(json_object_get(config, "created"));

        return !created || !created[0] || ac_date_is_valid(created);
}

/* The store's view of the converted image. */
static void check_aci(int fd, bool valid)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        struct aci_walk w = {.extract_fd = -EBADF};
        struct rk_error *err = NULL;
        int r = aci_walk(fd, &w, &err);

        if (r < 0)
                report("converted ACI", err, NULL);
        fuzz_check_error(r, &err);
        FUZZ_ASSERT(r >= 0);
        r = image_manifest_parse(w.manifest, w.manifest_len, &m, &err);
        if (r < 0 && valid)
                report("converted manifest", err, w.manifest);
        fuzz_check_error(r, &err);
        FUZZ_ASSERT(r >= 0 || !valid);
        aci_walk_done(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *why = NULL, *dir = NULL;
        struct docker_image img = {0};
        struct rk_error *err = NULL;
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        int r;

        if (size > INPUT_MAX)
                return 0;
        img.config = docker_config_parse((const char *)data, size, &why);
        FUZZ_ASSERT(!!img.config != !!why);
        if (!img.config)
                return 0;
        img.name = xstrdup("registry-1.docker.io/library/fuzz");
        img.version = xstrdup("latest");
        img.original_name = xstrdup("docker://fuzz");
        img.registry = xstrdup("registry-1.docker.io");
        img.repository = xstrdup("library/fuzz");
        img.config_digest = docker_sha256(data, size);
        img.layers = xnew0(char *, 1);
        dirfd = fuzz_scratch_dir(&dir);
        fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        FUZZ_ASSERT(fd >= 0);
        r = docker_image_convert(&img, dirfd, fd, &err);
        fuzz_check_error(r, &err);
        if (r >= 0) {
                FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
                check_aci(fd, config_valid(img.config));
        }
        docker_image_done(&img);
        fuzz_scratch_remove(dir);
        return 0;
}
