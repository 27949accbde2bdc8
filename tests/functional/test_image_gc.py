# SPDX-License-Identifier: Apache-2.0
"""`rkt image gc` (SPEC.md §3.17, §11.9). There are no pods yet, so every tree store
entry is unreferenced."""
import time

import pytest

from storeutil import list_json

pytestmark = pytest.mark.offline


def test_gc_removes_unreferenced_trees_and_keeps_recent_images(rkt, mkaci):
    a = mkaci("example.com/gc-a")
    b = mkaci("example.com/gc-b")
    rkt.fetch(a.path)
    rkt.fetch(b.path)
    assert rkt.tree_ids() == sorted([a.tree_id, b.tree_id])
    r = rkt.ok("image", "gc")
    assert f'removed treestore "{a.tree_id}"' in r.err
    assert f'removed treestore "{b.tree_id}"' in r.err
    assert (rkt.cas / "tree").is_dir()
    assert list((rkt.cas / "tree").iterdir()) == []
    # default grace period 24h: images stay
    assert sorted(i["id"] for i in list_json(rkt)) == sorted([a.key, b.key])
    assert "successfully removed aci" not in r.out
    assert rkt.blob_path(a.key).is_file() and rkt.blob_path(b.key).is_file()


def test_gc_zero_grace_period_removes_images(rkt, mkaci):
    a = mkaci("example.com/gc-a")
    b = mkaci("example.com/gc-b")
    rkt.fetch(a.path)
    rkt.fetch(b.path)
    r = rkt.ok("image", "gc", "--grace-period=0s")
    assert sorted(r.out.splitlines()) == sorted(
        [f'successfully removed aci for image: "{k}"' for k in (a.key, b.key)])
    assert "2 image(s) successfully removed" in r.err
    assert list_json(rkt) == []
    assert not rkt.blob_path(a.key).exists() and not rkt.manifest_path(b.key).exists()
    assert rkt.tree_ids() == []


def test_gc_grace_period_splits_old_and_new(rkt, mkaci):
    old = mkaci("example.com/gc-old")
    new = mkaci("example.com/gc-new")
    rkt.fetch(old.path)
    time.sleep(3.5)
    rkt.fetch(new.path)
    r = rkt.ok("image", "gc", "--grace-period=3s")
    assert r.out == f'successfully removed aci for image: "{old.key}"\n'
    assert "1 image(s) successfully removed" in r.err
    assert [i["id"] for i in list_json(rkt)] == [new.key]


def test_gc_long_grace_period_keeps_everything(rkt, mkaci):
    a = mkaci("example.com/gc-a")
    rkt.fetch(a.path)
    r = rkt.ok("image", "gc", "--grace-period=1h30m")
    assert r.out == ""
    assert [i["id"] for i in list_json(rkt)] == [a.key]


def test_gc_empty_store(rkt):
    r = rkt.ok("image", "gc")
    assert r.out == ""
    assert "removed treestore" not in r.err


def test_gc_twice(rkt, mkaci):
    a = mkaci("example.com/gc-a")
    rkt.fetch(a.path)
    rkt.ok("image", "gc")
    r = rkt.ok("image", "gc")
    assert "removed treestore" not in r.err
    assert [i["id"] for i in list_json(rkt)] == [a.key]


def test_gc_then_render_again(rkt, mkaci, tmp_path):
    a = mkaci("example.com/gc-a")
    rkt.fetch(a.path)
    rkt.ok("image", "gc")
    rkt.ok("image", "render", "--rootfs-only", a.key, tmp_path / "out")
    assert (tmp_path / "out" / "hello.txt").read_text() == "hello from example.com/gc-a 1.0.0\n"
    assert rkt.tree_ids() == [a.tree_id]


@pytest.mark.parametrize("bad", ["soon", "10", "1x"])
def test_gc_bad_grace_period(rkt, mkaci, bad):
    a = mkaci("example.com/gc-a")
    rkt.fetch(a.path)
    r = rkt.fail("image", "gc", f"--grace-period={bad}")
    assert "Error: " in r.err
    assert rkt.tree_ids() == [a.tree_id]
    assert [i["id"] for i in list_json(rkt)] == [a.key]
