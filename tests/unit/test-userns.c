/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the user namespace id ranges of src/basic/userns.h (--private-users,
 * SPEC.md §6.3 private-users-prepared): parsing, overlap, shifting and unshifting ids.
 */
#include <errno.h>
#include <stdint.h>

#include "macro.h"
#include "tap.h"
#include "userns.h"

TEST(parse_good)
{
        struct userns_range r;

        ASSERT_OK(userns_range_parse("1966080:65536", &r));
        ASSERT_EQ(r.shift, 1966080u);
        ASSERT_EQ(r.count, 65536u);
        ASSERT_OK(userns_range_parse("4294901760:65536", &r)); /* up to 2^32 */
        ASSERT_EQ(r.shift, 4294901760u);
        ASSERT_OK(userns_range_parse("1:1", &r));
}

TEST(parse_bad)
{
        static const char *const bad[] = {
                "",
                ":",
                "0:65536",
                "65536:0",
                "65536",
                "65536:",
                ":65536",
                "x:1",
                "1:x",
                "-1:1",
                "+1:1",
                "01:1",
                "1:01",
                " 1:1",
                "1:1 ",
                "1:1:1",
                "4294967296:1",
                "4294901760:65537",
                "99999999999:1",
        };
        struct userns_range r;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_ERRNO(userns_range_parse(bad[i], &r), EINVAL);
        ASSERT_ERRNO(userns_range_parse(NULL, &r), EINVAL);
}

TEST(overlaps)
{
        struct userns_range a = {65536, 65536}, b = {131072, 65536}, c = {131071, 2};

        ASSERT_FALSE(userns_range_overlaps(&a, &b));
        ASSERT_FALSE(userns_range_overlaps(&b, &a));
        ASSERT_TRUE(userns_range_overlaps(&a, &a));
        ASSERT_TRUE(userns_range_overlaps(&a, &c));
        ASSERT_TRUE(userns_range_overlaps(&c, &b));
}

TEST(shift_and_unshift)
{
        struct userns_range r = {196608, 65536};

        ASSERT_EQ(userns_range_shift(&r, 0), 196608u);
        ASSERT_EQ(userns_range_shift(&r, 1000), 197608u);
        ASSERT_EQ(userns_range_shift(&r, 65535), 262143u);
        ASSERT_EQ(userns_range_shift(&r, 70000), 196608u + 65534u); /* beyond: nobody */
        ASSERT_EQ(userns_range_unshift(&r, 196608), 0u);
        ASSERT_EQ(userns_range_unshift(&r, 262143), 65535u);
        ASSERT_EQ(userns_range_unshift(&r, 262144), 262144u); /* outside: as it is */
        ASSERT_EQ(userns_range_unshift(&r, 0), 0u);
}

TAP_MAIN
