/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Docker and OCI layers (src/fetch/docker-squash.c): the input is a layer (a tar, plain or
 * compressed), applied twice (once as the base layer, then again over itself, so that its
 * entries replace and its whiteouts remove what the lower layer had) and written as an ACI,
 * which the store's ACI walk must accept. A layer never runs a program: PATH holds only
 * stand-ins for external decompressors (lrzip, lzop, grzip, ...) that abort the process.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "aci.h"
#include "docker-squash.h"
#include "fs-util.h"
#include "fuzz.h"

#define INPUT_MAX (1 << 20)
#define MANIFEST  "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"fuzz\"}"

static const char *const decompressors[] = {
        "bzip2", "compress", "grzip", "gunzip", "gzip", "lrzip",    "lz4",
        "lzip",  "lzma",     "lzop",  "xz",     "zstd", "uudecode", NULL,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *scratch;
        int dirfd = fuzz_scratch(&scratch);
        _cleanup_free_ char *bin = NULL;
        static const char stand_in[] = "#!/bin/sh\n"
                                       "echo \"$0: a layer ran an external program\" >&2\n"
                                       "kill -ABRT $PPID\n";

        if (mkdirat(dirfd, "bin", 0755) < 0)
                fuzz_fail(__FILE__, __LINE__, "mkdir bin");
        for (const char *const *p = decompressors; *p; p++) {
                _cleanup_free_ char *path = xasprintf("bin/%s", *p);
                if (write_file_new_at(dirfd, path, stand_in, sizeof(stand_in) - 1, 0755) < 0)
                        fuzz_fail(__FILE__, __LINE__, "write stand-in");
        }
        bin = xasprintf("%s/bin", scratch);
        setenv("PATH", bin, 1);
        setenv("RKT_MAX_SPARSE_SIZE", "1M", 1);
        return 0;
}

static int memfd_of(const char *name, const uint8_t *data, size_t size)
{
        int fd = memfd_create(name, MFD_CLOEXEC);

        FUZZ_ASSERT(fd >= 0);
        FUZZ_ASSERT(write_full(fd, data, size) >= 0);
        FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
        return fd;
}

/* The store's view of the squashed image. */
static void check_aci(int fd)
{
        struct aci_walk w = {.extract_fd = -EBADF};
        struct rk_error *err = NULL;
        int r;

        FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
        r = aci_walk(fd, &w, &err);
        if (r < 0) {
                _cleanup_free_ char *text = rk_error_render(err, false);
                fprintf(stderr, "squashed ACI refused: %s\n", text);
        }
        fuzz_check_error(r, &err);
        FUZZ_ASSERT(r >= 0);
        aci_walk_done(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_close_ int spool = memfd_of("spool", NULL, 0), out = memfd_of("aci", NULL, 0);
        _cleanup_(squash_freep) struct squash *sq = NULL;
        struct rk_error *err = NULL;
        int r = 0;

        if (size > INPUT_MAX)
                return 0;
        sq = squash_new(spool);
        for (int layer = 0; r >= 0 && layer < 2; layer++) {
                _cleanup_close_ int fd = memfd_of("layer", data, size);
                r = squash_apply_layer(sq, fd, layer ? "2" : "1", &err);
                fuzz_check_error(r, &err);
        }
        if (r < 0)
                return 0;
        r = squash_write_aci(sq, MANIFEST, out, &err);
        fuzz_check_error(r, &err);
        if (r >= 0)
                check_aci(out);
        return 0;
}
