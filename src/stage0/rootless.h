/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rootless pods: a user who is not root runs pods in a data directory of their own. The rkt
 * command moves itself into a user namespace in which the user is root (uid and gid 0 are
 * theirs, 1..N their /etc/subuid and /etc/subgid ranges, mapped by the setuid newuidmap and
 * newgidmap of Debian's uidmap; only 0 when they have no range) and a private mount namespace,
 * then runs as it would as root: nothing is done with more than the user's own privileges.
 * Runs in: the rkt command, as a user who is not root, before it opens the store (and while
 * it has no threads).
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/*
 * Whether dir is a data directory of the real uid's own: it exists and the uid owns it, or
 * it did not exist and this user could create it (mode 0750). Returns 1 when it is, 0 when
 * it is not (*ret_owner: its owner, or 0 when it cannot be made), or -errno.
 */
int rootless_dir_owned(const char *dir, uid_t *ret_owner);

/*
 * Moves this process into the user namespace above and a new mount namespace whose mounts
 * do not propagate back. Returns 0 (geteuid() is then 0), or -errno with reterr set (one
 * line: no uidmap, a user with a uid range but no gid range, newuidmap refusing the ranges).
 */
int rootless_enter(struct rk_error **reterr);
