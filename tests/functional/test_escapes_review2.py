# SPDX-License-Identifier: Apache-2.0
"""Hostile review of mutable pods (rkt app sandbox|add|start|stop|rm, RKT_EXPERIMENT_APP):
each test is an attack by an app that must fail. The app's image is untrusted and may grant
itself CAP_SYS_PTRACE and every system call (as rkt allowed); it runs while root adds,
starts and removes other apps.

- An app that may trace reaches the stage1's root (the pod init's, S1 = P/stage1/rootfs)
  through /proc/1/root: whatever root's rkt later opens, writes, unlinks, mounts or
  unmounts there by path from the host may go through a link the app planted.
- It also sees every process of ours in the pod's pid namespace: none may hold more than
  the apps (ptrace-attack.c, as in test_escapes_ptrace.py), nor the host's root."""
import os
import subprocess
import time
from pathlib import Path

import pytest

import imageutil
from podtest import INSECURE, Pod, Pods, _finish, img, needs_root, stage1_path  # noqa: F401
from podtest import wait_for
from ptraceutil import TRACER, attacker, build_static  # noqa: F401

pytestmark = [needs_root]

ENV = dict(os.environ, RKT_EXPERIMENT_APP="true", RKT_EXPERIMENT_ATTACH="true")


class Sandbox:
    """A running `rkt app sandbox` (stdout and stderr in files)."""

    def __init__(self, pods, *flags):
        self.pods = pods
        uf = pods.next_uuid_file()
        self.out = pods.tmp / f"sandbox-{pods.counter}.out"
        with open(self.out, "w") as o:
            proc = subprocess.Popen(
                pods.argv(INSECURE, "app", "sandbox", f"--stage1-path={stage1_path('native')}",
                          f"--uuid-file-save={uf}", *flags),
                stdout=o, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=ENV)
        self.pod = Pod(proc, uf)
        pods.started.append(self.pod)
        self.uuid = self.pod.uuid
        pods.wait_ready(self.uuid)

    def output(self):
        return self.out.read_text(errors="replace")

    def app(self, verb, *args):
        if verb == "add":
            return self.pods("app", "add", self.uuid, *args, env=ENV)
        return self.pods("app", verb, self.uuid, *args, env=ENV)

    def path(self):
        return next((self.pods.dir / "pods").glob(f"*/{self.uuid}"))

    def s1(self):
        return self.path() / "stage1" / "rootfs"


@pytest.fixture
def spods(tmp_path):
    p = Pods(tmp_path / "pods")
    yield p
    _finish(p)


@pytest.fixture
def image_id(spods, img):
    return spods.fetch(img.path)


def sh(name, script, *flags):
    return [f"--name={name}", *flags, "--exec=/bin/sh", "--", "-c", script]


def plant(sb, image_id, script, what):
    """Starts app `planter` running script (as root, with CAP_SYS_PTRACE and every system
    call, which its image may grant itself) and waits for it to say it is done."""
    r = sb.app("add", image_id, *sh("planter", "(" + script + ") 2>&1 && echo PLANTED; "
                                    "exec sleep 600", *TRACER))
    assert r.code == 0, r
    r = sb.app("start", "--app=planter")
    assert r.code == 0, r
    try:
        wait_for(lambda: "PLANTED" in sb.output() or None, timeout=15, what=what)
    except AssertionError:
        raise AssertionError(f"{what}: {sb.output()}")


# ------------------------------------------------------------------ S1 links: host writes

def test_app_add_writes_no_host_file_through_a_link_in_s1(spods, image_id, tmp_path):
    """An app replaces S1/rkt/env (reached through /proc/1/root) with a link to a host
    directory: root's `rkt app add` of the next app (its stage1 app_add entrypoint writes
    the app's environment there) must not create a file in that host directory."""
    host = tmp_path / "host-dir"
    host.mkdir()
    sb = Sandbox(spods, "--net=host")
    plant(sb, image_id, f"rm -rf /proc/1/root/rkt/env && ln -s {host} /proc/1/root/rkt/env",
          "the link to be planted")
    assert (sb.s1() / "rkt" / "env").is_symlink()
    sb.app("add", image_id, "--name=victim", "--exec=/bin/true")
    assert list(host.iterdir()) == []


def test_app_add_creates_no_host_file_through_a_link_to_the_status_dir(spods, image_id,
                                                                       tmp_path):
    """The same with S1/rkt/status: stage0 writes <app>-created there (app add), the stage1
    app_start entrypoint unlinks <app> and writes <app>-started there: a host file named
    like the app is removed, others are created."""
    host = tmp_path / "host-dir"
    host.mkdir()
    (host / "victim").write_text("a host file\n")
    sb = Sandbox(spods, "--net=host")
    plant(sb, image_id,
          f"mv /proc/1/root/rkt/status /proc/1/root/rkt/st && "
          f"ln -s {host} /proc/1/root/rkt/status", "the link to be planted")
    sb.app("add", image_id, "--name=victim", "--exec=/bin/true")
    sb.app("start", "--app=victim")
    assert sorted(p.name for p in host.iterdir()) == ["victim"]
    assert (host / "victim").read_text() == "a host file\n"


