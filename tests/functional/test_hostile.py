# SPDX-License-Identifier: Apache-2.0
"""Hostile and broken archives (DESIGN.md §7): each must be refused with exit 254, a single
`fetch: ` line naming the cause, no change to the store, nothing left in cas/tmp, and
nothing written outside the store."""
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

import aci as A
from storeutil import assert_store_unchanged, snapshot

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"
GOOD_FILES = {"hello.txt": A.File("hello\n"), "bin/tool": A.File(b"\x7fELF" + bytes(60_000),
                                                                  mode=0o755)}


@pytest.fixture
def outside(tmp_path):
    """A directory outside the store that hostile archives aim at, with a victim file."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "victim").write_text("precious\n")
    return d


@pytest.fixture
def seeded(rkt, mkaci):
    """A store that already holds one (rendered) image; returns its snapshot."""
    good = mkaci("example.com/good", files=GOOD_FILES)
    rkt.fetch(good.path)
    return snapshot(rkt)


def manifest():
    return A.default_manifest("example.com/hostile")


def reject(rkt, path, before, outside, must=(), any_of=()):
    r = rkt(INSECURE, "fetch", path)
    assert r.code == 254, r
    assert r.out == "", r
    lines = r.err.splitlines()
    assert len(lines) == 1, r
    assert lines[0].startswith("fetch: "), r
    for s in must:
        assert s in r.err, (s, r)
    if any_of:
        assert any(s.lower() in r.err.lower() for s in any_of), (any_of, r)
    assert_store_unchanged(rkt, before)
    assert sorted(os.listdir(outside)) == ["victim"]
    assert (outside / "victim").read_text() == "precious\n"
    assert os.stat(outside / "victim").st_nlink == 1
    return r


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --------------------------------------------------------------------------- broken streams

TRUNC_WORDS = ("truncat", "unexpected eof", "unexpected end", "premature", "short read")


def good_tar():
    return A.build_tar(manifest(), GOOD_FILES)


def test_truncated_tar(rkt, seeded, outside, tmp_path):
    tar = good_tar()
    offset = tar.index(b"\x7fELF") + 20_000  # inside bin/tool's data
    p = write(tmp_path, "trunc.aci", tar[:offset])
    reject(rkt, p, seeded, outside, any_of=TRUNC_WORDS)


def test_truncated_tar_inside_header(rkt, seeded, outside, tmp_path):
    tar = good_tar()
    members = tarfile.open(fileobj=io.BytesIO(tar)).getmembers()
    last_header = members[-1].offset
    p = write(tmp_path, "trunc-hdr.aci", tar[:last_header + 300])
    reject(rkt, p, seeded, outside, any_of=TRUNC_WORDS)


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", "zst"])
def test_truncated_compressed(rkt, seeded, outside, tmp_path, compression):
    data = A.compress(good_tar(), compression)
    p = write(tmp_path, "trunc-c.aci", data[:len(data) // 2])
    reject(rkt, p, seeded, outside, any_of=TRUNC_WORDS + ("corrupt", "damaged", "invalid",
                                                          "decompress", "error"))


def test_corrupt_gzip(rkt, seeded, outside, tmp_path):
    data = A.corrupt_gzip_stream(A.compress(good_tar(), "gz"))
    p = write(tmp_path, "corrupt.aci", data)
    reject(rkt, p, seeded, outside, any_of=("gzip", "inflate", "decompress", "corrupt",
                                            "invalid", "damaged"))


@pytest.mark.parametrize("data", [A.garbage(), b"", b"\x1f", b"ustar" * 100],
                         ids=["garbage", "empty", "one-byte", "ustar-words"])
def test_not_an_image(rkt, seeded, outside, tmp_path, data):
    p = write(tmp_path, "garbage.aci", data)
    reject(rkt, p, seeded, outside, must=("unknown image filetype",))


# --------------------------------------------------------------------------- manifests

def test_missing_manifest(rkt, seeded, outside, tmp_path):
    p = write(tmp_path, "nomanifest.aci", A.build_tar(None, GOOD_FILES))
    reject(rkt, p, seeded, outside, must=("manifest",))


BAD_MANIFESTS = {
    "not-json": ('{"acKind": "ImageManifest", "acVersion": "0.8.11", "name": ', ()),
    "json-array": ("[]", ()),
    "wrong-kind": (json.dumps({**manifest(), "acKind": "PodManifest"}), ("ackind",)),
    "no-version": (json.dumps({k: v for k, v in manifest().items() if k != "acVersion"}),
                   ("acversion",)),
    "no-name": (json.dumps({k: v for k, v in manifest().items() if k != "name"}), ("name",)),
    "bad-name": (json.dumps({**manifest(), "name": "Not A Valid Name!"}),
                 ("not a valid name!", "name")),
    "labels-object": (json.dumps({**manifest(), "labels": {"version": "1"}}), ("labels",)),
    "duplicate-label": (json.dumps({**manifest(), "labels": [{"name": "os", "value": "linux"},
                                                             {"name": "os", "value": "x"}]}),
                        ("label", "os")),
    "app-without-user": (json.dumps({**manifest(), "app": {"exec": ["/bin/true"],
                                                           "group": "0"}}), ("user",)),
    "relative-exec": (json.dumps({**manifest(), "app": {"exec": ["bin/true"], "user": "0",
                                                        "group": "0"}}), ("exec", "absolute")),
}


@pytest.mark.parametrize("case", list(BAD_MANIFESTS))
def test_invalid_manifest(rkt, seeded, outside, tmp_path, case):
    text, words = BAD_MANIFESTS[case]
    p = write(tmp_path, f"{case}.aci", A.build_tar(text, GOOD_FILES))
    reject(rkt, p, seeded, outside, any_of=("manifest",) + words)


# --------------------------------------------------------------------------- escaping members

def escape_cases(outside):
    o = str(outside)
    up = "../" * 40
    return {
        "absolute-name": ([A.Raw(o + "/abs-escape", data=b"pwned")], o + "/abs-escape"),
        "absolute-rootfs-name": ([A.Raw("/rootfs/abs-in-rootfs", data=b"x")],
                                 "/rootfs/abs-in-rootfs"),
        "dotdot-name": ([A.Raw("rootfs/" + up + o[1:] + "/dotdot-escape", data=b"pwned")],
                        "rootfs/" + up + o[1:] + "/dotdot-escape"),
        "dotdot-short": ([A.Raw("rootfs/a/../../../escape-rel", data=b"pwned")],
                         "rootfs/a/../../../escape-rel"),
        "dotdot-dir": ([A.Raw("rootfs/" + up + o[1:] + "/newdir", type=tarfile.DIRTYPE,
                              mode=0o755)], "rootfs/" + up + o[1:] + "/newdir"),
        "through-abs-symlink": ([A.Raw("rootfs/evil", type=tarfile.SYMTYPE, linkname=o),
                                 A.Raw("rootfs/evil/through-symlink", data=b"pwned")],
                                "rootfs/evil/through-symlink"),
        "through-rel-symlink": ([A.Raw("rootfs/evil", type=tarfile.SYMTYPE,
                                       linkname=up + o[1:]),
                                 A.Raw("rootfs/evil/through-symlink", data=b"pwned")],
                                "rootfs/evil/through-symlink"),
        "through-symlinked-dir-chain": ([A.Raw("rootfs/d", type=tarfile.DIRTYPE, mode=0o755),
                                         A.Raw("rootfs/d/up", type=tarfile.SYMTYPE,
                                               linkname=up + o[1:]),
                                         A.Raw("rootfs/d/up/victim", data=b"overwritten")],
                                        "rootfs/d/up/victim"),
        "hardlink-absolute": ([A.Raw("rootfs/hl", type=tarfile.LNKTYPE,
                                     linkname=o + "/victim")], "rootfs/hl"),
        "hardlink-dotdot": ([A.Raw("rootfs/hl", type=tarfile.LNKTYPE,
                                   linkname="rootfs/" + up + o[1:] + "/victim")], "rootfs/hl"),
        "hardlink-to-manifest": ([A.Raw("rootfs/hl", type=tarfile.LNKTYPE,
                                        linkname="manifest")], "rootfs/hl"),
        "hardlink-through-symlink": ([A.Raw("rootfs/out", type=tarfile.SYMTYPE, linkname=o),
                                      A.Raw("rootfs/hl", type=tarfile.LNKTYPE,
                                            linkname="rootfs/out/victim")], "rootfs/hl"),
    }


ESCAPES = list(escape_cases(Path("/x")))


@pytest.mark.parametrize("case", ESCAPES)
@pytest.mark.parametrize("compression", [None, "gz"], ids=["plain", "gz"])
def test_escaping_member(rkt, seeded, outside, tmp_path, case, compression):
    members, name = escape_cases(outside)[case]
    a = A.build_aci(tmp_path / f"{case}.aci", manifest(), GOOD_FILES, compression,
                    extra_members=members)
    reject(rkt, a.path, seeded, outside, must=(name,))
    assert not (rkt.cas / "escape-rel").exists() and not (rkt.cas / "tree" / "escape-rel").exists()


# --------------------------------------------------------------------------- duplicates

DUPLICATES = {
    "file-twice": ([A.Raw("rootfs/dup", data=b"one"), A.Raw("rootfs/dup", data=b"two")],
                   "rootfs/dup"),
    "file-then-symlink": ([A.Raw("rootfs/dup", data=b"one"),
                           A.Raw("rootfs/dup", type=tarfile.SYMTYPE, linkname="/etc/passwd")],
                          "rootfs/dup"),
    "existing-file": ([A.Raw("rootfs/hello.txt", data=b"replaced")], "rootfs/hello.txt"),
    "manifest-twice": ([A.Raw("manifest", data=json.dumps(
        A.default_manifest("example.com/other")).encode())], "manifest"),
}


@pytest.mark.parametrize("case", list(DUPLICATES))
def test_duplicate_entries(rkt, seeded, outside, tmp_path, case):
    members, name = DUPLICATES[case]
    a = A.build_aci(tmp_path / f"{case}.aci", manifest(), GOOD_FILES, extra_members=members)
    r = reject(rkt, a.path, seeded, outside, must=(name,))
    assert "duplicate" in r.err.lower()


def test_rejections_leave_empty_store_empty(rkt, outside, tmp_path):
    """Same checks on a store that does not exist yet."""
    before = snapshot(rkt)
    members, name = escape_cases(outside)["through-abs-symlink"]
    a = A.build_aci(tmp_path / "x.aci", manifest(), GOOD_FILES, extra_members=members)
    assert before["list"] == "\n"
    reject(rkt, a.path, before, outside, must=(name,))
