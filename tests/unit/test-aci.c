/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for src/store: the ACI reader (aci.h: sniff, decompress, validating walk and
 * extraction) and the tree hash (tree-hash.h). Archives are built in memory with
 * libarchive's writer; extraction happens below a mkdtemp directory removed at exit.
 * Tests named bug_* document a defect of src/store and fail until it is fixed.
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aci.h"
#include "fs-util.h"
#include "tap.h"

#define MANIFEST "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"x\"}"
#define BIG_LEN  (512 * 1024)

struct blob {
        char *p;
        size_t n;
};

static void blob_freep(struct blob *b)
{
        free(b->p);
}
#define _cleanup_blob_ _cleanup_(blob_freep)

/* One tar entry. type: f file, d dir, l symlink, h hard link, c/b device, p fifo, s socket. */
struct ent {
        char type;
        const char *name;
        const char *arg; /* file contents or link target */
        unsigned mode;   /* permission bits, 0 for the default */
        int owner;       /* uid and gid */
        size_t len;      /* length of a file's arg when it is not a string */
};

static const struct ent rootfs_ent = {'d', "rootfs"}, manifest_ent = {'f', "manifest", MANIFEST};
/* For libc calls that return -1 and set errno. */
#define ASSERT_SYS(x) ASSERT_OK((x) < 0 ? -errno : 0)
/* A tar of the given entries. */
#define TAR(...) make_tar((const struct ent[]){__VA_ARGS__, {0}})

static char tmp_path[] = "/tmp/test-aci-XXXXXX";
static int tmp_fd = -EBADF;
static char last_dir[64]; /* the path of the last fresh_dir() */

__attribute__((destructor)) static void tmp_cleanup(void)
{
        if (tmp_fd >= 0)
                (void)rm_rf_at(AT_FDCWD, tmp_path);
}

/* A new empty directory below the temporary directory. */
static int fresh_dir(void)
{
        static unsigned counter;
        char name[32];
        int fd;

        if (tmp_fd < 0) {
                ASSERT_NOT_NULL(mkdtemp(tmp_path));
                tmp_fd = open(tmp_path, O_DIRECTORY | O_CLOEXEC);
                ASSERT_TRUE(tmp_fd >= 0);
        }
        snprintf(name, sizeof(name), "d%u", counter++);
        snprintf(last_dir, sizeof(last_dir), "%s/%s", tmp_path, name);
        ASSERT_SYS(mkdirat(tmp_fd, name, 0755));
        fd = openat(tmp_fd, name, O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        return fd;
}

static void require_root(void)
{
        if (geteuid() != 0)
                TEST_SKIP("needs root");
}

static la_ssize_t blob_write(struct archive *a, void *userdata, const void *buf, size_t len)
{
        struct blob *b = userdata;

        b->p = oom_check(realloc(b->p, b->n + len));
        memcpy(b->p + b->n, buf, len);
        b->n += len;
        return (la_ssize_t)len;
}

static unsigned ent_filetype(char type)
{
        static const char codes[] = "dlcbps";
        static const unsigned types[] = {AE_IFDIR, AE_IFLNK, AE_IFCHR,
                                         AE_IFBLK, AE_IFIFO, AE_IFSOCK};
        const char *t = type ? strchr(codes, type) : NULL;

        return t ? types[t - codes] : AE_IFREG;
}

static int write_ent(struct archive *a, const struct ent *x)
{
        struct archive_entry *e = archive_entry_new();
        size_t len = x->type == 'f' && x->arg ? (x->len ? x->len : strlen(x->arg)) : 0;
        int r;

        archive_entry_set_pathname(e, x->name);
        archive_entry_set_filetype(e, ent_filetype(x->type));
        archive_entry_set_perm(e, x->mode ? x->mode : x->type == 'd' ? 0755 : 0644);
        archive_entry_set_uid(e, x->owner);
        archive_entry_set_gid(e, x->owner);
        archive_entry_set_mtime(e, 1500000000, 0);
        if (x->type == 'l')
                archive_entry_set_symlink(e, x->arg);
        if (x->type == 'h')
                archive_entry_set_hardlink(e, x->arg);
        if (x->type == 'c' || x->type == 'b')
                archive_entry_set_rdev(e, makedev(1, 3));
        archive_entry_set_size(e, (la_int64_t)len);
        r = archive_write_header(a, e);
        if (r == ARCHIVE_OK && len > 0 && archive_write_data(a, x->arg, len) != (la_ssize_t)len)
                r = ARCHIVE_FATAL;
        archive_entry_free(e);
        return r;
}

/* Writes the entries (up to one with a NULL name) as a pax tar into *ret. */
static int make_tar_r(const struct ent *ents, struct blob *ret)
{
        struct archive *a = archive_write_new();
        int r;

        *ret = (struct blob){NULL, 0};
        archive_write_set_format_pax_restricted(a);
        archive_write_add_filter_none(a);
        r = archive_write_open(a, ret, NULL, blob_write, NULL);
        for (; r == ARCHIVE_OK && ents->name; ents++)
                r = write_ent(a, ents);
        if (archive_write_close(a) != ARCHIVE_OK)
                r = ARCHIVE_FATAL;
        archive_write_free(a);
        return r;
}

static struct blob make_tar(const struct ent *ents)
{
        struct blob b;

        ASSERT_EQ(make_tar_r(ents, &b), ARCHIVE_OK);
        return b;
}

/* in compressed with libarchive's filter (ARCHIVE_FILTER_*), through the raw format. */
static struct blob compress(const struct blob *in, int filter)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        struct blob out = {NULL, 0};

        ASSERT_EQ(archive_write_set_format_raw(a), ARCHIVE_OK);
        ASSERT_EQ(archive_write_add_filter(a, filter), ARCHIVE_OK);
        archive_write_set_bytes_in_last_block(a, 1); /* no zero padding after the stream */
        ASSERT_EQ(archive_write_open(a, &out, NULL, blob_write, NULL), ARCHIVE_OK);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_pathname(e, "data");
        archive_entry_set_size(e, (la_int64_t)in->n);
        ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
        ASSERT_EQ(archive_write_data(a, in->p, in->n), (la_ssize_t)in->n);
        ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        archive_entry_free(e);
        return out;
}

/* A memfd holding b, at offset 0. */
static int blob_fd(const struct blob *b)
{
        int fd = memfd_create("aci", MFD_CLOEXEC);

        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(write_full(fd, b->p, b->n));
        ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
        return fd;
}

