/* SPDX-License-Identifier: Apache-2.0 */
/* File and directory helpers. All return 0/positive on success, -errno on failure. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Writes all of buf, retrying on EINTR and short writes. */
int write_full(int fd, const void *buf, size_t len);
/* Writes all of buf at offset off (pwrite), retrying on EINTR and short writes. */
int pwrite_full(int fd, const void *buf, size_t len, off_t off);

#define WRITEBACK_STEP (8u << 20)   /* bytes written between two writeback_start() kicks */
#define WRITEBACK_TAIL (256u << 10) /* the least tail a final kick starts */
/*
 * Starts (does not wait for) the writeback of fd's bytes from *started to end once at least
 * min bytes wait, and moves *started to end. For data a sync will wait for soon: the disk
 * writes while we go on, and the sync waits only for the rest. Best effort.
 */
void writeback_start(int fd, uint64_t *started, uint64_t end, uint64_t min);
/* Reads up to len bytes, retrying until EOF or len. Returns the byte count. */
ssize_t read_full(int fd, void *buf, size_t len);
/* Reads the whole file at dirfd/path (at most max bytes, else -EFBIG) into a NUL-terminated
 * malloc'd buffer. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
/* Reads fd to its end (at most max bytes, else -EFBIG) into a NUL-terminated malloc'd buffer
 * (its length in *ret_len, which may be NULL). Returns 0 or -errno. */
int read_fd_all(int fd, size_t max, char **ret, size_t *ret_len);
/*
 * Like read_file_at(), for a file another user may have replaced: a symlink (also in the
 * last component) is -ELOOP, anything but a regular file -EBADFD; a FIFO is never waited on.
 */
int read_regular_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len);
/*
 * Opens the directory path below dirfd (relative, "a/b/c") without following a symlink in
 * any component (-ELOOP or -ENOTDIR), for directories other users may write. Returns the fd
 * (O_RDONLY | O_DIRECTORY) or -errno.
 */
int open_dir_nofollow(int dirfd, const char *path);
/* Creates dirfd/path (which must not exist) with data and exactly mode; no sync: for files
 * of a directory that is itself not yet committed (a pod being prepared). */
int write_file_new_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode);
enum write_flags {
        WRITE_SYNC = 1 << 0, /* fsync the data before the rename */
};

/*
 * Replaces dirfd/path with data and mode atomically for readers, with WRITE_SYNC durably too:
 * a new temporary file beside it (an unpredictable name opened O_EXCL|O_NOFOLLOW, so never a
 * file or symlink another user planted in a shared directory) renamed over it (without
 * WRITE_SYNC: exchanged with it, then what was there removed; a directory there stays:
 * -EISDIR). A symlink at path is replaced, never followed; the file belongs to the caller.
 */
int write_file_replace_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                          unsigned flags);
/* write_file_replace_at() with WRITE_SYNC. */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode);
/* Creates every missing directory of path (relative to dirfd) with mode. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);
/*
 * Walks dirfd/name and everything below it, depth first, entries of a directory in name
 * order, without recursion and without ever resolving a path from its text: each directory
 * is opened relative to its parent with O_NOFOLLOW and left through "..", checked to be the
 * directory it came from (-ESTALE when the tree was moved under the walk). Any depth works,
 * also beyond PATH_MAX; a few descriptors are open at any time.
 */
enum tree_walk_event {
        TREE_WALK_ENTRY,    /* anything but a directory */
        TREE_WALK_DIR_PRE,  /* a directory, before its entries */
        TREE_WALK_DIR_POST, /* a directory, after its entries */
};

struct tree_walk_item {
        enum tree_walk_event event;
        int dfd;               /* the directory holding the entry */
        const char *name;      /* its name there */
        const struct stat *st; /* its lstat */
        int fd;                /* directories: a descriptor of the directory, else -1 */
        const char *path;      /* below the walk's root: "" for the root, else "a/b" */
        size_t depth;          /* components of path */
};

enum {
        TREE_WALK_SAME_FS = 1 << 0,    /* never enter another file system or a mount point
                                        * (-EXDEV) */
        TREE_WALK_KEEP_GOING = 1 << 1, /* on errors go on, skipping what failed; the first
                                        * error is returned at the end */
};

/* Called for each item: < 0 stops the walk (see TREE_WALK_KEEP_GOING); for DIR_PRE, > 0
 * skips the directory's entries and its DIR_POST. */
typedef int (*tree_walk_fn)(const struct tree_walk_item *it, void *userdata);
int tree_walk_at(int dirfd, const char *name, unsigned flags, tree_walk_fn fn, void *userdata);

/* Removes dirfd/name and everything below it without following symlinks, staying on the
 * same file system and out of mount points. Missing is not an error. */
int rm_rf_at(int dirfd, const char *name);
/* Sums lstat st_size of name and everything below it (no symlink following), counting
 * each hard-linked inode once. */
int dir_size_at(int dirfd, const char *name, off_t *ret);
/*
 * Copies the tree dirfd/src to dstdirfd/dst (regular files with their holes, dirs,
 * symlinks, fifos; owners, modes, times and the xattrs an image may carry
 * (xattr_image_allowed()) kept; device nodes and sockets skipped). dst must not exist.
 */
int copy_tree_at(int dirfd, const char *src, int dstdirfd, const char *dst);
/* Copies the contents of fd from its current offset to outfd. */
int copy_fd(int fd, int outfd);
/* Copies the first size bytes of fd to the same offsets of outfd, which gets that size:
 * holes of fd (SEEK_DATA/SEEK_HOLE) stay holes. */
int copy_fd_sparse(int fd, int outfd, off_t size);

/*
 * Opens with flags (O_RDONLY, or O_WRONLY | O_APPEND, ...; O_NONBLOCK, O_NOCTTY and O_CLOEXEC
 * added) the file the O_PATH descriptor pfd refers to, through /proc/self/fd, only if it is
 * a regular file: -EBADFD for a FIFO, device, directory or socket, which is never opened (no
 * hang on a FIFO, no device open). Returns the fd or -errno.
 */
int fd_reopen_regular(int pfd, int flags);

enum read_long_mode {
        READ_LONG_STRICT, /* the number and at most a trailing newline (our own state files) */
        READ_LONG_SCANF,  /* blanks before, anything after (as Go's Sscanf("%d"), for rkt's) */
};
/*
 * Reads a decimal number from the small regular file dirfd/path, whose last component is no
 * symbolic link (state files a pod's app may reach: see read_regular_file_at()). Returns 0,
 * -EINVAL, or -errno (-ELOOP, -EBADFD for a link or another kind of file).
 */
int read_long_at(int dirfd, const char *path, enum read_long_mode mode, long *ret);
