/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel keyrings, kept from apps and enter sessions. An app running as root in a pod
 * has uid 0, the uid of root on the host: the keyrings of uid 0 (its user and persistent
 * keyrings, where Kerberos tickets and passphrases live) are reachable through keyctl(2) by
 * any process of that uid, whatever its namespaces. rkt's default seccomp filter refused
 * add_key, request_key and keyctl, as Docker's and systemd-nspawn's do; this filter does so
 * (EPERM) whatever the app's own seccomp isolators allow, unless --insecure-options=seccomp
 * (an app whose own filter blocks all three calls does without it, app-seccomp.h).
 * Runs in: an app or enter child, before its credentials change (installing a filter needs
 * CAP_SYS_ADMIN or no_new_privs).
 */
#pragma once

/*
 * Prepares the keyring filter once per process tree (a copy of its precompiled program,
 * seccomp-precompiled.h): every process forked afterwards (pod init, app children, handlers)
 * installs the same program.
 * keyrings_deny() calls it if nobody did. Returns 0 or -errno.
 */
int keyrings_prepare(void);

/* Installs the keyring filter on this process (inherited by its children). Returns 0 or
 * -errno. */
int keyrings_deny(void);

/*
 * Gives this process a new, empty session keyring, so that nothing it starts has the one
 * rkt was called in (the caller's login session). Returns 0 or -errno.
 */
int keyrings_new_session(void);
