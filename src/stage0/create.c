/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a request to a prepared pod directory (SPEC.md §3.1, §3.2, §6.5): the stage1, every
 * app image and its manifest, the pod manifest, then the pod itself under the prepare lock.
 * Runs in: the rkt command (run, prepare; app sandbox and add later), as root.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "image-fetch.h"
#include "image-manifest.h"
#include "log.h"
#include "pod-manifest.h"
#include "root-path.h"
#include "stage0.h"
#include "strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The PATH the app will have: from --environment, --set-env or the image, else rkt's. */
static const char *app_path(const struct stage0_pod_request *rq, const struct stage0_app *a)
{
        const char *v = ac_labels_get(&a->spec->environment, "PATH");

        STRV_FOREACH(kv, rq->settings.set_env)
                if (!v && strncmp(*kv, "PATH=", 5) == 0)
                        v = *kv + 5;
        if (!v && a->manifest->app)
                v = ac_labels_get(&a->manifest->app->environment, "PATH");
        return v ? v : DEFAULT_PATH;
}

/*
 * A bare --exec name is looked up in the app's PATH inside the rendered image (SPEC.md §7.3),
 * resolved inside its root (the image's symlinks never lead to the host's files), so the pod
 * manifest holds an absolute path.
 */
static int resolve_exec(struct store *s, const struct stage0_pod_request *rq, struct stage0_app *a,
                        struct rk_error **reterr)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_strv_free_ char **dirs = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *path = app_path(rq, a);
        int r;

        if (!a->spec->exec || a->spec->exec[0] == '/' || strchr(a->spec->exec, '/'))
                return 0;
        r = store_render(s, a->key, &id, reterr);
        if (r >= 0)
                r = store_tree_open_rootfs(s, id, &fd, reterr);
        if (r < 0)
                return r;
        dirs = strv_split(path, ':');
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *rel = xasprintf("%s/%s", *d + strspn(*d, "/"), a->spec->exec);
                _cleanup_close_ int found = -EBADF;

                if (**d != '/' || (found = root_open(fd, rel, O_PATH, 0)) < 0)
                        continue;
                free(a->spec->exec);
                a->spec->exec = xasprintf("/%s", rel);
                return 0;
        }
        return rk_error_set(reterr, ENOENT, "--exec \"%s\" not found in the app's PATH (%s)",
                            a->spec->exec, path);
}

/* Fetches (or finds) every app image and reads its manifest. */
static int find_images(struct store *s, const struct stage0_context *ctx,
                       const struct stage0_pod_request *rq, struct stage0_app **ret,
                       struct rk_error **reterr)
{
        const struct app_list *l = rq->apps;
        struct stage0_app *apps = xnew0(struct stage0_app, l->n);
        int r = 0;

        for (size_t i = 0; r >= 0 && i < l->n; i++) {
                apps[i].spec = &l->apps[i];
                r = image_fetch(s, ctx, apps[i].spec->image, apps[i].spec->signature,
                                rq->settings.pull_policy, IMAGE_FETCH_WITH_DEPS, &apps[i].key,
                                reterr);
                if (r >= 0)
                        r = store_read_manifest(s, apps[i].key, &apps[i].manifest, reterr);
                if (r >= 0)
                        r = resolve_exec(s, rq, &apps[i], reterr);
        }
        if (r < 0) {
                stage0_apps_free(apps, l->n);
                return r;
        }
        *ret = apps;
        return 0;
}

/*
 * --pod-manifest: the user's manifest, parsed (and later written as the schema writes it);
 * its images must be in the store.
 */
