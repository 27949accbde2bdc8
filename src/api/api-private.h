/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the files of the api module. Runs in: rkt api-service. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "api.pb-c.h"

struct store;

/*
 * What a method handler sees. One worker thread runs a call from start to end; the store
 * handle is that thread's own (an SQLite connection is not shared between threads).
 */
struct api_ctx {
        const struct api_options *o;
        struct store *store;
        struct api_pod_cache *cache; /* shared by the workers, locked inside */
};

/*
 * A unary method: returns 0 with the response in *ret (a message tree whose every string,
 * array and sub-message is malloc'd or a protoc-c default: freed with
 * protobuf_c_message_free_unpacked(m, NULL)), or < 0 with reterr set; the errnum chooses the
 * gRPC status (api_status_of()).
 */
typedef int (*api_unary_fn)(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                            struct rk_error **reterr);

/* What a stream's next() returns besides a message (1) and an error (< 0). */
enum {
        API_STREAM_WAIT = 0, /* nothing now: called again at the next tick (about 200 ms) */
        API_STREAM_END = 2,  /* the stream ends with status OK */
};

/* A server-streaming method. */
struct api_stream_ops {
        /* Validates the request and sets up *ret_state; < 0 ends the call with that status. */
        int (*open)(struct api_ctx *c, const ProtobufCMessage *req, void **ret_state,
                    struct rk_error **reterr);
        /* The next response in *ret (as for api_unary_fn), API_STREAM_WAIT, API_STREAM_END,
         * or < 0 with reterr set. Never blocks. */
        int (*next)(struct api_ctx *c, void *state, ProtobufCMessage **ret,
                    struct rk_error **reterr);
        void (*close)(void *state);
};

/* The gRPC status code for a handler's errnum (NOT_FOUND for ENOENT, ...). */
int api_status_of(int errnum);

/* --- message building (api-msg.c): every string malloc'd, "" as protoc-c's default --- */

/* A copy of s for a string field (NULL and "" give the field's default, never freed). */
char *api_str(const char *s);
/* A copy of s with each invalid UTF-8 byte replaced by U+FFFD (proto3 strings are UTF-8). */
char *api_str_utf8(const char *s, size_t len);
/* A new KeyValue. */
V1alpha__KeyValue *api_key_value(const char *key, const char *value);
struct ac_labels;
/* Appends a KeyValue per pair of l to (*items, *n), in l's order. */
void api_add_labels(V1alpha__KeyValue ***items, size_t *n, const struct ac_labels *l);
/* Appends item to the repeated field (items, n) of a message. */
#define API_APPEND(items, n, item)                                                   \
        do {                                                                         \
                (items) = oom_check(realloc((items), ((n) + 1) * sizeof(*(items)))); \
                (items)[(n)++] = (item);                                             \
        } while (0)
/* Whether every pair of want is in have (same key, same value): rkt's containsAllKeyValues. */
bool api_has_key_values(V1alpha__KeyValue **have, size_t n_have, V1alpha__KeyValue **want,
                        size_t n_want);
/* The message m (any type) freed with its tree; NULL-safe. */
void api_msg_free(void *m);

/* --- handlers --- */

int api_get_info(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                 struct rk_error **reterr);
int api_list_pods(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                  struct rk_error **reterr);
int api_inspect_pod(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                    struct rk_error **reterr);
int api_list_images(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                    struct rk_error **reterr);
int api_inspect_image(struct api_ctx *c, const ProtobufCMessage *req, ProtobufCMessage **ret,
                      struct rk_error **reterr);
extern const struct api_stream_ops api_listen_events_ops;
extern const struct api_stream_ops api_get_logs_ops;

struct pod;
/* pod_open() of a pod ID (a UUID or unique prefix) for a request; NOT_FOUND when there is no
 * pods directory yet (the service does not create it). */
int api_pod_open(struct api_ctx *c, const char *id, struct pod **ret, struct rk_error **reterr);

/* --- the pod cache (api-pods.c): what never changes in a pod, parsed once --- */

struct api_pod_cache *api_pod_cache_new(void);
void api_pod_cache_free(struct api_pod_cache *c);
