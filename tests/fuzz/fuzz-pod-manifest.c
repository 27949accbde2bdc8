/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod manifest parser (src/schema/pod-manifest.c). A manifest it accepts must survive
 * the round trip through its writer: what pod_manifest_to_json() writes (compact or pretty)
 * parses again and writes the same bytes, as stage1, list and status read back the
 * manifest stage0 wrote.
 */
#include <string.h>

#include "fuzz.h"
#include "pod-manifest.h"

#define INPUT_MAX (256 << 10)

static void round_trip(const struct pod_manifest *m, bool pretty)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *again = NULL;
        _cleanup_free_ char *text = pod_manifest_to_json(m, pretty), *text2 = NULL;
        struct rk_error *err = NULL;
        int r = pod_manifest_parse(text, strlen(text), &again, &err);

        fuzz_check_error(r, &err);
        FUZZ_ASSERT(r >= 0);
        text2 = pod_manifest_to_json(again, pretty);
        FUZZ_ASSERT(strcmp(text, text2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;
        struct rk_error *err = NULL;
        int r;

        if (size > INPUT_MAX)
                return 0;
        r = pod_manifest_parse((const char *)data, size, &m, &err);
        fuzz_check_error(r, &err);
        if (r < 0)
                return 0;
        for (size_t i = 0; i < m->n_apps; i++)
                FUZZ_ASSERT(pod_manifest_find_app(m, m->apps[i].name) == &m->apps[i]);
        for (size_t i = 0; i < m->n_volumes; i++)
                FUZZ_ASSERT(pod_manifest_find_volume(m, m->volumes[i].name));
        round_trip(m, false);
        round_trip(m, true);
        return 0;
}
