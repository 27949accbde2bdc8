/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ACI tar reader (src/store/aci.c): the input is an uncompressed ACI tar, read in 4 KiB
 * pieces through aci_walk_stream() as an import reads it. Every input is validated; one the
 * walk accepts is also extracted into a fresh scratch directory as a render does (owners
 * restored when root, digests recorded), which must leave nothing but "manifest" and
 * "rootfs" there, put every entry where the walk's model of the tree says (no symlink on
 * the way, the type recorded), and whose tree hash must not depend on the recorded digests.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aci.h"
#include "chase.h"
#include "fuzz.h"
#include "tree-hash.h"

#define INPUT_MAX (1 << 20)
#define PIECE     4096

struct feed {
        const uint8_t *data;
        size_t size, off;
};

static ssize_t feed_read(void *userdata, const void **buf)
{
        struct feed *f = userdata;
        size_t n = MIN(f->size - f->off, (size_t)PIECE);

        *buf = f->data + f->off;
        f->off += n;
        return (ssize_t)n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        /* sparse files are written with their holes: keep them small in the scratch dir */
        setenv("RKT_MAX_SPARSE_SIZE", "1M", 1);
        return 0;
}

/* Only the manifest and the rootfs may appear in the extraction directory. */
static void check_top_level(int dirfd)
{
        DIR *d = fdopendir(fcntl(dirfd, F_DUPFD_CLOEXEC, 3));
        struct dirent *de;

        FUZZ_ASSERT(d);
        while ((de = readdir(d)))
                FUZZ_ASSERT(strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                            strcmp(de->d_name, "manifest") == 0 ||
                            strcmp(de->d_name, "rootfs") == 0);
        closedir(d);
}

/* Every path the walk says it extracted is on disk where its model put it: no symlink on
 * the way, and of the type it recorded. */
static void check_extracted(int dirfd, const struct hashset *extracted)
{
        for (size_t i = 0; i < extracted->cap; i++) {
                struct chase_result cr = {0};
                struct stat st;

                if (!extracted->keys || !extracted->keys[i])
                        continue;
                FUZZ_ASSERT(chase_at(dirfd, extracted->keys[i], CHASE_NOLINKS, &cr) >= 0);
                FUZZ_ASSERT(fstatat((int)cr.dir, cr.base, &st, AT_SYMLINK_NOFOLLOW) >= 0);
                FUZZ_ASSERT((long)(st.st_mode & S_IFMT) == extracted->values[i]);
                chase_at_done(&cr);
        }
}

static void extract(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *name = NULL, *with = NULL, *without = NULL;
        _cleanup_close_ int dirfd = fuzz_scratch_dir(&name);
        struct hashset extracted = HASHSET_INIT;
        struct digest_map digests = {HASHSET_INIT};
        struct aci_walk w = {
                .extract_fd = dirfd,
                .extract_manifest = true,
                .extract_rootfs = true,
                .same_owner = geteuid() == 0,
                .extracted = &extracted,
                .digests = &digests,
        };
        struct feed f = {data, size, 0};
        struct rk_error *err = NULL;
        int r = aci_walk_stream(feed_read, &f, &w, &err);

        check_top_level(dirfd);
        if (r >= 0) {
                check_extracted(dirfd, &extracted);
                /* the digests recorded while extracting are those of the files on disk */
                FUZZ_ASSERT(tree_hash_compute(dirfd, "rootfs", &digests, &with, &err) >= 0);
                FUZZ_ASSERT(tree_hash_compute(dirfd, "rootfs", NULL, &without, &err) >= 0);
                FUZZ_ASSERT(strcmp(with, without) == 0);
        }
        fuzz_check_error(r, &err);
        aci_walk_done(&w);
        hashset_done(&extracted);
        digest_map_done(&digests);
        fuzz_scratch_remove(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct aci_walk w = {.extract_fd = -EBADF};
        struct feed f = {data, size, 0};
        struct rk_error *err = NULL;
        int r;

        if (size > INPUT_MAX)
                return 0;
        r = aci_walk_stream(feed_read, &f, &w, &err);
        fuzz_check_error(r, &err);
        FUZZ_ASSERT(r < 0 || w.manifest);
        aci_walk_done(&w);
        if (r >= 0)
                extract(data, size);
        return 0;
}
