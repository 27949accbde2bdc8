/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BPF programs of the seccomp sets every pod start uses, compiled by libseccomp at build
 * time (gen-seccomp-precompiled.c, run by meson) instead of at each start: rkt's default
 * filter and the keyrings filter. seccomp_set_compile() returns them for a set equal to the
 * one the entry's make() builds; tests/unit/test-seccomp-set.c checks that each program is
 * byte for byte what libseccomp makes of the same set today. An entry with len 0 (the
 * generator could not compile it, or a cross build: the build machine's libseccomp knows
 * only its own architecture) is compiled at run time. Runs in: any process.
 */
#pragma once

#include <linux/filter.h>

#include "seccomp-set.h"

/* name, function that builds the set */
#define SECCOMP_PRECOMPILED_SETS(X)     \
        X(default, seccomp_set_default) \
        X(deny_keyrings, seccomp_set_deny_keyrings)

struct seccomp_precompiled {
        const char *name;
        void (*make)(struct seccomp_set *ret);
        const struct sock_filter *prog;
        unsigned short len; /* 0: not precompiled */
};

/* The generated table, terminated by an entry with name NULL. */
extern const struct seccomp_precompiled seccomp_precompiled[];

/* The entry whose set equals s and that holds a program, or NULL. */
const struct seccomp_precompiled *seccomp_precompiled_find(const struct seccomp_set *s);
