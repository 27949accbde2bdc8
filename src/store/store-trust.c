/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who imported an image (see store.h, store_image_importer()). Members of group rkt may
 * write the index (SQLite needs it) and create files in the store, but cannot make a file
 * owned by another user: the owner of an image's blob, which every import replaces with a
 * file of its own, is the record the kernel keeps for us. Runs in: stage0.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store-private.h"

int store_image_importer(struct store *s, const char *key, uid_t *ret_uid, struct rk_error **reterr)
{
        _cleanup_close_ int dfd = -EBADF;
        struct stat st;

        if (!store_key_is_valid(key))
                return rk_error_set(reterr, EINVAL, "invalid image ID %s", key);
        dfd = store_shard_open(s, "blob", key, false);
        if (dfd < 0 || fstatat(dfd, key, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return rk_error_set_errno(reterr, dfd < 0 ? -dfd : errno,
                                          "cannot find the blob of image %s", key);
        if (!S_ISREG(st.st_mode))
                return rk_error_set(reterr, EINVAL, "the blob of image %s is not a file", key);
        *ret_uid = st.st_uid;
        return 0;
}
