/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's gc entrypoint (`/gc [--debug] [--local-config DIR] <uuid>`). Runs in:
 * the host, as a child of stage0 with cwd = P. Leaves the pod's CNI networks (DEL, port
 * forwarding, namespace), kills leftovers in the pod's cgroup and removes the cgroup from
 * every hierarchy (a rootless pod's: from cgroup2, below the user's delegated cgroup);
 * stage0 unmounts leftovers itself.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs-util.h"
#include "log.h"
#include "net.h"

/* The networks first: their DEL needs nothing of the cgroup, and must run even without it. */
static int gc_network(const char *uuid)
{
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;

        if (net_pod_teardown(AT_FDCWD, uuid, &e) < 0) {
                _cleanup_free_ char *msg = rk_error_render(e, false);
                fprintf(stderr, "gc: %s\n", msg);
                net_pod_remove_netns(AT_FDCWD); /* stage0 deletes the pod even so */
                return 254;
        }
        return 0;
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *sub = NULL;
        _cleanup_(rk_error_freep) struct rk_error *e = NULL;
        const char *uuid = NULL;
        bool rootless = cgroup_caller_rootless();
        struct cgroups cg = {0};
        int r, net_status;

        log_set_max_level(LOG_LEVEL_WARNING);
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--local-config") == 0 || strcmp(argv[i], "-local-config") == 0)
                        i++;
                else if (strcmp(argv[i], "--debug") == 0 || strcmp(argv[i], "--debug=true") == 0)
                        log_set_max_level(LOG_LEVEL_DEBUG);
                else if (argv[i][0] != '-')
                        uuid = argv[i];
        }
        if (!uuid) {
                fprintf(stderr, "gc: UUID is missing\n");
                return 254;
        }
        net_status = gc_network(uuid);
        r = cgroup_read_subcgroup(&sub, &e);
        if (r == -EPERM) {
                _cleanup_free_ char *msg = rk_error_render(e, false);
                fprintf(stderr, "gc: %s\n", msg);
                return 254;
        }
        if (r < 0) {
                fprintf(stderr, "gc: reading subcgroup: %s\n", strerror(-r));
                return 254;
        }
        if (!sub)
                return net_status;
        if (cgroups_detect(&cg) < 0)
                return 254;
        if (rootless)
                cgroups_keep(&cg, NULL); /* only cgroup2 is the user's */
        r = cgroups_remove(&cg, sub);
        cgroups_done(&cg);
        if (r < 0) {
                fprintf(stderr, "gc: removing cgroup %s: %s\n", sub, strerror(-r));
                return 254;
        }
        return net_status;
}