def test_app_rm_removes_no_host_file_through_a_link_in_s1(spods, image_id, tmp_path):
    """app rm (stage0_app_remove()) unlinks S1/rkt/env/<app> and S1/rkt/status/<app>* from
    the host by path (and rm -rf's S1/opt/stage2/<app>): with S1/rkt/env a link, the host
    file named like the app goes."""
    host = tmp_path / "host-dir"
    host.mkdir()
    (host / "victim").write_text("a host file\n")
    sb = Sandbox(spods, "--net=host")
    r = sb.app("add", image_id, "--name=victim", "--exec=/bin/true")
    assert r.code == 0, r
    plant(sb, image_id, f"rm -rf /proc/1/root/rkt/env && ln -s {host} /proc/1/root/rkt/env",
          "the link to be planted")
    sb.app("rm", "--app=victim")
    assert (host / "victim").read_text() == "a host file\n"


# ------------------------------------------------------------------ ptrace: apps started later

def add_attacker(sb, image_id, attacker, seconds):
    """App `a`: ptrace-attack.c for seconds, with CAP_SYS_PTRACE and every system call."""
    r = sb.app("add", image_id, "--name=a", *TRACER, "--exec=/attack", "--", str(seconds))
    assert r.code == 0, r
    dst = sb.s1() / "opt" / "stage2" / "a" / "rootfs" / "attack"
    dst.write_bytes(attacker.read_bytes())
    dst.chmod(0o755)
    r = sb.app("start", "--app=a")
    assert r.code == 0, r
    wait_for(lambda: "READY" in sb.output() or None, timeout=15, what="the attacker")


def test_app_monitor_is_as_bound_as_the_pod_init(spods, image_id):
    """The monitor of an app started by `rkt app start` lives as long as its app: in the pod's
    pid namespace it would have to hold no capability the apps lack in its bounding set (uid 0
    regains the bounding set at its next exec, which a tracer makes it do) and the keyring
    filter every app has, like the pod init; outside it (no app can see it) it may keep what
    it needs."""
    sb = Sandbox(spods, "--net=host")
    r = sb.app("add", image_id, *sh("watched", "exec sleep 600"))
    assert r.code == 0, r
    assert sb.app("start", "--app=watched").code == 0
    mon = int((sb.path() / "appsinfo" / "watched" / "monitor-pid").read_text())
    init = int((sb.path() / "pid").read_text())
    if os.readlink(f"/proc/{mon}/ns/pid") != os.readlink(f"/proc/{init}/ns/pid_for_children"):
        return  # not in the pod's pid namespace
    fields = {}
    for pid in (mon, init):
        st = Path(f"/proc/{pid}/status").read_text()
        fields[pid] = {k: v.strip() for k, v in (ln.split(":", 1) for ln in st.splitlines())
                       if k in ("CapBnd", "Seccomp", "CapEff")}
    assert fields[mon]["Seccomp"] != "0", fields
    assert fields[mon]["CapBnd"] == fields[init]["CapBnd"], fields


def test_apps_started_later_are_not_a_way_out(spods, image_id, attacker):
    """An app that may trace runs while the next app is added and started: neither the
    stage1's app_start helper (joined to the pod's pid namespace with every capability, in
    the host's mount namespace) nor the new app's monitor may be attachable."""
    sb = Sandbox(spods, "--net=host")
    add_attacker(sb, image_id, attacker, 25)
    for i in range(6):
        if "ESCAPE" in sb.output() or "CLEAN" in sb.output():
            break
        assert sb.app("add", image_id, *sh(f"b{i}", "exec sleep 600")).code == 0
        assert sb.app("start", f"--app=b{i}").code == 0
        assert sb.app("rm", f"--app=b{i}").code == 0
    out = sb.output()
    assert "ESCAPE" not in out, out


def test_app_add_mounts_nothing_over_a_host_dir_an_app_named(spods, image_id, tmp_path):
    """An app may create S1/opt/stage2/<name> as a link to a host directory before root adds
    an app of that (predictable) name: app add prepares the app's root there and mounts its
    overlay on it, from the host's mount namespace: the host directory must not change (an
    image's files over /etc would be host root)."""
    host = tmp_path / "host-dir"
    host.mkdir()
    (host / "precious").write_text("keep me\n")
    sb = Sandbox(spods, "--net=host")
    plant(sb, image_id, f"ln -s {host} /proc/1/root/opt/stage2/victim",
          "the link to be planted")
    r = sb.app("add", image_id, "--name=victim", "--exec=/bin/true")
    mounted = any(ln.split()[4] == str(host) or ln.split()[4].startswith(str(host) + "/")
                  for ln in Path("/proc/self/mountinfo").read_text().splitlines())
    names = sorted(p.name for p in host.iterdir())
    for _ in range(5):
        if subprocess.run(["umount", "-l", str(host / "rootfs")], capture_output=True).returncode:
            break
    assert not mounted and names == ["precious"], (r, names)


