# SPDX-License-Identifier: Apache-2.0
"""`rkt image export|extract|render` (SPEC.md §3.17, §11.9)."""
import json
import os
import stat

import pytest

import aci as A
from storeutil import (assert_rootfs_matches, canonical_manifest, go_json, list_json,
                       run_chroot_sandbox, tmp_entries)

pytestmark = pytest.mark.offline


@pytest.fixture
def img(rkt, mkaci):
    a = mkaci("example.com/xr", "1.0", files=A.sample_files())
    rkt.fetch(a.path)
    return a


# --------------------------------------------------------------------------- export

@pytest.mark.parametrize("ref", ["key", "short19", "name", "name:version"])
def test_export_uncompressed_is_byte_identical(rkt, img, tmp_path, ref):
    arg = {"key": img.key, "short19": img.short19, "name": "example.com/xr",
           "name:version": "example.com/xr:1.0"}[ref]
    out = tmp_path / "out.aci"
    r = rkt.ok("image", "export", arg, out)
    assert out.read_bytes() == img.path.read_bytes()
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert r.out == ""


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", "zst"])
def test_export_of_compressed_input_is_the_decompressed_tar(rkt, mkaci, tmp_path, compression):
    a = mkaci("example.com/xz", files=A.sample_files(), compression=compression)
    rkt.fetch(a.path)
    out = tmp_path / "out.aci"
    rkt.ok("image", "export", a.key, out)
    assert out.read_bytes() == a.tar
    assert out.read_bytes() != a.path.read_bytes()


def test_export_refuses_existing_file(rkt, img, tmp_path):
    out = tmp_path / "exists.aci"
    out.write_bytes(b"precious")
    r = rkt.fail("image", "export", img.key, out)
    assert "output ACI file exists (try --overwrite)" in r.err
    assert out.read_bytes() == b"precious"


def test_export_overwrite(rkt, img, tmp_path):
    out = tmp_path / "exists.aci"
    out.write_bytes(b"x" * 100_000)
    rkt.ok("image", "export", "--overwrite", img.key, out)
    assert out.read_bytes() == img.path.read_bytes()


def test_export_updates_last_used(rkt, img, tmp_path):
    (before,) = list_json(rkt)
    rkt.ok("image", "export", img.key, tmp_path / "o.aci")
    (after,) = list_json(rkt)
    assert after["last_used_time"] > before["last_used_time"]
    assert after["import_time"] == before["import_time"]


@pytest.mark.parametrize("argv", [[], ["only-one-arg"], ["a", "b", "c"]])
def test_export_argument_count(rkt, img, tmp_path, argv):
    rkt.fail("image", "export", *argv, cwd=tmp_path)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("bad", ["sha512-not-existed", "some~random~aci~name",
                                 "example.com/xr:2.0"])
def test_export_bad_ref(rkt, img, tmp_path, bad):
    rkt.fail("image", "export", bad, tmp_path / "o.aci")
    assert not (tmp_path / "o.aci").exists()


# --------------------------------------------------------------------------- extract

def test_extract_full(rkt, img, tmp_path):
    out = tmp_path / "ex"
    rkt.ok("image", "extract", img.short19, out)
    assert sorted(os.listdir(out)) == ["manifest", "rootfs"]
    assert json.loads((out / "manifest").read_bytes()) == img.manifest
    assert_rootfs_matches(out / "rootfs", A.sample_files())
    assert tmp_entries(rkt) == []


def test_extract_rootfs_only(rkt, img, tmp_path):
    out = tmp_path / "ex"
    rkt.ok("image", "extract", "--rootfs-only", "example.com/xr", out)
    assert not (out / "manifest").exists() and not (out / "rootfs").exists()
    assert_rootfs_matches(out, A.sample_files())
    assert tmp_entries(rkt) == []


