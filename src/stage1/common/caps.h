/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capability sets of apps: rkt's default set adjusted by the retain/remove isolators
 * (SPEC.md §11.11), and applying a set to the calling process before exec. No libcap:
 * capset(2) and prctl(2) directly.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "app.h"

/* The default set: rkt's (and systemd-nspawn's) as a bit mask. */
uint64_t caps_default(void);

/* Every capability the kernel knows (0..cap_last_cap). */
uint64_t caps_all(void);

/* The app's set: all when disable, else the default set adjusted by its isolators. */
uint64_t caps_for_app(const struct ac_app *app, bool disable);

/* Drops every capability outside set from the calling process's bounding set. Returns 0 or
 * -errno. */
int caps_bound(uint64_t set);

/*
 * Runs in: app child, as root, before setting credentials. Drops every capability outside
 * set from the bounding set and, for uid != 0, keeps the set across setuid (PR_SET_KEEPCAPS).
 * Returns 0 or -errno.
 */
int caps_prepare(uint64_t set, uid_t uid);

/*
 * Runs in: app child, after setuid/setgid. Sets permitted and effective to set; for non-root
 * uids also inheritable and ambient (rkt's behaviour: the program keeps exactly set after
 * exec). A root app's inheritable set is empty: a program it runs gains no capability from
 * file-inheritable bits (it may still raise its own within its bounding set). Returns 0 or
 * -errno.
 */
int caps_finish(uint64_t set, uid_t uid);

/*
 * Empties the calling process's inheritable set (and so its ambient set), keeping the others:
 * what rkt's caller may have held (a service manager, a capsh wrapper) never reaches an app
 * or enter session that does not go through caps_finish() (the fly stage1). Returns 0 or
 * -errno.
 */
int caps_clear_inheritable(void);

/* Adds cap (which must be permitted) to the calling process's effective set. Returns 0,
 * -EPERM when it is not permitted, or -errno. */
int caps_raise_effective(int cap);
