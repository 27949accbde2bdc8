# SPDX-License-Identifier: Apache-2.0
"""`rkt image rm` (SPEC.md §3.17, §11.9)."""
import pytest

from storeutil import list_json

pytestmark = pytest.mark.offline


def removed_line(key):
    return f'successfully removed aci for image: "{key}"\n'


@pytest.fixture
def two(rkt, mkaci):
    a = mkaci("example.com/rm-a", "1.0")
    b = mkaci("example.com/rm-b", "2.0")
    rkt.fetch(a.path)
    rkt.fetch(b.path)
    return a, b


def assert_gone(rkt, img, others):
    assert [i["id"] for i in list_json(rkt)] == [o.key for o in others]
    assert not rkt.blob_path(img.key).exists()
    assert not rkt.manifest_path(img.key).exists()
    for o in others:
        assert rkt.blob_path(o.key).is_file()
        assert rkt.manifest_path(o.key).is_file()


@pytest.mark.parametrize("ref", ["name", "name:version", "name,version", "key", "short19",
                                 "prefix10"])
def test_rm_one(rkt, two, ref):
    a, b = two
    arg = {"name": "example.com/rm-a", "name:version": "example.com/rm-a:1.0",
           "name,version": "example.com/rm-a,version=1.0", "key": a.key,
           "short19": a.short19, "prefix10": a.key[:17]}[ref]
    r = rkt.ok("image", "rm", arg)
    assert r.out == removed_line(a.key)
    assert r.err == "rm: 1 image(s) successfully removed\n"
    assert_gone(rkt, a, [b])


def test_rm_keeps_tree_store(rkt, two):
    a, b = two
    assert a.tree_id in rkt.tree_ids()
    rkt.ok("image", "rm", a.key)
    assert sorted([a.tree_id, b.tree_id]) == rkt.tree_ids()
    assert (rkt.tree_path(a.tree_id) / "rootfs" / "hello.txt").is_file()


def test_rm_two(rkt, two):
    a, b = two
    r = rkt.ok("image", "rm", b.key, "example.com/rm-a")
    # order of removal is unspecified
    assert sorted(r.out.splitlines(True)) == sorted([removed_line(b.key), removed_line(a.key)])
    assert r.err == "rm: 2 image(s) successfully removed\n"
    assert list_json(rkt) == []


def test_rm_name_and_id_of_same_image_counts_once(rkt, two):
    a, b = two
    r = rkt.ok("image", "rm", "example.com/rm-a", a.key, a.short19)
    assert r.out == removed_line(a.key)
    assert r.err == "rm: 1 image(s) successfully removed\n"
    assert_gone(rkt, a, [b])


def test_rm_unknown_name_is_reported_but_not_an_error(rkt, two):
    a, b = two
    r = rkt.ok("image", "rm", "example.com/nope")
    assert r.out == ""
    assert "example.com/nope" in r.err
    assert "cannot find aci satisfying name" in r.err
    assert "successfully removed" not in r.err
    assert len(list_json(rkt)) == 2


def test_rm_unknown_id_is_reported_but_not_an_error(rkt, two):
    a, b = two
    bad = "sha512-" + next(d for d in "0123456789abcdef"
                           if d not in (a.hexid[0], b.hexid[0])) * 12
    r = rkt.ok("image", "rm", bad)
    assert r.out == ""
    assert "no image IDs found" in r.err
    assert len(list_json(rkt)) == 2


def test_rm_mixed_known_and_unknown(rkt, two):
    a, b = two
    r = rkt.ok("image", "rm", "example.com/nope", a.key)
    assert r.out == removed_line(a.key)
    assert "cannot find aci satisfying name" in r.err
    assert r.err.endswith("rm: 1 image(s) successfully removed\n")
    assert_gone(rkt, a, [b])


def test_rm_twice(rkt, two):
    a, b = two
    rkt.ok("image", "rm", a.key)
    r = rkt.ok("image", "rm", a.key)
    assert r.out == ""
    assert "no image IDs found" in r.err


def test_rm_without_arguments(rkt, two):
    r = rkt.fail("image", "rm")
    assert "must provide at least one image ID" in r.err
    assert len(list_json(rkt)) == 2


def test_rm_then_refetch(rkt, two):
    a, b = two
    rkt.ok("image", "rm", a.key)
    assert rkt.fetch(a.path) == a.key
    assert rkt.blob_path(a.key).read_bytes() == a.tar
    assert sorted(i["id"] for i in list_json(rkt)) == sorted([a.key, b.key])
