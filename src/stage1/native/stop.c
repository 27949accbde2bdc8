/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's stop entrypoint (`/stop [--force] <uuid>`). Runs in: the host, as a
 * child of stage0 with cwd = P. Graceful: SIGTERM to the pod's pid 1 (which stops every app
 * and exits), only while P/pid names a process in the pod's cgroup. --force: kill every
 * process in the pod's cgroup. A rootless pod without a cgroup (no delegated cgroup2 subtree
 * of the user's, no P/subcgroup) is signalled while P/pid names the init of a pid namespace
 * (which takes the whole pod with it), a process of the user's own. P/subcgroup is used only
 * when cgroup_subcgroup_valid().
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

/* Whether the NSpid: line of a /proc/PID/status text ends in a nested namespace's pid 1. */
static bool nspid_is_ns_init(const char *status, const void *data)
{
        const char *line = strstr(status, "\nNSpid:");
        size_t len;

        if (!line)
                return false;
        line += strlen("\nNSpid:");
        len = strcspn(line, "\n");
        /* at least two pids ("\t<host pid>\t1"), the last one 1 */
        return len >= 4 && memchr(line + 1, '\t', len - 1) && memcmp(line + len - 2, "\t1", 2) == 0;
}

int main(int argc, char **argv)
{
        bool force = false;
        const char *uuid = NULL;
        _cleanup_free_ char *sub = NULL;
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        struct cgroups cg = {0};
        long pid = 0;
        bool rootless = cgroup_caller_rootless();

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
        if (cgroup_read_subcgroup(&sub, &e) == -EPERM) {
                _cleanup_free_ char *msg = rk_error_render(e, false);
                fprintf(stderr, "stop: %s\n", msg);
                return 254;
        }
        if (sub && force)
                (void)cgroups_detect(&cg); /* leaves cg empty on failure */
        if (sub && rootless)
                cgroups_keep(&cg, NULL); /* only cgroup2 is the user's */
        /* P/pid only if it still names the pod's process (cgroup_pidfd_in()) */
        _cleanup_close_ int pidfd =
                sub ? cgroup_pidfd_in((pid_t)pid, sub)
                    : pidfd_open_checked((pid_t)pid, "status", nspid_is_ns_init, NULL);
        if (!force) {
                int r = pidfd;

                if (r >= 0)
                        r = pidfd_signal(pidfd, SIGTERM);
                if (r < 0 && r != -ESRCH) { /* ESRCH: the pod exited */
                        fprintf(stderr, "stop: sending SIGTERM to %ld: %s\n", pid, strerror(-r));
                        cgroups_done(&cg);
                        return 254;
                }
                cgroups_done(&cg);
                return 0;
        }
        if (pidfd >= 0)
                (void)pidfd_signal(pidfd, SIGKILL);
        if (sub)
                (void)cgroups_kill(&cg, sub);
        cgroups_done(&cg);
        return 0;
}
