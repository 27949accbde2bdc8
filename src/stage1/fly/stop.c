/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fly flavor's stop entrypoint (`/stop [--force] <uuid>`, SPEC.md §7.6). Runs in: the
 * host, as a child of stage0 with cwd = P. SIGTERM (SIGKILL with --force) to P/pid while it
 * is the process holding the pod lock (the app), else (when no process has that number) to
 * the process group P/pgid when the app led it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "process-util.h"
#include "stage1-pod.h"

/* Whether descriptor fd of process pid holds a write flock (its fdinfo's "lock:" line). */
static bool fd_holds_write_flock(long pid, const char *fd)
{
        _cleanup_free_ char *path = xasprintf("/proc/%ld/fdinfo/%s", pid, fd), *text = NULL;
        char *lock;

        if (read_file_at(AT_FDCWD, path, 1 << 16, &text, NULL) < 0 ||
            !(lock = strstr(text, "lock:")))
                return false;
        lock[strcspn(lock, "\n")] = '\0';
        return strstr(lock, " FLOCK ") && strstr(lock, " WRITE ");
}

/*
 * Whether the process of pidfd (pid) holds the pod lock: a descriptor of P (the cwd) with
 * its write flock, as the fly app has (it inherits the lock's descriptor). P/pid alone may
 * name another process, when the pod exited and its number was reused (a member of group
 * rkt can keep an exited pod locked, that is "running", while it waits for the number); a
 * descriptor of P alone is not enough either (root's own rkt status or stop of the pod have
 * one). Only the pod's app and a member holding the lock pass.
 */
static bool holds_pod_lock(int pidfd, long pid)
{
        _cleanup_free_ char *dir = xasprintf("/proc/%ld/fd", pid);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat pod, st;
        struct dirent *de;
        bool found = false;
        DIR *d;

        if (fd < 0 || stat(".", &pod) < 0 || !(d = fdopendir(fd)))
                return false;
        fd = -EBADF; /* d owns it */
        while (!found && (de = readdir(d)))
                found = de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
                        st.st_dev == pod.st_dev && st.st_ino == pod.st_ino &&
                        fd_holds_write_flock(pid, de->d_name);
        closedir(d);
        return found && pidfd_running(pidfd);
}

int main(int argc, char **argv)
{
        int sig = SIGTERM;
        long pid = 0, pgid = 0;

        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-force") == 0 ||
                    strcmp(argv[i], "--force=true") == 0)
                        sig = SIGKILL;
        if (read_long_at(AT_FDCWD, "pid", READ_LONG_STRICT, &pid) < 0 || pid <= 0) {
                fprintf(stderr, "stop: cannot read the pod's pid: %m\n");
                return 254;
        }
        _cleanup_close_ int pidfd = pidfd_open_pid((pid_t)pid);
        if (pidfd < 0 && pidfd != -ESRCH) {
                fprintf(stderr, "stop: opening process %ld: %s\n", pid, strerror(-pidfd));
                return 254;
        }
        if (pidfd >= 0) {
                /* a process of that number: the pod's only if it holds the pod lock */
                if (holds_pod_lock(pidfd, pid))
                        (void)pidfd_signal(pidfd, sig);
                return 0;
        }
        /*
         * No process has that number: the app is gone; its children are in P/pgid. Only a
         * group the app led: P/pgid is otherwise the group rkt run was started in (a shell's
         * job, a service), never ours to signal. That group outlives its leader's number:
         * while it exists, the number is no other process's or group's.
         */
        if (read_long_at(AT_FDCWD, "pgid", READ_LONG_STRICT, &pgid) < 0 || pgid <= 0) {
                fprintf(stderr, "stop: cannot read the pod's pgid: %m\n");
                return 254;
        }
        if (pgid != pid)
                return 0;
        if (kill((pid_t)-pgid, sig) < 0 && errno != ESRCH) {
                fprintf(stderr, "stop: signalling process group %ld: %m\n", pgid);
                return 254;
        }
        return 0;
}
