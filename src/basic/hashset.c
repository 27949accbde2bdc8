/* SPDX-License-Identifier: Apache-2.0 */
/* String hash set with integer values. */
#include "hashset.h"

#include <stdint.h>
#include <string.h>

#include "macro.h"

static uint64_t hash_str(const char *s, size_t len)
{
        uint64_t h = 1469598103934665603ULL;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ULL;
        }
        return h;
}

static size_t hashset_slot(const struct hashset *h, const char *key, size_t len)
{
        size_t i = hash_str(key, len) & (h->cap - 1);

        while (h->keys[i] && (strncmp(h->keys[i], key, len) != 0 || h->keys[i][len] != '\0'))
                i = (i + 1) & (h->cap - 1);
        return i;
}

static void hashset_grow(struct hashset *h)
{
        struct hashset bigger = {NULL, NULL, 0, h->cap ? h->cap * 2 : 64};

        bigger.keys = xnew0(char *, bigger.cap);
        bigger.values = xnew0(long, bigger.cap);
        for (size_t i = 0; i < h->cap; i++) {
                size_t j;

                if (!h->keys[i])
                        continue;
                j = hashset_slot(&bigger, h->keys[i], strlen(h->keys[i]));
                bigger.keys[j] = h->keys[i];
                bigger.values[j] = h->values[i];
                bigger.n++;
        }
        free(h->keys);
        free(h->values);
        *h = bigger;
}

int hashset_put(struct hashset *h, const char *key, long value)
{
        size_t i;

        if ((h->n + 1) * 2 > h->cap)
                hashset_grow(h);
        i = hashset_slot(h, key, strlen(key));
        h->values[i] = value;
        if (h->keys[i])
                return 0;
        h->keys[i] = xstrdup(key);
        h->n++;
        return 1;
}

bool hashset_get(const struct hashset *h, const char *key, long *ret_value)
{
        return hashset_get_n(h, key, strlen(key), ret_value);
}

bool hashset_get_n(const struct hashset *h, const char *key, size_t len, long *ret_value)
{
        size_t i;

        if (h->cap == 0)
                return false;
        i = hashset_slot(h, key, len);
        if (!h->keys[i])
                return false;
        if (ret_value)
                *ret_value = h->values[i];
        return true;
}

void hashset_done(struct hashset *h)
{
        for (size_t i = 0; i < h->cap; i++)
                free(h->keys[i]);
        free(h->keys);
        free(h->values);
        *h = (struct hashset)HASHSET_INIT;
}
