/* SPDX-License-Identifier: Apache-2.0 */
/* rkt config (SPEC.md §3.13): the merged configuration as JSON. */
#include "cli-store.h"
#include "commands.h"
#include "json-util.h"

static bool arg_pretty = true;

static const struct flag config_flags[] = {
        {"pretty-print", FLAG_BOOL, &arg_pretty, .def = "true",
         .usage = "apply indent to format the output"},
        {NULL},
};

static int config_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_(json_decrefp) json_t *v = NULL;
        _cleanup_free_ char *text = NULL;
        const struct config *c = cli_config();

        if (!c)
                return EXIT_RKT_ERROR;
        v = config_to_json(c);
        text = json_dump_go(v, arg_pretty);
        printf("%s\n", text);
        return 0;
}

const struct command cmd_config = {
        .name = "config",
        .short_desc = "Print configuration for each stage in JSON format",
        .long_desc = "The output will be parsable JSON with \"stage0\" and stage1\" as keys and "
                     "rkt configuration entries as values.\n"
                     "The generated configuration entries resemble the original rkt configuration "
                     "format.",
        .flags = config_flags,
        .run = config_run,
};
