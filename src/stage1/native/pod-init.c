/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The native pod init. Runs in: pid 1 of the pod's pid namespace, in the pod's own mount,
 * UTS, IPC (and net) namespaces, as root. Prepares every app's root, pivots into the stage1
 * rootfs, runs pre-start hooks, starts all apps (each in its own mount namespace, pivoted
 * into its rootfs), reaps every child, records exit statuses, runs post-stop hooks and
 * exits with the pod's status (SPEC.md §7.3, §7.5). With --private-users every app (and
 * hook) joins the pod's user namespace as the last step before its ids are set, and the
 * pod init once they are started. A mutable pod's pod init (--mutable, app sandbox) stays
 * up without apps until it is stopped, reaping the monitors of the apps added later
 * (app-ctl.c), and stops them with the pod.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app-status.h"
#include "caps.h"
#include "fd-util.h"
#include "fs-util.h"
#include "keyrings.h"
#include "log.h"
#include "missing-syscall.h"
#include "pod-plan.h"
#include "process-util.h"
#include "strv.h"

#define STOP_TIMEOUT_SEC 10

_noreturn_ static void init_die(struct rk_error *e)
{
        _cleanup_free_ char *msg = rk_error_render(e, false);

        fprintf(stderr, "stage1: %s\n", msg);
        _exit(254);
}

_noreturn_ static void init_die_errno(int err, const char *what)
{
        fprintf(stderr, "stage1: %s: %s\n", what, strerror(err));
        _exit(254);
}

static int loopback_up(void)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};

        if (s < 0)
                return -errno;
        strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}

/* Waits until the host side has put us in our cgroups, written P/pid and closed its end. */
static void wait_go(int fd)
{
        char c;

        while (read(fd, &c, 1) > 0)
                ;
        safe_close(fd);
}

/*
 * --private-users with a network namespace of the pod's own: that namespace is the host
 * user namespace's (made or joined before the pod's), where the pod's root has no
 * CAP_NET_BIND_SERVICE: ports below 1024 are opened to every user of the pod instead.
 */
static void open_low_ports(const struct pod_plan *p)
{
        _cleanup_close_ int fd = -EBADF;

        if (!p->userns || !p->new_net)
                return;
        fd = open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write_full(fd, "0", 1) < 0)
                fprintf(stderr, "stage1: opening ports below 1024 to the pod's users: %m\n");
}

static void setup_namespaces(const struct pod_plan *p)
{
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                init_die_errno(errno, "making mounts private");
        if (sethostname(p->hostname, strlen(p->hostname)) < 0)
                init_die_errno(errno, "setting hostname");
        if (p->new_net && loopback_up() < 0)
                init_die_errno(errno, "failed to setup network: bringing up lo");
        open_low_ports(p);
}

