# SPDX-License-Identifier: Apache-2.0
"""Mutable pods (issue 16, SPEC.md §3.20, §11.15): `rkt app sandbox` runs a pod with no app
whose pod init stays up; `app add` (image from the store), `app start`, `app stop`, `app rm`,
`app list` and `app status` manage its apps through the stage1's app entrypoints, which
start each app through the same code as `rkt run` (its cgroup, mounts, seccomp, caps) under
a per-app monitor in the pod. Everything is behind RKT_EXPERIMENT_APP. The Kubernetes log
mode (pod annotations) writes `<RFC 3339 nano time> <stdout|stderr> <line>` records.

One sandbox serves the tests of this module that leave it as they found it (the `sandbox`
fixture); tests that stop or break a pod make their own."""
import contextlib
import json
import os
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import kill_quietly
from stage1_harness import cgroup_mounts
from storeutil import list_json
from nettest import httpd_img, netns, netpods  # noqa: F401
from podtest import (INSECURE, Pod, Pods, _finish, img, needs_root,  # noqa: F401
                     pod_cgroups, stage1_path, wait_for)

pytestmark = [needs_root]

ENV = dict(os.environ, RKT_EXPERIMENT_APP="true")
MSG = "HelloFromAppInSandbox"


class Sandbox:
    """A running `rkt app sandbox` whose stdout and stderr go to files."""

    def __init__(self, pods, *flags, flavor="native", env=ENV):
        self.pods = pods
        self.env = env
        uf = pods.next_uuid_file()
        self.out = pods.tmp / f"sandbox-{pods.counter}.out"
        self.err = pods.tmp / f"sandbox-{pods.counter}.err"
        with open(self.out, "w") as o, open(self.err, "w") as e:
            proc = subprocess.Popen(
                pods.argv(INSECURE, "app", "sandbox", f"--stage1-path={stage1_path(flavor)}",
                          f"--uuid-file-save={uf}", *flags),
                stdout=o, stderr=e, stdin=subprocess.DEVNULL, env=env)
        self.pod = Pod(proc, uf)
        pods.started.append(self.pod)
        self.uuid = self.pod.uuid
        pods.wait_ready(self.uuid)

    def output(self):
        return self.out.read_text() + self.err.read_text()

    def app(self, verb, *args, code=0, **kw):
        r = self.pods(*verb_argv(verb, self.uuid, *args), env=self.env, **kw)
        assert r.code == code, r
        return r

    def add(self, image, *args, code=0):
        return self.pods(*["app", "add", self.uuid, image, *args], env=self.env) if code is None \
            else self.app("add", image, *args, code=code)

    def start(self, name, code=0):
        return self.app("start", f"--app={name}", code=code)

    def stop(self, name, code=0):
        return self.app("stop", f"--app={name}", code=code)

    def rm(self, name, code=0):
        return self.app("rm", f"--app={name}", code=code)

    def status(self, name):
        r = self.app("status", f"--app={name}")
        return dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)

    def list(self):
        return self.app("list", "--no-legend").out

    def state(self, name):
        return self.status(name).get("state")

    def wait_state(self, name, state, timeout=20):
        return wait_for(lambda: self.state(name) == state or None, timeout=timeout,
                        interval=0.1, what=f"app {name} to be {state}")

    def pid(self):
        return int(next((self.pods.dir / "pods" / "run").glob(f"{self.uuid}/pid")).read_text())

    def path(self):
        return next((self.pods.dir / "pods").glob(f"*/{self.uuid}"))


def verb_argv(verb, uuid, *args):
    if verb == "add":
        image, *rest = args
        return ["app", "add", uuid, image, *rest]
    return ["app", verb, uuid, *args]


def inspect(name, *flags):
    return [f"--name={name}", "--exec=/inspect", "--", *flags]


def sh(name, script):
    return [f"--name={name}", "--exec=/bin/sh", "--", "-c", script]


@pytest.fixture(scope="module")
def modpods(tmp_path_factory):
    p = Pods(tmp_path_factory.mktemp("app-sandbox"))
    yield p
    _finish(p)


@pytest.fixture(scope="module")
def image_id(modpods, img):
    return modpods.fetch(img.path)


@pytest.fixture(scope="module")
def sandbox(modpods, image_id):
    return Sandbox(modpods, "--net=host")


# ------------------------------------------------------------------ the experiment gate

def test_app_commands_need_the_experiment(rkt):
    r = rkt("app", "sandbox", env=dict(os.environ, RKT_EXPERIMENT_APP="false"))
    assert r.code == 254 and 'unknown command "app" for "rkt"' in r.err, r


# ------------------------------------------------------------------ add, start, rm

