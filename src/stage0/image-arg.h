/* SPDX-License-Identifier: Apache-2.0 */
/* Classifying an image argument of run/prepare/fetch (SPEC.md §5.2). */
#pragma once

enum image_arg_kind {
        IMAGE_ARG_HASH,         /* sha512-…: store lookup only */
        IMAGE_ARG_PATH,         /* a local file; value is the absolute path */
        IMAGE_ARG_HTTP,         /* http(s)://….aci */
        IMAGE_ARG_DOCKER,       /* docker://… */
        IMAGE_ARG_LOCAL_DOCKER, /* docker-archive:PATH[:REF] or oci:PATH[:REF] (skopeo's) */
        IMAGE_ARG_NAME,         /* an appc name with optional version and labels */
};

/*
 * Classifies arg; *ret_value is the absolute path for paths (file:// URLs included), else
 * a copy of arg. Returns -EINVAL for an http/https/file URL whose path does not end in
 * ".aci" (message "invalid image string \"<arg>\"" in *ret_value).
 */
int image_arg_classify(const char *arg, enum image_arg_kind *ret_kind, char **ret_value);
