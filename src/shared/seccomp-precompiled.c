/* SPDX-License-Identifier: Apache-2.0 */
/* Precompiled seccomp programs (see seccomp-precompiled.h). Runs in: any process. */
#include "seccomp-precompiled.h"

#include <stdlib.h>
#include <string.h>

#include "macro.h"

const struct seccomp_precompiled *seccomp_precompiled_find(const struct seccomp_set *s)
{
        for (const struct seccomp_precompiled *p = seccomp_precompiled; p->name; p++) {
                struct seccomp_set canon = {0};
                bool eq;

                if (p->len == 0)
                        continue;
                p->make(&canon);
                eq = seccomp_set_equal(s, &canon);
                seccomp_set_done(&canon);
                if (eq)
                        return p;
        }
        return NULL;
}

int seccomp_set_compile(const struct seccomp_set *s, struct sock_fprog *ret)
{
        const struct seccomp_precompiled *p = seccomp_precompiled_find(s);
        size_t size;

        if (!p)
                return seccomp_set_compile_libseccomp(s, ret);
        size = p->len * sizeof(struct sock_filter);
        ret->filter = oom_check(malloc(size));
        memcpy(ret->filter, p->prog, size);
        ret->len = p->len;
        return 0;
}
