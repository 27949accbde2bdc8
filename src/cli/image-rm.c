/* SPDX-License-Identifier: Apache-2.0 */
/* Image removal with rkt's reporting. */
#include "image-rm.h"

#include "cli.h"
#include "log.h"
#include "strv.h"

/* Removes one image; returns 0 when removed, 1 when stale files remain, <0 on failure. */
static int image_rm_one(struct store *s, const char *key)
{
        struct image_info info = {0};
        struct rk_error *err = NULL;
        const char *name;
        int r;

        if (store_get_image(s, key, &info, &err) < 0)
                err = rk_error_free(err);
        name = info.name ? info.name : "";
        r = store_remove_image(s, key, &err);
        if (r < 0) {
                log_error("error removing aci for image \"%s\" (\"%s\"): %s", key, name,
                          rk_error_cause(err));
                rk_error_free(err);
        } else if (r > 0)
                log_error("some files cannot be removed for image \"%s\" (\"%s\")", key, name);
        else
                printf("successfully removed aci for image: \"%s\"\n", key);
        image_info_done(&info);
        return r;
}

int image_rm_keys(struct store *s, char *const *keys)
{
        unsigned done = 0, stale = 0, failed = 0;

        STRV_FOREACH(k, (char **)keys) {
                int r = image_rm_one(s, *k);

                if (r < 0)
                        failed++;
                else if (r > 0)
                        stale++;
                else
                        done++;
        }
        fflush(stdout);
        if (done > 0)
                log_info("%u image(s) successfully removed", done);
        if (stale > 0)
                log_error("%u image(s) removed but left some stale files", stale);
        if (failed > 0)
                log_error("%u image(s) cannot be removed", failed);
        if (stale + failed > 0) {
                log_error("error(s) found while removing images");
                return -EIO;
        }
        return 0;
}
