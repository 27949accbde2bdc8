/* SPDX-License-Identifier: Apache-2.0 */
/* Extended attributes: the image rule, reading and writing. */
#include "xattr-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "macro.h"

static uint32_t le32(const unsigned char *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool capability_allowed(const unsigned char *v, size_t size)
{
        uint32_t magic = size >= 4 ? le32(v) : 0;
        uint64_t permitted, inheritable;

        if ((magic & ~VFS_CAP_REVISION_MASK) & ~(uint32_t)VFS_CAP_FLAGS_EFFECTIVE)
                return false;
        switch (magic & VFS_CAP_REVISION_MASK) {
        case VFS_CAP_REVISION_2:
                if (size != XATTR_CAPS_SZ_2)
                        return false;
                break;
        case VFS_CAP_REVISION_3:
                if (size != XATTR_CAPS_SZ_3 || le32(v + XATTR_CAPS_SZ_2) != 0)
                        return false;
                break;
        default:
                return false;
        }
        permitted = le32(v + 4) | (uint64_t)le32(v + 12) << 32;
        inheritable = le32(v + 8) | (uint64_t)le32(v + 16) << 32;
        return ((permitted | inheritable) & ~CAPS_APP_DEFAULT) == 0;
}

bool xattr_image_allowed(const char *name, const void *value, size_t size)
{
        if (strncmp(name, "user.", 5) == 0)
                return name[5] != '\0';
        if (strcmp(name, "security.capability") == 0)
                return capability_allowed(value, size);
        return false;
}

void xattrs_done(struct xattrs *x)
{
        for (size_t i = 0; i < x->n; i++) {
                free(x->v[i].name);
                free(x->v[i].value);
        }
        free(x->v);
        *x = (struct xattrs){0};
}

void xattrs_add(struct xattrs *x, const char *name, const void *value, size_t size)
{
        x->v = oom_check(reallocarray(x->v, x->n + 1, sizeof(*x->v)));
        x->v[x->n].name = xstrdup(name);
        x->v[x->n].value = oom_check(malloc(size + 1));
        if (size)
                memcpy(x->v[x->n].value, value, size);
        x->v[x->n++].size = size;
}

static int cmp_xattr(const void *a, const void *b)
{
        return strcmp(((const struct xattr *)a)->name, ((const struct xattr *)b)->name);
}

/* f[lg]etxattr on fd, through /proc/self/fd for an O_PATH descriptor. */
static ssize_t list_fd(int fd, char *buf, size_t size)
{
        char proc[64];
        ssize_t n = flistxattr(fd, buf, size);

        if (n >= 0 || errno != EBADF)
                return n;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        return listxattr(proc, buf, size);
}

static ssize_t get_fd(int fd, const char *name, void *buf, size_t size)
{
        char proc[64];
        ssize_t n = fgetxattr(fd, name, buf, size);

        if (n >= 0 || errno != EBADF)
                return n;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        return getxattr(proc, name, buf, size);
}

static int read_value(int fd, const char *name, struct xattr *ret)
{
        for (;;) {
                ssize_t n = get_fd(fd, name, NULL, 0);
                _cleanup_free_ void *v = NULL;

                if (n < 0)
                        return -errno;
                v = oom_check(malloc((size_t)n + 1));
                n = get_fd(fd, name, v, (size_t)n);
                if (n < 0 && errno == ERANGE)
                        continue; /* it grew meanwhile */
                if (n < 0)
                        return -errno;
                *ret = (struct xattr){xstrdup(name), TAKE_PTR(v), (size_t)n};
                return 0;
        }
}

static int read_names(int fd, char **ret, size_t *ret_len)
{
        for (;;) {
                ssize_t n = list_fd(fd, NULL, 0);
                _cleanup_free_ char *buf = NULL;

                if (n < 0 && errno == ENOTSUP) {
                        *ret = NULL; /* a file system without xattrs has none */
                        *ret_len = 0;
                        return 0;
                }
                if (n < 0)
                        return -errno;
                buf = oom_check(malloc((size_t)n + 1));
                n = n ? list_fd(fd, buf, (size_t)n) : 0;
                if (n < 0 && errno == ERANGE)
                        continue;
                if (n < 0)
                        return -errno;
                *ret = TAKE_PTR(buf);
                *ret_len = (size_t)n;
                return 0;
        }
}

int xattrs_read_fd(int fd, struct xattrs *ret)
{
        _cleanup_free_ char *names = NULL;
        struct xattrs x = {0};
        size_t len = 0;
        int r = read_names(fd, &names, &len);

        if (r < 0)
                return r;
        for (size_t i = 0; i < len; i += strlen(names + i) + 1) {
                x.v = oom_check(reallocarray(x.v, x.n + 1, sizeof(*x.v)));
                r = read_value(fd, names + i, &x.v[x.n]);
                if (r == -ENODATA)
                        continue; /* removed meanwhile */
                if (r < 0) {
                        xattrs_done(&x);
                        return r;
                }
                x.n++;
        }
        if (x.n)
                qsort(x.v, x.n, sizeof(*x.v), cmp_xattr);
        *ret = x;
        return 0;
}

int xattrs_write_allowed_fd(int fd, const struct xattrs *x)
{
        for (size_t i = 0; i < x->n; i++) {
                if (!xattr_image_allowed(x->v[i].name, x->v[i].value, x->v[i].size))
                        continue;
                if (fsetxattr(fd, x->v[i].name, x->v[i].value, x->v[i].size, 0) < 0)
                        return -errno;
        }
        return 0;
}
