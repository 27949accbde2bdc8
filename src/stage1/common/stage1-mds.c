/* SPDX-License-Identifier: Apache-2.0 */
/* The metadata service URL of a pod's apps. Runs in: stage1 run entrypoint, host side. */
#include "stage1-mds.h"

#include <string.h>

#include "strv.h"

const char *stage1_mds_host_ip(const struct stage1_args *a, const char *net_host_ip)
{
        if (stage1_args_net_has(a, "host"))
                return "127.0.0.1";
        return net_host_ip;
}

char *stage1_mds_url(const struct stage1_args *a, const char *ip)
{
        if (!a->mds_token || !*a->mds_token || !ip)
                return NULL;
        return xasprintf("http://%s:%d/%s", ip, STAGE1_MDS_PORT, a->mds_token);
}

int stage1_mds_env(const struct stage1_args *a, const char *ip, char ***env,
                   struct rk_error **reterr)
{
        char **out = NULL;

        if (!a->mds_token || !*a->mds_token)
                return 0;
        if (!ip)
                return rk_error_set(reterr, ENETUNREACH,
                                    "the metadata service is not reachable from network \"%s\"",
                                    a->net);
        STRV_FOREACH(e, *env)
                if (strncmp(*e, "AC_METADATA_URL=", 16) != 0)
                        strv_push(&out, *e);
        _cleanup_free_ char *url = stage1_mds_url(a, ip);
        strv_consume(&out, xasprintf("AC_METADATA_URL=%s", url));
        strv_free(*env);
        *env = out;
        return 0;
}
