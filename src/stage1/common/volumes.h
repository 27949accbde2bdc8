/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Volumes and the effective mounts of an app (SPEC.md §4.3): host and empty volumes, empty
 * volume storage in P/sharedVolumes/<vol>, implicit empty volumes for unmatched mount
 * points, and the bind mounts themselves (resolved inside the app rootfs, read-only
 * remounts, recursive option). Runs in: stage1 run entrypoint (host side) and, for
 * volume_mount(), the process that owns the target mount namespace (native: pod init before
 * pivot_root; fly: the run entrypoint).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "stage1-pod.h"

struct app_mount {
        const struct ac_volume *volume; /* in the pod manifest, or own_volume */
        struct ac_volume own_volume;    /* implicit volume (kind "empty") */
        char *target;                   /* absolute, inside the app rootfs */
        bool read_only;
        bool implicit;
        char *docker_source; /* implicit Docker volume: image path to copy from, or NULL */
        size_t order;        /* position before sorting (app_mounts_compute) */
};

struct app_mounts {
        struct app_mount *items;
        size_t n;
};

/*
 * Computes the effective mounts of app a, in path order (a target after every target that
 * contains it). implicit_empty: native behaviour (unmatched mount
 * points get an implicit empty volume with a warning); else fly's (`missing volume for
 * mountpoint "<n>"`). Returns 0 and fills *ret (free with app_mounts_done()), or < 0 with
 * reterr set.
 */
int app_mounts_compute(const struct stage1_pod *pod, const struct stage1_app *a,
                       bool implicit_empty, struct app_mounts *ret, struct rk_error **reterr);
void app_mounts_done(struct app_mounts *m);

/* Whether a mount's target is dir (cleaned, absolute) or lies below it. */
bool app_mounts_under(const struct app_mounts *m, const char *dir);

/*
 * The host path backing a volume: the host source, or P/sharedVolumes/<name> for empty ones.
 * Malloc'd.
 */
char *volume_host_path(const struct stage1_pod *pod, const struct ac_volume *v);

/*
 * Creates P/sharedVolumes/<name> for an empty volume with its mode/uid/gid (an existing one
 * is kept); for implicit Docker volumes copies the image contents first. For host volumes
 * checks that the source exists (`Failed to stat <src>: No such file or directory`).
 * Returns 0 or < 0 with reterr set.
 */
int volume_prepare(const struct stage1_pod *pod, const struct stage1_app *a,
                   const struct app_mount *m, struct rk_error **reterr);

/*
 * Bind-mounts the volume of m onto its target inside the rootfs at rootfs (host path in the
 * current mount namespace), creating the target; recursive_default applies when the volume
 * does not say. Read-only mounts are read-only (recursively when recursive) before they are
 * attached (mount-util.h): the source and the target are each looked up once. Returns 0
 * or < 0 with reterr set.
 */
int volume_mount(const struct stage1_pod *pod, const char *rootfs, const struct app_mount *m,
                 bool recursive_default, struct rk_error **reterr);
