# SPDX-License-Identifier: Apache-2.0
"""The pod/host boundary against a hostile image, a hostile app and a hostile member of group
rkt (issue "Close the host escapes"): descriptors reaching the host (the app's own, the pod
init's, rkt's caller's, enter's), stage1 entrypoints rewritten from inside a pod, the
stage1 taken from the store, setuid files reachable through pod directories, and a
read-only volume mounted while another pod races the target path.

Every test here is a reproduction of a way a pod became root on the host; none depends on
winning a race (the mount race is run twenty times under the swap loop)."""
import contextlib
import grp
import os
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import imageutil
from aci import File, Symlink, build_aci, default_manifest
from conftest import Rkt, remove_test_tree
from podtest import (FLY, INSECURE, flyns, flypods, img, needs_root, pods,  # noqa: F401
                     stage1_path, wait_for)

pytestmark = [needs_root]

EXTRA_APPLETS = ("cp", "chmod", "readlink", "mv", "ln", "mkfifo")


@pytest.fixture(scope="module")
def bimg(tmp_path_factory):
    """rkt-inspect with busybox and a few more applets (cp, chmod, readlink, ...)."""
    extra = {f"bin/{a}": Symlink("busybox") for a in EXTRA_APPLETS}
    return imageutil.rkt_inspect_image(tmp_path_factory.mktemp("esc") / "b.aci", busybox=True,
                                       files=extra)


@pytest.fixture
def mark(tmp_path):
    """A file only the host sees; its path without the leading "/" (what a process that
    climbed to the host's root would find)."""
    m = tmp_path / "host-only-mark"
    m.write_text("host\n")
    return str(m)[1:]


def rkt_gid():
    return grp.getgrnam("rkt").gr_gid


def as_member(uid=4242):
    """setpriv prefix: an unprivileged uid whose only group is rkt, without capabilities."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", f"--groups={rkt_gid()}",
            "--inh-caps=-all", "--bounding-set=-all"]


def pod_dir(pods, uuid):
    (p,) = [d / uuid for d in (pods.dir / "pods").iterdir() if (d / uuid).is_dir()]
    return p


# --------------------------------------------------------------- 1-3: descriptors

@pytest.mark.parametrize("fd", range(3, 13))
def test_working_directory_through_an_inherited_descriptor(pods, bimg, mark, fd):
    """workingDirectory /proc/self/fd/N: chdir must happen with nothing of ours open."""
    r, _ = pods.run(bimg.path, f"--working-dir=/proc/self/fd/{fd}", "--exec=/inspect", "--",
                    f"--escape-probe={mark}", "--print-cwd")
    assert "ESCAPED" not in r.out and not r.out.startswith("cwd: /tmp"), r


def test_working_directory_from_the_manifest(pods, tmp_path, mark):
    a = imageutil.rkt_inspect_image(tmp_path / "wd.aci", busybox=True,
                                    working_directory="/proc/self/fd/8",
                                    exec_=["/inspect", f"--escape-probe={mark}"])
    r, _ = pods.run(a.path)
    assert "ESCAPED" not in r.out, r


def test_app_holds_only_its_standard_descriptors(pods, bimg):
    r, _ = pods.run(bimg.path, "--exec=/bin/ls", "--", "/proc/self/fd")
    assert r.code == 0, r
    assert sorted(r.out.split()) == ["0", "1", "2", "3"], r  # 3: ls's own directory


def test_pod_init_is_out_of_reach(pods, bimg, mark):
    """/proc/1/fd, /proc/1/root, /proc/1/exe of the pod init: nothing for the app."""
    r, _ = pods.run(bimg.path, "--exec=/inspect", "--", f"--escape-probe={mark}",
                    "--probe-procs")
    assert r.code == 0, r
    assert "ESCAPED" not in r.out, r
    assert "PRIVATE 1" in r.out.splitlines(), r
    assert "OPENED" not in r.out, r  # (listing the numbers of /proc/1/fd is harmless)


def test_caller_descriptors_do_not_reach_the_app(pods, bimg, mark, tmp_path):
    """exec 9</some/host/dir; rkt run ...: the app must not inherit fd 9."""
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        uf = pods.next_uuid_file()
        argv = pods.argv(*pods.run_args([f"--uuid-file-save={uf}", bimg.path, "--exec=/inspect",
                                         "--", f"--escape-probe={mark}"]))
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert r.returncode == 0, r
    assert "probe done" in r.stdout and "ESCAPED" not in r.stdout, r


def test_caller_descriptors_do_not_reach_enter(pods, bimg, mark, tmp_path):
    p = pods.start(bimg.path, "--exec=/bin/sleep", "--", "60")
    pods.wait_ready(p.uuid)
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        argv = pods.argv("enter", p.uuid, "/inspect", f"--escape-probe={mark}")
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, pass_fds=(fd,))
        ls = subprocess.run(pods.argv("enter", p.uuid, "/bin/ls", "/proc/self/fd"),
                            capture_output=True, text=True, timeout=60, pass_fds=(fd,))
    finally:
        os.close(fd)
    assert r.returncode == 0 and "probe done" in r.stdout, r
    assert "ESCAPED" not in r.stdout, r
    assert sorted(ls.stdout.split()) == ["0", "1", "2", "3"], ls


def test_fly_app_gets_no_stray_descriptor(flypods, bimg):
    """Fly gives a root app the host by design, but it still passes only stdio and the pod
    lock (SPEC.md §7.6), never a descriptor of rkt's caller."""
    outside = tempfile.mkdtemp(prefix="rkt-esc-fd-")
    fd = os.open(outside, os.O_RDONLY | os.O_DIRECTORY)
    try:
        uf = flypods.next_uuid_file()
        argv = flypods.argv(*flypods.run_args([f"--uuid-file-save={uf}", bimg.path,
                                               "--exec=/bin/ls", "--", "-l", "/proc/self/fd"]))
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, pass_fds=(fd,))
    finally:
        os.close(fd)
        os.rmdir(outside)
    assert r.returncode == 0, r
    assert outside not in r.stdout, r


