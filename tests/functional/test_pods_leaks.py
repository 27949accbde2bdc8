# SPDX-License-Identifier: Apache-2.0
"""Leaks and crash safety: after `rkt run` (however it ends) and `rkt gc
--grace-period=0s`, nothing of the pod remains: no mount under the test's --dir, no
machine-rkt* cgroup in any hierarchy, no process whose cwd/root/command line is under the
--dir or that sits in the pod's cgroups, and no pod directory. `kill -9` of `rkt run` (the
stage1 init after the exec) at several moments leaves a pod that `rkt list` truthfully
shows as exited and that gc removes entirely. The fly stage1 runs in a private mount
namespace (podtest.flyns) and must not unmount that namespace's own API mounts."""
import os
import signal
import time

import pytest

from podtest import (flyns, flypods, img, mounts_under, needs_root, pod_cgroups,  # noqa: F401
                     pod_processes, pod_uuids, pods, wait_for)

pytestmark = [pytest.mark.offline, needs_root]


def leftovers(p, uuids):
    """What is left of the given pods under p.dir: {kind: [...]} (empty lists when clean)."""
    pods_dir = p.dir / "pods"
    dirs = sorted(str(x.relative_to(pods_dir)) for x in pods_dir.glob("*/*")) \
        if pods_dir.is_dir() else []
    return {"mounts": mounts_under(p.dir), "cgroups": [str(c) for c in pod_cgroups(uuids)],
            "processes": pod_processes(p.dir, uuids), "pod dirs": dirs}


CLEAN = {"mounts": [], "cgroups": [], "processes": [], "pod dirs": []}


def state_in_list(p, uuid):
    for line in p.ok("list", "--no-legend", "--full").out.splitlines():
        cells = [c for c in line.split("\t") if c]
        if cells and cells[0] == uuid:
            return cells[4]
    return None


def gc_all(p):
    r = p.gc()
    assert r.code == 0, r
    return r


def assert_gone(p, uuids):
    wait_for(lambda: not pod_processes(p.dir, uuids), timeout=10, what="pod processes to end")
    assert leftovers(p, uuids) == CLEAN


# --------------------------------------------------------------------------- normal runs

def test_baseline_is_clean(pods):
    assert leftovers(pods, []) == CLEAN
    gc_all(pods)  # gc with nothing to do succeeds


def test_run_then_gc_leaves_nothing(pods, img, tmp_path):
    host = tmp_path / "hv"
    host.mkdir()
    r, uuid = pods.run(f"--volume=h,kind=host,source={host}", "--volume=e,kind=empty",
                       img.path, "--mount=volume=h,target=/h", "--mount=volume=e,target=/e",
                       "--", "--print-msg=x", "---",
                       img.path, "--name=second", "--mount=volume=e,target=/e")
    assert r.code == 0, r
    # the pod exited: no process is left even before gc; its mounts and cgroups may be
    left = leftovers(pods, {uuid})
    assert left["processes"] == []
    assert left["pod dirs"] == [f"run/{uuid}"]
    gc_all(pods)
    assert_gone(pods, {uuid})
    assert sorted(os.listdir(host)) == []  # gc does not touch host volume contents


def test_no_overlay_run_then_gc_leaves_nothing(pods, img):
    r, uuid = pods.run("--no-overlay", "--volume=e,kind=empty", img.path,
                       "--mount=volume=e,target=/e")
    assert r.code == 0, r
    gc_all(pods)
    assert_gone(pods, {uuid})


def test_failed_run_then_gc_leaves_nothing(pods, img, tmp_path):
    r, uuid1 = pods.run(img.path, "--exec=/not-there")
    assert r.code == 203, r
    r, uuid2 = pods.run(f"--volume=v,kind=host,source={tmp_path / 'missing'}", img.path,
                        "--mount=volume=v,target=/v")
    assert r.code == 1, r
    r, uuid3 = pods.run(img.path, "--user=nobody-here")
    assert r.code == 254, r
    gc_all(pods)
    assert_gone(pods, {uuid1, uuid2, uuid3})


def test_aborted_prepare_then_gc_leaves_nothing(pods, img):
    # the same image twice: duplicate app name, prepare fails and leaves an aborted prepare
    r = pods("--insecure-options=image", "prepare", *pods.stage1_args(), img.path, img.path)
    assert r.code == 254, r
    uuids = pod_uuids(pods.dir)
    r = gc_all(pods)
    assert_gone(pods, uuids)