static void pivot_to_stage1(const struct pod_plan *p)
{
        if (chdir(p->pod->stage1_dir) < 0)
                init_die_errno(errno, "entering the stage1 rootfs");
        if (syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                init_die_errno(errno, "pivot_root into the stage1 rootfs");
}

/*
 * Runs in: a child of pod init. Resets what pod init changed for itself, and what it
 * inherited (every signal default and unblocked, as safe_fork()'s FORK_RESET_SIGNALS).
 */
static void child_reset(const struct pod_plan *p)
{
        (void)signals_reset_all();
        (void)setsid();
        if (p->tty_fd >= 0) {
                for (int i = 0; i < 3; i++)
                        dup2(p->tty_fd, i);
                (void)ioctl(STDIN_FILENO, TIOCSCTTY, 0);
        } else if (!p->args.interactive) {
                dup2(p->null_fd, STDIN_FILENO);
        }
}

pid_t clone_into_cgroup(unsigned long flags, int cgfd, bool *ret_into)
{
        struct sys_clone_args args = {.flags = flags | CLONE_INTO_CGROUP,
                                      .exit_signal = SIGCHLD,
                                      .cgroup = (uint64_t)cgfd};
        pid_t pid;

        *ret_into = false;
        if (cgfd >= 0) {
                pid = sys_clone3(&args);
                if (pid >= 0) {
                        *ret_into = true; /* also in the child's copy */
                        return pid;
                }
                log_debug_errno(-errno, "clone3 into a cgroup: %m; moving the child instead");
        }
        return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/*
 * Runs in: pod init. fork() for a child of app pa: with p->into_cgroup the child starts in
 * the app's cgroup2 cgroup (clone3 CLONE_INTO_CGROUP), so joining it costs no migration.
 * A fork-like raw clone: pod init has no threads. Not safe_fork(), which forks without a
 * cgroup; the child's own setup (signals, session, terminal, cgroups, root) is app_child()'s.
 */
pid_t fork_app(const struct pod_plan *p, const struct plan_app *pa)
{
        struct sys_clone_args args = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD};

        if (!p->into_cgroup || pa->cgfds[p->cg2] < 0)
                return fork();
        args.cgroup = (uint64_t)pa->cgfds[p->cg2];
        return sys_clone3(&args);
}

/* Runs in: app child. Joins the app's cgroups it did not start in (v1 ones with limits). */
static int join_app_cgroups(const struct pod_plan *p, const struct plan_app *pa)
{
        _cleanup_free_ int *fds = xnew0(int, p->cg.n + 1);

        if (p->cg.n > 0)
                memcpy(fds, pa->cgfds, p->cg.n * sizeof(int));
        if (p->into_cgroup && pa->cgfds[p->cg2] >= 0)
                fds[p->cg2] = -1;
        return cgroups_attach_fds(fds, p->cg.n, 0);
}

/*
 * Runs in: app child (fork_app() of pod init). gate >= 3: the program starts on a byte from
 * it (once pod init has dropped its capabilities, or the app a post-stop handler waits for
 * has exited), waited for only once this child is as unprivileged as the program will be,
 * which closing ready (>= 3) tells pod init (app_exec()): no app may run beside a privileged
 * process of ours, as one may trace it. io: the app's own I/O (app-io.h), NULL for its event
 * handlers.
 */
_noreturn_ void app_child(const struct pod_plan *p, const struct plan_app *pa,
                          const struct app_exec_params *xp, int gate, int ready,
                          const struct app_io *io)
{
        struct app_exec_params x = *xp;
        int r;

        child_reset(p);
        if (io)
                app_io_use(io, !xp->spawn);
        r = join_app_cgroups(p, pa);
        if (r < 0)
                init_die_errno(-r, "joining the app's cgroup");
        r = pa->mntns_fd >= 3 ? enter_root_ns(pa->mntns_fd)
                              : enter_root_pivot(pa->a->rootfs_in_pod);
        if (r < 0)
                init_die_errno(-r, "entering the app's root");
        x.gate_fd = gate >= 3 ? gate : 0;
        x.ready_fd = ready >= 3 ? ready : 0;
        app_exec(&x);
}

static const struct ac_event_handler *find_hook(const struct ac_app *app, const char *name)
{
        for (size_t i = 0; i < app->n_event_handlers; i++)
                if (strcmp(app->event_handlers[i].name, name) == 0)
                        return &app->event_handlers[i];
        return NULL;
}

/* The exec parameters of the event handler name of pa (run as root in the app's root). */
bool hook_params(const struct plan_app *pa, const char *name, struct app_exec_params *xp)
{
        static const struct app_creds root = {0};
        const struct ac_event_handler *h = find_hook(pa->a->app, name);

        if (!h || !h->exec || !h->exec[0])
                return false;
        *xp = pa->xp;
        xp->argv = h->exec;
        xp->creds = &root;
        xp->workdir = "/";
        xp->no_new_privs = false;
        xp->n_listen_fds = 0;
        xp->seccomp = NULL; /* handlers run as root, unfiltered, as rkt's units did */
        /* but never with root's keyrings: the app's filter that made the keyring filter
         * needless (plan_app()) is not theirs */
        xp->deny_keyrings = pa->xp.deny_keyrings || pa->seccomp.blocks_keyrings;
        return true;
}

static void wait_hook(const struct plan_app *pa, const char *name, pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return; /* already reaped: it died before its turn */
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fprintf(stderr, "stage1: %s handler of app %s failed\n", name, pa->a->name);
}

/* Runs the pre-start handler of pa, if any, and waits for it. */
static void run_pre_start(const struct pod_plan *p, const struct plan_app *pa)
{
        struct app_exec_params xp;
        pid_t pid;

        if (!hook_params(pa, "pre-start", &xp))
                return;
        pid = fork_app(p, pa);
        if (pid < 0)
                init_die_errno(errno, "starting a pre-start handler");
        if (pid == 0)
                app_child(p, pa, &xp, -1, -1, NULL);
        wait_hook(pa, "pre-start", pid);
}

/*
 * Forks the post-stop handler of pa, if any, while pod init still has its capabilities: it
 * enters the app and drops to the handler's credentials, then waits for one byte on a pipe
 * (written when the app has exited) before its exec.
 */
static void prepare_post_stop(const struct pod_plan *p, struct plan_app *pa, int ready)
{
        struct app_exec_params xp;
        int fds[2];

        pa->post_stop_pid = -1;
        pa->post_stop_fd = -1;
        if (!hook_params(pa, "post-stop", &xp))
                return;
        if (pipe2(fds, O_CLOEXEC) < 0)
                init_die_errno(errno, "preparing a post-stop handler");
        pa->post_stop_pid = fork_app(p, pa);
        if (pa->post_stop_pid < 0)
                init_die_errno(errno, "preparing a post-stop handler");
        if (pa->post_stop_pid == 0) {
                safe_close(fds[1]);
                app_child(p, pa, &xp, fds[0], ready, NULL);
        }
        safe_close(fds[0]);
        pa->post_stop_fd = fds[1];
}

static void run_post_stop(struct plan_app *pa)
{
        if (pa->post_stop_fd < 0)
                return;
        if (write(pa->post_stop_fd, "x", 1) == 1)
                wait_hook(pa, "post-stop", pa->post_stop_pid);
        pa->post_stop_fd = safe_close(pa->post_stop_fd);
}

/*
 * Keeps only CAP_KILL (to stop apps running as other users). An app running as root with
 * rkt's default capabilities may then look at pid 1 (/proc/1/root, SPEC.md §11.11
 * TestCgroups) as under rkt; what still needs privileges was forked before.
 */
void drop_init_caps(void)
{
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2] = {
                {.effective = 1u << CAP_KILL, .permitted = 1u << CAP_KILL}};

        if (syscall(SYS_capset, &hdr, data) == 0)
                return;
        data[0] = (struct __user_cap_data_struct){0}; /* CAP_KILL was not ours to keep */
        if (syscall(SYS_capset, &hdr, data) < 0)
                fprintf(stderr, "stage1: dropping capabilities of pid 1: %m\n");
}