/* The contents of fd from offset 0. */
static struct blob fd_blob(int fd)
{
        struct stat st;
        struct blob b;

        ASSERT_SYS(fstat(fd, &st));
        b.n = (size_t)st.st_size;
        b.p = oom_check(malloc(b.n + 1));
        ASSERT_EQ(pread(fd, b.p, b.n, 0), (ssize_t)b.n);
        return b;
}

/* n bytes that do not compress (xorshift64). */
static char *noise(size_t n)
{
        char *p = oom_check(malloc(n));
        uint64_t x = 88172645463325252u;

        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p[i] = (char)x;
        }
        return p;
}

/* A tar with a manifest and a large incompressible file. */
static struct blob big_tar(void)
{
        _cleanup_free_ char *data = noise(BIG_LEN);

        return TAR(manifest_ent, rootfs_ent, {'f', "rootfs/big", data, 0, 0, BIG_LEN});
}

static void hex(const unsigned char *d, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", d[i]);
}

/* The store key of an uncompressed tar: "sha512-" + the first 64 hex digits. */
static char *expected_key(const struct blob *tar)
{
        unsigned char d[EVP_MAX_MD_SIZE];
        char h[2 * EVP_MAX_MD_SIZE + 1];

        ASSERT_TRUE(EVP_Digest(tar->p, tar->n, d, NULL, EVP_sha512(), NULL));
        hex(d, 32, h);
        return xasprintf("sha512-%s", h);
}

/* The content digest of n bytes at p, computed by hand from its definition (tree-hash.h):
 * SHA-256 over each non-zero 64 KiB block's index (8 bytes LE) and bytes, then the size. */
static void sha256(const void *p, size_t n, unsigned char out[CONTENT_DIGEST_LEN])
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        static const unsigned char zeros[CONTENT_BLOCK];
        unsigned char le[8];

        ASSERT_TRUE(md && EVP_DigestInit_ex(md, EVP_sha256(), NULL));
        for (size_t b = 0; b * CONTENT_BLOCK < n; b++) {
                size_t len = MIN((size_t)CONTENT_BLOCK, n - b * CONTENT_BLOCK);
                const unsigned char *blk = (const unsigned char *)p + b * CONTENT_BLOCK;

                if (memcmp(blk, zeros, len) == 0)
                        continue;
                for (size_t i = 0; i < 8; i++)
                        le[i] = (unsigned char)((uint64_t)b >> (8 * i));
                EVP_DigestUpdate(md, le, 8);
                EVP_DigestUpdate(md, blk, len);
        }
        for (size_t i = 0; i < 8; i++)
                le[i] = (unsigned char)((uint64_t)n >> (8 * i));
        EVP_DigestUpdate(md, le, 8);
        EVP_DigestFinal_ex(md, out, NULL);
        EVP_MD_CTX_free(md);
}

static char *tree_hash(int dfd, const struct digest_map *known);

/* Checks the rk_error contract for r; returns the rendered message on failure (and frees
 * the error), NULL on success. */
static char *check_err(int r, struct rk_error **err)
{
        char *msg;

        if (r >= 0) {
                ASSERT_NULL(*err);
                return NULL;
        }
        ASSERT_NOT_NULL(*err);
        ASSERT_EQ((*err)->errnum, -r);
        msg = rk_error_render(*err, false);
        *err = rk_error_free(*err);
        return msg;
}

/* ---- aci_sniff ---- */

static int sniff(const struct blob *b, enum aci_compression *c, char **msg)
{
        struct rk_error *err = NULL;
        _cleanup_close_ int fd = blob_fd(b);
        int r;

        ASSERT_EQ(lseek(fd, 3, SEEK_SET), 3);
        r = aci_sniff(fd, c, &err);
        ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 3); /* the offset is kept */
        *msg = check_err(r, &err);
        return r;
}

static const struct {
        int filter;
        enum aci_compression c;
} compressions[] = {
        {ARCHIVE_FILTER_GZIP, ACI_GZIP},
        {ARCHIVE_FILTER_BZIP2, ACI_BZIP2},
        {ARCHIVE_FILTER_XZ, ACI_XZ},
        {ARCHIVE_FILTER_ZSTD, ACI_ZSTD},
};

TEST(sniff_detects_tar_and_compressions)
{
        _cleanup_blob_ struct blob tar = TAR(manifest_ent, rootfs_ent);
        enum aci_compression c = ACI_ZSTD;
        char *msg;

        ASSERT_OK(sniff(&tar, &c, &msg));
        ASSERT_EQ(c, ACI_PLAIN);
        for (size_t i = 0; i < sizeof(compressions) / sizeof(compressions[0]); i++) {
                _cleanup_blob_ struct blob z = compress(&tar, compressions[i].filter);

                c = ACI_PLAIN;
                ASSERT_OK(sniff(&z, &c, &msg));
                ASSERT_EQ(c, compressions[i].c);
        }
}

TEST(sniff_rejects_garbage_empty_and_short)
{
        _cleanup_blob_ struct blob tar = TAR(manifest_ent, rootfs_ent);
        char garbage[1024];
        const struct blob cases[] = {
                {garbage, sizeof(garbage)}, {garbage, 0}, {(char *)"\x1f", 1},
                {(char *)"BZ", 2},          {tar.p, 200}, {tar.p, 261},
        };
        enum aci_compression c;

        memset(garbage, 'x', sizeof(garbage));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *msg = NULL;

                ASSERT_ERRNO(sniff(&cases[i], &c, &msg), EINVAL);
                ASSERT_STREQ(msg, "error: unknown image filetype");
        }
}

/* ---- aci_decompress ---- */

struct progress {
        uint64_t last;
        unsigned calls;
        bool decreasing;
        unsigned stop_after; /* return -ECANCELED on this call; 0: never */
};

static int on_progress(uint64_t in_done, uint64_t in_total, uint64_t out_done, void *userdata)
{
        struct progress *p = userdata;

        if (out_done < p->last)
                p->decreasing = true;
        p->last = out_done;
        return ++p->calls == p->stop_after ? -ECANCELED : 0;
}

struct decompressed {
        int r;
        char *key;
        uint64_t size;
        struct blob out;
        char *msg;
};

