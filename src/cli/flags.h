/* SPDX-License-Identifier: Apache-2.0 */
/* pflag-compatible flag parsing over tables of struct flag. */
#pragma once

#include <stddef.h>

#include "cli.h"

/* Finds the flag called name[0..len) in the NULL-terminated list of flag tables. */
const struct flag *flag_find(const struct flag *const *tables, const char *name, size_t len);
/* Whether "--name value" consumes the next word. */
bool flag_takes_value(const struct flag *f);
/*
 * Parses argv[0..argc) against the tables, setting the flag variables. Positional words
 * (all words from the first one when !interspersed, "--" included) go to *ret_args (strv).
 * -h or --help stops parsing and sets *ret_help. On failure returns -EINVAL and sets *ret_msg
 * to pflag's message.
 */
int flags_parse(const struct flag *const *tables, int argc, char **argv, bool interspersed,
                char ***ret_args, bool *ret_help, char **ret_msg);
