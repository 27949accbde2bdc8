# SPDX-License-Identifier: Apache-2.0
"""--private-users with the native stage1 (SPEC.md §3.1, §6.3, §11.11 user namespaces): each
pod gets its own range of 65536 host ids (P/private-users-prepared), its root is uid 0 inside
and an unprivileged id outside, with overlayfs (idmapped lower layers, a deliberate difference
from rkt, which refused it) and with --no-overlay (a shifted copy); enter joins the pod's
user namespace; stop and gc work; bad input fails with one line and status 254."""
import os
import shutil
import stat
import uuid as uuidlib
from pathlib import Path

import pytest

from nettest import netns, netpods, sh_img  # noqa: F401
from podtest import (flyns, flypods, img, needs_root, pods, wait_for)  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]

COUNT = 65536
OVERLAY = pytest.mark.parametrize("overlay", [[], ["--no-overlay"]], ids=["overlay", "copy"])


def host_has_cap(n):
    (line,) = [ln for ln in Path("/proc/self/status").read_text().splitlines()
               if ln.startswith("CapBnd:")]
    return bool(int(line.split()[1], 16) >> n & 1)


def pod_dir(pods, uuid):
    for state in (pods.dir / "pods").iterdir():
        if (state / uuid).is_dir():
            return state / uuid
    raise AssertionError(f"no pod directory for {uuid}")


def pod_range(pods, uuid):
    shift, count = (pod_dir(pods, uuid) / "private-users-prepared").read_text().split(":")
    return int(shift), int(count)


def check_range(shift, count):
    assert count == COUNT
    assert shift > 0 and shift % COUNT == 0 and shift + count <= 2**32


@OVERLAY
def test_uid_and_gid_maps_show_the_pods_range(pods, img, overlay):
    r, uuid = pods.run("--private-users", *overlay, img.path, "--exec=/bin/cat", "--",
                       "/proc/self/uid_map", "/proc/self/gid_map")
    assert r.code == 0, r
    shift, count = pod_range(pods, uuid)
    check_range(shift, count)
    assert [ln.split() for ln in r.out.splitlines()] == [["0", str(shift), str(count)]] * 2


@OVERLAY
def test_app_sees_its_root_as_root(pods, img, overlay):
    # SPEC.md §11.11 TestUserns: the root directory is 0 inside, the shifted id outside
    r, uuid = pods.run("--private-users", *overlay, img.path, "--exec=/bin/sh", "--", "-c",
                       "stat -c '%A %u %g' / /bin/busybox; id -u; touch /new && stat -c %u /new")
    assert r.code == 0, r
    assert r.out.splitlines() == ["drwxr-xr-x 0 0", "-rwxr-xr-x 0 0", "0", "0"], r


def test_copied_rootfs_is_owned_by_the_shifted_ids_on_the_host(pods, img):
    r, uuid = pods.run("--private-users", "--no-overlay", img.path, "--exec=/bin/true")
    assert r.code == 0, r
    shift, _ = pod_range(pods, uuid)
    rootfs = pod_dir(pods, uuid) / "stage1/rootfs/opt/stage2/rkt-inspect/rootfs"
    st = os.lstat(rootfs)
    assert (st.st_uid, st.st_gid) == (shift, shift)
    assert os.lstat(rootfs / "bin/sh").st_uid == shift


@OVERLAY
def test_files_written_to_a_volume_are_owned_by_the_shifted_ids(pods, img, tmp_path, overlay):
    vol = tmp_path / "vol"
    vol.mkdir()
    vol.chmod(0o777)
    r, uuid = pods.run("--private-users", *overlay, f"--volume=v,kind=host,source={vol}",
                       img.path, "--mount=volume=v,target=/v", "--exec=/bin/sh", "--", "-c",
                       "touch /v/by-root && /bin/busybox chown 1000:1000 /v/by-root && "
                       "touch /v/ok")
    assert r.code == 0, r
    shift, _ = pod_range(pods, uuid)
    st = os.lstat(vol / "by-root")
    assert (st.st_uid, st.st_gid) == (shift + 1000, shift + 1000)
    st = os.lstat(vol / "ok")
    assert (st.st_uid, st.st_gid) == (shift, shift)


