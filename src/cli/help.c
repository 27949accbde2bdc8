/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Help pages in rkt's cobra usage template: NAME, USAGE, VERSION (root only), COMMANDS (every
 * visible runnable descendant), DESCRIPTION (commands with a long description), OPTIONS (the
 * command's own flags), GLOBAL OPTIONS (the inherited ones) and a final blank line. The page
 * is laid out as rkt does, by Go's tabwriter (table.h), and flags come in pflag's sorted order.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format-util.h"
#include "strbuf.h"
#include "strv.h"
#include "table.h"

/*
 * "      --name=default\tusage", "--name[=default]" for flags that may be given bare. As pflag
 * shows rkt's flags: a string flag's default quoted, nothing for a list flag.
 */
static void put_flag(struct strbuf *sb, const struct flag *f)
{
        bool optional = f->type == FLAG_BOOL || f->no_opt_default;
        bool list = f->type == FLAG_STRV || f->type == FLAG_STRV_COMMA;
        const char *def = f->def && !list ? f->def : "";

        strbuf_printf(sb, "      --%s%s=", f->name, optional ? "[" : "");
        if (f->type == FLAG_STRING || f->quote_default) {
                _cleanup_free_ char *q = format_go_quote(def);
                strbuf_puts(sb, q);
        } else
                strbuf_puts(sb, def);
        strbuf_printf(sb, "%s\t%s\n", optional ? "]" : "", f->usage ? f->usage : "");
}

static int flag_compare(const void *a, const void *b)
{
        return strcmp((*(const struct flag *const *)a)->name,
                      (*(const struct flag *const *)b)->name);
}

size_t cli_visible_flags(const struct flag *flags, const struct flag ***ret)
{
        const struct flag **v = NULL;
        size_t n = 0;

        for (const struct flag *f = flags; f && f->name; f++)
                if (!f->hidden && !f->deprecated) {
                        v = oom_check(realloc(v, (n + 1) * sizeof(*v)));
                        v[n++] = f;
                }
        if (n > 0)
                qsort(v, n, sizeof(*v), flag_compare);
        *ret = v;
        return n;
}

/* Adds "\n<title>:\n" and the visible flags sorted by name; nothing when there are none. */
static void put_flags(struct strbuf *sb, const char *title, const struct flag *flags)
{
        _cleanup_free_ const struct flag **v = NULL;
        size_t n = cli_visible_flags(flags, &v);

        if (n == 0)
                return;
        strbuf_printf(sb, "\n%s:\n", title);
        for (size_t i = 0; i < n; i++)
                put_flag(sb, v[i]);
}

/* One "\t<path below the shown command>\t<summary>" line per visible runnable descendant. */
static void put_commands(struct strbuf *sb, const struct command *cmd, const char *prefix)
{
        for (size_t i = 0; cmd->children && cmd->children[i]; i++) {
                const struct command *c = cmd->children[i];
                _cleanup_free_ char *name = NULL;

                if (c->hidden || !cli_command_present(c))
                        continue;
                name = *prefix ? xasprintf("%s %s", prefix, c->name) : xstrdup(c->name);
                if (c->run)
                        strbuf_printf(sb, "\t%s\t%s\n", name, c->short_desc);
                put_commands(sb, c, name);
        }
}

/* The long description without its surrounding blank space, one "\t<line>" per line. */
static void put_description(struct strbuf *sb, const char *text)
{
        const char *blank = "\n\t ";
        _cleanup_strv_free_ char **lines = NULL;
        _cleanup_free_ char *trimmed = NULL;
        size_t len;

        text += strspn(text, blank);
        len = strlen(text);
        while (len > 0 && strchr(blank, text[len - 1]))
                len--;
        trimmed = oom_check(strndup(text, len));
        lines = strv_split(trimmed, '\n');
        strbuf_puts(sb, "\nDESCRIPTION:\n");
        STRV_FOREACH(l, lines)
                strbuf_printf(sb, "\t%s\n", *l);
}

char *cli_help_text(const struct command *cmd, const char *path)
{
        _cleanup_(table_freep) struct table *t = table_new();
        struct strbuf sb = STRBUF_INIT;
        bool root = cmd == &cmd_root;

        /* NAME shows the path below "rkt", USAGE the whole path */
        strbuf_printf(&sb, "NAME:\n\t%s - %s\n", root ? cmd->name : path + strlen("rkt "),
                      cmd->short_desc);
        strbuf_printf(&sb, "\nUSAGE:\n\t%s%s%s\n", path, cmd->usage ? " " : "",
                      cmd->usage ? cmd->usage : "");
        if (root)
                strbuf_printf(&sb, "\nVERSION:\n\t%s\n", RKT_VERSION);
        if (cmd->children) {
                strbuf_puts(&sb, "\nCOMMANDS:\n");
                put_commands(&sb, cmd, "");
        }
        if (cmd->long_desc)
                put_description(&sb, cmd->long_desc);
        put_flags(&sb, "OPTIONS", root ? global_flags : cmd->flags);
        if (!root)
                put_flags(&sb, "GLOBAL OPTIONS", global_flags);
        strbuf_putc(&sb, '\n');
        table_add_line(t, strbuf_str(&sb));
        strbuf_release(&sb);
        return table_render(t);
}

void cli_print_help(const struct command *cmd, const char *path)
{
        _cleanup_free_ char *text = cli_help_text(cmd, path);

        fputs(text, stdout);
        fflush(stdout);
}
