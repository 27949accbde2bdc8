/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flag parsing with pflag semantics (SPEC.md §1.1): long flags only, "--f=v" and "--f v",
 * booleans take a value only with "=", list flags accumulate, "--" ends flag parsing, -h and
 * --help stop it, and parsing can stop at the first positional word for commands that hand
 * the rest on. Error messages are pflag's, naming the flag by the word as given.
 */
#include "flags.h"

#include <stdlib.h>
#include <string.h>

#include "format-util.h"
#include "parse-util.h"
#include "strv.h"

int flag_parse_bool_value(const char *arg, bool *ret)
{
        return parse_bool_go(arg, ret);
}

bool cli_experiment(const char *var)
{
        const char *v = getenv(var);
        bool on = false;

        return v && parse_bool_go(v, &on) >= 0 && on;
}

bool cli_command_present(const struct command *cmd)
{
        return !cmd->experiment || cli_experiment(cmd->experiment);
}

const struct flag *flag_find(const struct flag *const *tables, const char *name, size_t len)
{
        for (size_t t = 0; tables[t]; t++)
                for (const struct flag *f = tables[t]; f->name; f++)
                        if (strlen(f->name) == len && strncmp(f->name, name, len) == 0 &&
                            (!f->experiment || cli_experiment(f->experiment)))
                                return f;
        return NULL;
}

bool flag_takes_value(const struct flag *f)
{
        return f->type != FLAG_BOOL && !f->no_opt_default;
}

/* pflag's message for a value the flag rejects; word is the argument as given. */
static char *invalid_argument(const char *arg, const char *word, const char *why)
{
        _cleanup_free_ char *q = format_go_quote(arg);

        return xasprintf("invalid argument %s for %s: %s", q, word, why);
}

static int flag_set(const struct flag *f, const char *arg, const char *word, char **ret_msg)
{
        int r;

        switch (f->type) {
        case FLAG_BOOL:
                r = flag_parse_bool_value(arg, f->value);
                if (r < 0) {
                        _cleanup_free_ char *q = format_go_quote(arg);
                        _cleanup_free_ char *why =
                                xasprintf("strconv.ParseBool: parsing %s: invalid syntax", q);

                        *ret_msg = invalid_argument(arg, word, why);
                }
                return r;
        case FLAG_STRING:
                free(*(char **)f->value);
                *(char **)f->value = xstrdup(arg);
                return 0;
        case FLAG_STRV:
                strv_push(f->value, arg);
                return 0;
        case FLAG_STRV_COMMA: {
                _cleanup_strv_free_ char **l = strv_split(arg, ',');
                STRV_FOREACH(s, l)
                        strv_push(f->value, *s);
                return 0;
        }
        case FLAG_FUNC: {
                _cleanup_free_ char *msg = NULL;

                r = f->parse(arg, f->value, &msg);
                if (r < 0)
                        *ret_msg = invalid_argument(arg, word, msg ? msg : "invalid value");
                return r;
        }
        }
        return -EINVAL;
}

/* Handles one "--name[=value]" word at argv[*i]; may consume argv[*i + 1]. */
static int flag_parse_one(const struct flag *const *tables, int argc, char **argv, int *i,
                          char **ret_msg)
{
        const char *arg = argv[*i], *word = arg + 2, *eq = strchr(word, '=');
        size_t len = eq ? (size_t)(eq - word) : strlen(word);
        const struct flag *f;
        const char *val;

        if (word[0] == '-' || word[0] == '=') {
                *ret_msg = xasprintf("bad flag syntax: %s", arg);
                return -EINVAL;
        }
        f = flag_find(tables, word, len);
        if (!f) {
                *ret_msg = xasprintf("unknown flag: --%.*s", (int)len, word);
                return -EINVAL;
        }
        if (eq)
                val = eq + 1;
        else if (f->type == FLAG_BOOL)
                val = "true";
        else if (f->no_opt_default)
                val = f->no_opt_default;
        else if (*i + 1 < argc)
                val = argv[++*i];
        else {
                *ret_msg = xasprintf("flag needs an argument: %s", arg);
                return -EINVAL;
        }
        if (f->deprecated)
                fprintf(stderr, "Flag --%s has been deprecated, %s\n", f->name, f->deprecated);
        return flag_set(f, val, arg, ret_msg);
}

/* pflag stops at -h and --help (which are no flags of rkt's) with its "help requested". */
static bool is_help(const char *w)
{
        return (w[0] == '-' && w[1] == 'h') || strcmp(w, "--help") == 0 ||
               strncmp(w, "--help=", 7) == 0;
}

int flags_parse(const struct flag *const *tables, int argc, char **argv, bool interspersed,
                char ***ret_args, bool *ret_help, char **ret_msg)
{
        _cleanup_strv_free_ char **args = xnew0(char *, 1);

        *ret_help = false;
        for (int i = 0; i < argc; i++) {
                const char *w = argv[i];
                int r;

                if (strcmp(w, "--") == 0) {
                        /* pflag drops "--" and keeps the rest as positional words; commands
                         * that parse the rest themselves (run, fetch) see it */
                        for (i += interspersed; i < argc; i++)
                                strv_push(&args, argv[i]);
                        break;
                }
                if (is_help(w)) {
                        *ret_help = true;
                        break;
                }
                if (w[0] != '-' || w[1] == '\0') {
                        if (!interspersed) {
                                for (; i < argc; i++)
                                        strv_push(&args, argv[i]);
                                break;
                        }
                        strv_push(&args, w);
                        continue;
                }
                if (w[1] != '-') {
                        *ret_msg = xasprintf("unknown shorthand flag: '%c' in %s", w[1], w);
                        return -EINVAL;
                }
                r = flag_parse_one(tables, argc, argv, &i, ret_msg);
                if (r < 0)
                        return r;
        }
        *ret_args = TAKE_PTR(args);
        return 0;
}
