/* SPDX-License-Identifier: Apache-2.0 */
/* A set of strings mapping each to an integer value (open addressing, FNV-1a). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct hashset {
        char **keys;
        long *values;
        size_t n;
        size_t cap;
};

#define HASHSET_INIT             \
        {                        \
                NULL, NULL, 0, 0 \
        }

/* Adds a copy of key with value, or updates the value. Returns 1 when added, 0 when it
 * existed. */
int hashset_put(struct hashset *h, const char *key, long value);
/* Looks key up; returns true and sets *ret_value (if non-NULL) when present. */
bool hashset_get(const struct hashset *h, const char *key, long *ret_value);
/* Like hashset_get() for the first len bytes of key. */
bool hashset_get_n(const struct hashset *h, const char *key, size_t len, long *ret_value);
void hashset_done(struct hashset *h);
