# SPDX-License-Identifier: Apache-2.0
"""Resolving IMAGE arguments of the image commands: ID prefixes and names with labels
(SPEC.md §3.17, §5.6, §6.1 ResolveKey, §11.9 TestShortHash)."""
import itertools
import json
import time

import pytest

import aci as A

pytestmark = pytest.mark.offline


def colliding_pair(tmp_path, digits):
    """Two ACIs whose IDs share the first `digits` hex digits, found by varying a label
    (deterministic: the same pair every run)."""
    seen = {}
    for i in itertools.count():
        files = {"hello.txt": A.File(f"collision candidate {i}\n")}
        m = A.default_manifest("example.com/collide", labels={"attempt": str(i)})
        key = A.image_id(A.build_tar(m, files))
        prefix = key[7:7 + digits]
        if prefix in seen:
            j, mj = seen[prefix]
            a = A.build_aci(tmp_path / f"c{j}.aci", mj, {"hello.txt": A.File(
                f"collision candidate {j}\n")})
            b = A.build_aci(tmp_path / f"c{i}.aci", m, files)
            assert a.key[:7 + digits] == b.key[:7 + digits] and a.key != b.key
            return a, b
        seen[prefix] = (i, m)


@pytest.fixture
def pair(rkt, tmp_path):
    a, b = colliding_pair(tmp_path, 2)
    rkt.fetch(a.path)
    rkt.fetch(b.path)
    return a, b


def cat(rkt, ref, **kw):
    return rkt("image", "cat-manifest", "--pretty-print=false", ref, **kw)


def test_no_image_ids_found(rkt, pair):
    a, b = pair
    prefix = next(p for p in ("12341234", "43214321") if not a.hexid.startswith(p)
                  and not b.hexid.startswith(p))
    r = cat(rkt, "sha512-" + prefix)
    assert r.code == 254, r
    assert "no image IDs found" in r.err


def test_image_id_too_short(rkt, pair):
    a, b = pair
    r = cat(rkt, "sha512-" + a.hexid[0])
    assert r.code == 254, r
    assert "image ID too short" in r.err


def test_ambiguous_image_id(rkt, pair):
    a, b = pair
    r = cat(rkt, "sha512-" + a.hexid[:2])
    assert r.code == 254, r
    assert "ambiguous image ID" in r.err


def test_prefix_long_enough_to_disambiguate(rkt, pair):
    a, b = pair
    n = next(n for n in range(3, 64) if a.hexid[:n] != b.hexid[:n])
    for img in (a, b):
        r = cat(rkt, "sha512-" + img.hexid[:n])
        assert r.code == 0, r
        assert json.loads(r.out)["labels"] == img.manifest["labels"]


def test_key_longer_than_71_chars_is_truncated(rkt, pair):
    a, b = pair
    r = cat(rkt, a.key + "0123")
    assert r.code == 0, r
    assert json.loads(r.out)["labels"] == a.manifest["labels"]


@pytest.mark.parametrize("cmd", ["cat-manifest", "export", "extract", "render", "verify"])
def test_short_ids_work_everywhere(rkt, pair, tmp_path, cmd):
    a, b = pair
    extra = {"export": [tmp_path / "o.aci"], "extract": [tmp_path / "o"],
             "render": [tmp_path / "o"]}.get(cmd, [])
    r = rkt("image", cmd, a.short19, *extra)
    assert r.code == 0, r
    if cmd == "export":
        assert (tmp_path / "o.aci").read_bytes() == a.tar
    if cmd in ("extract", "render"):
        assert (tmp_path / "o" / "rootfs" / "hello.txt").is_file()


def test_short_id_rm(rkt, pair):
    a, b = pair
    r = rkt.ok("image", "rm", a.short19)
    assert r.out == f'successfully removed aci for image: "{a.key}"\n'
    assert "rm: 1 image(s) successfully removed" in r.err


# --------------------------------------------------------------------------- names

@pytest.fixture
def versions(rkt, mkaci):
    """Three images named example.com/multi, imported in the order 1.0, 3.0, 2.0."""
    imgs = {}
    for v, extra in (("1.0", {"channel": "stable"}), ("3.0", {"channel": "beta"}),
                     ("2.0", {"channel": "stable"})):
        imgs[v] = mkaci("example.com/multi", v, labels=extra)
        rkt.fetch(imgs[v].path)
        time.sleep(0.02)
    return imgs


def resolved_version(rkt, ref):
    r = cat(rkt, ref)
    assert r.code == 0, r
    return {l["name"]: l["value"] for l in json.loads(r.out)["labels"]}["version"]


def test_name_picks_most_recently_imported(rkt, versions):
    assert resolved_version(rkt, "example.com/multi") == "2.0"


def test_name_version(rkt, versions):
    for v in ("1.0", "2.0", "3.0"):
        assert resolved_version(rkt, f"example.com/multi:{v}") == v
        assert resolved_version(rkt, f"example.com/multi,version={v}") == v


def test_name_labels(rkt, versions):
    assert resolved_version(rkt, "example.com/multi,channel=beta") == "3.0"
    assert resolved_version(rkt, "example.com/multi,channel=stable") == "2.0"
    assert resolved_version(rkt, "example.com/multi,os=linux,arch=amd64") == "2.0"
    assert resolved_version(rkt, "example.com/multi:1.0,channel=stable") == "1.0"


def test_newer_import_wins(rkt, versions, mkaci):
    newest = mkaci("example.com/multi", "0.5", labels={"channel": "stable"})
    rkt.fetch(newest.path)
    assert resolved_version(rkt, "example.com/multi") == "0.5"
    assert resolved_version(rkt, "example.com/multi,channel=stable") == "0.5"


@pytest.mark.parametrize("ref", ["example.com/multi:9.9", "example.com/multi,channel=nightly",
                                 "example.com/multi:3.0,channel=stable",
                                 "example.com/multi,arch=arm64", "example.com/other"])
def test_cannot_find(rkt, versions, ref):
    r = cat(rkt, ref)
    assert r.code == 254, r
    assert "cannot find aci satisfying name" in r.err


def test_no_os_arch_defaulting(rkt, mkaci):
    m = A.default_manifest("example.com/nolabels", version=None)
    m["labels"] = []
    a = mkaci(manifest=m)
    rkt.fetch(a.path)
    r = cat(rkt, "example.com/nolabels")
    assert r.code == 0, r
    assert json.loads(r.out)["name"] == "example.com/nolabels"
