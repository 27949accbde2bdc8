/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Docker or OCI image ready for conversion, whatever its source (registry, `docker save`
 * archive, OCI layout), and its conversion to one squashed ACI (DOCKER.md §1.4-1.5, §1.7).
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "error.h"

struct docker_image {
        char *name;            /* ACI name before sanitising: "<registry>/<repository>" */
        char *version;         /* the tag (label "version"), NULL for none */
        char *original_name;   /* the reference as given (annotation originalname) */
        char *registry;        /* annotation registryurl, NULL for local sources */
        char *repository;      /* annotation repository */
        char *manifest_digest; /* annotation manifesthash, NULL when unknown */
        char *config_digest;   /* annotation imageid (the Docker image ID), NULL if unknown */
        json_t *config;        /* the image configuration (owned) */
        char **layers;         /* layer files (absolute paths), base layer first */
};

void docker_image_done(struct docker_image *img);

/*
 * Squashes the layers of img and writes the ACI (uncompressed tar) to out_fd, keeping file
 * data meanwhile in an anonymous file of the directory tmp_fd. A relative Entrypoint or Cmd
 * program is resolved through the image's PATH, as Docker does at run time.
 */
int docker_image_convert(const struct docker_image *img, int tmp_fd, int out_fd,
                         struct rk_error **reterr);

/*
 * Gives layer i (0: the base) as a readable fd at its start in *ret_fd (closed by the
 * caller), once it is there; the layers are asked for in order, each once.
 */
typedef int (*docker_layer_fn)(void *userdata, size_t i, int *ret_fd, struct rk_error **reterr);
/* docker_image_convert() of n_layers layers given by next_layer (img->layers is not used):
 * each layer is squashed as soon as it is given, while later ones may still be coming. */
int docker_image_convert_from(const struct docker_image *img, size_t n_layers,
                              docker_layer_fn next_layer, void *userdata, int tmp_fd, int out_fd,
                              struct rk_error **reterr);

/* The ACI os/arch labels for a Docker os/architecture/variant; false when unmapped. */
bool docker_platform_to_aci(const char *os, const char *arch, const char *variant,
                            const char **ret_os, const char **ret_arch);
/* The Docker architecture and variant of this machine ("amd64", NULL). */
void docker_host_platform(const char **ret_arch, const char **ret_variant);
