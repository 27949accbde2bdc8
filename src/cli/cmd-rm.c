/* SPDX-License-Identifier: Apache-2.0 */
/* rkt rm (SPEC.md §3.9): removes the given pods unless they are running or being prepared or
 * deleted. Requires root. */
#include <stdlib.h>

#include "cli-store.h"
#include "commands.h"
#include "log.h"
#include "pod-cli.h"
#include "strv.h"

static char *arg_uuid_file;

static const struct flag rm_flags[] = {
        {"uuid-file", FLAG_STRING, &arg_uuid_file, .def = "",
         .usage = "read pod UUID from file instead of argument", .quote_default = true},
        {NULL},
};

/* Moves p to its garbage directory as gc would; false (reported) on failure. */
static bool rm_mark(struct pod *p)
{
        struct rk_error *err = NULL;

        switch (p->state) {
        case POD_STATE_RUNNING:
                return cli_fail("pod \"%s\" is currently running", p->uuid), false;
        case POD_STATE_EMBRYO:
        case POD_STATE_PREPARING:
                return cli_fail("pod \"%s\" is currently being prepared", p->uuid), false;
        case POD_STATE_DELETING:
                return cli_fail("pod \"%s\" is currently being deleted", p->uuid), false;
        case POD_STATE_ABORTED_PREPARE:
                log_error("moving failed prepare \"%s\" to garbage", p->uuid);
                break;
        case POD_STATE_PREPARED:
                log_error("moving expired prepared pod \"%s\" to garbage", p->uuid);
                break;
        case POD_STATE_EXITED:
                break;
        default: /* exited garbage, exited deleting, garbage: as they are */
                return true;
        }
        if (pod_to_garbage(p, &err) < 0 && err->errnum != ENOENT) {
                rk_error_wrap(&err, "rename error");
                cli_report(err);
                return false;
        }
        rk_error_free(err);
        return true;
}

static bool rm_one(const char *dir, const char *arg)
{
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct rk_error *err = NULL;
        int r;

        if (cli_pod_open(dir, arg, "cannot get pod", &p) != 0)
                return false;
        if (!rm_mark(p))
                return false;
        r = pod_lock_for_delete(p, &err);
        if (r < 0) {
                rk_error_wrap(&err, "unable to acquire exclusive lock");
                cli_report(err);
                return false;
        }
        if (r > 0 && cli_pod_delete(p, &err) < 0) {
                cli_report(err);
                return false;
        }
        printf("\"%s\"\n", p->uuid);
        return true;
}

static int rm_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_strv_free_ char **uuids = NULL;
        const char *dir;
        bool ok = true;
        int r;

        if (cli_become_root(false, NULL) != 0)
                return EXIT_RKT_ERROR;
        r = cli_pod_uuid_args(cmd, argc, argv, arg_uuid_file, &uuids);
        if (r == 1)
                return cli_fail("failed to remove one or more pods");
        if (r != 0)
                return r;
        dir = cli_data_dir();
        if (!dir)
                return EXIT_RKT_ERROR;
        STRV_FOREACH(u, uuids)
                ok = rm_one(dir, *u) && ok;
        if (!ok)
                return cli_fail("failed to remove one or more pods");
        return 0;
}

const struct command cmd_rm = {
        .name = "rm",
        .short_desc = "Remove all files and resources associated with an exited pod",
        .usage = "--uuid-file=FILE | UUID ...",
        .long_desc = "Unlike gc, rm allows users to remove specific pods.",
        .flags = rm_flags,
        .run = rm_run,
};
