# SPDX-License-Identifier: Apache-2.0
"""Store robustness (DESIGN.md §5, §7): decompression bombs on a small file system, device
nodes in images, concurrent fetches, and fetches killed at arbitrary points."""
import os
import subprocess
import time

import pytest

import aci as A
from conftest import Rkt, kill_quietly
from storeutil import (assert_store_unchanged, device_nodes_under, list_json, sha512_file,
                       snapshot, tmp_entries)

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"
MiB = 1 << 20


def used_bytes(path):
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


# --------------------------------------------------------------------------- bomb

@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small-fs"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)]).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)])


def test_decompression_bomb_fails_cleanly(tmp_path, small_fs, gzip_bomb, mkaci):
    assert gzip_bomb.stat().st_size < 8 * MiB
    rkt = Rkt(tmp_path, dir=small_fs / "data", offline=True)
    first = mkaci("example.com/before-bomb", files={"f": A.File(b"x" * 100_000)})
    rkt.fetch(first.path)
    before = snapshot(rkt)
    used = used_bytes(small_fs)
    r = rkt(INSECURE, "fetch", gzip_bomb, timeout=120)
    assert r.code == 254, r
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fetch: "), r
    assert "no space left on device" in r.err.lower(), r
    assert_store_unchanged(rkt, before)
    assert abs(used_bytes(small_fs) - used) <= MiB, (used, used_bytes(small_fs))
    # the store still works
    after = mkaci("example.com/after-bomb", files={"g": A.File(b"y" * 100_000)})
    assert rkt.fetch(after.path) == after.key
    assert sorted(i["id"] for i in list_json(rkt)) == sorted([first.key, after.key])
    assert tmp_entries(rkt) == []


# --------------------------------------------------------------------------- devices

DEVICE_FILES = {
    "bin/sh": A.File(b"#!/bin/true\n", mode=0o755),
    "dev": A.Dir(),
    "dev/console": A.CharDev(5, 1, 0o600),
    "dev/null": A.CharDev(1, 3, 0o666),
    "dev/zero": A.CharDev(1, 5, 0o666),
    "dev/sda": A.BlockDev(8, 0, 0o660),
    "dev/pts": A.Dir(),
    "run/initctl": A.Fifo(0o600),
    "etc/hostname": A.File("debootstrap\n"),
}


def test_device_nodes_never_reach_the_host(rkt, mkaci, tmp_path):
    a = mkaci("example.com/debootstrap", files=DEVICE_FILES)
    r = rkt(INSECURE, "fetch", "--full", a.path, timeout=30)
    assert r.code == 0, r
    assert r.out == a.key + "\n"
    outs = []
    for cmd, flags in (("render", []), ("render", ["--rootfs-only"]),
                       ("extract", []), ("extract", ["--rootfs-only"])):
        out = tmp_path / f"{cmd}{len(flags)}"
        r = rkt("image", cmd, *flags, a.key, out, timeout=30)
        assert r.code == 0, r
        outs.append(out)
        root = out if flags else out / "rootfs"
        assert (root / "bin" / "sh").read_bytes() == b"#!/bin/true\n"
        assert (root / "etc" / "hostname").read_text() == "debootstrap\n"
    r = rkt("image", "verify", a.key, timeout=30)
    assert r.code == 0, r
    assert "successfully verified checksum" in r.out
    for d in outs + [rkt.cas / "tree"]:
        assert device_nodes_under(d) == [], d
    assert (rkt.tree_path(a.tree_id) / "rootfs" / "etc" / "hostname").is_file()


# --------------------------------------------------------------------------- concurrency

def test_concurrent_fetch_of_the_same_image(rkt, big_plain_aci):
    a = big_plain_aci
    procs = [rkt.popen(INSECURE, "fetch", "--full", a.path) for _ in range(2)]
    try:
        results = [p.communicate(timeout=180) + (p.returncode,) for p in procs]
    finally:
        for p in procs:
            kill_quietly(p)
    for out, err, code in results:
        assert code == 0, (out, err)
        assert out == a.key + "\n", (out, err)
    assert [i["id"] for i in list_json(rkt)] == [a.key]
    assert rkt.tree_ids() == [a.tree_id]
    assert tmp_entries(rkt) == []
    assert "sha512-" + sha512_file(rkt.blob_path(a.key))[:64] == a.key
    assert rkt.ok("image", "verify", a.key).out.startswith("successfully verified checksum")


