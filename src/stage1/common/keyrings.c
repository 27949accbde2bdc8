/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel keyrings, kept from apps (see keyrings.h). */
#include "keyrings.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-set.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

/* The filter, compiled once: processes forked after keyrings_prepare() share it. */
static struct sock_fprog filter;

int keyrings_prepare(void)
{
        struct seccomp_set set = {0};
        int r;

        if (filter.filter)
                return 0;
        seccomp_set_deny_keyrings(&set);
        r = seccomp_set_compile(&set, &filter);
        seccomp_set_done(&set);
        return r;
}

int keyrings_deny(void)
{
        int r = keyrings_prepare();

        if (r < 0)
                return r;
        return RET_NERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0));
}

int keyrings_new_session(void)
{
        return RET_NERRNO(syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0));
}