def test_app_user_is_shifted_too(pods, img, tmp_path):
    vol = tmp_path / "vol"
    vol.mkdir()
    vol.chmod(0o777)
    r, uuid = pods.run("--private-users", f"--volume=v,kind=host,source={vol}", img.path,
                       "--mount=volume=v,target=/v", "--user=1000", "--group=100",
                       "--exec=/bin/sh", "--", "-c", "id -u; id -g; touch /v/f")
    assert r.code == 0, r
    assert r.out.split() == ["1000", "100"]
    shift, _ = pod_range(pods, uuid)
    st = os.lstat(vol / "f")
    assert (st.st_uid, st.st_gid) == (shift + 1000, shift + 100)


def test_pod_root_cannot_act_on_host_root_files(pods, img, tmp_path):
    vol = tmp_path / "vol"
    vol.mkdir()
    vol.chmod(0o777)
    (vol / "rootfile").write_text("host\n")
    (vol / "rootfile").chmod(0o644)
    (vol / "rootdir").mkdir()
    (vol / "rootdir").chmod(0o755)
    (vol / "rootdir/keep").write_text("keep\n")
    script = ("for c in 'echo x >> /v/rootfile' '/bin/busybox chmod 777 /v/rootfile' '/bin/busybox chown 0 /v/rootfile' "
              "'rm /v/rootdir/keep' 'touch /v/rootdir/new' '/bin/busybox chmod 777 /v/rootdir'; do "
              "if sh -c \"$c\" 2>/dev/null; then echo \"ALLOWED $c\"; else echo denied; fi; done")
    r, _ = pods.run("--private-users", f"--volume=v,kind=host,source={vol}", img.path,
                    "--mount=volume=v,target=/v", "--caps-retain=CAP_CHOWN,CAP_DAC_OVERRIDE,"
                    "CAP_FOWNER,CAP_SETUID,CAP_SETGID,CAP_SYS_ADMIN", "--exec=/bin/sh", "--",
                    "-c", script)
    assert r.code == 0, r
    assert r.out.split() == ["denied"] * 6, r
    assert (vol / "rootfile").read_text() == "host\n"
    assert stat.S_IMODE(os.lstat(vol / "rootfile").st_mode) == 0o644
    assert os.lstat(vol / "rootfile").st_uid == 0
    assert sorted(os.listdir(vol / "rootdir")) == ["keep"]
    assert stat.S_IMODE(os.lstat(vol / "rootdir").st_mode) == 0o755


def start_sleeper(pods, img, *flags):
    p = pods.start("--private-users", *flags, img.path, "--exec=/bin/sleep", "--", "3600")
    pods.wait_ready(p.uuid)
    return p


def app_pid(pods, uuid):
    """The host pid of the pod's app (the sleep, a child of the pod's init)."""
    init = int(pods.status(uuid)["pid"])

    def find():
        kids = Path(f"/proc/{init}/task/{init}/children").read_text().split()
        return int(kids[0]) if kids else None
    return wait_for(find, what="the app process")


def test_concurrent_pods_get_disjoint_ranges(pods, img):
    a = start_sleeper(pods, img)
    b = start_sleeper(pods, img, "--no-overlay")
    ra, rb = pod_range(pods, a.uuid), pod_range(pods, b.uuid)
    check_range(*ra)
    check_range(*rb)
    assert ra[0] + ra[1] <= rb[0] or rb[0] + rb[1] <= ra[0], (ra, rb)
    for p, (shift, _) in ((a, ra), (b, rb)):
        pid = app_pid(pods, p.uuid)
        assert Path(f"/proc/{pid}/uid_map").read_text().split() == ["0", str(shift),
                                                                    str(COUNT)]
        st = os.stat(f"/proc/{pid}")
        assert (st.st_uid, st.st_gid) == (shift, shift)  # the app's root, seen from the host
    for p in (a, b):
        pods.ok("stop", p.uuid)
        assert p.wait().code == 0


def test_enter_joins_the_pods_user_namespace(pods, img):
    p = start_sleeper(pods, img)
    shift, _ = pod_range(pods, p.uuid)
    r = pods.ok("enter", p.uuid, "/bin/sh", "-c",
                "cat /proc/self/uid_map; id -u; /bin/busybox readlink /proc/self/ns/user")
    lines = r.out.splitlines()
    assert lines[0].split() == ["0", str(shift), str(COUNT)]
    assert lines[1] == "0"
    assert lines[2] == os.readlink(f"/proc/{app_pid(pods, p.uuid)}/ns/user")
    assert lines[2] != os.readlink("/proc/self/ns/user")
    pods.ok("stop", "--force", p.uuid)
    p.wait()