def test_a_pre_start_handler_of_an_app_added_later_is_not_a_way_out(spods, image_id, attacker,
                                                                     tmp_path):
    """The pre-start handler of an app started in a running pod comes from its image and may
    take its time: the app's monitor waits for it in the pod's pid namespace, before it
    dropped anything (the pod init of `rkt run` runs these handlers before any app runs)."""
    hooked = imageutil.rkt_inspect_image(tmp_path / "hooked.aci", busybox=True,
                                         event_handlers=[{"name": "pre-start",
                                                          "exec": ["/bin/sleep", "4"]}])
    hooked_id = spods.fetch(str(hooked.path))
    sb = Sandbox(spods, "--net=host")
    add_attacker(sb, image_id, attacker, 8)
    assert sb.app("add", hooked_id, "--name=b", "--exec=/bin/true").code == 0
    assert sb.app("start", "--app=b").code == 0
    wait_for(lambda: "ESCAPE" in sb.output() or "CLEAN" in sb.output() or None, timeout=15,
             what="the attacker's verdict")
    out = sb.output()
    assert "ESCAPE" not in out, out


def test_no_process_in_the_pod_has_the_hosts_root(spods, image_id, tmp_path):
    """The stage1's app_start helper joins the pod's pid namespace and then sets the app's
    root up in a copy of the host's mount namespace: while it does, an app that may trace
    reads the host's files through /proc/<helper>/root."""
    secret = tmp_path / "host-secret"
    secret.write_text("HOST-SECRET\n")
    secret.chmod(0o600)
    sb = Sandbox(spods, "--net=host")
    watch = (f"while :; do for p in /proc/[0-9]*; do cat $p/root{secret} 2>/dev/null "
             "&& exit 0; done; done")
    assert sb.app("add", image_id, *sh("w", watch, *TRACER)).code == 0
    assert sb.app("start", "--app=w").code == 0
    for i in range(8):
        if "HOST-SECRET" in sb.output():
            break
        assert sb.app("add", image_id, *sh(f"b{i}", "exec sleep 600")).code == 0
        assert sb.app("start", f"--app=b{i}").code == 0
        assert sb.app("rm", f"--app=b{i}").code == 0
    time.sleep(0.5)
    assert "HOST-SECRET" not in sb.output()


def test_app_rm_unmounts_nothing_of_the_host(spods, image_id, tmp_path):
    """app rm unmounts S1/opt/stage2/<app>/rootfs by path, from the host's mount namespace,
    until that fails: an app that moved the directory of an added app away and left a link
    to a host directory in its place makes root unmount the host's mounts there."""
    host = tmp_path / "host-dir"
    (host / "rootfs").mkdir(parents=True)
    (host / "precious").write_text("keep me\n")
    subprocess.run(["mount", "-t", "tmpfs", "review2", str(host / "rootfs")], check=True)
    try:
        sb = Sandbox(spods, "--net=host")
        assert sb.app("add", image_id, "--name=victim", "--exec=/bin/true").code == 0
        plant(sb, image_id, "mv /proc/1/root/opt/stage2/victim /proc/1/root/opt/stage2/v.x && "
              f"ln -s {host} /proc/1/root/opt/stage2/victim", "the link to be planted")
        sb.app("rm", "--app=victim")
        assert (host / "precious").exists()
        assert os.path.ismount(host / "rootfs")
    finally:
        subprocess.run(["umount", "-l", str(host / "rootfs")], capture_output=True)


