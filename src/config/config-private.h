/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the config module. */
#pragma once

#include <stdbool.h>

#include "config.h"

/* Parses a v1 file of kind into dir_cfg, rejecting keys dir_cfg already has. */
int config_parse_v1(struct config *dir_cfg, const char *kind, json_t *v, const char *path,
                    struct rk_error **reterr);
/* Moves the settings of src over those of dst (per key). */
void config_merge(struct config *dst, struct config *src);
/* Whether the space-separated list words contains w. */
bool strv_contains_word(const char *words, const char *w);
/* The directory part of path, in a static buffer. */
const char *dirname_of(const char *path);
