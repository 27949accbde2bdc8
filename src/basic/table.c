/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Elastic-tabstop table layout compatible with Go's text/tabwriter in the configuration rkt
 * uses for all its tables (see table.h). libc only.
 */
#include "table.h"

#include <stdarg.h>
#include <string.h>

#include "escape.h"
#include "strbuf.h"
#include "strv.h"

#define TABLE_TABWIDTH 8
#define TABLE_PADDING  1

struct table {
        char ***rows; /* each row a strv of cells */
        size_t n_rows;
        size_t alloc;
};

struct table *table_new(void)
{
        return xnew0(struct table, 1);
}

struct table *table_free(struct table *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows; i++)
                strv_free(t->rows[i]);
        free(t->rows);
        free(t);
        return NULL;
}

/* Appends a row, taking ownership of cells (a strv, never NULL), each cell escaped. */
static void table_consume_row(struct table *t, char **cells)
{
        for (char **c = cells; *c; c++) {
                char *e = escape_nonprint(*c, NULL);
                free(*c);
                *c = e;
        }
        if (t->n_rows == t->alloc) {
                t->alloc = MAX(t->alloc * 2, (size_t)16);
                t->rows = oom_check(realloc(t->rows, t->alloc * sizeof(char **)));
        }
        t->rows[t->n_rows++] = cells;
}

void table_add_row(struct table *t, char *const *cells)
{
        char **copy = strv_copy(cells);

        table_consume_row(t, copy ? copy : xnew0(char *, 1));
}

void table_add_cells(struct table *t, const char *cell, ...)
{
        char **row = xnew0(char *, 1);
        va_list ap;

        va_start(ap, cell);
        for (const char *c = cell; c; c = va_arg(ap, const char *))
                strv_push(&row, c);
        va_end(ap);
        table_consume_row(t, row);
}

void table_add_line(struct table *t, const char *text)
{
        _cleanup_strv_free_ char **lines = strv_split(text, '\n');
        size_t n = strv_length(lines);

        /* "a\n" is one line, as for a writer; "" is one empty line. */
        if (n > 1 && lines[n - 1][0] == '\0')
                n--;
        for (size_t i = 0; i < n; i++)
                table_consume_row(t, strv_split(lines[i], '\t'));
}

void table_add_linef(struct table *t, const char *fmt, ...)
{
        _cleanup_free_ char *line = FORMAT_VARARGS(fmt);

        table_add_line(t, line);
}

size_t table_rows(const struct table *t)
{
        return t->n_rows;
}

/* Counts runes like Go's utf8.RuneCountInString: each invalid byte counts as one rune. */
static size_t utf8_width(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n = 0;

        while (*p) {
                size_t len = utf8_valid_len(p);

                p += len > 0 ? len : 1;
                n++;
        }
        return n;
}

/* Number of padded (column) cells of a row: all but the last one. */
static size_t row_columns(char *const *row)
{
        size_t n = strv_length(row);

        return n > 0 ? n - 1 : 0;
}

/*
 * Computes widths[r][c] (text width + padding, before tab rounding) for every padded cell:
 * the maximum over the column block, i.e. the run of adjacent rows that have column c.
 */
static size_t **table_compute_widths(const struct table *t)
{
        size_t **widths = xnew0(size_t *, t->n_rows + 1);
        size_t max_cols = 0;

        for (size_t r = 0; r < t->n_rows; r++) {
                size_t cols = row_columns(t->rows[r]);

                widths[r] = xnew0(size_t, cols + 1);
                max_cols = MAX(max_cols, cols);
        }
        for (size_t c = 0; c < max_cols; c++) {
                size_t r = 0;

                while (r < t->n_rows) {
                        size_t start = r, width = 0;

                        if (row_columns(t->rows[r]) <= c) {
                                r++;
                                continue;
                        }
                        for (; r < t->n_rows && row_columns(t->rows[r]) > c; r++)
                                width = MAX(width, utf8_width(t->rows[r][c]) + TABLE_PADDING);
                        for (size_t k = start; k < r; k++)
                                widths[k][c] = width;
                }
        }
        return widths;
}

/* Appends the TABs that move a cell of textw runes to the end of a column of width cellw. */
static void table_put_padding(struct strbuf *sb, size_t textw, size_t cellw)
{
        size_t n;

        cellw = (cellw + TABLE_TABWIDTH - 1) / TABLE_TABWIDTH * TABLE_TABWIDTH;
        n = (cellw - textw + TABLE_TABWIDTH - 1) / TABLE_TABWIDTH;
        for (size_t i = 0; i < n; i++)
                strbuf_putc(sb, '\t');
}

char *table_render(const struct table *t)
{
        struct strbuf sb = STRBUF_INIT;
        size_t **widths = table_compute_widths(t);

        for (size_t r = 0; r < t->n_rows; r++) {
                char **row = t->rows[r];
                size_t cols = row_columns(row);

                for (size_t c = 0; row[c]; c++) {
                        strbuf_puts(&sb, row[c]);
                        if (c < cols)
                                table_put_padding(&sb, utf8_width(row[c]), widths[r][c]);
                }
                strbuf_putc(&sb, '\n');
        }
        for (size_t r = 0; r < t->n_rows; r++)
                free(widths[r]);
        free(widths);
        return strbuf_detach(&sb);
}
