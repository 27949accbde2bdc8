/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filter of an app (SPEC.md §11.11, rkt's seccomp guide): the app's
 * os/linux/seccomp-retain-set or -remove-set isolator (one at most; --seccomp on the command
 * line replaced the image's), else rkt's default whitelist. Items are system call names and
 * the groups @appc.io/all (no filter), @appc.io/empty (rkt's default whitelist),
 * @rkt/default-whitelist, @rkt/default-blacklist, @docker/default-whitelist and
 * @docker/default-blacklist. A call the filter blocks kills the app with SIGSYS, or fails
 * with the isolator's errno. An unknown call, group or errno name is an error (rkt ignored
 * them: a misspelt name in a remove-set would have allowed the call).
 *
 * The filter is compiled once on the host side (app_seccomp_compile(); rkt's default filter
 * comes precompiled, seccomp-precompiled.h) and loaded by the app child as late as it can
 * (app_seccomp_load(), see app-exec.h). Runs in: the native
 * stage1 (the fly stage1 does not filter, as rkt's did not).
 */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>

#include "app.h"
#include "error.h"
#include "seccomp-set.h"

struct app_seccomp {
        bool enabled;
        /* the filter itself blocks add_key, request_key and keyctl: the keyring filter
         * (keyrings.h) would change nothing (a kill outranks its EPERM; the app's errno, in a
         * filter loaded after it, wins over EPERM) and is not loaded */
        bool blocks_keyrings;
        struct sock_fprog prog; /* the compiled BPF program (filter is malloc'd) */
};

/*
 * The seccomp set of app: its one seccomp isolator, else rkt's default. Errors as
 * seccomp_set_from_items(), and "too many seccomp isolators specified".
 */
int app_seccomp_set(const struct ac_app *app, struct seccomp_set *ret, struct rk_error **reterr);

/*
 * Compiles the filter of app; with disabled (--disable-seccomp, from --insecure-options
 * seccomp, all-run or all) or @appc.io/all, ret->enabled is false. Fails (reterr) on an
 * unknown name, two seccomp isolators, or a filter that would block what starting the app
 * still needs once it is loaded (capset, prctl, execve). Free with app_seccomp_done().
 */
int app_seccomp_compile(const struct ac_app *app, bool disabled, struct app_seccomp *ret,
                        struct rk_error **reterr);
void app_seccomp_done(struct app_seccomp *s);

/* Runs in: the app child, holding CAP_SYS_ADMIN (or with no_new_privs). Returns 0 or -errno. */
int app_seccomp_load(const struct app_seccomp *s);
