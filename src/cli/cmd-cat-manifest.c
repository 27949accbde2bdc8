/* SPDX-License-Identifier: Apache-2.0 */
/* rkt cat-manifest (SPEC.md §3.12): a pod's manifest, re-marshalled. */
#include <stdlib.h>

#include "cli-store.h"
#include "commands.h"
#include "pod-cli.h"
#include "pod-manifest.h"

static bool arg_pretty = true;
static char *arg_uuid_file;

static const struct flag cat_flags[] = {
        {"pretty-print", FLAG_BOOL, &arg_pretty, .def = "true",
         .usage = "apply indent to format the output"},
        {"uuid-file", FLAG_STRING, &arg_uuid_file, .def = "",
         .usage = "read pod UUID from file instead of argument", .quote_default = true},
        {NULL},
};

static int cat_manifest_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        _cleanup_(pod_freep) struct pod *p = NULL;
        _cleanup_free_ char *uuid = NULL, *json = NULL;
        struct rk_error *err = NULL;
        const char *dir;

        if (arg_uuid_file && *arg_uuid_file) {
                if (cli_read_uuid_file(arg_uuid_file, &uuid, &err) < 0)
                        return cli_report(err);
        } else if (argc != 1)
                return cli_usage(cmd);
        else
                uuid = xstrdup(argv[0]);
        dir = cli_data_dir();
        if (!dir)
                return EXIT_RKT_ERROR;
        if (cli_pod_open(dir, uuid, "problem retrieving pod", &p) != 0)
                return EXIT_RKT_ERROR;
        if (pod_read_manifest(p, &m, &err) < 0) {
                rk_error_free(err); /* rkt exits without a message here */
                return EXIT_RKT_ERROR;
        }
        json = pod_manifest_to_json(m, arg_pretty);
        printf("%s\n", json);
        return 0;
}

const struct command cmd_cat_manifest = {
        .name = "cat-manifest",
        .short_desc = "Inspect and print the pod manifest",
        .usage = "--uuid-file=FILE | UUID ...",
        .long_desc = "UUID should be the UUID of a pod",
        .flags = cat_flags,
        .run = cat_manifest_run,
};
