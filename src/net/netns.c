/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named network namespaces under NET_NETNS_DIR, as iproute2 and CNI keep them (SPEC.md
 * §8.3): the directory is a shared mount point so that an unmount reaches every mount
 * namespace that copied the binding.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fs-util.h"
#include "net-private.h"

static int netns_dir_make_shared(void)
{
        int r = mkdir_p_at(AT_FDCWD, NET_NETNS_DIR, 0755);

        if (r < 0)
                return r;
        if (mount("", NET_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
                return 0;
        if (errno != EINVAL)
                return -errno;
        /* not a mount point yet */
        if (mount(NET_NETNS_DIR, NET_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
            mount("", NET_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
                return -errno;
        return 0;
}

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/*
 * Binds a new network namespace onto path (an empty file), after fill (when not NULL) ran
 * in it; this process stays in its own.
 */
static int netns_bind_new(const char *path, int (*fill)(void *), void *data)
{
        _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        int r = 0;

        if (self < 0)
                return -errno;
        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        if (fill)
                r = fill(data);
        if (r >= 0 && mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
                r = -errno;
        if (setns(self, CLONE_NEWNET) < 0)
                return -errno; /* cannot happen for root; the caller must not go on */
        return r;
}

char *netns_new_path(void)
{
        uint8_t rnd[8];

        if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
                abort(); /* the kernel's CSPRNG does not fail once initialized */
        return xasprintf("%s/cni-%02x%02x%02x%02x-%02x%02x-%02x%02x", NET_NETNS_DIR, rnd[0], rnd[1],
                         rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
}

static int netns_create_filled(const char *path, int (*fill)(void *), void *data)
{
        int fd, r;

        r = netns_dir_make_shared();
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        safe_close(fd);
        r = netns_bind_new(path, fill, data);
        if (r < 0)
                (void)unlink(path);
        return r;
}

int netns_create(const char *path)
{
        return netns_create_filled(path, NULL, NULL);
}

bool netns_is_live(const char *path)
{
        struct statfs st;

        return statfs(path, &st) == 0 && st.f_type == NSFS_MAGIC;
}

int netns_recreate(const char *path, int (*fill)(void *), void *data)
{
        int r = netns_remove(path);

        return r < 0 ? r : netns_create_filled(path, fill, data);
}

bool netns_path_is_ours(const char *path)
{
        size_t n = strlen(NET_NETNS_DIR "/cni-");

        return strncmp(path, NET_NETNS_DIR "/cni-", n) == 0 && path[n] && !strchr(path + n, '/');
}

int netns_remove(const char *path)
{
        if (!netns_path_is_ours(path))
                return -EINVAL; /* never anything but our own namespaces */
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                return -errno;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
