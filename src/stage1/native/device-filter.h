/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device policy of an app on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program attached
 * to the app's cgroup2 cgroup (as crun and runc do), built from devices-cgroup style rules
 * ("c 1:3 rwm", "b 8:* r", "a *:* rwm"). The kernel consults it on the unified hierarchy
 * whether or not v1 controllers are mounted beside it, so no v1 devices cgroup (and no
 * migration into one) is needed. Runs in: the stage1 host side (init).
 */
#pragma once

/*
 * Whether the kernel can filter devices on the cgroup2 hierarchy mounted at dir: cgroup BPF
 * built in and bpf() allowed to us (a BPF_PROG_QUERY, far cheaper than loading a program).
 * Returns 0 when it can, else -errno (-EINVAL without CONFIG_CGROUP_BPF, -EPERM, -ENOSYS).
 */
int device_filter_probe(const char *dir);

/*
 * Loads a program that allows exactly the accesses the rules grant (everything else is
 * denied). Returns 0 and the program fd in *ret_fd, or -errno: -EINVAL for a malformed
 * rule, else the error of bpf(BPF_PROG_LOAD) (e.g. -EPERM, -ENOSYS without BPF).
 */
int device_filter_load(char *const *rules, int *ret_fd);

/*
 * Attaches prog_fd to the cgroup2 directory dir, alongside whatever its ancestors have
 * (BPF_F_ALLOW_MULTI: every program on the path must allow an access). The program stays
 * attached until the cgroup is removed. Returns 0 or -errno.
 */
int device_filter_attach(int prog_fd, const char *dir);
