/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing the image list of run/prepare (SPEC.md §4.1–4.3) into an app_list (app-spec.h):
 * images with their per-app flags and "-- ARGS ---" sections, pod-wide --mount and --volume.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "app-spec.h"
#include "cli.h"

extern struct app_list arg_apps;

/* The per-app flags (SPEC.md §4.2); each applies to the last image of arg_apps. */
extern const struct flag app_flags[];

/*
 * Scans the words after the leading flags: images, their per-app flags (parsed with
 * pod_flags and app_flags), "--" argument sections ending at "---". Appends to arg_apps.
 * On failure *ret_msg says why (rkt prefixes "error parsing app image arguments: ").
 */
int app_list_parse(const struct flag *pod_flags, int argc, char **argv, char **ret_msg);

/* Checks that every mount names a declared --volume ("dangling mount point …"). */
int app_list_check_mounts(char **ret_msg);
