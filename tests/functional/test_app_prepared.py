# SPDX-License-Identifier: Apache-2.0
"""The prepared start of mutable pods (issue 16's speed goal, src/stage1/native/app-ctl.c):
right after `rkt app add`, the stage1's app_add entrypoint leaves a preparer that plans the
app, makes its cgroups, sets up its root and mount namespace, then waits on a socket,
P/appsinfo/<app>/start (root's alone), for `app start`, which then only starts the app.
`app rm`, the pod's end and an add that fails after its entrypoint end it; an app start that
finds none (a preparer gone, an app started again, an attachable app) does it all itself,
and a failure of the preparation is said by `app start` as that way says it."""
import grp
import os
import resource
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from podtest import img, needs_root, wait_for  # noqa: F401
from test_app_sandbox import Sandbox, cgroup_paths, cmdline, proc_pids, sh
from test_app_sandbox import image_id, modpods  # noqa: F401

pytestmark = [needs_root]


def preparers(sb, name):
    """The live processes of app name's preparer: the stage1's app_add entrypoint's copies."""
    def ours(pid):
        argv = cmdline(pid) or []
        return (argv and argv[0].endswith("/app_add") and f"--app={name}" in argv
                and f"--uuid={sb.uuid}" in argv)
    return [p for p in proc_pids() if ours(p)]


def waiting_preparer(sb, name):
    """The preparer's helper, once it waits in the pod's init.scope cgroup (its socket made)."""
    def ready():
        sock = sb.path() / "appsinfo" / name / "start"
        for pid in preparers(sb, name):
            try:
                paths = cgroup_paths(pid).values()
            except OSError:
                continue
            if sock.exists() and any(p.endswith("/init.scope") for p in paths):
                return pid
        return None
    return wait_for(ready, what=f"the preparer of app {name}")


@pytest.fixture(scope="module")
def sandbox(modpods, image_id):  # noqa: F811
    return Sandbox(modpods, "--net=host")


def test_an_added_app_waits_prepared_and_rm_ends_its_preparer(sandbox, image_id):  # noqa: F811
    """After `app add` a preparer of the app waits in the pod's init.scope, as root, outside
    the pod's pid namespace (no app sees it); `app rm` returns once it is gone."""
    sandbox.add(image_id, *sh("prep1", "exit 0"))
    pid = waiting_preparer(sandbox, "prep1")
    assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink(f"/proc/{sandbox.pid()}/ns/pid")
    assert "\nUid:\t0\t0\t0\t0\n" in Path(f"/proc/{pid}/status").read_text()
    sandbox.rm("prep1")
    assert preparers(sandbox, "prep1") == []
    assert not (sandbox.path() / "appsinfo" / "prep1").exists()


def test_the_preparer_socket_is_roots_alone(sandbox, image_id):  # noqa: F811
    """Its socket is root's, 0600: a member of group rkt (who may read P) cannot reach it."""
    sandbox.add(image_id, *sh("prep2", "exit 0"))
    waiting_preparer(sandbox, "prep2")
    sock = sandbox.path() / "appsinfo" / "prep2" / "start"
    st = sock.lstat()
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_uid == 0
    gid = grp.getgrnam("rkt").gr_gid
    r = subprocess.run(  # relative: P's path may be longer than a socket address holds
        ["/usr/bin/python3", "-c",
         "import socket, sys\n"
         "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
         "try:\n    s.connect('start')\nexcept PermissionError:\n    sys.exit(13)\n"],
        cwd=sock.parent, preexec_fn=lambda: (os.setgroups([gid]), os.setgid(65534),
                                              os.setuid(65534)))
    assert r.returncode == 13, r
    sandbox.start("prep2")
    sandbox.wait_state("prep2", "exited")
    sandbox.rm("prep2")


