/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Path resolution inside a root directory (an app rootfs) that can never leave it: ".." and
 * symlinks, absolute or relative, are resolved as if rootfd were "/" (DESIGN.md §7). The one
 * helper used for every mount target, hook and exec lookup. openat2(RESOLVE_IN_ROOT) when
 * the kernel has it; otherwise a component-by-component walk with O_NOFOLLOW, whose result
 * is checked the same way. Runs in: any process (stage0 and stage1).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * Opens path (absolute or relative: both from the root) inside rootfd with flags (O_CLOEXEC
 * is added) and mode. Symlinks are followed inside the root, including in the last component
 * unless flags has O_NOFOLLOW. Returns the fd or -errno.
 */
int root_open(int rootfd, const char *path, int flags, mode_t mode);

/*
 * Canonicalizes path inside the root: symlinks of existing components are resolved (at most
 * 40), ".." never rises above "/", components that do not exist are kept literally. Returns
 * 0 and a malloc'd absolute path ("/" for the root itself) in *ret, or -errno.
 */
int root_chase(int rootfd, const char *path, char **ret);

/*
 * Creates path inside the root like `mkdir -p` (new directories get mode, owner root), the
 * last component as an empty regular file (mode 0700) when leaf_file is true. An existing
 * leaf of the other type is -ENOTDIR / -EISDIR. Returns an O_PATH fd of the leaf, or -errno.
 */
int root_mkdirs(int rootfd, const char *path, mode_t mode, bool leaf_file);

/*
 * Finds an executable: a name containing '/' is taken as is (relative names from the root);
 * a bare name is looked up in each directory of path_env (":"-separated) inside the root.
 * Returns 0 and the malloc'd in-root path in *ret, or -ENOENT.
 */
int root_find_exec(int rootfd, const char *name, const char *path_env, char **ret);

/* "/proc/self/fd/<fd>" in buf, for mount(2) targets and sources opened with root_*(). */
#define FD_PATH_MAX 32
const char *fd_path(int fd, char buf[static FD_PATH_MAX]);
