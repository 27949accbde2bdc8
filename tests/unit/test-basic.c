/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/basic: error chains, strbuf, strv, fs and fd helpers. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fd-util.h"
#include "fs-util.h"
#include "strbuf.h"
#include "strv.h"
#include "tap.h"

static int fails_with_context(struct rk_error **reterr)
{
        int r = rk_error_set(reterr, ENOENT, "no image IDs found");

        return rk_error_wrap(reterr, "cannot resolve image ID (r=%d)", r);
}

TEST(error_chain_contract)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_free_ char *plain = NULL, *debug = NULL;
        int r = fails_with_context(&err);

        ASSERT_EQ(r, -ENOENT);
        ASSERT_NOT_NULL(err);
        ASSERT_EQ(err->errnum, ENOENT);
        plain = rk_error_render(err, false);
        ASSERT_STREQ(plain, "cannot resolve image ID (r=-2): no image IDs found");
        debug = rk_error_render(err, true);
        ASSERT_STREQ(debug, "cannot resolve image ID (r=-2)\n  └─no image IDs found");
}

TEST(error_dup_copies_every_frame)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL, *copy = NULL;
        _cleanup_free_ char *a = NULL, *b = NULL;

        fails_with_context(&err);
        rk_error_exit_status(&err, 3);
        copy = rk_error_dup(err);
        ASSERT_TRUE(copy != err && copy->frames != err->frames);
        ASSERT_EQ(copy->errnum, ENOENT);
        ASSERT_EQ(copy->exit_status, 3);
        a = rk_error_render(err, true);
        b = rk_error_render(copy, true);
        ASSERT_STREQ(a, b);
}

TEST(error_pack_unpack_round_trip)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL, *back = NULL, *bad = NULL;
        _cleanup_free_ char *packed = NULL, *a = NULL, *b = NULL;
        size_t len = 0;

        fails_with_context(&err);
        rk_error_exit_status(&err, 3);
        packed = rk_error_pack(err, &len);
        ASSERT_EQ(rk_error_unpack(packed, len, &back), -ENOENT);
        ASSERT_EQ(back->n_frames, 2u);
        ASSERT_EQ(back->exit_status, 3);
        a = rk_error_render(err, true);
        b = rk_error_render(back, true);
        ASSERT_STREQ(a, b);
        /* cut short (the last frame's NUL missing), or no frame: refused */
        ASSERT_EQ(rk_error_unpack(packed, len - 1, &bad), -EBADMSG);
        bad = rk_error_free(bad);
        ASSERT_EQ(rk_error_unpack("2 0\n", 4, &bad), -EBADMSG);
        bad = rk_error_free(bad);
        ASSERT_EQ(rk_error_unpack("x", 1, &bad), -EBADMSG);
}

TEST(error_set_errno_appends_strerror)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;

        ASSERT_EQ(rk_error_set_errno(&err, EACCES, "open %s", "/x"), -EACCES);
        ASSERT_STREQ(rk_error_cause(err), "open /x: Permission denied");
}

TEST(error_render_three_frames_shows_outer_and_cause)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_free_ char *plain = NULL;

        rk_error_set(&err, EIO, "deep");
        rk_error_wrap(&err, "middle");
        rk_error_wrap(&err, "outer");
        plain = rk_error_render(err, false);
        ASSERT_STREQ(plain, "outer: deep");
}

TEST(error_prefix_keeps_one_frame)
{
        _cleanup_(rk_error_freep) struct rk_error *err = NULL;
        _cleanup_free_ char *plain = NULL;

        rk_error_set(&err, EINVAL, "no domains specified");
        ASSERT_EQ(rk_error_prefix(&err, "failed to parse \"%s\"", "a.json"), -EINVAL);
        rk_error_wrap(&err, "cannot get configuration");
        plain = rk_error_render(err, false);
        ASSERT_STREQ(plain, "cannot get configuration: failed to parse \"a.json\": no domains "
                            "specified");
}

TEST(strbuf_grows)
{
        struct strbuf sb = STRBUF_INIT;

        ASSERT_STREQ(strbuf_str(&sb), "");
        for (int i = 0; i < 1000; i++)
                strbuf_printf(&sb, "%d,", i);
        ASSERT_EQ(strncmp(sb.buf, "0,1,2,", 6), 0);
        ASSERT_EQ(sb.len, strlen(sb.buf));
        strbuf_release(&sb);
}

TEST(strv_split_join)
{
        _cleanup_strv_free_ char **l = strv_split("a,,b", ',');
        _cleanup_free_ char *j = NULL;

        ASSERT_EQ(strv_length(l), 3);
        ASSERT_STREQ(l[1], "");
        ASSERT_TRUE(strv_contains(l, "b"));
        j = strv_join(l, "+");
        ASSERT_STREQ(j, "a++b");
}

