/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pod state transitions (SPEC.md §6.4): each is a rename between state directories, followed
 * by an fsync of the destination directory where a crash must not undo it (prepared; rkt
 * synced every one: two fsyncs of each `rkt run`). Runs in stage0.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "pod-private.h"

int pod_move(struct pod *p, enum pod_dir to, bool sync, struct rk_error **reterr)
{
        _cleanup_free_ char *dst = pod_dir_path(p->data_dir, to, p->uuid);
        _cleanup_free_ char *parent = pod_dir_path(p->data_dir, to, NULL);
        _cleanup_close_ int dfd = -EBADF;

        if (rename(p->path, dst) < 0)
                return rk_error_set_errno(reterr, errno, "cannot rename %s to %s", p->path, dst);
        free(p->path);
        p->path = TAKE_PTR(dst);
        if (!sync)
                return 0;
        dfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return rk_error_set_errno(reterr, errno, "cannot sync %s", parent);
        return 0;
}

int pod_to_prepared(struct pod *p, struct rk_error **reterr)
{
        int r;

        if (p->state != POD_STATE_PREPARING || !p->locked_by_us)
                return rk_error_set(reterr, EINVAL,
                                    "bug: only preparing pods may transition to prepared");
        if (syncfs(p->fd) < 0)
                return rk_error_set_errno(reterr, errno, "failed to sync pod %s data", p->uuid);
        r = pod_move(p, POD_DIR_PREPARED, true, reterr);
        if (r < 0)
                return r;
        (void)flock(p->fd, LOCK_UN);
        p->locked_by_us = false;
        p->state = POD_STATE_PREPARED;
        return 0;
}

int pod_to_run(struct pod *p, struct rk_error **reterr)
{
        int r;

        if (p->state != POD_STATE_PREPARED && !(p->state == POD_STATE_PREPARING && p->locked_by_us))
                return rk_error_set(reterr, EINVAL,
                                    "cannot transition to run: pod \"%s\" is %s, not prepared",
                                    p->uuid, pod_state_to_string(p->state));
        if (!p->locked_by_us) {
                if (flock(p->fd, LOCK_EX) < 0)
                        return rk_error_set_errno(reterr, errno, "cannot transition to run");
                p->locked_by_us = true;
        }
        r = pod_move(p, POD_DIR_RUN, false, reterr);
        if (r < 0)
                return rk_error_wrap(reterr, "cannot transition to run");
        p->state = POD_STATE_RUNNING;
        return 0;
}

int pod_to_garbage(struct pod *p, struct rk_error **reterr)
{
        int r;

        switch (p->state) {
        case POD_STATE_EXITED:
                r = pod_move(p, POD_DIR_EXITED_GARBAGE, false, reterr);
                if (r >= 0)
                        p->state = POD_STATE_EXITED_GARBAGE;
                return r;
        case POD_STATE_ABORTED_PREPARE:
        case POD_STATE_PREPARED:
                r = pod_move(p, POD_DIR_GARBAGE, false, reterr);
                if (r >= 0)
                        p->state = POD_STATE_GARBAGE;
                return r;
        default:
                return rk_error_set(reterr, EINVAL,
                                    "bug: only exited, failed prepare or prepared pods may "
                                    "transition to garbage");
        }
}
