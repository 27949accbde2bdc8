/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Everything the native pod init needs, computed on the host side before clone() (so that
 * every failure is reported before any namespace exists) and inherited by the pod init as a
 * copy of the host process's memory.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "app-exec.h"
#include "app-io.h"
#include "args.h"
#include "cgroup.h"
#include "creds.h"
#include "log-writer.h"
#include "net.h"
#include "stage1-pod.h"
#include "userns.h"
#include "volumes.h"

struct plan_app {
        const struct stage1_app *a;
        struct app_mounts mounts;
        struct app_creds creds;
        char **env;
        char **argv; /* exec with argv[0] resolved inside the rootfs */
        uint64_t caps;
        struct app_exec_params xp;
        struct app_seccomp seccomp; /* its filter, compiled on the host side */
        int *cgfds;                 /* the app's cgroup in every hierarchy */
        struct app_io io;           /* its I/O modes, its ends and their mux (app-io.h) */
        /* >= 3 (app-ctl.c): a mount namespace whose root is the app's root, which its
         * processes copy (enter_root_ns()) instead of the pod's (enter_root_pivot()) */
        int mntns_fd;
        /* supervisor state (pod init) */
        pid_t pid;
        pid_t post_stop_pid; /* its post-stop handler, waiting for its turn; or -1 */
        int post_stop_fd;    /* write one byte: run it; or -1 */
        bool running;
        bool signaled;
};

struct pod_plan {
        struct stage1_args args;
        struct stage1_pod *pod;
        struct cgroups cg;
        char *cg_pod; /* P/subcgroup */
        char *hostname;
        char *mds_url; /* the metadata service of a registered pod, or NULL */
        struct plan_app *apps;
        size_t n_apps;
        int *init_cgfds;      /* init.scope in every hierarchy */
        int cg2;              /* index of the cgroup2 hierarchy in cg, or -1 */
        bool into_cgroup;     /* children start in their cgroup2 cgroup (CLONE_INTO_CGROUP) */
        bool dev_filter;      /* device policy by cgroup2 BPF filters, not the v1 controller */
        bool no_limits;       /* rootless: the pod's cgroup lacks a controller the limits need */
        int sync_fd;          /* pod init: read end, EOF = go */
        int null_fd;          /* /dev/null of the host, for apps' stdin */
        int tty_fd;           /* interactive with a terminal: the pty slave; else -1 */
        char tty_path[64];    /* its /dev/pts path (bind source of the apps' /dev/console) */
        bool new_net;         /* the pod has its own network namespace */
        bool cni;             /* ... joined to CNI networks (net) before clone */
        bool resolv_from_net; /* S1/etc/rkt-resolv.conf came from a network's DNS */
        struct net_pod net;
        int netns_fd;  /* cni: the pod's network namespace, joined by the pod init first */
        int *port_fds; /* host ports reserved for the pod's life (pod init keeps them) */
        size_t n_port_fds;
        bool new_ipc;
        int n_listen_fds; /* socket activation: our fds 3..3+n-1, for socket-activated apps */
        /* the apps' stdout/stderr pipes to the log writer (not interactive) */
        struct app_logs logs;
        /* --private-users: the pod's ids, and the user namespace mapping them (made on the
         * host side before clone) that every app joins last (app_exec) and the pod init
         * once the apps are started */
        bool userns;
        struct userns_range range;
        int userns_fd;
        /* rkt runs rootless (stage0's rootless.h): this stage1 is root in a user namespace
         * of the user's ids; cgroups only in a delegated cgroup2 subtree of the user's
         * (host-init.c), the host's device nodes bound, /sys bound */
        bool rootless;
        /* >= 3: the pod's pid namespace, which we are outside of (app-ctl.c): apps' /proc */
        int proc_pidns_fd;
};

/*
 * Runs in: stage1 init, host side, before clone. Reserves the forwarded host ports, joins
 * the pod's CNI networks (net.h), writes resolv.conf from their DNS (--dns default), and
 * opens the pod's network namespace (p->netns_fd) for the pod init to join.
 * On failure nothing of it remains. Returns 0 or < 0 with reterr set.
 */
