# SPDX-License-Identifier: Apache-2.0
"""Hostile review 11.

- `rkt app add` of an image given by its full ID finds the image by its files and opens the
  store's index while the app_add entrypoint runs (store_open_deferred()): an index a member
  of group rkt broke (a newer schema version, garbage) or one without the image must still
  refuse the add with rkt's message and exit status 254, and leave the pod as it was (P/pod,
  P/appsinfo, S1/opt/stage2/<app>, S1's records, no mount of the app's root left).
- The kubernetes log mode: the kubelet's log directory may be another app's volume; what
  that app puts where a log file goes must never be opened unless it is a regular file."""
import contextlib
import ctypes
import os
import sqlite3
import stat
import struct
from pathlib import Path

import pytest

from podtest import img, needs_root  # noqa: F401
from podtest import wait_for
from test_escapes_review2 import ENV, Sandbox, image_id, sh, spods  # noqa: F401

pytestmark = [needs_root]


def pod_files(sb):
    """P's entries and S1's records, and the host's mounts below P."""
    p = sb.path()
    files = sorted(str(f.relative_to(p)) for f in p.rglob("*")
                   if "stage1/rootfs" not in str(f) and "/overlay/" not in str(f))
    s1 = sb.s1()
    records = sorted(os.listdir(s1 / "rkt/status")) + sorted(os.listdir(s1 / "rkt/env"))
    stage2 = sorted(os.listdir(s1 / "opt/stage2"))
    mounts = sorted(ln.split()[4] for ln in Path("/proc/self/mountinfo").read_text().splitlines()
                    if str(p) in ln.split()[4])
    return files, records, stage2, mounts, (p / "pod").read_bytes()


@contextlib.contextmanager
def broken_index(spods, how):
    db = spods.dir / "cas" / "db" / "store.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as c:  # the WAL's rows into the file
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    saved = db.read_bytes()
    try:
        if how == "newer":
            with contextlib.closing(sqlite3.connect(db)) as c, c:
                c.execute("UPDATE version SET version = 99")
        elif how == "garbage":
            for extra in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{db}{extra}")
            db.write_bytes(b"this is no SQLite database\n" * 200)
        yield
    finally:
        for extra in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{db}{extra}")
        db.write_bytes(saved)


@pytest.mark.parametrize("how,msg", [
    ("newer", "greater than the current rkt expected version"),
    ("garbage", "not a database"),
])
def test_add_by_full_id_with_a_broken_index_leaves_the_pod_as_it_was(spods, image_id, how,
                                                                      msg):
    """A member breaks the index; root's app add of an image by its full ID (found by its
    files) must fail with the index's error and exit status 254, and undo the add whole."""
    sb = Sandbox(spods)
    key = image_id
    assert len(key) == len("sha512-") + 64, key
    r = sb.app("add", key, *sh("first", "true"))
    assert r.code == 0, r
    before = pod_files(sb)
    with broken_index(spods, how):
        r = sb.app("add", key, *sh("victim", "true"))
    assert r.code == 254, r
    assert msg in r.err, r
    assert "AddressSanitizer" not in r.err and "runtime error" not in r.err, r
    assert pod_files(sb) == before
    # the pod still takes the app once the index is whole again
    r = sb.app("add", key, *sh("victim", "true"))
    assert r.code == 0, r


# ------------------------------------------------------------ the kubernetes log mode

IN_OPEN, IN_NONBLOCK = 0x20, os.O_NONBLOCK


def opens_seen(fd):
    """The names of the IN_OPEN events read from the inotify descriptor fd."""
    names, buf = [], b""
    try:
        while chunk := os.read(fd, 65536):
            buf += chunk
    except BlockingIOError:
        pass
    while buf:
        _, mask, _, n = struct.unpack_from("iIII", buf)
        name = buf[16:16 + n].rstrip(b"\0").decode()
        if mask & IN_OPEN:
            names.append(name)
        buf = buf[16 + n:]
    return names


def test_a_device_node_at_a_kubernetes_log_file_is_never_opened(spods, image_id, tmp_path):
    """The kubelet's log directory may be another app's volume, and that app may make device
    nodes (CAP_MKNOD): one put where the victim's log goes must not be opened by root's log
    writer (an open acts on the host's device), as a FIFO there is not (test_escapes_review10)."""
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    logdir.mkdir()
    node = logdir / "victim.log"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the host's /dev/null
    libc = ctypes.CDLL(None, use_errno=True)
    ino = libc.inotify_init1(IN_NONBLOCK | os.O_CLOEXEC)
    assert ino >= 0, ctypes.get_errno()
    try:
        assert libc.inotify_add_watch(ino, str(logdir).encode(), IN_OPEN) >= 0
        sb = Sandbox(spods, "--net=host",
                     "--annotation=coreos.com/rkt/experiment/logmode=k8s-plain",
                     f"--annotation=coreos.com/rkt/experiment/kubernetes-log-dir={logdir}")
        r = sb.app("add", image_id, *sh("victim", "echo VICTIM-RAN"))
        assert r.code == 0, r
        r = spods("app", "start", sb.uuid, "--app=victim", env=ENV, timeout=60)
        assert r.code == 0, r
        wait_for(lambda: (sb.s1() / "rkt" / "status" / "victim").exists() or None, timeout=20,
                 what="the victim to exit")
        r = spods("app", "rm", sb.uuid, "--app=victim", env=ENV, timeout=60)
        assert r.code == 0, r  # (its log writer is gone)
        # set aside as victim.log.1, never opened; the writer made its own victim.log
        assert "victim.log.1" not in opens_seen(ino)
        assert stat.S_ISCHR((logdir / "victim.log.1").lstat().st_mode)
        assert stat.S_ISREG(node.lstat().st_mode) and "VICTIM-RAN" in node.read_text()
    finally:
        os.close(ino)
