/* SPDX-License-Identifier: Apache-2.0 */
/* The pod manifest of a pod and the names of its apps (see pod.h). Runs in: stage0. */
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
        if (m->n_apps == 0)
                return rk_error_set(reterr, EINVAL, "pod must contain at least one application");
        for (size_t i = 0; i < m->n_apps; i++)
                strv_push(&names, m->apps[i].name);
        *ret = names;
        return 0;
}
