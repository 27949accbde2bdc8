/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pods on disk (SPEC.md §6.3, §6.4): D/pods/<state-dir>/<uuid>, whose state is the
 * directory it is in plus whether its flock is held. A process that dies drops its locks,
 * so a pod whose creator or supervisor was killed is seen truthfully (aborted, exited).
 *
 * Runs in: stage0 (the rkt command). Never blocks on another process's lock except where a
 * function says so.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "userns.h"

enum pod_state {
        POD_STATE_EMBRYO,
        POD_STATE_PREPARING,
        POD_STATE_ABORTED_PREPARE,
        POD_STATE_PREPARED,
        POD_STATE_RUNNING,
        POD_STATE_DELETING,        /* garbage, locked */
        POD_STATE_EXITED_DELETING, /* exited-garbage, locked */
        POD_STATE_EXITED,
        POD_STATE_EXITED_GARBAGE,
        POD_STATE_GARBAGE,
        _POD_STATE_MAX,
        _POD_STATE_INVALID = -EINVAL,
};

/* rkt's names: "embryo", "preparing", "aborted prepare", "prepared", "running", "deleting",
 * "exited deleting", "exited", "exited garbage", "garbage". */
const char *pod_state_to_string(enum pod_state s);

struct pod {
        char *uuid; /* 36 chars, lower case */
        char *path; /* absolute path of P */
        int fd;     /* P, O_RDONLY|O_DIRECTORY; holds the lock when locked */
        enum pod_state state;
        bool locked_by_us; /* we hold the exclusive lock on fd */
        char *data_dir;    /* D */
};

/* The state directories below D/pods, as bits for pod_walk(). */
enum pod_dir {
        POD_DIR_EMBRYO = 1 << 0,
        POD_DIR_PREPARE = 1 << 1,
        POD_DIR_PREPARED = 1 << 2,
        POD_DIR_RUN = 1 << 3,
        POD_DIR_EXITED_GARBAGE = 1 << 4,
        POD_DIR_GARBAGE = 1 << 5,
        POD_DIRS_MOST = POD_DIR_PREPARE | POD_DIR_PREPARED | POD_DIR_RUN | POD_DIR_EXITED_GARBAGE,
};

/* The directory (one POD_DIR_* bit) that holds a pod in state s. */
enum pod_dir pod_state_dir(enum pod_state s);
/* "embryo", "prepare", "prepared", "run", "exited-garbage" or "garbage". */
const char *pod_dir_name(enum pod_dir d);

/* NULL-safe; closes the fd (dropping our lock). Returns NULL. */
struct pod *pod_free(struct pod *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pod *, pod_free)

/*
 * Creates a new pod with a random v4 UUID: mkdir D/pods/embryo/<uuid> (0750), lock it
 * exclusively, rename it to prepare/ (state preparing, lock kept). Creates the pods
 * directories (2750... as SPEC.md §6.1) when missing.
 */
int pod_create(const char *data_dir, struct pod **ret, struct rk_error **reterr);

/*
 * Finds the pod whose UUID starts with arg (lower-cased) among prepare/, prepared/, run/
 * and exited-garbage/, and derives its state. Errors: "UUID cannot be empty",
 * "no matches found for \"<arg>\"", "ambiguous uuid, N matches". A pod removed after it
 * matched (by a gc or rm of another process) is not found either.
 */
int pod_open(const char *data_dir, const char *arg, struct pod **ret, struct rk_error **reterr);

/*
 * Whether D/pods exists. A reader that must not create it (the API service, which may run
 * without the right to) has no pod to find when it does not.
 */
bool pods_exist(const char *data_dir);

/* Every pod in prepare/, prepared/, run/, exited-garbage/ (sorted by UUID); with
 * include_garbage also garbage/. Unreadable entries are skipped. */
int pod_list(const char *data_dir, bool include_garbage, struct pod ***ret, size_t *ret_n,
             struct rk_error **reterr);
void pod_list_free(struct pod **v, size_t n);

/*
 * Calls fn for every pod found in the directories of mask, in UUID order, each opened as
 * pod_open() does and freed after fn returns (fn must not free it). Pods whose state moved to a
 * directory outside mask meanwhile are skipped, as are entries that are not directories (stderr
 * "unrecognized entry: ...") and names that are not UUIDs. Creates the pods directories when
 * missing. Returns 0, or -errno with reterr set when a directory cannot be listed.
 */
int pod_walk(const char *data_dir, unsigned mask, void (*fn)(struct pod *p, void *userdata),
             void *userdata, struct rk_error **reterr);

