/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the apps' log writer (src/stage1/common/log-writer.c) on pipes filled
 * before it runs: both formats, the end of a stream without a newline, long lines cut into
 * partial records, rotation to one older file, forwarding.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "log-writer.h"
#include "strv.h"
#include "tap.h"

struct fixture {
        char *dir;
        int dirfd;
        int out[2], err[2], fwd[2]; /* the app's stdout and stderr pipes, the forward pipe */
};

static void fixture_init(struct fixture *f)
{
        f->dir = xstrdup("/tmp/test-log-writer-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(f->dir));
        f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_OK(f->dirfd);
        ASSERT_OK(pipe2(f->out, O_CLOEXEC));
        ASSERT_OK(pipe2(f->err, O_CLOEXEC));
        ASSERT_OK(pipe2(f->fwd, O_CLOEXEC));
        ASSERT_OK(fcntl(f->fwd[1], F_SETPIPE_SZ, 1 << 20));
}

static void put(int fd, const char *s, size_t n)
{
        ASSERT_OK(write_full(fd, s, n));
}

/* Runs the writer over what was written (the write ends are closed first). */
static void run_in(struct fixture *f, enum log_format format, uint64_t max_size, bool shared)
{
        char name[] = "app.log", *files[] = {name, NULL};
        struct log_stream streams[] = {
                {f->out[0], f->fwd[1], false, 0},
                {f->err[0], -1, true, 0},
        };
        struct log_writer_options o = {.dirfd = f->dirfd,
                                       .files = files,
                                       .n_files = 1,
                                       .streams = streams,
                                       .n_streams = 2,
                                       .format = format,
                                       .max_size = max_size,
                                       .shared_dir = shared};

        safe_close(f->out[1]);
        safe_close(f->err[1]);
        ASSERT_OK(log_writer_run(&o));
        safe_close(f->out[0]);
        safe_close(f->err[0]);
        safe_close(f->fwd[1]);
}

static void run(struct fixture *f, enum log_format format, uint64_t max_size)
{
        run_in(f, format, max_size, false);
}

static char *file(struct fixture *f, const char *name)
{
        char *text = NULL;

        ASSERT_OK(read_file_at(f->dirfd, name, 64 << 20, &text, NULL));
        return text;
}

static void fixture_done(struct fixture *f)
{
        safe_close(f->fwd[0]);
        safe_close(f->dirfd);
        rm_rf_at(AT_FDCWD, f->dir);
        free(f->dir);
}

/* The lines of text without their "<time> " (each must have one, ending in Z). */
static char **untimed(const char *text)
{
        _cleanup_strv_free_ char **lines = strv_split(text, '\n');
        char **out = NULL;

        STRV_FOREACH(l, lines) {
                const char *sp = strchr(*l, ' ');
                if (!**l)
                        continue;
                ASSERT_TRUE(sp && sp - *l >= 20 && sp[-1] == 'Z' && (*l)[10] == 'T');
                strv_push(&out, sp + 1);
        }
        return out;
}

TEST(cri_and_plain_formats)
{
        static const enum log_format formats[] = {LOG_FORMAT_CRI, LOG_FORMAT_K8S_PLAIN};
        static const char *const want[][3] = {
                {"stdout F a", "stdout F b", "stderr F e"},
                {"stdout a", "stdout b", "stderr e"},
        };

        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *text = NULL;
                char fwd[16] = "";
                _cleanup_strv_free_ char **recs = NULL;
                struct fixture f;

                fixture_init(&f);
                put(f.out[1], "a\nb", 3); /* the end of the stream ends the line */
                put(f.err[1], "e\n", 2);
                run(&f, formats[i], 0);
                text = file(&f, "app.log");
                recs = untimed(text);
                ASSERT_EQ(strv_length(recs), 3);
                /* the streams are separate pipes: only each stream's order is given */
                ASSERT_TRUE(strv_contains(recs, want[i][2]));
                ASSERT_STREQ(recs[strcmp(recs[0], want[i][2]) == 0], want[i][0]);
                ASSERT_STREQ(recs[1 + (strcmp(recs[2], want[i][2]) != 0)], want[i][1]);
                ASSERT_EQ(read_full(f.fwd[0], fwd, sizeof(fwd) - 1), 3);
                ASSERT_STREQ(fwd, "a\nb"); /* forwarded unchanged */
                fixture_done(&f);
        }
}