def test_extract_relative_dir(rkt, img, tmp_path):
    rkt.ok("image", "extract", "--rootfs-only", img.key, "out", cwd=tmp_path)
    assert_rootfs_matches(tmp_path / "out", A.sample_files())
    rkt.ok("image", "extract", img.key, "full", cwd=tmp_path)
    assert_rootfs_matches(tmp_path / "full" / "rootfs", A.sample_files())


def test_extract_is_not_merged_with_dependencies(rkt, deps, tmp_path):
    top, base = deps
    out = tmp_path / "ex"
    rkt.ok("image", "extract", "--rootfs-only", top.key, out)
    assert sorted(os.listdir(out)) == sorted(TOP_FILES)


@pytest.mark.parametrize("cmd", ["extract", "render"])
@pytest.mark.parametrize("rootfs_only", [False, True])
def test_existing_dir_needs_overwrite(rkt, img, tmp_path, cmd, rootfs_only):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "old").write_text("old")
    flags = ["--rootfs-only"] if rootfs_only else []
    r = rkt.fail("image", cmd, *flags, img.key, out)
    assert "output directory exists (try --overwrite)" in r.err
    assert os.listdir(out) == ["old"]
    rkt.ok("image", cmd, "--overwrite", *flags, img.key, out)
    assert not (out / "old").exists()
    root = out if rootfs_only else out / "rootfs"
    assert_rootfs_matches(root, A.sample_files(), hardlinks=(cmd == "extract"))


@pytest.mark.parametrize("cmd", ["extract", "render"])
def test_refuses_to_delete_root(rkt, img, cmd):
    # Run chrooted into a throw-away root: a buggy rkt can only destroy that.
    r = run_chroot_sandbox(rkt, ["image", cmd, "--overwrite", "--rootfs-only", img.key, "/"])
    assert r.code == 254, r
    assert "this would delete your root filesystem. Refusing." in r.err
    assert r.canary, "the sandbox root was damaged"


@pytest.mark.parametrize("cmd", ["extract", "render"])
def test_root_without_overwrite(rkt, img, cmd):
    r = run_chroot_sandbox(rkt, ["image", cmd, img.key, "/"])
    assert r.code == 254, r
    assert "output directory exists (try --overwrite)" in r.err
    assert r.canary


@pytest.mark.parametrize("cmd", ["extract", "render"])
@pytest.mark.parametrize("bad", ["sha512-not-existed", "some~random~aci~name"])
def test_bad_refs(rkt, img, tmp_path, cmd, bad):
    rkt.fail("image", cmd, bad, tmp_path / "o")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("cmd", ["extract", "render"])
def test_argument_count(rkt, img, tmp_path, cmd):
    rkt.fail("image", cmd, img.key, cwd=tmp_path)
    rkt.fail("image", cmd, img.key, "a", "b", cwd=tmp_path)
    assert not (tmp_path / "a").exists()


# --------------------------------------------------------------------------- render

def test_render_full(rkt, img, tmp_path):
    out = tmp_path / "r"
    rkt.ok("image", "render", img.key, out)
    assert sorted(os.listdir(out)) == ["manifest", "rootfs"]
    assert (out / "manifest").read_text() == go_json(canonical_manifest(img.manifest))
    assert stat.S_IMODE((out / "manifest").stat().st_mode) == 0o700
    assert_rootfs_matches(out / "rootfs", A.sample_files(), hardlinks=False)


def test_render_rootfs_only(rkt, img, tmp_path):
    out = tmp_path / "r"
    rkt.ok("image", "render", "--rootfs-only", "example.com/xr:1.0", out)
    assert_rootfs_matches(out, A.sample_files(), hardlinks=False)
    assert not (out / "manifest").exists()


def test_render_updates_last_used(rkt, img, tmp_path):
    rkt.ok("image", "gc")  # drop the tree, so that render has to read the blob
    (before,) = list_json(rkt)
    rkt.ok("image", "render", img.key, tmp_path / "r")
    (after,) = list_json(rkt)
    assert after["last_used_time"] > before["last_used_time"]