/* Runs aci_decompress over src (compressed as c) into a memfd. */
static struct decompressed decompress(const struct blob *src, enum aci_compression c,
                                      struct progress *p)
{
        struct decompressed d = {0};
        struct rk_error *err = NULL;
        _cleanup_close_ int fd = blob_fd(src);
        _cleanup_close_ int out = memfd_create("out", MFD_CLOEXEC);

        ASSERT_TRUE(out >= 0);
        d.r = aci_decompress(fd, c, out, p ? on_progress : NULL, p, &d.key, &d.size, &err);
        d.msg = check_err(d.r, &err);
        d.out = fd_blob(out);
        return d;
}

static void decompressed_done(struct decompressed *d)
{
        free(d->key);
        free(d->out.p);
        free(d->msg);
}

TEST(decompress_key_and_size_for_every_compression)
{
        _cleanup_blob_ struct blob tar = TAR(manifest_ent, rootfs_ent, {'f', "rootfs/a", "hello"});
        _cleanup_free_ char *want = expected_key(&tar);
        struct decompressed d = decompress(&tar, ACI_PLAIN, NULL);

        ASSERT_OK(d.r);
        ASSERT_STREQ(d.key, want);
        ASSERT_EQ(strlen(d.key), 7 + 64);
        ASSERT_EQ(d.size, tar.n);
        ASSERT_TRUE(d.out.n == tar.n && memcmp(d.out.p, tar.p, tar.n) == 0);
        decompressed_done(&d);
        for (size_t i = 0; i < sizeof(compressions) / sizeof(compressions[0]); i++) {
                _cleanup_blob_ struct blob z = compress(&tar, compressions[i].filter);

                d = decompress(&z, compressions[i].c, NULL);
                ASSERT_OK(d.r);
                ASSERT_STREQ(d.key, want);
                ASSERT_EQ(d.size, tar.n);
                ASSERT_TRUE(d.out.n == tar.n && memcmp(d.out.p, tar.p, tar.n) == 0);
                decompressed_done(&d);
        }
}

static void check_truncated(int filter, enum aci_compression c, size_t keep)
{
        _cleanup_blob_ struct blob tar = big_tar();
        _cleanup_blob_ struct blob z = compress(&tar, filter);
        struct decompressed d;

        z.n = keep ? keep : z.n / 2;
        d = decompress(&z, c, NULL);
        ASSERT_FAIL(d.r);
        ASSERT_CONTAINS(d.msg, "corrupt or truncated");
        decompressed_done(&d);
}

TEST(decompress_truncated_header_is_corrupt_or_truncated)
{
        check_truncated(ARCHIVE_FILTER_GZIP, ACI_GZIP, 12);
        check_truncated(ARCHIVE_FILTER_XZ, ACI_XZ, 12);
}

/* A stream cut after its first block fails with libarchive's own words ("truncated gzip
 * input", "Lzma library error: No progress is possible"): the loop in aci_decompress() does
 * not say "corrupt or truncated" as open_reader() does for the first block. */
TEST(regression_decompress_truncated_mid_stream_is_not_corrupt_or_truncated)
{
        check_truncated(ARCHIVE_FILTER_GZIP, ACI_GZIP, 0);
        check_truncated(ARCHIVE_FILTER_XZ, ACI_XZ, 0);
}

TEST(decompress_unwraps_gzip_only_once)
{
        _cleanup_blob_ struct blob tar = TAR(manifest_ent, rootfs_ent);
        _cleanup_blob_ struct blob gz = compress(&tar, ARCHIVE_FILTER_GZIP);
        _cleanup_blob_ struct blob gzgz = compress(&gz, ARCHIVE_FILTER_GZIP);
        _cleanup_free_ char *want = expected_key(&gz);
        struct decompressed d = decompress(&gzgz, ACI_GZIP, NULL);

        ASSERT_OK(d.r);
        ASSERT_EQ(d.size, gz.n);
        ASSERT_TRUE(d.out.n == gz.n && memcmp(d.out.p, gz.p, gz.n) == 0);
        ASSERT_STREQ(d.key, want);
        decompressed_done(&d);
}

/* The raw reader refuses an empty stream, so this fails as "corrupt or truncated" rather
 * than with aci_decompress()'s "image is empty"; either way it is EINVAL. */
TEST(decompress_empty_stream_fails)
{
        struct blob empty = {NULL, 0};
        _cleanup_blob_ struct blob gz = compress(&empty, ARCHIVE_FILTER_GZIP);
        struct decompressed d = decompress(&gz, ACI_GZIP, NULL);

        ASSERT_ERRNO(d.r, EINVAL);
        decompressed_done(&d);
}

TEST(decompress_progress_is_monotonic_and_can_cancel)
{
        _cleanup_blob_ struct blob tar = big_tar();
        _cleanup_blob_ struct blob gz = compress(&tar, ARCHIVE_FILTER_GZIP);
        struct progress p = {0};
        struct decompressed d = decompress(&gz, ACI_GZIP, &p);

        ASSERT_OK(d.r);
        ASSERT_TRUE(p.calls >= 2);
        ASSERT_FALSE(p.decreasing);
        ASSERT_EQ(p.last, tar.n);
        decompressed_done(&d);

        p = (struct progress){.stop_after = 1};
        d = decompress(&gz, ACI_GZIP, &p);
        ASSERT_ERRNO(d.r, ECANCELED);
        ASSERT_EQ(p.calls, 1);
        ASSERT_TRUE(d.out.n < tar.n);
        decompressed_done(&d);
}

static void assert_stat(int dfd, const char *path, mode_t type, mode_t perm, uid_t uid)
{
        struct stat st;

        if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                TAP_FAIL("%s: %s", path, strerror(errno));
        ASSERT_EQ(st.st_mode & S_IFMT, type);
        if (type != S_IFLNK)
                ASSERT_EQ(st.st_mode & 07777, perm);
        ASSERT_EQ(st.st_uid, uid);
        ASSERT_EQ(st.st_gid, uid);
}