def test_stop_force_leaves_nothing_running(pods, img):
    p = pods.start(img.path, "--exec=/bin/sh", "--", "-c",
                   "trap '' TERM; sleep 100 & sleep 100 & wait")
    pods.wait_ready(p.uuid)
    assert pod_processes(pods.dir, {p.uuid})
    pods.ok("stop", "--force", p.uuid)
    p.wait(timeout=20)
    wait_for(lambda: not pod_processes(pods.dir, {p.uuid}), timeout=10,
             what="all pod processes to die after stop --force")
    assert state_in_list(pods, p.uuid) == "exited"
    gc_all(pods)
    assert_gone(pods, {p.uuid})


# --------------------------------------------------------------------------- kill -9

def kill9(proc):
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=20)


@pytest.mark.parametrize("moment", ["immediately", "uuid-saved", "app-sleeping",
                                    "app-has-children"])
def test_kill9_rkt_run(pods, img, moment):
    script = "sleep 100 & sleep 100 & wait" if moment == "app-has-children" else "sleep 100"
    p = pods.start(img.path, "--exec=/bin/sh", "--", "-c", script)
    if moment == "uuid-saved":
        p.uuid
    elif moment in ("app-sleeping", "app-has-children"):
        pods.wait_ready(p.uuid)
        assert pod_processes(pods.dir, {p.uuid})
    kill9(p.proc)
    uuids = pod_uuids(pods.dir)
    wait_for(lambda: not pod_processes(pods.dir, uuids), timeout=10,
             what="the pod's processes to die with its init")
    for u in uuids:
        st = state_in_list(pods, u)
        assert st in ("exited", None) or moment in ("immediately", "uuid-saved"), (u, st)
        if moment == "uuid-saved":  # the UUID is saved before prepare: killed there or after
            assert st in ("exited", "aborted prepare"), (u, st)
        elif moment != "immediately":
            assert st == "exited"
            assert pods.status(u)["state"] == "exited"
    gc_all(pods)
    assert_gone(pods, uuids)


def test_kill9_app_process(pods, img):
    # the app dies from outside: the pod exits and reports it
    p = pods.start(img.path, "--", "--sleep=100")
    pods.wait_ready(p.uuid)
    # "ready" means the apps were started; the exec of the payload may still be under way
    deadline = time.monotonic() + 10
    while True:
        apps = [pid for pid in pod_processes(pods.dir, {p.uuid})
                if open(f"/proc/{pid}/comm").read().strip() == "inspect"]
        if apps or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(apps) == 1
    os.kill(apps[0], signal.SIGKILL)
    r = p.wait(timeout=20)
    assert r.code != 0
    pods.wait_exited(p.uuid)
    gc_all(pods)
    assert_gone(pods, {p.uuid})


def test_kill9_during_gc_is_recoverable(pods, img):
    # kill -9 of a gc right away, then a second gc finishes the job
    uuids = set()
    for _ in range(3):
        r, u = pods.run("--volume=e,kind=empty", img.path, "--mount=volume=e,target=/e")
        assert r.code == 0, r
        uuids.add(u)
    proc = pods.popen("gc", "--grace-period=0s")
    time.sleep(0.02)  # let it get going: any moment is fine, it must be resumable
    kill9(proc)
    gc_all(pods)
    assert_gone(pods, uuids)


# --------------------------------------------------------------------------- fly

def test_fly_run_then_gc_leaves_nothing(flypods, img, tmp_path):
    host = tmp_path / "hv"
    host.mkdir()
    r, uuid = flypods.run(f"--volume=h,kind=host,source={host}", img.path,
                          "--mount=volume=h,target=/h")
    assert r.code == 0, r
    gc_all(flypods)
    assert_gone(flypods, {uuid})


def test_fly_kill9_while_app_sleeps(flypods, img):
    p = flypods.start(img.path, "--", "--sleep=100")
    wait_for(lambda: flypods.status(p.uuid)["state"] == "running", what="fly pod running")
    wait_for(lambda: (flypods.dir / "pods" / "run" / p.uuid / "pid").exists(), what="pid")
    app = int((flypods.dir / "pods" / "run" / p.uuid / "pid").read_text())
    kill9(p.proc)
    # fly execs the app in place of rkt: killing `rkt run` kills the app itself
    wait_for(lambda: not os.path.exists(f"/proc/{app}"), timeout=10, what="fly app to die")
    assert state_in_list(flypods, p.uuid) == "exited"
    gc_all(flypods)
    assert_gone(flypods, {p.uuid})