def test_enter_with_a_path_like_user(pods, img):
    """--user=/inspect is the owner of that file in the image: the pod's root, also for an
    enter session (the file shows the pod's shifted ids to the host)."""
    p = pods.start("--private-users", img.path, "--user=/inspect", "--group=/etc/group",
                   "--exec=/bin/sleep", "--", "3600")
    pods.wait_ready(p.uuid)
    r = pods.ok("enter", p.uuid, "/bin/sh", "-c", "id -u; id -g")
    assert r.out.split() == ["0", "0"]
    pods.ok("stop", "--force", p.uuid)
    p.wait()


@OVERLAY
def test_stop_then_gc_removes_the_pod_and_its_range(pods, img, overlay):
    p = start_sleeper(pods, img, *overlay)
    pods.ok("stop", p.uuid)
    assert p.wait().code == 0
    pods.wait_exited(p.uuid)
    d = pod_dir(pods, p.uuid)
    r = pods.gc()
    assert r.code == 0, r
    assert not d.exists()
    assert pods("status", p.uuid).code == 254


def test_run_prepared_keeps_the_range(pods, img):
    r = pods.ok("prepare", "--insecure-options=image", "--private-users", "--no-overlay",
                *pods.stage1_args(), img.path, "--exec=/bin/cat", "--", "/proc/self/uid_map")
    uuid = r.out.strip().splitlines()[-1]
    shift, count = pod_range(pods, uuid)
    r = pods("run-prepared", "--net=host", uuid, timeout=60)
    assert r.code == 0, r
    assert r.out.split() == ["0", str(shift), str(count)]


def fill_ranges(pods, keep=None):
    """Made-up prepared pods whose ranges hold every pod slot (k * 65536, k in 1..32767) but
    the slot keep; returns their directories."""
    prepared = pods.dir / "pods" / "prepared"
    pods.ok("list")  # creates the data directory
    prepared.mkdir(parents=True, exist_ok=True)
    spans = [(1, 32767)] if keep is None else [(1, keep - 1), (keep + 1, 32767)]
    made = []
    for i, (first, last) in enumerate(s for s in spans if s[0] <= s[1]):
        d = prepared / str(uuidlib.UUID(int=i + 1))
        d.mkdir()
        (d / "private-users-prepared").write_text(f"{first * COUNT}:{(last - first + 1) * COUNT}")
        made.append(d)
    return made


def check_no_free_range(pods, img):
    prepared = pods.dir / "pods" / "prepared"
    before = set(os.listdir(prepared))
    r, uuid = pods.run("--private-users", img.path, "--exec=/bin/true")
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert "no free range of user namespace ids" in r.err, r
    assert uuid is None, r  # nothing was created
    assert set(os.listdir(prepared)) == before


def test_ranges_exhausted_is_a_clear_error(pods, img):
    made = fill_ranges(pods)
    try:
        check_no_free_range(pods, img)
    finally:
        for d in made:
            shutil.rmtree(d)


def subordinate_slot():
    """A pod range slot holding an id of /etc/subuid or /etc/subgid (another user's
    containers), or None."""
    for f in ("/etc/subuid", "/etc/subgid"):
        try:
            lines = Path(f).read_text().splitlines()
        except OSError:
            continue
        for ln in lines:
            parts = ln.split(":")
            if len(parts) == 3 and parts[1].isdigit() and 1 <= int(parts[1]) // COUNT <= 32767:
                return int(parts[1]) // COUNT
    return None


def test_subordinate_ids_of_the_hosts_users_are_never_a_pods(pods, img):
    # the only slot left free holds ids of a user's subordinate range: not given either
    k = subordinate_slot()
    if k is None:
        pytest.skip("no /etc/subuid or /etc/subgid range among the pods' ranges")
    made = fill_ranges(pods, keep=k)
    try:
        check_no_free_range(pods, img)
    finally:
        for d in made:
            shutil.rmtree(d)


