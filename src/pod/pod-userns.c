/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The user namespace id ranges of pods run with --private-users (SPEC.md §6.3): each pod's
 * is recorded in P/private-users-prepared, so a range is in use exactly as long as its pod
 * directory exists (gc releases it by deleting the pod). Allocation holds D/pods/userns.lck
 * while it reads every pod's range and writes the new one, so concurrent prepares never
 * share ids; pods only move forward through the state directories (prepare, prepared, run,
 * exited-garbage, garbage), which are read in that order, so a pod moving meanwhile is seen.
 * Ranges that hold an id of the host's users and groups or of a subordinate range of
 * /etc/subuid or /etc/subgid (another user's containers) are never given: a process with the
 * same host id could signal or trace the pod's apps.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include "fd-util.h"
#include "fs-util.h"
#include "pod-private.h"
#include "pod.h"

static const enum pod_dir scan_order[] = {
        POD_DIR_EMBRYO, POD_DIR_PREPARE,        POD_DIR_PREPARED,
        POD_DIR_RUN,    POD_DIR_EXITED_GARBAGE, POD_DIR_GARBAGE,
};

int pod_read_userns_range(int pod_fd, struct userns_range *ret)
{
        _cleanup_free_ char *text = NULL;
        int r = read_file_at(pod_fd, "private-users-prepared", 64, &text, NULL);

        if (r < 0)
                return r;
        return userns_range_parse(text, ret);
}

static void mark_ids(uint64_t first, uint64_t count, uint8_t *used)
{
        if (count == 0)
                return;
        for (uint64_t k = first / USERNS_POD_COUNT;
             k <= (first + count - 1) / USERNS_POD_COUNT && k <= USERNS_POD_SLOTS; k++)
                used[k] = 1;
}

/* Marks the pod slots (1 .. USERNS_POD_SLOTS) that the range of the pod at dfd/name uses. */
static void mark_pod(int dfd, const char *name, uint8_t *used)
{
        _cleanup_close_ int fd = open_dir_nofollow(dfd, name);
        struct userns_range r;

        if (fd < 0 || pod_read_userns_range(fd, &r) < 0)
                return;
        mark_ids(r.shift, r.count, used);
}

/* The ids of path's lines "<name>:<start>:<count>" (subuid) or "<name>:x:<id>:..." (passwd,
 * group: field 3); lines that do not parse are skipped. */
static void mark_file(const char *path, bool sub, uint8_t *used)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (read_file_at(AT_FDCWD, path, 16 << 20, &text, NULL) < 0)
                return;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f1 = strchr(line, ':'), *f2 = f1 ? strchr(f1 + 1, ':') : NULL;
                unsigned long long a, b = 1;
                if (!f2)
                        continue;
                if (sub ? sscanf(f1 + 1, "%llu:%llu", &a, &b) == 2
                        : sscanf(f2 + 1, "%llu", &a) == 1)
                        mark_ids(a, b, used);
        }
}

static void mark_host_ids(uint8_t *used)
{
        mark_file("/etc/subuid", true, used);
        mark_file("/etc/subgid", true, used);
        mark_file("/etc/passwd", false, used);
        mark_file("/etc/group", false, used);
}

/* used[k] = 1 for every slot k a pod directory of data_dir records. */
static void scan_pods(const char *data_dir, uint8_t *used)
{
        mark_host_ids(used);
        for (size_t i = 0; i < ELEMENTSOF(scan_order); i++) {
                _cleanup_free_ char *path = pod_dir_path(data_dir, scan_order[i], NULL);
                _cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *d = dfd >= 0 ? fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 3)) : NULL;
                struct dirent *de;

                if (!d)
                        continue;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.')
                                mark_pod(dfd, de->d_name, used);
                closedir(d);
        }
}

/* A free slot, starting the search at a random one; 0 when every slot is used. */
static uint32_t pick_slot(const uint8_t *used)
{
        uint32_t start = 0;

        if (getrandom(&start, sizeof(start), 0) != (ssize_t)sizeof(start))
                start = (uint32_t)getpid();
        for (uint32_t i = 0; i < USERNS_POD_SLOTS; i++) {
                uint32_t k = 1 + (start + i) % USERNS_POD_SLOTS;
                if (!used[k])
                        return k;
        }
        return 0;
}

static int no_range(struct rk_error **reterr)
{
        return rk_error_set(reterr, ENOSPC,
                            "no free range of user namespace ids: all %u ranges of %u ids are "
                            "used by pods or by the host's users (rkt gc releases those of "
                            "exited pods)",
                            USERNS_POD_SLOTS, USERNS_POD_COUNT);
}

int pod_userns_check_free(const char *data_dir, struct rk_error **reterr)
{
        _cleanup_free_ uint8_t *used = xnew0(uint8_t, USERNS_POD_SLOTS + 1);

        scan_pods(data_dir, used);
        return pick_slot(used) ? 0 : no_range(reterr);
}

int pod_userns_allocate(struct pod *p, struct userns_range *ret, struct rk_error **reterr)
{
        _cleanup_free_ uint8_t *used = xnew0(uint8_t, USERNS_POD_SLOTS + 1);
        _cleanup_free_ char *lock_path = xasprintf("%s/pods/userns.lck", p->data_dir);
        _cleanup_close_ int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        char text[32];
        uint32_t k;
        int r;

        if (lock < 0 || flock(lock, LOCK_EX) < 0)
                return rk_error_set_errno(reterr, errno, "cannot lock %s", lock_path);
        scan_pods(p->data_dir, used);
        k = pick_slot(used);
        if (k == 0)
                return no_range(reterr);
        *ret = (struct userns_range){.shift = k * USERNS_POD_COUNT, .count = USERNS_POD_COUNT};
        snprintf(text, sizeof(text), "%u:%u", ret->shift, ret->count);
        r = write_file_new_at(p->fd, "private-users-prepared", text, strlen(text), 0640);
        if (r < 0)
                return rk_error_set_errno(reterr, -r, "cannot write private-users-prepared");
        return 0;
}
