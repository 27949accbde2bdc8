/* SPDX-License-Identifier: Apache-2.0 */
/* Capabilities of apps (see caps.h). */
#include "caps.h"

#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "isolators.h"

#define CAP(c) (UINT64_C(1) << (c))

uint64_t caps_default(void)
{
        return CAP(CAP_AUDIT_WRITE) | CAP(CAP_CHOWN) | CAP(CAP_DAC_OVERRIDE) | CAP(CAP_FSETID) |
               CAP(CAP_FOWNER) | CAP(CAP_KILL) | CAP(CAP_MKNOD) | CAP(CAP_NET_RAW) |
               CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_SETUID) | CAP(CAP_SETGID) | CAP(CAP_SETPCAP) |
               CAP(CAP_SETFCAP) | CAP(CAP_SYS_CHROOT);
}

static int cap_last(void)
{
        static int last = -1;
        FILE *f;

        if (last >= 0)
                return last;
        f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        if (!f || fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
                last = CAP_LAST_CAP;
        if (f)
                fclose(f);
        return last;
}

uint64_t caps_all(void)
{
        int last = cap_last();

        return last >= 63 ? UINT64_MAX : (CAP(last + 1) - 1);
}

static uint64_t caps_from_names(char **names)
{
        uint64_t set = 0;

        for (char **n = names; n && *n; n++) {
                int c = ac_capability_from_string(*n);
                if (c >= 0 && c < 64)
                        set |= CAP(c);
        }
        return set;
}

uint64_t caps_for_app(const struct ac_app *app, bool disable)
{
        uint64_t set = caps_default();

        if (disable)
                return caps_all();
        for (size_t i = 0; i < app->n_isolators; i++) {
                const struct ac_isolator *iso = &app->isolators[i];
                if (iso->kind == AC_ISOLATOR_CAPABILITIES_RETAIN_SET)
                        set = caps_from_names(iso->caps.set);
                else if (iso->kind == AC_ISOLATOR_CAPABILITIES_REMOVE_SET)
                        set = caps_default() & ~caps_from_names(iso->caps.set);
        }
        return set & caps_all();
}

int caps_bound(uint64_t set)
{
        int last = cap_last();

        for (int c = 0; c <= last; c++)
                if (!(set & CAP(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;
        return 0;
}

int caps_prepare(uint64_t set, uid_t uid)
{
        int r = caps_bound(set);

        if (r < 0)
                return r;
        if (uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

/* The caller's permitted set: a set can only shrink (containers may lack some caps). */
static uint64_t caps_permitted(void)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2] = {0};

        if (syscall(SYS_capget, &hdr, data) < 0)
                return caps_all();
        return (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
}

int caps_finish(uint64_t set, uid_t uid)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2];
        int last = cap_last();

        set &= caps_permitted();

        for (int i = 0; i < 2; i++) {
                uint32_t v = (uint32_t)(set >> (32 * i));
                data[i] = (struct __user_cap_data_struct){
                        .effective = v, .permitted = v, .inheritable = uid == 0 ? 0 : v};
        }
        if (syscall(SYS_capset, &hdr, data) < 0)
                return -errno;
        if (uid == 0)
                return 0;
        for (int c = 0; c <= last; c++)
                if ((set & CAP(c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 &&
                    errno != EINVAL)
                        return -errno;
        return 0;
}

int caps_clear_inheritable(void)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2];

        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        data[0].inheritable = data[1].inheritable = 0;
        if (syscall(SYS_capset, &hdr, data) < 0)
                return -errno;
        return 0;
}

int caps_raise_effective(int cap)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2];

        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        if (!(data[cap / 32].permitted & (1u << (cap % 32))))
                return -EPERM;
        data[cap / 32].effective |= 1u << (cap % 32);
        return RET_NERRNO((int)syscall(SYS_capset, &hdr, data));
}
