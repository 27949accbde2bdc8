/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes and effective mounts (see volumes.h). */
#include "volumes.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs-util.h"
#include "log.h"
#include "mount-util.h"
#include "root-path.h"

/* Lexically cleaned absolute path ("/mnt/" and "/mnt" compare equal). */
static char *path_clean(const char *p)
{
        _cleanup_free_ char *s = xstrdup(p);
        size_t len = strlen(s);

        while (len > 1 && s[len - 1] == '/')
                s[--len] = '\0';
        return TAKE_PTR(s);
}

static bool mounts_have_target(const struct app_mounts *m, const char *path)
{
        _cleanup_free_ char *c = path_clean(path);

        for (size_t i = 0; i < m->n; i++) {
                _cleanup_free_ char *t = path_clean(m->items[i].target);
                if (strcmp(t, c) == 0)
                        return true;
        }
        return false;
}

bool app_mounts_under(const struct app_mounts *m, const char *dir)
{
        size_t n = strlen(dir);

        for (size_t i = 0; i < m->n; i++) {
                _cleanup_free_ char *t = path_clean(m->items[i].target);
                if (strncmp(t, dir, n) == 0 && (t[n] == '\0' || t[n] == '/'))
                        return true;
        }
        return false;
}

static int cmp_mount(const void *a, const void *b)
{
        const struct app_mount *x = a, *y = b;
        _cleanup_free_ char *cx = path_clean(x->target), *cy = path_clean(y->target);
        int c = strcmp(cx, cy);

        /* the first of two equal targets stays first (the mounts of rkt's order won) */
        return c ? c : (x->order > y->order) - (x->order < y->order);
}

/*
 * In path order: a mount lies on top of every mount whose target contains its own (rkt's
 * TestVolumes: /dir1/dir2/dir3 inside the volume at /dir1), whatever order they were given.
 */
static void mounts_sort(struct app_mounts *m)
{
        for (size_t i = 0; i < m->n; i++)
                m->items[i].order = i;
        qsort(m->items, m->n, sizeof(m->items[0]), cmp_mount);
}

static struct app_mount *mounts_add(struct app_mounts *m)
{
        struct app_mount *n = realloc(m->items, (m->n + 1) * sizeof(*n));

        m->items = oom_check(n);
        m->items[m->n] = (struct app_mount){0};
        return &m->items[m->n++];
}

static const struct ac_mount_point *find_mount_point(const struct ac_app *app, const char *name)
{
        for (size_t i = 0; i < app->n_mount_points; i++)
                if (strcmp(app->mount_points[i].name, name) == 0)
                        return &app->mount_points[i];
        return NULL;
}

static int add_explicit(const struct stage1_pod *pod, const struct stage1_app *a,
                        struct app_mounts *out, struct rk_error **reterr)
{
        for (size_t i = 0; i < a->pod_app->n_mounts; i++) {
                const struct pod_mount *pm = &a->pod_app->mounts[i];
                const struct ac_volume *v =
                        pm->app_volume ? pm->app_volume
                                       : pod_manifest_find_volume(pod->manifest, pm->volume);
                const struct ac_mount_point *mp = find_mount_point(a->app, pm->volume);
                if (!v)
                        return rk_error_set(reterr, ENOENT, "no volume for mount \"%s\"",
                                            pm->volume);
                if (mounts_have_target(out, pm->path))
                        continue;
                struct app_mount *m = mounts_add(out);
                m->volume = v;
                m->target = xstrdup(pm->path);
                m->read_only = v->has_read_only ? v->read_only : mp ? mp->read_only : false;
        }
        return 0;
}

static void add_implicit(const struct stage1_app *a, const struct ac_mount_point *mp,
                         struct app_mounts *out)
{
        struct app_mount *m = mounts_add(out);

        log_warning("warning: no volume specified for mount point \"%s\", implicitly creating an "
                    "\"empty\" volume. This volume will be removed when the pod is "
                    "garbage-collected.",
                    mp->name);
        m->own_volume.name = xasprintf("%s-%s", a->name, mp->name);
        m->own_volume.kind = xstrdup("empty");
        m->own_volume.mode = xstrdup("0755");
        m->own_volume.has_uid = m->own_volume.has_gid = true;
        m->volume = &m->own_volume;
        m->implicit = true;
        m->target = xstrdup(mp->path);
        m->read_only = mp->read_only;
        if (stage1_app_is_docker(a))
                m->docker_source = xstrdup(mp->path);
}

