# SPDX-License-Identifier: Apache-2.0
"""Docker layers under the same rules as ACIs (test_store_trees.py): path limits, sparse
files, xattrs, symlinks resolved inside the rootfs (across layers too), whiteouts."""
import io
import os
import subprocess
import tarfile

import pytest

import aci as A
import dockerutil as D
from storeutil import list_json
from test_docker_archive import save_archive
from test_store_trees import (CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN, GIB, HOSTILE_XATTRS, TIB,
                              assert_sparse_content, cap_v2, open_chain, xattrs_of)

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"


@pytest.fixture(autouse=True)
def remove_deep_trees(tmp_path):
    yield
    subprocess.run(["rm", "-rf", "--one-file-system", str(tmp_path)], check=False)


def layer(members):
    """A layer tar of (TarInfo, data) pairs and layer_tar-style tuples."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for m in members:
            if isinstance(m, tuple) and isinstance(m[0], tarfile.TarInfo):
                t.addfile(m[0], io.BytesIO(m[1]))
                continue
            one = tarfile.open(fileobj=io.BytesIO(D.layer_tar([m])))
            ti = one.getmembers()[0]
            t.addfile(ti, one.extractfile(ti) if ti.isreg() else None)
    return buf.getvalue()


def with_pax(entry, pax):
    name, kind = entry[0], entry[1]
    arg = entry[2] if len(entry) > 2 else None
    extra = dict(entry[3]) if len(entry) > 3 else {}
    extra["pax_headers"] = pax
    return (name, kind, arg, extra)


def archive(tmp_path, layers, name="img.tar"):
    p = tmp_path / name
    save_archive(p, [(layers, {"Cmd": ["/bin/true"]}, ["example.com/trees:v1"])])
    return p


def fetch(rkt, path, env=None):
    r = rkt(INSECURE, "fetch", "--full", f"docker-archive:{path}", env=env)
    assert r.code == 0, r
    key = r.out.strip()
    return key, rkt.tree_path(A.tree_store_id([key])) / "rootfs"


def fetch_fails(rkt, path, *words, env=None):
    r = rkt(INSECURE, "fetch", f"docker-archive:{path}", env=env)
    assert r.code == 254, r
    assert len(r.err.splitlines()) == 1, r
    for w in words:
        assert w in r.err, (w, r)
    assert list_json(rkt) == []
    assert not list((rkt.cas / "tmp").glob("rkt-*"))
    return r


# --------------------------------------------------------------------------- limits

def test_deep_layer_is_refused_quickly(rkt, tmp_path):
    depth = 20_000
    entries = [("/".join(["d"] * depth) + "/f", "file", "x")]
    r = fetch_fails(rkt, archive(tmp_path, [layer(entries)]), "4096", "d/d/d/...", "d/d/f")
    assert len(r.err) < 1200, r


def test_too_many_components_in_a_layer(rkt, tmp_path):
    entries = [("/".join(["d"] * 1025), "dir")]
    fetch_fails(rkt, archive(tmp_path, [layer(entries)]), "1024")


def test_deepest_allowed_layer_works(rkt, tmp_path):
    depth = 1023
    entries = [("/".join(["d"] * depth) + "/f", "file", "bottom\n")]
    key, root = fetch(rkt, archive(tmp_path, [layer(entries)]))
    fd = open_chain(root, depth)
    assert os.read(os.open("f", os.O_RDONLY, dir_fd=fd), 100) == b"bottom\n"
    os.close(fd)
    assert "successfully verified" in rkt.ok("image", "verify", key).out


def test_names_are_normalised_like_acis(rkt, tmp_path):
    entries = [("./a//b/./c", "file", "c"), ("a/b/", "dir")]
    key, root = fetch(rkt, archive(tmp_path, [layer(entries)]))
    assert (root / "a" / "b" / "c").read_text() == "c"


# --------------------------------------------------------------------------- sparse

def test_sparse_layer_file(rkt, tmp_path):
    size = 2 * GIB + 5
    segs = ((0, b"head"), (GIB, b"middle"), (size - 3, b"end"))
    big = layer([A.sparse_member("big", size, segs)])
    key, root = fetch(rkt, archive(tmp_path, [big]))
    assert_sparse_content(root / "big", size, segs)
    assert "successfully verified" in rkt.ok("image", "verify", key).out
    rkt.ok("image", "export", key, tmp_path / "out.aci")
    assert (tmp_path / "out.aci").stat().st_size < (1 << 20)
    with tarfile.open(tmp_path / "out.aci") as t:
        m = t.getmember("rootfs/big")
        assert m.size == size and m.sparse
        data = t.extractfile(m)
        data.seek(GIB)
        assert data.read(6) == b"middle"


def test_sparse_layer_file_beyond_the_limit(rkt, tmp_path):
    big = layer([A.sparse_member("big", TIB, ((0, b"x"),))])
    fetch_fails(rkt, archive(tmp_path, [big]), "sparse files are larger than",
                "RKT_MAX_SPARSE_SIZE")


# --------------------------------------------------------------------------- xattrs

def test_layer_xattrs_are_filtered(rkt, tmp_path):
    good = cap_v2(CAP_NET_BIND_SERVICE)
    entries = [with_pax(("tool", "file", "x"), A.xattr_pax({**HOSTILE_XATTRS,
                                                           "security.capability": good})),
               with_pax(("bad", "file", "x"), A.xattr_pax({"security.capability":
                                                          cap_v2(CAP_SYS_ADMIN)})),
               with_pax(("dir", "dir"), A.xattr_pax(HOSTILE_XATTRS))]
    key, root = fetch(rkt, archive(tmp_path, [layer(entries)]))
    assert xattrs_of(root / "tool") == {"user.kept": b"value", "security.capability": good}
    assert xattrs_of(root / "bad") == {}
    assert xattrs_of(root / "dir") == {"user.kept": b"value"}
    os.setxattr(root / "tool", "user.more", b"1")
    r = rkt.ok("image", "verify", key)
    assert "verification failed" in r.out


# --------------------------------------------------------------------------- symlinks in-root

def test_absolute_symlink_of_a_lower_layer_is_followed_in_root(rkt, tmp_path):
    lower = layer([("run", "dir"), ("var", "dir"), ("var/run", "symlink", "/run")])
    upper = layer([("var/run/x", "file", "x\n"), ("var/run/sub/y", "file", "y\n")])
    key, root = fetch(rkt, archive(tmp_path, [lower, upper]))
    assert os.readlink(root / "var" / "run") == "/run"
    assert (root / "run" / "x").read_text() == "x\n"
    assert (root / "run" / "sub" / "y").read_text() == "y\n"


def test_symlinks_of_the_same_layer_chains_and_dotdot(rkt, tmp_path):
    entries = [("real", "dir"), ("a", "symlink", "b"), ("b", "symlink", "/c"),
               ("c", "symlink", "../../real"), ("a/x", "file", "via chain\n"),
               ("d", "dir"), ("d/up", "symlink", "../../../../real"),
               ("d/up/y", "file", "via dotdot\n"),
               ("hl", "hardlink", "/a/x")]
    key, root = fetch(rkt, archive(tmp_path, [layer(entries)]))
    assert (root / "real" / "x").read_text() == "via chain\n"
    assert (root / "real" / "y").read_text() == "via dotdot\n"
    assert os.stat(root / "hl").st_ino == os.stat(root / "real" / "x").st_ino
    assert os.readlink(root / "a") == "b"


@pytest.mark.parametrize("entries", [
    [("l1", "symlink", "l2"), ("l2", "symlink", "/l1"), ("l1/x", "file", "x")],
    [("s", "symlink", "/missing"), ("s/x", "file", "x")],
    [("f", "file", "f"), ("s", "symlink", "f"), ("s/x", "file", "x")],
], ids=["loop", "dangling", "through-file"])
def test_bad_symlink_paths_in_a_layer(rkt, tmp_path, entries):
    fetch_fails(rkt, archive(tmp_path, [layer(entries)]), "layer 1")


# --------------------------------------------------------------------------- whiteouts

@pytest.mark.parametrize("name", [".wh.", ".wh..", "d/.wh...", "d/.wh."])
def test_malformed_whiteouts_are_refused(rkt, tmp_path, name):
    entries = [("d", "dir"), ("d/f", "file", "f"), (name, "file", "")]
    r = fetch_fails(rkt, archive(tmp_path, [layer(entries)]), "whiteout")
    assert name in r.err


def test_whiteout_below_a_lower_layer_symlink_keeps_the_symlink(rkt, tmp_path):
    lower = layer([("real", "dir"), ("real/x", "file", "x"), ("real/y", "file", "y"),
                   ("d", "symlink", "/real")])
    upper = layer([("d/.wh.x", "file", "")])
    key, root = fetch(rkt, archive(tmp_path, [lower, upper]))
    assert os.readlink(root / "d") == "/real"
    assert sorted(os.listdir(root / "real")) == ["y"]


def test_opaque_whiteout_below_a_symlink_resolves_in_root(rkt, tmp_path):
    lower = layer([("real", "dir"), ("real/x", "file", "x"), ("d", "symlink", "real")])
    upper = layer([("d/.wh..wh..opq", "file", ""), ("d/new", "file", "new")])
    key, root = fetch(rkt, archive(tmp_path, [lower, upper]))
    assert os.readlink(root / "d") == "real"
    assert sorted(os.listdir(root / "real")) == ["new"]
