/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command-line front end: a tree of commands, each with its own flag table, parsed with
 * cobra/pflag semantics (SPEC.md §1.1). Global state lives in arg_* variables here only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "stage0.h"

#define EXIT_RKT_ERROR 254

enum flag_type {
        FLAG_BOOL,       /* bool *value */
        FLAG_STRING,     /* char **value (malloc'd, replaced on repeat) */
        FLAG_STRV,       /* char ***value: accumulates, one word per use (StringArray) */
        FLAG_STRV_COMMA, /* char ***value: accumulates, comma-split (StringSlice) */
        FLAG_FUNC,       /* parse(value, ...) */
};

struct flag {
        const char *name;
        enum flag_type type;
        void *value;
        /* FLAG_FUNC: returns 0, or -EINVAL with a malloc'd message in *ret_msg. */
        int (*parse)(const char *arg, void *value, char **ret_msg);
        const char *def; /* default shown in help (NULL: empty; never shown for lists) */
        const char *usage;
        const char *no_opt_default; /* non-bool flags that may be given bare */
        const char *deprecated;     /* message printed when used */
        bool hidden;
        bool quote_default;     /* help quotes the default as for FLAG_STRING (Go strings) */
        const char *experiment; /* exists only when this variable is true (cli_experiment()) */
};

struct command {
        const char *name;
        const char *short_desc;
        const char *usage;        /* after "rkt <path> " in USAGE, e.g. "IMAGE..."; NULL: none */
        const char *long_desc;    /* DESCRIPTION (lines separated by '\n'); NULL: no section */
        const struct flag *flags; /* terminated by {NULL} */
        /* Returns the exit status. argv holds the positional words (argv[argc] == NULL). */
        int (*run)(const struct command *cmd, int argc, char **argv);
        const struct command *const *children; /* NULL-terminated */
        bool no_interspersed;                  /* flag parsing stops at the first positional */
        const char *const *valid_args;         /* completion: the words an argument may be */
        bool hidden;
        const char *experiment; /* exists only when this variable is true (cli_experiment()) */
};

struct global_args {
        char *dir;
        bool dir_given;
        char *system_config;
        char *local_config;
        char *user_config;
        unsigned insecure;    /* enum insecure_option bits */
        char *insecure_words; /* as given, lower-cased and comma-joined (rkt's String()) */
        bool trust_keys_from_https;
        bool debug;
        char *cpuprofile, *memprofile;
};

extern struct global_args arg_global;
extern const struct command cmd_root;

/* Parses argv and runs the selected command; returns the process exit status. */
int cli_main(int argc, char **argv);

/* The help page of cmd as rkt prints it (malloc'd). path is the command path ("rkt image list"). */
char *cli_help_text(const struct command *cmd, const char *path);
/* The flags of a table help and completion show (not hidden or deprecated), sorted by name
 * as pflag lists them; *ret is malloc'd (NULL when there are none). Returns their number. */
size_t cli_visible_flags(const struct flag *flags, const struct flag ***ret);
/* Prints the help page of cmd on stdout. */
void cli_print_help(const struct command *cmd, const char *path);
/*
 * What rkt's commands do when given the wrong number of arguments: prints the help page of
 * cmd on stdout (nothing on stderr) and returns 254.
 */
int cli_usage(const struct command *cmd);
/* Prints "<command>: <message>" on stderr; returns 254. */
int cli_fail(const char *fmt, ...) _printf_(1, 2);
/* Prints the error (rendered per --debug) with the command prefix; returns 254. */
int cli_report(struct rk_error *err);
/*
 * rkt's multi-error summary (SPEC.md §1.3) on stderr: "<n> error(s) encountered when <what>:"
 * then each error between separators, control characters escaped (escape.h).
 */
void cli_print_errors(const char *what, char *const *errors);

/*
 * Prints the error as rkt's stderr.Error(err) does: only its innermost message, or with
 * --debug one "└─" line per message; with the command prefix. Returns 254.
 */
int cli_report_cause(struct rk_error *err);

/* The full command path of the running command ("rkt image rm"). */
extern const char *cli_command_path;

/*
 * Whether the experiment variable var (RKT_EXPERIMENT_ATTACH, ...) is set to a true value as
 * Go's strconv.ParseBool reads it (SPEC.md §0): its commands and flags exist only then.
 */
bool cli_experiment(const char *var);
/* Whether cmd exists in this process (it belongs to no experiment, or to an enabled one). */
bool cli_command_present(const struct command *cmd);

/* Flag-type parsers shared by commands. */
int flag_parse_bool_value(const char *arg, bool *ret);

/* The flags every command accepts (SPEC.md §2). */
extern const struct flag global_flags[];
/*
 * Finds the command words name as cobra does (flags skipped, unique prefixes allowed): the
 * deepest command reached, with its path in *ret_path; NULL when a word is left over at the
 * root ("unknown command").
 */
const struct command *cli_find_command(char *const *words, char **ret_path);
