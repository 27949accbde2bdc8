/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command dispatch with cobra semantics (SPEC.md §1.1): the command path is found by
 * skipping flag words (flags may come before the subcommand name), names match by unique
 * prefix, then the remaining words are parsed by the chosen command.
 */
#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "cli-store.h"
#include "commands.h"
#include "escape.h"
#include "flags.h"
#include "log.h"
#include "parse-util.h"
#include "path-util.h"
#include "strbuf.h"
#include "strv.h"

struct global_args arg_global;
const char *cli_command_path = "rkt";

static const struct option_name {
        const char *name;
        unsigned bits;
} insecure_names[] = {
        {"none", 0},
        {"image", INSECURE_IMAGE},
        {"tls", INSECURE_TLS},
        {"ondisk", INSECURE_ONDISK},
        {"http", INSECURE_HTTP},
        {"pubkey", INSECURE_PUBKEY},
        {"capabilities", INSECURE_CAPABILITIES},
        {"paths", INSECURE_PATHS},
        {"seccomp", INSECURE_SECCOMP},
        {"all-fetch", INSECURE_IMAGE | INSECURE_TLS | INSECURE_HTTP | INSECURE_PUBKEY},
        {"all-run", INSECURE_CAPABILITIES | INSECURE_PATHS | INSECURE_SECCOMP},
        {"all", ~0u},
};

static int parse_insecure_options(const char *arg, void *value, char **ret_msg)
{
        _cleanup_strv_free_ char **words = strv_split(arg, ','), **seen = NULL;
        unsigned bits = 0;

        STRV_FOREACH(w, words) {
                const struct option_name *o = NULL;

                for (char *c = *w; *c; c++)
                        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
                for (size_t i = 0; i < ELEMENTSOF(insecure_names); i++)
                        if (strcmp(insecure_names[i].name, *w) == 0)
                                o = &insecure_names[i];
                if (!o) {
                        *ret_msg = xasprintf("unknown option \"%s\"", *w);
                        return -EINVAL;
                }
                if (strv_contains(seen, *w)) {
                        *ret_msg = xasprintf("duplicated option \"%s\"", *w);
                        return -EINVAL;
                }
                strv_push(&seen, *w);
                bits |= o->bits;
        }
        *(unsigned *)value = bits;
        free(arg_global.insecure_words);
        arg_global.insecure_words = strv_join(seen, ",");
        return 0;
}

static int parse_dir(const char *arg, void *value, char **ret_msg)
{
        if (!*arg) {
                *ret_msg = xstrdup("\"\" is not a valid directory");
                return -EINVAL;
        }
        free(*(char **)value);
        *(char **)value = path_absolute(arg);
        if (value == &arg_global.dir)
                arg_global.dir_given = true;
        return 0;
}

const struct flag global_flags[] = {
        {"debug", FLAG_BOOL, &arg_global.debug, .def = "false",
         .usage = "print out more debug information to stderr"},
        {"dir", FLAG_FUNC, &arg_global.dir, parse_dir, RKT_DEFAULT_DATA_DIR, "rkt data directory"},
        {"insecure-options", FLAG_FUNC, &arg_global.insecure, parse_insecure_options, "none",
         "comma-separated list of security features to disable. Allowed values: \"none\", "
         "\"image\", \"tls\", \"ondisk\", \"http\", \"pubkey\", \"capabilities\", \"paths\", "
         "\"seccomp\", \"all-fetch\", \"all-run\", \"all\""},
        {"local-config", FLAG_FUNC, &arg_global.local_config, parse_dir, RKT_DEFAULT_LOCAL_CONFIG,
         "local configuration directory"},
        {"system-config", FLAG_FUNC, &arg_global.system_config, parse_dir,
         RKT_DEFAULT_SYSTEM_CONFIG, "system configuration directory"},
        {"trust-keys-from-https", FLAG_BOOL, &arg_global.trust_keys_from_https, .def = "false",
         .usage = "automatically trust gpg keys fetched from https"},
        {"user-config", FLAG_FUNC, &arg_global.user_config, parse_dir, "",
         "user configuration directory"},
        {"cpuprofile", FLAG_STRING, &arg_global.cpuprofile, .hidden = true},
        {"memprofile", FLAG_STRING, &arg_global.memprofile, .hidden = true},
        {NULL},
};

static void global_args_init(void)
{
        arg_global.dir = xstrdup(RKT_DEFAULT_DATA_DIR);
        arg_global.system_config = xstrdup(RKT_DEFAULT_SYSTEM_CONFIG);
        arg_global.local_config = xstrdup(RKT_DEFAULT_LOCAL_CONFIG);
        arg_global.user_config = xstrdup("");
        arg_global.insecure_words = xstrdup("none");
}

