/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network definitions (src/net/net-conf.c): the input is a user's net.d file, loaded beside
 * the built-in "default" network (as a .conf, or a .conflist when the first byte is odd;
 * the rest is the file), then selected with --net=all, which checks the IPAM subnets of
 * every pair for overlaps.
 */
#include <fcntl.h>
#include <string.h>

#include "fs-util.h"
#include "fuzz.h"
#include "net.h"

#define INPUT_MAX (256 << 10)
#define DEFAULT_NET                                                                             \
        "{\"cniVersion\":\"0.3.1\",\"name\":\"default\",\"type\":\"ptp\",\"ipMasq\":true,"      \
        "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"172.16.28.0/24\",\"routes\":[{\"dst\":" \
        "\"0.0.0.0/0\"}]}}"

static void select_all(const struct net_defs *defs)
{
        const struct net_def **sel = NULL;
        struct net_request *reqs = NULL;
        struct rk_error *err = NULL;
        size_t n = 0;
        int r = net_select(defs, "all", &sel, &reqs, &n, &err);

        fuzz_check_error(r, &err);
        if (r < 0)
                return;
        FUZZ_ASSERT(n >= 1 && n <= defs->n);
        for (size_t i = 0; i < n; i++)
                FUZZ_ASSERT(strcmp(sel[i]->name, reqs[i].name) == 0 && reqs[i].args);
        free(sel);
        net_requests_free(reqs, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *dir = NULL, *builtin = NULL, *user = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        struct net_defs defs = {0};
        struct rk_error *err = NULL;
        const char *scratch;
        int r;

        if (size < 1 || size > INPUT_MAX)
                return 0;
        dirfd = fuzz_scratch_dir(&dir);
        FUZZ_ASSERT(mkdirat(dirfd, "builtin", 0755) >= 0 && mkdirat(dirfd, "user", 0755) >= 0);
        FUZZ_ASSERT(write_file_new_at(dirfd, "builtin/99-default.conf", DEFAULT_NET,
                                      strlen(DEFAULT_NET), 0644) >= 0);
        FUZZ_ASSERT(write_file_new_at(dirfd, data[0] & 1 ? "user/10-x.conflist" : "user/10-x.conf",
                                      data + 1, size - 1, 0644) >= 0);
        (void)fuzz_scratch(&scratch);
        builtin = xasprintf("%s/%s/builtin", scratch, dir);
        user = xasprintf("%s/%s/user", scratch, dir);
        r = net_defs_load(builtin, user, &defs, &err);
        fuzz_check_error(r, &err);
        if (r >= 0) {
                FUZZ_ASSERT(defs.n >= 1 && defs.n <= 2);
                select_all(&defs);
                net_defs_done(&defs);
        }
        fuzz_scratch_remove(dir);
        return 0;
}
