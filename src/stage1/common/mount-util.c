/* SPDX-License-Identifier: Apache-2.0 */
/* Mounts onto descriptors (see mount-util.h). Runs in: any stage1 process. */
#include "mount-util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "root-path.h"

int mount_make_read_only(int fd, bool recursive)
{
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

        return RET_NERRNO(mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                                        &attr, sizeof(attr)));
}

/* Attaches the detached tree onto target_fd after giving it the attributes of flags. */
static int attach_tree(int tree, int target_fd, unsigned flags)
{
        int r;

        if (flags & MOUNT_BIND_READ_ONLY) {
                r = mount_make_read_only(tree, flags & MOUNT_BIND_RECURSIVE);
                if (r < 0)
                        return r;
        }
        return RET_NERRNO(move_mount(tree, "", target_fd, "",
                                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

static unsigned tree_flags(unsigned flags)
{
        return OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
               ((flags & MOUNT_BIND_RECURSIVE) ? AT_RECURSIVE : 0);
}

int mount_bind_fd(const char *src, int target_fd, unsigned flags)
{
        _cleanup_close_ int tree = open_tree(AT_FDCWD, src, tree_flags(flags));

        if (tree < 0)
                return -errno;
        return attach_tree(tree, target_fd, flags);
}

int mount_bind_fd_fd(int src_fd, int target_fd, unsigned flags)
{
        _cleanup_close_ int tree = open_tree(src_fd, "", tree_flags(flags) | AT_EMPTY_PATH);

        if (tree < 0)
                return -errno;
        return attach_tree(tree, target_fd, flags);
}

int mount_fs_fd(const char *fstype, int target_fd, unsigned long flags, const char *data)
{
        char buf[FD_PATH_MAX];

        /* the magic link of target_fd is the object it was opened on, not a path again */
        return RET_NERRNO(mount(fstype, fd_path(target_fd, buf), fstype, flags, data));
}

int mount_proc_of_fd(int pidns_fd, int target_fd, unsigned attr)
{
        _cleanup_close_ int fs = fsopen("proc", FSOPEN_CLOEXEC), mnt = -EBADF;

        if (fs < 0)
                return -errno;
        if (fsconfig(fs, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, attr);
        if (mnt < 0)
                return -errno;
        return RET_NERRNO(move_mount(mnt, "", target_fd, "",
                                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
}

int mount_bind_in_root(int rootfd, const char *src, const char *target, unsigned flags,
                       struct rk_error **reterr)
{
        _cleanup_close_ int srcfd = open(src, O_PATH | O_CLOEXEC);
        _cleanup_close_ int targetfd = -EBADF;
        struct stat st;
        int r;

        if (srcfd < 0 || fstat(srcfd, &st) < 0) {
                rk_error_set_errno(reterr, errno, "Failed to stat %s", src);
                return rk_error_exit_status(reterr, 1); /* as rkt's nspawn */
        }
        targetfd = root_mkdirs(rootfd, target, 0755, !S_ISDIR(st.st_mode));
        if (targetfd < 0)
                return rk_error_set_errno(reterr, -targetfd, "creating mount target %s", target);
        r = mount_bind_fd_fd(srcfd, targetfd, flags);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "mounting %s on %s", src, target);
        return 0;
}