/* Matches name exactly, else by unique prefix, among the children of cmd (hidden ones too). */
static const struct command *command_find_child(const struct command *cmd, const char *name)
{
        const struct command *match = NULL;
        int n = 0;

        for (size_t i = 0; cmd->children && cmd->children[i]; i++) {
                const struct command *c = cmd->children[i];

                if (!cli_command_present(c))
                        continue;
                if (strcmp(c->name, name) == 0)
                        return c;
                if (strncmp(c->name, name, strlen(name)) == 0) {
                        match = c;
                        n++;
                }
        }
        return n == 1 ? match : NULL;
}

static bool ends_with_quote(const char *w)
{
        size_t n = strlen(w);

        return n > 0 && w[n - 1] == '"' && !(n > 1 && w[n - 2] == '\\');
}

/*
 * The first word of words (skipping used ones) that cobra's stripFlags keeps as a command
 * word for cmd, or -1. As in cobra, "--name" without "=" takes the next word as its value
 * unless it is a boolean flag of cmd (an unknown flag, --help included, is not), as does a
 * one-letter "-x", and words between a leading '"' (or '="') and the next word ending in an
 * unescaped '"' are skipped.
 */
static int command_word(const struct command *cmd, char *const *words, const bool *used)
{
        static const struct flag no_flags[] = {{NULL}};
        const struct flag *const tables[] = {cmd->flags ? cmd->flags : no_flags, global_flags,
                                             NULL};
        bool in_flag = false, in_quote = false;

        for (int i = 0; words[i]; i++) {
                const char *w = words[i];

                if (used[i])
                        continue;
                if (!in_quote) {
                        if (w[0] == '"' || strstr(w, "=\""))
                                in_quote = true;
                        else if (w[0] == '-' && w[1] == '-' && !strchr(w, '=')) {
                                const struct flag *f = flag_find(tables, w + 2, strlen(w + 2));

                                in_flag = !f || f->type != FLAG_BOOL;
                        } else if (w[0] == '-' && w[1] && !w[2])
                                in_flag = true;
                        else if (in_flag)
                                in_flag = false;
                        else if (w[0] && w[0] != '-')
                                return i;
                }
                if (ends_with_quote(w))
                        in_quote = false;
        }
        return -1;
}

/*
 * Walks the command tree as cobra's Find does, marking the words that named commands in
 * used[]. *ret_unknown is the index of a word left over at the root (an unknown command), or
 * -1. path gets "rkt <names>".
 */
static const struct command *command_locate(char *const *words, bool *used, struct strbuf *path,
                                            int *ret_unknown)
{
        const struct command *cmd = &cmd_root;

        *ret_unknown = -1;
        strbuf_puts(path, "rkt");
        while (cmd->children) {
                int i = command_word(cmd, words, used);
                const struct command *c;

                if (i < 0)
                        break;
                c = command_find_child(cmd, words[i]);
                if (!c) {
                        if (cmd == &cmd_root)
                                *ret_unknown = i;
                        break;
                }
                used[i] = true;
                strbuf_printf(path, " %s", c->name);
                cmd = c;
        }
        return cmd;
}

int cli_usage(const struct command *cmd)
{
        cli_print_help(cmd, cli_command_path);
        return EXIT_RKT_ERROR;
}

int cli_fail(const char *fmt, ...)
{
        _cleanup_free_ char *msg = FORMAT_VARARGS(fmt);

        log_error("%s", msg);
        return EXIT_RKT_ERROR;
}

int cli_report(struct rk_error *err)
{
        _cleanup_free_ char *text = rk_error_render(err, arg_global.debug);

        log_error("%s", text);
        rk_error_free(err);
        return EXIT_RKT_ERROR;
}

void cli_print_errors(const char *what, char *const *errors)
{
        static const char sep[] = "----------------------------------------";

        fprintf(stderr, "%zu error(s) encountered when %s:\n%s\n", strv_length(errors), what, sep);
        for (char *const *e = errors; *e; e++) {
                _cleanup_free_ char *safe = escape_nonprint(*e, "\n\t");
                fprintf(stderr, "%s\n%s\n", safe, sep);
        }
        fprintf(stderr, "misc:\n  rkt's appc version: %s\n\n", APPC_VERSION);
}

