/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp sets as appc and rkt name them (SPEC.md §11.11, rkt's seccomp guide), over
 * libseccomp: an isolator's retain-set or remove-set of system call names and groups
 * (@appc.io/all, @appc.io/empty, @rkt/default-whitelist, @rkt/default-blacklist,
 * @docker/default-whitelist, @docker/default-blacklist) with an optional errno, expanded,
 * checked (an unknown call, group or errno is an error) and compiled into the BPF program
 * the kernel loads. Used by stage0 (checks before a pod exists) and the native stage1
 * (compiles). Runs in: any process.
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

/* The BPF program of s (s->filter must be true); ret->filter is malloc'd. Returns 0 or
 * -errno. */
int seccomp_set_compile(const struct seccomp_set *s, struct sock_fprog *ret);
