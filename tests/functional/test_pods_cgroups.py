# SPDX-License-Identifier: Apache-2.0
"""The native stage1's cgroups on real hierarchies (SPEC.md §7.3, §11.4; the pure v2 code
paths are unit-tested on fixture trees in tests/unit/test-cgroup.c).

* This machine's hybrid layout (v1 controllers under /sys/fs/cgroup/<ctrl> plus cgroup2 at
  /sys/fs/cgroup/unified): the pod init and every app sit in the pod's cgroup
  (P/subcgroup) in every hierarchy the stage1 uses, the memory and cpu isolators land in
  the apps' v1 files, and after `stop --force` and gc no cgroup of the pod is left.
* Pure v1, simulated: rkt runs in a private mount namespace (created with private
  propagation, by podtest.NsHolder) in which /sys/fs/cgroup/unified is unmounted, so the
  stage1 sees only v1 hierarchies and kills with the v1 freezer. The host's mounts are
  never touched (the conftest host mount guard checks it after every test)."""
import os
import subprocess
from pathlib import Path

import pytest

from podtest import (NsHolder, Pods, img, mounts_under, mounts_under_ns,  # noqa: F401
                     needs_root, pod_cgroups, pod_processes, pods, wait_for)

pytestmark = [pytest.mark.offline, needs_root]

CG = Path("/sys/fs/cgroup")
UNIFIED = CG / "unified"


def hybrid_host():
    """True on this machine's layout: cgroup2 at unified plus v1 memory, cpu, devices."""
    fs = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fs[fields[4]] = fields[fields.index("-") + 1]
    return (fs.get(str(UNIFIED)) == "cgroup2"
            and all(fs.get(str(CG / c)) == "cgroup" for c in ("memory", "cpu", "devices")))


needs_hybrid = pytest.mark.skipif(not hybrid_host(), reason="needs the hybrid cgroup layout")


def proc_cgroups(pid):
    """{controller (v1, one per name) or "" (v2): path} of /proc/<pid>/cgroup."""
    out = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(",") if ctrls else [""]:
                out[c] = path
    return out


def app_pids(p, uuid, comm="inspect"):
    """pids of the pod's processes named comm."""
    out = []
    for pid in pod_processes(p.dir, {uuid}):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == comm:
                    out.append(pid)
        except OSError:
            pass
    return out


def subcgroup(p, uuid):
    sub = (p.dir / "pods" / "run" / uuid / "subcgroup").read_text().strip()
    assert sub == "machine.slice/machine-rkt\\x2d" + uuid.replace("-", "\\x2d") + ".scope"
    return sub


def cgroup_dirs(uuid, roots):
    """Directories of the pod's cgroups anywhere below the given hierarchy roots."""
    esc = uuid.replace("-", "\\x2d")
    found = []
    for root in roots:
        ms = Path(root) / "machine.slice"
        if ms.is_dir():
            found += [str(d) for d in ms.iterdir() if esc in d.name]
    return found


def used_hierarchies(sub):
    """{/proc/<pid>/cgroup key: mount point} of the hierarchies holding the pod's cgroup."""
    out = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, ctrls, _ = line.split(":", 2)
        root = UNIFIED if not ctrls else CG / ctrls.removeprefix("name=")
        if (root / sub).is_dir():
            for c in ctrls.split(",") if ctrls else [""]:
                out[c] = root
    return out


def all_hierarchies():
    return [d for d in CG.iterdir() if d.is_dir() and os.path.ismount(d)]


def read(path):
    return Path(path).read_text().strip()


# --------------------------------------------------------------------------- hybrid

TWO_APPS = ("--memory=42Mi", "--cpu=500m", "--name=a1", "--exec=/inspect", "--",
            "--silent-sigterm", "--sleep=30", "---")


@needs_hybrid
def test_hybrid_pod_and_apps_in_pod_cgroup(pods, img):
    p = pods.start(img.path, *TWO_APPS, img.path, "--name=a2", "--exec=/inspect", "--",
                   "--silent-sigterm", "--sleep=30")
    pods.wait_ready(p.uuid)
    sub = subcgroup(pods, p.uuid)
    init = int(pods.status(p.uuid)["pid"])

    used = used_hierarchies(sub)
    # memory and cpu for the limits, cgroup2 to track and kill the pod; the v1 devices
    # controller only without a cgroup2 device filter; never freezer, pids or name=systemd
    assert {"memory", "cpu", ""} <= set(used) <= {"memory", "cpu", "", "devices"}, used

    # the pod init: P/subcgroup/init.scope in cgroup2. In the v1 hierarchies it is there
    # too, unless it was started right into its cgroup2 cgroup (clone3 CLONE_INTO_CGROUP):
    # then it stays where `rkt run` was (as this test), only the apps carry v1 limits.
    cg, mine = proc_cgroups(init), proc_cgroups("self")
    assert cg[""] == f"/{sub}/init.scope", cg
    for key in used:
        assert cg[key] in (f"/{sub}/init.scope", mine[key]), (key, cg)
    for key in set(cg) - set(used):
        assert sub not in cg[key], (key, cg)

    # each app: P/subcgroup/system.slice/<app>.service in every hierarchy used
    wait_for(lambda: len(app_pids(pods, p.uuid)) == 2, what="both apps")
    seen = set()
    for pid in app_pids(pods, p.uuid):
        cg = proc_cgroups(pid)
        app = cg[""].rsplit("/", 1)[-1].removesuffix(".service")
        assert app in ("a1", "a2"), cg
        seen.add(app)
        for key in used:
            assert cg[key] == f"/{sub}/system.slice/{app}.service", (key, cg)
    assert seen == {"a1", "a2"}

    # rkt enter joins the app's cgroups too (shown relative to the pod's cgroup namespace)
    r = pods.ok("enter", "--app=a2", p.uuid, "/bin/cat", "/proc/self/cgroup")
    lines = dict(ln.split(":", 2)[1:] for ln in r.out.splitlines() if ln.count(":") >= 2)
    assert lines.get("memory", "").endswith("/system.slice/a2.service"), r.out
    assert lines.get("", "").endswith("/system.slice/a2.service"), r.out

    # the isolators: --memory/--cpu for a1, the image's own (25Mi, 800m) for a2
    a1 = f"{sub}/system.slice/a1.service"
    a2 = f"{sub}/system.slice/a2.service"
    assert read(CG / "memory" / a1 / "memory.limit_in_bytes") == str(42 << 20)
    assert read(CG / "memory" / a2 / "memory.limit_in_bytes") == str(25 << 20)
    assert read(CG / "cpu" / a1 / "cpu.cfs_period_us") == "100000"
    assert read(CG / "cpu" / a1 / "cpu.cfs_quota_us") == "50000"
    assert read(CG / "cpu" / a2 / "cpu.cfs_quota_us") == "80000"
    # the init has no limits of its own
    assert read(CG / "cpu" / sub / "init.scope" / "cpu.cfs_quota_us") == "-1"

    pods.ok("stop", "--force", p.uuid)
    p.wait(timeout=20)
    wait_for(lambda: not pod_processes(pods.dir, {p.uuid}), timeout=10,
             what="the pod's processes to die")
    assert pods.gc().code == 0
    assert cgroup_dirs(p.uuid, all_hierarchies()) == []
    assert pod_cgroups({p.uuid}) == []


