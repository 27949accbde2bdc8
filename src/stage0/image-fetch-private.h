/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by image-fetch.c (dispatch, files, dependencies) and
 * image-fetch-remote.c (http(s) URLs, discovery). */
#pragma once

#include <stdbool.h>

#include "image-fetch.h"
#include "types.h"

/* One fetch: the global settings and what this image is fetched with. */
struct fetch_job {
        struct store *s;
        const struct stage0_context *ctx;
        const char *policy;    /* "new", "update" or "never" */
        const char *signature; /* --signature override, NULL */
        unsigned flags;        /* enum image_fetch_flags */
        bool top;              /* a top-level image (not a dependency): render it */
};

/* Whether the job checks signatures. */
bool fetch_job_verifies(const struct fetch_job *j);
/* The import flags of the job's images. */
unsigned fetch_job_import_flags(const struct fetch_job *j);
/*
 * Whether a store entry may stand for what the job asked (a name, a URL already fetched):
 * when checking signatures, only an image root or the calling user imported (members of
 * group rkt can write the index and import unverified images).
 */
bool fetch_job_store_usable(const struct fetch_job *j, const char *key);

/* An http(s):// image URL (SPEC.md §5.3). */
int fetch_url(const struct fetch_job *j, const char *url, char **ret_key, struct rk_error **reterr);
/* An appc name with its labels, from the store or by discovery. */
int fetch_name(const struct fetch_job *j, const char *arg, char **ret_key,
               struct rk_error **reterr);
/* The same for a name and labels already parsed (dependencies). */
int fetch_name_labels(const struct fetch_job *j, const char *display, const char *name,
                      const struct ac_labels *labels, char **ret_key, struct rk_error **reterr);
