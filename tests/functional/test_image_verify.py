# SPDX-License-Identifier: Apache-2.0
"""`rkt image verify` (SPEC.md §3.17, §11.9): tree store hash checks and repair."""
import os

import pytest

import aci as A

pytestmark = pytest.mark.offline


@pytest.fixture
def img(rkt, mkaci):
    a = mkaci("example.com/verify", "1.0", files=A.sample_files())
    rkt.fetch(a.path)
    return a


def ok_line(arg, key):
    return f'successfully verified checksum for image: "{arg}" ("{key}")\n'


@pytest.mark.parametrize("ref", ["key", "short19", "name", "name:version"])
def test_verify_ok(rkt, img, ref):
    arg = {"key": img.key, "short19": img.short19, "name": "example.com/verify",
           "name:version": "example.com/verify:1.0"}[ref]
    r = rkt.ok("image", "verify", arg)
    assert r.out == ok_line(arg, img.key)


def test_verify_several(rkt, img, mkaci):
    b = mkaci("example.com/verify-b")
    rkt.fetch(b.path)
    r = rkt.ok("image", "verify", img.key, "example.com/verify-b")
    assert r.out == ok_line(img.key, img.key) + ok_line("example.com/verify-b", b.key)


@pytest.mark.parametrize("damage", ["delete", "modify", "chmod", "add"])
def test_verify_detects_damage_and_repairs(rkt, img, damage):
    root = rkt.tree_path(img.tree_id) / "rootfs"
    target = root / "srv" / "data"
    original = target.read_bytes()
    if damage == "delete":
        target.unlink()
    elif damage == "modify":
        target.write_bytes(b"X" + original[1:])
    elif damage == "chmod":
        os.chmod(target, 0o666)
    else:
        (root / "srv" / "intruder").write_text("not from the image")
    r = rkt.ok("image", "verify", img.key)
    assert f"tree cache verification failed for image {img.key}" in r.out
    assert "successfully verified" not in r.out
    r = rkt.ok("image", "verify", img.key)
    assert r.out == ok_line(img.key, img.key)
    assert target.read_bytes() == original
    assert not (root / "srv" / "intruder").exists()


def test_verify_damage_to_other_image_only(rkt, img, mkaci):
    b = mkaci("example.com/verify-b")
    rkt.fetch(b.path)
    (rkt.tree_path(b.tree_id) / "rootfs" / "hello.txt").write_text("changed")
    r = rkt.ok("image", "verify", img.key, b.key)
    assert ok_line(img.key, img.key) in r.out
    assert f"tree cache verification failed for image {b.key}" in r.out


def test_verify_not_rendered(rkt, img):
    rkt.ok("image", "gc")
    r = rkt.ok("image", "verify", img.key)
    assert r.out == f'image "{img.key}" not rendered; no verification needed\n'


@pytest.mark.parametrize("bad", ["example.com/missing", "sha512-not-existed"])
def test_verify_unresolvable(rkt, img, bad):
    r = rkt.fail("image", "verify", bad)
    assert f"unable to resolve store key for image {bad}" in r.err


def test_render_repairs_a_damaged_tree(rkt, img, tmp_path):
    target = rkt.tree_path(img.tree_id) / "rootfs" / "srv" / "data"
    original = target.read_bytes()
    target.write_bytes(b"corrupted")
    r = rkt.ok("image", "render", "--rootfs-only", img.key, tmp_path / "r")
    assert "warning: tree cache is in a bad state. Rebuilding..." in r.err
    assert (tmp_path / "r" / "srv" / "data").read_bytes() == original
    assert rkt.ok("image", "verify", img.key).out == ok_line(img.key, img.key)
