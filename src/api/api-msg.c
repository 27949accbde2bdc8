/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building response messages: every string, array and sub-message on the heap (or protoc-c's
 * default empty string), so that protobuf_c_message_free_unpacked() frees a whole response.
 * Runs in: rkt api-service (any worker thread).
 */
#include <grpc/status.h>
#include <string.h>

#include "api-private.h"
#include "escape.h"
#include "strbuf.h"
#include "types.h"

int api_status_of(int errnum)
{
        switch (errnum) {
        case ENOENT:
                return GRPC_STATUS_NOT_FOUND;
        case EINVAL:
        case E2BIG:
        case ERANGE:
                return GRPC_STATUS_INVALID_ARGUMENT;
        case EACCES:
        case EPERM:
                return GRPC_STATUS_PERMISSION_DENIED;
        case EOPNOTSUPP:
                return GRPC_STATUS_FAILED_PRECONDITION;
        case ECANCELED:
                return GRPC_STATUS_CANCELLED;
        case ENOMEM:
        case EMFILE:
        case ENFILE:
                return GRPC_STATUS_RESOURCE_EXHAUSTED;
        case ENOSYS: /* rkt's plain Go errors ("not implemented yet") reached clients as UNKNOWN */
        default:
                return GRPC_STATUS_UNKNOWN;
        }
}

char *api_str(const char *s)
{
        if (!s || !*s)
                return (char *)protobuf_c_empty_string;
        return xstrdup(s);
}

char *api_str_utf8(const char *s, size_t len)
{
        struct strbuf sb = STRBUF_INIT;
        size_t i = 0;

        if (len == 0)
                return (char *)protobuf_c_empty_string;
        while (i < len) {
                size_t n = s[i] ? utf8_valid_len((const unsigned char *)s + i) : 1;
                if (n == 0 || i + n > len) {
                        strbuf_puts(&sb, "\xef\xbf\xbd"); /* U+FFFD */
                        i++;
                        continue;
                }
                strbuf_add(&sb, s + i, n);
                i += n;
        }
        return strbuf_detach(&sb);
}

V1alpha__KeyValue *api_key_value(const char *key, const char *value)
{
        V1alpha__KeyValue *kv = xnew0(V1alpha__KeyValue, 1);

        v1alpha__key_value__init(kv);
        kv->key = api_str(key);
        kv->value = api_str(value);
        return kv;
}

void api_add_labels(V1alpha__KeyValue ***items, size_t *n, const struct ac_labels *l)
{
        for (size_t i = 0; i < l->n; i++)
                API_APPEND(*items, *n, api_key_value(l->items[i].name, l->items[i].value));
}

void api_msg_free(void *m)
{
        if (m)
                protobuf_c_message_free_unpacked(m, NULL);
}