@needs_hybrid
def test_hybrid_cpu_shares(pods, img):
    p = pods.start(img.path, "--cpu-shares=12345", "--", "--silent-sigterm", "--sleep=30")
    pods.wait_ready(p.uuid)
    sub = subcgroup(pods, p.uuid)
    app = CG / "cpu" / sub / "system.slice" / "rkt-inspect.service"
    assert read(app / "cpu.shares") == "12345"
    pods.ok("stop", "--force", p.uuid)
    p.wait(timeout=20)
    assert pods.gc().code == 0
    assert cgroup_dirs(p.uuid, all_hierarchies()) == []


# --------------------------------------------------------------------------- pure v1

@pytest.fixture
def v1ns():
    """A private mount namespace (private propagation from the start) without cgroup2."""
    if not os.path.ismount(UNIFIED):
        pytest.skip("no cgroup2 hierarchy at /sys/fs/cgroup/unified to hide")
    h = NsHolder()
    try:
        # safety first: the namespace's mounts must all be private before unmounting
        with open(f"/proc/{h.pid}/mountinfo") as f:
            shared = [ln for ln in f if "shared:" in ln.split(" - ")[0]]
        assert shared == [], f"namespace holder has shared mounts: {shared[:3]}"
        r = subprocess.run(["nsenter", f"--mount=/proc/{h.pid}/ns/mnt", "umount",
                            str(UNIFIED)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert not mounts_under_ns(UNIFIED, h.pid)
        assert os.path.ismount(UNIFIED), "the host's cgroup2 mount went away"
        yield h
    finally:
        h.close()


@pytest.fixture
def v1pods(tmp_path, v1ns):
    p = Pods(tmp_path / "v1", nsholder=v1ns)
    yield p
    problems = p.cleanup()
    left = mounts_under_ns(p.dir, v1ns.pid)
    if left:
        problems.append(f"mounts left in the namespace: {left}")
    if problems:
        pytest.fail("pod leak after the test: " + "; ".join(problems), pytrace=False)


@needs_hybrid
def test_pure_v1_run_limit_stop_gc(v1pods, v1ns, img):
    p = v1pods.start(img.path, "--memory=42Mi", "--exec=/bin/sh", "--", "-c",
                     "trap '' TERM; sleep 100 & sleep 100 & /inspect --print-memory-limit; "
                     "wait")
    v1pods.wait_ready(p.uuid)
    sub = subcgroup(v1pods, p.uuid)
    app = f"{sub}/system.slice/rkt-inspect.service"
    # only v1: the memory limit in memory.limit_in_bytes, the freezer joined for kill-all,
    # nothing in the (hidden) cgroup2 hierarchy
    assert read(CG / "memory" / app / "memory.limit_in_bytes") == str(42 << 20)
    assert (CG / "freezer" / sub / "init.scope").is_dir()
    assert (CG / "devices" / app).is_dir()
    assert cgroup_dirs(p.uuid, [UNIFIED]) == []
    wait_for(lambda: len(app_pids(v1pods, p.uuid, "sleep")) == 2, what="the app's sleeps")
    for pid in app_pids(v1pods, p.uuid, "sleep"):
        cg = proc_cgroups(pid)
        assert cg["memory"] == f"/{app}" and cg["freezer"] == f"/{app}", cg

    v1pods.ok("stop", "--force", p.uuid)
    r = p.wait(timeout=20)
    assert "Memory Limit: 44040192" in r.out, r
    wait_for(lambda: not pod_processes(v1pods.dir, {p.uuid}), timeout=10,
             what="every pod process to die after stop --force")
    assert v1pods.status(p.uuid)["state"] == "exited"
    assert v1pods.gc().code == 0
    assert cgroup_dirs(p.uuid, all_hierarchies()) == []
    assert mounts_under_ns(v1pods.dir, v1ns.pid) == []
    assert mounts_under(v1pods.dir) == []
