/* SPDX-License-Identifier: Apache-2.0 */
/* GetLogs (SPEC.md §9.2). Runs in: rkt api-service (any worker thread). */
#include "api-private.h"

static int get_logs_open(struct api_ctx *c, const ProtobufCMessage *req, void **ret_state,
                         struct rk_error **reterr)
{
        return rk_error_set(reterr, ENOSYS, "rkt built without logging support");
}

static int get_logs_next(struct api_ctx *c, void *state, ProtobufCMessage **ret,
                         struct rk_error **reterr)
{
        return API_STREAM_END;
}

static void get_logs_close(void *state)
{
}

const struct api_stream_ops api_get_logs_ops = {
        .open = get_logs_open,
        .next = get_logs_next,
        .close = get_logs_close,
};