# --------------------------------------------------------------- 4: entrypoints from inside

def stage1_rootfs(pods, uuid):
    """S1 as seen from the mount namespace the pod was run in (fly pods run in flyns)."""
    s1 = pod_dir(pods, uuid) / "stage1" / "rootfs"
    if pods.nsholder is None:
        return s1
    return Path(f"/proc/{pods.nsholder.pid}/root") / str(s1).lstrip("/")


def _plant(path, marker):
    path.unlink()
    path.write_text(f"#!/bin/sh\ntouch {marker}\n")
    path.chmod(0o755)


@pytest.mark.parametrize("flavor", ["native", FLY])
def test_stop_entrypoint_rewritten_in_the_pod_is_not_run(request, bimg, tmp_path, flavor):
    pods = request.getfixturevalue("pods" if flavor == "native" else "flypods")
    p = pods.start(bimg.path, "--exec=/bin/sleep", "--", "60")
    uuid = p.uuid
    wait_for(lambda: (pod_dir(pods, uuid) / "pid").exists() or None, what="pid file")
    s1 = stage1_rootfs(pods, uuid)
    marker = tmp_path / "stop-ran-from-the-pod"
    _plant(s1 / "stop", marker)
    r = pods("stop", uuid)
    assert r.code == 0, r
    p.wait(timeout=30)
    assert not marker.exists(), "rkt stop executed the pod's own copy of the stop entrypoint"


@pytest.mark.parametrize("flavor", ["native", FLY])
def test_gc_entrypoint_rewritten_in_the_pod_is_not_run(request, bimg, tmp_path, flavor):
    pods = request.getfixturevalue("pods" if flavor == "native" else "flypods")
    r, uuid = pods.run(bimg.path, "--exec=/bin/true")
    assert r.code == 0, r
    s1 = stage1_rootfs(pods, uuid)
    marker = tmp_path / "gc-ran-from-the-pod"
    _plant(s1 / "gc", marker)
    r = pods.gc()
    assert r.code == 0, r
    assert not marker.exists(), "rkt gc executed the pod's own copy of the gc entrypoint"


# --------------------------------------------------------------- 5: enter's binary

