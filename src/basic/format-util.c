/* SPDX-License-Identifier: Apache-2.0 */
/* Size formatting for tables (rkt image list). No libm: the arithmetic is done by hand. */
#include "format-util.h"

#include <inttypes.h>

#include "macro.h"

char *format_size_iec(uint64_t bytes)
{
        static const char *const suffixes[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double base = 1, v;
        unsigned e = 0;

        if (bytes < 10)
                return xasprintf("%" PRIu64 "B", bytes);

        while (e + 1 < ELEMENTSOF(suffixes) && bytes / 1024 >= (uint64_t)base) {
                base *= 1024;
                e++;
        }
        /* floor(x + 0.5) for 0 <= x < 2^63, without libm. */
        v = (double)(uint64_t)((double)bytes / base * 10 + 0.5) / 10;
        if (v < 10)
                return xasprintf("%.1f%s", v, suffixes[e]);
        return xasprintf("%.0f%s", v, suffixes[e]);
}

void hex_encode(const void *data, size_t len, char *out)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = data;

        for (size_t i = 0; i < len; i++) {
                out[2 * i] = hex[p[i] >> 4];
                out[2 * i + 1] = hex[p[i] & 15];
        }
        out[2 * len] = '\0';
}
