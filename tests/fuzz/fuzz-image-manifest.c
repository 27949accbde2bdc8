/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The image manifest parser (src/schema/image-manifest.c). A manifest it accepts must
 * survive the round trip through its writer: what image_manifest_to_json() writes (compact
 * or pretty) parses again and writes the same bytes, as a stored image's manifest is read
 * back by every later command.
 */
#include <string.h>

#include "fuzz.h"
#include "image-manifest.h"

#define INPUT_MAX (256 << 10)

static void round_trip(const struct image_manifest *m, bool pretty)
{
        _cleanup_(image_manifest_freep) struct image_manifest *again = NULL;
        _cleanup_free_ char *text = image_manifest_to_json(m, pretty), *text2 = NULL;
        struct rk_error *err = NULL;
        int r = image_manifest_parse(text, strlen(text), &again, &err);

        fuzz_check_error(r, &err);
        FUZZ_ASSERT(r >= 0);
        text2 = image_manifest_to_json(again, pretty);
        FUZZ_ASSERT(strcmp(text, text2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(image_manifest_freep) struct image_manifest *m = NULL;
        struct rk_error *err = NULL;
        int r;

        if (size > INPUT_MAX)
                return 0;
        r = image_manifest_parse((const char *)data, size, &m, &err);
        fuzz_check_error(r, &err);
        if (r < 0)
                return 0;
        (void)image_manifest_get_label(m, "version");
        (void)image_manifest_get_annotation(m, "created");
        round_trip(m, false);
        round_trip(m, true);
        return 0;
}