def test_enter_helper_cannot_be_reopened_from_the_pod(pods, bimg):
    """While `rkt enter POD /bin/sleep 5` runs, the app opens /proc/<pid>/exe of every
    process it sees for writing and every /proc/<pid>/fd/*: nothing of ours opens."""
    p = pods.start(bimg.path, "--exec=/bin/sleep", "--", "60")
    pods.wait_ready(p.uuid)
    sleeper = subprocess.Popen(pods.argv("enter", p.uuid, "/bin/sleep", "5"),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        r = pods.ok("enter", p.uuid, "/inspect", "--probe-procs")
    finally:
        sleeper.kill()
        sleeper.wait()
    lines = r.out.splitlines()
    assert "probe done" in lines, r
    assert not [ln for ln in lines if ln.startswith("OPENED exe-w")], r
    private = {ln.split()[1] for ln in lines if ln.startswith("PRIVATE ")}
    public = [ln.split(maxsplit=2) for ln in lines if ln.startswith("PUBLIC ")]
    assert "1" in private, r
    for pid in private:
        assert not [ln for ln in lines if ln.startswith(f"OPENED fd {pid}/")], r
    for _, pid, exe in public:  # dumpable: only the apps' own programs
        assert exe in ("/bin/busybox", "/inspect"), (exe, r)


# --------------------------------------------------------------- 6: stage1 from the store

def evil_stage1(path, marker, name="coreos.com/rkt/stage1-native"):
    """An image named like our default stage1, with its version label, whose run
    entrypoint is a shell script for the host."""
    m = default_manifest(name, "1.30.0", app=False)
    m["annotations"] = [{"name": f"coreos.com/rkt/stage1/{ep}", "value": f"/{ep}"}
                        for ep in ("run", "enter", "gc", "stop")]
    m["annotations"].append({"name": "coreos.com/rkt/stage1/interface-version", "value": "6"})
    script = f"#!/bin/sh\ntouch {marker}\nexit 0\n"
    files = {ep: File(script, mode=0o755) for ep in ("run", "enter", "gc", "stop")}
    files["init"] = File(script, mode=0o755)
    return build_aci(path, m, files)


@pytest.fixture
def shared():
    """A store and config dirs every user may traverse (group members reach them); what a
    test leaves mounted there (a pod of a stage1 that does not clean up) is unmounted."""
    top = Path(tempfile.mkdtemp(prefix="rkt-esc-", dir="/tmp"))
    os.chmod(top, 0o755)
    rkt = Rkt(top / "cfg", dir=top / "data", offline=True)
    for d in (rkt.local, rkt.system, rkt.user, top / "cfg"):
        os.chmod(d, 0o755)
    yield rkt, top
    remove_test_tree(top)


def member(rkt, *argv, uid=4242):
    cmd = rkt.prefix() + as_member(uid) + rkt.args() + [str(a) for a in argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/")


def test_group_member_cannot_replace_the_default_stage1(shared, bimg):
    rkt, top = shared
    marker = top / "evil-stage1-ran"
    evil = evil_stage1(top / "evil.aci", marker)
    os.chmod(evil.path, 0o644)
    rkt.ok("image", "list")  # creates the store (root)
    r = member(rkt, INSECURE, "fetch", evil.path)
    assert r.returncode == 0, r
    r = rkt(INSECURE, "run", "--net=host", bimg.path, "--exec=/inspect", "--",
            "--print-msg=real-stage1")
    assert not marker.exists(), "root ran a stage1 imported by a member of group rkt"
    assert r.code == 0 and "real-stage1" in r.out, r
    rkt("gc", "--grace-period=0s")


def test_root_imported_lookalike_is_not_the_default_stage1(shared, bimg):
    """Root fetching a hostile image that names itself like our stage1 (as any image may):
    the default stage1 is only the one this build made (its digest)."""
    rkt, top = shared
    marker = top / "lookalike-ran"
    evil = evil_stage1(top / "evil.aci", marker)
    rkt.ok(INSECURE, "fetch", evil.path)
    r = rkt(INSECURE, "run", "--net=host", bimg.path, "--exec=/inspect", "--",
            "--print-msg=real-stage1")
    assert not marker.exists(), "a look-alike stage1 from the store was run"
    assert r.code == 0 and "real-stage1" in r.out, r
    rkt("gc", "--grace-period=0s")


def test_stage1_by_name_needs_an_image_root_imported(shared, bimg):
    rkt, top = shared
    marker = top / "named-evil-ran"
    evil = evil_stage1(top / "evil.aci", marker, name="example.com/member-stage1")
    os.chmod(evil.path, 0o644)
    rkt.ok("image", "list")
    f = member(rkt, INSECURE, "fetch", "--full", evil.path)
    assert f.returncode == 0, f
    for flag in ("--stage1-name=example.com/member-stage1:1.30.0",
                 f"--stage1-hash={f.stdout.strip()}"):
        r = rkt(INSECURE, "run", "--net=host", flag, bimg.path)
        assert not marker.exists(), f"root ran a stage1 imported by a member of group rkt ({flag})"
        assert r.code == 254 and "not imported by root" in r.err, r
    # the same image imported by root is root's choice
    rkt.ok(INSECURE, "fetch", evil.path)
    r = rkt(INSECURE, "run", "--net=host", "--stage1-name=example.com/member-stage1:1.30.0",
            bimg.path)
    assert marker.exists(), r


# --------------------------------------------------------------- 7: setuid through pod dirs

SETUID_APP = ("cp /bin/busybox /tmp/p && chmod 4755 /tmp/p && mkdir -p /v && "
              "cp /bin/busybox /v/p && chmod 4755 /v/p && echo planted")


@contextlib.contextmanager
def traversable_pods(prefix, **pods_kw):
    """Pods under a directory every user may traverse (members of group rkt reach them);
    removed with their pods afterwards."""
    from podtest import Pods, _finish
    top = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(top, 0o755)
    p = Pods(top, **pods_kw)
    for d in (p.local, p.system, p.user):
        os.chmod(d, 0o755)
    try:
        yield p
        _finish(p)
    finally:
        remove_test_tree(top)


@pytest.fixture
def open_pods(request):
    """Pods (native or fly, by the test's flavor parameter) under a directory every user may
    traverse: what a member of group rkt can reach of them is what the test checks."""
    from podtest import NATIVE, NsHolder
    flavor = request.param
    holder = NsHolder() if flavor == FLY else None
    try:
        with traversable_pods("rkt-esc-pods-", flavor=flavor, nsholder=holder,
                              offline=flavor == NATIVE) as p:
            yield p
    finally:
        if holder:
            holder.close()


@pytest.mark.parametrize("open_pods", ["native", FLY], indirect=True)
def test_setuid_files_of_a_pod_are_out_of_the_groups_reach(open_pods, bimg):
    pods = open_pods
    native = pods.flavor != FLY
    vol = ["--volume=v,kind=empty", "--mount=volume=v,target=/v"] if native else []
    r, uuid = pods.run(*vol[:1], bimg.path, *vol[1:], "--exec=/bin/sh", "--", "-c", SETUID_APP)
    assert r.code == 0 and "planted" in r.out, r
    found = [p for p in pods.dir.rglob("p") if p.is_file() and p.stat().st_mode & stat.S_ISUID]
    assert len(found) >= (2 if native else 1), "the planted setuid files are not in the pod"
    reach = subprocess.run(as_member() + ["/usr/bin/test", "-r", str(pods.dir / "pods")])
    assert reach.returncode == 0, "the test's data directory is not reachable by the group"
    for f in found:
        t = subprocess.run(as_member() + ["/usr/bin/test", "-e", str(f)], capture_output=True)
        assert t.returncode != 0, f"a member of group rkt reaches {f}"
    # what the group needs stays readable
    s = subprocess.run(as_member() + pods.args() + ["status", uuid], capture_output=True,
                       text=True, cwd="/")
    assert s.returncode == 0 and "state=exited" in s.stdout, s
    if native:
        assert "app-rkt-inspect=0" in s.stdout, s
    for cmd in (["list", "--no-legend"], ["cat-manifest", uuid]):
        c = subprocess.run(as_member() + pods.args() + cmd, capture_output=True, text=True,
                           cwd="/")
        assert c.returncode == 0 and uuid[:8] in c.stdout + uuid[:8], c


# --------------------------------------------------------------- 8: mount target swap race

@pytest.mark.parametrize("target,link", [("/v/x/sub", "/"), ("/v/x", "/dev")])
def test_read_only_volume_under_a_racing_shared_volume(pods, bimg, tmp_path, target, link):
    """Another pod swaps v/x (a directory) with v/y (a symlink to link) in a loop while a
    pod mounts a read-only volume at target: the read-only volume never comes out writable
    (a read-only remount that looked the target up again hit whatever v/x was then)."""
    shared = tmp_path / "shared"
    (shared / "x" / "sub").mkdir(parents=True)
    (shared / "y").symlink_to(link)
    # /etc/hostname and /etc/hosts present: nothing after the volumes needs a new file
    # (a read-only remount that hit the rootfs instead would otherwise stop the pod)
    etc = {"etc/hostname": File("x\n"), "etc/hosts": File("127.0.0.1 localhost\n")}
    bimg = imageutil.rkt_inspect_image(tmp_path / "race.aci", busybox=True, files=etc)
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "ro-marker").write_text("ro\n")
    racer = pods.start("--volume=v,kind=host,source=" + str(shared), bimg.path,
                       "--mount=volume=v,target=/v", "--exec=/inspect", "--",
                       "--exchange-loop=/v/x:/v/y")
    pods.wait_ready(racer.uuid)
    writable, outcomes = [], []
    for i in range(20):
        r, _ = pods.run("--volume=v,kind=host,source=" + str(shared),
                        f"--volume=ro,kind=host,source={ro},readOnly=true", bimg.path,
                        "--mount=volume=v,target=/v", f"--mount=volume=ro,target={target}",
                        "--exec=/inspect", "--", "--print-mounts")
        outcomes.append(r.code)
        for ln in r.out.splitlines():
            f = ln.split()
            if len(f) > 5 and f[3].endswith("/ro") and "rw" in f[5].split(","):
                writable.append((i, ln))
    pods("stop", "--force", racer.uuid)
    assert not writable, writable
    assert outcomes.count(0) >= 1, outcomes  # the race did not stop every pod
