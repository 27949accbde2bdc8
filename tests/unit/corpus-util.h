/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared helpers for the schema corpus tests (test-schema-image.c, test-schema-pod.c): reading
 * the valid and invalid corpora under SCHEMA_CORPUS_DIR and checking one manifest kind's parse,
 * round-trip and error contracts. Every check fails the current TAP test (tap.h) on mismatch.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* One manifest kind, described by the test program through void-pointer wrappers. */
struct corpus_kind {
        const char *ac_kind; /* "ImageManifest": errors must start "invalid <ac_kind>: " */
        const char *prefix;  /* corpus file name prefix, e.g. "image-" */
        const char *what;    /* word for the summary line, e.g. "image" */
        /* The kind's parser: 0 and *ret set, or a negative errno with *reterr set. */
        int (*parse)(const char *text, size_t len, void **ret, struct rk_error **reterr);
        /* The kind's serializer: malloc'd canonical JSON text. */
        char *(*to_json)(const void *m, bool pretty);
        /* Frees a parsed manifest (NULL-safe). */
        void (*free)(void *m);
};

/* The whole file at path, malloc'd and NUL-terminated, its length in *ret_len; NULL if unreadable.
 */
char *corpus_read(const char *path, size_t *ret_len);

/* Parses text, which must succeed without setting an error; returns the manifest. */
void *corpus_parse_ok(const struct corpus_kind *k, const char *text, size_t len, const char *what);

/*
 * Parses text, which must fail with -EINVAL, no manifest, an error whose errnum matches, whose
 * rendering contains expect and starts with "invalid <ac_kind>: ".
 */
void corpus_parse_fails(const struct corpus_kind *k, const char *text, size_t len,
                        const char *expect, const char *what);

/* Parses the valid corpus file name (which must be readable) and returns the manifest. */
void *corpus_load(const struct corpus_kind *k, const char *name);

/*
 * Checks every valid/<prefix>*.json: the parse -> to_json -> parse -> to_json round trip is
 * stable in both forms, and *.canonical.json / *.compact.json come back byte for byte. Prints
 * the count and asserts there are at least min files.
 */
void corpus_check_valid(const struct corpus_kind *k, size_t min);

/*
 * Checks every invalid/<prefix>*.json: it has an "_expect" member and fails to parse as
 * corpus_parse_fails() describes, with that expectation. Prints the count and asserts there are
 * at least min files.
 */
void corpus_check_invalid(const struct corpus_kind *k, size_t min);

/*
 * Defines `static const struct corpus_kind name` for a manifest type `struct T` whose API is
 * T_parse(), T_to_json() and T_free(), with the void-pointer wrappers it needs.
 */
#define CORPUS_KIND_DEFINE(name, T, ac_kind_, prefix_, what_)              \
        static int name##_parse(const char *text, size_t len, void **ret,  \
                                struct rk_error **reterr)                  \
        {                                                                  \
                struct T *m = NULL;                                        \
                int r = T##_parse(text, len, &m, reterr);                  \
                *ret = m;                                                  \
                return r;                                                  \
        }                                                                  \
        static char *name##_to_json(const void *m, bool pretty)            \
        {                                                                  \
                return T##_to_json(m, pretty);                             \
        }                                                                  \
        static void name##_free(void *m)                                   \
        {                                                                  \
                T##_free(m);                                               \
        }                                                                  \
        static const struct corpus_kind name = {.ac_kind = ac_kind_,       \
                                                .prefix = prefix_,         \
                                                .what = what_,             \
                                                .parse = name##_parse,     \
                                                .to_json = name##_to_json, \
                                                .free = name##_free}
