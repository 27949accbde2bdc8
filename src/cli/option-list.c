/* SPDX-License-Identifier: Apache-2.0 */
/* Comma-list flags restricted to a set of words. */
#include "option-list.h"

#include <string.h>

#include "macro.h"
#include "strv.h"

int option_list_parse(const char *arg, void *value, char **ret_msg)
{
        struct option_list *ol = value;
        _cleanup_strv_free_ char **words = strv_split(arg, ','), **out = NULL;

        STRV_FOREACH(w, words) {
                if (!strv_contains((char *const *)ol->allowed, *w)) {
                        *ret_msg = xasprintf("unknown option \"%s\"", *w);
                        return -EINVAL;
                }
                if (strv_contains(out, *w)) {
                        *ret_msg = xasprintf("duplicated option \"%s\"", *w);
                        return -EINVAL;
                }
                strv_push(&out, *w);
        }
        strv_free(ol->values);
        ol->values = TAKE_PTR(out);
        return 0;
}
