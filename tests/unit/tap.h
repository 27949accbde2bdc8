/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny TAP test harness. Each test program defines its tests with TEST(name) { ... } and
 * ends with TAP_MAIN. Assertions print a diagnostic and fail the current test; the program
 * prints "ok N - name" / "not ok N - name" and exits 1 when any test failed, 77 when all
 * tests were skipped (TEST_SKIP()).
 */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_test {
        const char *name;
        void (*fn)(void);
};

#define TAP_MAX_TESTS 512
extern struct tap_test tap_tests[TAP_MAX_TESTS];
extern int tap_n_tests;
extern jmp_buf tap_jmp;
extern int tap_skipped;

#define TEST(tname)                                                                         \
        static void test_##tname(void);                                                     \
        __attribute__((constructor)) static void register_##tname(void)                     \
        {                                                                                   \
                if (tap_n_tests < TAP_MAX_TESTS)                                            \
                        tap_tests[tap_n_tests++] = (struct tap_test){#tname, test_##tname}; \
        }                                                                                   \
        static void test_##tname(void)

#define TAP_FAIL(...)                                    \
        do {                                             \
                printf("# %s:%d: ", __FILE__, __LINE__); \
                printf(__VA_ARGS__);                     \
                printf("\n");                            \
                longjmp(tap_jmp, 1);                     \
        } while (0)

#define TEST_SKIP(why)                       \
        do {                                 \
                printf("# skip: %s\n", why); \
                tap_skipped = 1;             \
                longjmp(tap_jmp, 2);         \
        } while (0)

#define ASSERT_TRUE(x)                                     \
        do {                                               \
                if (!(x))                                  \
                        TAP_FAIL("expected true: %s", #x); \
        } while (0)
#define ASSERT_FALSE(x) ASSERT_TRUE(!(x))
#define ASSERT_OK(expr)                                                       \
        do {                                                                  \
                long long _r = (long long)(expr);                             \
                if (_r < 0)                                                   \
                        TAP_FAIL("%s failed: %s", #expr, strerror((int)-_r)); \
        } while (0)
#define ASSERT_ERRNO(expr, e)                                                      \
        do {                                                                       \
                long long _r = (long long)(expr);                                  \
                if (_r != -(e))                                                    \
                        TAP_FAIL("%s returned %lld, expected -%s", #expr, _r, #e); \
        } while (0)
#define ASSERT_FAIL(expr)                                                  \
        do {                                                               \
                long long _r = (long long)(expr);                          \
                if (_r >= 0)                                               \
                        TAP_FAIL("%s succeeded, expected failure", #expr); \
        } while (0)
#define ASSERT_EQ(a, b)                                                              \
        do {                                                                         \
                long long _a = (long long)(a), _b = (long long)(b);                  \
                if (_a != _b)                                                        \
                        TAP_FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b); \
        } while (0)
#define ASSERT_STREQ(a, b)                                                                \
        do {                                                                              \
                const char *_a = (a), *_b = (b);                                          \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                    \
                        TAP_FAIL("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", \
                                 _b ? _b : "(null)");                                     \
        } while (0)
#define ASSERT_NULL(x)     ASSERT_TRUE((x) == NULL)
#define ASSERT_NOT_NULL(x) ASSERT_TRUE((x) != NULL)
/* Asserts that haystack contains needle. */
#define ASSERT_CONTAINS(h, n)                                                               \
        do {                                                                                \
                const char *_h = (h), *_n = (n);                                            \
                if (!_h || !strstr(_h, _n))                                                 \
                        TAP_FAIL("\"%s\" does not contain \"%s\"", _h ? _h : "(null)", _n); \
        } while (0)

#define TAP_MAIN                                                                         \
        struct tap_test tap_tests[TAP_MAX_TESTS];                                        \
        int tap_n_tests;                                                                 \
        jmp_buf tap_jmp;                                                                 \
        int tap_skipped;                                                                 \
        int main(void)                                                                   \
        {                                                                                \
                volatile int failed = 0, skipped = 0;                                    \
                printf("1..%d\n", tap_n_tests);                                          \
                for (int i = 0; i < tap_n_tests; i++) {                                  \
                        int k = setjmp(tap_jmp);                                         \
                        if (k == 0) {                                                    \
                                tap_tests[i].fn();                                       \
                                printf("ok %d - %s\n", i + 1, tap_tests[i].name);        \
                        } else if (k == 2) {                                             \
                                printf("ok %d - %s # SKIP\n", i + 1, tap_tests[i].name); \
                                skipped++;                                               \
                        } else {                                                         \
                                printf("not ok %d - %s\n", i + 1, tap_tests[i].name);    \
                                failed++;                                                \
                        }                                                                \
                        fflush(stdout);                                                  \
                }                                                                        \
                if (failed)                                                              \
                        return 1;                                                        \
                return skipped == tap_n_tests && tap_n_tests > 0 ? 77 : 0;               \
        }