static int user_pod_manifest(struct store *s, const char *path, struct stage0_app **ret_apps,
                             size_t *ret_n, struct pod_manifest **ret, struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_free_ char *raw = NULL;
        struct stage0_app *apps;
        size_t len;
        int r = read_file_at(AT_FDCWD, path, 16 << 20, &raw, &len);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot read %s", path);
        r = pod_manifest_parse(raw, len, &m, reterr);
        if (r < 0)
                return r;
        if (m->n_apps == 0)
                return rk_error_set(reterr, EINVAL, "pod must contain at least one application");
        apps = xnew0(struct stage0_app, m->n_apps);
        for (size_t i = 0; r >= 0 && i < m->n_apps; i++) {
                apps[i].name = xstrdup(m->apps[i].name);
                r = store_resolve_key(s, m->apps[i].image_id, &apps[i].key, reterr);
                if (r >= 0)
                        r = store_read_manifest(s, apps[i].key, &apps[i].manifest, reterr);
                if (r >= 0 && !m->apps[i].app && !apps[i].manifest->app)
                        r = rk_error_set(reterr, EINVAL,
                                         "no app section in the pod manifest or "
                                         "the image manifest");
        }
        if (r < 0) {
                stage0_apps_free(apps, m->n_apps);
                return r;
        }
        *ret_apps = apps;
        *ret_n = m->n_apps;
        *ret = TAKE_PTR(m);
        return 0;
}

/* Stage1, images and the pod manifest: everything that can fail before the pod exists. */
static int gather(struct store *s, const struct stage0_context *ctx,
                  const struct stage0_pod_request *rq, char **ret_stage1,
                  struct stage0_app **ret_apps, size_t *ret_n, struct pod_manifest **ret_manifest,
                  struct rk_error **reterr)
{
        int r;

        r = stage1_select(s, ctx, rq->stage1, ret_stage1, reterr);
        if (r < 0)
                return r;
        if (rq->pod_manifest)
                return user_pod_manifest(s, rq->pod_manifest, ret_apps, ret_n, ret_manifest,
                                         reterr);
        r = find_images(s, ctx, rq, ret_apps, reterr);
        if (r < 0)
                return r;
        *ret_n = rq->apps->n;
        r = stage0_pod_manifest(*ret_apps, *ret_n, rq->apps, &rq->settings, ret_manifest, reterr);
        if (r < 0) {
                stage0_apps_free(*ret_apps, *ret_n);
                *ret_apps = NULL;
        }
        return r;
}

static int save_uuid(const struct pod *p, const char *file, struct rk_error **reterr)
{
        int r;

        if (!file || !*file)
                return 0;
        r = write_file_atomic_at(AT_FDCWD, file, p->uuid, strlen(p->uuid), 0644);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write the UUID to %s", file);
        return 0;
}

int stage0_create_pod(struct store *s, const struct stage0_context *ctx,
                      const struct stage0_pod_request *rq, struct pod **ret,
                      struct rk_error **reterr)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_free_ char *stage1 = NULL, *why = NULL;
        _cleanup_close_ int lock = -EBADF;
        struct stage0_app *apps = NULL;
        _cleanup_(pod_manifest_freep) struct pod_manifest *manifest = NULL;
        struct userns_range userns = {0};
        size_t n = 0;
        bool overlay;
        int r;

        r = gather(s, ctx, rq, &stage1, &apps, &n, &manifest, reterr);
        if (r < 0)
                return r;
        if (rq->private_users && (r = pod_userns_check_free(s->dir, reterr)) < 0) {
                stage0_apps_free(apps, n);
                return r;
        }
        overlay = !rq->no_overlay && stage0_overlay_supported(s->dir, &why);
        if (!rq->no_overlay && !overlay)
                log_warning("disabling overlay support: \"%s\"", why);
        r = pod_create(s->dir, &p, reterr);
        if (r >= 0)
                r = save_uuid(p, rq->uuid_file_save, reterr);
        if (r >= 0 && rq->private_users)
                r = pod_userns_allocate(p, &userns, reterr);
        if (r >= 0)
                r = store_lock_prepare(s, false, &lock, reterr);
        if (r >= 0)
                r = stage0_prepare(s, p, stage1, apps, n, manifest, overlay,
                                   rq->private_users ? &userns : NULL, reterr);
        stage0_apps_free(apps, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}
