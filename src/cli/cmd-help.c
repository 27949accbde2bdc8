/* SPDX-License-Identifier: Apache-2.0 */
/* rkt help [command...]: prints the help of a command. */
#include "commands.h"

static int help_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_free_ char *path = NULL;
        const struct command *c = cli_find_command(argv, &path);

        if (!c) {
                printf("Unknown help topic %s\n", argc > 0 ? argv[0] : "");
                cli_print_help(&cmd_root, "rkt");
                return 0;
        }
        cli_print_help(c, path);
        return 0;
}

const struct command cmd_help = {
        .name = "help",
        .short_desc = "Help about any command",
        .usage = "[command]",
        .long_desc = "Help provides help for any command in the application.\n"
                     "\tSimply type rkt help [path to command] for full details.",
        .run = help_run,
};
