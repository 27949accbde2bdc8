# SPDX-License-Identifier: Apache-2.0
"""Rootless pods (issue 13 part 3; rkt never had them): a user who is not root runs
`rkt --dir=DIR run --net=none|host IMAGE` on a data directory of their own, through a user
namespace in which they are root (their /etc/subuid and /etc/subgid ranges mapped by
newuidmap/newgidmap, only their own ids when they have none). The shared store stays
root's ("cannot run as unprivileged user", SPEC.md §11.1); bad input fails with one line
and status 254 and leaves no pod behind.

The test user exists only in a private mount namespace of each rkt invocation: copies of
/etc/passwd, /etc/group, /etc/subuid and /etc/subgid with the user added are bound over the
host's files there (newuidmap reads them), so the host's files are never changed."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import imageutil
from aci import Dir, File
from conftest import remove_test_tree
from podtest import FLY, NATIVE, Pods, _finish, img, needs_root, wait_for  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]

UID = 4380
# above 2^31: never a --private-users range of a root pod (k * 65536, k <= 32767)
SUB_START = 2200000000
SUB_COUNT = 65536
NAME = "rkt-rootless-test"


class RootlessPods(Pods):
    """Pods run by the test user on a data directory the user owns.

    subuid/subgid: the user's lines in the bound /etc/subuid and /etc/subgid (None: no line);
    hide_uidmap: newuidmap and newgidmap are not executable (Debian's uidmap missing)."""

    def __init__(self, tmp, subuid=True, subgid=True, hide_uidmap=False, flavor=NATIVE):
        super().__init__(tmp, flavor=flavor)
        self.etc = self.tmp / "etc"
        self.etc.mkdir()
        self.subuid, self.subgid, self.hide_uidmap = subuid, subgid, hide_uidmap
        self.prefix_binds = None
        self.cgroup_leaf = None  # a cgroup2 directory rkt is moved into before it runs
        self.write_etc()
        self.dir.mkdir()
        os.chown(self.dir, UID, UID)
        self.uuids = self.tmp / "uuids"
        self.uuids.mkdir()
        os.chown(self.uuids, UID, UID)

    def next_uuid_file(self):
        self.counter += 1
        return self.uuids / f"uuid-{self.counter}"

    def write_etc(self):
        line = f"{NAME}:{SUB_START}:{SUB_COUNT}\n"
        (self.etc / "passwd").write_text(
            Path("/etc/passwd").read_text() + f"{NAME}:x:{UID}:{UID}::/nonexistent:/bin/false\n")
        (self.etc / "group").write_text(Path("/etc/group").read_text() + f"{NAME}:x:{UID}:\n")
        (self.etc / "subuid").write_text(line if self.subuid else "")
        (self.etc / "subgid").write_text(line if self.subgid else "")
        (self.etc / "noexec").write_text("")
        for f in self.etc.iterdir():
            f.chmod(0o644)

    def prefix(self):
        binds = [f"mount --bind {self.etc}/{f} /etc/{f}"
                 for f in ("passwd", "group", "subuid", "subgid")]
        if self.prefix_binds is not None:
            binds += self.prefix_binds
        elif self.hide_uidmap:
            binds += [f"mount --bind {self.etc}/noexec /usr/bin/{t}"
                      for t in ("newuidmap", "newgidmap")]
        if self.cgroup_leaf is not None:
            binds.append(f"echo $$ > {self.cgroup_leaf}/cgroup.procs")
        script = " && ".join(binds + [
            f'exec setpriv --reuid={UID} --regid={UID} --clear-groups --inh-caps=-all "$@"'])
        return ["unshare", "--net", "--mount", "--propagation", "private", "sh", "-c", script,
                "rootless"]

    def leftovers(self):
        """Pod directories in any state, and mounts under the data directory."""
        pods = self.dir / "pods"
        left = sorted(str(p) for s in pods.iterdir() for p in s.iterdir()) \
            if pods.is_dir() else []
        return left


def rootless_tmp():
    """A directory the test user can traverse (pytest's tmp_path is root's alone)."""
    d = Path(tempfile.mkdtemp(prefix="rkt-rootless-"))
    d.chmod(0o755)
    return d


def make_pods(img, **kw):
    tmp = rootless_tmp()
    p = RootlessPods(tmp, **kw)
    shutil.copy(img.path, tmp / "inspect.aci")
    (tmp / "inspect.aci").chmod(0o644)
    p.image = tmp / "inspect.aci"
    return p


@pytest.fixture
def rpods(img):
    p = make_pods(img)
    yield p
    try:
        _finish(p)
    finally:
        remove_test_tree(p.tmp)


@pytest.fixture
def rpods_factory(img):
    made = []

    def make(**kw):
        p = make_pods(img, **kw)
        made.append(p)
        return p
    yield make
    for p in made:
        remove_test_tree(p.tmp)


def one_line_error(r, text):
    assert r.code == 254, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], r