def test_fly_gc_must_not_unmount_the_namespaces_api_mounts(flypods, flyns, img):
    # The fly stage1 makes /dev, /proc, /sys rshared and rbinds them into the pod. Deleting
    # the pod must unmount only the pod's copies. BUG if this fails: src/pod/pod-delete.c
    # unmount_one() makes the pod's mount private before unmounting it, but its *parent*
    # (e.g. P/.../rootfs/dev, a peer of /dev) stays shared, so umount of P/.../dev/pts
    # propagates to /dev/pts of the namespace. Run on the host, that unmounts the host's
    # /dev/pts, /dev/shm and /sys/fs/cgroup/* (this test only runs in a private namespace).
    before = flyns.mounts()
    r, uuid = flypods.run(img.path, "--", "--print-msg=fly")
    assert r.code == 0, r
    assert flyns.mounts() >= before
    gc_all(flypods)
    gone = before - flyns.mounts()
    assert not gone, f"deleting the fly pod unmounted: {sorted(gone)}"


# --------------------------------------------------------------------------- kill -9 in stage0
# `rkt prepare` and `rkt run` killed while stage0 still prepares the pod (copying a large
# image with --no-overlay): the pod stays in pods/prepare/, unlocked. `rkt list` must show it
# truthfully as "aborted prepare" (or not at all), and gc moves it away ("moving failed
# prepare") and removes it with nothing left. (kill -9 of fetch/image: test_store_robustness.)

@pytest.fixture(scope="session")
def big_app_aci(tmp_path_factory):
    """~120 MB uncompressed ACI with an app: --no-overlay copies take a while."""
    import aci
    d = tmp_path_factory.mktemp("big-app")
    return aci.build_aci(d / "big-app.aci", aci.default_manifest("example.com/big-app"),
                         aci.random_files(120, 60, 2 << 20))


# the moments to kill at: the pod directory appeared; the app's files are being copied
MOMENTS = {"pod-dir": None, "copying": "stage1/rootfs/opt/stage2/*/rootfs/data/*"}


def kill9_while_preparing(p, argv, until=None):
    """Starts rkt, SIGKILLs it as soon as its pod directory appears in pods/prepare/ (and
    something matches the glob until in it) and returns the pod's UUID; fails if rkt got
    past preparing first."""
    prep = p.dir / "pods" / "prepare"
    proc = p.popen(*argv)
    try:
        def appeared():
            if proc.poll() is not None:
                raise AssertionError(f"rkt exited {proc.returncode} before it was killed: "
                                     f"{proc.communicate()}")
            found = sorted(prep.iterdir()) if prep.is_dir() else []
            if until is not None:
                found = [d for d in found if next(d.glob(until), None)]
            return found
        found = wait_for(appeared, timeout=30, interval=0.001, what="a pod in pods/prepare")
    finally:
        kill9(proc)
    assert len(found) == 1, found
    uuid = found[0].name
    # killed while preparing: still there, not prepared, not running
    assert sorted(x.name for x in prep.iterdir()) == [uuid]
    assert pod_uuids(p.dir) == {uuid}
    return uuid


def assert_aborted_prepare_collected(p, uuid):
    wait_for(lambda: not pod_processes(p.dir, {uuid}), timeout=10, what="rkt's children to end")
    assert state_in_list(p, uuid) in ("aborted prepare", None)
    r = gc_all(p)
    assert f'moving failed prepare "{uuid}" to garbage' in r.err, r
    assert_gone(p, {uuid})
    assert state_in_list(p, uuid) is None


@pytest.mark.parametrize("moment", MOMENTS)
def test_kill9_rkt_prepare_while_preparing(pods, big_app_aci, moment):
    pods.fetch(big_app_aci.path)
    uuid = kill9_while_preparing(pods, ["--insecure-options=image", "prepare", "--no-overlay",
                                        *pods.stage1_args(), big_app_aci.path],
                                 MOMENTS[moment])
    assert_aborted_prepare_collected(pods, uuid)


@pytest.mark.parametrize("moment", MOMENTS)
def test_kill9_rkt_run_while_preparing(pods, big_app_aci, moment):
    pods.fetch(big_app_aci.path)
    uuid = kill9_while_preparing(pods, pods.run_args(["--no-overlay", big_app_aci.path]),
                                 MOMENTS[moment])
    assert_aborted_prepare_collected(pods, uuid)