def test_add_start_remove(sandbox, image_id):
    """TestAppSandboxAddStartRemove."""
    sandbox.add(image_id, *inspect("hello", f"--print-msg={MSG}"))
    assert sandbox.state("hello") == "created"
    assert sandbox.list() == "hello\tcreated\n"
    sandbox.start("hello")
    wait_for(lambda: MSG in sandbox.output(), what="the app's output in the sandbox's")
    sandbox.wait_state("hello", "exited")
    r = sandbox.pods.ok("logs", "--app=hello", sandbox.uuid)
    assert MSG in r.out, r
    st = sandbox.status("hello")
    assert st["exit_code"] == "0" and st["image_id"] == image_id, st
    for k in ("created_at", "started_at", "finished_at"):  # Go's Time.String()
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? [+-]\d{4} \S+$", st[k]), st
    assert st["created_at"] <= st["started_at"] <= st["finished_at"], st
    sandbox.rm("hello")
    assert sandbox.list() == "\n"
    r = sandbox.pods.ok("status", "--wait-ready=false", "--wait=false", sandbox.uuid)
    assert "state=running" in r.out, r


def test_default_app_name(sandbox, image_id):
    """TestAppSandboxAddDefaultAppName: the last element of the image name."""
    sandbox.add(image_id, "--exec=/inspect")
    assert sandbox.list() == "rkt-inspect\tcreated\n"
    sandbox.rm("rkt-inspect")


# ------------------------------------------------------------------ several apps, restart

def test_several_apps_and_restart(sandbox, image_id):
    """TestAppSandboxMultipleApps, TestAppSandboxRestart: states and exit codes of each app;
    stop and start again, any number of times; start of a running app is refused."""
    sandbox.add(image_id, *inspect("winner", "--exit-code=0"))
    sandbox.add(image_id, *inspect("loser", "--exit-code=12"))
    sandbox.add(image_id, *sh("sleeper", "exec sleep 1000"))
    for name in ("winner", "loser", "sleeper"):
        sandbox.start(name)
    sandbox.wait_state("winner", "exited")
    sandbox.wait_state("loser", "exited")
    assert sandbox.list() == "winner\texited\nloser\texited\nsleeper\trunning\n"
    assert sandbox.status("winner")["exit_code"] == "0"
    assert sandbox.status("loser")["exit_code"] == "12"
    assert "exit_code" not in sandbox.status("sleeper")
    r = sandbox.start("sleeper", code=254)
    assert "already running" in r.err, r
    for _ in range(3):
        sandbox.stop("sleeper")
        st = sandbox.status("sleeper")
        assert st["state"] == "exited" and st["exit_code"] == "0", st
        sandbox.start("sleeper")
        assert sandbox.state("sleeper") == "running"
    sandbox.start("loser")  # an exited app starts again too
    sandbox.wait_state("loser", "exited")
    for name in ("winner", "loser", "sleeper"):
        sandbox.rm(name)
    assert sandbox.list() == "\n"


def test_app_killed_with_sigkill(sandbox, image_id):
    """An app killed with -9 is exited with 128+9; its monitor goes with it."""
    sandbox.add(image_id, *sh("victim", "exec sleep 4243"))
    sandbox.start("victim")
    os.kill(app_process(sandbox, ["sleep", "4243"]), 9)
    sandbox.wait_state("victim", "exited")
    assert sandbox.status("victim")["exit_code"] == "137"
    sandbox.rm("victim")


def proc_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return None