/* Writes a random (v4) UUID, 36 lowercase characters and a NUL, to buf. Returns 0 or -errno. */
int pod_uuid_generate(char buf[static 37]);

/* Re-derives p->state (and p->path) from the file system; -ENOENT when the pod is gone. A
 * pod whose lock we hold counts as locked. */
int pod_refresh_state(struct pod *p);

/* rkt's IsAfterRun(): exited, exited garbage, exited deleting, garbage or deleting. */
bool pod_is_after_run(const struct pod *p);
/* rkt's PodManifestAvailable(): false while preparing, aborted or deleting. */
bool pod_manifest_available(const struct pod *p);

/*
 * Transitions (each rename then fsyncs the destination's parent):
 * - pod_to_prepared(): prepare/ -> prepared/ after syncfs, then drops the lock;
 * - pod_to_run(): prepare/ or prepared/ -> run/; takes the exclusive lock first (blocking)
 *   when we do not hold it yet ("cannot transition to run: ...");
 * - pod_to_garbage(): run/ (exited) -> exited-garbage/; prepare/ (aborted) and prepared/
 *   -> garbage/.
 */
int pod_to_prepared(struct pod *p, struct rk_error **reterr);
int pod_to_run(struct pod *p, struct rk_error **reterr);
int pod_to_garbage(struct pod *p, struct rk_error **reterr);

/* Takes an exclusive lock on p (blocking unless nonblock; -EWOULDBLOCK when busy). */
int pod_lock(struct pod *p, bool nonblock, struct rk_error **reterr);

struct pod_mounts;

/*
 * Deletes a pod in state exited garbage, exited deleting or garbage whose exclusive lock we
 * hold: runs the stage1 gc entrypoint for exited pods (stderr inherited; failure only
 * warns), unmounts every mount still below P (deepest first), then removes P. A mount that
 * cannot be removed keeps the pod ("GC of leftover mounts for pod \"<uuid>\" failed").
 */
int pod_delete(struct pod *p, const char *local_config, bool debug, const struct pod_mounts *m,
               struct rk_error **reterr);

/*
 * The mounts below D/pods at one moment, for deleting many pods (rkt gc): pod_delete() given
 * it unmounts a pod's mounts from it instead of reading all of mountinfo again for each pod
 * (which made a gc of N pods cost N² in mountinfo), and reads mountinfo only when the
 * removal meets a mount the snapshot lacks. m may be NULL (always read mountinfo).
 */
int pod_mounts_snapshot(const char *data_dir, struct pod_mounts **ret, struct rk_error **reterr);
struct pod_mounts *pod_mounts_free(struct pod_mounts *m);

/*
 * Takes p's exclusive lock for pod_delete() (blocking: another gc or rm may be deleting it),
 * then finds the pod again. Returns 1 when p is locked and still there (state and path
 * refreshed), 0 when another process removed it meanwhile (p is left unlocked: skip it
 * silently), or < 0 with reterr set.
 */
int pod_lock_for_delete(struct pod *p, struct rk_error **reterr);

/*
 * Whether p is gone or being deleted by another process (p's state is refreshed): a read of
 * its files that failed is then no error to report, the pod is simply leaving.
 */
bool pod_is_vanishing(struct pod *p);

/* Times in ns since the epoch; 0 when unknown (SPEC.md §6.4 "Times"). */
int64_t pod_creation_time(const struct pod *p);
int64_t pod_start_time(const struct pod *p);
int64_t pod_gc_mark_time(const struct pod *p);
/* The pid in P/pid, else P/ppid; -ENOENT when neither is readable. */
int pod_read_pid(const struct pod *p, int *ret_pid);

struct pod_manifest;

/* P/pod parsed ("invalid pod manifest: ..." when it does not parse). */
int pod_read_manifest(const struct pod *p, struct pod_manifest **ret, struct rk_error **reterr);

struct image_manifest;

/*
 * The image manifest of app from P/appsinfo/<app>/manifest (written at prepare time).
 * Errors: -ENOENT when there is none (or app is not a name), "invalid image manifest of app
 * <app>: ..." when it does not parse.
 */
int pod_read_app_image_manifest(const struct pod *p, const char *app, struct image_manifest **ret,
                                struct rk_error **reterr);

/* The app names of P/pod (at least one, else "pod must contain at least one application",
 * but for a mutable pod); a strv. */
int pod_app_names(const struct pod *p, char ***ret, struct rk_error **reterr);

/* P/pod (the pod manifest), raw and NUL-terminated. */
int pod_read_manifest_raw(const struct pod *p, char **ret, size_t *ret_len,
                          struct rk_error **reterr);
/* The app's exit status from S1/rkt/status/<app> (S1 is the overlay upper dir for overlay
 * pods); -ENOENT when it has not exited. */
