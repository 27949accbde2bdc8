/* SPDX-License-Identifier: Apache-2.0 */
/* Help text in rkt's usage template: NAME, USAGE, VERSION, COMMANDS, DESCRIPTION, OPTIONS. */
#include <string.h>

#include "cli.h"
#include "strbuf.h"
#include "strv.h"

static void flag_label(const struct flag *f, struct strbuf *sb)
{
        const char *def = f->def ? f->def : "";

        strbuf_printf(sb, "--%s", f->name);
        if (f->type == FLAG_BOOL)
                strbuf_printf(sb, "[=%s]", def);
        else if (f->no_opt_default)
                strbuf_printf(sb, "[=%s]", def);
        else if (f->quote_default || f->type == FLAG_STRING)
                strbuf_printf(sb, "=\"%s\"", def);
        else
                strbuf_printf(sb, "=%s", def);
}

static size_t flags_label_width(const struct flag *flags)
{
        size_t w = 0;

        for (const struct flag *f = flags; f && f->name; f++) {
                struct strbuf sb = STRBUF_INIT;

                if (f->hidden || f->deprecated)
                        continue;
                flag_label(f, &sb);
                w = MAX(w, sb.len);
                strbuf_release(&sb);
        }
        return w;
}

static void print_flags(const char *title, const struct flag *flags)
{
        size_t width = flags_label_width(flags);

        if (width == 0)
                return;
        printf("\n%s:\n", title);
        for (const struct flag *f = flags; f && f->name; f++) {
                struct strbuf sb = STRBUF_INIT;

                if (f->hidden || f->deprecated)
                        continue;
                flag_label(f, &sb);
                printf("      %-*s   %s\n", (int)width, sb.buf, f->usage ? f->usage : "");
                strbuf_release(&sb);
        }
}

/* Collects "parent child" names of every visible descendant. */
static void collect_commands(const struct command *cmd, const char *prefix, char ***names,
                             char ***descs)
{
        for (size_t i = 0; cmd->children && cmd->children[i]; i++) {
                const struct command *c = cmd->children[i];
                _cleanup_free_ char *name = NULL;

                if (c->hidden)
                        continue;
                name = *prefix ? xasprintf("%s %s", prefix, c->name) : xstrdup(c->name);
                if (c->run || !c->children) {
                        strv_push(names, name);
                        strv_push(descs, c->short_desc);
                }
                collect_commands(c, name, names, descs);
        }
}

static void print_commands(const struct command *cmd)
{
        _cleanup_strv_free_ char **names = NULL, **descs = NULL;
        size_t width = 0;

        collect_commands(cmd, "", &names, &descs);
        if (!names)
                return;
        STRV_FOREACH(n, names)
                width = MAX(width, strlen(*n));
        printf("\nCOMMANDS:\n");
        for (size_t i = 0; names[i]; i++)
                printf("\t%-*s\t%s\n", (int)width, names[i], descs[i]);
}

void cli_print_help(const struct command *cmd, const char *path)
{
        printf("NAME:\n\t%s - %s\n", path, cmd->short_desc);
        printf("\nUSAGE:\n\t%s%s%s\n", path, cmd->usage ? " " : "", cmd->usage ? cmd->usage : "");
        if (cmd == &cmd_root)
                printf("\nVERSION:\n\t%s\n", RKT_VERSION);
        print_commands(cmd);
        printf("\nDESCRIPTION:\n\t%s\n", cmd->long_desc ? cmd->long_desc : cmd->short_desc);
        print_flags("OPTIONS", cmd == &cmd_root ? global_flags : cmd->flags);
        if (cmd != &cmd_root)
                print_flags("GLOBAL OPTIONS", global_flags);
        fflush(stdout);
}