TEST(long_lines_become_partial_records)
{
        _cleanup_free_ char *big = malloc(40001), *text = NULL;
        _cleanup_strv_free_ char **recs = NULL;
        struct fixture f;

        memset(big, 'x', 40000);
        big[40000] = '\n';
        fixture_init(&f);
        put(f.out[1], big, 40001);
        run(&f, LOG_FORMAT_CRI, 0);
        text = file(&f, "app.log");
        recs = untimed(text);
        ASSERT_EQ(strv_length(recs), 3);
        ASSERT_EQ(strlen(recs[0]), strlen("stdout P ") + LOG_LINE_MAX);
        ASSERT_TRUE(strncmp(recs[0], "stdout P xxx", 12) == 0);
        ASSERT_TRUE(strncmp(recs[1], "stdout P xxx", 12) == 0);
        ASSERT_EQ(strlen(recs[2]), strlen("stdout F ") + 40000 - 2 * LOG_LINE_MAX);
        fixture_done(&f);
}

TEST(a_shared_directory_gets_a_new_file_at_each_start)
{
        _cleanup_free_ char *cur = NULL, *old = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        struct fixture f;

        fixture_init(&f);
        /* what is at the name (a host file an app moved into its volume) is never written */
        ASSERT_OK(write_file_new_at(f.dirfd, "app.log", "HOST\n", 5, 0644));
        put(f.out[1], "new\n", 4);
        run_in(&f, LOG_FORMAT_CRI, 0, true);
        old = file(&f, "app.log.1");
        ASSERT_STREQ(old, "HOST\n");
        cur = file(&f, "app.log");
        lines = untimed(cur);
        ASSERT_EQ(strv_length(lines), 1u);
        ASSERT_STREQ(lines[0], "stdout F new");
        fixture_done(&f);
}

TEST(a_shared_directory_keeps_what_it_cannot_set_aside)
{
        _cleanup_free_ char *cur = NULL;
        struct fixture f;
        struct stat st;

        fixture_init(&f);
        /* an app put a directory at <name>.1 (in a sticky directory root's writer, without
         * CAP_FOWNER, cannot remove it): the earlier log stays, nothing is logged */
        ASSERT_OK(write_file_new_at(f.dirfd, "app.log", "EARLIER\n", 8, 0640));
        ASSERT_OK(mkdirat(f.dirfd, "app.log.1", 0755));
        ASSERT_OK(mkdirat(f.dirfd, "app.log.1/x", 0755));
        put(f.out[1], "new\n", 4);
        run_in(&f, LOG_FORMAT_CRI, 0, true);
        cur = file(&f, "app.log");
        ASSERT_STREQ(cur, "EARLIER\n");
        ASSERT_OK(fstatat(f.dirfd, "app.log.1/x", &st, 0));
        fixture_done(&f);
}

TEST(rotation_keeps_one_older_file)
{
        _cleanup_free_ char *cur = NULL, *old = NULL;
        _cleanup_strv_free_ char **a = NULL, **b = NULL;
        struct fixture f;
        struct stat st;
        char line[32];

        fixture_init(&f);
        for (int i = 0; i < 40; i++) {
                int n = snprintf(line, sizeof(line), "line-%02d\n", i);
                put(f.out[1], line, (size_t)n);
        }
        run(&f, LOG_FORMAT_CRI, 300);
        old = file(&f, "app.log.1");
        cur = file(&f, "app.log");
        ASSERT_TRUE(strlen(old) <= 300 && strlen(cur) <= 300);
        ASSERT_ERRNO(fstatat(f.dirfd, "app.log.1.1", &st, 0) < 0 ? -errno : 0, ENOENT);
        a = untimed(old);
        b = untimed(cur);
        ASSERT_TRUE(strv_length(a) > 0 && strv_length(b) > 0);
        ASSERT_STREQ(b[strv_length(b) - 1], "stdout F line-39");
        /* the records kept are the last ones, none missing between the two files */
        int first = atoi(a[0] + strlen("stdout F line-"));
        ASSERT_TRUE(first > 0);
        for (size_t i = 0; a[i]; i++) {
                snprintf(line, sizeof(line), "line-%02d", first + (int)i);
                ASSERT_STREQ(a[i] + strlen("stdout F "), line);
        }
        ASSERT_EQ(first + (int)strv_length(a) + (int)strv_length(b), 40);
        fixture_done(&f);
}

TAP_MAIN