/*
 * The pod init's bounding set: what its apps may have (rkt's default set and what their
 * isolators add), as nspawn's was (SPEC.md §11.11 TestCaps). Its children were forked
 * before; the apps drop to their own sets themselves.
 */
static void bound_init_caps(const struct pod_plan *p)
{
        uint64_t set = caps_default();

        for (size_t i = 0; i < p->n_apps; i++)
                set |= p->apps[i].caps;
        if (caps_bound(set) < 0)
                fprintf(stderr, "stage1: limiting the bounding set of pid 1: %m\n");
}

/*
 * --private-users: once its children exist (each joins the namespace itself, as its last
 * privileged step), the pod init joins the pod's user namespace too, where `rkt enter`
 * finds it; it keeps the host's root id, which the apps cannot signal or trace.
 */
static void join_userns(struct pod_plan *p)
{
        if (!p->userns)
                return;
        if (setns(p->userns_fd, CLONE_NEWUSER) < 0)
                init_die_errno(errno, "joining the pod's user namespace");
        p->userns_fd = safe_close(p->userns_fd);
}

/*
 * An app allowed to trace may attach to pod init, which has the host root's uid: it gets the
 * keyring filter of every app (keyrings.h) before any app runs, while it may still load it.
 */
static void deny_init_keyrings(const struct pod_plan *p)
{
        int r;

        if (p->args.disable_seccomp)
                return;
        r = keyrings_deny();
        if (r < 0)
                init_die_errno(-r, "installing the system call filter of pid 1");
}

/* Until every child holding ready's write end has closed it (is unprivileged, app_child()). */
static void wait_ready(int ready[2])
{
        char c;

        safe_close(ready[1]);
        while (read(ready[0], &c, 1) != 0)
                if (errno != EINTR)
                        break;
        safe_close(ready[0]);
}

