# SPDX-License-Identifier: Apache-2.0
"""Regression tests for defects found in review of the store: a symlinked rootfs, deferred
directory fix-ups landing in the caller's working directory, chained decompressors, data
after the end of the tar, shard directory modes, hard links across layers, verify with a
missing dependency, and orphaned files left by an import killed mid-commit."""
import gzip
import os
import stat
import tarfile

import pytest

import aci as A

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"


def fetch_fails(rkt, path, *words):
    r = rkt(INSECURE, "fetch", path)
    assert r.code == 254, r
    assert len(r.err.splitlines()) == 1 and r.err.startswith("fetch: "), r
    for w in words:
        assert w in r.err, (w, r)
    assert os.listdir(rkt.cas / "tmp") == []
    return r


def test_rootfs_symlink_to_host_root_is_refused(rkt, tmp_path):
    p = tmp_path / "symroot.aci"
    p.write_bytes(A.build_tar(A.default_manifest("example.com/symroot"), {}, rootfs_entry=False,
                              extra_members=[A.Raw("rootfs", tarfile.SYMTYPE, linkname="/")]))
    fetch_fails(rkt, p, "rootfs is not a directory")
    assert rkt.tree_ids() == []
    assert rkt.ok("image", "list", "--no-legend").out == "\n"


def test_rootfs_regular_file_is_refused(rkt, tmp_path):
    p = tmp_path / "fileroot.aci"
    p.write_bytes(A.build_tar(A.default_manifest("example.com/fileroot"), {}, rootfs_entry=False,
                              extra_members=[A.Raw("rootfs", data=b"not a dir")]))
    fetch_fails(rkt, p, "rootfs is not a directory")


def test_failed_walk_leaves_the_working_directory_alone(rkt, tmp_path):
    """libarchive's deferred directory fix-ups must never apply relative to the caller's cwd."""
    cwd = tmp_path / "cwd"
    (cwd / "rootfs").mkdir(parents=True)
    os.chmod(cwd / "rootfs", 0o700)
    before = os.stat(cwd / "rootfs")
    p = tmp_path / "fixup.aci"
    p.write_bytes(A.build_tar(A.default_manifest("example.com/fixup"), {}, rootfs_entry=False,
                              extra_members=[A.Raw("rootfs/", tarfile.DIRTYPE, mode=0o777),
                                             A.Raw("rootfs/a", data=b"a"),
                                             A.Raw("rootfs/../evil", data=b"x")]))
    r = rkt(INSECURE, "fetch", p, cwd=cwd)
    assert r.code == 254, r
    after = os.stat(cwd / "rootfs")
    assert stat.S_IMODE(after.st_mode) == 0o700
    assert after.st_mtime == before.st_mtime
    assert os.listdir(cwd) == ["rootfs"]


def test_nested_compression_is_not_unwrapped(rkt, tmp_path):
    tar = A.build_tar(A.default_manifest("example.com/nested"), {"f": A.File("x\n")})
    p = tmp_path / "nested.aci"
    p.write_bytes(gzip.compress(gzip.compress(tar)))
    fetch_fails(rkt, p)
    assert rkt.ok("image", "list", "--no-legend").out == "\n"


def test_data_after_the_tar_is_refused(rkt, tmp_path):
    tar = A.build_tar(A.default_manifest("example.com/trailing"), {"f": A.File("x\n")})
    p = tmp_path / "trailing.aci"
    p.write_bytes(gzip.compress(tar + bytes(8 << 20), compresslevel=1))
    fetch_fails(rkt, p, "after the end of the tar archive")
    assert rkt.ok("image", "list", "--no-legend").out == "\n"


def test_tar_padding_is_fine(rkt, tmp_path):
    tar = A.build_tar(A.default_manifest("example.com/padded"), {"f": A.File("x\n")})
    p = tmp_path / "padded.aci"
    p.write_bytes(tar + bytes(64 << 10))
    rkt.ok(INSECURE, "fetch", p)


