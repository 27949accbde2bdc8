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