int pod_read_app_status(const struct pod *p, const char *app, int *ret_code);

/* S1/rkt/status (or its copy in the stage1's upper directory), reached without following a
 * link (an app that may trace writes S1): an O_PATH descriptor or -errno. */
int pod_app_status_dir_open(const struct pod *p);
/*
 * The cgroup of a running pod as rkt's API reports it: "/" + P/subcgroup when the stage1
 * wrote one, else the name=systemd (or unified) cgroup of pid from /proc/<pid>/cgroup without
 * a trailing "/init.scope". malloc'd in *ret; -ENOENT when neither can be read.
 */
int pod_read_cgroup(const struct pod *p, int pid, char **ret);

/*
 * Waits, polling every 100 ms, until S1/rkt/supervisor-status is a symlink to "ready"
 * (wait_ready) or until the pod finished (exited, aborted, garbage or gone). timeout_ns < 0
 * waits forever. Returns 0, or -ETIMEDOUT.
 */
int pod_wait_ready(struct pod *p, int64_t timeout_ns);
int pod_wait_finished(struct pod *p, int64_t timeout_ns);

/*
 * Runs the stage1 stop entrypoint `S1<stop> [--force] <uuid>` as a child with cwd P, stdout
 * and stderr inherited, and waits for it. Errors: "rkt stop not implemented for pod's
 * stage1: entrypoint \"coreos.com/rkt/stage1/stop\" not found", "exit status N".
 */
int pod_stop(const struct pod *p, bool force, struct rk_error **reterr);
/*
 * Runs the stage1 entrypoint coreos.com/rkt/stage1/app/<op> (add, rm, start, stop) of a
 * mutable pod with args, as pod_stop() runs stop. Errors: `entrypoint "..." not found`,
 * "exit status N".
 */
int pod_run_app_entrypoint(const struct pod *p, const char *op, char *const *args,
                           struct rk_error **reterr);

/* A stage1 entrypoint started by pod_start_app_entrypoint(). */
struct pod_entrypoint {
        pid_t pid;      /* 0 when it did not start */
        int exec_errno; /* why it did not start (its exec, or the spawn), else 0 */
        char *name;
};

/*
 * pod_run_app_entrypoint() in two steps: starts the entrypoint (*ret), which
 * pod_wait_entrypoint() waits for (always called once after a start that succeeded).
 */
int pod_start_app_entrypoint(const struct pod *p, const char *op, char *const *args,
                             struct pod_entrypoint *ret, struct rk_error **reterr);
int pod_wait_entrypoint(struct pod_entrypoint *ep, struct rk_error **reterr);

/*
 * --private-users (src/pod/pod-userns.c): pod_userns_allocate() gives the pod being
 * prepared (p locked by us) a range of USERNS_POD_COUNT host ids no other pod of its data
 * directory has, written to P/private-users-prepared; "no free range of user namespace
 * ids: ..." when there is none. pod_userns_check_free() says the same before any pod exists.
 * pod_read_userns_range() reads the range of the pod directory pod_fd (-ENOENT: none).
 */
int pod_userns_allocate(struct pod *p, struct userns_range *ret, struct rk_error **reterr);
int pod_userns_check_free(const char *data_dir, struct rk_error **reterr);
int pod_read_userns_range(int pod_fd, struct userns_range *ret);

/* Whether the pod was prepared with overlayfs (P/overlay-prepared). */
bool pod_uses_overlay(const struct pod *p);
/* The stage1 interface version (annotation coreos.com/rkt/stage1/interface-version, 1 when
 * absent). */
int pod_stage1_interface_version(const struct pod *p, int *ret, struct rk_error **reterr);
/* The value of the stage1 entrypoint annotation (a path inside the stage1 rootfs), malloc'd;
 * -ENOENT with `entrypoint "<annotation>" not found` when the stage1 has none. */
int pod_stage1_entrypoint(const struct pod *p, const char *annotation, char **ret,
                          struct rk_error **reterr);
enum pod_entrypoint_from {
        POD_ENTRYPOINT_TREE,          /* D/cas/tree/<P/stage1TreeStoreID>/rootfs: root-only */
        POD_ENTRYPOINT_STAGE1_ROOTFS, /* S1, before the pod ever ran (the run entrypoint) */
};

/*
 * The path to execute for the stage1 entrypoint ep (an entrypoint annotation's value): ep
 * resolved once inside the root that from names (neither the annotation nor a symlink leads
 * out of it), as "<root><path without symlinks>", checked to be a regular file. Only root
 * can write either root when it is used: entrypoints of a pod that has run come from the
 * tree store, never from S1, where its apps could have written. Returns 0 or < 0 with
 * reterr set.
 */
