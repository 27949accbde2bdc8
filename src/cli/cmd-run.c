/* SPDX-License-Identifier: Apache-2.0 */
/* rkt run (SPEC.md §3.1): prepare a pod from images and exec its stage1. */
#include "cli-store.h"
#include "commands.h"
#include "log.h"
#include "pod-cli.h"
#include "stage0-flags.h"

static int run_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct stage1_run_args a = {0};
        struct rk_error *err = NULL;
        int r;

        r = cli_become_root(true, arg_stage0.net);
        if (r == 0)
                r = cli_create_pod(cmd, argc, argv, true, &s, &p);
        if (r != 0)
                return r;
        if (pod_to_run(p, &err) < 0)
                return cli_report(err);
        a = (struct stage1_run_args){
                arg_stage0.net, arg_stage0.interactive, arg_stage0.hostname, arg_stage0.ipc, true,
                &arg_dns};
        a.mds_register = arg_stage0.mds_register;
        if (a.hostname && !*a.hostname)
                a.hostname = NULL;
        stage0_run(s, cli_stage0_context(), p, &a, &err);
        rk_error_prefix(&err, "stage0");
        log_set_prefix(NULL);
        return cli_report(err);
}

const struct command cmd_run = {
        .name = "run",
        .short_desc = "Run image(s) in a pod in rkt",
        .usage = "[--volume=name,kind=host,...] [--mount volume=VOL,target=PATH] IMAGE "
                 "[-- image-args...[---]]...",
        .long_desc = "IMAGE should be a string referencing an image; either a hash, local file "
                     "on\n"
                     "disk, or URL. They will be checked in that order and the first match will "
                     "be\n"
                     "used.\n"
                     "\n"
                     "Volumes are made available to the container via --volume. Mounts bind "
                     "volumes\n"
                     "into each image's root within the container via --mount. --mount is\n"
                     "position-sensitive; occurring before any images applies to all images, "
                     "occurring\n"
                     "after any images applies only to the nearest preceding image. Per-app "
                     "mounts\n"
                     "take precedence over global ones if they have the same path.\n"
                     "\n"
                     "An \"--\" may be used to inhibit rkt run's parsing of subsequent arguments, "
                     "which\n"
                     "will instead be appended to the preceding image app's exec arguments. End "
                     "the\n"
                     "image arguments with a lone \"---\" to resume argument parsing.",
        .flags = run_flags,
        .run = run_run,
        .no_interspersed = true,
};
