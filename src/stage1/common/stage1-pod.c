/* SPDX-License-Identifier: Apache-2.0 */
/* Loading of the pod manifest and app images. Runs in: any stage1 entrypoint. */
#include "stage1-pod.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"

#define MANIFEST_MAX (16u << 20)

static int load_image_manifest(int s1fd, int podfd, const char *name, struct image_manifest **ret,
                               struct rk_error **reterr)
{
        _cleanup_free_ char *p1 = xasprintf("appsinfo/%s/manifest", name);
        _cleanup_free_ char *p2 = xasprintf("opt/stage2/%s/manifest", name);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_file_at(podfd, p1, MANIFEST_MAX, &text, &len);
        if (r == -ENOENT)
                r = read_file_at(s1fd, p2, MANIFEST_MAX, &text, &len);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading image manifest of app %s", name);
        r = image_manifest_parse(text, len, ret, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "parsing image manifest of app %s", name);
        return 0;
}

static int check_volumes(const struct pod_manifest *m, struct rk_error **reterr)
{
        for (size_t i = 0; i < m->n_volumes; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(m->volumes[i].name, m->volumes[j].name) == 0)
                                return rk_error_set(reterr, EINVAL, "duplicate volume name \"%s\"",
                                                    m->volumes[i].name);
        return 0;
}

/* p->apps[i] from the pod manifest's app k. */
static int load_app(struct stage1_pod *p, size_t i, size_t k, int s1fd, int podfd,
                    struct rk_error **reterr)
{
        struct stage1_app *a = &p->apps[i];
        int r;

        a->pod_app = &p->manifest->apps[k];
        a->name = a->pod_app->name;
        r = load_image_manifest(s1fd, podfd, a->name, &a->image, reterr);
        if (r < 0)
                return r;
        a->app = a->pod_app->app ? a->pod_app->app : a->image->app;
        if (!a->app)
                return rk_error_set(reterr, EINVAL,
                                    "no app section in the pod manifest or the image manifest "
                                    "of app %s",
                                    a->name);
        a->rootfs = xasprintf("%s/opt/stage2/%s/rootfs", p->stage1_dir, a->name);
        a->rootfs_in_pod = xasprintf("/opt/stage2/%s/rootfs", a->name);
        return 0;
}

/* stage1_pod_load() of every app, or of only the app called only. */
static int pod_load(const char *poddir, const char *only, struct stage1_pod **ret,
                    struct rk_error **reterr)
{
        _cleanup_(stage1_pod_freep) struct stage1_pod *p = xnew0(struct stage1_pod, 1);
        _cleanup_close_ int podfd = -EBADF, s1fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        char cwd[PATH_MAX];
        size_t len;
        int r;

        if (!poddir) {
                if (!getcwd(cwd, sizeof(cwd)))
                        return rk_error_set_errno(reterr, errno, "getcwd");
                poddir = cwd;
        }
        p->dir = xstrdup(poddir);
        p->stage1_dir = xasprintf("%s/stage1/rootfs", poddir);
        podfd = open(p->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        s1fd = open(p->stage1_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0 || s1fd < 0)
                return rk_error_set_errno(reterr, errno, "opening pod directory %s", poddir);
        r = read_file_at(podfd, "pod", MANIFEST_MAX, &text, &len);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading pod manifest");
        r = pod_manifest_parse(text, len, &p->manifest, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "parsing pod manifest");
        r = check_volumes(p->manifest, reterr);
        if (r < 0)
                return r;
        p->apps = xnew0(struct stage1_app, p->manifest->n_apps + 1);
        for (size_t i = 0; i < p->manifest->n_apps; i++) {
                if (only && strcmp(p->manifest->apps[i].name, only) != 0)
                        continue;
                r = load_app(p, p->n_apps++, i, s1fd, podfd, reterr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

int stage1_pod_load(const char *poddir, struct stage1_pod **ret, struct rk_error **reterr)
{
        return pod_load(poddir, NULL, ret, reterr);
}

int stage1_pod_load_app(const char *poddir, const char *name, struct stage1_pod **ret,
                        struct rk_error **reterr)
{
        return pod_load(poddir, name, ret, reterr);
}

struct stage1_pod *stage1_pod_free(struct stage1_pod *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_apps; i++) {
                image_manifest_free(p->apps[i].image);
                free(p->apps[i].rootfs);
                free(p->apps[i].rootfs_in_pod);
        }
        free(p->apps);
        pod_manifest_free(p->manifest);
        free(p->dir);
        free(p->stage1_dir);
        free(p);
        return NULL;
}

const struct stage1_app *stage1_pod_find_app(const struct stage1_pod *p, const char *name)
{
        for (size_t i = 0; i < p->n_apps; i++)
                if (strcmp(p->apps[i].name, name) == 0)
                        return &p->apps[i];
        return NULL;
}

bool stage1_app_is_docker(const struct stage1_app *a)
{
        return image_manifest_get_annotation(a->image, "appc.io/docker/repository") != NULL;
}

int write_state_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode)
{
        return write_file_replace_at(dirfd, path, data, len, mode, 0);
}

int write_int_file_at(int dirfd, const char *path, long n)
{
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "%ld\n", n);

        return write_state_file_at(dirfd, path, buf, (size_t)len, 0644);
}