def test_a_start_whose_preparer_is_gone_starts_the_app_itself(sandbox, image_id):  # noqa: F811
    """A preparer killed with -9 leaves its socket behind: `app start` starts the app the
    other way, and removes the stale socket."""
    sandbox.add(image_id, *sh("prep3", "echo PREP3-RAN"))
    pid = waiting_preparer(sandbox, "prep3")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: pid not in preparers(sandbox, "prep3") or None, what="the kill")
    sandbox.start("prep3")
    wait_for(lambda: "PREP3-RAN" in sandbox.output() or None, what="the app's output")
    assert not (sandbox.path() / "appsinfo" / "prep3" / "start").exists()
    sandbox.wait_state("prep3", "exited")
    sandbox.rm("prep3")


def test_a_preparation_failure_is_said_by_app_start(sandbox, image_id, tmp_path):  # noqa: F811
    """A preparation that fails (a host volume whose source is missing) ends its preparer:
    `app start` does it all itself and says why, each time, as a start without a preparer
    does; the app stays "created" and rm ends it all."""
    missing = tmp_path / "missing"
    sandbox.add(image_id, f"--mnt-volume=name=gone,kind=host,source={missing},target=/gone",
                *sh("prep4", "exit 0"))
    first = sandbox.start("prep4", code=254)
    assert "Failed to stat" in first.err and str(missing) in first.err, first
    second = sandbox.start("prep4", code=254)
    assert first.err == second.err
    assert sandbox.state("prep4") == "created"
    assert preparers(sandbox, "prep4") == []
    sandbox.rm("prep4")


def test_the_pods_end_ends_its_preparers(modpods, image_id):  # noqa: F811
    """Apps added and never started: stopping the pod ends their preparers, and gc leaves
    none of their cgroups."""
    sb = Sandbox(modpods, "--net=host")
    for name in ("idle1", "idle2"):
        sb.add(image_id, *sh(name, "exit 0"))
        waiting_preparer(sb, name)
    modpods.ok("stop", sb.uuid)
    sb.pod.wait()
    wait_for(lambda: not preparers(sb, "idle1") and not preparers(sb, "idle2") or None,
             what="the preparers' end")
    modpods.ok("gc", "--grace-period=0s")
    leftovers = [p for p in proc_pids() if sb.uuid in " ".join(cmdline(p) or [])]
    assert leftovers == [], leftovers


def waiting(pid):
    """Whether pid waits in poll() (a preparer or its helper in prepared_accept())."""
    try:
        return "poll" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def prepared(sb, name, settle=1.0):
    """Waits until the preparation of app name (forked before `app add` returned) is over:
    each of its processes waiting for app start or rm (done, or failed), or none seen for
    settle seconds (a preparer that ended, or none at all)."""
    last_seen = time.monotonic()

    def ready():
        nonlocal last_seen
        pids = preparers(sb, name)
        if pids:
            last_seen = time.monotonic()
            return all(waiting(p) for p in pids) or None
        return time.monotonic() - last_seen >= settle or None
    wait_for(ready, what=f"the preparation of app {name}")


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_preparer_that_found_its_pod_gone_does_not_outlive_it(modpods, image_id):  # noqa: F811
    """The pod ends while `app add` runs (here made deterministic: the pod's host side is
    stopped, so stage0 still finds the pod running, and its init is killed; a plain `rkt stop`
    racing `rkt app add` leaks the same way in about one try out of ten): the preparer cannot
    pin the pod init and ends (it waited on its socket alone, for ever, before a hostile
    review found it). Once the pod has ended and been collected, no preparer may be left."""
    sb = Sandbox(modpods, "--net=host")
    host, init = sb.pod.proc.pid, sb.pid()
    os.kill(host, signal.SIGSTOP)
    try:
        os.kill(init, signal.SIGKILL)
        sb.add(image_id, *sh("orphan", "exit 0"), code=None)  # may fail: the pod is gone
    finally:
        os.kill(host, signal.SIGCONT)
    sb.pod.wait()
    modpods.ok("gc", "--grace-period=0s")
    try:
        wait_for(lambda: not preparers(sb, "orphan") or None, timeout=10,
                 what="the end of the preparer of a pod that ended")
    finally:
        kill_all(preparers(sb, "orphan"))


