/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Freeing the app lists the unit tests build (src/stage0/app-spec.h has no destructor: the
 * CLI's list lives as long as the process). Compiled into the tests that need it.
 */
#pragma once

#include "app-spec.h"

/* Frees the contents of s and resets it. */
void app_spec_done(struct app_spec *s);

/* Frees n mounts and the array. */
void app_mounts_free(struct app_mount *m, size_t n);

/* Frees the contents of l (its apps, mounts and volumes) and resets it. */
void app_list_done(struct app_list *l);