@pytest.mark.parametrize("net", ["none", "host"])
def test_rootless_pod_runs_in_a_user_namespace_of_the_users_ids(rpods, net):
    r, uuid = rpods.run(rpods.image, "--exec=/bin/sh", "--", "-c",
                        "id -u; cat /proc/self/uid_map /proc/self/gid_map; ls /sys/kernel >/dev/null"
                        " && echo sys; echo hi >/dev/null && cat /dev/zero | head -c 3 | wc -c",
                        net=net)
    assert r.code == 0, r
    maps = [ln.split() for ln in r.out.splitlines()[1:5]]
    assert r.out.splitlines()[0] == "0", r
    assert maps == [["0", str(UID), "1"], ["1", str(SUB_START), str(SUB_COUNT - 1)]] * 2, r
    assert r.out.splitlines()[5:] == ["sys", "3"], r
    # the data directory stays the user's; pods are theirs
    assert os.stat(rpods.dir).st_uid == UID
    assert os.stat(rpods.dir / "pods").st_uid == UID


def test_rootless_app_user_is_a_subordinate_id_on_the_host(rpods, tmp_path):
    vol = rpods.tmp / "vol"
    vol.mkdir()
    os.chown(vol, UID, UID)
    r, uuid = rpods.run("--volume=v,kind=host,source=" + str(vol), rpods.image,
                        "--mount=volume=v,target=/v", "--user=1000", "--group=1000",
                        "--exec=/bin/sh", "--", "-c", "id -u; touch /v/by-app", net="none")
    assert r.code == 0, r
    assert r.out.splitlines() == ["1000"], r
    st = os.stat(vol / "by-app")
    assert (st.st_uid, st.st_gid) == (SUB_START + 999, SUB_START + 999)


def test_rootless_without_a_range_maps_only_the_users_own_ids(rpods_factory):
    p = rpods_factory(subuid=False, subgid=False)
    r, uuid = p.run(p.image, "--exec=/bin/cat", "--", "/proc/self/uid_map", net="none")
    try:
        assert r.code == 0, r
        assert [ln.split() for ln in r.out.splitlines()] == [["0", str(UID), "1"]], r
    finally:
        _finish(p)


def test_rootless_fly_pod_runs_as_the_users_root(rpods_factory):
    p = rpods_factory(flavor=FLY)
    r, uuid = p.run(p.image, "--exec=/bin/sh", "--", "-c", "id -u; cat /proc/self/uid_map",
                    net="host")
    try:
        assert r.code == 0, r
        assert [ln.split() for ln in r.out.splitlines()] == [
            ["0"], ["0", str(UID), "1"], ["1", str(SUB_START), str(SUB_COUNT - 1)]], r
    finally:
        _finish(p)


def test_rootless_status_stop_list_and_gc(rpods):
    pod = rpods.start(rpods.image, "--exec=/bin/sh", "--", "-c",
                      "touch /made-by-root; su -s /bin/sh -c 'touch /tmp/by-1000' 1000 "
                      "2>/dev/null; sleep 600", net="none")
    rpods.wait_ready(pod.uuid)
    assert rpods.status(pod.uuid)["state"] == "running"
    r = rpods.ok("list", "--no-legend")
    assert pod.uuid[:8] in r.out and "running" in r.out, r
    rpods.ok("stop", pod.uuid)
    rpods.wait_exited(pod.uuid)
    assert pod.wait().code != 0 or True
    r = rpods.ok("gc", "--grace-period=0s")
    assert pod.uuid in r.out, r
    assert rpods.leftovers() == []


@pytest.fixture(scope="module")
def owned_img(tmp_path_factory):
    """The inspect image with a directory and file of uid 1000."""
    path = rootless_tmp() / "owned.aci"
    imageutil.rkt_inspect_image(path, busybox=True, files={
        "home/app": Dir(0o755, uid=1000, gid=1000),
        "home/app/f": File("x", uid=1000, gid=1000)})
    path.chmod(0o644)
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


