/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt completion bash: a bash completion script generated from the command tree. Every
 * command gets a function that lists its sub-commands and flags; __start_rkt walks the
 * words typed so far through those functions and completes the current word: a flag, a
 * sub-command, the valid arguments of a command, or (as rkt's script did) image IDs from
 * `rkt image list` and pod UUIDs from `rkt list` for the commands that take them. It uses
 * bash-completion's _get_comp_words_by_ref when that is loaded, bash's own words otherwise.
 */
#include <string.h>

#include "commands.h"
#include "strbuf.h"

static const char script_head[] =
        "# bash completion for rkt                                 -*- shell-script -*-\n"
        "\n"
        "__rkt_contains()\n"
        "{\n"
        "    local word=$1 w\n"
        "    shift\n"
        "    for w in \"$@\"; do\n"
        "        [[ $w == \"$word\" ]] && return 0\n"
        "    done\n"
        "    return 1\n"
        "}\n"
        "\n"
        "# The first column of a listing, as completions of the current word.\n"
        "__rkt_complete_column()\n"
        "{\n"
        "    COMPREPLY=( $(compgen -W \"$(awk '{print $1}' <<< \"$1\")\" -- \"$cur\") )\n"
        "}\n"
        "\n"
        "__rkt_complete_images()\n"
        "{\n"
        "    local out\n"
        "    out=$(rkt image list --no-legend 2>/dev/null) || return\n"
        "    __rkt_complete_column \"$out\"\n"
        "}\n"
        "\n"
        "# Pod UUIDs; with an argument, of the pods whose line matches that grep pattern.\n"
        "__rkt_complete_pods()\n"
        "{\n"
        "    local out\n"
        "    out=$(rkt list --no-legend 2>/dev/null) || return\n"
        "    if [[ -n $1 ]]; then\n"
        "        out=$(grep -e \"$1\" <<< \"$out\")\n"
        "    fi\n"
        "    __rkt_complete_column \"$out\"\n"
        "}\n"
        "\n"
        "__rkt_complete_arguments()\n"
        "{\n"
        "    case $last_command in\n"
        "        rkt_image_export | rkt_image_extract | rkt_image_cat-manifest | \\\n"
        "        rkt_image_render | rkt_image_rm | rkt_image_verify | rkt_run | rkt_prepare)\n"
        "            __rkt_complete_images ;;\n"
        "        rkt_run-prepared)\n"
        "            __rkt_complete_pods prepared ;;\n"
        "        rkt_enter)\n"
        "            __rkt_complete_pods running ;;\n"
        "        rkt_rm)\n"
        "            __rkt_complete_pods 'prepare\\|exited' ;;\n"
        "        rkt_status | rkt_stop | rkt_cat-manifest | rkt_export)\n"
        "            __rkt_complete_pods ;;\n"
        "    esac\n"
        "}\n"
        "\n"
        "__rkt_reply()\n"
        "{\n"
        "    if [[ $cur == -* ]]; then\n"
        "        COMPREPLY=( $(compgen -W \"${flags[*]}\" -- \"$cur\") )\n"
        "        # a flag that takes a value: no space after its \"=\"\n"
        "        if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then\n"
        "            compopt -o nospace 2>/dev/null\n"
        "        fi\n"
        "        return\n"
        "    fi\n"
        "    # the value of the flag before: left to bash's default (file names)\n"
        "    if __rkt_contains \"$prev\" \"${two_word_flags[@]}\"; then\n"
        "        return\n"
        "    fi\n"
        "    local completions=(\"${commands[@]}\")\n"
        "    if [[ ${#must_have_one_noun[@]} -ne 0 ]]; then\n"
        "        completions=(\"${must_have_one_noun[@]}\")\n"
        "    fi\n"
        "    COMPREPLY=( $(compgen -W \"${completions[*]}\" -- \"$cur\") )\n"
        "    if [[ ${#COMPREPLY[@]} -eq 0 ]]; then\n"
        "        __rkt_complete_arguments\n"
        "    fi\n"
        "}\n"
        "\n";

static const char script_tail[] =
        "__start_rkt()\n"
        "{\n"
        "    local cur prev words cword\n"
        "    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then\n"
        "        _get_comp_words_by_ref -n \"=\" cur prev words cword\n"
        "    else\n"
        "        words=(\"${COMP_WORDS[@]}\")\n"
        "        cword=$COMP_CWORD\n"
        "        cur=${COMP_WORDS[COMP_CWORD]}\n"
        "        prev=${COMP_WORDS[COMP_CWORD-1]}\n"
        "    fi\n"
        "    COMPREPLY=()\n"
        "    local last_command commands=() flags=() two_word_flags=() must_have_one_noun=()\n"
        "    local i w skip=0\n"
        "    _rkt\n"
        "    for ((i = 1; i < cword; i++)); do\n"
        "        w=${words[i]}\n"
        "        if ((skip)); then\n"
        "            skip=0\n"
        "        elif [[ $w == -* ]]; then\n"
        "            if __rkt_contains \"$w\" \"${two_word_flags[@]}\"; then\n"
        "                skip=1\n"
        "            fi\n"
        "        elif __rkt_contains \"$w\" \"${commands[@]}\"; then\n"
        "            \"_${last_command}_${w}\"\n"
        "        fi\n"
        "    done\n"
        "    __rkt_reply\n"
        "}\n"
        "\n"
        "complete -o default -F __start_rkt rkt\n"
        "\n"
        "# ex: ts=4 sw=4 et filetype=sh\n";

/* Appends the flags of one table: "--name" or "--name=", and the two-word forms. */
static void put_flags(struct strbuf *flags, struct strbuf *two_word, const struct flag *table)
{
        _cleanup_free_ const struct flag **v = NULL;
        size_t n = cli_visible_flags(table, &v);

        for (size_t i = 0; i < n; i++) {
                bool takes_value = v[i]->type != FLAG_BOOL && !v[i]->no_opt_default;

                strbuf_printf(flags, " --%s%s", v[i]->name, takes_value ? "=" : "");
                if (takes_value)
                        strbuf_printf(two_word, " --%s", v[i]->name);
        }
}

/* The function of cmd, named after its path ("rkt_image_list"), then its children's. */
static void put_command(struct strbuf *sb, const struct command *cmd, const char *name)
{
        struct strbuf flags = STRBUF_INIT, two_word = STRBUF_INIT;

        strbuf_printf(sb, "_%s()\n{\n    last_command=\"%s\"\n    commands=(", name, name);
        for (size_t i = 0, n = 0; cmd->children && cmd->children[i]; i++)
                if (!cmd->children[i]->hidden && cli_command_present(cmd->children[i]))
                        strbuf_printf(sb, "%s%s", n++ > 0 ? " " : "", cmd->children[i]->name);
        if (cmd != &cmd_root)
                put_flags(&flags, &two_word, cmd->flags);
        put_flags(&flags, &two_word, global_flags);
        strbuf_printf(sb, ")\n    flags=(%s)\n    two_word_flags=(%s)\n    must_have_one_noun=(",
                      flags.len ? strbuf_str(&flags) + 1 : "",
                      two_word.len ? strbuf_str(&two_word) + 1 : "");
        for (size_t i = 0; cmd->valid_args && cmd->valid_args[i]; i++)
                strbuf_printf(sb, "%s%s", i > 0 ? " " : "", cmd->valid_args[i]);
        strbuf_puts(sb, ")\n}\n\n");
        strbuf_release(&flags);
        strbuf_release(&two_word);
        for (size_t i = 0; cmd->children && cmd->children[i]; i++) {
                const struct command *c = cmd->children[i];
                _cleanup_free_ char *child = NULL;

                if (c->hidden || !cli_command_present(c))
                        continue;
                child = xasprintf("%s_%s", name, c->name);
                put_command(sb, c, child);
        }
}

static int completion_run(const struct command *cmd, int argc, char **argv)
{
        struct strbuf sb = STRBUF_INIT;

        if (argc == 0)
                return cli_fail("shell type is not specified");
        if (argc > 1)
                return cli_fail("too many arguments, only shell type is expected");
        if (strcmp(argv[0], "bash") != 0)
                return cli_fail("'%s' shell is not supported", argv[0]);
        strbuf_puts(&sb, script_head);
        put_command(&sb, &cmd_root, "rkt");
        strbuf_puts(&sb, script_tail);
        fputs(strbuf_str(&sb), stdout);
        strbuf_release(&sb);
        return 0;
}

static const char *const completion_shells[] = {"bash", NULL};

const struct command cmd_completion = {
        .name = "completion",
        .short_desc = "Output shell completion code for the specified shell",
        .usage = "SHELL",
        .long_desc = "This command outputs completion code for the specified shell. The generated\n"
                     "code must be evaluated to provide interactive completion of rkt "
                     "sub-commands.\n"
                     "This can be done by sourcing it from the .bash_profile.\n"
                     "\n"
                     "Save completion code in a home directory and then include it in "
                     ".bash_profile\n"
                     "script:\n"
                     "\n"
                     "\t$ rkt completion bash > $HOME/.rkt.bash.inc\n"
                     "\t$ printf '\n"
                     "# rkt shell completion\n"
                     "source \"$HOME/.rkt.bash.inc\"\n"
                     "' >> $HOME/.bash_profile\n"
                     "\t$ source $HOME/.bash_profile\n"
                     "\n"
                     "Alternatively, include the completion code directly into the launched "
                     "shell:\n"
                     "\n"
                     "\t$ source <(rkt completion bash)",
        .run = completion_run,
        .valid_args = completion_shells,
};
