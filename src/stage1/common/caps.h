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

/*
 * Runs in: app child, as root, before setting credentials. Drops every capability outside
 * set from the bounding set and, for uid != 0, keeps the set across setuid (PR_SET_KEEPCAPS).
 * Returns 0 or -errno.
 */
int caps_prepare(uint64_t set, uid_t uid);

/*
 * Runs in: app child, after setuid/setgid. Sets permitted, effective and inheritable to set
 * and raises the ambient set for non-root uids, so the program keeps exactly set after exec.
 * Returns 0 or -errno.
 */
int caps_finish(uint64_t set, uid_t uid);
