# SPDX-License-Identifier: Apache-2.0
"""Helpers and fixtures for the end-to-end pod tests (test_pods_*.py): real `rkt run` with
the built stage1 images (native by default, fly on request), as root.

    def test_x(pods, img):                 # img: rkt-inspect + busybox (SPEC.md §11.0)
        r, uuid = pods.run(img.path, "--exec=/inspect", "--", "--print-user")
        p = pods.start(img.path, "--exec=/inspect", "--", "--sleep=30")   # background
        pods.wait_ready(p.uuid)

Every pod a test starts is cleaned up in teardown: processes belonging to the test's pods
are killed (SIGKILL, by pid), `rkt gc --grace-period=0s` runs, and the teardown fails the
test if a mount under the test's --dir, a cgroup of one of its pods or one of its processes
is left behind ("leak"). Fly pods run in a private mount namespace held by a helper process
(`flyns`): fly makes /dev, /proc and /sys rshared and binds them into the pod, so a bug in
its cleanup could otherwise unmount the host's mounts.
"""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (RKT_BIN, Rkt, Result, kill_quietly, mounts_under_ns, unescape_mountinfo,
                      unmount_all)
import imageutil

INSECURE = "--insecure-options=image"
FLY = "fly"
NATIVE = "native"
CGROUP_ROOT = Path("/sys/fs/cgroup")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="pod tests need root")


def stage1_path(flavor):
    """The stage1 ACI beside the rkt binary under test (RKT_BIN may be a stable copy)."""
    p = Path(RKT_BIN).parent / f"stage1-{flavor}.aci"
    return p if p.exists() else imageutil.stage1_image_path(flavor)


