/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mounts onto descriptors. Every mount stage1 makes inside an app's root goes through here:
 * the target is an O_PATH descriptor resolved once (root-path.h), and a bind mount gets its
 * final attributes (read-only, recursively) while it is still a detached tree, before it is
 * attached. No path is ever looked up again after it was checked, so another pod racing
 * the path through a shared volume cannot redirect or skip a step (the class of runc's
 * CVE-2021-30465). Runs in: the stage1 process that owns the target mount namespace.
 */
#pragma once

#include <stdbool.h>

#include "error.h"

enum mount_bind_flags {
        MOUNT_BIND_RECURSIVE = 1 << 0, /* with the mounts below src */
        MOUNT_BIND_READ_ONLY = 1 << 1, /* read-only (with MOUNT_BIND_RECURSIVE: all of them) */
};

/*
 * Binds src (a host path: a file or directory, resolved here once) onto target_fd (an
 * O_PATH descriptor of an existing file or directory of the same kind). Returns 0 or
 * -errno.
 */
int mount_bind_fd(const char *src, int target_fd, unsigned flags);

/* The same with the source given as a descriptor (an O_PATH fd of a file or directory). */
int mount_bind_fd_fd(int src_fd, int target_fd, unsigned flags);

/*
 * Mounts a new file system of type fstype (no source) with the mount flags and data onto
 * target_fd. Returns 0 or -errno.
 */
int mount_fs_fd(const char *fstype, int target_fd, unsigned long flags, const char *data);

/*
 * Mounts a proc instance of the pid namespace pidns_fd (which need not be ours: procfs's
 * pidns option, Linux 6.18) with the mount attributes attr (MOUNT_ATTR_*) onto target_fd.
 * Returns 0 or -errno (-EINVAL: a kernel without the option).
 */
int mount_proc_of_fd(int pidns_fd, int target_fd, unsigned attr);

/*
 * Remounts the mount whose root is fd read-only (its sub-mounts too when recursive).
 * Returns 0 or -errno (-EINVAL when fd is not the root of a mount).
 */
int mount_make_read_only(int fd, bool recursive);

/*
 * Binds the host path src onto the path target inside the root rootfd (root-path.h),
 * creating target like src (a directory, or an empty file) when missing; each path is
 * looked up once. Returns 0 or < 0 with reterr set: "Failed to stat <src>", "creating mount
 * target <target>", "mounting <src> on <target>".
 */
int mount_bind_in_root(int rootfd, const char *src, const char *target, unsigned flags,
                       struct rk_error **reterr);
