/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rkt gc (SPEC.md §3.8): marks exited, aborted and expired pods as garbage, then deletes the
 * garbage whose grace period has passed. Requires root.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli-store.h"
#include "commands.h"
#include "log.h"
#include "pod-cli.h"
#include "time-util.h"

static int64_t arg_grace_ns = 30 * NSEC_PER_MIN;
static int64_t arg_expire_ns = 24 * NSEC_PER_HOUR;
static bool arg_mark_only;

static int parse_duration_flag(const char *arg, void *value, char **ret_msg)
{
        if (parse_duration_go(arg, value) < 0) {
                *ret_msg = xasprintf("time: invalid duration \"%s\"", arg);
                return -EINVAL;
        }
        return 0;
}

static const struct flag gc_flags[] = {
        {"expire-prepared", FLAG_FUNC, &arg_expire_ns, parse_duration_flag, "24h0m0s",
         "duration to wait before expiring prepared pods"},
        {"grace-period", FLAG_FUNC, &arg_grace_ns, parse_duration_flag, "30m0s",
         "duration to wait before discarding inactive pods from garbage"},
        {"mark-only", FLAG_BOOL, &arg_mark_only, .def = "false",
         .usage = "if set to true, then the exited/aborted pods will be moved to the garbage "
                  "directories without actually deleting them, this is useful for marking the "
                  "exit time of a pod"},
        {NULL},
};

/* Renames p to its garbage directory; a pod that vanished meanwhile is no error. */
static void mark_garbage(struct pod *p)
{
        struct rk_error *err = NULL;

        if (pod_to_garbage(p, &err) < 0) {
                if (err->errnum != ENOENT) {
                        rk_error_wrap(&err, "rename error");
                        cli_report(err);
                } else
                        rk_error_free(err);
        }
}

static void mark_exited(struct pod *p, void *userdata)
{
        if (p->state != POD_STATE_EXITED)
                return;
        log_error("moving pod \"%s\" to garbage", p->uuid);
        mark_garbage(p);
}

static void mark_aborted(struct pod *p, void *userdata)
{
        if (p->state != POD_STATE_ABORTED_PREPARE)
                return;
        log_error("moving failed prepare \"%s\" to garbage", p->uuid);
        mark_garbage(p);
}

/* Whether ctime(P) + d is before now: 1, 0, or -ENOENT when P is gone (another gc or rm
 * removed it: no error). Other stat errors are reported and count as 0. */
static int expired(const struct pod *p, int64_t d)
{
        struct stat st;

        if (lstat(p->path, &st) < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                log_error("unable to stat \"%s\", ignoring: %m", p->path);
                return 0;
        }
        return now_ns() > (int64_t)st.st_ctim.tv_sec * NSEC_PER_SEC + st.st_ctim.tv_nsec + d;
}

static void mark_expired(struct pod *p, void *userdata)
{
        if (p->state != POD_STATE_PREPARED || expired(p, arg_expire_ns) <= 0)
                return;
        log_error("moving expired prepared pod \"%s\" to garbage", p->uuid);
        mark_garbage(p);
}

/* Locks (blocking) and deletes p, unless another gc or rm removed it meanwhile. */
static void collect(struct pod *p)
{
        struct rk_error *err = NULL;
        int r = pod_lock_for_delete(p, &err);

        if (r <= 0) {
                rk_error_free(err);
                return;
        }
        printf("Garbage collecting pod \"%s\"\n", p->uuid);
        fflush(stdout);
        if (cli_pod_delete(p, &err) < 0)
                cli_report(err);
}

static void sweep_exited(struct pod *p, void *userdata)
{
        int r = expired(p, arg_grace_ns);

        if (r == -ENOENT)
                return;
        if (r == 0) {
                _cleanup_free_ char *g = format_duration_go(arg_grace_ns);
                log_error("pod \"%s\" not removed: still within grace period (%s)", p->uuid, g);
                return;
        }
        collect(p);
}

static void sweep_garbage(struct pod *p, void *userdata)
{
        collect(p);
}

static const struct gc_step {
        unsigned dirs;
        void (*fn)(struct pod *p, void *userdata);
        const char *failure;
        bool mark;
} gc_steps[] = {
        {POD_DIR_RUN, mark_exited, "failed to rename exited pods", true},
        {POD_DIR_PREPARE, mark_aborted, "failed to rename aborted pods", true},
        {POD_DIR_PREPARED, mark_expired, "failed to rename expired prepared pods", false},
        {POD_DIR_EXITED_GARBAGE, sweep_exited, "failed to empty exitedGarbage", false},
        {POD_DIR_GARBAGE, sweep_garbage, "failed to empty garbage", false},
};

static int gc_run(const struct command *cmd, int argc, char **argv)
{
        const char *dir;

        if (cli_become_root(false, NULL) != 0)
                return EXIT_RKT_ERROR;
        dir = cli_data_dir();
        if (!dir)
                return EXIT_RKT_ERROR;
        for (size_t i = 0; i < ELEMENTSOF(gc_steps); i++) {
                struct rk_error *err = NULL;

                if (arg_mark_only && !gc_steps[i].mark)
                        break;
                if (pod_walk(dir, gc_steps[i].dirs, gc_steps[i].fn, NULL, &err) < 0) {
                        rk_error_wrap(&err, "%s", gc_steps[i].failure);
                        return cli_report(err);
                }
        }
        return 0;
}

const struct command cmd_gc = {
        .name = "gc",
        .short_desc = "Garbage collect rkt pods no longer in use",
        .usage = "[--grace-period=duration] [--expire-prepared=duration]",
        .long_desc = "This is intended to be run periodically from a timer or cron job.\n\n"
                     "Garbage collection is a 2-step process. First, stopped pods are moved to "
                     "the\ngarbage by one invocation of the gc command. A subsequent invocation "
                     "will clean\nup the pod, assuming the pod has been in the garbage for more "
                     "time than the\nspecified grace period.\n\nUse --grace-period=0s to "
                     "effectively disable the grace-period.",
        .flags = gc_flags,
        .run = gc_run,
};
