/* SPDX-License-Identifier: Apache-2.0 */
/* GetInfo and ListenEvents (SPEC.md §9.2). Runs in: rkt api-service (any worker thread). */
#include "api-private.h"

int api_get_info(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                 struct rk_error **reterr)
{
        const struct api_global_flags *f = &c->o->flags;
        V1alpha__GetInfoResponse *resp = xnew0(V1alpha__GetInfoResponse, 1);
        V1alpha__Info *info = xnew0(V1alpha__Info, 1);
        V1alpha__GlobalFlags *g = xnew0(V1alpha__GlobalFlags, 1);

        v1alpha__get_info_response__init(resp);
        v1alpha__info__init(info);
        v1alpha__global_flags__init(g);
        info->rkt_version = api_str(RKT_VERSION);
        info->appc_version = api_str(APPC_VERSION);
        info->api_version = api_str(API_VERSION);
        g->dir = api_str(f->dir);
        g->system_config_dir = api_str(f->system_config_dir);
        g->local_config_dir = api_str(f->local_config_dir);
        g->user_config_dir = api_str(f->user_config_dir);
        g->insecure_flags = api_str(f->insecure_flags);
        g->trust_keys_from_https = f->trust_keys_from_https;
        info->global_flags = g;
        resp->info = info;
        *ret = &resp->base;
        return 0;
}

/* rkt's service never implemented events: the call ends with its error at once. */
static int listen_events_open(struct api_ctx *c, const ProtobufCMessage *req, void **ret_state,
                              struct rk_error **reterr)
{
        return rk_error_set(reterr, ENOSYS, "not implemented yet");
}

static int listen_events_next(struct api_ctx *c, void *state, ProtobufCMessage **ret,
                              struct rk_error **reterr)
{
        return API_STREAM_END;
}

static void listen_events_close(void *state)
{
}

const struct api_stream_ops api_listen_events_ops = {
        .open = listen_events_open,
        .next = listen_events_next,
        .close = listen_events_close,
};
