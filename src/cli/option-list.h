/* SPDX-License-Identifier: Apache-2.0 */
/* rkt's OptionList flag type: a comma list of allowed words, no duplicates, replacing the
 * default when given. */
#pragma once

#include <stdbool.h>

struct option_list {
        const char *const *allowed; /* NULL-terminated */
        char **values;              /* strv; initialised to the default */
};

/* FLAG_FUNC parser for struct option_list. Errors: unknown option "x", duplicated option "x". */
int option_list_parse(const char *arg, void *value, char **ret_msg);
