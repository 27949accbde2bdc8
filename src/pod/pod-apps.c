/* SPDX-License-Identifier: Apache-2.0 */
/* The pod manifest of a pod, the names of its apps and their image manifests (see pod.h).
 * Runs in: stage0. */
#include <string.h>

#include "fs-util.h"
#include "image-manifest.h"
#include "pod-manifest.h"
#include "pod.h"
#include "strv.h"

int pod_read_manifest(const struct pod *p, struct pod_manifest **ret, struct rk_error **reterr)
{
        _cleanup_free_ char *raw = NULL;
        size_t len;
        int r;

        r = pod_read_manifest_raw(p, &raw, &len, reterr);
        if (r < 0)
                return r;
        r = pod_manifest_parse(raw, len, ret, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid pod manifest");
        return 0;
}

int pod_app_names(const struct pod *p, char ***ret, struct rk_error **reterr)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        char **names = NULL;
        int r = pod_read_manifest(p, &m, reterr);

        if (r < 0)
                return r;
        const char *mutable_pod = ac_labels_get(&m->annotations, "coreos.com/rkt/stage1/mutable");
        if (m->n_apps == 0 && !(mutable_pod && strcmp(mutable_pod, "true") == 0))
                return rk_error_set(reterr, EINVAL, "pod must contain at least one application");
        names = xnew0(char *, 1); /* a mutable pod may have none */
        for (size_t i = 0; i < m->n_apps; i++)
                strv_push(&names, m->apps[i].name);
        *ret = names;
        return 0;
}

int pod_read_app_image_manifest(const struct pod *p, const char *app, struct image_manifest **ret,
                                struct rk_error **reterr)
{
        _cleanup_free_ char *raw = NULL, *path = NULL;
        size_t len;
        int r;

        if (!*app || strchr(app, '/') || strcmp(app, ".") == 0 || strcmp(app, "..") == 0)
                return rk_error_set(reterr, ENOENT, "no image manifest for app \"%s\"", app);
        path = xasprintf("appsinfo/%s/manifest", app);
        r = read_file_at(p->fd, path, 16 << 20, &raw, &len);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading the image manifest of app %s", app);
        r = image_manifest_parse(raw, len, ret, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "invalid image manifest of app %s", app);
        return 0;
}
