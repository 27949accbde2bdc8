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
 * Whether dir can be a data directory of the real uid's own: it exists and the uid owns it
 * (1), it does not exist and its parent is the uid's (2: rootless_dir_create() makes it), or
 * neither (0, *ret_owner: the owner of dir or of its parent). Returns that, or -errno.
 */
int rootless_dir_owned(const char *dir, uid_t *ret_owner);

/* Creates dir (mode 0750) when rootless_dir_owned() said 2. Returns 0 or -errno. */
int rootless_dir_create(const char *dir);

/*
 * Moves this process into the user namespace above and a new mount namespace whose mounts
 * do not propagate back. Returns 0 (geteuid() is then 0), or -errno with reterr set (one
 * line: no uidmap, a user with a uid range but no gid range, newuidmap refusing the ranges).
 */
int rootless_enter(struct rk_error **reterr);
