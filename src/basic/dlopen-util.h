/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a shared library when a command first needs it. Every rkt command pays the
 * dynamic loading of what the binary links (libcurl and libmicrohttpd alone, with their
 * dependencies, cost about 5 ms per command here), so the libraries only some commands use
 * (fetching from the network, the metadata service) are opened with dlopen().
 */
#pragma once

#include "error.h"

/* A symbol to resolve and the function pointer variable its address goes to. */
struct dl_sym {
        const char *name;
        void *ptr;
};

#define DL_SYM(fn)             \
        {                      \
#fn, &sym_##fn \
        }

/*
 * Opens soname (once: later calls after a success return 0 at once; *handle remembers it)
 * and resolves the n symbols. On failure sets reterr to "<what> is not available: <why>"
 * and returns -EOPNOTSUPP; a later call tries again.
 */
int dlopen_syms(void **handle, const char *soname, const char *what, const struct dl_sym *syms,
                size_t n, struct rk_error **reterr);

/*
 * A library opened on the first call of one of its functions, through definitions generated
 * by src/shared/gen-lazy-lib.py: the binary is linked against those, not the library.
 */
struct lazy_lib {
        const char *soname;
        const char *what; /* for the message: "libarchive (package libarchive13)" */
        void *handle;
};

/*
 * The address of the function name of l's library, opened first if it is not yet (once, from
 * any thread). The library is one rkt cannot work without: when it cannot be opened or lacks
 * name, prints "rkt: <what> is not available: <why>" on stderr and exits 254.
 */
void *lazy_lib_sym(struct lazy_lib *l, const char *name);
