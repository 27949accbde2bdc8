/* SPDX-License-Identifier: Apache-2.0 */
/* docker-archive:PATH[:REF] and oci:PATH[:REF]: local images to the store. */
#include "docker-fetch.h"

int docker_fetch_local(struct store *s, const char *arg, const struct docker_fetch_options *o,
                       char **ret_key, struct rk_error **reterr)
{
        return rk_error_set(reterr, ENOTSUP, "%s: not available yet", arg);
}