int pod_net_setup(struct pod_plan *p, struct rk_error **reterr);
/* Undoes pod_net_setup() after a later failure (errors reported on stderr). */
void pod_net_abort(struct pod_plan *p);

/* Runs in: pod init (pid 1 of the new pid namespace). Never returns. */
_noreturn_ void pod_init_run(struct pod_plan *p);

/*
 * Runs in: pod init, before pivot_root, with host paths still visible. Mounts /proc, /sys,
 * /dev, masked paths, volumes and /etc files into the app's rootfs. Returns 0 or < 0 with
 * reterr set.
 */
int pod_mounts_setup_app(const struct pod_plan *p, const struct plan_app *pa,
                         struct rk_error **reterr);

/*
 * Runs in: pod init, after binding the stage1 rootfs onto itself, before pivot_root. Shows
 * the host's cgroup filesystems read-only at its /sys/fs/cgroup (what apps see of pid 1's
 * root). Returns 0 or < 0 with reterr set.
 */
int pod_mounts_setup_stage1(const struct pod_plan *p, struct rk_error **reterr);

/* Three ^] within one second on a terminal (pty-proxy.c): the escape of the terminal relays
 * (the --interactive pod's, rkt attach's). */
struct pty_escape {
        int count;
        struct timespec first;
};
/* True when the n bytes of buf complete the escape sequence. */
bool pty_escape_seen(struct pty_escape *e, const char *buf, ssize_t n);

/*
 * Runs in: stage1 init, host side, after clone(). Relays between the caller's terminal
 * (raw mode) and the pty master until the pod ends; three ^] within one second kill the pod
 * (SIGKILL to its pid 1). Returns the wait status of the pod's pid 1, or -1 after an escape.
 */
int pty_proxy_run(int master, pid_t pod_pid);

/*
 * Shared with the app entrypoints of mutable pods (app-ctl.c), so that an app added later
 * starts through the same code as the apps of `rkt run`.
 * Runs in: pod init, or an app's monitor (app-ctl.c) outside the pod's pid namespace.
 */
pid_t fork_app(const struct pod_plan *p, const struct plan_app *pa);
/*
 * clone() with flags (namespaces; 0: a fork), the child starting in the cgroup2 cgroup cgfd
 * (>= 0) where the kernel can (CLONE_INTO_CGROUP, Linux 5.7: writing a pid to cgroup.procs
 * costs an RCU grace period): *ret_into says whether it did, in the parent and the child. A
 * fork-like raw clone: the caller has no threads.
 */
pid_t clone_into_cgroup(unsigned long flags, int cgfd, bool *ret_into);
_noreturn_ void app_child(const struct pod_plan *p, const struct plan_app *pa,
                          const struct app_exec_params *xp, int gate, int ready,
                          const struct app_io *io);
/* The exec parameters of the event handler name of pa; false when it has none. */
bool hook_params(const struct plan_app *pa, const char *name, struct app_exec_params *xp);
/* Keeps only CAP_KILL. */
void drop_init_caps(void);
/* Writes app's exit status record below / (S1). */
void write_status(const char *app, int code);
/* The exit code recorded for pa's wait status (0 when stopped by us). */
int app_exit_code(const struct plan_app *pa, int status);

/* Runs in: the stage1 host side (host-init.c). */
int plan_app(struct pod_plan *p, struct plan_app *pa, struct rk_error **reterr);
int setup_app_cgroup(struct pod_plan *p, struct plan_app *pa, struct rk_error **reterr);
int attach_filters(struct pod_plan *p, struct rk_error **reterr);
bool device_filters_work(const struct pod_plan *p);
char **wanted_controllers(const struct pod_plan *p);

/*
 * The app entrypoints of the native stage1 (app-ctl.c): the run entrypoint's binary, called
 * as app_add, app_start, app_stop or app_rm (hard links in the stage1 image).
 */
bool app_ctl_wanted(const char *argv0);
int app_ctl_main(int argc, char **argv);
