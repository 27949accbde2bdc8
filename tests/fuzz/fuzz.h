/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every fuzz target shares (README.md). A target defines LLVMFuzzerTestOneInput(), and
 * LLVMFuzzerInitialize() when it needs setup; it is linked either with libFuzzer (scripts/
 * fuzz.sh) or with fuzz-main.c, which replays saved inputs. A target must be deterministic,
 * free everything it allocates, and leave no files behind: the replay runs under LeakSanitizer.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Stops the process with a message naming a broken invariant (a finding like a crash). */
#define FUZZ_ASSERT(expr)                                     \
        do {                                                  \
                if (!(expr))                                  \
                        fuzz_fail(__FILE__, __LINE__, #expr); \
        } while (0)
_noreturn_ void fuzz_fail(const char *file, int line, const char *what);

/* Checks error.h's contract for a call that returned r with *err: set if and only if r < 0,
 * and then with errnum == -r and a message; renders it both ways, frees it, resets *err. */
void fuzz_check_error(int r, struct rk_error **err);

/* The input as a NUL-terminated string (malloc'd; a NUL inside ends it early). */
char *fuzz_string(const uint8_t *data, size_t size);

/* The input split at every byte sep into a NULL-terminated vector of strings (each piece
 * up to its first NUL when sep is not NUL). */
char **fuzz_split(const uint8_t *data, size_t size, char sep);

/* A scratch directory of this process (under $TMPDIR, else /dev/shm, else /tmp), created on
 * first use and removed at exit. Returns its descriptor; *ret_path (optional) its path. */
int fuzz_scratch(const char **ret_path);

/* A new empty directory below the scratch directory; *ret_name is its name there
 * (malloc'd). Remove it with fuzz_scratch_remove(). Returns its descriptor. */
int fuzz_scratch_dir(char **ret_name);
void fuzz_scratch_remove(const char *name);