TEST(fs_tree_roundtrip)
{
        char tmpl[] = "/tmp/test-basic-XXXXXX";
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ char *data = NULL;
        off_t size = 0;

        ASSERT_NOT_NULL(mkdtemp(tmpl));
        dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        ASSERT_OK(mkdir_p_at(dfd, "a/b/c", 0755));
        ASSERT_OK(write_file_atomic_at(dfd, "a/b/c/f", "hello", 5, 0644));
        ASSERT_OK(symlinkat("/etc/passwd", dfd, "a/link"));
        ASSERT_OK(copy_tree_at(dfd, "a", dfd, "copy"));
        ASSERT_OK(read_file_at(dfd, "copy/b/c/f", 100, &data, NULL));
        ASSERT_STREQ(data, "hello");
        ASSERT_ERRNO(read_file_at(dfd, "copy/b/c/f", 2, &data, NULL), EFBIG);
        ASSERT_OK(dir_size_at(dfd, "copy/b/c/f", &size));
        ASSERT_EQ(size, 5);
        ASSERT_OK(rm_rf_at(dfd, "a"));
        ASSERT_OK(rm_rf_at(dfd, "copy"));
        ASSERT_OK(rm_rf_at(AT_FDCWD, tmpl));
        ASSERT_ERRNO(faccessat(AT_FDCWD, tmpl, F_OK, 0) < 0 ? -errno : 0, ENOENT);
}

static int count_entries(int dfd)
{
        DIR *d = fdopendir(dup(dfd));
        struct dirent *e;
        int n = 0;

        ASSERT_NOT_NULL(d);
        while ((e = readdir(d)))
                n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
        return n;
}

/* Without WRITE_SYNC the file is exchanged with what path held, then that is removed. */
TEST(fs_replace_unsynced)
{
        char tmpl[] = "/tmp/test-basic-XXXXXX";
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ char *data = NULL;
        struct stat st;

        ASSERT_NOT_NULL(mkdtemp(tmpl));
        dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_TRUE(dfd >= 0);
        ASSERT_OK(write_file_replace_at(dfd, "f", "one", 3, 0644, 0));  /* new */
        ASSERT_OK(write_file_replace_at(dfd, "f", "two!", 4, 0600, 0)); /* replaced */
        ASSERT_OK(read_file_at(dfd, "f", 100, &data, NULL));
        ASSERT_STREQ(data, "two!");
        ASSERT_OK(fstatat(dfd, "f", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(st.st_mode & 07777, 0600);
        ASSERT_OK(symlinkat("f", dfd, "link")); /* a symlink is replaced, never followed */
        ASSERT_OK(write_file_replace_at(dfd, "link", "three", 5, 0644, 0));
        ASSERT_OK(fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISREG(st.st_mode));
        free(data);
        data = NULL;
        ASSERT_OK(read_file_at(dfd, "f", 100, &data, NULL));
        ASSERT_STREQ(data, "two!");
        ASSERT_OK(mkdirat(dfd, "dir", 0755)); /* a directory stays */
        ASSERT_ERRNO(write_file_replace_at(dfd, "dir", "x", 1, 0644, 0), EISDIR);
        ASSERT_OK(fstatat(dfd, "dir", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT_TRUE(S_ISDIR(st.st_mode));
        ASSERT_EQ(count_entries(dfd), 3); /* f, link, dir: no temporary file left */
        ASSERT_OK(rm_rf_at(AT_FDCWD, tmpl));
}

/* Runs in: a child with descriptors 0-2 as closed says. 0 when stdio_ensure_open() left
 * each open (the closed ones on /dev/null) and the next file opened got a number above. */
static int stdio_ensured(const char *closed)
{
        char path[32], link[64];
        int fd;

        for (const char *c = closed; *c; c++)
                close(*c - '0');
        if (stdio_ensure_open() < 0)
                return 1;
        for (int i = 0; i < 3; i++)
                if (fcntl(i, F_GETFD) < 0)
                        return 2;
        for (const char *c = closed; *c; c++) {
                snprintf(path, sizeof(path), "/proc/self/fd/%c", *c);
                ssize_t n = readlink(path, link, sizeof(link) - 1);
                if (n < 0)
                        return 3;
                link[n] = '\0';
                if (strcmp(link, "/dev/null") != 0)
                        return 3;
        }
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd >= 3 ? 0 : 4;
}

TEST(stdio_ensure_open_fills_closed_stdio)
{
        static const char *const cases[] = {"", "0", "1", "2", "12", "012"};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int status;
                pid_t pid = fork();
                ASSERT_TRUE(pid >= 0);
                if (pid == 0)
                        _exit(stdio_ensured(cases[i]));
                ASSERT_EQ(waitpid(pid, &status, 0), pid);
                ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
        }
}

TAP_MAIN
