/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's stop entrypoint (`/stop [--force] <uuid>`). Runs in: the host, as a
 * child of stage0 with cwd = P. Graceful: SIGTERM to the pod's pid 1 (which stops every app
 * and exits), only while P/pid names a process in the pod's cgroup. --force: kill every
 * process in the pod's cgroup.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs-util.h"
#include "process-util.h"
#include "stage1-pod.h"

int main(int argc, char **argv)
{
        bool force = false;
        const char *uuid = NULL;
        _cleanup_free_ char *sub = NULL;
        struct cgroups cg = {0};
        long pid = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-force") == 0 ||
                    strcmp(argv[i], "--force=true") == 0)
                        force = true;
                else if (argv[i][0] != '-')
                        uuid = argv[i];
        }
        if (!uuid) {
                fprintf(stderr, "stop: UUID is missing\n");
                return 254;
        }
        if ((read_long_at(AT_FDCWD, "pid", READ_LONG_STRICT, &pid) < 0 || pid <= 0) && !force) {
                fprintf(stderr, "stop: cannot read the pod's pid: %m\n");
                return 254;
        }
        sub = cgroup_read_subcgroup();
        /* P/pid only if it still names the pod's process (cgroup_pidfd_in()) */
        _cleanup_close_ int pidfd = sub && pid > 0 ? cgroup_pidfd_in((pid_t)pid, sub) : -ESRCH;
        if (!force) {
                int r = pidfd;

                if (r >= 0)
                        r = pidfd_signal(pidfd, SIGTERM);
                if (r < 0 && r != -ESRCH) { /* ESRCH: the pod exited */
                        fprintf(stderr, "stop: sending SIGTERM to %ld: %s\n", pid, strerror(-r));
                        return 254;
                }
                return 0;
        }
        if (pidfd >= 0)
                (void)pidfd_signal(pidfd, SIGKILL);
        if (sub && cgroups_detect(&cg) >= 0) {
                (void)cgroups_kill(&cg, sub);
                cgroups_done(&cg);
        }
        return 0;
}
