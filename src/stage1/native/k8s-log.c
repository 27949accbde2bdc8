/* SPDX-License-Identifier: Apache-2.0 */
/* The kubernetes log directory of a mutable pod (see k8s-log.h). */
#include "k8s-log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chase.h"
#include "fs-util.h"
#include "path-util.h"
#include "types.h"

#define PIN_RECORD "k8s-log-dir" /* in P: identity() */

bool k8s_log_mode(const struct stage1_pod *pod)
{
        const char *mode = ac_labels_get(&pod->manifest->annotations, K8S_ANN_LOGMODE);

        return mode && strcmp(mode, "k8s-plain") == 0;
}

/* The annotation's directory (absolute) in *ret. Returns 0 or < 0 with reterr set. */
static int log_dir(const struct stage1_pod *pod, const char **ret, struct rk_error **reterr)
{
        *ret = ac_labels_get(&pod->manifest->annotations, K8S_ANN_LOGDIR);
        if (!*ret || (*ret)[0] != '/')
                return rk_error_set(reterr, EINVAL, "log mode k8s-plain needs an absolute %s",
                                    K8S_ANN_LOGDIR);
        return 0;
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

/*
 * Opens the directory dir (creating it, and its parents, when create) from / without
 * following a symlink anywhere: an app that can write one of its parents (a log shipper's
 * volume often holds all of /var/log) could have put one there before the sandbox started,
 * leading root's writes anywhere. *ret_id is its identity. Returns the fd or < 0 with reterr
 * set.
 */
static int open_dir(const char *dir, bool create, char **ret_id, struct rk_error **reterr)
{
        _cleanup_free_ char *norm = NULL;
        _cleanup_close_ int root = -EBADF, fd = -EBADF;
        struct chase_result cr = {0};
        int r;

        r = path_name_normalise(dir, PATH_NAME_ABSOLUTE, &norm);
        if (r < 0 || !*norm)
                return rk_error_set(reterr, EINVAL, "%s \"%s\" names no directory below /",
                                    K8S_ANN_LOGDIR, dir);
        root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return rk_error_set_errno(reterr, errno, "opening /");
        r = chase_at(root, norm, CHASE_NOLINKS | (create ? CHASE_MKDIR : 0), &cr);
        if (r >= 0) {
                if (create && mkdirat((int)cr.dir, cr.base, 0755) < 0 && errno != EEXIST)
                        r = -errno;
                fd = openat((int)cr.dir, cr.base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (r >= 0 && fd < 0)
                        r = -errno;
                chase_at_done(&cr);
        }
        if (r == -ELOOP || r == -ENOTDIR)
                return rk_error_set(reterr, ELOOP,
                                    "%s has a symbolic link or a non-directory on its path: "
                                    "refusing to write an app's log there (give its canonical "
                                    "path)",
                                    dir);
        if (r < 0 || !(*ret_id = identity(fd)))
                return rk_error_set_errno(reterr, r < 0 ? -r : errno, "opening %s", dir);
        return TAKE_FD(fd);
}

int k8s_log_dir_pin(const struct stage1_pod *pod, struct rk_error **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *id = NULL;
        const char *dir;
        int r;

        r = log_dir(pod, &dir, reterr);
        if (r < 0)
                return r;
        fd = open_dir(dir, true, &id, reterr);
        if (fd < 0)
                return fd;
        r = write_file_replace_at(AT_FDCWD, PIN_RECORD, id, strlen(id), 0600, 0);
        return r < 0 ? rk_error_set_errno(reterr, -r, "recording %s", dir) : 0;
}

int k8s_log_dir_open(const struct stage1_pod *pod, struct rk_error **reterr)
{
        _cleanup_free_ char *rec = NULL, *id = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *dir;
        int r;

        r = log_dir(pod, &dir, reterr);
        if (r < 0)
                return r;
        r = read_regular_file_at(AT_FDCWD, PIN_RECORD, 256, &rec, NULL);
        if (r == -ENOENT) /* pinned now, after its apps ran, it would prove nothing */
                return rk_error_set(reterr, ENOENT,
                                    "the pod has no record of its %s (P/%s: started by an "
                                    "older rkt?): start a new sandbox",
                                    K8S_ANN_LOGDIR, PIN_RECORD);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "reading P/%s", PIN_RECORD);
        fd = open_dir(dir, false, &id, reterr);
        if (fd < 0)
                return fd;
        if (strcmp(id, rec) != 0)
                return rk_error_set(reterr, EXDEV,
                                    "%s is not the directory it was when the pod started: "
                                    "refusing to write an app's log there",
                                    dir);
        return TAKE_FD(fd);
}
