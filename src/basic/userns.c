/* SPDX-License-Identifier: Apache-2.0 */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "macro.h"

static int parse_u32(const char *s, size_t len, uint32_t *ret)
{
        uint64_t v = 0;

        if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

int userns_range_parse(const char *s, struct userns_range *ret)
{
        const char *colon = s ? strchr(s, ':') : NULL;
        struct userns_range r;

        if (!colon || parse_u32(s, (size_t)(colon - s), &r.shift) < 0 ||
            parse_u32(colon + 1, strlen(colon + 1), &r.count) < 0)
                return -EINVAL;
        if (r.shift == 0 || r.count == 0 || (uint64_t)r.shift + r.count > (1ull << 32))
                return -EINVAL;
        *ret = r;
        return 0;
}

bool userns_range_overlaps(const struct userns_range *a, const struct userns_range *b)
{
        return (uint64_t)a->shift < (uint64_t)b->shift + b->count &&
               (uint64_t)b->shift < (uint64_t)a->shift + a->count;
}

uint32_t userns_range_shift(const struct userns_range *r, uint32_t id)
{
        return r->shift + (id < r->count ? id : 65534u % r->count);
}

uint32_t userns_range_unshift(const struct userns_range *r, uint32_t id)
{
        return id >= r->shift && id - r->shift < r->count ? id - r->shift : id;
}

static int shift_item(const struct tree_walk_item *it, void *userdata)
{
        const struct userns_range *r = userdata;
        const struct stat *st = it->st;

        if (it->event == TREE_WALK_DIR_POST)
                return 0;
        /* a hard link to an inode already shifted (image ids are below any pod's shift) */
        if (st->st_uid >= r->shift && st->st_uid - r->shift < r->count)
                return 0;
        if (fchownat(it->dfd, it->name, userns_range_shift(r, st->st_uid),
                     userns_range_shift(r, st->st_gid), AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        /* chown() drops setuid/setgid (and file capabilities, which stay dropped) */
        if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
            fchmodat(it->dfd, it->name, st->st_mode & 07777, 0) < 0)
                return -errno;
        return 0;
}

int userns_shift_tree_at(int dirfd, const char *name, const struct userns_range *r)
{
        return tree_walk_at(dirfd, name, TREE_WALK_SAME_FS, shift_item, (void *)r);
}

static int write_map(pid_t pid, const char *which, const struct userns_range *r)
{
        char path[64], text[64];
        _cleanup_close_ int fd = -EBADF;
        int n;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
        n = snprintf(text, sizeof(text), "0 %u %u\n", r->shift, r->count);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write_full(fd, text, (size_t)n);
}

int userns_make(const struct userns_range *r, int *ret_fd)
{
        int ready[2], r2 = 0;
        char c = 0, path[64];
        pid_t parent = getpid(), pid;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r2 = -errno;
                safe_close(ready[0]);
                safe_close(ready[1]);
                return r2;
        }
        if (pid == 0) {
                /* holds the namespace until the parent kills us (or dies) */
                safe_close(ready[0]);
                if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
                        _exit(1);
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                if (write(ready[1], &c, 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        safe_close(ready[1]);
        if (read(ready[0], &c, 1) != 1)
                r2 = -EPERM;
        safe_close(ready[0]);
        if (r2 >= 0)
                r2 = write_map(pid, "uid_map", r);
        if (r2 >= 0)
                r2 = write_map(pid, "gid_map", r);
        if (r2 >= 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
                *ret_fd = open(path, O_RDONLY | O_CLOEXEC);
                if (*ret_fd < 0)
                        r2 = -errno;
        }
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
        return r2;
}

int userns_bind_idmapped(const char *src, const char *target, int userns_fd)
{
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY,
                                  .userns_fd = (uint64_t)userns_fd};
        _cleanup_close_ int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return -errno;
        if (move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

/* The number of ids uid_map maps, and whether it is the identity of all of them. */
static uint64_t mapped_ids(bool *ret_identity)
{
        _cleanup_free_ char *text = NULL;
        uint64_t total = 0;
        char *save = NULL;

        *ret_identity = false;
        if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 1 << 16, &text, NULL) < 0)
                return 0;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned long long inner, outer, count;
                if (sscanf(l, "%llu %llu %llu", &inner, &outer, &count) != 3)
                        continue;
                total += count;
                if (inner == 0 && outer == 0 && count == UINT32_MAX)
                        *ret_identity = true;
        }
        return total;
}

bool userns_is_host(void)
{
        bool identity;

        (void)mapped_ids(&identity);
        return identity;
}

bool userns_can_chown_images(void)
{
        bool identity;

        return geteuid() == 0 && mapped_ids(&identity) >= 65536;
}
