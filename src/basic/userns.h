/* SPDX-License-Identifier: Apache-2.0 */
/*
 * User namespace id ranges: the host ids a pod run with --private-users maps to its ids
 * 0..count-1 ("<shift>:<count>", SPEC.md §6.3 private-users-prepared), and the shifted
 * copies and ownership changes that go with them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* host ids shift .. shift+count-1 are the ids 0 .. count-1 of the namespace */
struct userns_range {
        uint32_t shift;
        uint32_t count;
};

#define USERNS_POD_COUNT 65536u
/* a pod's shift is k * USERNS_POD_COUNT with k in 1 .. USERNS_POD_SLOTS (never host root) */
#define USERNS_POD_SLOTS 32767u

/*
 * Parses "<shift>:<count>" (decimal, count > 0, shift > 0: a pod's root is never the
 * host's, shift + count <= 2^32). Returns 0 or -EINVAL.
 */
int userns_range_parse(const char *s, struct userns_range *ret);

/* Whether the two ranges share an id. */
bool userns_range_overlaps(const struct userns_range *a, const struct userns_range *b);

/* The host id of the namespace's id (ids beyond the range: its "nobody", 65534). */
uint32_t userns_range_shift(const struct userns_range *r, uint32_t id);
/* The namespace's id of host id (id - shift), or id itself when outside the range. */
uint32_t userns_range_unshift(const struct userns_range *r, uint32_t id);

/*
 * Changes the owner of dirfd/name and of everything below it (not following symlinks,
 * staying on its file system) from id to userns_range_shift(r, id), keeping the setuid and
 * setgid bits chown() clears. Returns 0 or -errno.
 */
int userns_shift_tree_at(int dirfd, const char *name, const struct userns_range *r);

/*
 * Creates a user namespace whose uid and gid maps are "0 <shift> <count>" (needs root) and
 * returns a descriptor of it (O_RDONLY|O_CLOEXEC) in *ret_fd, for MOUNT_ATTR_IDMAP. A
 * short-lived child holds the namespace while the maps are written (the caller must have
 * no threads). Returns 0 or -errno.
 */
int userns_make(const struct userns_range *r, int *ret_fd);

/*
 * Binds src (a directory, resolved here once) onto target read-only and idmapped with the
 * user namespace userns_fd: what is owned by id on disk shows as owned by the namespace's
 * id (the host id shift + id). Returns 0 or -errno (-EINVAL or -EOPNOTSUPP when the file
 * system of src cannot be idmapped).
 */
int userns_bind_idmapped(const char *src, const char *target, int userns_fd);

/*
 * Whether this process runs in the host's user namespace (its uid_map maps every id to
 * itself); false in a rootless pod command's namespace (rootless.h) or a pod's.
 */
bool userns_is_host(void);

/*
 * Whether this process may give a file any owner an image names (it is root, and its user
 * namespace maps at least the ids 0..65535). A rootless user without subordinate ids may not.
 */
bool userns_can_chown_images(void);
