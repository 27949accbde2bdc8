/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The apps of a pod as run/prepare (and app add) were asked for them (SPEC.md §4.1–4.3): each
 * image with its per-app flags and arguments, the pod-wide --mount and --volume values.
 * The CLI fills it (src/cli/app-args.c); stage0 builds the pod manifest from it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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
        /* --stdin, --stdout, --stderr (attach experiment): null|stream|tty, log too for the
         * outputs; NULL: not given (annotations coreos.com/rkt/stage2/std*) */
        char *stdin_mode, *stdout_mode, *stderr_mode;
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
