/* SPDX-License-Identifier: Apache-2.0 */
/* The kubernetes log directory of a mutable pod (see k8s-log.h). */
#include "k8s-log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "types.h"

#define PIN_RECORD "k8s-log-dir" /* in P: identity() */

bool k8s_log_mode(const struct stage1_pod *pod)
{
        const char *mode = ac_labels_get(&pod->manifest->annotations, K8S_ANN_LOGMODE);

        return mode && strcmp(mode, "k8s-plain") == 0;
}

/* The annotation's directory: absolute, or an error. */
static const char *log_dir(const struct stage1_pod *pod, struct rk_error **reterr)
{
        const char *dir = ac_labels_get(&pod->manifest->annotations, K8S_ANN_LOGDIR);

        if (!dir || dir[0] != '/') {
                rk_error_set(reterr, EINVAL, "log mode k8s-plain needs an absolute %s",
                             K8S_ANN_LOGDIR);
                return NULL;
        }
        return dir;
}

/*
 * What the directory fd is: its device and inode, and its birth time where the file system
 * keeps one (the inode of a removed directory may come back as the next one made).
 */
static char *identity(int fd)
{
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_INO | STATX_BTIME, &stx) < 0)
                return NULL;
        if (!(stx.stx_mask & STATX_BTIME))
                stx.stx_btime = (struct statx_timestamp){0};
        return xasprintf("%u:%u %" PRIu64 " %" PRId64 ".%09u\n", stx.stx_dev_major,
                         stx.stx_dev_minor, (uint64_t)stx.stx_ino, (int64_t)stx.stx_btime.tv_sec,
                         stx.stx_btime.tv_nsec);
}

/* Opens dir by its path (links followed: the host's configuration); *ret_id its identity. */
static int open_dir(const char *dir, char **ret_id, struct rk_error **reterr)
{
        _cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || !(*ret_id = identity(fd)))
                return rk_error_set_errno(reterr, errno, "opening %s", dir);
        return TAKE_FD(fd);
}

/* Creates dir, records what it is; returns it (O_PATH) or < 0 with reterr set. */
static int pin(const char *dir, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *id = NULL;
        int r;

        r = mkdir_p_at(AT_FDCWD, dir, 0755);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "creating %s", dir);
        fd = open_dir(dir, &id, reterr);
        if (fd < 0)
                return fd;
        r = write_file_replace_at(AT_FDCWD, PIN_RECORD, id, strlen(id), 0600, 0);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "recording %s", dir);
        return TAKE_FD(fd);
}

int k8s_log_dir_pin(const struct stage1_pod *pod, struct rk_error **reterr)
{
        const char *dir = log_dir(pod, reterr);
        int fd;

        if (!dir)
                return -EINVAL;
        fd = pin(dir, reterr);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

int k8s_log_dir_open(const struct stage1_pod *pod, struct rk_error **reterr)
{
        const char *dir = log_dir(pod, reterr);
        _cleanup_free_ char *rec = NULL, *id = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!dir)
                return -EINVAL;
        r = read_regular_file_at(AT_FDCWD, PIN_RECORD, 256, &rec, NULL);
        if (r == -ENOENT)
                return pin(dir, reterr);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading P/%s", PIN_RECORD);
        fd = open_dir(dir, &id, reterr);
        if (fd < 0)
                return fd;
        if (strcmp(id, rec) != 0)
                return rk_error_set(reterr, EXDEV,
                                    "%s is not the directory it was when the pod started: "
                                    "refusing to write an app's log there",
                                    dir);
        return TAKE_FD(fd);
}
