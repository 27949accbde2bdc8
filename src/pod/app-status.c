/* SPDX-License-Identifier: Apache-2.0 */
/* The S1/rkt/status/<app> record (see app-status.h). Runs in: the pod init and stage0. */
#include "app-status.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fs-util.h"
#include "macro.h"

char *app_status_path(const char *app)
{
        if (!app[0] || strcmp(app, ".") == 0 || strcmp(app, "..") == 0 || strchr(app, '/'))
                return NULL;
        return xasprintf("%s/%s", APP_STATUS_DIR, app);
}

int app_status_dir_open(int s1fd)
{
        return open_dir_nofollow(s1fd, APP_STATUS_DIR);
}

int app_status_write(int s1fd, const char *app, int code)
{
        _cleanup_free_ char *path = app_status_path(app);
        _cleanup_close_ int dir = -EBADF;
        char buf[16];
        int len = snprintf(buf, sizeof(buf), "%d\n", code), r;

        if (!path)
                return -EINVAL;
        dir = app_status_dir_open(s1fd);
        if (dir < 0)
                return dir;
        r = write_file_replace_at(dir, app, buf, (size_t)len, 0644, 0);
        /* a directory an app that may trace the pod init put there (it reaches S1) goes: the
         * app's exit would never be recorded */
        if (r == -EISDIR && (r = rm_rf_at(dir, app)) >= 0)
                r = write_file_replace_at(dir, app, buf, (size_t)len, 0644, 0);
        return r;
}

int app_status_read_at(int dirfd, const char *path, int *ret_code)
{
        long v;
        int r = read_long_at(dirfd, path, READ_LONG_SCANF, &v);

        if (r == -EINVAL || (r >= 0 && (v < INT32_MIN || v > INT32_MAX)))
                return -EINVAL;
        if (r < 0)
                return -ENOENT;
        *ret_code = (int)v;
        return 0;
}