def test_shard_directories_are_group_writable(rkt, mkaci):
    """Members of group rkt create files there, sticky: never rename or remove another's;
    an image's files are written by their importer only."""
    a = mkaci("example.com/shard")
    old = os.umask(0o022)
    try:
        rkt.fetch(a.path)
    finally:
        os.umask(old)
    for path in (rkt.blob_path(a.key).parent, rkt.manifest_path(a.key).parent):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o3770, path
    for path in (rkt.blob_path(a.key), rkt.manifest_path(a.key)):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640, path


def test_dependency_hard_link_to_an_upper_path_is_refused(rkt, mkaci, tmp_path):
    """A lower image's hard link whose target the upper image replaced would share the upper
    file's inode; rendering refuses it."""
    base = mkaci("example.com/hl-base", "1.0",
                 files={"shared": A.File("base\n"), "link": A.Hardlink("shared")})
    m = A.default_manifest("example.com/hl-top", "1.0",
                           dependencies=[{"imageName": "example.com/hl-base",
                                          "labels": [{"name": "version", "value": "1.0"}]}])
    top = mkaci(manifest=m, files={"shared": A.File("top\n")})
    rkt.fetch(base.path)
    # fetch's default policy (update) would look for the dependency by discovery
    r = rkt(INSECURE, "fetch", "--pull-policy=new", top.path)
    assert r.code == 254, r
    assert "hard link" in r.err and "rootfs/link" in r.err, r
    out = tmp_path / "r"
    r = rkt("image", "render", "--rootfs-only", base.key, out)
    assert r.code == 0, r
    assert (out / "link").read_text() == "base\n"


def test_verify_reports_a_missing_dependency(rkt, mkaci):
    base = mkaci("example.com/v-base", "1.0")
    m = A.default_manifest("example.com/v-top", "1.0",
                           dependencies=[{"imageName": "example.com/v-base",
                                          "labels": [{"name": "version", "value": "1.0"}]}])
    top = mkaci(manifest=m)
    rkt.fetch(base.path)
    rkt.fetch(top.path, "--pull-policy=new")
    rkt.ok("image", "rm", base.key)
    r = rkt("image", "verify", top.key)
    assert r.code == 254, r
    assert "not rendered" not in r.out
    assert "example.com/v-base" in r.err


def test_image_gc_sweeps_files_without_an_index_row(rkt, mkaci):
    """What an import killed between publishing its files and committing its row leaves."""
    a, b = mkaci("example.com/keep"), mkaci("example.com/orphan")
    rkt.fetch(a.path)
    rkt.fetch(b.path)
    blob, man = rkt.blob_path(b.key).read_bytes(), rkt.manifest_path(b.key).read_bytes()
    rkt.ok("image", "rm", b.key)
    rkt.blob_path(b.key).write_bytes(blob)
    rkt.manifest_path(b.key).write_bytes(man)
    rkt.ok("image", "gc", "--grace-period=24h")
    assert not rkt.blob_path(b.key).exists()
    assert not rkt.manifest_path(b.key).exists()
    assert rkt.blob_path(a.key).exists() and rkt.manifest_path(a.key).exists()


def test_index_companions_are_group_writable(rkt):
    """The files root makes beside the store's index (store.sqlite-wal, -shm, -journal) are
    the group's to write too (0660) whatever rkt's umask: a member's next write to the index
    needs them (a member's fetch failed with "attempt to write a readonly database")."""
    old = os.umask(0o022)
    try:
        rkt.ok("image", "list")
    finally:
        os.umask(old)
    db = rkt.dir / "cas" / "db"
    made = [p for p in db.iterdir() if p.name.startswith("store.sqlite-")]
    assert made, sorted(p.name for p in db.iterdir())
    for p in made:
        assert stat.S_IMODE(p.stat().st_mode) == 0o660, (p.name, oct(p.stat().st_mode))