/*
 * Forks every app and post-stop handler; they wait at gates, unprivileged. Returns the apps'
 * gate's write end: they start on open_gate(), once pod init holds nothing they may not reach
 * (close_start_fds()).
 */
static int start_apps(struct pod_plan *p)
{
        int gate[2], ready[2];

        for (size_t i = 0; i < p->n_apps; i++)
                run_pre_start(p, &p->apps[i]);
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(gate, O_CLOEXEC) < 0)
                init_die_errno(errno, "starting the apps");
        for (size_t i = 0; i < p->n_apps; i++)
                prepare_post_stop(p, &p->apps[i], ready[1]);
        for (size_t i = 0; i < p->n_apps; i++) {
                struct plan_app *pa = &p->apps[i];
                pid_t pid = fork_app(p, pa);
                if (pid < 0)
                        init_die_errno(errno, "starting an app");
                if (pid == 0) {
                        safe_close(gate[1]);
                        app_logs_use(&p->logs, i); /* stdout, stderr: pipes to the log writer */
                        app_child(p, pa, &pa->xp, gate[0], ready[1], &pa->io);
                }
                pa->pid = pid;
                pa->running = true;
        }
        safe_close(gate[0]);
        wait_ready(ready);
        join_userns(p);
        (void)unlink("/rkt/supervisor-status");
        if (symlink("ready", "/rkt/supervisor-status") < 0)
                fprintf(stderr, "stage1: writing supervisor-status: %m\n");
        deny_init_keyrings(p);
        bound_init_caps(p);
        drop_init_caps();
        return gate[1];
}

/*
 * One byte per app child: each starts on its own (app_child()). EPIPE: every child already
 * failed (supervise() reaps them and reports).
 */
static void open_gate(const struct pod_plan *p, int gate)
{
        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < p->n_apps; i++)
                if (write(gate, "x", 1) != 1) {
                        if (errno != EPIPE)
                                init_die_errno(errno, "starting the apps");
                        break;
                }
        safe_close(gate);
}

struct supervisor {
        struct pod_plan *p;
        size_t running;
        bool stopping;
        time_t deadline;
        int exit_status;
};

static void begin_stop(struct supervisor *s)
{
        if (s->stopping)
                return;
        s->stopping = true;
        s->deadline = time(NULL) + STOP_TIMEOUT_SEC;
        for (size_t i = 0; i < s->p->n_apps; i++)
                if (s->p->apps[i].running) {
                        s->p->apps[i].signaled = true;
                        (void)kill(s->p->apps[i].pid, SIGTERM);
                }
        if (s->p->args.mutable_pod) /* the apps `rkt app start` started (app-ctl.c) */
                (void)kill(-1, SIGTERM);
}

void write_status(const char *app, int code)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC); /* S1 */
        int r = root < 0 ? -errno : app_status_write(root, app, code);

        if (r < 0) {
                errno = -r;
                fprintf(stderr, "stage1: writing /%s/%s: %m\n", APP_STATUS_DIR, app);
        }
}

