/* SPDX-License-Identifier: Apache-2.0 */
/* Registering pods with the metadata service. Runs in: the rkt command, as root. */
#include "register-mds.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "fs-util.h"
#include "log.h"
#include "mds-client.h"
#include "mds-registered.h"
#include "mds-util.h"
#include "time-util.h"

#define REGISTER_ATTEMPTS 3
#define MAX_MANIFEST      (16u << 20)

/* One registration request; a status other than 200 is an error. */
static int mds_put(const char *path, const char *shown, int dirfd, const char *file,
                   struct rk_error **reterr)
{
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        unsigned status = 0;
        int r = read_file_at(dirfd, file, MAX_MANIFEST, &body, &len);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "failed reading manifest %s", file);
        r = mds_client_request("PUT", path, body, len, REGISTER_ATTEMPTS, &status, reterr);
        if (r >= 0 && status != 200)
                r = rk_error_set(reterr, EPROTO, "PUT %s returned %u", shown, status);
        return r;
}

static int register_app(struct pod *p, const char *app, struct rk_error **reterr)
{
        _cleanup_free_ char *path = xasprintf("/pods/%s/%s", p->uuid, app);
        _cleanup_free_ char *file = xasprintf("stage1/rootfs/opt/stage2/%s/manifest", app);
        int r;

        if (faccessat(p->fd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                free(file);
                file = xasprintf("appsinfo/%s/manifest", app);
        }
        r = mds_put(path, path, p->fd, file, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "failed to register app with metadata svc");
        return 0;
}

int stage0_mds_register(struct pod *p, char *const *apps, char **ret_token,
                        struct rk_error **reterr)
{
        char token[MDS_TOKEN_LEN + 1];
        _cleanup_free_ char *path = NULL, *shown = xasprintf("/pods/%s", p->uuid);
        int r = mds_token_new(token);

        if (r < 0)
                return rk_error_set_errno(reterr, -r, "failed to generate MDS token");
        path = xasprintf("/pods/%s?token=%s", p->uuid, token);
        r = mds_put(path, shown, p->fd, "pod", reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "failed to register pod with metadata svc");
        r = mds_registered_mark(p->fd);
        if (r < 0)
                r = rk_error_set_errno(reterr, -r, "failed to create mds-register file");
        for (char *const *a = apps; r >= 0 && *a; a++)
                r = register_app(p, *a, reterr);
        if (r < 0) {
                stage0_mds_unregister(p);
                return r;
        }
        *ret_token = xstrdup(token);
        return 0;
}

void stage0_mds_unregister(const struct pod *p)
{
        _cleanup_free_ char *path = xasprintf("/pods/%s", p->uuid);
        struct rk_error *err = NULL;
        unsigned status = 0;

        if (!mds_registered_is_marked(p->fd))
                return;
        if (mds_client_request("DELETE", path, NULL, 0, 1, &status, &err) < 0 || status != 200) {
                log_error("warning: could not unregister pod with metadata service");
                log_debug("unregistering %s: %s", p->uuid, err ? rk_error_cause(err) : "status");
        }
        rk_error_free(err);
}

#define MDS_WAIT_NS (5 * NSEC_PER_SEC)
#define MDS_POLL_NS (50 * 1000 * 1000)

bool stage0_mds_wait_reachable(void)
{
        struct timespec step = {0, MDS_POLL_NS};

        for (int64_t waited = 0; waited < MDS_WAIT_NS; waited += MDS_POLL_NS) {
                if (mds_client_reachable())
                        return true;
                nanosleep(&step, NULL);
        }
        return mds_client_reachable();
}
