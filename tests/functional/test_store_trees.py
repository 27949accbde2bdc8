# SPDX-License-Identifier: Apache-2.0
"""What an image's tree may hold and how it lands in the store (issue "Close the host
escapes"): deep trees (limits, and every walk iterative), sparse files (kept sparse, an
apparent-size limit, render/verify/export agreeing), xattrs (only user.* and a bounded
security.capability, all of them in the tree hash) and symlinks resolved inside the rootfs
(absolute and `..`-laden targets, chains, loops) — for ACIs here, for Docker layers in
test_docker_trees.py."""
import os
import stat
import subprocess
import tarfile

import pytest

import aci as A
from storeutil import assert_store_unchanged, list_json, snapshot

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"


@pytest.fixture(autouse=True)
def remove_deep_trees(tmp_path):
    """pytest removes its directories recursively (Python's recursion limit is 1,000
    levels): take the deep trees these tests make away with rm, which walks iteratively."""
    yield
    subprocess.run(["rm", "-rf", "--one-file-system", str(tmp_path)], check=False)


def fetch_fails(rkt, path, *words, env=None):
    before = snapshot(rkt)
    r = rkt(INSECURE, "fetch", path, env=env)
    assert r.code == 254, r
    assert len(r.err.splitlines()) == 1, r
    for w in words:
        assert w in r.err, (w, r)
    assert_store_unchanged(rkt, before)
    return r


def rootfs(rkt, a):
    return rkt.tree_path(a.tree_id) / "rootfs"


def verify_ok(rkt, a):
    r = rkt.ok("image", "verify", a.key)
    assert "successfully verified" in r.out, r


def verify_fails(rkt, a):
    r = rkt.ok("image", "verify", a.key)
    assert f"tree cache verification failed for image {a.key}" in r.out, r


# --------------------------------------------------------------------------- deep trees

def chain(depth, name="d"):
    return "/".join([name] * depth)


