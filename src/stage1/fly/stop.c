/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fly flavor's stop entrypoint (`/stop [--force] <uuid>`, SPEC.md §7.6). Runs in: the
 * host, as a child of stage0 with cwd = P. SIGTERM (SIGKILL with --force) to P/pid when it
 * is alive, else to the process group of P/pgid.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fs-util.h"
#include "stage1-pod.h"

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
        if (kill((pid_t)pid, sig) == 0)
                return 0;
        if (read_long_at(AT_FDCWD, "pgid", READ_LONG_STRICT, &pgid) < 0 || pgid <= 0) {
                fprintf(stderr, "stop: cannot read the pod's pgid: %m\n");
                return 254;
        }
        if (kill((pid_t)-pgid, sig) < 0 && errno != ESRCH) {
                fprintf(stderr, "stop: signalling process group %ld: %m\n", pgid);
                return 254;
        }
        return 0;
}