def test_a_start_after_a_failed_preparation_is_cured_starts_the_app(sandbox, image_id,  # noqa: F811
                                                                  tmp_path):
    """The host volume's source is missing at `app add` (its preparation fails and waits to
    say so) and made before `app start`: the start starts the app, as the start of an app
    without a preparer does, instead of saying the add-time "Failed to stat" (found by a
    hostile review)."""
    later = tmp_path / "later"
    sandbox.add(image_id, f"--mnt-volume=name=later,kind=host,source={later},target=/later",
                *sh("cured", "cat /later/f"))
    prepared(sandbox, "cured")
    later.mkdir()
    (later / "f").write_text("CURED-VOLUME-READ\n")
    try:
        r = sandbox.pods("app", "start", sandbox.uuid, "--app=cured", env=sandbox.env)
        assert r.code == 0, r
        wait_for(lambda: "CURED-VOLUME-READ" in sandbox.output() or None,
                 what="the app's output")
    finally:
        sandbox.rm("cured")


def test_the_app_gets_the_limits_of_app_start_not_of_app_add(sandbox, image_id):  # noqa: F811
    """The app's process attributes come from `rkt app start`'s caller (a unit's
    LimitNOFILE=, a shell's ulimit), as in a start without a preparer, not from `rkt app
    add`'s, whose preparer forks the monitor that starts the app (found by a hostile
    review)."""
    sandbox.add(image_id, *sh("limits", "echo LIMITS-NOFILE=$(ulimit -n)"))
    prepared(sandbox, "limits")
    try:
        r = subprocess.run(
            sandbox.pods.argv("app", "start", sandbox.uuid, "--app=limits"), env=sandbox.env,
            capture_output=True, text=True, timeout=60,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (321, 321)))
        assert r.returncode == 0, r
        out = wait_for(lambda: (o := sandbox.output()) and "LIMITS-NOFILE=" in o and o or None,
                       what="the app's output")
        assert "LIMITS-NOFILE=321\n" in out, [ln for ln in out.splitlines() if "LIMITS" in ln]
    finally:
        sandbox.wait_state("limits", "exited")
        sandbox.rm("limits")


CTX = ("grep -E '^(CapBnd|CapPrm|NoNewPrivs|Cpus_allowed_list):' /proc/self/status"
       " | sed 's/^/{tag} /'; echo \"{tag} Umask: $(umask)\"")


def ctx_of(sb, tag):
    def got():
        lines = [ln[len(tag) + 1:] for ln in sb.output().splitlines()
                 if ln.startswith(tag + " ")]
        return len(lines) == 5 and lines or None
    return sorted(wait_for(got, what=f"the context of {tag}"))


def start_confined(sb, name):
    """`rkt app start` from a confined caller: no CAP_NET_RAW in its bounding set,
    no_new_privs, CPU 0 only, umask 077 (a systemd unit's CapabilityBoundingSet=,
    NoNewPrivileges=, CPUAffinity=, UMask=)."""
    argv = ["setpriv", "--bounding-set", "-net_raw", "--no-new-privs", "--",
            "taskset", "-c", "0", *sb.pods.argv("app", "start", sb.uuid, f"--app={name}")]
    r = subprocess.run(argv, env=sb.env, capture_output=True, text=True, timeout=60,
                       preexec_fn=lambda: os.umask(0o077))
    assert r.returncode == 0, r


def start_connected(sb, name, **kw):
    """`rkt app start` of app name running, once it has connected to the app's preparer
    (whose socket's file the connect removes)."""
    sock = sb.path() / "appsinfo" / name / "start"
    start = subprocess.Popen(sb.pods.argv("app", "start", sb.uuid, f"--app={name}"),
                             env=sb.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             **kw)
    wait_for(lambda: not sock.exists() or None, what="app start's connect")
    return start


