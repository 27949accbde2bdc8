/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Corpus iteration and expectation checks shared by the schema manifest tests (see
 * corpus-util.h).
 */
#include "corpus-util.h"

#include <dirent.h>
#include <string.h>

#include "json-util.h"
#include "strv.h"
#include "tap.h"

#ifndef SCHEMA_CORPUS_DIR
#error "SCHEMA_CORPUS_DIR must be defined by the build"
#endif

char *corpus_read(const char *path, size_t *ret_len)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0;
        FILE *mem;

        if (!f)
                return NULL;
        mem = open_memstream(&buf, &len);
        for (int c; (c = fgetc(f)) != EOF;)
                fputc(c, mem);
        fclose(mem);
        *ret_len = len;
        return buf;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the files in dir that start with prefix and end in ".json". */
static char **list_corpus(const char *sub, const char *prefix)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", SCHEMA_CORPUS_DIR, sub);
        DIR *d = opendir(dir);
        char **l = xnew0(char *, 1);

        if (!d)
                return l;
        for (struct dirent *de; (de = readdir(d));) {
                size_t len = strlen(de->d_name);

                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && len > 5 &&
                    strcmp(de->d_name + len - 5, ".json") == 0)
                        strv_push(&l, de->d_name);
        }
        closedir(d);
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        return l;
}

/* The text of corpus file sub/name; fails the test when it cannot be read. */
static char *read_corpus(const char *sub, const char *name, size_t *ret_len)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/%s", SCHEMA_CORPUS_DIR, sub, name);
        char *text = corpus_read(path, ret_len);

        if (!text)
                TAP_FAIL("cannot read %s", path);
        return text;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The decoded "_expect" string of an invalid corpus file (found textually). */
static char *corpus_expectation(const char *text)
{
        const char *p = strstr(text, "\"_expect\": \""), *q;
        _cleanup_free_ char *lit = NULL;
        _cleanup_json_ json_t *s = NULL;

        if (!p)
                return NULL;
        p += strlen("\"_expect\": ");
        for (q = p + 1; *q && *q != '"'; q++)
                if (*q == '\\')
                        q++;
        lit = strndup(p, (size_t)(q - p + 1));
        s = json_loads(lit, JSON_DECODE_ANY, NULL);
        return s && json_is_string(s) ? xstrdup(json_string_value(s)) : NULL;
}

void *corpus_parse_ok(const struct corpus_kind *k, const char *text, size_t len, const char *what)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        void *m = NULL;

        if (k->parse(text, len, &m, &e) < 0)
                TAP_FAIL("%s: unexpected error: %s", what, rk_error_render(e, false));
        ASSERT_NULL(e);
        ASSERT_NOT_NULL(m);
        return m;
}

void corpus_parse_fails(const struct corpus_kind *k, const char *text, size_t len,
                        const char *expect, const char *what)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        _cleanup_free_ char *msg = NULL, *prefix = xasprintf("invalid %s: ", k->ac_kind);
        void *m = NULL;
        int r = k->parse(text, len, &m, &e);

        if (r >= 0)
                TAP_FAIL("%s: parsed, expected an error containing \"%s\"", what, expect);
        ASSERT_EQ(r, -EINVAL);
        ASSERT_NULL(m);
        ASSERT_NOT_NULL(e);
        ASSERT_EQ(e->errnum, -r);
        msg = rk_error_render(e, false);
        if (!strstr(msg, expect))
                TAP_FAIL("%s: error \"%s\" does not contain \"%s\"", what, msg, expect);
        ASSERT_TRUE(strncmp(msg, prefix, strlen(prefix)) == 0);
}

void *corpus_load(const struct corpus_kind *k, const char *name)
{
        _cleanup_free_ char *text = NULL;
        size_t len;

        text = read_corpus("valid", name, &len);
        return corpus_parse_ok(k, text, len, name);
}

/* Parses text (NUL-terminated) and serializes the result in the given form (malloc'd). */
static char *reserialize(const struct corpus_kind *k, const char *text, bool pretty,
                         const char *what)
{
        void *m = corpus_parse_ok(k, text, strlen(text), what);
        char *out = k->to_json(m, pretty);

        k->free(m);
        return out;
}

/* parse -> to_json -> parse -> to_json is stable in both forms; returns both first outputs. */
static void check_round_trip(const struct corpus_kind *k, const char *text, size_t len,
                             const char *what, char **ret_compact, char **ret_pretty)
{
        void *m1 = corpus_parse_ok(k, text, len, what);
        _cleanup_free_ char *c1 = k->to_json(m1, false);
        _cleanup_free_ char *p1 = k->to_json(m1, true);
        _cleanup_free_ char *c2 = NULL, *p2 = NULL;

        k->free(m1);
        c2 = reserialize(k, c1, false, what);
        p2 = reserialize(k, p1, true, what);
        if (strcmp(c1, c2) != 0)
                TAP_FAIL("%s: compact round trip differs:\n# %s\n# %s", what, c1, c2);
        if (strcmp(p1, p2) != 0)
                TAP_FAIL("%s: pretty round trip differs", what);
        *ret_compact = TAKE_PTR(c1);
        *ret_pretty = TAKE_PTR(p1);
}

/* Canonical corpus files must come back byte for byte (plus the file's final newline). */
static void check_canonical(const char *name, const char *text, const char *compact,
                            const char *pretty)
{
        const char *want = NULL;
        _cleanup_free_ char *with_nl = NULL;

        if (has_suffix(name, ".canonical.json"))
                want = pretty;
        else if (has_suffix(name, ".compact.json"))
                want = compact;
        if (!want)
                return;
        with_nl = xasprintf("%s\n", want);
        if (strcmp(with_nl, text) != 0)
                TAP_FAIL("%s: not reproduced byte for byte:\n%s", name, with_nl);
}

void corpus_check_valid(const struct corpus_kind *k, size_t min)
{
        _cleanup_strv_free_ char **files = list_corpus("valid", k->prefix);
        size_t n = 0;

        STRV_FOREACH(f, files) {
                _cleanup_free_ char *text = NULL, *compact = NULL, *pretty = NULL;
                size_t len;

                text = read_corpus("valid", *f, &len);
                check_round_trip(k, text, len, *f, &compact, &pretty);
                check_canonical(*f, text, compact, pretty);
                n++;
        }
        printf("# %zu valid %s manifests\n", n, k->what);
        ASSERT_TRUE(n >= min);
}

void corpus_check_invalid(const struct corpus_kind *k, size_t min)
{
        _cleanup_strv_free_ char **files = list_corpus("invalid", k->prefix);
        size_t n = 0;

        STRV_FOREACH(f, files) {
                _cleanup_free_ char *text = NULL, *expect = NULL;
                size_t len;

                text = read_corpus("invalid", *f, &len);
                expect = corpus_expectation(text);
                if (!expect)
                        TAP_FAIL("%s: no \"_expect\" member", *f);
                corpus_parse_fails(k, text, len, expect, *f);
                n++;
        }
        printf("# %zu invalid %s manifests\n", n, k->what);
        ASSERT_TRUE(n >= min);
}