int cli_report_cause(struct rk_error *err)
{
        struct strbuf sb = STRBUF_INIT;

        if (!arg_global.debug)
                strbuf_puts(&sb, rk_error_cause(err));
        for (unsigned i = 0; arg_global.debug && i < err->n_frames; i++)
                strbuf_printf(&sb, "\n%*s└─%s", (int)(2 * (i + 1)), "", err->frames[i]);
        log_error("%s", strbuf_str(&sb));
        strbuf_release(&sb);
        rk_error_free(err);
        return EXIT_RKT_ERROR;
}

/* A flag parsing error as cobra reports it with rkt's usage function: the help page goes to
 * stdout, cobra's copy of it (empty, as rkt prints straight to stdout) to stderr. */
static int flag_error(const struct command *cmd, const char *msg)
{
        fprintf(stderr, "Error: %s\n", msg);
        cli_print_help(cmd, cli_command_path);
        fputs("\n", stderr);
        return EXIT_RKT_ERROR;
}

/* Levenshtein distance of a and b, ignoring ASCII case, as cobra computes it. */
static size_t distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        _cleanup_free_ size_t *d = xnew0(size_t, lb + 1);

        for (size_t j = 0; j <= lb; j++)
                d[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = d[0];

                d[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = d[j];
                        bool same = tolower((unsigned char)a[i - 1]) ==
                                    tolower((unsigned char)b[j - 1]);

                        d[j] = MIN(MIN(d[j] + 1, d[j - 1] + 1), diag + (same ? 0 : 1));
                        diag = up;
                }
        }
        return d[lb];
}

static bool has_prefix_nocase(const char *s, const char *prefix)
{
        return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* cobra's "unknown command" error, with its suggestions: the visible commands (not help)
 * within an edit distance of 2 of the word, or that it is a prefix of. */
static int unknown_command(const char *word)
{
        struct strbuf sb = STRBUF_INIT;

        for (size_t i = 0; cmd_root.children[i]; i++) {
                const struct command *c = cmd_root.children[i];

                if (c->hidden || c == &cmd_help || (!c->run && !c->children) ||
                    !cli_command_present(c))
                        continue;
                if (distance(word, c->name) <= 2 || has_prefix_nocase(c->name, word))
                        strbuf_printf(&sb, "\t%s\n", c->name);
        }
        fprintf(stderr, "Error: unknown command \"%s\" for \"rkt\"\n", word);
        if (sb.len > 0)
                fprintf(stderr, "\nDid you mean this?\n%s\n", strbuf_str(&sb));
        fputs("Run 'rkt --help' for usage.\n", stderr);
        strbuf_release(&sb);
        return EXIT_RKT_ERROR;
}

static int cli_run(const struct command *cmd, char **words)
{
        static const struct flag no_flags[] = {{NULL}};
        const struct flag *const tables[] = {cmd->flags ? cmd->flags : no_flags, global_flags,
                                             NULL};
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *msg = NULL;
        bool help;
        int r;

        r = flags_parse(tables, (int)strv_length(words), words, !cmd->no_interspersed, &args, &help,
                        &msg);
        if (r < 0)
                return flag_error(cmd, msg);
        if (help || !cmd->run) {
                cli_print_help(cmd, cli_command_path);
                return 0;
        }
        if (arg_global.debug)
                log_set_max_level(LOG_LEVEL_DEBUG);
        log_set_prefix(cmd->name);
        return cmd->run(cmd, (int)strv_length(args), args);
}

int cli_main(int argc, char **argv)
{
        _cleanup_free_ bool *used = xnew0(bool, (size_t)argc + 1);
        _cleanup_strv_free_ char **words = xnew0(char *, 1);
        struct strbuf path = STRBUF_INIT;
        const struct command *cmd;
        int unknown;

        global_args_init();
        cmd = command_locate(argv + 1, used, &path, &unknown);
        cli_command_path = strbuf_detach(&path);
        if (unknown >= 0)
                return unknown_command(argv[1 + unknown]);
        for (int i = 1; i < argc; i++)
                if (!used[i - 1])
                        strv_push(&words, argv[i]);
        return cli_run(cmd, words);
}

const struct command *cli_find_command(char *const *words, char **ret_path)
{
        _cleanup_free_ bool *used = xnew0(bool, strv_length(words) + 1);
        struct strbuf path = STRBUF_INIT;
        const struct command *cmd;
        int unknown;

        cmd = command_locate(words, used, &path, &unknown);
        if (unknown >= 0) {
                strbuf_release(&path);
                return NULL;
        }
        *ret_path = strbuf_detach(&path);
        return cmd;
}
