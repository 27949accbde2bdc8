/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod as stage1 sees it: P/pod plus each app's image manifest, with the app section an
 * app runs with (its own in the pod manifest, else the image's). Runs in: any stage1
 * entrypoint, with cwd = P.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "image-manifest.h"
#include "pod-manifest.h"

struct stage1_app {
        const char *name;              /* the pod manifest's */
        const struct pod_app *pod_app; /* in the pod manifest */
        struct image_manifest *image;  /* owned */
        const struct ac_app *app;      /* pod_app->app, else image->app; never NULL */
        char *rootfs;                  /* absolute host path of the app rootfs */
        char *rootfs_in_pod;           /* "/opt/stage2/<name>/rootfs" */
};

struct stage1_pod {
        char *dir;        /* absolute path of P */
        char *stage1_dir; /* absolute path of S1 = P/stage1/rootfs */
        struct pod_manifest *manifest;
        struct stage1_app *apps;
        size_t n_apps;
};

/*
 * Loads P/pod and the app image manifests (P/appsinfo/<app>/manifest, else
 * S1/opt/stage2/<app>/manifest) from the directory poddir (NULL: the cwd). Fails when an app
 * has no app section anywhere or a volume name repeats. Returns 0 and *ret (free with
 * stage1_pod_free()), or < 0 with reterr set.
 */
int stage1_pod_load(const char *poddir, struct stage1_pod **ret, struct rk_error **reterr);

/*
 * stage1_pod_load() with only the app called name in apps (none when the pod has no such
 * app): what an app entrypoint needs, whatever the number of the pod's apps. The manifest is
 * the whole pod's.
 */
int stage1_pod_load_app(const char *poddir, const char *name, struct stage1_pod **ret,
                        struct rk_error **reterr);

struct stage1_pod *stage1_pod_free(struct stage1_pod *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct stage1_pod *, stage1_pod_free)

/* The app called name, or NULL. */
const struct stage1_app *stage1_pod_find_app(const struct stage1_pod *p, const char *name);

/* True when the image was converted from Docker (annotation appc.io/docker/repository). */
bool stage1_app_is_docker(const struct stage1_app *a);

/*
 * Writes dirfd/path with mode atomically for readers (a temporary file renamed over it) but
 * without fsync: pod state that a reboot makes moot anyway. Returns 0 or -errno.
 */
int write_state_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode);

/* Writes "<n>\n" to dirfd/path (0644) like write_state_file_at(). Returns 0 or -errno. */
int write_int_file_at(int dirfd, const char *path, long n);
