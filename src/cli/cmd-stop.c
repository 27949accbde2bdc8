/* SPDX-License-Identifier: Apache-2.0 */
/* rkt stop (SPEC.md §3.7): runs the stage1 stop entrypoint of each running pod. */
#include <stdlib.h>

#include "cli-store.h"
#include "commands.h"
#include "pod-cli.h"
#include "strv.h"

static bool arg_force;
static char *arg_uuid_file;

static const struct flag stop_flags[] = {
        {"force", FLAG_BOOL, &arg_force, .def = "false", .usage = "forced stopping"},
        {"uuid-file", FLAG_STRING, &arg_uuid_file, .def = "",
         .usage = "read pod UUID from file instead of argument", .quote_default = true},
        {NULL},
};

/* Stops one pod; returns whether it counts as an error. */
static bool stop_one(const char *dir, const char *arg)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct rk_error *err = NULL;

        if (cli_pod_open(dir, arg, "cannot get pod", &p) != 0)
                return true;
        if (pod_is_after_run(p)) {
                printf("pod \"%s\" is already stopped\n", p->uuid);
                return false;
        }
        if (p->state != POD_STATE_RUNNING) {
                cli_fail("pod \"%s\" is not running", p->uuid);
                return true;
        }
        if (pod_stop(p, arg_force, &err) < 0) {
                cli_fail("error stopping \"%s\": %s", p->uuid, rk_error_cause(err));
                rk_error_free(err);
                return true;
        }
        printf("\"%s\"\n", p->uuid);
        return false;
}

static int stop_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_strv_free_ char **uuids = NULL;
        const char *dir;
        size_t errors = 0;
        int r;

        r = cli_pod_uuid_args(cmd, argc, argv, arg_uuid_file, &uuids);
        if (r != 0)
                return r;
        dir = cli_data_dir();
        if (!dir)
                return EXIT_RKT_ERROR;
        STRV_FOREACH(u, uuids)
                errors += stop_one(dir, *u);
        if (errors > 0)
                return cli_fail("failed to stop %zu pod(s)", errors);
        return 0;
}

const struct command cmd_stop = {
        .name = "stop",
        .short_desc = "Stop a pod",
        .usage = "--uuid-file=FILE | UUID ...",
        .flags = stop_flags,
        .run = stop_run,
};