def run_with_limits(rpods):
    """Two apps with memory and cpu limits; returns the result, the pod and what stage1 said
    of cgroups."""
    r, uuid = rpods.run(rpods.image, "--name=a", "--memory=64M", "--exec=/bin/true",
                        rpods.image, "--name=b", "--memory=32M", "--cpu=200m",
                        "--exec=/bin/true", net="none")
    assert r.code == 0, r
    return r, uuid, [ln for ln in r.err.splitlines() if "cgroup" in ln]


def test_rootless_pod_says_once_that_limits_are_not_applied(rpods):
    r, uuid, said = run_with_limits(rpods)
    assert said == ["stage1: rootless pod: no cgroup of the user's own, resource limits are "
                    "not applied"], r


def test_rootless_stop_force_kills_the_whole_pod(rpods):
    pod = rpods.start(rpods.image, "--exec=/bin/sh", "--", "-c",
                      "trap '' TERM; sleep 600 & sleep 600", net="none")
    rpods.wait_ready(pod.uuid)
    rpods.ok("stop", "--force", pod.uuid)
    rpods.wait_exited(pod.uuid)
    rpods.ok("gc", "--grace-period=0s")
    assert rpods.leftovers() == []


def test_rootless_image_gc_removes_trees_the_pods_rendered(rpods, owned_img):
    r, uuid = rpods.run(owned_img, "--user=1000", "--exec=/bin/sh", "--", "-c",
                        "stat -c %u /home/app/f; touch /home/app/g", net="none")
    assert r.code == 0 and r.out == "1000\n", r
    trees = rpods.tree_ids()
    assert trees, r
    # the tree holds the image's ids as the user's subordinate ids
    f = [t for t in trees if (rpods.tree_path(t) / "rootfs/home/app/f").exists()]
    assert f and os.stat(rpods.tree_path(f[0]) / "rootfs/home/app/f").st_uid == SUB_START + 999
    rpods.ok("gc", "--grace-period=0s")
    rpods.ok("image", "gc", "--grace-period=0s")
    assert rpods.tree_ids() == [] and rpods.leftovers() == []


def test_rootless_image_commands(rpods):
    key = rpods.fetch(rpods.image)
    r = rpods.ok("image", "list", "--no-legend", "--fields=id")
    assert key[:19] in r.out, r
    rpods.ok("image", "cat-manifest", key)
    rpods.ok("image", "rm", key)
    r = rpods.ok("image", "list", "--no-legend", "--fields=id")
    assert key[:19] not in r.out, r
    rpods.ok("image", "gc")


def test_rootless_default_network_needs_root(rpods):
    r, uuid = rpods.run(rpods.image, "--exec=/bin/true", net=None)
    one_line_error(r, "rootless pods need --net=none or --net=host: the default network "
                      "needs root")
    assert uuid is None and rpods.leftovers() == []
    r, uuid = rpods.run(rpods.image, "--exec=/bin/true", net="default")
    one_line_error(r, "the default network needs root")
    assert rpods.leftovers() == []


def test_rootless_bad_network_leaves_no_new_data_directory(rpods_factory):
    p = rpods_factory()
    parent = p.tmp / "mine"
    parent.mkdir()
    os.chown(parent, UID, UID)
    p.dir = parent / "data"
    r, uuid = p.run(p.image, "--exec=/bin/true", net=None)
    one_line_error(r, "the default network needs root")
    assert not p.dir.exists()
    # with a network it can have, the missing directory is made, the user's
    r, uuid = p.run(p.image, "--exec=/bin/true", net="none")
    try:
        assert r.code == 0, r
        assert os.stat(p.dir).st_uid == UID
    finally:
        _finish(p)


def test_rootless_prepare_and_run_prepared(rpods):
    uuid = rpods.ok("--insecure-options=image", "prepare", *rpods.stage1_args(), rpods.image,
                    "--exec=/bin/cat", "--", "/proc/self/uid_map").out.strip()
    r = rpods("run-prepared", uuid)
    one_line_error(r, "the default network needs root")
    assert rpods.status(uuid)["state"] == "prepared"
    r = rpods.ok("run-prepared", "--net=none", uuid)
    assert r.out.split()[:3] == ["0", str(UID), "1"], r