def test_concurrent_fetch_of_different_images(rkt, mkaci):
    imgs = [mkaci(f"example.com/par{i}", files=A.random_files(i, 4, 1 << 20))
            for i in range(4)]
    procs = [rkt.popen(INSECURE, "fetch", "--full", a.path) for a in imgs]
    try:
        results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    finally:
        for p in procs:
            kill_quietly(p)
    for a, (out, err, code) in zip(imgs, results):
        assert code == 0, (out, err)
        assert out == a.key + "\n"
    assert sorted(i["id"] for i in list_json(rkt)) == sorted(a.key for a in imgs)
    assert rkt.tree_ids() == sorted(a.tree_id for a in imgs)
    assert tmp_entries(rkt) == []


def test_image_list_during_fetch(rkt, big_plain_aci):
    p = rkt.popen(INSECURE, "fetch", "--full", big_plain_aci.path)
    try:
        while p.poll() is None:
            r = rkt("image", "list", "--format=json")
            assert r.code == 0, r
            time.sleep(0.05)
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
    finally:
        kill_quietly(p)


# --------------------------------------------------------------------------- crashes

def bytes_under(d):
    total = 0
    for dirpath, dirnames, filenames in os.walk(d):
        for n in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, n)).st_size
            except FileNotFoundError:
                pass
    return total


def rendered_files(rkt):
    n = 0
    for t in rkt.tree_ids():
        for _, _, files in os.walk(rkt.tree_path(t)):
            n += len(files)
    return n


KILL_POINTS = ["0.05s", "0.2s", "0.5s", "mid-import", "mid-render"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_fetch_killed(rkt, big_gz_aci, point):
    a = big_gz_aci
    p = rkt.popen(INSECURE, "fetch", "--full", a.path)
    try:
        if point.endswith("s"):
            time.sleep(float(point[:-1]))
        else:
            deadline = time.monotonic() + 60
            while p.poll() is None and time.monotonic() < deadline:
                if point == "mid-import" and bytes_under(rkt.dir) >= 100 * MiB:
                    break
                if point == "mid-render" and rendered_files(rkt) >= 20:
                    break
                time.sleep(0.005)
        killed = p.poll() is None
        kill_quietly(p)
    finally:
        kill_quietly(p)

    r = rkt("image", "list", "--format=json")
    assert r.code == 0, r
    listed = [i["id"] for i in (list_json(rkt))]
    assert listed in ([], [a.key]), listed
    if listed:
        # fully present: the whole blob and the manifest
        assert "sha512-" + sha512_file(rkt.blob_path(a.key))[:64] == a.key
        assert rkt.manifest_path(a.key).is_file()
        assert rkt.ok("image", "cat-manifest", a.key).out
    else:
        assert not rkt.blob_path(a.key).exists()

    assert rkt.fetch(a.path) == a.key, f"refetch after kill (killed={killed})"
    assert [i["id"] for i in list_json(rkt)] == [a.key]
    assert tmp_entries(rkt) == []
    assert rkt.tree_ids() == [a.tree_id]
    r = rkt.ok("image", "verify", a.key)
    assert r.out == f'successfully verified checksum for image: "{a.key}" ("{a.key}")\n'


# --------------------------------------------------------------------------- index

def test_the_index_log_stays_small(rkt, mkaci):
    """Every command that writes the index appends to SQLite's log (store.sqlite-wal), and
    the first command to open the index after another closed it reads the whole log back:
    the log is written back into the index often enough that this stays a few pages (with
    SQLite's default, up to 1,000 pages of 4 KiB, about 3 ms of every later command)."""
    a = mkaci("example.com/wal")
    for _ in range(150):  # each fetch of a stored image updates its row: a page or two
        r = rkt(INSECURE, "fetch", "--full", a.path)
        assert r.code == 0, r
    wal = rkt.dir / "cas" / "db" / "store.sqlite-wal"
    assert wal.stat().st_size <= 80 * (4096 + 24), wal.stat().st_size
