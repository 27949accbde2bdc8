/* SPDX-License-Identifier: Apache-2.0 */
/* rkt prepare (SPEC.md §3.2): a pod ready for run-prepared; prints its UUID. */
#include "commands.h"
#include "pod-cli.h"
#include "stage0-flags.h"

static int prepare_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(store_freep) struct store *s = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        struct rk_error *err = NULL;
        int r;

        r = cli_become_root(false, NULL);
        if (r == 0)
                r = cli_create_pod(cmd, argc, argv, false, &s, &p);
        if (r != 0)
                return r;
        if (pod_to_prepared(p, &err) < 0)
                return cli_report(err);
        printf("%s\n", p->uuid);
        return 0;
}

const struct command cmd_prepare = {
        .name = "prepare",
        .short_desc = "Prepare to run image(s) in a pod in rkt",
        .usage = "[--volume=name,kind=host,...] [--mount volume=VOL,target=PATH] [--quiet] IMAGE "
                 "[-- image-args...[---]]...",
        .long_desc = "Prepares the pod and returns its UUID for a subsequent call to "
                     "run-prepared.\n"
                     "\n"
                     "Prepare is useful to get the UUID of the pod before running or when "
                     "preparing\n"
                     "takes a long time.\n"
                     "\n"
                     "IMAGE should be a string referencing an image; either a hash, local file "
                     "on\n"
                     "disk, or URL. They will be checked in that order and the first match will "
                     "be\n"
                     "used.\n"
                     "\n"
                     "An \"--\" may be used to inhibit rkt prepare's parsing of subsequent "
                     "arguments,\n"
                     "which will instead be appended to the preceding image app's exec arguments. "
                     "End\n"
                     "the image arguments with a lone \"---\" to resume argument parsing.",
        .flags = prepare_flags,
        .run = prepare_run,
        .no_interspersed = true,
};