def test_rootless_rm_removes_the_pod(rpods):
    r, uuid = rpods.run(rpods.image, "--user=1000", "--exec=/bin/sh", "--", "-c",
                        "mkdir -p /tmp/d/e && touch /tmp/d/e/f && chmod 500 /tmp/d",
                        net="none")
    assert r.code == 0, r
    rpods.ok("rm", uuid)
    assert rpods.leftovers() == []


def test_rootless_refuses_private_users(rpods):
    r, uuid = rpods.run("--private-users", rpods.image, "--exec=/bin/true", net="none")
    one_line_error(r, "--private-users needs root")
    assert rpods.leftovers() == []


def test_rootless_refuses_a_data_directory_of_someone_else(rpods_factory):
    p = rpods_factory()
    os.chown(p.dir, UID + 1, UID + 1)
    p.dir.chmod(0o777)
    r, uuid = p.run(p.image, "--exec=/bin/true", net="none")
    one_line_error(r, f"cannot run as unprivileged user: the data directory {p.dir} belongs "
                      f"to uid {UID + 1}")
    assert list(p.dir.iterdir()) == []


def test_rootless_on_roots_store_is_rkts_unprivileged_error(rpods_factory):
    # SPEC.md §11.1: run on the shared store (root's) without root
    p = rpods_factory()
    os.chown(p.dir, 0, 0)
    p.dir.chmod(0o755)
    r, uuid = p.run(p.image, "--exec=/bin/true", net="none")
    assert r.code == 254 and r.err == "run: cannot run as unprivileged user\n", r
    assert list(p.dir.iterdir()) == []


def test_rootless_without_uidmap_fails_with_one_line(rpods_factory):
    p = rpods_factory(hide_uidmap=True)
    r, uuid = p.run(p.image, "--exec=/bin/true", net="none")
    one_line_error(r, "rootless pods need /usr/bin/newuidmap and /usr/bin/newgidmap "
                      "(Debian package uidmap)")
    assert p.leftovers() == []


def test_rootless_with_a_uid_range_but_no_gid_range_fails_with_one_line(rpods_factory):
    p = rpods_factory(subgid=False)
    r, uuid = p.run(p.image, "--exec=/bin/true", net="none")
    one_line_error(r, f"uid {UID} has subordinate uids in /etc/subuid but none in /etc/subgid")
    assert p.leftovers() == []


def test_rootless_with_an_empty_range_fails_with_one_line(rpods_factory):
    p = rpods_factory()
    (p.etc / "subuid").write_text(f"{NAME}:{SUB_START}:0\n")
    r, uuid = p.run(p.image, "--exec=/bin/true", net="none")
    one_line_error(r, f"the range of uid {UID} in /etc/subuid is empty")
    assert p.leftovers() == []


def test_rootless_when_newuidmap_refuses_fails_with_one_line(rpods_factory):
    # newuidmap without its setuid bit (a broken uidmap install) cannot write the map
    p = rpods_factory(hide_uidmap=True)
    for t in ("newuidmap", "newgidmap"):
        shutil.copy(f"/usr/bin/{t}", p.etc / t)
        (p.etc / t).chmod(0o755)
    p.prefix_binds = [f"mount --bind {p.etc}/{t} /usr/bin/{t}" for t in ("newuidmap", "newgidmap")]
    r, uuid = p.run(p.image, "--exec=/bin/true", net="none")
    one_line_error(r, "cannot map your subordinate ids (/etc/subuid, /etc/subgid) in a user "
                      "namespace: newuidmap: ")
    assert p.leftovers() == []


def cgroup2_mount():
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        f = line.split()
        sep = f.index("-")
        if f[sep + 1] == "cgroup2" and f[3] == "/":
            return Path(f[4])
    return None


def remove_cgroup_tree(path, root):
    """rmdir path depth-first, moving any process left there to the hierarchy's root."""
    if not path.is_dir():
        return
    for sub in path.iterdir():
        if sub.is_dir():
            remove_cgroup_tree(sub, root)
    for pid in (path / "cgroup.procs").read_text().split():
        try:
            (root / "cgroup.procs").write_text(pid)
        except OSError:
            pass
    path.rmdir()


