/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native flavor's gc entrypoint (`/gc [--debug] [--local-config DIR] <uuid>`). Runs in:
 * the host, as a child of stage0 with cwd = P. Kills leftovers in the pod's cgroup and
 * removes the cgroup from every hierarchy; stage0 unmounts leftovers itself.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cgroup.h"
#include "fs-util.h"

int main(int argc, char **argv)
{
        _cleanup_free_ char *sub = NULL, *expect = NULL;
        const char *uuid = NULL;
        struct cgroups cg = {0};
        int r;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--local-config") == 0 || strcmp(argv[i], "-local-config") == 0)
                        i++;
                else if (argv[i][0] != '-')
                        uuid = argv[i];
        }
        if (!uuid) {
                fprintf(stderr, "gc: UUID is missing\n");
                return 254;
        }
        r = read_file_at(AT_FDCWD, "subcgroup", 4096, &sub, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                fprintf(stderr, "gc: reading subcgroup: %s\n", strerror(-r));
                return 254;
        }
        sub[strcspn(sub, "\n")] = '\0';
        expect = cgroup_pod_path(uuid);
        if (strcmp(sub, expect) != 0 || strstr(sub, "..")) {
                fprintf(stderr, "gc: refusing unexpected subcgroup \"%s\"\n", sub);
                return 254;
        }
        if (cgroups_detect(&cg) < 0)
                return 254;
        r = cgroups_remove(&cg, sub);
        cgroups_done(&cg);
        if (r < 0) {
                fprintf(stderr, "gc: removing cgroup %s: %s\n", sub, strerror(-r));
                return 254;
        }
        return 0;
}
