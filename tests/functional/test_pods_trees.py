# SPDX-License-Identifier: Apache-2.0
"""Trees of pods (issue "Close the host escapes"): an app's sparse files, xattrs and very
deep directories go through `rkt export` whole and right; the --no-overlay copy of an image
keeps its holes and xattrs."""
import os
import subprocess
import tarfile

import pytest

import aci as A
from podtest import img, needs_root, pods  # noqa: F401
from test_store_trees import GIB, assert_sparse_content, open_chain, xattrs_of

pytestmark = [needs_root]


@pytest.fixture(autouse=True)
def remove_deep_trees(tmp_path):
    yield
    subprocess.run(["rm", "-rf", "--one-file-system", str(tmp_path)], check=False)


def app_rootfs(pods, uuid):
    (root,) = pods.dir.glob(f"pods/*/{uuid}/stage1/rootfs/opt/stage2/*/rootfs")
    return root


def test_export_keeps_sparse_files_xattrs_and_deep_trees(pods, img, tmp_path):
    r, uuid = pods.run("--no-overlay", img.path)
    assert r.code == 0, r
    root = app_rootfs(pods, uuid)
    size = 2 * GIB + 7
    segs = ((0, b"head"), (GIB, b"middle"), (size - 3, b"end"))
    with open(root / "sparse", "wb") as f:
        for off, data in segs:
            f.seek(off)
            f.write(data)
    (root / "tagged").write_text("x")
    os.setxattr(root / "tagged", "user.kept", b"value")
    depth = 1500
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    os.close(fd)
    out = tmp_path / "exported.aci"
    pods.ok("export", uuid, out)
    assert out.stat().st_size < (8 << 20)
    with tarfile.open(out, "r:gz") as t:
        m = t.getmember("rootfs/sparse")
        assert m.size == size and m.sparse
        data = t.extractfile(m)
        for off, want in segs:
            data.seek(off)
            assert data.read(len(want)) == want
        data.seek(GIB // 2)
        assert data.read(4096) == bytes(4096)
        assert t.getmember("rootfs/tagged").pax_headers.get("SCHILY.xattr.user.kept") == "value"
        assert t.getmember("rootfs/" + "/".join(["d"] * depth)).isdir()


def test_no_overlay_copy_keeps_holes_and_xattrs(pods, mkaci, tmp_path):
    size = 3 * GIB
    segs = ((0, b"head"), (size // 2, b"middle"), (size - 3, b"end"))
    a = mkaci("example.com/sparse-app", files={
        "big": A.Sparse(size, segs),
        "tool": A.File(b"#!/bin/sh\n", mode=0o755, xattrs={"user.kept": b"value"})},
        exec_=("/tool",))
    r = pods("--insecure-options=image", "prepare", "--no-overlay",
             *pods.stage1_args(), a.path)
    assert r.code == 0, r
    uuid = r.out.strip().splitlines()[-1]
    root = app_rootfs(pods, uuid)
    assert_sparse_content(root / "big", size, segs)
    assert xattrs_of(root / "tool") == {"user.kept": b"value"}
    pods.ok("rm", uuid)