@pytest.fixture
def delegated(rpods):
    """A cgroup2 subtree delegated to the test user (owned by them, as systemd's Delegate=),
    with a leaf that the user's rkt runs in."""
    root = cgroup2_mount()
    if root is None:
        pytest.skip("no cgroup2 hierarchy")
    d = root / f"rkt-test-deleg-{os.getpid()}-{rpods.tmp.name}"
    (d / "leaf").mkdir(parents=True)
    for dirpath, dirs, files in os.walk(d):
        for name in [dirpath] + [os.path.join(dirpath, f) for f in files]:
            os.chown(name, UID, UID)
    rpods.cgroup_leaf = d / "leaf"
    try:
        yield d
    finally:
        _finish(rpods)
        rpods.cgroup_leaf = None
        remove_cgroup_tree(d, root)


def pod_cgroup(d, uuid):
    return d / "leaf" / f"rkt-{uuid}"


def test_rootless_pod_runs_in_a_cgroup_below_the_users_delegated_one(rpods, delegated):
    root = cgroup2_mount()
    rel = "/" + str(delegated.relative_to(root))
    r, uuid = rpods.run(rpods.image, "--name=a", "--exec=/bin/cat", "--", "/proc/self/cgroup",
                        net="none")
    assert r.code == 0, r
    assert f"0::{rel}/leaf/rkt-{uuid}/system.slice/a.service" in r.out.splitlines(), r
    assert pod_cgroup(delegated, uuid).is_dir()
    rpods.ok("gc", "--grace-period=0s")
    assert not pod_cgroup(delegated, uuid).exists()
    assert rpods.leftovers() == []


def test_rootless_stop_and_gc_of_a_pod_in_a_delegated_cgroup(rpods, delegated):
    pod = rpods.start(rpods.image, "--exec=/bin/sh", "--", "-c", "trap '' TERM; sleep 600 &"
                      " sleep 600", net="none")
    rpods.wait_ready(pod.uuid)
    cg = pod_cgroup(delegated, pod.uuid)
    init = (cg / "init.scope" / "cgroup.procs").read_text().split()
    assert init, init
    rpods.ok("stop", "--force", pod.uuid)
    rpods.wait_exited(pod.uuid)
    rpods.ok("gc", "--grace-period=0s")
    assert not cg.exists()
    assert rpods.leftovers() == []


def test_rootless_delegated_cgroup_without_a_memory_controller_says_so_once(rpods, delegated):
    # the user's rkt runs in the delegated cgroup itself: its children get no controllers
    # (a cgroup with processes cannot enable them for its children)
    r, uuid, said = run_with_limits(rpods)
    assert said == ["stage1: rootless pod: the user's cgroup offers no memory controller, "
                    "resource limits are not applied"], r
    rpods.ok("gc", "--grace-period=0s")
    assert not pod_cgroup(delegated, uuid).exists()


@pytest.mark.parametrize("fake", ["up", "machine", "root"])
def test_rootless_gc_refuses_a_subcgroup_outside_the_users_delegation(rpods, delegated, fake):
    r, uuid = rpods.run(rpods.image, "--exec=/bin/true", net="none")
    assert r.code == 0, r
    subs = list((rpods.dir / "pods").glob(f"*/{uuid}/subcgroup"))
    assert len(subs) == 1, subs
    rel = str(delegated.relative_to(cgroup2_mount()))
    subs[0].write_text({
        "up": f"{rel}/leaf/../../rkt-{uuid}",
        "machine": f"machine.slice/rkt-{uuid}",  # a cgroup the user may not manage
        "root": f"machine.slice/machine-rkt\\x2d{uuid.replace('-', chr(92) + 'x2d')}.scope",
    }[fake])
    r = rpods("gc", "--grace-period=0s")
    assert "refusing unexpected subcgroup" in r.err, r
    # nothing removed: the pod's own cgroup stays for the teardown
    assert pod_cgroup(delegated, uuid).is_dir()


def test_rootless_pod_cgroup_is_below_the_nearest_cgroup_the_user_manages(rpods, delegated):
    # rkt runs in a cgroup of root's below the user's: the pod's cgroup is the user's child
    os.chown(delegated / "leaf", 0, 0)
    os.chown(delegated / "leaf" / "cgroup.procs", 0, 0)
    rel = "/" + str(delegated.relative_to(cgroup2_mount()))
    r, uuid = rpods.run(rpods.image, "--name=a", "--exec=/bin/cat", "--", "/proc/self/cgroup",
                        net="none")
    assert r.code == 0, r
    assert f"0::{rel}/rkt-{uuid}/system.slice/a.service" in r.out.splitlines(), r
    rpods.ok("gc", "--grace-period=0s")
    assert not (delegated / f"rkt-{uuid}").exists()
