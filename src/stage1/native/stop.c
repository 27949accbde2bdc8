/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's stop entrypoint (`/stop [--force] <uuid>`). Runs in: the host, as a
 * child of stage0 with cwd = P. Graceful: SIGTERM to the pod's pid 1 (which stops every app
 * and exits). --force: kill every process in the pod's cgroup.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs-util.h"
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
        if (!force) {
                if (kill((pid_t)pid, SIGTERM) < 0 && errno != ESRCH) {
                        fprintf(stderr, "stop: sending SIGTERM to %ld: %m\n", pid);
                        return 254;
                }
                return 0;
        }
        if (pid > 0)
                (void)kill((pid_t)pid, SIGKILL);
        if (read_file_at(AT_FDCWD, "subcgroup", 4096, &sub, NULL) >= 0 &&
            cgroups_detect(&cg) >= 0) {
                sub[strcspn(sub, "\n")] = '\0';
                (void)cgroups_kill(&cg, sub);
                cgroups_done(&cg);
        }
        return 0;
}
