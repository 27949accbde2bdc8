/* SPDX-License-Identifier: Apache-2.0 */
/* rkt version (SPEC.md §3.15). */
#include <string.h>
#include <sys/utsname.h>

#include "commands.h"

static int version_run(const struct command *cmd, int argc, char **argv)
{
        struct utsname u;
        const char *arch = "amd64";

        if (uname(&u) == 0 && strcmp(u.machine, "x86_64") != 0)
                arch = u.machine;
        printf("rkt Version: %s\n", RKT_VERSION);
        printf("appc Version: %s\n", APPC_VERSION);
        printf("Go Version: none (C, gcc %s)\n", __VERSION__);
        printf("Go OS/Arch: linux/%s\n", arch);
        printf("Features: -TPM -SDJOURNAL\n");
        return 0;
}

const struct command cmd_version = {
        .name = "version",
        .short_desc = "Print the version and exit",
        .long_desc = "Print the version of rkt, and various build and configuration information.",
        .run = version_run,
};
