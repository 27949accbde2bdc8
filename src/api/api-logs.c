/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GetLogs (SPEC.md §9.2): the apps' logs the native stage1 keeps (app-log.h), read through
 * the pod module as `rkt logs` reads them. Each response carries up to LINES_PER_RESPONSE
 * records as stored: "<RFC 3339 nano time> <stdout|stderr> <F|P> <line>" (Kubernetes' CRI
 * log format). Runs in: rkt api-service (any worker thread).
 */
#include "api-private.h"
#include "pod.h"
#include "time-util.h"

#define LINES_PER_RESPONSE 256

struct logs_state {
        struct pod *pod;
        struct pod_logs *logs;
        bool follow; /* the pod runs: more may come */
};

static void get_logs_close(void *state)
{
        struct logs_state *s = state;

        if (!s)
                return;
        pod_logs_free(s->logs);
        pod_free(s->pod);
        free(s);
}

static int logs_filter(const V1alpha__GetLogsRequest *r, struct pod_logs_filter *f,
                       struct rk_error **reterr)
{
        if (r->lines < 0)
                return rk_error_set(reterr, EINVAL, "lines must not be negative");
        if (r->since_time < 0 || r->until_time < 0 || r->since_time > INT64_MAX / NSEC_PER_SEC ||
            r->until_time > INT64_MAX / NSEC_PER_SEC)
                return rk_error_set(reterr, EINVAL,
                                    "since_time and until_time must be seconds "
                                    "since the epoch");
        if (r->until_time && r->since_time > r->until_time)
                return rk_error_set(reterr, EINVAL, "since_time must not be after until_time");
        *f = (struct pod_logs_filter){
                .app = *r->app_name ? r->app_name : NULL,
                .since_ns = r->since_time * NSEC_PER_SEC,
                .until_ns = r->until_time * NSEC_PER_SEC,
                .tail = (uint64_t)r->lines,
        };
        return 0;
}

static int get_logs_open(struct api_ctx *c, const ProtobufCMessage *req, void **ret_state,
                         struct rk_error **reterr)
{
        const V1alpha__GetLogsRequest *r = (const V1alpha__GetLogsRequest *)req;
        struct logs_state *s;
        struct pod_logs_filter f;
        int k;

        k = logs_filter(r, &f, reterr);
        if (k < 0)
                return k;
        s = xnew0(struct logs_state, 1);
        s->follow = r->follow;
        k = api_pod_open(c, r->pod_id, &s->pod, reterr);
        if (k >= 0)
                k = pod_logs_open(s->pod, &f, &s->logs, reterr);
        if (k < 0) {
                get_logs_close(s);
                return k;
        }
        *ret_state = s;
        return 0;
}

/* The records there are now, up to LINES_PER_RESPONSE; NULL when there are none. */
static V1alpha__GetLogsResponse *logs_batch(struct logs_state *s)
{
        V1alpha__GetLogsResponse *resp = NULL;
        struct pod_log_record rec;

        while (!resp || resp->n_lines < LINES_PER_RESPONSE) {
                if (pod_logs_next(s->logs, &rec) <= 0)
                        break;
                if (!resp) {
                        resp = xnew0(V1alpha__GetLogsResponse, 1);
                        v1alpha__get_logs_response__init(resp);
                }
                API_APPEND(resp->lines, resp->n_lines, api_str_utf8(rec.line, rec.line_len));
        }
        return resp;
}

static int get_logs_next(struct api_ctx *c, void *state, ProtobufCMessage **ret,
                         struct rk_error **reterr)
{
        struct logs_state *s = state;
        V1alpha__GetLogsResponse *resp = logs_batch(s);

        if (!resp && s->follow) {
                /* once the pod no longer runs, what its writer left is read, then the end */
                s->follow = pod_logs_follow(s->logs, s->pod);
                resp = logs_batch(s);
                if (!resp)
                        return s->follow ? API_STREAM_WAIT : API_STREAM_END;
        }
        if (!resp)
                return API_STREAM_END;
        *ret = &resp->base;
        return 1;
}

const struct api_stream_ops api_get_logs_ops = {
        .open = get_logs_open,
        .next = get_logs_next,
        .close = get_logs_close,
};
