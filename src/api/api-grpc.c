/* SPDX-License-Identifier: Apache-2.0 */
/* libgrpc, opened when the service starts (api-grpc.h). Runs in: rkt api-service. */
#define API_GRPC_IMPL
#include "api-grpc.h"

#include "dlopen-util.h"

#define API_GRPC_DEFINE(fn) typeof(fn) *sym_##fn;
API_GRPC_SYMS(API_GRPC_DEFINE)
#undef API_GRPC_DEFINE

int api_grpc_load(struct rk_error **reterr)
{
        static void *handle;
#define API_GRPC_ENTRY(fn) {#fn, &sym_##fn},
        static const struct dl_sym syms[] = {API_GRPC_SYMS(API_GRPC_ENTRY)};
#undef API_GRPC_ENTRY

        return dlopen_syms(&handle, "libgrpc.so.29", "gRPC (package libgrpc29)", syms,
                           ELEMENTSOF(syms), reterr);
}
