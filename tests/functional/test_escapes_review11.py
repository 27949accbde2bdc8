# SPDX-License-Identifier: Apache-2.0
"""Hostile review 11.

- `rkt app add` of an image given by its full ID finds the image by its files and opens the
  store's index while the app_add entrypoint runs (store_open_deferred()): an index a member
  of group rkt broke (a newer schema version, garbage) or one without the image must still
  refuse the add with rkt's message and exit status 254, and leave the pod as it was (P/pod,
  P/appsinfo, S1/opt/stage2/<app>, S1's records, no mount of the app's root left)."""
import contextlib
import os
import sqlite3
from pathlib import Path

import pytest

from podtest import img, needs_root  # noqa: F401
from test_escapes_review2 import Sandbox, image_id, sh, spods  # noqa: F401

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

