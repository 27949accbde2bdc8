/* SPDX-License-Identifier: Apache-2.0 */
/* Choosing the app of a pod that enter, attach and export act on (SPEC.md §3.10, §3.11,
 * §3.19), and its pid 1. */
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pod-cli.h"
#include "pod-manifest.h"
#include "strv.h"
#include "types.h"

int cli_pod_app(struct pod *p, const char *flag_app, const char *cmd, char **ret)
{
        _cleanup_strv_free_ char **names = NULL;
        struct rk_error *err = NULL;

        if (flag_app && *flag_app && !ac_name_is_valid(flag_app))
                return cli_fail("unable to determine app name: invalid app name \"%s\"", flag_app);
        if (pod_app_names(p, &names, &err) < 0)
                return cli_report(err);
        if (flag_app && *flag_app) {
                if (!strv_contains(names, flag_app)) /* rkt's enter and export differ here */
                        return strcmp(cmd, "enter") == 0
                                       ? cli_fail("no app %s in the pod", flag_app)
                                       : cli_fail("app %s is not present in pod", flag_app);
                *ret = xstrdup(flag_app);
                return 0;
        }
        if (strv_length(names) == 1) {
                *ret = xstrdup(names[0]);
                return 0;
        }
        if (!names || !names[0]) /* a mutable pod (app sandbox) before its first app add */
                return cli_fail("unable to determine app name: pod \"%s\" has no apps", p->uuid);
        fprintf(stderr, "%s: pod contains multiple apps:\n", cmd);
        STRV_FOREACH(n, names)
                fprintf(stderr, "\t%s\n", *n);
        return cli_fail("unable to determine app name: specify app using \"rkt %s --app= ...\"",
                        cmd);
}

int cli_pod_wait_pid(struct pod *p, int *ret)
{
        const struct timespec step = {0, 100 * 1000 * 1000};

        for (;;) {
                if (pod_read_pid(p, ret) >= 0)
                        return 0;
                if (pod_refresh_state(p) < 0 || p->state != POD_STATE_RUNNING)
                        return cli_fail("pod %s is not running anymore", p->uuid);
                nanosleep(&step, NULL);
        }
}