int app_exit_code(const struct plan_app *pa, int status)
{
        if (WIFSIGNALED(status) && pa->signaled &&
            (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL))
                return 0; /* stopped by us: not reported with its own code */
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void app_exited(struct supervisor *s, struct plan_app *pa, int status)
{
        int code = app_exit_code(pa, status);

        pa->running = false;
        s->running--;
        write_status(pa->a->name, code);
        run_post_stop(pa);
        if (code != 0 && s->exit_status == 0) {
                s->exit_status = code;
                begin_stop(s);
        }
}

/* Reaps every exited child; returns whether no child is left. */
static bool reap(struct supervisor *s)
{
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                for (size_t i = 0; i < s->p->n_apps; i++)
                        if (s->p->apps[i].running && s->p->apps[i].pid == pid)
                                app_exited(s, &s->p->apps[i], status);
        return pid < 0 && errno == ECHILD;
}

/*
 * A mutable pod ends when stopped and nothing but the pod init is left in it: the apps
 * `rkt app start` started are the children of their monitors, outside the pod (app-ctl.c).
 */
static bool pod_done(struct supervisor *s, bool no_children)
{
        if (s->p->args.mutable_pod)
                return s->stopping && no_children && kill(-1, 0) < 0 && errno == ESRCH;
        return s->running == 0;
}

_noreturn_ static void supervise(struct pod_plan *p)
{
        struct supervisor s = {.p = p, .running = p->n_apps};
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        for (;;) {
                bool none = reap(&s);
                if (pod_done(&s, none))
                        break;
                if (s.stopping && time(NULL) >= s.deadline)
                        (void)kill(-1, SIGKILL); /* everything in the pod but us */
                struct timespec ts = {1, 0};
                int sig = sigtimedwait(&set, NULL, &ts);
                if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
                        begin_stop(&s);
        }
        _exit(s.exit_status);
}

static void noop_handler(int sig)
{
}

static void push_fds(int **v, size_t *n, const int *fds, size_t count)
{
        *v = oom_check(realloc(*v, (*n + count + 1) * sizeof(int)));
        memcpy(*v + *n, fds, count * sizeof(int));
        *n += count;
}

/*
 * The pod init holds nothing of the host it does not need: of the descriptors inherited
 * from the host side only stdio, the go pipe, /dev/null, the pty, the reserved host ports,
 * the sockets of socket activation, the cgroups apps are started in and the write ends of
 * the apps' log pipes stay open (the pod lock, the log directory and the rest are the host
 * side's). The cgroups, sockets and log pipes go once the apps run (close_start_fds).
 */
static void close_host_fds(const struct pod_plan *p)
{
        int base[] = {0, 1, 2, p->sync_fd, p->null_fd, p->tty_fd, p->userns_fd};
        _cleanup_free_ int *keep = NULL;
        size_t n = 0;

        push_fds(&keep, &n, base, ELEMENTSOF(base));
        push_fds(&keep, &n, p->port_fds ?: base, p->port_fds ? p->n_port_fds : 0);
        for (int i = 0; i < p->n_listen_fds; i++)
                push_fds(&keep, &n, &(int){3 + i}, 1);
        push_fds(&keep, &n, p->init_cgfds, p->cg.n);
        for (size_t i = 0; i < p->n_apps; i++) {
                push_fds(&keep, &n, p->apps[i].cgfds, p->cg.n);
                push_fds(&keep, &n, p->apps[i].io.app_fd, _APP_IO_N);
        }
        size_t n_logs;
        const int *logs = app_logs_writer_fds(&p->logs, &n_logs);
        push_fds(&keep, &n, logs ?: base, n_logs);
        close_all_fds_except(keep, n);
}

/* After the apps started: what only starting them needed. */
static void close_start_fds(struct pod_plan *p)
{
        for (size_t i = 0; i < p->cg.n; i++) {
                p->init_cgfds[i] = safe_close(p->init_cgfds[i]);
                for (size_t a = 0; a < p->n_apps; a++)
                        p->apps[a].cgfds[i] = safe_close(p->apps[a].cgfds[i]);
        }
        for (int i = 0; i < p->n_listen_fds; i++)
                safe_close(3 + i);
        p->n_listen_fds = 0;
        p->tty_fd = safe_close(p->tty_fd);
        app_logs_close_writers(&p->logs);
        for (size_t a = 0; a < p->n_apps; a++)
                app_io_close_app_fds(&p->apps[a].io);
}

_noreturn_ void pod_init_run(struct pod_plan *p)
{
        struct rk_error *e = NULL;

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        close_host_fds(p);
        if (keyrings_new_session() < 0) /* not the session keyring rkt was called in */
                fprintf(stderr, "stage1: creating the pod's session keyring: %m\n");
        signal(SIGTERM, noop_handler);
        signal(SIGINT, noop_handler);
        signal(SIGHUP, noop_handler);
        signal(SIGCHLD, noop_handler);
        setup_namespaces(p);
        if (mount(p->pod->stage1_dir, p->pod->stage1_dir, NULL, MS_BIND | MS_REC, NULL) < 0)
                init_die_errno(errno, "binding the stage1 rootfs");
        if (pod_mounts_setup_stage1(p, &e) < 0)
                init_die(e);
        for (size_t i = 0; i < p->n_apps; i++)
                if (pod_mounts_setup_app(p, &p->apps[i], &e) < 0)
                        init_die(e);
        pivot_to_stage1(p);
        /* the mounts above ran while the host side finished (cgroups, P/pid) */
        wait_go(p->sync_fd);
        int gate = start_apps(p);
        close_start_fds(p);
        open_gate(p, gate);
        supervise(p);
}
