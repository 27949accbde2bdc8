/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replay driver: the main() a fuzz target gets in the normal build (libFuzzer brings its
 * own). Each argument is an input file or a directory of them (files whose names start with
 * '.' and README files are skipped), fed to LLVMFuzzerTestOneInput() in name order, each in
 * a buffer of exactly its size. Prints TAP, naming each input before running it, so that a
 * crash names the input that caused it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "fuzz.h"
#include "strv.h"

#define INPUT_MAX (64 << 20)

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        return 0;
}

static unsigned tests;

static int replay_file(const char *path)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ uint8_t *exact = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, path, INPUT_MAX, &buf, &len);

        if (r < 0) {
                printf("not ok %u - %s: %s\n", ++tests, path, strerror(-r));
                return r;
        }
        /* exactly len bytes, as libFuzzer passes them: a read past the end is caught */
        exact = oom_check(malloc(len ? len : 1));
        memcpy(exact, buf, len);
        printf("# %s\n", path);
        fflush(stdout);
        (void)LLVMFuzzerTestOneInput(exact, len);
        printf("ok %u - %s\n", ++tests, path);
        return 0;
}

static int compare(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *path)
{
        _cleanup_strv_free_ char **names = NULL;
        DIR *d = opendir(path);
        struct dirent *de;
        int r = 0;

        if (!d) {
                printf("not ok %u - %s: %m\n", ++tests, path);
                return -errno;
        }
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strncmp(de->d_name, "README", 6) != 0)
                        strv_push(&names, de->d_name);
        closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare);
        STRV_FOREACH(n, names) {
                _cleanup_free_ char *p = xasprintf("%s/%s", path, *n);
                struct stat st;

                if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && replay_file(p) < 0)
                        r = -EIO;
        }
        return r;
}

int main(int argc, char **argv)
{
        int r = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
                return 2;
        }
        (void)LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int k = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i])
                                                                       : replay_file(argv[i]);
                if (k < 0)
                        r = 1;
        }
        printf("1..%u\n", tests);
        return r;
}
