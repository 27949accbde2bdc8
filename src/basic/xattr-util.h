/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extended attributes: which of an image's a file may carry (the same rule for ACIs,
 * Docker layers and copies of trees), and reading them sorted by name.
 */
#pragma once

#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAP_BIT(c) (UINT64_C(1) << (c))
/* The capabilities an app gets when no isolator asks for others (rkt's default set; the
 * stage1 grants the same). A file capability may not ask for more. */
#define CAPS_APP_DEFAULT                                                                      \
        (CAP_BIT(CAP_AUDIT_WRITE) | CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) |          \
         CAP_BIT(CAP_FSETID) | CAP_BIT(CAP_FOWNER) | CAP_BIT(CAP_KILL) | CAP_BIT(CAP_MKNOD) | \
         CAP_BIT(CAP_NET_RAW) | CAP_BIT(CAP_NET_BIND_SERVICE) | CAP_BIT(CAP_SETUID) |         \
         CAP_BIT(CAP_SETGID) | CAP_BIT(CAP_SETPCAP) | CAP_BIT(CAP_SETFCAP) |                  \
         CAP_BIT(CAP_SYS_CHROOT))

/*
 * Whether a file of an image may keep the xattr name=value: any "user.*"; a
 * "security.capability" that is well formed (revision 2, or 3 with root id 0; no flag but
 * the effective bit) and whose permitted and inheritable sets stay within
 * CAPS_APP_DEFAULT. Nothing else (trusted.* such as overlayfs' own, security.selinux, ...).
 */
bool xattr_image_allowed(const char *name, const void *value, size_t size);

struct xattr {
        char *name;
        void *value;
        size_t size;
};

struct xattrs {
        struct xattr *v;
        size_t n;
};

/* Appends a copy of name=value to x. */
void xattrs_add(struct xattrs *x, const char *name, const void *value, size_t size);
/* Every xattr of the file open as fd (an O_PATH descriptor too), sorted by name. */
int xattrs_read_fd(int fd, struct xattrs *ret);
void xattrs_done(struct xattrs *x);
/* Sets the xattrs of x that xattr_image_allowed() accepts on fd (not O_PATH). */
int xattrs_write_allowed_fd(int fd, const struct xattrs *x);
