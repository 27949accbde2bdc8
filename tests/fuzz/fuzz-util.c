/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the fuzz targets (fuzz.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "fuzz.h"
#include "strv.h"

void fuzz_fail(const char *file, int line, const char *what)
{
        fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
        abort();
}

void fuzz_check_error(int r, struct rk_error **err)
{
        if (r >= 0) {
                FUZZ_ASSERT(!*err);
                return;
        }
        FUZZ_ASSERT(*err && (*err)->errnum == -r);
        for (int debug = 0; debug <= 1; debug++) {
                _cleanup_free_ char *text = rk_error_render(*err, debug);
                FUZZ_ASSERT(text && text[0]);
        }
        *err = rk_error_free(*err);
}

char *fuzz_string(const uint8_t *data, size_t size)
{
        char *s = oom_check(malloc(size + 1));

        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

char **fuzz_split(const uint8_t *data, size_t size, char sep)
{
        char **l = xnew0(char *, 1);
        size_t start = 0;

        for (size_t i = 0; i <= size; i++) {
                if (i < size && data[i] != (uint8_t)sep)
                        continue;
                _cleanup_free_ char *w = fuzz_string(data + start, i - start);
                strv_push(&l, w);
                start = i + 1;
        }
        return l;
}

static char scratch_path[64];
static int scratch_fd = -EBADF;

static void scratch_cleanup(void)
{
        if (scratch_fd >= 0)
                (void)rm_rf_at(AT_FDCWD, scratch_path);
}

int fuzz_scratch(const char **ret_path)
{
        if (scratch_fd < 0) {
                const char *base = getenv("TMPDIR");
                struct stat st;

                if (!base || !*base)
                        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm"
                                                                                 : "/tmp";
                snprintf(scratch_path, sizeof(scratch_path), "%.40s/rkt-fuzz-XXXXXX", base);
                if (!mkdtemp(scratch_path))
                        fuzz_fail(__FILE__, __LINE__, "mkdtemp");
                scratch_fd = open(scratch_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (scratch_fd < 0)
                        fuzz_fail(__FILE__, __LINE__, "open scratch directory");
                atexit(scratch_cleanup);
        }
        if (ret_path)
                *ret_path = scratch_path;
        return scratch_fd;
}

int fuzz_scratch_dir(char **ret_name)
{
        static unsigned long counter;
        int dirfd = fuzz_scratch(NULL), fd;
        char *name = xasprintf("d%lu", counter++);

        if (mkdirat(dirfd, name, 0700) < 0)
                fuzz_fail(__FILE__, __LINE__, "mkdir scratch subdirectory");
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fuzz_fail(__FILE__, __LINE__, "open scratch subdirectory");
        *ret_name = name;
        return fd;
}

void fuzz_scratch_remove(const char *name)
{
        if (rm_rf_at(fuzz_scratch(NULL), name) < 0)
                fuzz_fail(__FILE__, __LINE__, "remove scratch subdirectory");
}