def open_chain(root, depth, name="d"):
    """A descriptor of root/<name>/.../<name> (depth levels), walked one level at a time
    (the path may exceed PATH_MAX)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = nfd
    return fd


@pytest.mark.parametrize("depth", [1025, 2500])
def test_too_many_components_is_refused(rkt, mkaci, depth):
    a = mkaci("example.com/deep", files={chain(depth) + "/f": A.File("bottom")})
    r = fetch_fails(rkt, a.path, "1024")
    assert "rootfs/d/d/d" in r.err and len(r.err) < 1200, r
    # the store stays usable
    good = mkaci("example.com/good")
    rkt.fetch(good.path)
    rkt.ok("image", "render", good.key, rkt.tmp / "out")
    assert [i["name"] for i in list_json(rkt)] == ["example.com/good:1.0.0"]


def test_path_longer_than_path_max_is_refused(rkt, mkaci):
    long = "/".join(["n" * 250] * 17)  # 4266 bytes, 17 components
    a = mkaci("example.com/long", files={long: A.File("x")})
    r = fetch_fails(rkt, a.path, "4096")
    assert "nnnnnnnn" in r.err


def test_symlinks_cannot_stretch_a_path_past_the_limits(rkt, mkaci):
    # each entry is short; resolving "s" makes it 1,100 components deep
    files = {chain(1000): A.Dir(), "s": A.Symlink("/" + chain(1000)),
             "s/" + chain(100) + "/f": A.File("x")}
    a = mkaci("example.com/stretch", files=files)
    fetch_fails(rkt, a.path, "rootfs/s/d/d")


def test_deepest_allowed_tree_works_everywhere(rkt, mkaci, tmp_path):
    depth = 1023  # plus the file: 1024 components
    files = {chain(depth): A.Dir(0o750), chain(depth) + "/f": A.File("bottom\n", mode=0o640)}
    a = mkaci("example.com/deep", files=files)
    rkt.fetch(a.path)
    fd = open_chain(rootfs(rkt, a), depth)
    try:
        assert os.read(os.open("f", os.O_RDONLY, dir_fd=fd), 100) == b"bottom\n"
        assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o750
    finally:
        os.close(fd)
    verify_ok(rkt, a)
    for cmd, sub in (("render", "rootfs"), ("extract", "rootfs")):
        out = tmp_path / cmd
        rkt.ok("image", cmd, a.key, out)
        fd = open_chain(out / sub, depth)
        assert os.stat("f", dir_fd=fd).st_size == 7
        os.close(fd)
    rkt.ok("image", "rm", a.key)
    rkt.ok("image", "gc")
    assert rkt.tree_ids() == []


def test_long_names_up_to_path_max_work(rkt, mkaci, tmp_path):
    name = "/".join(["n" * 254] * 15) + "/" + "f" * 240  # 4065 bytes
    a = mkaci("example.com/longnames", files={name: A.File("x")})
    rkt.fetch(a.path)
    verify_ok(rkt, a)
    rkt.ok("image", "render", "--rootfs-only", a.key, tmp_path / "r")


def test_gc_removes_a_very_deep_tree_made_by_an_app(rkt, tmp_path):
    """An app may build a directory 100,000 levels deep in its rootfs: gc must still remove
    the pod (with neither recursion, nor a descriptor per level, nor paths longer than
    PATH_MAX). 40,000 levels show it as well (more than the descriptors rkt may open,
    paths of 80 KB) in a third of the time."""
    import podutil as P
    pod = P.make_pod(rkt.dir, "exited-garbage", created=0)
    fd = os.open(pod.path / "stage1" / "rootfs", os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(40_000):
        os.mkdir("d", dir_fd=fd)
        nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.close(fd)
    r = rkt.ok("gc", "--grace-period=0s", timeout=300)
    assert not pod.path.exists(), r
    assert not list((rkt.dir / "pods").glob("*/" + pod.uuid))


# --------------------------------------------------------------------------- sparse files

TIB = 1 << 40
GIB = 1 << 30


def sparse_image(mkaci, size, name="example.com/sparse"):
    segs = ((0, b"head"), (size // 2, b"middle" * 1000), (size - 3, b"end"))
    return mkaci(name, files={"big": A.Sparse(size, segs), "small": A.File("small\n")}), segs


def assert_sparse_content(path, size, segs):
    st = os.stat(path)
    assert st.st_size == size
    assert st.st_blocks * 512 < (16 << 20), f"{path} is not sparse: {st.st_blocks} blocks"
    with open(path, "rb") as f:
        for off, data in segs:
            f.seek(off)
            assert f.read(len(data)) == data
        f.seek(size // 4)
        assert f.read(4096) == bytes(4096)


def test_sparse_file_beyond_the_limit_is_refused(rkt, mkaci):
    a, _ = sparse_image(mkaci, TIB)
    assert a.path.stat().st_size < 64 << 10
    r = fetch_fails(rkt, a.path, "sparse files are larger than", "RKT_MAX_SPARSE_SIZE")
    assert "rootfs/big" in r.err


def test_sparse_limit_counts_the_whole_image(rkt, mkaci):
    files = {f"f{i}": A.Sparse(5 * GIB, ((0, b"x"),)) for i in range(4)}  # 20 GiB in all
    a = mkaci("example.com/sparse4", files=files)
    fetch_fails(rkt, a.path, "sparse files are larger than 16GiB", "RKT_MAX_SPARSE_SIZE")


def test_sparse_limit_is_configurable(rkt, mkaci, tmp_path):
    a, segs = sparse_image(mkaci, TIB)
    env = dict(os.environ, RKT_MAX_SPARSE_SIZE="2T")
    key = rkt.fetch(a.path, env=env)
    assert key == a.key
    (img,) = list_json(rkt)
    assert_sparse_content(rootfs(rkt, a) / "big", TIB, segs)
    verify_ok(rkt, a)
    out = tmp_path / "r"
    rkt.ok("image", "render", "--rootfs-only", a.key, out)
    assert_sparse_content(out / "big", TIB, segs)
    # a smaller limit than the image's files refuses it
    rkt.ok("image", "rm", a.key)
    b, _ = sparse_image(mkaci, 3 * GIB, "example.com/sparse-small")
    r = rkt(INSECURE, "fetch", b.path, env=dict(os.environ, RKT_MAX_SPARSE_SIZE="1G"))
    assert r.code == 254 and "sparse files are larger than 1.0GiB" in r.err, r
    r = rkt(INSECURE, "fetch", b.path, env=dict(os.environ, RKT_MAX_SPARSE_SIZE="lots"))
    assert r.code == 254 and "RKT_MAX_SPARSE_SIZE" in r.err, r


def test_sparse_file_renders_verifies_and_copies_as_sparse(rkt, mkaci, tmp_path):
    size = 2 * GIB + 12345
    a, segs = sparse_image(mkaci, size)
    rkt.fetch(a.path)
    assert_sparse_content(rootfs(rkt, a) / "big", size, segs)
    verify_ok(rkt, a)
    verify_ok(rkt, a)
    for cmd, sub in (("render", "rootfs"), ("extract", "rootfs")):
        out = tmp_path / cmd
        rkt.ok("image", cmd, a.key, out)
        assert_sparse_content(out / sub / "big", size, segs)
    # the exported image is the stored one: the same sparse member
    rkt.ok("image", "export", a.key, tmp_path / "e.aci")
    with tarfile.open(tmp_path / "e.aci") as t:
        m = t.getmember("rootfs/big")
        assert m.size == size and m.sparse
    # a damaged hole is noticed
    with open(rootfs(rkt, a) / "big", "r+b") as f:
        f.seek(size // 4)
        f.write(b"\1")
    verify_fails(rkt, a)


def test_sparse_and_dense_files_of_equal_content_hash_alike(rkt, mkaci):
    """The tree hash is over content: a hole reads as zeros, so a dense file of zeros and a
    sparse one with the same bytes give the same hash (verify cannot depend on layout)."""
    size = 3 << 20
    a = mkaci("example.com/s1", files={"f": A.Sparse(size, ((1 << 20, b"data"),))})
    b = mkaci("example.com/s2",
              files={"f": A.File(bytes(1 << 20) + b"data" + bytes(size - (1 << 20) - 4))})
    rkt.fetch(a.path)
    rkt.fetch(b.path)
    ha = (rkt.tree_path(a.tree_id) / "hash").read_text()
    hb = (rkt.tree_path(b.tree_id) / "hash").read_text()
    assert ha == hb
    verify_ok(rkt, a)
    verify_ok(rkt, b)


# --------------------------------------------------------------------------- xattrs

def cap_v2(permitted, inheritable=0, effective=True):
    import struct
    return struct.pack("<IIIII", 0x02000000 | int(effective), permitted & 0xffffffff,
                       inheritable & 0xffffffff, permitted >> 32, inheritable >> 32)


def cap_v3(permitted, rootid, inheritable=0):
    import struct
    return cap_v2(permitted, inheritable).replace(b"\x01\x00\x00\x02", b"\x01\x00\x00\x03",
                                                   1) + struct.pack("<I", rootid)


CAP_NET_BIND_SERVICE = 1 << 10
CAP_SYS_ADMIN = 1 << 21
CAP_CHOWN = 1 << 0

HOSTILE_XATTRS = {
    "trusted.overlay.opaque": b"y",
    "trusted.overlay.redirect": b"/etc",
    "trusted.evil": b"1",
    "security.selinux": b"system_u:object_r:shadow_t:s0",
    "user.kept": b"value",
}


def xattrs_of(path):
    return {k: os.getxattr(path, k, follow_symlinks=False)
            for k in os.listxattr(path, follow_symlinks=False)}


@pytest.mark.parametrize("cap,kept", [
    (cap_v2(CAP_NET_BIND_SERVICE), cap_v2(CAP_NET_BIND_SERVICE)),
    (cap_v2(CAP_NET_BIND_SERVICE | CAP_CHOWN, CAP_CHOWN),
     cap_v2(CAP_NET_BIND_SERVICE | CAP_CHOWN, CAP_CHOWN)),
    # the kernel stores a v3 capability with root id 0 as the v2 one it means
    (cap_v3(CAP_NET_BIND_SERVICE, 0), cap_v2(CAP_NET_BIND_SERVICE)),
    (cap_v3(CAP_NET_BIND_SERVICE, 1000), None),
    (cap_v2(CAP_SYS_ADMIN), None),
    (cap_v2(CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN), None),
    (cap_v2(CAP_NET_BIND_SERVICE)[:-1], None),
    (b"\x00\x00\x00\x01" + bytes(8), None),
], ids=["v2", "v2-inheritable", "v3-root", "v3-rootid", "sys-admin", "inheritable-sys-admin",
        "short", "v1"])
def test_only_user_and_bounded_capability_xattrs_are_kept(rkt, mkaci, cap, kept):
    files = {"bin/tool": A.File(b"\x7fELF", mode=0o755,
                                xattrs={**HOSTILE_XATTRS, "security.capability": cap}),
             "dir": A.Dir(xattrs=HOSTILE_XATTRS)}
    a = mkaci("example.com/xattrs", files=files)
    rkt.fetch(a.path)
    root = rootfs(rkt, a)
    want = {"user.kept": b"value"}
    if kept:
        want["security.capability"] = kept
    assert xattrs_of(root / "bin" / "tool") == want
    assert xattrs_of(root / "dir") == {"user.kept": b"value"}
    verify_ok(rkt, a)


@pytest.mark.parametrize("change", ["add-user", "add-capability", "change", "remove"])
def test_verify_detects_xattr_changes(rkt, mkaci, change):
    a = mkaci("example.com/xattrs", files={"bin/tool": A.File(
        b"\x7fELF", mode=0o755, xattrs={"user.kept": b"value"})})
    rkt.fetch(a.path)
    tool = rootfs(rkt, a) / "bin" / "tool"
    verify_ok(rkt, a)
    if change == "add-user":
        os.setxattr(tool, "user.added", b"1")
    elif change == "add-capability":
        os.setxattr(tool, "security.capability", cap_v2(CAP_SYS_ADMIN))
    elif change == "change":
        os.setxattr(tool, "user.kept", b"other")
    else:
        os.removexattr(tool, "user.kept")
    verify_fails(rkt, a)


def test_xattrs_survive_render_copies(rkt, mkaci, tmp_path):
    cap = cap_v2(CAP_NET_BIND_SERVICE)
    a = mkaci("example.com/xattrs", files={"bin/tool": A.File(
        b"\x7fELF", mode=0o4755, xattrs={"user.kept": b"value", "security.capability": cap}),
        "d": A.Dir(xattrs={"user.d": b"1"})})
    rkt.fetch(a.path)
    out = tmp_path / "r"
    rkt.ok("image", "render", "--rootfs-only", a.key, out)
    assert xattrs_of(out / "bin" / "tool") == {"user.kept": b"value",
                                               "security.capability": cap}
    assert stat.S_IMODE(os.stat(out / "bin" / "tool").st_mode) == 0o4755
    assert xattrs_of(out / "d") == {"user.d": b"1"}


# --------------------------------------------------------------------------- symlinks in-root

def test_entries_through_an_absolute_symlink_land_in_the_rootfs(rkt, mkaci, tmp_path):
    files = {"run": A.Dir(), "var/run": A.Symlink("/run"), "var/run/x": A.File("x\n"),
             "var/run/sub/y": A.File("y\n")}
    a = mkaci("example.com/varrun", files=files)
    rkt.fetch(a.path)
    root = rootfs(rkt, a)
    assert os.readlink(root / "var" / "run") == "/run"
    assert (root / "run" / "x").read_text() == "x\n"
    assert (root / "run" / "sub" / "y").read_text() == "y\n"
    verify_ok(rkt, a)
    out = tmp_path / "r"
    rkt.ok("image", "extract", "--rootfs-only", a.key, out)
    assert (out / "run" / "x").read_text() == "x\n"


def test_symlink_chains_and_dotdot_targets_resolve_in_root(rkt, mkaci):
    files = {
        "real/inner": A.Dir(),
        "a": A.Symlink("b"),            # a -> b -> /c -> real
        "b": A.Symlink("/c"),
        "c": A.Symlink("real"),
        "a/x": A.File("via chain\n"),
        "d/e": A.Dir(),
        "d/e/up": A.Symlink("../../../../../../real"),  # .. never climbs above the root
        "d/e/up/y": A.File("via dotdot\n"),
        "d/abs": A.Symlink("/../../real/./inner/.."),
        "d/abs/z": A.File("via abs dotdot\n"),
        "hl": A.Hardlink("rootfs/a/x", raw=True),         # a hard link through symlinks
        "hl-abs": A.Hardlink("/real/x", raw=True),         # absolute: inside the rootfs
    }
    a = mkaci("example.com/chains", files=files)
    rkt.fetch(a.path)
    root = rootfs(rkt, a)
    assert (root / "real" / "x").read_text() == "via chain\n"
    assert (root / "real" / "y").read_text() == "via dotdot\n"
    assert (root / "real" / "z").read_text() == "via abs dotdot\n"
    assert os.stat(root / "hl").st_ino == os.stat(root / "real" / "x").st_ino
    assert os.stat(root / "hl-abs").st_ino == os.stat(root / "real" / "x").st_ino
    for l in ("a", "b", "c", "d/e/up", "d/abs"):
        assert (root / l).is_symlink()
    verify_ok(rkt, a)


@pytest.mark.parametrize("case", ["loop", "self-loop", "dangling", "dangling-deeper",
                                  "file-as-dir", "duplicate-through-link"])
def test_bad_symlink_paths_are_refused(rkt, mkaci, tmp_path, case):
    files = {
        "loop": {"l1": A.Symlink("l2"), "l2": A.Symlink("/l1"), "l1/x": A.File("x")},
        "self-loop": {"l": A.Symlink("l"), "l/x": A.File("x")},
        "dangling": {"s": A.Symlink("/missing"), "s/x": A.File("x")},
        "dangling-deeper": {"s": A.Symlink("/missing/deeper"), "s/x/y": A.File("x")},
        "file-as-dir": {"f": A.File("f"), "s": A.Symlink("f"), "s/x": A.File("x")},
        "duplicate-through-link": {"run/x": A.File("1"), "var/run": A.Symlink("/run"),
                                   "var/run/x": A.File("2")},
    }[case]
    a = mkaci("example.com/bad-links", files=files)
    r = fetch_fails(rkt, a.path)
    assert "rootfs/" in r.err
    assert not (tmp_path / "x").exists()
