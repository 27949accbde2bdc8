/* SPDX-License-Identifier: Apache-2.0 */
/* rkt metadata-service (SPEC.md §3.18, §9.1): runs the metadata service in the foreground. */
#include <string.h>

#include "commands.h"
#include "mds.h"
#include "parse-util.h"

static unsigned arg_listen_port = MDS_DEFAULT_PORT;

static int parse_port(const char *arg, void *value, char **ret_msg)
{
        uint64_t v;

        if (safe_atou64(arg, &v) < 0 || v == 0 || v > 65535) {
                *ret_msg = xasprintf("invalid argument \"%s\" for \"--listen-port\" flag: not a "
                                     "port number",
                                     arg);
                return -EINVAL;
        }
        arg_listen_port = (unsigned)v;
        return 0;
}

static const struct flag metadata_service_flags[] = {
        {"listen-port", FLAG_FUNC, NULL, parse_port, "18112", "listen port"},
        {NULL},
};

static int metadata_service_run(const struct command *cmd, int argc, char **argv)
{
        struct mds_options o = {arg_listen_port, MDS_REG_SOCKET};
        struct rk_error *err = NULL;

        if (argc > 0)
                return cli_usage(cmd);
        fprintf(stderr, "metadata service starting...\n");
        if (mds_serve(&o, &err) < 0)
                return cli_report(err);
        fprintf(stderr, "metadata service exiting...\n");
        return 0;
}

const struct command cmd_metadata_service = {
        .name = "metadata-service",
        .short_desc = "Run metadata service",
        .usage = "[--listen-port=PORT]",
        .long_desc = "Provides a means for running apps to introspect their execution\n"
                     "environment and assert their identity.",
        .flags = metadata_service_flags,
        .run = metadata_service_run,
};
