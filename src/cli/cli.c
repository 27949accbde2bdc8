/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command dispatch with cobra semantics (SPEC.md §1.1): the command path is found by
 * skipping flag words (flags may come before the subcommand name), names match by unique
 * prefix, then the remaining words are parsed by the chosen command.
 */
#include "cli.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "escape.h"
#include "flags.h"
#include "log.h"
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
        return 0;
}

static int parse_dir(const char *arg, void *value, char **ret_msg)
{
        if (!*arg) {
                *ret_msg = xstrdup("\"\" is not a valid directory");
                return -EINVAL;
        }
        free(*(char **)value);
        if (arg[0] == '/')
                *(char **)value = xstrdup(arg);
        else {
                char cwd[PATH_MAX];

                if (!getcwd(cwd, sizeof(cwd)))
                        return -errno;
                *(char **)value = xasprintf("%s/%s", cwd, arg);
        }
        if (value == &arg_global.dir)
                arg_global.dir_given = true;
        return 0;
}

const struct flag global_flags[] = {
        {"debug", FLAG_BOOL, &arg_global.debug, .def = "false",
         .usage = "print out more debug information to stderr"},
        {"dir", FLAG_FUNC, &arg_global.dir, parse_dir, RKT_DEFAULT_DATA_DIR, "rkt data directory",
         .quote_default = true},
        {"insecure-options", FLAG_FUNC, &arg_global.insecure, parse_insecure_options, "none",
         "comma-separated list of security features to disable. Allowed values: \"none\", "
         "\"image\", \"tls\", \"ondisk\", \"http\", \"pubkey\", \"capabilities\", \"paths\", "
         "\"seccomp\", \"all-fetch\", \"all-run\", \"all\""},
        {"local-config", FLAG_FUNC, &arg_global.local_config, parse_dir, RKT_DEFAULT_LOCAL_CONFIG,
         "local configuration directory", .quote_default = true},
        {"system-config", FLAG_FUNC, &arg_global.system_config, parse_dir,
         RKT_DEFAULT_SYSTEM_CONFIG, "system configuration directory", .quote_default = true},
        {"trust-keys-from-https", FLAG_BOOL, &arg_global.trust_keys_from_https, .def = "false",
         .usage = "automatically trust gpg keys fetched from https"},
        {"user-config", FLAG_FUNC, &arg_global.user_config, parse_dir, "",
         "user configuration directory", .quote_default = true},
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
}

/* Matches name exactly, else by unique prefix, among the visible children of cmd. */
static const struct command *command_find_child(const struct command *cmd, const char *name)
{
        const struct command *match = NULL;
        int n = 0;

        for (size_t i = 0; cmd->children && cmd->children[i]; i++) {
                const struct command *c = cmd->children[i];

                if (strcmp(c->name, name) == 0)
                        return c;
                if (strncmp(c->name, name, strlen(name)) == 0) {
                        match = c;
                        n++;
                }
        }
        return n == 1 ? match : NULL;
}

/* Index of the first word of argv[from..) that is not a flag or a flag's value, or -1. */
static int first_positional(const struct command *cmd, int argc, char **argv, int from)
{
        const struct flag *const tables[] = {cmd->flags, global_flags, NULL};

        for (int i = from; i < argc; i++) {
                const char *w = argv[i];
                const struct flag *f;

                if (strcmp(w, "--") == 0)
                        return -1;
                if (w[0] != '-' || w[1] == '\0')
                        return i;
                if (w[1] != '-' || strchr(w, '='))
                        continue;
                f = flag_find(tables, w + 2, strlen(w + 2));
                if (f && flag_takes_value(f))
                        i++;
        }
        return -1;
}

/* Walks the command tree; marks the words that named commands in used[]. */
static const struct command *command_locate(int argc, char **argv, bool *used, struct strbuf *path)
{
        const struct command *cmd = &cmd_root;
        int from = 1;

        strbuf_puts(path, "rkt");
        while (cmd->children) {
                int i = first_positional(cmd, argc, argv, from);
                const struct command *c;

                if (i < 0)
                        break;
                c = command_find_child(cmd, argv[i]);
                if (!c)
                        break;
                used[i] = true;
                strbuf_printf(path, " %s", c->name);
                cmd = c;
                from = i + 1;
        }
        return cmd;
}

int cli_usage_error(const struct command *cmd, const char *fmt, ...)
{
        _cleanup_free_ char *msg = FORMAT_VARARGS(fmt);

        fprintf(stderr, "Error: %s\n", msg);
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
        if (r < 0) {
                fprintf(stderr, "%s\n", msg);
                return cli_usage_error(cmd, "%s", msg);
        }
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

        global_args_init();
        cmd = command_locate(argc, argv, used, &path);
        cli_command_path = strbuf_detach(&path);
        if (cmd == &cmd_root) {
                int i = first_positional(cmd, argc, argv, 1);

                if (i >= 0)
                        return cli_usage_error(cmd, "unknown command \"%s\" for \"rkt\"", argv[i]);
        }
        for (int i = 1; i < argc; i++)
                if (!used[i])
                        strv_push(&words, argv[i]);
        if (cmd == &cmd_root && !strv_contains(words, "-h") && !strv_contains(words, "--help")) {
                fputs("missing command\n", stderr);
                cli_print_help(cmd, cli_command_path);
                return 2;
        }
        return cli_run(cmd, words);
}

const struct command *cli_find_command(char *const *words, char **ret_path)
{
        const struct command *cmd = &cmd_root;
        struct strbuf path = STRBUF_INIT;

        strbuf_puts(&path, "rkt");
        for (char *const *w = words; w && *w; w++) {
                cmd = command_find_child(cmd, *w);
                if (!cmd) {
                        strbuf_release(&path);
                        return NULL;
                }
                strbuf_printf(&path, " %s", cmd->name);
        }
        *ret_path = strbuf_detach(&path);
        return cmd;
}