def test_render_after_tree_removed(rkt, img, tmp_path):
    rkt.ok("image", "gc")
    assert rkt.tree_ids() == []
    rkt.ok("image", "render", "--rootfs-only", img.key, tmp_path / "r")
    assert_rootfs_matches(tmp_path / "r", A.sample_files(), hardlinks=False)
    assert rkt.tree_ids() == [img.tree_id]


# --------------------------------------------------------------------------- dependencies

BASE_FILES = {
    "base-only": A.File("from base\n"),
    "shared": A.File("shared from base\n"),
    "dropped": A.File("base file not in the whitelist\n"),
    "basedir": A.Dir(),
    "basedir/nested": A.File("nested from base\n"),
}
TOP_FILES = {
    "top-only": A.File("from top\n", mode=0o755),
    "shared": A.File("shared from top\n", mode=0o600),
}


@pytest.fixture
def deps(rkt, mkaci):
    """`example.com/top` depends (by name) on `example.com/base`, both in the store."""
    base = mkaci("example.com/base", "1.0", files=BASE_FILES)
    m = A.default_manifest("example.com/top", "1.0",
                           dependencies=[{"imageName": "example.com/base"}])
    top = mkaci(manifest=m, files=TOP_FILES)
    rkt.fetch(base.path)
    rkt.fetch(top.path, "--pull-policy=new")
    return top, base


def test_render_merges_dependency(rkt, deps, tmp_path):
    top, base = deps
    out = tmp_path / "r"
    rkt.ok("image", "render", "--rootfs-only", "example.com/top", out)
    assert (out / "top-only").read_text() == "from top\n"
    assert stat.S_IMODE((out / "top-only").stat().st_mode) == 0o755
    assert (out / "base-only").read_text() == "from base\n"
    assert (out / "dropped").read_text() == "base file not in the whitelist\n"
    assert (out / "basedir" / "nested").read_text() == "nested from base\n"
    # the upper image wins
    assert (out / "shared").read_text() == "shared from top\n"
    assert stat.S_IMODE((out / "shared").stat().st_mode) == 0o600


def test_fetch_renders_with_dependencies(rkt, deps):
    top, base = deps
    top_tree = A.tree_store_id([top.key, base.key])
    assert rkt.tree_ids() == sorted([top_tree, base.tree_id])
    root = rkt.tree_path(top_tree) / "rootfs"
    assert (root / "shared").read_text() == "shared from top\n"
    assert (root / "base-only").read_text() == "from base\n"


def test_render_full_with_dependency_has_top_manifest(rkt, deps, tmp_path):
    top, base = deps
    out = tmp_path / "r"
    rkt.ok("image", "render", top.key, out)
    assert json.loads((out / "manifest").read_text())["name"] == "example.com/top"
    assert (out / "rootfs" / "base-only").is_file()


def test_render_path_whitelist(rkt, mkaci, tmp_path):
    base = mkaci("example.com/base", "1.0", files=BASE_FILES)
    m = A.default_manifest("example.com/top-wl", "1.0",
                           dependencies=[{"imageName": "example.com/base",
                                          "labels": [{"name": "version", "value": "1.0"}]}],
                           pathWhitelist=["/top-only", "/shared", "/base-only"])
    top = mkaci(manifest=m, files=TOP_FILES)
    rkt.fetch(base.path)
    rkt.fetch(top.path, "--pull-policy=new")
    out = tmp_path / "r"
    rkt.ok("image", "render", "--rootfs-only", top.key, out)
    assert (out / "top-only").read_text() == "from top\n"
    assert (out / "shared").read_text() == "shared from top\n"
    assert (out / "base-only").read_text() == "from base\n"
    assert not (out / "dropped").exists()
    assert not (out / "basedir" / "nested").exists()


def test_render_missing_dependency(rkt, deps, tmp_path):
    top, base = deps
    rkt.ok("image", "rm", base.key)
    r = rkt.fail("image", "render", "--rootfs-only", top.key, tmp_path / "r")
    assert "example.com/base" in r.err
    assert not (tmp_path / "r").exists()
