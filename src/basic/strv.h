/* SPDX-License-Identifier: Apache-2.0 */
/* NULL-terminated string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)

size_t strv_length(char *const *l);
/* Appends a copy of s (or takes s with strv_consume). */
void strv_push(char ***l, const char *s);
void strv_consume(char ***l, char *s);
bool strv_contains(char *const *l, const char *s);
char **strv_copy(char *const *l);
/* NULL-safe; returns NULL. */
char **strv_free(char **l);
static inline void strv_freep(char ***l)
{
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
/* Splits s at every separator character; empty fields kept. Never returns NULL. */
char **strv_split(const char *s, char sep);
char *strv_join(char *const *l, const char *sep);
/* The index of the first element equal to s, or -1. */
int strv_index(const char *const *l, const char *s);