int app_mounts_compute(const struct stage1_pod *pod, const struct stage1_app *a,
                       bool implicit_empty, struct app_mounts *ret, struct rk_error **reterr)
{
        struct app_mounts out = {0};
        int r;

        r = add_explicit(pod, a, &out, reterr);
        for (size_t i = 0; r >= 0 && i < a->app->n_mount_points; i++) {
                const struct ac_mount_point *mp = &a->app->mount_points[i];
                const struct ac_volume *v = pod_manifest_find_volume(pod->manifest, mp->name);
                if (mounts_have_target(&out, mp->path))
                        continue;
                if (v) {
                        struct app_mount *m = mounts_add(&out);
                        m->volume = v;
                        m->target = xstrdup(mp->path);
                        m->read_only = v->has_read_only ? v->read_only : mp->read_only;
                } else if (implicit_empty) {
                        add_implicit(a, mp, &out);
                } else {
                        r = rk_error_set(reterr, ENOENT, "missing volume for mountpoint \"%s\"",
                                         mp->name);
                }
        }
        if (r < 0) {
                app_mounts_done(&out);
                return r;
        }
        mounts_sort(&out);
        /* own_volume moved with realloc and the sort: re-point implicit mounts at their copies */
        for (size_t i = 0; i < out.n; i++)
                if (out.items[i].implicit)
                        out.items[i].volume = &out.items[i].own_volume;
        *ret = out;
        return 0;
}

void app_mounts_done(struct app_mounts *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->items[i].target);
                free(m->items[i].docker_source);
                if (m->items[i].implicit)
                        ac_volume_done(&m->items[i].own_volume);
        }
        free(m->items);
        *m = (struct app_mounts){0};
}

char *volume_host_path(const struct stage1_pod *pod, const struct ac_volume *v)
{
        if (strcmp(v->kind, "host") == 0)
                return xstrdup(v->source);
        return xasprintf("%s/sharedVolumes/%s", pod->dir, v->name);
}

static int docker_prefill(const struct stage1_app *a, const struct app_mount *m, const char *dest)
{
        _cleanup_close_ int rootfd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int src = -EBADF;
        _cleanup_close_ int dst = -EBADF;
        struct stat st;

        if (rootfd < 0)
                return -errno;
        src = root_open(rootfd, m->docker_source, O_RDONLY | O_DIRECTORY, 0);
        if (src < 0)
                return 0; /* nothing to copy */
        if (fstat(src, &st) < 0)
                return -errno;
        (void)rmdir(dest);
        int r = copy_tree_at(src, ".", AT_FDCWD, dest);
        if (r < 0)
                return r;
        dst = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0 || fchmod(dst, st.st_mode & 07777) < 0 || fchown(dst, st.st_uid, st.st_gid) < 0)
                return -errno;
        return 0;
}

static int empty_volume_prepare(const struct stage1_pod *pod, const struct stage1_app *a,
                                const struct app_mount *m, struct rk_error **reterr)
{
        _cleanup_free_ char *parent = xasprintf("%s/sharedVolumes", pod->dir);
        _cleanup_free_ char *path = volume_host_path(pod, m->volume);
        unsigned long mode = strtoul(m->volume->mode ? m->volume->mode : "0755", NULL, 8);
        int r;

        /* root-only: what the apps put there (setuid files) is out of group rkt's reach */
        if (mkdir(parent, 0700) < 0 && errno != EEXIST)
                return rk_error_set_errno(reterr, errno, "creating %s", parent);
        if (mkdir(path, 0755) < 0) {
                if (errno == EEXIST)
                        return 0;
                return rk_error_set_errno(reterr, errno, "creating %s", path);
        }
        if (m->docker_source) {
                r = docker_prefill(a, m, path);
                if (r < 0)
                        return rk_error_set_errno(reterr, -r, "copying image data into %s", path);
                if (m->implicit)
                        return 0;
        }
        if (chmod(path, (mode_t)mode) < 0 ||
            chown(path, (uid_t)m->volume->uid, (gid_t)m->volume->gid) < 0)
                return rk_error_set_errno(reterr, errno, "setting up volume %s", path);
        return 0;
}

int volume_prepare(const struct stage1_pod *pod, const struct stage1_app *a,
                   const struct app_mount *m, struct rk_error **reterr)
{
        struct stat st;

        if (strcmp(m->volume->kind, "empty") == 0)
                return empty_volume_prepare(pod, a, m, reterr);
        if (stat(m->volume->source, &st) < 0) {
                rk_error_set_errno(reterr, errno, "Failed to stat %s", m->volume->source);
                return rk_error_exit_status(reterr, 1); /* as rkt's nspawn */
        }
        return 0;
}

int volume_mount(const struct stage1_pod *pod, const char *rootfs, const struct app_mount *m,
                 bool recursive_default, struct rk_error **reterr)
{
        _cleanup_free_ char *src = volume_host_path(pod, m->volume);
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        bool recursive = m->volume->has_recursive ? m->volume->recursive : recursive_default;

        if (rootfd < 0)
                return rk_error_set_errno(reterr, errno, "opening %s", rootfs);
        return mount_bind_in_root(rootfd, src, m->target,
                                  (recursive ? MOUNT_BIND_RECURSIVE : 0) |
                                          (m->read_only ? MOUNT_BIND_READ_ONLY : 0),
                                  reterr);
}