def test_an_app_chooses_no_namespace_of_the_apps_started_later(spods, image_id, tmp_path):
    """The pod init holds no more than the apps, so an app that may trace controls it: it
    makes it unshare a user and a network namespace of its own. `rkt app start` then takes
    /proc/<pod init>/ns/* for the pod's namespaces: the helper and monitor (root, every
    capability until the monitor drops them) and the next app join the app's network (its
    mount namespace alike: the next app's root would be moved into a tree the app rules).
    app start joins only the namespaces recorded when the pod was made (P/namespaces)."""
    hijack = build_static("ptrace-nshijack.c", tmp_path / "hijack")
    sb = Sandbox(spods, "--net=host")
    r = sb.app("add", image_id, "--name=a", *TRACER, "--exec=/bin/sh", "--", "-c",
               "/hijack; exec sleep 600")
    assert r.code == 0, r
    dst = sb.s1() / "opt" / "stage2" / "a" / "rootfs" / "hijack"
    dst.write_bytes(hijack.read_bytes())
    dst.chmod(0o755)
    assert sb.app("start", "--app=a").code == 0
    wait_for(lambda: "HIJACKED" in sb.output() or "FAILED" in sb.output() or None,
             timeout=15, what="the hijack")
    assert "HIJACKED" in sb.output(), sb.output()
    assert sb.app("add", image_id, *sh("b", "echo IFACES $(grep -c : /proc/net/dev)")).code == 0
    r = sb.app("start", "--app=b")
    assert r.code == 254, r
    assert "namespace is not the one it was made with" in r.err, r
    assert "IFACES" not in sb.output(), sb.output()



def test_app_start_roots_no_app_in_a_host_dir_an_app_named(spods, image_id, tmp_path):
    """An app moves the directory of an added app away and leaves a link to a host directory
    in its place: root's `rkt app start` of that app must not give it the host directory as
    its root, nor create its mount points there (the app start helper prepared the root by
    its host path)."""
    host = tmp_path / "host-dir"
    (host / "rootfs").mkdir(parents=True)
    (host / "rootfs" / "host-marker").write_text("HOST-ROOT\n")
    sb = Sandbox(spods, "--net=host")
    r = sb.app("add", image_id, *sh("victim", "cat /host-marker; echo VICTIM-RAN"))
    assert r.code == 0, r
    plant(sb, image_id, "mv /proc/1/root/opt/stage2/victim /proc/1/root/opt/stage2/v.x && "
          f"ln -s {host} /proc/1/root/opt/stage2/victim", "the link to be planted")
    r = sb.app("start", "--app=victim")
    if r.code == 0:
        wait_for(lambda: "VICTIM-RAN" in sb.output() or None, timeout=15, what="the app")
    assert "HOST-ROOT" not in sb.output(), (r, sb.output())
    assert sorted(p.name for p in (host / "rootfs").iterdir()) == ["host-marker"], r


@pytest.mark.parametrize("s1_file,app_file", [("etc/hostname", "/etc/hostname"),
                                              ("rkt/hosts", "/etc/hosts")])
def test_app_start_binds_no_host_file_an_app_linked_in_s1(spods, image_id, tmp_path, s1_file,
                                                          app_file):
    """The app start helper binds S1's /etc/hostname and /rkt/hosts into the new app's root:
    an app that replaced one with a link to a host file (a secret only root may read) must
    not make root bind that file into the next app."""
    secret = tmp_path / "host-secret"
    secret.write_text("HOST-SECRET\n")
    secret.chmod(0o600)
    sb = Sandbox(spods, "--net=host", "--hosts-entry=127.0.0.1=h")
    plant(sb, image_id, f"rm -f /proc/1/root/{s1_file} && "
          f"ln -s {secret} /proc/1/root/{s1_file}", "the link to be planted")
    r = sb.app("add", image_id, *sh("b", f"cat {app_file}; echo B-RAN"))
    assert r.code == 0, r
    r = sb.app("start", "--app=b")
    if r.code == 0:
        wait_for(lambda: "B-RAN" in sb.output() or None, timeout=15, what="app b")
    assert "HOST-SECRET" not in sb.output(), (r, sb.output())


# ------------------------------------------------------------------ records before the app

def test_a_start_that_cannot_record_itself_runs_nothing(spods, image_id):
    """Where S1/rkt/status/<victim>-started goes there is an immutable directory (what an app
    that may trace and keeps CAP_LINUX_IMMUTABLE could put there through /proc/1/root; a
    mere directory, which app add and app start now remove, did this before): `rkt app
    start` of the victim fails, and then nothing of the victim runs (the record is written
    before the app is let go, not after it started, which left it running untracked while
    rkt said the start failed)."""
    sb = Sandbox(spods, "--net=host")
    r = sb.app("add", image_id, *sh("victim", "exec sleep 4251"))
    assert r.code == 0, r
    blocker = sb.s1() / "rkt" / "status" / "victim-started"
    (blocker / "x").mkdir(parents=True)
    subprocess.run(["chattr", "+i", str(blocker)], check=True)
    try:
        r = sb.app("start", "--app=victim")
    finally:
        subprocess.run(["chattr", "-i", str(blocker)], check=True)
    time.sleep(1)
    running = subprocess.run(["pgrep", "-f", "sleep 4251"], capture_output=True,
                             text=True).stdout.split()
    for pid in running:
        try:
            os.kill(int(pid), 9)
        except ProcessLookupError:
            pass
    assert r.code == 254 and "recording the start of app victim" in r.err, r
    assert not running, running
