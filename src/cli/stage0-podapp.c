/* SPDX-License-Identifier: Apache-2.0 */
/* Choosing the app of a pod that enter and export act on (SPEC.md §3.10, §3.11). */
#include <jansson.h>

#include "cli.h"
#include "stage0.h"
#include "strv.h"
#include "types.h"

static int pod_app_names(struct pod *p, char ***ret)
{
        _cleanup_free_ char *raw = NULL;
        struct rk_error *err = NULL;
        json_t *m, *a;
        size_t len, i;

        if (pod_read_manifest_raw(p, &raw, &len, &err) < 0)
                return cli_report(err);
        m = json_loadb(raw, len, 0, NULL);
        json_array_foreach(json_object_get(m, "apps"), i, a)
        {
                const char *n = json_string_value(json_object_get(a, "name"));
                if (n)
                        strv_push(ret, n);
        }
        json_decref(m);
        return 0;
}

int stage0_pod_app(struct pod *p, const char *flag_app, const char *cmd, char **ret)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (flag_app && *flag_app && !ac_name_is_valid(flag_app))
                return cli_fail("unable to determine app name: invalid app name \"%s\"", flag_app);
        r = pod_app_names(p, &names);
        if (r != 0)
                return r;
        if (flag_app && *flag_app) {
                if (!strv_contains(names, flag_app))
                        return cli_fail("app %s is not present in pod", flag_app);
                *ret = xstrdup(flag_app);
                return 0;
        }
        if (strv_length(names) == 1) {
                *ret = xstrdup(names[0]);
                return 0;
        }
        fprintf(stderr, "%s: pod contains multiple apps:\n", cmd);
        STRV_FOREACH(n, names)
                fprintf(stderr, "\t%s\n", *n);
        return cli_fail("unable to determine app name: specify app using \"rkt %s --app= ...\"",
                        cmd);
}
