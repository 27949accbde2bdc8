/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt help [command...]: the help page of a command, found as cobra's help command finds it.
 * An unknown command at the top gets cobra's "Unknown help topic" (on stderr, without a
 * newline) and the main page; the exit status stays 0, as in rkt.
 */
#include <string.h>

#include "commands.h"
#include "format-util.h"
#include "strbuf.h"

static int help_run(const struct command *cmd, int argc, char **argv)
{
        _cleanup_free_ char *path = NULL;
        const struct command *c = cli_find_command(argv, &path);

        if (!c) {
                struct strbuf sb = STRBUF_INIT;

                /* Go's %#q of the []string of arguments */
                for (int i = 0; i < argc; i++) {
                        _cleanup_free_ char *q = format_go_backquote(argv[i]);

                        strbuf_printf(&sb, "%s%s", i > 0 ? " " : "", q);
                }
                fprintf(stderr, "Unknown help topic [%s].", strbuf_str(&sb));
                strbuf_release(&sb);
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
                     "    Simply type rkt help [path to command] for full details.",
        .run = help_run,
};