def wait_for(pred, timeout=15.0, interval=0.05, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- leak probes

def mounts_under(path):
    """Mount points at or below path (this process's mount namespace, or pid's)."""
    return mounts_under_ns(path, "self")


def mountinfo_outside(pid, prefix="/tmp"):
    """{(mount point, fs type)} of pid's mount namespace, outside prefix."""
    out = set()
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            fields = line.split()
            mp = unescape_mountinfo(fields[4])
            if mp == prefix or mp.startswith(prefix + "/"):
                continue
            out.add((mp, fields[fields.index("-") + 1]))
    return out


def escaped(uuid):
    return uuid.replace("-", "\\x2d")


def pod_cgroups(uuids=None):
    """Cgroup directories named machine-rkt* (of the given pods, or all) in every hierarchy."""
    found = []
    if not CGROUP_ROOT.is_dir():
        return found
    for hier in CGROUP_ROOT.iterdir():
        for base in (hier, hier / "machine.slice"):
            try:
                names = os.listdir(base)
            except OSError:
                continue
            for n in names:
                if not n.startswith("machine-rkt"):
                    continue
                if uuids is None or any(escaped(u) in n or u in n for u in uuids):
                    found.append(base / n)
    return found


def task_state(path):
    """The state letter of a /proc/<pid>[/task/<tid>]/stat file."""
    with open(path) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def is_zombie(pid):
    """Whether pid has exited, every thread of it, and waits to be reaped: it holds no mount,
    namespace, descriptor or cgroup any more. The pod init of a sandbox a test killed is one
    until the machine's pid 1 reaps it, which some machines' init does only every second or
    two. A process whose main thread alone exited shows "Z" too while its other threads run
    on: it is no zombie."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
        return bool(tids) and all(task_state(f"/proc/{pid}/task/{t}/stat") == "Z" for t in tids)
    except (OSError, IndexError):
        return False


def pod_processes(dirpath, uuids=()):
    """pids of live processes (no zombies) whose cwd, root or executable is under dirpath,
    whose command line names it, or that sit in a cgroup of one of the given pods."""
    d = str(dirpath)
    marks = [escaped(u) for u in uuids] + list(uuids)
    me = os.getpid()
    pids = []
    for e in os.listdir("/proc"):
        if not e.isdigit() or int(e) == me or is_zombie(e):
            continue
        base = f"/proc/{e}"
        hit = False
        for link in ("cwd", "root", "exe"):
            try:
                t = os.readlink(f"{base}/{link}")
            except OSError:
                continue
            if t == d or t.startswith(d + "/"):
                hit = True
        try:
            with open(f"{base}/cmdline", "rb") as f:
                if d.encode() in f.read():
                    hit = True
            if marks and not hit:
                with open(f"{base}/cgroup") as f:
                    cg = f.read()
                hit = any(m in cg for m in marks)
        except OSError:
            continue
        if hit:
            pids.append(int(e))
    return pids


def pod_uuids(dirpath):
    out = set()
    pods = Path(dirpath) / "pods"
    if pods.is_dir():
        for state in pods.iterdir():
            if state.is_dir():
                out.update(p.name for p in state.iterdir() if UUID_RE.match(p.name))
    return out


# --------------------------------------------------------------------------- pods

class Pod:
    """A pod started in the background (rkt run as a child process)."""

    def __init__(self, proc, uuid_file):
        self.proc = proc
        self.uuid_file = uuid_file
        self._uuid = None

    @property
    def uuid(self):
        if self._uuid is None:
            def read():
                if self.uuid_file.exists() and self.uuid_file.stat().st_size == 36:
                    return self.uuid_file.read_text()
                if self.proc.poll() is not None:
                    out, err = self.proc.communicate()
                    raise AssertionError(f"rkt run exited {self.proc.returncode} before "
                                         f"saving its UUID:\n{out}\n{err}")
                return None
            self._uuid = wait_for(read, what="--uuid-file-save")
        return self._uuid

    def wait(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        return Result(subprocess.CompletedProcess(self.proc.args, self.proc.returncode,
                                                  out, err))


class Pods(Rkt):
    """The rkt fixture plus pod helpers; stage1 = "native" (default) or "fly"."""

    def __init__(self, tmp, flavor=NATIVE, nsholder=None, offline=True):
        super().__init__(tmp, offline=offline)
        self.flavor = flavor
        self.nsholder = nsholder
        self.started = []
        self.counter = 0

    def prefix(self):
        if self.nsholder is not None:
            pid = self.nsholder.pid
            return ["nsenter", f"--mount=/proc/{pid}/ns/mnt", f"--net=/proc/{pid}/ns/net"]
        return super().prefix()

    def stage1_args(self):
        return [f"--stage1-path={stage1_path(self.flavor)}"]

    def run_args(self, args, net="host"):
        a = [INSECURE, "run"] + self.stage1_args()
        if net is not None:
            a.append(f"--net={net}")
        return a + [str(x) for x in args]

    def next_uuid_file(self):
        self.counter += 1
        return self.tmp / f"uuid-{self.counter}"

    def run(self, *args, net="host", timeout=60, input=None, env=None):
        """rkt run ... in the foreground; returns (Result, uuid or None)."""
        uf = self.next_uuid_file()
        r = self(*self.run_args([f"--uuid-file-save={uf}"] + list(args), net), input=input,
                 env=env, timeout=timeout)
        return r, (uf.read_text() if uf.exists() else None)

    def start(self, *args, net="host", **kw):
        """rkt run ... in the background; returns a Pod (its uuid is read on demand)."""
        uf = self.next_uuid_file()
        kw.setdefault("stdin", subprocess.DEVNULL)
        proc = self.popen(*self.run_args([f"--uuid-file-save={uf}"] + list(args), net), **kw)
        p = Pod(proc, uf)
        self.started.append(p)
        return p

    def wait_ready(self, uuid, timeout="20s"):
        """status --wait-ready (explicitly not waiting for the pod to finish)."""
        return self.ok("status", f"--wait-ready={timeout}", "--wait=false", uuid, timeout=60)

    def status(self, uuid, *flags):
        """status as a dict; both waits are disabled explicitly (see test_status_*)."""
        r = self.ok("status", "--wait-ready=false", "--wait=false", *flags, uuid, timeout=30)
        return dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)

    def wait_exited(self, uuid, timeout=20):
        return wait_for(lambda: self.status(uuid).get("state") == "exited" or None,
                        timeout=timeout, interval=0.1, what=f"pod {uuid} to exit")

    def gc(self):
        return self("gc", "--grace-period=0s", timeout=120)

    # -- teardown ----------------------------------------------------------------------

    def cleanup(self):
        """Kills what is left of the test's pods, gc's them and returns a list of leaks."""
        uuids = pod_uuids(self.dir)
        for p in self.started:
            kill_quietly(p.proc)
        for pid in pod_processes(self.dir, uuids):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            wait_for(lambda: not pod_processes(self.dir, uuids), timeout=10,
                     what="pod processes to die")
        except AssertionError:
            pass
        problems = []
        if self.dir.exists():
            r = self.gc()
            if r.code != 0:
                problems.append(f"gc --grace-period=0s failed: {r}")
        left = mounts_under(self.dir)
        if left:
            problems.append(f"mounts left under {self.dir}: {left}")
            unmount_all(left)
        cgs = pod_cgroups(uuids)
        if cgs:
            problems.append(f"cgroups left: {cgs}")
            for cg in cgs:
                for sub, _, _ in sorted(os.walk(cg), key=lambda w: -len(w[0])):
                    try:
                        os.rmdir(sub)
                    except OSError:
                        pass
        procs = pod_processes(self.dir, uuids)
        if procs:
            problems.append(f"processes left: {procs}")
        return problems


class NsHolder:
    """A sleeping process in its own private mount namespace and network namespace (only a
    loopback interface): fly pods are run there (rkt is started with nsenter)."""

    def __init__(self):
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                                      "--net", "sleep", "3600"])
        self.pid = self.proc.pid
        # unshare(1) makes the mounts private after unshare(2), then execs sleep: the
        # namespace is ready once sleep runs (a different namespace alone is too early)
        wait_for(lambda: self._sleeping() or None, what="the namespace holder")

    def _sleeping(self):
        try:
            with open(f"/proc/{self.pid}/cmdline", "rb") as f:
                return f.read().split(b"\0")[0] == b"sleep"
        except OSError:
            return False

    def mounts(self):
        """Its mounts outside /tmp, as the host guard records them."""
        return mountinfo_outside(self.pid)

    def close(self):
        kill_quietly(self.proc)


def _finish(p):
    problems = p.cleanup()
    if problems:
        pytest.fail("pod leak after the test: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def pods(tmp_path):
    p = Pods(tmp_path)
    yield p
    _finish(p)


@pytest.fixture
def flyns():
    h = NsHolder()
    yield h
    h.close()


@pytest.fixture
def flypods(tmp_path, flyns):
    """Pods with the fly stage1, run in flyns. Only leaks under the test's --dir fail the
    teardown; what fly's cleanup does to the namespace's own mounts is checked by
    test_pods_leaks.py::test_fly_gc_must_not_unmount_the_namespaces_api_mounts."""
    p = Pods(tmp_path / "fly", flavor=FLY, nsholder=flyns, offline=False)
    yield p
    _finish(p)


@pytest.fixture(scope="session")
def img(tmp_path_factory, inspect_bin):
    """rkt's coreos.com/rkt-inspect:1.30.0 with busybox (sh, cat, sleep, ...)."""
    return imageutil.rkt_inspect_image(tmp_path_factory.mktemp("pods-img") / "inspect.aci",
                                       busybox=True)


def lines_with(out, prefix):
    return [ln for ln in out.splitlines() if ln.startswith(prefix)]


def run_bare_pty(argv, inputs=(), timeout=30):
    """Runs argv with a pty as its stdin/stdout/stderr; writes each of `inputs` after the
    prompt that precedes it ((prompt, text) pairs). Returns (exit code, output)."""
    import pty
    import select
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    pending = list(inputs)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if pending and pending[0][0].encode() in out:
                os.write(master, pending.pop(0)[1].encode())
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        proc.wait(timeout=max(1, end - time.monotonic()))
    finally:
        kill_quietly(proc)
        os.close(master)
    return proc.returncode, out.decode(errors="replace")
