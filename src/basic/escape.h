/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Untrusted text made safe for a terminal or a line-based file. Image names, labels and
 * manifests reach rkt's tables and messages; a control character there could rewrite the
 * user's terminal (ESC sequences, C1 CSI) or add lines and cells. libc only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The length of the valid UTF-8 sequence at p (never at its NUL), or 0 if it is invalid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid).
 */
size_t utf8_valid_len(const unsigned char *p);

/* Whether s holds a C0 control character (U+0000-U+001F) or DEL. */
bool escape_has_control(const char *s);

/*
 * A copy of s with every character that does not print escaped in the style of Go's %q:
 * C0 controls and DEL as \a \b \t \n \v \f \r or \xHH, invalid UTF-8 bytes as \xHH, and the
 * invisible or reordering code points (C1 controls U+0080-U+009F, soft hyphen, zero-width
 * and bidirectional marks, line and paragraph separators, BOM) as \uXXXX. Characters of
 * keep (ASCII, may be NULL) stay as they are; a backslash is never escaped. Returns a
 * malloc'd string; never NULL.
 */
char *escape_nonprint(const char *s, const char *keep);
