/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt attach (SPEC.md §3.19; RKT_EXPERIMENT_ATTACH): connects the caller's stdin, stdout and
 * stderr to the tty or streams of an app of a running pod through the stage1 attach
 * entrypoint (a crossing entrypoint, SPEC.md §7.2), or lists the app's endpoints.
 */
#include <string.h>
#include <sys/wait.h>

#include "cli-store.h"
#include "commands.h"
#include "pod-cli.h"
#include "pod-manifest.h"
#include "strv.h"

static char *arg_app;
static char *arg_mode;

static const struct flag attach_flags[] = {
        {"app", FLAG_STRING, &arg_app, .def = "",
         .usage = "name of the app to enter within the specified pod"},
        {"mode", FLAG_STRING, &arg_mode, .def = "auto", .usage = "attach mode"},
        {NULL},
};

enum { EP_TTY_IN, EP_TTY_OUT, EP_STDIN, EP_STDOUT, EP_STDERR, _EP_N };

/* The stage1 arguments of --mode (rkt's createStage1AttachFlags()); -EINVAL with the reason. */
static int mode_args(const char *mode, char ***ret, char **ret_msg)
{
        static const char *const names[_EP_N] = {"tty-in", "tty-out", "stdin", "stdout", "stderr"};
        _cleanup_strv_free_ char **words = NULL;
        bool on[_EP_N] = {0};

        if (strcmp(mode, "list") == 0 || strcmp(mode, "auto") == 0 || !*mode) {
                strv_push(ret,
                          strcmp(mode, "list") == 0 ? "--action=list" : "--action=auto-attach");
                return 0;
        }
        words = strv_split(mode, ',');
        STRV_FOREACH(w, words) {
                bool known = strcmp(*w, "tty") == 0;
                on[EP_TTY_IN] |= known;
                on[EP_TTY_OUT] |= known;
                for (int i = 0; i < _EP_N; i++)
                        if (strcmp(*w, names[i]) == 0)
                                known = on[i] = true;
                if (!known) {
                        *ret_msg = xasprintf("unknown endpoint \"%s\"", *w);
                        return -EINVAL;
                }
        }
        bool tty = on[EP_TTY_IN] || on[EP_TTY_OUT];
        bool streams = on[EP_STDIN] || on[EP_STDOUT] || on[EP_STDERR];
        if (!tty && !streams) {
                *ret_msg = xstrdup("mode must specify at least one endpoint to attach");
                return -EINVAL;
        }
        if (tty && streams) {
                *ret_msg = xasprintf("incompatible endpoints \"%s\", cannot simultaneously attach "
                                     "TTY and streams",
                                     mode);
                return -EINVAL;
        }
        strv_push(ret, "--action=custom-attach");
        for (int i = 0; i < _EP_N; i++)
                strv_consume(ret, xasprintf("--%s=%s", names[i], on[i] ? "true" : "false"));
        return 0;
}

/* Whether the pod manifest gives app an I/O mode with endpoints (stream or tty). */
static int app_attachable(struct pod *p, const char *app, bool *ret)
{
        static const char *const keys[] = {"coreos.com/rkt/stage2/stdin",
                                           "coreos.com/rkt/stage2/stdout",
                                           "coreos.com/rkt/stage2/stderr"};
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        struct rk_error *err = NULL;
        const struct pod_app *a;

        if (pod_read_manifest(p, &m, &err) < 0)
                return cli_report(err);
        a = pod_manifest_find_app(m, app);
        *ret = false;
        for (size_t i = 0; a && i < ELEMENTSOF(keys); i++) {
                const char *v = ac_labels_get(&a->annotations, keys[i]);
                *ret |= v && (strcmp(v, "stream") == 0 || strcmp(v, "tty") == 0);
        }
        return 0;
}

static int attach_pod(struct pod *p)
{
        _cleanup_free_ char *app = NULL, *msg = NULL;
        _cleanup_strv_free_ char **args = NULL;
        struct rk_error *err = NULL;
        bool attachable = false;
        int pid, status = 0, r;

        r = cli_pod_wait_pid(p, &pid);
        if (r != 0)
                return r;
        r = cli_pod_app(p, arg_app, "attach", &app);
        if (r != 0)
                return r;
        if (mode_args(arg_mode ?: "auto", &args, &msg) < 0)
                return cli_fail("invalid attach mode: %s", msg);
        r = app_attachable(p, app, &attachable);
        if (r != 0)
                return r;
        if (!attachable)
                return cli_fail("attach failed: app %s has no attachable I/O (start it with "
                                "--stdin, --stdout or --stderr set to tty or stream)",
                                app);
        strv_consume(&args, xasprintf("--app=%s", app));
        strv_consume(&args, xasprintf("--debug=%s", arg_global.debug ? "true" : "false"));
        r = pod_run_crossing_entrypoint(p, "coreos.com/rkt/stage1/attach", args, pid, true, &status,
                                        &err);
        if (r < 0 && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_RKT_ERROR) {
                rk_error_free(err); /* the entrypoint said why */
                return EXIT_RKT_ERROR;
        }
        if (r < 0) {
                if (err->errnum == ENOENT)
                        rk_error_prefix(&err, "\"coreos.com/rkt/stage1/attach\" not implemented "
                                              "for pod's stage1");
                else
                        rk_error_prefix(&err, "error executing stage1 entrypoint");
                rk_error_prefix(&err, "attach failed");
                return cli_report(err);
        }
        return 0;
}

static int attach_run(const struct command *cmd, int argc, char **argv)
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
        return attach_pod(p);
}

const struct command cmd_attach = {
        .name = "attach",
        .short_desc = "Attach to an app running within a rkt pod",
        .usage = "[--app=APPNAME] [--mode=MODE] UUID",
        .long_desc = "UUID should be the UUID of a running pod.",
        .flags = attach_flags,
        .run = attach_run,
        .experiment = "RKT_EXPERIMENT_ATTACH",
};