int pod_stage1_entrypoint_path(const struct pod *p, const char *ep, enum pod_entrypoint_from from,
                               char **ret_path, struct rk_error **reterr);

/*
 * The tree store's entrypoint ep as a sealed memfd copy (memfd_sealed_copy(), not
 * close-on-exec), for an entrypoint whose process joins the pod (enter): nothing in the pod
 * can rewrite what it runs through /proc/<pid>/exe. fexecve() it. Returns 0 or < 0 with
 * reterr set.
 */
int pod_stage1_open_sealed_entrypoint(const struct pod *p, const char *ep, int *ret_fd,
                                      struct rk_error **reterr);

/* Whether S1/rkt/supervisor-status says "ready". */
bool pod_supervisor_ready(const struct pod *p);
/*
 * Runs a crossing entrypoint (SPEC.md §7.2: app/add, app/start, app/stop, app/rm, attach)
 * of the pod's stage1 (its tree store copy) with args after argv[0], as a child with cwd P
 * and only RKT_STAGE1_ENTERCMD, RKT_STAGE1_ENTERPID (= pid1) and PATH in its environment;
 * interactive: it gets our stdin, stdout and stderr (SIGINT and SIGQUIT are ignored here
 * meanwhile), else only stderr. Waits for it; *ret_status (may be NULL) gets its wait
 * status. Errors: `entrypoint "<annotation>" not found`, "exit status N", "signal: ...".
 */
int pod_run_crossing_entrypoint(const struct pod *p, const char *annotation, char *const *args,
                                int pid1, bool interactive, int *ret_status,
                                struct rk_error **reterr);

/* The stage1 path prefix: P/stage1/rootfs. malloc'd. */
char *pod_stage1_rootfs(const struct pod *p);

/* --- the apps' logs (pod-logs.c; the format: app-log.h) --- */

/* One record of an app's log. Its strings stay valid until the next pod_logs_next(). */
struct pod_log_record {
        const char *app;
        int64_t time_ns;
        bool is_stderr;
        bool partial;     /* a part of a longer line; the rest follows */
        const char *line; /* the stored record, without its newline (NUL-terminated) */
        size_t line_len;
        const char *content; /* what the app wrote: the end of line (NUL-terminated) */
        size_t content_len;
};

struct pod_logs_filter {
        const char *app;  /* NULL: every app of the pod */
        int64_t since_ns; /* records at or after (0: no bound) */
        int64_t until_ns; /* records before (0: no bound) */
        uint64_t tail;    /* the last tail lines only (0: all) */
};

struct pod_logs;

/*
 * Opens the logs of p's apps (f->app, or every app of the pod manifest) as they are now:
 * P/logs/<app>.log.1 then <app>.log. Errors: "no app <name> in pod \"<uuid>\"" (-ENOENT),
 * "logging unsupported for pod \"<uuid>\": ..." when the pod keeps no logs (fly pods,
 * --interactive ones) and "no logs for pod \"<uuid>\": it has not started" (both
 * -EOPNOTSUPP), unreadable files. Reads only; waits (up to 2 s) only for a pod that has just
 * started and whose stage1 has not made P/logs yet.
 */
int pod_logs_open(const struct pod *p, const struct pod_logs_filter *f, struct pod_logs **ret,
                  struct rk_error **reterr);

/*
 * The next record that matches the filter, the apps' records merged in time order: returns 1
 * and fills *ret, or 0 when there is none (now: after pod_logs_refresh() more may come).
 * Records that do not parse are skipped. Reads what was there at pod_logs_open() first; the
 * tail applies to that.
 */
int pod_logs_next(struct pod_logs *l, struct pod_log_record *ret);

/*
 * For followers: looks at the files again, so that pod_logs_next() also returns what was
 * written since: data appended, a file truncated (read again from its start), <app>.log
 * rotated (the rest of the old file first, then the new one).
 */
void pod_logs_refresh(struct pod_logs *l);

/* The number of apps whose logs l reads. */
size_t pod_logs_n_apps(const struct pod_logs *l);

/*
 * For followers, once pod_logs_next() returned 0: refreshes p's state, then the files
 * (pod_logs_refresh()). Returns true while the pod runs (more may come: call again later),
 * false when it no longer does: what pod_logs_next() returns next is the rest of its logs
 * (the stage1 releases the pod only after its log writer has written everything).
 */
bool pod_logs_follow(struct pod_logs *l, struct pod *p);

struct pod_logs *pod_logs_free(struct pod_logs *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pod_logs *, pod_logs_free)
