/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the records of a pod directory kept by src/pod: S1/rkt/status/<app>. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app-status.h"
#include "fs-util.h"
#include "macro.h"
#include "tap.h"

/* A directory standing for S1, with rkt/status/ as the stage1 image has it. */
static int s1_dir(char **ret_path)
{
        int fd;

        *ret_path = xstrdup("/tmp/test-pod-records-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(*ret_path));
        fd = open(*ret_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_OK(mkdir_p_at(fd, APP_STATUS_DIR, 0755));
        return fd;
}

TEST(app_status_path_refuses_names_that_are_no_file)
{
        _cleanup_free_ char *p = app_status_path("web-1");

        ASSERT_STREQ(p, "rkt/status/web-1");
        ASSERT_NULL(app_status_path(""));
        ASSERT_NULL(app_status_path("."));
        ASSERT_NULL(app_status_path(".."));
        ASSERT_NULL(app_status_path("a/b"));
}

TEST(app_status_written_as_rkts_stage1_wrote_it)
{
        _cleanup_free_ char *dir = NULL, *bytes = NULL;
        _cleanup_close_ int fd = s1_dir(&dir);
        struct stat st;
        int code = 0;

        ASSERT_OK(app_status_write(fd, "a", 7));
        ASSERT_OK(read_file_at(fd, "rkt/status/a", 64, &bytes, NULL));
        ASSERT_STREQ(bytes, "7\n");
        ASSERT_OK(fstatat(fd, "rkt/status/a", &st, 0));
        ASSERT_EQ(st.st_mode & 07777, 0644);
        ASSERT_OK(app_status_read_at(fd, "rkt/status/a", &code));
        ASSERT_EQ(code, 7);
        ASSERT_OK(app_status_write(fd, "a", -1)); /* replaced */
        ASSERT_OK(app_status_read_at(fd, "rkt/status/a", &code));
        ASSERT_EQ(code, -1);
        ASSERT_ERRNO(app_status_write(fd, "../a", 0), EINVAL);
        rm_rf_at(AT_FDCWD, dir);
}

TEST(app_status_read_as_rkt_read_it)
{
        static const struct {
                const char *text;
                int r, code;
        } cases[] = {
                {"0\n", 0, 0},
                {" 42 trailing", 0, 42},
                {"-3", 0, -3},
                {"x", -EINVAL, 0},
                {"", -EINVAL, 0},
                {"2147483648\n", -EINVAL, 0},
                {"-2147483648", 0, INT32_MIN},
        };
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = s1_dir(&dir);
        int code;

        ASSERT_ERRNO(app_status_read_at(fd, "rkt/status/none", &code), ENOENT);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *t = cases[i].text;
                code = 12345;
                ASSERT_OK(write_file_replace_at(fd, "rkt/status/a", t, strlen(t), 0644, 0));
                ASSERT_EQ(app_status_read_at(fd, "rkt/status/a", &code), cases[i].r);
                if (cases[i].r == 0)
                        ASSERT_EQ(code, cases[i].code);
        }
        rm_rf_at(AT_FDCWD, dir);
}

TAP_MAIN
