/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text tables laid out exactly like Go's text/tabwriter as rkt configures it: minwidth 0,
 * tabwidth 8, padding 1, pad character TAB, no flags (SPEC.md §1.4 "Tables").
 *
 * A table is a list of rows; a row is a list of cells. Every cell but the last of a row is
 * TAB-terminated in tabwriter terms and belongs to a column; the last cell of a row is never
 * padded. A column block is a run of consecutive rows that have a padded cell in that column;
 * its width is the widest cell text (in UTF-8 runes) + 1, rounded up to a multiple of 8, and
 * each padded cell is followed by ceil((width - textwidth) / 8) TABs (at least one).
 */
#pragma once

#include <stddef.h>

#include "macro.h"

struct table;

/* Returns a new empty table; never NULL (OOM aborts). Free with table_free(). */
struct table *table_new(void);

/* Frees t and its rows; NULL-safe; returns NULL. */
struct table *table_free(struct table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct table *, table_free);

/*
 * Appends a row with copies of the cells of the NULL-terminated vector cells (NULL or empty
 * appends an empty line). Every cell is stored escaped (escape.h: escape_nonprint()): a TAB,
 * newline or terminal control inside a cell is written as "\t", "\n", "\x1b", ... and the
 * escaped text is what counts for the column width. Use table_add_line() for tabwriter's
 * splitting.
 */
void table_add_row(struct table *t, char *const *cells);

/* Like table_add_row() with the cells as arguments, terminated by NULL. */
void table_add_cells(struct table *t, const char *cell, ...) __attribute__((sentinel));

/*
 * Appends text as if it had been written to a tabwriter: it is split into rows at '\n' (one
 * trailing '\n' does not add an empty row) and each row into cells at every TAB, so
 * "a\tb\tc" is the row {"a", "b", "c"} and "a\t" is {"a", ""}. Cells are escaped as with
 * table_add_row(); untrusted text belongs in table_add_row() or table_add_cells().
 */
void table_add_line(struct table *t, const char *text);

/* Formats a line with printf() rules and appends it with table_add_line(). */
void table_add_linef(struct table *t, const char *fmt, ...) _printf_(2, 3);

/* Returns the number of rows added so far. */
size_t table_rows(const struct table *t);

/*
 * Renders the table: every row ends with "\n"; an empty table renders as "". Returns a
 * malloc'd string; never NULL. The table is not modified.
 */
char *table_render(const struct table *t);
