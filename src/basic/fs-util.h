/* SPDX-License-Identifier: Apache-2.0 */
/* File and directory helpers. All return 0/positive on success, -errno on failure. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes all of buf, retrying on EINTR and short writes. */
int write_full(int fd, const void *buf, size_t len);
/* Reads up to len bytes, retrying until EOF or len. Returns the byte count. */
ssize_t read_full(int fd, void *buf, size_t len);
/* Reads the whole file at dirfd/path (at most max bytes, else -EFBIG) into a NUL-terminated
 * malloc'd buffer. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
/* Creates dirfd/path (which must not exist) with data and exactly mode; no sync: for files
 * of a directory that is itself not yet committed (a pod being prepared). */
int write_file_new_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode);
enum write_flags {
        WRITE_SYNC = 1 << 0, /* fsync the data before the rename */
};

/*
 * Replaces dirfd/path with data and mode atomically for readers, with WRITE_SYNC durably too:
 * a new temporary file beside it (an unpredictable name opened O_EXCL|O_NOFOLLOW, so never a
 * file or symlink another user planted in a shared directory) renamed over it. A symlink at
 * path is replaced, never followed; the file belongs to the caller.
 */
int write_file_replace_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                          unsigned flags);
/* write_file_replace_at() with WRITE_SYNC. */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode);
/* Creates every missing directory of path (relative to dirfd) with mode. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);
/* Removes dirfd/name and everything below it without following symlinks, staying on the
 * same file system. Missing is not an error. */
int rm_rf_at(int dirfd, const char *name);
/* Sums lstat st_size of name and everything below it (no symlink following), counting
 * each hard-linked inode once. */
int dir_size_at(int dirfd, const char *name, off_t *ret);
/* Copies the tree dirfd/src to dstdirfd/dst (regular files, dirs, symlinks, fifos; owners,
 * modes and times kept; device nodes skipped). dst must not exist. */
int copy_tree_at(int dirfd, const char *src, int dstdirfd, const char *dst);
/* Copies the contents of fd from its current offset to outfd. */
int copy_fd(int fd, int outfd);

/*
 * Opens for reading (O_NONBLOCK) the file the O_PATH descriptor pfd refers to, through
 * /proc/self/fd, only if it is a regular file: -EBADFD for a FIFO, device, directory or
 * socket, which is never opened (no hang on a FIFO, no device open). Returns the fd or -errno.
 */
int fd_reopen_regular(int pfd);

enum read_long_mode {
        READ_LONG_STRICT, /* the number and at most a trailing newline (our own state files) */
        READ_LONG_SCANF,  /* blanks before, anything after (as Go's Sscanf("%d"), for rkt's) */
};
/* Reads a decimal number from the small file dirfd/path. Returns 0, -EINVAL, or -errno. */
int read_long_at(int dirfd, const char *path, enum read_long_mode mode, long *ret);
