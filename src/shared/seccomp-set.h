/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp sets as appc and rkt name them (SPEC.md §11.11, rkt's seccomp guide), over
 * libseccomp: an isolator's retain-set or remove-set of system call names and groups
 * (@appc.io/all, @appc.io/empty, @rkt/default-whitelist, @rkt/default-blacklist,
 * @docker/default-whitelist, @docker/default-blacklist) with an optional errno, expanded,
 * checked (an unknown call, group or errno is an error) and compiled into the BPF program
 * the kernel loads (rkt's default filter and the keyrings filter precompiled at build time:
 * libseccomp's compile took ~0.8 ms of every pod start). Used by stage0 (checks before a pod
 * exists) and the native stage1 (compiles). Runs in: any process.
 */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>

#include "error.h"

struct seccomp_set {
        bool filter;  /* false: no filter at all (a retain-set with @appc.io/all) */
        bool retain;  /* true: calls are the ones allowed; false: the ones blocked */
        int errno_v;  /* what a blocked call returns; 0: it kills the process (SIGSYS) */
        char **calls; /* strv */
};

/* rkt's default filter: retain its default whitelist, kill on the rest. */
void seccomp_set_default(struct seccomp_set *ret);

/* The filter that keeps an app from the kernel keyrings (keyrings.h): add_key, request_key
 * and keyctl fail with EPERM. */
void seccomp_set_deny_keyrings(struct seccomp_set *ret);

/*
 * The set of a seccomp isolator: retain or remove items (calls and groups), errno_name
 * (NULL or "EXFULL"...). Errors: unknown system call "<n>", unknown system call group
 * "<g>", unknown errno "<e>". A remove-set with @appc.io/empty is the default whitelist.
 */
int seccomp_set_from_items(bool retain, char *const *items, const char *errno_name,
                           struct seccomp_set *ret, struct rk_error **reterr);
void seccomp_set_done(struct seccomp_set *s);

/* Whether the filter of s lets call through. */
bool seccomp_set_allows(const struct seccomp_set *s, const char *call);

/* Whether a and b are the same filter by construction: the same flags, errno and calls in the
 * same order (so libseccomp compiles them to the same program). */
bool seccomp_set_equal(const struct seccomp_set *a, const struct seccomp_set *b);

/*
 * The BPF program of s (s->filter must be true); ret->filter is malloc'd. Returns 0 or
 * -errno. The sets of SECCOMP_PRECOMPILED_SETS (seccomp-precompiled.h) come from the table
 * generated at build time, without libseccomp; any other set is compiled by libseccomp.
 */
int seccomp_set_compile(const struct seccomp_set *s, struct sock_fprog *ret);

/* The BPF program of s compiled by libseccomp, always (what the build-time table holds). */
int seccomp_set_compile_libseccomp(const struct seccomp_set *s, struct sock_fprog *ret);