def pidns(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def app_process(sandbox, argv):
    ns = os.readlink(f"/proc/{sandbox.pid()}/ns/pid")
    return wait_for(lambda: next((p for p in proc_pids() if cmdline(p) == argv
                                  and pidns(p) == ns), None), what=f"the app's {argv}")


def cgroup_paths(pid):
    """{controllers: path} of /proc/<pid>/cgroup ("" for the cgroup2 line)."""
    lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    return {c: path for _, c, path in (line.split(":", 2) for line in lines)}


def test_started_app_is_in_its_cgroups_with_its_limits(sandbox, image_id):
    """app start puts the app in system.slice/<app>.service of the pod's cgroup on cgroup2
    and in the hierarchy of its isolator's controller, with its limit, and its monitor in
    init.scope on cgroup2: again after a stop (its cgroups made anew)."""
    sandbox.add(image_id, "--memory=96M", *sh("limited", "exec sleep 4245"))
    for round in range(2):
        sandbox.start("limited")
        pid = app_process(sandbox, ["sleep", "4245"])
        mon = int((sandbox.path() / "appsinfo" / "limited" / "monitor-pid").read_text())
        paths, mon_paths = cgroup_paths(pid), cgroup_paths(mon)
        sub = (sandbox.path() / "subcgroup").read_text().strip()
        for ctrl, path in paths.items():
            if ctrl in ("", "memory"):
                assert path == f"/{sub}/system.slice/limited.service", (round, ctrl, paths)
        if "" in paths:
            assert mon_paths[""] == f"/{sub}/init.scope", (round, mon_paths)
        limit = Path(f"/sys/fs/cgroup/memory{paths.get('memory')}/memory.limit_in_bytes")
        if "memory" in paths and limit.exists():
            assert 0 <= 96_000_000 - int(limit.read_text()) < 4096, round  # M: 10^6, in pages
        sandbox.stop("limited")
        sandbox.wait_state("limited", "exited")
    sandbox.rm("limited")


def cgroup2_mount():
    """Where the host's cgroup2 hierarchy is mounted (None: none)."""
    return next((Path(m) for m in cgroup_mounts() if (Path(m) / "cgroup.controllers").exists()),
                None)


@pytest.mark.parametrize("way", ["prepared", "restart"])
def test_start_failing_at_its_cgroups_leaves_nothing_mounted(modpods, image_id, way):
    """An app start whose cgroups cannot be made fails before anything of the app exists in
    the pod: its root (and the volumes, /proc and /dev below it) is not left mounted in the
    pod's mount namespace for an app that is still "created" (its helper sets the root up
    while the cgroups are being made); the next start works (found by a hostile review).
    Both ways of a start: the first one after the add (its preparer made the cgroups, and
    app start says why it could not) and a start of an app that ran before."""
    cg2 = cgroup2_mount()
    if cg2 is None:
        pytest.skip("no cgroup2 hierarchy")
    sb = Sandbox(modpods, "--net=host")
    sub = (sb.path() / "subcgroup").read_text().strip()
    limit = cg2 / sub / "cgroup.max.descendants"

    def app_mounts():
        mounts = Path(f"/proc/{sb.pid()}/mountinfo").read_text()
        return sorted(" ".join(ln.split()[3:5]) for ln in mounts.splitlines()
                      if "/opt/stage2/nocg/" in ln)
    before = []
    try:
        if way == "prepared":
            limit.write_text("1")  # init.scope: no room for system.slice/nocg.service
            sb.add(image_id, *sh("nocg", "exec sleep 4249"))
        else:
            sb.add(image_id, *sh("nocg", "exec sleep 4249"))
            sb.start("nocg")
            sb.wait_state("nocg", "running")
            sb.stop("nocg")
            before = app_mounts()  # the last run's tree, until a start replaces it
            limit.write_text("1")
        r = sb.start("nocg", code=254)
    finally:
        limit.write_text("max")
    assert "cgroup" in r.err, r
    assert sb.state("nocg") == "created"
    assert app_mounts() == before
    sb.start("nocg")
    sb.wait_state("nocg", "running")
    sb.rm("nocg")


def test_monitor_keeps_only_cap_kill(sandbox, image_id):
    """The app's monitor is never dumpable and has only CAP_KILL; nothing in
    the pod listens for stage0 (there is no control channel to reach)."""
    sandbox.add(image_id, *sh("watched", "exec sleep 4244"))
    sandbox.start("watched")
    mon = int((sandbox.path() / "appsinfo" / "watched" / "monitor-pid").read_text())
    status = Path(f"/proc/{mon}/status").read_text()
    cap_eff = int(re.search(r"^CapEff:\s*([0-9a-f]+)$", status, re.M).group(1), 16)
    assert cap_eff == 1 << 5, status  # CAP_KILL
    assert os.stat(f"/proc/{mon}").st_uid == 0
    with pytest.raises(PermissionError):
        os.setegid(65534)
        try:
            os.seteuid(65534)
            try:
                os.listdir(f"/proc/{mon}/fd")
            finally:
                os.seteuid(0)
        finally:
            os.setegid(0)
    assert (sandbox.pods.dir / "pods").stat().st_mode & 0o777 == 0o750
    sandbox.rm("watched")
    # ended; reaped by the host's init (the monitor lives outside the pod's pid namespace)
    wait_for(lambda: not Path(f"/proc/{mon}").exists() or None, what="the monitor's end")


def test_enter_and_list_a_mutable_pod(sandbox, image_id):
    """enter reaches an added app's root; list and status show the sandbox; enter of a
    sandbox without apps says so."""
    r = sandbox.pods("enter", sandbox.uuid, "/bin/true")
    assert r.code == 254 and f'pod "{sandbox.uuid}" has no apps' in r.err, r
    assert "multiple" not in r.err, r
    sandbox.add(image_id, *sh("entered", "echo inside > /marker; exec sleep 1000"))
    sandbox.start("entered")
    r = wait_for(lambda: (lambda r: r if r.code == 0 else None)(
        sandbox.pods("enter", "--app=entered", sandbox.uuid, "/bin/cat", "/marker")),
        what="enter")
    assert r.out == "inside\n", r
    r = sandbox.pods.ok("list", "--no-legend", "--full")
    assert sandbox.uuid in r.out and "running" in r.out, r
    sandbox.rm("entered")


# ------------------------------------------------------------------ volumes, annotations

def test_mnt_volume(sandbox, image_id, tmp_path):
    """TestAppSandboxMount: --mnt-volume targets through .. resolve inside the app."""
    src = tmp_path / "vol"
    src.mkdir()
    (src / "file").write_text("from the host\n")
    sandbox.add(image_id, f"--mnt-volume=name=test,kind=host,source={src},target=/dir1/../mnt",
                *sh("mounter", "cat /mnt/file; echo written > /mnt/out"))
    sandbox.start("mounter")
    sandbox.wait_state("mounter", "exited")
    st = sandbox.status("mounter")
    assert st["exit_code"] == "0" and st["mounts"] == f"{src}:/dir1/../mnt:(read_only:false)", st
    assert (src / "out").read_text() == "written\n"
    m = sandbox.pods.ok("cat-manifest", sandbox.uuid).out
    assert '"test"' in m, m
    js = json.loads(sandbox.app("status", "--app=mounter", "--format=json").out)
    assert js["name"] == "mounter" and js["state"] == "exited" and js["exit_code"] == 0, js
    assert js["mounts"] == [{"name": "test", "container_path": "/dir1/../mnt",
                             "host_path": str(src), "read_only": False}], js
    assert js["created_at"] <= js["started_at"] <= js["finished_at"], js
    assert js["finished_at"] > 10**18, js  # nanoseconds
    sandbox.rm("mounter")
    assert '"test"' not in sandbox.pods.ok("cat-manifest", sandbox.uuid).out


def test_app_annotations(sandbox, image_id):
    """TestAppSandboxAppAnnotations: the app's annotations go to its entry."""
    sandbox.add(image_id, "--annotation=foo=bar", "--user-annotation=ayy=lmao",
                "--user-label=lbl=v", *inspect("annotated"))
    m = json.loads(sandbox.pods.ok("cat-manifest", sandbox.uuid).out)
    app = next(a for a in m["apps"] if a["name"] == "annotated")
    assert {"name": "foo", "value": "bar"} in app["annotations"], app
    js = json.loads(sandbox.app("status", "--app=annotated", "--format=json").out)
    assert js["user_annotations"] == {"ayy": "lmao"} and js["user_labels"] == {"lbl": "v"}, js
    sandbox.rm("annotated")


# ------------------------------------------------------------------ bad input

def test_bad_input(sandbox, image_id, modpods, tmp_path):
    """Duplicate names, images not in the store, unknown apps: one-line errors, 254 (app
    status: 1, as rkt); P/pod unchanged by a refused add."""
    sandbox.add(image_id, *inspect("dup"))
    before = (sandbox.path() / "pod").read_bytes()
    r = sandbox.add(image_id, *inspect("dup"), code=254)
    assert "error: multiple apps with name dup" in r.err, r
    assert (sandbox.path() / "pod").read_bytes() == before
    r = sandbox.add("sha512-" + "0" * 64, *inspect("ghost"), code=254)
    assert r.err.count("\n") <= 2, r
    r = sandbox.add("example.com/not-in-store", *inspect("ghost"), code=254)
    assert (sandbox.path() / "pod").read_bytes() == before
    assert not (sandbox.path() / "appsinfo" / "ghost").exists()
    r = sandbox.app("status", "--app=nope", code=1)
    assert 'cannot find app "nope" in the pod' in r.err, r
    r = sandbox.app("start", "--app=nope", code=254)
    assert 'cannot find app "nope" in the pod' in r.err, r
    r = sandbox.app("start", code=254)
    assert "--app" in r.err, r
    sandbox.rm("dup")
    assert sandbox.list() == "\n"


def test_add_by_full_id(sandbox, modpods, img):
    """An image given by its full ID (as the kubelet's runtime gives it) is found by its files
    while the store's index opens during the app_add entrypoint: its last-used time is still
    recorded, and an image the index does not have is refused as before (P/pod unchanged,
    nothing of the app left)."""
    full = modpods.ok(INSECURE, "fetch", "--full", img.path).out.strip()
    assert len(full) == len("sha512-") + 64, full

    def last_used():
        (row,) = [i for i in list_json(modpods) if i["id"] == full]
        return row["last_used_time"]

    before = last_used()
    sandbox.add(full, *inspect("byid"))
    assert last_used() > before
    sandbox.rm("byid")

    db = modpods.dir / "cas" / "db" / "store.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as c:
        row = c.execute("SELECT * FROM aciinfo WHERE blobkey = ?", (full,)).fetchone()
        with c:
            c.execute("DELETE FROM aciinfo WHERE blobkey = ?", (full,))
    try:
        pod = (sandbox.path() / "pod").read_bytes()
        r = sandbox.add(full, *inspect("unindexed"), code=254)
        assert f'could not resolve image "{full}"' in r.err and "no image IDs found" in r.err, r
        assert r.err.count("\n") <= 2, r
        assert (sandbox.path() / "pod").read_bytes() == pod
        assert not (sandbox.path() / "appsinfo" / "unindexed").exists()
        assert not (sandbox.path() / "stage1/rootfs/opt/stage2/unindexed").exists()
        assert sandbox.list() == "\n"
    finally:
        with contextlib.closing(sqlite3.connect(db)) as c, c:
            c.execute(f"INSERT INTO aciinfo VALUES ({','.join('?' * len(row))})", row)


def add_with_index_locked(modpods, uuid, full, name):
    """app add while a member of group rkt holds the store's index (exclusively, readers
    too): the result and how long it took."""
    db = modpods.dir / "cas" / "db" / "store.sqlite"
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as c:
        c.execute("PRAGMA locking_mode=EXCLUSIVE")  # readers too, in WAL mode
        c.execute("BEGIN EXCLUSIVE")
        c.execute("UPDATE aciinfo SET lastused = lastused")
        t = time.monotonic()
        r = modpods("app", "add", uuid, full, *inspect(name), env=ENV, timeout=150)
        took = time.monotonic() - t
        c.execute("ROLLBACK")
    return r, took


def test_a_refused_add_waits_for_no_index(modpods, img, sandbox):
    """app add refused (before or after it found the image) does not wait for the store's
    index, which the helper of app add opens meanwhile: a member of group rkt may hold it
    locked as long as they like (each of SQLite's waits is 60 s)."""
    full = modpods.ok(INSECURE, "fetch", "--full", img.path).out.strip()
    p = modpods.start(img.path, "--exec=/bin/sh", "--", "-c", "exec sleep 1000")
    modpods.wait_ready(p.uuid)
    r, took = add_with_index_locked(modpods, p.uuid, full, "x")
    assert r.code == 254 and "immutable pod" in r.err, r
    assert took < 20, f"app add took {took:.1f} s"
    modpods.ok("stop", p.uuid)
    p.wait()
    sandbox.add(full, *inspect("twice"))
    try:
        r, took = add_with_index_locked(modpods, sandbox.uuid, full, "twice")
        assert r.code == 254 and "multiple apps with name twice" in r.err, r
        assert took < 20, f"app add took {took:.1f} s"
    finally:
        sandbox.rm("twice")


def test_add_to_an_immutable_pod(modpods, image_id, img):
    """app add to a pod of rkt run: "immutable pod"."""
    p = modpods.start(img.path, "--exec=/bin/sh", "--", "-c", "exec sleep 1000")
    modpods.wait_ready(p.uuid)
    before = next((modpods.dir / "pods" / "run").glob(f"{p.uuid}/pod")).read_bytes()
    r = modpods("app", "add", p.uuid, image_id, *inspect("x"), env=ENV)
    assert r.code == 254 and "immutable pod" in r.err, r
    assert next((modpods.dir / "pods" / "run").glob(f"{p.uuid}/pod")).read_bytes() == before
    modpods.ok("stop", p.uuid)
    p.wait()


def test_fly_does_not_support_mutable_pods(modpods):
    uf = modpods.next_uuid_file()
    r = modpods(INSECURE, "app", "sandbox", f"--stage1-path={stage1_path('fly')}",
                f"--uuid-file-save={uf}", env=ENV)
    assert r.code == 1 and "stage1 does not support mutable pods" in r.err, r


def test_bad_sandbox_flags(modpods):
    """app sandbox fails with status 1, as rkt's."""
    for flag, msg in (("--port=http:tcp:80:0.0.0.0", "--port invalid format"),
                      ("--port=http:sctp:80:0.0.0.0:80", "--port invalid format"),
                      ("--annotation=novalue", "invalid key=value"),
                      ("--hostname=a\nb", "must not contain control characters")):
        r = modpods(INSECURE, "app", "sandbox", f"--stage1-path={stage1_path('native')}",
                    flag, env=ENV)
        assert r.code == 1 and msg in r.err, (flag, r)


# ------------------------------------------------------------------ the pod's end

def test_stop_sandbox_stops_its_apps_and_gc_leaves_nothing(tmp_path, image_id, img):
    """rkt stop of the sandbox stops every app (each reported exited), the sandbox
    exits 0, app add to the stopped pod fails, gc leaves no mount, cgroup or process
    (the Pods teardown checks)."""
    pods = Pods(tmp_path)
    try:
        pods.fetch(img.path)
        sb = Sandbox(pods, "--net=host", "--annotation=foo=bar", "--user-annotation=ayy=lmao",
                     "--user-label=team=k8s", "--hostname=mutable-host",
                     "--hosts-entry=10.9.8.7=example.test", "--dns=10.1.2.3")
        sb.add(image_id, *sh("names", "hostname; grep example.test /etc/hosts; "
                                      "grep nameserver /etc/resolv.conf"))
        sb.start("names")
        sb.wait_state("names", "exited")
        out = sb.output()
        assert "mutable-host" in out and "10.9.8.7" in out and "nameserver 10.1.2.3" in out, out
        m = json.loads(pods.ok("cat-manifest", sb.uuid).out)
        assert {"name": "coreos.com/rkt/stage1/mutable", "value": "true"} in m["annotations"]
        assert {"name": "foo", "value": "bar"} in m["annotations"], m
        assert m["userAnnotations"] == {"ayy": "lmao"} and m["userLabels"] == {"team": "k8s"}
        for n in ("one", "two"):
            sb.add(image_id, *sh(n, "exec sleep 1000"))
            sb.start(n)
        pods.ok("stop", sb.uuid)
        assert sb.pod.wait().code == 0
        pods.wait_exited(sb.uuid)
        assert sb.list() == "names\texited\none\texited\ntwo\texited\n"
        r = sb.add(image_id, *inspect("late"), code=254)
        assert "not running" in r.err, r
        r = sb.stop("one")
        assert f'pod "{sb.uuid}" is already stopped' in r.out, r
        out = tmp_path / "one.aci"
        pods.ok("export", "--app=one", sb.uuid, out)
        assert out.stat().st_size > 0
        st = pods.status(sb.uuid)
        assert st["state"] == "exited", st
    finally:
        _finish(pods)


def test_supervisor_killed(tmp_path, image_id, img):
    """The pod init killed with -9: the pod has exited (its apps with it), further app
    commands fail cleanly, gc leaves nothing."""
    pods = Pods(tmp_path)
    try:
        pods.fetch(img.path)
        sb = Sandbox(pods, "--net=host")
        sb.add(image_id, *sh("s", "exec sleep 1000"))
        sb.start("s")
        os.kill(sb.pid(), 9)
        sb.pod.wait()
        pods.wait_exited(sb.uuid)
        assert sb.state("s") == "exited"
        r = sb.start("s", code=254)
        assert r.err.count("\n") == 1, r
    finally:
        _finish(pods)


# ------------------------------------------------------------------ kubernetes log mode

K8S_REC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z (stdout|stderr) (.*)$")


def test_cri_logs(tmp_path, image_id, img):
    """TestAppSandboxCRILogs: with the logmode and kubernetes-log-dir annotations each app
    writes `<time> <stream> <line>` records to <dir>/<kubernetes-log-path>; a path that
    leaves the directory is refused."""
    pods = Pods(tmp_path)
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    try:
        pods.fetch(img.path)
        sb = Sandbox(pods, "--net=host",
                     "--annotation=coreos.com/rkt/experiment/logmode=k8s-plain",
                     f"--annotation=coreos.com/rkt/experiment/kubernetes-log-dir={logdir}")
        sb.add(image_id, "--annotation=coreos.com/rkt/experiment/kubernetes-log-path=hello/0.log",
               *sh("hello", f"echo {MSG}; echo oops >&2"))
        sb.start("hello")
        sb.wait_state("hello", "exited")
        log = logdir / "hello" / "0.log"
        wait_for(lambda: log.exists() and "oops" in log.read_text(), what="the k8s log")
        recs = [K8S_REC.match(ln) for ln in log.read_text().splitlines()]
        assert all(recs), log.read_text()
        assert [(m.group(2), m.group(3)) for m in recs] == [("stdout", MSG), ("stderr", "oops")]
        assert f"stdout {MSG}" in log.read_text()
        for bad in ("../out.log", "a/../../out.log", "/tmp/out.log"):
            ann = f"--annotation=coreos.com/rkt/experiment/kubernetes-log-path={bad}"
            r = sb.add(image_id, ann, *sh("escaper", "echo escaped"), code=254)
            assert "leaves the log directory" in r.err, r
        assert sb.list() == "hello\texited\n"
        # a pod manifest edited behind rkt's back: the stage1 refuses it too
        sb.add(image_id, *sh("escaper", "echo escaped"))
        pm = sb.path() / "pod"
        m = json.loads(pm.read_text())
        app = next(a for a in m["apps"] if a["name"] == "escaper")
        app.setdefault("annotations", []).append(
            {"name": "coreos.com/rkt/experiment/kubernetes-log-path", "value": "../out.log"})
        pm.write_text(json.dumps(m))
        r = sb.start("escaper", code=254)
        assert "leaves the log directory" in r.err and r.err.count("\n") <= 2, r
        assert not (tmp_path / "out.log").exists()
    finally:
        _finish(pods)


# ------------------------------------------------------------------ nothing leaks

def pod_state(sb):
    """What apps added and removed must leave as it was: the pod init's mounts and
    descriptors, the pod's cgroups, P's entries and S1's records."""
    pid = sb.pid()
    mounts = sorted(ln.split()[4] for ln in Path(f"/proc/{pid}/mountinfo").read_text()
                    .splitlines())
    fds = sorted(os.listdir(f"/proc/{pid}/fd"))
    cgs = sorted(c for cg in pod_cgroups([sb.uuid]) for c, _, _ in os.walk(cg))
    p = sb.path()
    files = sorted(str(f.relative_to(p)) for f in p.rglob("*")
                   if "stage1/rootfs" not in str(f) and "/overlay/" not in str(f)
                   and f != p / "logs")  # (made by the first app's start)
    records = sorted(os.listdir(p / "stage1/rootfs/rkt/status"))
    return mounts, fds, cgs, files, records


def test_twenty_apps_added_and_removed_leave_nothing(sandbox, image_id):
    """20 apps added, started, stopped and removed in a loop leave the pod as it started."""
    before = pod_state(sandbox)
    for i in range(20):
        name = f"loop{i}"
        sandbox.add(image_id, *sh(name, "exec sleep 1000" if i % 2 else "true"))
        sandbox.start(name)
        sandbox.rm(name)
    assert sandbox.list() == "\n"
    after = pod_state(sandbox)
    for what, a, b in zip(("mounts", "fds", "cgroups", "files", "records"), before, after):
        assert a == b, f"{what} changed: {sorted(set(b) ^ set(a))}"


def test_members_cannot_drive_a_pod(sandbox, image_id):
    """Only root runs the app commands that change a pod (there is no channel into the pod
    for anyone else to use)."""
    def as_nobody():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    for argv in (["add", sandbox.uuid, image_id, *inspect("x")],
                 ["start", sandbox.uuid, "--app=x"], ["stop", sandbox.uuid, "--app=x"],
                 ["rm", sandbox.uuid, "--app=x"], ["sandbox"]):
        r = subprocess.run(sandbox.pods.args() + ["app", *argv], env=ENV, capture_output=True,
                           text=True, preexec_fn=as_nobody, timeout=60)
        assert r.returncode == 254 and "cannot run as unprivileged user" in r.stderr, r
    assert sandbox.list() == "\n"


def test_a_cgroup_record_naming_another_cgroup_is_refused(sandbox, image_id):
    """P/subcgroup names the pod's own cgroup or root follows it nowhere: with a record
    naming its parent, `app start`, `app stop`, `app rm`, `enter` and `stop` refuse instead of
    pinning, joining or signalling what they find there; the pod runs on as it was."""
    sandbox.add(image_id, *sh("pinned", "exec sleep 1000"))
    sandbox.start("pinned")
    sandbox.wait_state("pinned", "running")
    sandbox.add(image_id, *sh("waiting", "exit 0"))
    record = sandbox.path() / "subcgroup"
    own = record.read_text()
    record.write_text("machine.slice\n")
    try:
        for argv in (["app", "start", sandbox.uuid, "--app=waiting"],
                     ["app", "stop", sandbox.uuid, "--app=pinned"],
                     ["app", "rm", sandbox.uuid, "--app=pinned"],
                     ["enter", "--app=pinned", sandbox.uuid, "/bin/true"],
                     ["stop", "--force", sandbox.uuid]):
            r = sandbox.pods(*argv, env=ENV)
            assert r.code == 254 and 'refusing unexpected subcgroup "machine.slice"' in r.err, \
                (argv, r)
    finally:
        record.write_text(own)
    assert sandbox.state("pinned") == "running"
    assert sandbox.state("waiting") == "created"
    sandbox.rm("pinned")
    sandbox.rm("waiting")


def test_monitor_killed(sandbox, image_id):
    """A monitor killed with -9 leaves its app unsupervised: app start starts the app again
    (and ends what is left of the old one), app rm removes it."""
    sandbox.add(image_id, *sh("orphan", "exec sleep 4245"))
    sandbox.start("orphan")
    ns = os.readlink(f"/proc/{sandbox.pid()}/ns/pid")
    old = wait_for(lambda: next((p for p in proc_pids() if cmdline(p) == ["sleep", "4245"]
                                 and pidns(p) == ns), None), what="the app's process")
    mon = int((sandbox.path() / "appsinfo" / "orphan" / "monitor-pid").read_text())
    os.kill(mon, 9)
    wait_for(lambda: not Path(f"/proc/{mon}").exists() or None, what="the monitor to go")
    sandbox.start("orphan")
    assert sandbox.state("orphan") == "running"
    wait_for(lambda: cmdline(old) != ["sleep", "4245"] or None, what="the old app to end")
    sandbox.stop("orphan")
    assert sandbox.status("orphan")["exit_code"] == "0"
    sandbox.rm("orphan")
    assert not [p for p in proc_pids() if cmdline(p) == ["sleep", "4245"]]


@pytest.mark.parametrize("between", ["", "x:"])
def test_a_process_in_a_lookalike_cgroup_is_no_monitor(sandbox, image_id, between):
    """`app start` refuses a running app only while its monitor runs in the pod's own
    init.scope: a process whose cgroup path merely ends the same way (here one below a
    cgroup of its own, holding the pid the records name after the monitor died) is not it,
    also when a cgroup name on the way ends in ':' (a line of /proc/<pid>/cgroup is
    "id:controllers:/path", and a name may hold ':')."""
    unified = Path("/sys/fs/cgroup/unified")
    if not os.path.ismount(unified):
        pytest.skip("no cgroup2 hierarchy at /sys/fs/cgroup/unified")
    sandbox.add(image_id, *sh("lookalike", "exec sleep 4246"))
    sandbox.start("lookalike")
    record = sandbox.path() / "appsinfo" / "lookalike" / "monitor-pid"
    mon = int(record.read_text())
    os.kill(mon, 9)
    wait_for(lambda: not Path(f"/proc/{mon}").exists() or None, what="the monitor to go")
    sub = (sandbox.path() / "subcgroup").read_text().strip()
    decoy_cg = unified / f"rkt-test-decoy-{os.getpid()}" / between / sub / "init.scope"
    decoy_cg.mkdir(parents=True)
    decoy = subprocess.Popen(["sleep", "600"])
    try:
        (decoy_cg / "cgroup.procs").write_text(str(decoy.pid))
        record.write_text(str(decoy.pid))
        sandbox.start("lookalike")
        assert sandbox.state("lookalike") == "running"
    finally:
        kill_quietly(decoy)
        for d in [decoy_cg, *decoy_cg.parents]:
            if d == unified:
                break
            d.rmdir()
    sandbox.stop("lookalike")
    sandbox.rm("lookalike")


def test_failed_restart(sandbox, image_id, tmp_path):
    """A start that fails (here: its host volume is gone) changes nothing: the app stays
    exited with its former status, and starts again once the volume is back."""
    src = tmp_path / "gone"
    src.mkdir()
    sandbox.add(image_id, f"--mnt-volume=name=gone,kind=host,source={src},target=/v",
                *sh("fragile", "exit 3"))
    sandbox.start("fragile")
    sandbox.wait_state("fragile", "exited")
    src.rmdir()
    r = sandbox.start("fragile", code=254)
    assert r.err.count("\n") <= 2, r
    st = sandbox.status("fragile")
    assert st["state"] == "exited" and st["exit_code"] == "3", st
    src.mkdir()
    sandbox.start("fragile")
    sandbox.wait_state("fragile", "exited")
    sandbox.rm("fragile")


# ------------------------------------------------------------------ networks

def test_sandbox_network_and_port(netpods, httpd_img):
    """A sandbox on the default network forwards its 5-part --port to the app added later;
    stop and gc leave no veth, rule, netns or lease (the netpods teardown checks)."""
    from nettest import HTTPD_PAGE, free_port
    port = free_port()
    image = Pods.fetch(netpods, httpd_img.path)
    sb = Sandbox(netpods, "--net=default", f"--port=http:tcp:80:127.0.0.1:{port}")
    m = json.loads(netpods.ok("cat-manifest", sb.uuid).out)
    assert m["ports"] == [{"name": "http", "hostPort": port, "hostIP": "127.0.0.1",
                           "podPort": {"name": "http", "protocol": "tcp", "port": 80,
                                       "count": 1, "socketActivated": False}}], m
    sb.add(image, "--name=web")
    sb.start("web")
    assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
    netpods.ok("stop", sb.uuid)
    assert sb.pod.wait().code == 0


def test_no_overlay_sandbox_is_refused(tmp_path):
    """An added app's image would be copied below S1, which the pod's apps may reach while
    they run (a deliberate difference: rkt copied it): --no-overlay is refused, nothing made."""
    pods = Pods(tmp_path)
    try:
        r = pods("app", "sandbox", "--net=host", "--no-overlay", env=ENV)
        assert r.code == 254, r
        assert r.err.strip() == ("sandbox: --no-overlay is not supported for mutable pods (an app "
                                 "added later needs overlayfs)"), r
        assert not list(pods.dir.glob("pods/*/*"))
    finally:
        _finish(pods)
