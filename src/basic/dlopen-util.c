/* SPDX-License-Identifier: Apache-2.0 */
#include "dlopen-util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dlopen_syms(void **handle, const char *soname, const char *what, const struct dl_sym *syms,
                size_t n, struct rk_error **reterr)
{
        void *h;

        if (*handle)
                return 0;
        h = dlopen(soname, RTLD_NOW | RTLD_NODELETE);
        if (!h)
                return rk_error_set(reterr, EOPNOTSUPP, "%s is not available: %s", what, dlerror());
        for (size_t i = 0; i < n; i++) {
                void *addr = dlsym(h, syms[i].name);
                memcpy(syms[i].ptr, &addr, sizeof(addr)); /* a function pointer variable */
                if (!addr) {
                        int r = rk_error_set(reterr, EOPNOTSUPP, "%s is not available: %s", what,
                                             dlerror());
                        dlclose(h);
                        return r;
                }
        }
        *handle = h;
        return 0;
}

_noreturn_ static void lazy_lib_fail(const struct lazy_lib *l)
{
        fprintf(stderr, "rkt: %s is not available: %s\n", l->what, dlerror());
        exit(254);
}

void *lazy_lib_sym(struct lazy_lib *l, const char *name)
{
        void *h = __atomic_load_n(&l->handle, __ATOMIC_ACQUIRE), *f;

        if (!h) {
                h = dlopen(l->soname, RTLD_NOW | RTLD_NODELETE); /* the same handle each time */
                if (!h)
                        lazy_lib_fail(l);
                __atomic_store_n(&l->handle, h, __ATOMIC_RELEASE);
        }
        f = dlsym(h, name);
        if (!f)
                lazy_lib_fail(l);
        return f;
}
