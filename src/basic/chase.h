/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolving a path inside a root, as the kernel resolves it for a process chrooted there
 * (openat2's RESOLVE_IN_ROOT): ".." never climbs above the root, an absolute symlink
 * target starts again at the root. Every step is relative to the handle of the directory
 * before it (a descriptor opened with O_NOFOLLOW, or a node of an in-memory tree), so a
 * path is never re-resolved from its text.
 *
 * The same walk serves a directory on disk (chase_at()) and in-memory trees (vtree.h):
 * images are checked against a model of their own tree before anything is written.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#define CHASE_HOPS_MAX 40 /* symbolic links followed in one resolution, as the kernel */

enum {
        CHASE_MKDIR = 1 << 0,   /* create missing directories named by the path itself (never
                                 * ones named by a symlink's target: those are -ENOENT) */
        CHASE_FOLLOW = 1 << 1,  /* follow the last component too when it is a symlink */
        CHASE_NOLINKS = 1 << 2, /* any symlink on the way is an error (-ELOOP) */
};

/* A tree to walk. Handles are opaque (a descriptor, a node pointer). */
struct chase_ops {
        /* The child name of directory dir: 0 with a new handle and its file type (S_IFMT
         * bits), -ENOENT when there is none, or another -errno. */
        int (*lookup)(void *tree, uintptr_t dir, const char *name, uintptr_t *ret,
                      mode_t *ret_type);
        /* The target of the symlink node (a handle from lookup). */
        int (*readlink)(void *tree, uintptr_t node, char **ret);
        /* Creates directory name in dir: 0 and a new handle. */
        int (*mkdir)(void *tree, uintptr_t dir, const char *name, uintptr_t *ret);
        /* The parent of directory dir (never called on the root): 0 and a new handle. */
        int (*parent)(void *tree, uintptr_t dir, uintptr_t *ret);
        int (*dup)(void *tree, uintptr_t h, uintptr_t *ret);
        void (*release)(void *tree, uintptr_t h);
};

struct chase_result {
        uintptr_t dir; /* the directory that holds the last component (owned handle) */
        char *base;    /* the last component, "" when the path names the root */
        char *path;    /* where dir is below the root, symlinks resolved: "" or "a/b" */
};

/*
 * Resolves the normalised relative path (no ".", "..", empty components) below root, up to
 * its last component (which is only looked up with CHASE_FOLLOW). Errors: -ENOENT (a
 * missing directory), -ENOTDIR (a non-directory on the way), -ELOOP (more than
 * CHASE_HOPS_MAX symlinks, or any with CHASE_NOLINKS), -ENAMETOOLONG (the resolved path
 * breaks path_limits_error()'s limits), or what the ops return. On success ret is filled
 * (free it with chase_result_done()).
 */
int chase(const struct chase_ops *ops, void *tree, uintptr_t root, const char *path, unsigned flags,
          struct chase_result *ret);
void chase_result_done(const struct chase_ops *ops, void *tree, struct chase_result *r);
/* Why an entry could not be resolved, to follow its name in a message ("is below a symbolic
 * link to nothing"), for chase()'s own errors; NULL for others. */
const char *chase_strerror(int r);

/*
 * chase() on disk below the directory rootfd: ret->dir is an O_PATH directory descriptor.
 * Nobody else may change the tree meanwhile (a private directory of ours): ".." is taken
 * from the directory's descriptor.
 */
int chase_at(int rootfd, const char *path, unsigned flags, struct chase_result *ret);
void chase_at_done(struct chase_result *r);

/* chase_at() and then a descriptor of the last component itself (opened with flags and
 * O_NOFOLLOW|O_CLOEXEC); rootfd itself for "". */
int chase_open_at(int rootfd, const char *path, unsigned chase_flags, int open_flags);
