/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt enter (SPEC.md §3.10): runs a command inside an app of a running pod through the
 * stage1 enter entrypoint (taken from the tree store copy of the pod's stage1).
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-store.h"
#include "commands.h"
#include "fs-util.h"
#include "log.h"
#include "pod-cli.h"
#include "stage0-flags.h"
#include "strv.h"
#include "types.h"

static char *arg_app;

static const struct flag enter_flags[] = {
        {"app", FLAG_STRING, &arg_app, .def = "",
         .usage = "name of the app to enter within the "
                  "specified pod"},
        {NULL},
};

/*
 * The enter entrypoint as a sealed copy of the tree store's file: its process joins the
 * pod, where an app could otherwise rewrite the file every later `rkt enter` runs through
 * /proc/<pid>/exe. *ret_path is what messages and argv[0] name.
 */
static int enter_entrypoint(struct pod *p, int *ret_fd, char **ret_path)
{
        _cleanup_free_ char *ep = NULL;
        struct rk_error *err = NULL;

        if (pod_stage1_entrypoint(p, "coreos.com/rkt/stage1/enter", &ep, &err) < 0) {
                if (err->errnum == ENOENT)
                        rk_error_prefix(&err, "rkt enter not implemented for pod's stage1");
                return cli_report(err);
        }
        if (pod_stage1_open_sealed_entrypoint(p, ep, ret_fd, &err) < 0)
                return cli_report(err);
        *ret_path = xasprintf("%s/stage1/rootfs%s", p->path, ep);
        return 0;
}

static int enter_exec(struct pod *p, int argc, char **argv)
{
        _cleanup_free_ char *app = NULL, *entry = NULL;
        _cleanup_strv_free_ char **cmd = NULL;
        _cleanup_close_ int fd = -EBADF;
        int pid, r;

        r = cli_pod_app(p, arg_app, "enter", &app);
        if (r == 0)
                r = cli_pod_wait_pid(p, &pid);
        if (r == 0)
                r = enter_entrypoint(p, &fd, &entry);
        if (r != 0)
                return r;
        strv_push(&cmd, entry);
        strv_consume(&cmd, xasprintf("--pid=%d", pid));
        strv_consume(&cmd, xasprintf("--appname=%s", app));
        strv_push(&cmd, "--");
        if (argc == 0)
                log_warning("no command specified, assuming \"/bin/bash\"");
        for (int i = 0; i < argc; i++)
                strv_push(&cmd, argv[i]);
        if (argc == 0)
                strv_push(&cmd, "/bin/bash");
        if (chdir(p->path) < 0)
                return cli_fail("cannot enter %s: %m", p->path);
        fflush(NULL);
        fexecve(fd, cmd, environ);
        return cli_fail("cannot execute %s: %m", entry);
}

static int enter_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        int r;

        r = cli_require_root();
        if (r != 0)
                return r;
        if (argc < 1)
                return cli_usage(cmd);
        if (!cli_data_dir() || cli_open_store(&s) < 0)
                return EXIT_RKT_ERROR;
        if (cli_pod_open(s->dir, argv[0], "problem retrieving pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (p->state != POD_STATE_RUNNING)
                return cli_fail("pod \"%s\" isn't currently running", p->uuid);
        return enter_exec(p, argc - 1, argv + 1);
}

const struct command cmd_enter = {
        .name = "enter",
        .short_desc = "Enter the namespaces of an app within a rkt pod",
        .usage = "[--app=APPNAME] UUID [CMD [ARGS ...]]",
        .long_desc = "UUID should be the UUID of a running pod.\n"
                     "\n"
                     "By default the CMD that is run is /bin/bash, providing the user with shell\n"
                     "access to the running pod.",
        .flags = enter_flags,
        .run = enter_run,
        .no_interspersed = true,
};
