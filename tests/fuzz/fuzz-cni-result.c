/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CNI plugin results (src/net/cni.c) as the pod's network setup reads them: the result
 * object of any CNI version, the pod's IPv4 address, prefix and gateway in it, and the
 * resolv.conf body made from its "dns" object.
 */
#include <string.h>

#include "fuzz.h"
#include "json-util.h"
#include "net-private.h"
#include "net.h"

#define INPUT_MAX (256 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *why = NULL, *ip = NULL, *gateway = NULL, *resolv = NULL;
        _cleanup_json_ json_t *result = NULL;
        int prefix = 0;

        if (size > INPUT_MAX)
                return 0;
        result = cni_result_parse((const char *)data, size, &why);
        FUZZ_ASSERT(!!result != !!why);
        if (!result)
                return 0;
        FUZZ_ASSERT(json_is_object(result));
        if (cni_result_ip4(result, &ip, &prefix, &gateway) >= 0)
                FUZZ_ASSERT(ip);
        resolv = net_resolv_conf("# generated", json_object_get(result, "dns"));
        return 0;
}