def test_fly_refuses_private_users(flypods, img):
    r, _ = flypods.run("--private-users", "--no-overlay", img.path, "--exec=/bin/true")
    assert r.code == 254, r
    assert "--private-users is not supported by the fly stage1" in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r


@OVERLAY
def test_export_shows_the_pods_ids(pods, img, tmp_path, overlay):
    # SPEC.md §3.11: the ids of an exported private-users pod are unshifted; and the image
    # runs with the file the pod wrote (rkt's TestExport, userNS)
    import tarfile
    r, uuid = pods.run("--private-users", *overlay, img.path, "--exec=/bin/sh", "--", "-c",
                       "mkdir /made && echo ThisIsATest > /made/by-root && touch /made/by-user && "
                       "/bin/busybox chown 1000:100 /made/by-user")
    assert r.code == 0, r
    out = tmp_path / "exported.aci"
    pods.ok("export", uuid, out)
    with tarfile.open(out, "r:gz") as t:
        ids = {m.name: (m.uid, m.gid) for m in t.getmembers()}
    assert ids["rootfs/made"] == (0, 0)
    assert ids["rootfs/made/by-root"] == (0, 0)
    assert ids["rootfs/made/by-user"] == (1000, 100)
    assert ids["rootfs/bin/busybox"] == (0, 0)
    assert ids["rootfs"] == (0, 0)
    r, _ = pods.run("--private-users", *overlay, out, "--", "--read-file",
                    "--file-name=/made/by-root")
    assert r.code == 0 and "<<<ThisIsATest\n>>>" in r.out, r


def test_pod_init_stays_out_of_reach_of_the_pods_root(pods, img):
    # root of the pod's user namespace with CAP_SYS_PTRACE there: pid 1 is still not its
    r, _ = pods.run("--private-users", img.path, "--caps-retain=CAP_SYS_PTRACE,CAP_SYS_ADMIN",
                    "--exec=/bin/sh", "--", "-c",
                    "for f in /proc/1/root/ /proc/1/fd/ /proc/1/cwd/; do "
                    "ls $f >/dev/null 2>&1 && echo \"OPEN $f\" || echo closed; done; "
                    "ls /proc/self/fd | wc -l")
    assert r.code == 0, r
    assert r.out.split()[:3] == ["closed"] * 3, r


BIND_80 = ("/bin/busybox httpd -p 80 -h / && echo bound80; "
           "/bin/busybox ip -o -4 addr show | /bin/busybox grep -c inet")


def test_own_network_namespace_lets_the_pods_root_bind_low_ports(pods, img):
    r, _ = pods.run("--private-users", img.path, "--exec=/bin/sh", "--", "-c", BIND_80,
                    net="none")
    assert r.code == 0, r
    assert r.out.split() == ["bound80", "1"], r  # lo only


def test_default_network(netpods, sh_img):
    r, uuid = netpods.run("--private-users", sh_img.path, "--exec=/bin/sh", "--", "-c",
                          "cat /proc/self/uid_map; ip -o -4 addr show eth0; " + BIND_80,
                          net=None)
    assert r.code == 0, r
    shift, count = pod_range(netpods, uuid)
    assert r.out.splitlines()[0].split() == ["0", str(shift), str(count)]
    assert "inet 172.16.28." in r.out and "bound80" in r.out, r


def test_interactive_with_a_terminal(pods, img):
    from podtest import run_bare_pty
    argv = pods.argv(*pods.run_args(["--private-users", "--interactive", img.path, "--",
                                     "--check-tty", "--read-stdin", "--exit-code=4"]))
    code, out = run_bare_pty(argv, inputs=[("Enter text:", "via pty\n")])
    assert code == 4, out
    assert "stdin is a terminal" in out
    assert "Received text: via pty" in out


@pytest.mark.parametrize("adj", ["42", "-50"])
def test_oom_score_adj(pods, img, adj):
    # set by the host's root before the app joins the pod's user namespace (lowering it
    # needs CAP_SYS_RESOURCE there)
    if adj.startswith("-") and not host_has_cap(24):
        pytest.skip("lowering oom_score_adj needs CAP_SYS_RESOURCE, which this host lacks")
    r, _ = pods.run("--private-users", img.path, f"--oom-score-adj={adj}", "--exec=/bin/cat",
                    "--", "/proc/self/oom_score_adj")
    assert r.code == 0, r
    assert r.out.strip() == adj
