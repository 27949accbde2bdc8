/* SPDX-License-Identifier: Apache-2.0 */
/* String vectors. */
#include "strv.h"

#include <string.h>

#include "strbuf.h"

size_t strv_length(char *const *l)
{
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

void strv_consume(char ***l, char *s)
{
        size_t n = strv_length(*l);

        *l = oom_check(realloc(*l, (n + 2) * sizeof(char *)));
        (*l)[n] = s;
        (*l)[n + 1] = NULL;
}

void strv_push(char ***l, const char *s)
{
        strv_consume(l, xstrdup(s));
}

bool strv_contains(char *const *l, const char *s)
{
        for (size_t i = 0; l && l[i]; i++)
                if (strcmp(l[i], s) == 0)
                        return true;
        return false;
}

char **strv_copy(char *const *l)
{
        char **c = xnew0(char *, strv_length(l) + 1);

        for (size_t i = 0; l && l[i]; i++)
                c[i] = xstrdup(l[i]);
        return c;
}

char **strv_free(char **l)
{
        for (size_t i = 0; l && l[i]; i++)
                free(l[i]);
        free(l);
        return NULL;
}

char **strv_split(const char *s, char sep)
{
        char **l = xnew0(char *, 1);
        const char *p = s;

        for (;;) {
                const char *e = strchr(p, sep);
                size_t n = e ? (size_t)(e - p) : strlen(p);

                strv_consume(&l, oom_check(strndup(p, n)));
                if (!e)
                        return l;
                p = e + 1;
        }
}

char *strv_join(char *const *l, const char *sep)
{
        struct strbuf sb = STRBUF_INIT;

        for (size_t i = 0; l && l[i]; i++) {
                if (i > 0)
                        strbuf_puts(&sb, sep);
                strbuf_puts(&sb, l[i]);
        }
        return strbuf_detach(&sb);
}

int strv_index(const char *const *l, const char *s)
{
        for (int i = 0; l && l[i]; i++)
                if (strcmp(l[i], s) == 0)
                        return i;
        return -1;
}
