/* SPDX-License-Identifier: Apache-2.0 */
/* A growable, always NUL-terminated string buffer (git's strbuf, reduced). */
#pragma once

#include <stddef.h>

#include "macro.h"

struct strbuf {
        char *buf; /* NULL until something is added; strbuf_str() never returns NULL */
        size_t len;
        size_t alloc;
};

#define STRBUF_INIT        \
        {                  \
                NULL, 0, 0 \
        }

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
/* Current contents; "" when empty. Valid until the next modification. */
const char *strbuf_str(const struct strbuf *sb);
/* Returns the malloc'd contents (never NULL) and resets sb. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
