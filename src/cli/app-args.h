/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image list of run/prepare (SPEC.md §4.1–4.3): images with their per-app flags and
 * "-- ARGS ---" sections, pod-wide --mount and --volume.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "types.h"

struct app_mount {
        char *volume;
        char *target;
};

struct app_spec {
        char *image; /* the argument as given */
        char **args; /* after "--" */
        bool has_args;
        char *exec;
        char *working_dir;
        int readonly_rootfs; /* -1: not given */
        char *user, *group;
        char **supp_gids; /* NULL: not given */
        char *name;
        struct ac_labels annotations, user_annotations, user_labels, environment;
        char *memory, *cpu, *cpu_shares, *oom_score_adj;
        char **caps_retain, **caps_remove;
        char *seccomp;
        char *signature;
        struct app_mount *mounts;
        size_t n_mounts;
};

struct app_list {
        struct app_spec *apps;
        size_t n;
        struct app_mount *pod_mounts; /* --mount before any image */
        size_t n_pod_mounts;
        char **volumes; /* --volume values, as given */
};

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