static void assert_missing(int dfd, const char *path)
{
        if (faccessat(dfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
                TAP_FAIL("%s exists", path);
}

static void assert_digest(const struct digest_map *m, const char *path, const char *content)
{
        unsigned char want[CONTENT_DIGEST_LEN];
        const unsigned char *got = digest_map_get(m, path);

        sha256(content, strlen(content), want);
        if (!got || memcmp(got, want, sizeof(want)) != 0)
                TAP_FAIL("wrong or missing digest for %s", path);
}

/* ---- aci_walk: validation ---- */

/* Walks tar with w; returns r and sets *msg to the error message (or NULL). */
static int walk_tar(const struct blob *tar, struct aci_walk *w, char **msg)
{
        struct rk_error *err = NULL;
        _cleanup_close_ int fd = blob_fd(tar);
        int r = aci_walk(fd, w, &err);

        *msg = check_err(r, &err);
        return r;
}

/* Validates tar only; returns r and the message. */
static int validate(const struct blob *tar, char **msg)
{
        struct aci_walk w = {.extract_fd = -1};
        int r = walk_tar(tar, &w, msg);

        aci_walk_done(&w);
        return r;
}

/* Asserts that tar is rejected with EINVAL and a message containing needle, when only
 * validated and (as root) when extracted. */
static void expect_invalid(const struct blob *tar, const char *needle)
{
        _cleanup_free_ char *msg = NULL, *msg2 = NULL;
        _cleanup_close_ int dfd = -EBADF;
        struct aci_walk w = {.extract_fd = -1, .extract_rootfs = true, .same_owner = true};

        ASSERT_ERRNO(validate(tar, &msg), EINVAL);
        ASSERT_CONTAINS(msg, needle);
        if (geteuid() != 0)
                return;
        w.extract_fd = dfd = fresh_dir();
        ASSERT_ERRNO(walk_tar(tar, &w, &msg2), EINVAL);
        ASSERT_CONTAINS(msg2, needle);
        aci_walk_done(&w);
}

TEST(walk_finds_manifest_anywhere)
{
        const struct ent file = {'f', "rootfs/a", "x"};
        struct blob tars[] = {
                TAR(manifest_ent, rootfs_ent, file),
                TAR(rootfs_ent, manifest_ent, file),
                TAR(rootfs_ent, file, {'f', "./manifest", MANIFEST}),
        };

        for (size_t i = 0; i < sizeof(tars) / sizeof(tars[0]); i++) {
                _cleanup_free_ char *msg = NULL;
                struct aci_walk w = {.extract_fd = -1};

                ASSERT_OK(walk_tar(&tars[i], &w, &msg));
                ASSERT_STREQ(w.manifest, MANIFEST);
                ASSERT_EQ(w.manifest_len, strlen(MANIFEST));
                aci_walk_done(&w);
                free(tars[i].p);
        }
}

TEST(walk_without_manifest_fails)
{
        _cleanup_blob_ struct blob tar = TAR(rootfs_ent, {'f', "rootfs/manifest", MANIFEST});

        expect_invalid(&tar, "manifest");
}

TEST(walk_manifest_not_a_file_fails)
{
        _cleanup_blob_ struct blob tar = TAR(rootfs_ent, {'l', "manifest", "/etc/passwd"});

        expect_invalid(&tar, "manifest");
}

static const struct {
        struct ent e[3];
        const char *needle;
} invalid_cases[] = {
        {{{'f', "/rootfs/a", "x"}}, "/rootfs/a"},
        {{{'f', "rootfs/../../etc/x", "x"}}, "rootfs/../../etc/x"},
        {{{'d', "../up"}}, "../up"},
        {{{'f', "rootfs/d/../../x", "x"}}, "rootfs/d/../../x"},
        /* through a symlink of the archive to nothing, to a file, in a loop */
        {{{'l', "rootfs/s", "/etc"}, {'f', "rootfs/s/passwd", "x"}}, "rootfs/s/passwd"},
        {{{'f', "rootfs/f", "x"}, {'l', "rootfs/s", "f"}, {'d', "./rootfs/s/d"}}, "./rootfs/s/d"},
        {{{'l', "rootfs/s", "t"}, {'l', "rootfs/t", "/s"}, {'f', "rootfs/s/x", "x"}}, "rootfs/s/x"},
        /* the same path twice, once through a symlink */
        {{{'d', "rootfs/d"}, {'l', "rootfs/d/s", ".."}, {'f', "rootfs/d/s/d", "x"}},
         "rootfs/d/s/d"},
        /* hard links */
        {{{'h', "rootfs/h", "manifest"}}, "rootfs/h"},
        {{{'h', "rootfs/h", "rootfs/../manifest"}}, "rootfs/h"},
        {{{'h', "rootfs/h", "/etc/passwd"}}, "rootfs/h"},
        {{{'h', "rootfs/h", "rootfs/later"}, {'f', "rootfs/later", "x"}}, "rootfs/h"},
        {{{'h', "rootfs/h", "rootfs/nonexistent"}}, "rootfs/h"},
        {{{'d', "rootfs/d"}, {'h', "rootfs/h", "rootfs/d"}}, "rootfs/h"},
        {{{'l', "rootfs/s", "/etc"}, {'h', "rootfs/h", "rootfs/s/passwd"}}, "rootfs/h"},
        /* duplicates */
        {{{'f', "rootfs/a", "x"}, {'f', "rootfs/a", "y"}}, "rootfs/a"},
        {{{'f', "rootfs/a", "x"}, {'f', "./rootfs/a", "y"}}, "rootfs/a"},
        {{{'d', "rootfs/d"}, {'l', "rootfs/d/", "x"}}, "rootfs/d"},
        {{{'f', "manifest", MANIFEST}}, "manifest"},
};

TEST(walk_rejects_unsafe_entries)
{
        for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
                struct ent ents[6] = {manifest_ent, rootfs_ent};

                memcpy(ents + 2, invalid_cases[i].e, sizeof(invalid_cases[i].e));
                _cleanup_blob_ struct blob tar = make_tar(ents);

                printf("# case %zu: %s\n", i, invalid_cases[i].needle);
                expect_invalid(&tar, invalid_cases[i].needle);
        }
}

TEST(walk_rejects_rootfs_that_is_not_a_directory)
{
        struct blob tars[] = {
                TAR(manifest_ent, {'l', "rootfs", "/"}, {'f', "rootfs/x", "x"}),
                TAR(manifest_ent, {'l', "./rootfs", "/tmp"}),
                TAR(manifest_ent, {'f', "rootfs", "x"}),
                TAR(manifest_ent, {'c', "rootfs"}),
                TAR(manifest_ent, {'p', "rootfs"}),
        };

        for (size_t i = 0; i < sizeof(tars) / sizeof(tars[0]); i++) {
                expect_invalid(&tars[i], "rootfs");
                free(tars[i].p);
        }
}

/* A hard link to the entry itself is not a link to an earlier file: the walk accepts it
 * when only validating (the import path), though extraction then fails. */
TEST(regression_walk_validation_accepts_self_hard_link)
{
        _cleanup_blob_ struct blob tar =
                TAR(manifest_ent, rootfs_ent, {'h', "rootfs/h", "rootfs/h"});

        expect_invalid(&tar, "rootfs/h");
}

/* check_entry() records a hard link as a regular file even when its target is a symlink,
 * so "rootfs/h/x" below the hard-linked symlink "rootfs/h" passes validation. Extraction
 * is saved by libarchive's ARCHIVE_EXTRACT_SECURE_SYMLINKS, validation is not. */
TEST(regression_walk_validation_misses_symlink_reached_through_hard_link)
{
        _cleanup_close_ int outside = fresh_dir();
        _cleanup_blob_ struct blob tar =
                TAR(manifest_ent, rootfs_ent, {'l', "rootfs/s", last_dir},
                    {'h', "rootfs/h", "rootfs/s"}, {'f', "rootfs/h/escaped", "x"});
        if (geteuid() == 0) {
                _cleanup_free_ char *msg = NULL;
                _cleanup_close_ int dfd = fresh_dir();
                struct aci_walk w = {.extract_fd = dfd, .extract_rootfs = true};

                ASSERT_FAIL(walk_tar(&tar, &w, &msg));
                aci_walk_done(&w);
                assert_missing(outside, "escaped");
        }
        expect_invalid(&tar, "rootfs/h/escaped");
}

/* ---- aci_walk: extraction (root) ---- */

TEST(walk_extracts_entries_with_modes_owners_and_digests)
{
        _cleanup_blob_ struct blob tar =
                TAR(manifest_ent, rootfs_ent, {'d', "rootfs/etc", NULL, 0700, 7},
                    {'f', "rootfs/etc/f", "content", 0640, 1234},
                    {'f', "./rootfs/x", "exec", 04751}, {'l', "rootfs/l", "etc/f"},
                    {'h', "rootfs/h", "rootfs/etc/f"}, {'p', "rootfs/fifo", NULL, 0600},
                    {'c', "rootfs/null"}, {'b', "rootfs/sda"}, {'f', "other", "x"});
        static const char *const written[] = {"rootfs/etc/f", "rootfs/x",    "rootfs/l",
                                              "rootfs/h",     "rootfs/fifo", NULL};
        static const char *const skipped[] = {"rootfs/null", "rootfs/sda", "other", NULL};
        struct hashset extracted = HASHSET_INIT;
        struct digest_map dm = {HASHSET_INIT, NULL, 0};
        _cleanup_free_ char *msg = NULL, *content = NULL;
        _cleanup_close_ int dfd = -EBADF;
        struct aci_walk w = {.extract_rootfs = true, .extract_manifest = true, .same_owner = true};
        struct stat a, b;

        require_root();
        w.extract_fd = dfd = fresh_dir();
        w.extracted = &extracted;
        w.digests = &dm;
        ASSERT_OK(walk_tar(&tar, &w, &msg));
        ASSERT_STREQ(w.manifest, MANIFEST);
        ASSERT_OK(read_file_at(dfd, "manifest", 4096, &content, NULL));
        ASSERT_STREQ(content, MANIFEST);
        assert_stat(dfd, "rootfs/etc", S_IFDIR, 0700, 7);
        assert_stat(dfd, "rootfs/etc/f", S_IFREG, 0640, 1234);
        assert_stat(dfd, "rootfs/x", S_IFREG, 04751, 0);
        assert_stat(dfd, "rootfs/l", S_IFLNK, 0, 0);
        assert_stat(dfd, "rootfs/fifo", S_IFIFO, 0600, 0);
        ASSERT_SYS(fstatat(dfd, "rootfs/etc/f", &a, 0));
        ASSERT_SYS(fstatat(dfd, "rootfs/h", &b, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        for (const char *const *p = written; *p; p++)
                ASSERT_TRUE(hashset_get(&extracted, *p, NULL));
        for (const char *const *p = skipped; *p; p++) {
                assert_missing(dfd, *p); /* device nodes are never created */
                ASSERT_FALSE(hashset_get(&extracted, *p, NULL));
        }
        assert_digest(&dm, "rootfs/etc/f", "content");
        assert_digest(&dm, "rootfs/h", "content"); /* a hard link has its target's */
        assert_digest(&dm, "rootfs/x", "exec");
        ASSERT_NULL(digest_map_get(&dm, "rootfs/l"));
        ASSERT_NULL(digest_map_get(&dm, "rootfs/fifo"));
        aci_walk_done(&w);
        hashset_done(&extracted);
        digest_map_done(&dm);
}

/* Symlinks of the image are followed inside the rootfs, as the kernel follows them in the
 * pod: ".." stops at the rootfs, absolute targets start there. */
TEST(walk_resolves_symlinks_inside_the_rootfs)
{
        _cleanup_blob_ struct blob tar =
                TAR(manifest_ent, rootfs_ent, {'d', "rootfs/run"}, {'d', "rootfs/var"},
                    {'l', "rootfs/var/run", "/run"}, {'f', "rootfs/var/run/x", "x"},
                    {'l', "rootfs/s", "."}, {'d', "./rootfs/s/d"}, {'d', "rootfs/d/e"},
                    {'l', "rootfs/d/e/up", "../../../../.."}, {'f', "rootfs/d/e/up/y", "y"},
                    {'h', "rootfs/h", "/var/run/x"}, {'h', "rootfs/h2", "rootfs/s/run/x"});
        _cleanup_free_ char *msg = NULL, *target = NULL;
        struct digest_map dm = {HASHSET_INIT, NULL, 0};
        _cleanup_close_ int dfd = -EBADF;
        struct aci_walk w = {.extract_rootfs = true, .same_owner = true};
        struct stat a, b;

        ASSERT_OK(validate(&tar, &msg));
        require_root();
        w.extract_fd = dfd = fresh_dir();
        w.digests = &dm;
        ASSERT_OK(walk_tar(&tar, &w, &msg));
        assert_stat(dfd, "rootfs/run/x", S_IFREG, 0644, 0);
        assert_stat(dfd, "rootfs/var/run", S_IFLNK, 0, 0);
        assert_stat(dfd, "rootfs/d", S_IFDIR, 0755, 0);
        assert_stat(dfd, "rootfs/y", S_IFREG, 0644, 0);
        ASSERT_SYS(fstatat(dfd, "rootfs/run/x", &a, AT_SYMLINK_NOFOLLOW));
        ASSERT_SYS(fstatat(dfd, "rootfs/h", &b, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(a.st_ino == b.st_ino);
        ASSERT_SYS(fstatat(dfd, "rootfs/h2", &b, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(a.st_ino == b.st_ino);
        assert_digest(&dm, "rootfs/run/x", "x");
        assert_digest(&dm, "rootfs/h", "x");
        ASSERT_NULL(digest_map_get(&dm, "rootfs/var/run/x"));
        aci_walk_done(&w);
        digest_map_done(&dm);
}

/* Sparse entries are written with their holes, count against the limit, and digest as
 * their content. */
TEST(walk_writes_sparse_entries_with_holes)
{
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        const la_int64_t size = (la_int64_t)1 << 33;
        _cleanup_blob_ struct blob tar = {NULL, 0};
        struct digest_map dm = {HASHSET_INIT, NULL, 0};
        _cleanup_free_ char *msg = NULL, *data = xnew0(char, 1 << 20);
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        struct aci_walk w = {.extract_rootfs = true};
        unsigned char want[CONTENT_DIGEST_LEN];
        struct content_digest cd;
        struct stat st;

        archive_write_set_format_pax_restricted(a);
        ASSERT_EQ(archive_write_open(a, &tar, NULL, blob_write, NULL), ARCHIVE_OK);
        ASSERT_EQ(write_ent(a, &manifest_ent), ARCHIVE_OK);
        archive_entry_set_pathname(e, "rootfs/sparse");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        archive_entry_sparse_add_entry(e, size / 2, 4);
        ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK);
        /* the writer takes the whole content and leaves out the holes */
        memcpy(data, "data", 4);
        for (la_int64_t off = 0; off < size; off += 1 << 20)
                ASSERT_EQ(archive_write_data(a, off == size / 2 ? data : data + 8, 1 << 20),
                          1 << 20);
        ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        archive_entry_free(e);
        ASSERT_TRUE(tar.n < 16384);
        ASSERT_OK(content_digest_init(&cd, (uint64_t)size));
        content_digest_add(&cd, (uint64_t)size / 2, "data", 4);
        content_digest_final(&cd, want);

        ASSERT_OK(validate(&tar, &msg));
        ASSERT_OK(setenv("RKT_MAX_SPARSE_SIZE", "4G", 1));
        ASSERT_ERRNO(validate(&tar, &msg), EFBIG);
        ASSERT_CONTAINS(msg, "rootfs/sparse");
        free(msg);
        msg = NULL;
        ASSERT_OK(unsetenv("RKT_MAX_SPARSE_SIZE"));
        require_root();
        w.extract_fd = dfd = fresh_dir();
        w.digests = &dm;
        ASSERT_OK(walk_tar(&tar, &w, &msg));
        fd = openat(dfd, "rootfs/sparse", O_RDONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_SYS(fstat(fd, &st));
        ASSERT_EQ(st.st_size, size);
        ASSERT_TRUE(st.st_blocks < 1024);
        ASSERT_TRUE(memcmp(digest_map_get(&dm, "rootfs/sparse"), want, sizeof(want)) == 0);
        {
                unsigned char got[CONTENT_DIGEST_LEN];
                ASSERT_OK(content_digest_fd(fd, (uint64_t)size, got));
                ASSERT_TRUE(memcmp(got, want, sizeof(want)) == 0);
        }
        aci_walk_done(&w);
        digest_map_done(&dm);
}

/* libarchive cannot write a socket into a tar (nor does its reader return one); should it
 * learn to, the walk must still not create it. */
TEST(walk_never_creates_sockets)
{
        _cleanup_blob_ struct blob tar = {NULL, 0};
        _cleanup_free_ char *msg = NULL;
        _cleanup_close_ int dfd = fresh_dir();
        struct aci_walk w = {.extract_fd = dfd, .extract_rootfs = true};

        if (make_tar_r((const struct ent[]){manifest_ent, rootfs_ent, {'s', "rootfs/s"}, {0}},
                       &tar) != ARCHIVE_OK)
                return;
        ASSERT_OK(walk_tar(&tar, &w, &msg));
        assert_missing(dfd, "rootfs/s");
        aci_walk_done(&w);
}

/* Extracts the a/b/d/c tar with provided and whitelist; returns the directory. */
static int extract_filtered(const char *provided, const char *whitelisted)
{
        _cleanup_blob_ struct blob tar =
                TAR(manifest_ent, rootfs_ent, {'f', "rootfs/a", "a"}, {'f', "rootfs/b", "b"},
                    {'d', "rootfs/d"}, {'f', "rootfs/d/c", "c"});
        struct hashset prov = HASHSET_INIT, wl = HASHSET_INIT, extracted = HASHSET_INIT;
        _cleanup_free_ char *msg = NULL;
        struct aci_walk w = {.extract_rootfs = true, .provided = &prov, .whitelist = &wl};
        int dfd = fresh_dir();

        w.extract_fd = dfd;
        w.extracted = &extracted;
        if (provided)
                hashset_put(&prov, provided, 0);
        if (whitelisted)
                hashset_put(&wl, whitelisted, 0);
        ASSERT_OK(walk_tar(&tar, &w, &msg));
        assert_missing(dfd, "manifest"); /* extract_manifest is off */
        if (provided)
                ASSERT_FALSE(hashset_get(&extracted, provided, NULL));
        else if (whitelisted)
                ASSERT_TRUE(hashset_get(&extracted, whitelisted, NULL));
        aci_walk_done(&w);
        hashset_done(&prov);
        hashset_done(&wl);
        hashset_done(&extracted);
        return dfd;
}

TEST(walk_skips_provided_and_non_whitelisted)
{
        int dfd;

        require_root();
        dfd = extract_filtered("rootfs/a", NULL);
        assert_missing(dfd, "rootfs/a");
        assert_stat(dfd, "rootfs/b", S_IFREG, 0644, 0);
        assert_stat(dfd, "rootfs/d/c", S_IFREG, 0644, 0);
        close(dfd);

        dfd = extract_filtered(NULL, "rootfs/b");
        assert_missing(dfd, "rootfs/a");
        assert_stat(dfd, "rootfs/b", S_IFREG, 0644, 0);
        assert_missing(dfd, "rootfs/d");
        close(dfd);

        dfd = extract_filtered("rootfs/b", "rootfs/b");
        assert_missing(dfd, "rootfs/b");
        close(dfd);
}

/* ---- aci_walk_stream and the importer's round trip ---- */

struct chunks {
        const struct blob *b;
        size_t off, step;
        unsigned calls, fail_at; /* return -EIO on this call; 0: never */
};

static ssize_t chunk_read(void *userdata, const void **buf)
{
        struct chunks *c = userdata;
        size_t n = c->b->n - c->off < c->step ? c->b->n - c->off : c->step;

        if (++c->calls == c->fail_at)
                return -EIO;
        *buf = c->b->p + c->off;
        c->off += n;
        return (ssize_t)n;
}

static int walk_chunks(struct chunks *c, struct aci_walk *w, char **msg)
{
        struct rk_error *err = NULL;
        int r = aci_walk_stream(chunk_read, c, w, &err);

        *msg = check_err(r, &err);
        return r;
}

TEST(walk_stream_reads_in_chunks_and_reports_a_first_read_error)
{
        _cleanup_blob_ struct blob tar = big_tar();
        struct aci_walk w = {.extract_fd = -1};
        _cleanup_free_ char *msg = NULL, *msg2 = NULL;
        struct chunks c = {&tar, 0, 777, 0, 0};

        ASSERT_OK(walk_chunks(&c, &w, &msg));
        ASSERT_STREQ(w.manifest, MANIFEST);
        aci_walk_done(&w);

        c = (struct chunks){&tar, 0, 777, 0, 1};
        ASSERT_ERRNO(walk_chunks(&c, &w, &msg2), EIO);
        ASSERT_CONTAINS(msg2, "cannot read image");
        aci_walk_done(&w);
}

/* aci.h: a read error makes the walk fail with "cannot read image". After the first block
 * the tar reader replaces the reader's EIO with its own "truncated" EINVAL error. */
TEST(regression_walk_stream_read_error_mid_archive_loses_errno)
{
        _cleanup_blob_ struct blob tar = big_tar();
        struct aci_walk w = {.extract_fd = -1};
        _cleanup_free_ char *msg = NULL;
        struct chunks c = {&tar, 0, 4096, 0, 20}; /* fails inside rootfs/big */
        int r = walk_chunks(&c, &w, &msg);

        aci_walk_done(&w);
        printf("# %s\n", msg ? msg : "(success)");
        ASSERT_ERRNO(r, EIO);
        ASSERT_CONTAINS(msg, "cannot read image");
}

/* Writes an ACI of only a manifest to fd. */
static void write_small_aci(int fd)
{
        static const char json[] = "{\"acKind\":\"ImageManifest\"}";
        struct aci_writer w = {0};
        struct rk_error *err = NULL;

        ASSERT_OK(aci_writer_open(&w, fd, false, &err));
        ASSERT_OK(aci_writer_manifest(&w, json, sizeof(json) - 1, &err));
        ASSERT_OK(aci_writer_close(&w, &err));
        aci_writer_done(&w);
        ASSERT_NULL(err);
}

/* The image ID of a converted image is the SHA-512 of these bytes: a pipe (the Docker
 * conversion writes into its import through one) must not get the padding of a file. */
TEST(regression_writer_pads_a_pipe_unlike_a_file)
{
        _cleanup_close_ int file = memfd_create("aci", MFD_CLOEXEC);
        int p[2];
        char a[16384], b[16384];
        ssize_t na, nb;

        ASSERT_TRUE(file >= 0);
        ASSERT_OK(pipe2(p, O_CLOEXEC));
        write_small_aci(file);
        write_small_aci(p[1]);
        close(p[1]);
        na = pread(file, a, sizeof(a), 0);
        nb = read_full(p[0], b, sizeof(b));
        close(p[0]);
        ASSERT_EQ(na, 2048);
        ASSERT_EQ(nb, na);
        ASSERT_TRUE(memcmp(a, b, (size_t)na) == 0);
}

TEST(round_trip_decompress_then_walk)
{
        _cleanup_blob_ struct blob tar = TAR(manifest_ent, rootfs_ent, {'f', "rootfs/a", "hello"},
                                             {'h', "rootfs/b", "rootfs/a"});
        _cleanup_blob_ struct blob xz = compress(&tar, ARCHIVE_FILTER_XZ);
        _cleanup_close_ int src = blob_fd(&xz), blob = memfd_create("blob", MFD_CLOEXEC);
        _cleanup_close_ int dfd = fresh_dir();
        _cleanup_free_ char *key = NULL, *want = expected_key(&tar), *h1 = NULL, *h2 = NULL;
        struct digest_map dm = {HASHSET_INIT, NULL, 0};
        struct aci_walk w = {.extract_fd = -1, .digests = &dm};
        struct rk_error *err = NULL;
        enum aci_compression c;
        uint64_t size;

        ASSERT_OK(aci_sniff(src, &c, &err));
        ASSERT_EQ(c, ACI_XZ);
        ASSERT_OK(aci_decompress(src, c, blob, NULL, NULL, &key, &size, &err));
        ASSERT_NULL(err);
        ASSERT_STREQ(key, want);
        ASSERT_EQ(lseek(blob, 0, SEEK_SET), 0);
        ASSERT_OK(aci_walk(blob, &w, &err));
        ASSERT_NULL(err);
        ASSERT_STREQ(w.manifest, MANIFEST);
        ASSERT_EQ(dm.n, 0); /* validation writes nothing, so digests nothing */
        aci_walk_done(&w);
        /* extract it (no owners: this works unprivileged) and hash the result both ways */
        w = (struct aci_walk){.extract_fd = dfd, .extract_rootfs = true, .digests = &dm};
        ASSERT_EQ(lseek(blob, 0, SEEK_SET), 0);
        ASSERT_OK(aci_walk(blob, &w, &err));
        assert_digest(&dm, "rootfs/a", "hello");
        assert_digest(&dm, "rootfs/b", "hello");
        h1 = tree_hash(dfd, &dm);
        h2 = tree_hash(dfd, NULL);
        ASSERT_STREQ(h1, h2);
        aci_walk_done(&w);
        digest_map_done(&dm);
}

/* ---- tree_hash_compute ---- */

static void put_file(int dfd, const char *path, const char *content, mode_t mode)
{
        ASSERT_OK(write_file_atomic_at(dfd, path, content, strlen(content), mode));
        ASSERT_SYS(fchmodat(dfd, path, mode, 0));
}

/* A fresh directory holding "rootfs": a file, a directory with a file, a symlink, a fifo. */
static int make_tree(void)
{
        int dfd = fresh_dir();

        ASSERT_SYS(mkdirat(dfd, "rootfs", 0755));
        ASSERT_SYS(mkdirat(dfd, "rootfs/d", 0755));
        ASSERT_SYS(fchmodat(dfd, "rootfs", 0755, 0));
        ASSERT_SYS(fchmodat(dfd, "rootfs/d", 0755, 0));
        put_file(dfd, "rootfs/a", "hello", 0644);
        put_file(dfd, "rootfs/d/b", "world", 0600);
        ASSERT_SYS(symlinkat("a", dfd, "rootfs/l"));
        ASSERT_SYS(mkfifoat(dfd, "rootfs/p", 0644));
        ASSERT_SYS(fchmodat(dfd, "rootfs/p", 0644, 0));
        return dfd;
}

static char *tree_hash(int dfd, const struct digest_map *known)
{
        struct rk_error *err = NULL;
        char *h = NULL;
        int r = tree_hash_compute(dfd, "rootfs", known, &h, &err);
        _cleanup_free_ char *msg = check_err(r, &err);

        if (r < 0)
                TAP_FAIL("tree_hash_compute: %s", msg);
        ASSERT_EQ(strlen(h), 7 + 64);
        ASSERT_EQ(strncmp(h, "sha512-", 7), 0);
        return h;
}

/* Changes to a tree made by make_tree(), each of which must change its hash. op: w write
 * file, m chmod, l replace symlink, u unlink, r rename, o chown (root only, last). */
static const struct {
        char op;
        const char *path, *arg;
        unsigned n;
} mutations[] = {
        {'w', "rootfs/a", "hellp"},        {'m', "rootfs/d/b", NULL, 0640},
        {'m', "rootfs/d", NULL, 0700},     {'l', "rootfs/l", "d/b"},
        {'w', "rootfs/d/c", ""},           {'u', "rootfs/d/b"},
        {'r', "rootfs/d/b", "rootfs/d/c"}, {'o', "rootfs/a", NULL, 1},
        {'o', "rootfs/l", NULL, 1},
};
enum { MUT_OWNER = 7, MUT_N = sizeof(mutations) / sizeof(mutations[0]) };

static void mutate(int dfd, int i)
{
        const char *path = mutations[i].path, *arg = mutations[i].arg;
        unsigned n = mutations[i].n;

        printf("# mutation %d: %c %s\n", i, mutations[i].op, path);
        if (mutations[i].op == 'w')
                put_file(dfd, path, arg, 0644);
        else if (mutations[i].op == 'm')
                ASSERT_SYS(fchmodat(dfd, path, n, 0));
        else if (mutations[i].op == 'r')
                ASSERT_SYS(renameat(dfd, path, dfd, arg));
        else if (mutations[i].op == 'o')
                ASSERT_SYS(fchownat(dfd, path, n, n, AT_SYMLINK_NOFOLLOW));
        else
                ASSERT_SYS(unlinkat(dfd, path, 0));
        if (mutations[i].op == 'l')
                ASSERT_SYS(symlinkat(arg, dfd, path));
}

/* Asserts that two trees made alike hash alike and mutations from..to-1 change the hash. */
static void check_mutations(int from, int to)
{
        _cleanup_close_ int base = make_tree(), same = make_tree();
        _cleanup_free_ char *h0 = tree_hash(base, NULL), *h1 = tree_hash(same, NULL);

        ASSERT_STREQ(h0, h1);
        for (int i = from; i < to; i++) {
                _cleanup_close_ int dfd = make_tree();
                _cleanup_free_ char *h = NULL;

                mutate(dfd, i);
                h = tree_hash(dfd, NULL);
                if (strcmp(h, h0) == 0)
                        TAP_FAIL("mutation %d does not change the hash", i);
        }
}

TEST(tree_hash_equal_trees_and_mutations)
{
        check_mutations(0, MUT_OWNER);
}

TEST(tree_hash_owner_changes_hash)
{
        require_root();
        check_mutations(MUT_OWNER, MUT_N);
}

TEST(tree_hash_digest_map_matches_disk)
{
        _cleanup_close_ int dfd = make_tree();
        struct digest_map dm = {HASHSET_INIT, NULL, 0};
        unsigned char d[CONTENT_DIGEST_LEN];
        _cleanup_free_ char *disk = tree_hash(dfd, NULL), *known = NULL, *partial = NULL,
                            *wrong = NULL;

        sha256("hello", 5, d);
        digest_map_put(&dm, "rootfs/a", d);
        partial = tree_hash(dfd, &dm);
        ASSERT_STREQ(partial, disk);
        sha256("world", 5, d);
        digest_map_put(&dm, "rootfs/d/b", d);
        known = tree_hash(dfd, &dm);
        ASSERT_STREQ(known, disk);
        /* the map is really used: a wrong digest shows */
        digest_map_put(&dm, "rootfs/a", d);
        wrong = tree_hash(dfd, &dm);
        ASSERT_FALSE(strcmp(wrong, disk) == 0);
        digest_map_done(&dm);
}

TEST(tree_hash_never_opens_a_fifo)
{
        _cleanup_close_ int dfd = make_tree();
        int status;
        pid_t pid;

        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                struct rk_error *err = NULL;
                char *h = NULL;

                alarm(10); /* a blocking open of rootfs/p would hang here */
                _exit(tree_hash_compute(dfd, "rootfs", NULL, &h, &err) < 0 ? 1 : 0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

TEST(tree_hash_missing_tree_fails_with_contract)
{
        _cleanup_close_ int dfd = fresh_dir();
        struct rk_error *err = NULL;
        _cleanup_free_ char *msg = NULL;
        char *h = NULL;
        int r = tree_hash_compute(dfd, "rootfs", NULL, &h, &err);

        msg = check_err(r, &err);
        ASSERT_ERRNO(r, ENOENT);
        ASSERT_CONTAINS(msg, "rootfs");
        ASSERT_NULL(h);
}

TAP_MAIN