def test_the_app_gets_the_confinement_of_app_start_not_of_app_add(sandbox, image_id):  # noqa: F811
    """An app started by a confined `rkt app start` runs under that confinement when it has
    no preparer (the full start's helper is app start's child); a prepared app must too,
    not run with what `rkt app add`'s caller had (its preparer forks the monitor): the
    capability bounding set, no_new_privs, CPU affinity and umask of app start's caller
    (found by a hostile review: the app had app add's)."""
    sandbox.add(image_id, *sh("full", CTX.format(tag="FULL")))
    sandbox.add(image_id, *sh("prepd", CTX.format(tag="PREPD")))
    pid = waiting_preparer(sandbox, "full")
    waiting_preparer(sandbox, "prepd")
    os.kill(pid, signal.SIGKILL)  # "full" is started the other way
    wait_for(lambda: pid not in preparers(sandbox, "full") or None, what="the kill")
    try:
        start_confined(sandbox, "full")
        start_confined(sandbox, "prepd")
        full, prepd = ctx_of(sandbox, "FULL"), ctx_of(sandbox, "PREPD")
        assert prepd == full, f"prepared: {prepd}; without a preparer: {full}"
    finally:
        for name in ("full", "prepd"):
            sandbox.wait_state(name, "exited")
            sandbox.rm(name)


def test_an_app_start_interrupted_while_the_preparation_runs_leaves_no_preparer(
        sandbox, image_id):  # noqa: F811
    """`rkt app start` connects while the preparation still runs (a slow volume, a big root:
    here the waiting helper is stopped, then continued) and is interrupted (^C: SIGINT to its
    process group) before its preparer took the connection. The connect unlinked the
    socket's file; the helper later accepts the dead connection and, as no other can come,
    ends (found by a hostile review: it went back to waiting on a socket no one could reach,
    holding the app's mounts, cgroups and root until the pod ended)."""
    sandbox.add(image_id, *sh("intr", "exit 0"))
    helper = waiting_preparer(sandbox, "intr")
    os.kill(helper, signal.SIGSTOP)
    start = None
    try:
        start = start_connected(sandbox, "intr", start_new_session=True)
        os.killpg(start.pid, signal.SIGINT)
        start.wait(timeout=30)
    finally:
        os.kill(helper, signal.SIGCONT)
        if start and start.poll() is None:
            os.killpg(start.pid, signal.SIGKILL)
            start.wait()
    try:
        prepared(sandbox, "intr")
        sandbox.rm("intr")
        left = preparers(sandbox, "intr")
        assert left == [], f"preparer processes left after app rm: {left}"
    finally:
        for pid in preparers(sandbox, "intr"):
            os.kill(pid, signal.SIGKILL)


def test_an_app_start_whose_rkt_was_killed_does_not_start_the_app_twice(modpods,  # noqa: F811
                                                                       image_id):  # noqa: F811
    """`rkt app start` (stage0) is killed alone (a supervisor's kill of its pid, a CRI
    runtime's timeout) while its app_start entrypoint waits for a preparer still preparing
    (stopped here, then continued): the entrypoint lives on, connected, without P/pod.lck.
    The next `rkt app start` finds no socket (the first one's connect unlinked it) and
    starts the app itself; the first entrypoint, once taken, sees that its rkt went and
    starts nothing (found by a hostile review: it sent "go", a second monitor started the
    app again and the running one was left untracked and unstoppable)."""
    sb = Sandbox(modpods, "--net=host")
    sb.add(image_id, *sh("twice", "echo TWICE-RAN; exec sleep 321"))
    helper = waiting_preparer(sb, "twice")
    os.kill(helper, signal.SIGSTOP)
    first = None
    try:
        first = start_connected(sb, "twice")
        first.kill()  # stage0 alone
        first.wait()
        sb.start("twice")
        wait_for(lambda: "TWICE-RAN" in sb.output() or None, what="the app's output")
    finally:
        os.kill(helper, signal.SIGCONT)
    try:
        wait_for(lambda: not preparers(sb, "twice") or None, what="the preparer's go")
        time.sleep(1)
        state = sb.state("twice")
        stop = sb.pods("app", "stop", sb.uuid, "--app=twice", env=sb.env)
        time.sleep(1)
        left = [p for p in proc_pids() if (cmdline(p) or [""])[:2] == ["sleep", "321"]]
        assert state == "running" and left == [], \
            f"state while it ran: {state}; after app stop ({stop}): still running: {left}"
    finally:
        sb.pods.ok("stop", sb.uuid)
        sb.pod.wait()
