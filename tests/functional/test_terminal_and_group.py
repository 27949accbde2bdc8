# SPDX-License-Identifier: Apache-2.0
"""The progress bar of a fetch on a terminal (and its absence elsewhere), and the store's
group permissions: members of group "rkt" list and fetch images without root (SPEC.md
§6.1), but cannot garbage-collect the tree store."""
import grp
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import Rkt, remove_test_tree

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"


def test_progress_bar_on_a_terminal(rkt, big_plain_aci):
    master, slave = os.openpty()
    try:
        proc = subprocess.run(rkt.argv(INSECURE, "fetch", big_plain_aci.path),
                              stdout=subprocess.PIPE, stderr=slave, timeout=120)
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the writer side is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    err = b"".join(chunks).decode()
    assert proc.returncode == 0, err
    assert "Importing ACI: [" in err
    last = err.replace("\r\n", "\n").split("\r")[-1]
    m = re.search(r"\] (\d+\.\d) MB/(\d+\.\d) MB\n$", last)
    assert m and m.group(1) == m.group(2), last
    assert "[" + "=" * 40 + "]" in last, last


def test_no_progress_bar_without_a_terminal(rkt, big_plain_aci):
    r = rkt.ok(INSECURE, "fetch", big_plain_aci.path)
    assert r.err == ""


@pytest.fixture
def shared_store(mkaci):
    """A store under a directory every user may traverse, holding one fetched image."""
    try:
        gid = grp.getgrnam("rkt").gr_gid
    except KeyError:
        pytest.fail('group "rkt" is missing: scripts/setup-debian.sh creates it')
    top = Path(tempfile.mkdtemp(prefix="rkt-group-test-", dir="/tmp"))
    os.chmod(top, 0o755)
    root = Rkt(top / "cfg", dir=top / "data", offline=True)
    for d in (root.local, root.system, root.user, top / "cfg"):
        os.chmod(d, 0o755)
    a = mkaci("example.com/shared")
    root.fetch(a.path)
    yield root, gid, mkaci
    remove_test_tree(top)


def as_member(gid):
    """setpriv prefix: an unprivileged uid whose only group is rkt."""
    return ["setpriv", "--reuid=65534", "--regid=65534", f"--groups={gid}",
            "--inh-caps=-all", "--bounding-set=-all"]


def run_as_member(root, gid, *argv):
    cmd = root.prefix() + as_member(gid) + root.args() + [str(a) for a in argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/")


def test_group_member_lists_and_fetches(shared_store, tmp_path):
    root, gid, mkaci = shared_store
    r = run_as_member(root, gid, "image", "list", "--no-legend", "--fields=name")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "example.com/shared:1.0.0\n"
    b = mkaci("example.com/member")
    world = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        os.chmod(world, 0o755)
        img = world / "member.aci"
        shutil.copy(b.path, img)
        os.chmod(img, 0o644)
        r = run_as_member(root, gid, INSECURE, "fetch", img)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == b.short
    finally:
        shutil.rmtree(world)
    names = root.ok("image", "list", "--no-legend", "--fields=name").out.split()
    assert sorted(names) == ["example.com/member:1.0.0", "example.com/shared:1.0.0"]


def test_group_member_cannot_gc_the_tree_store(shared_store):
    root, gid, _ = shared_store
    r = run_as_member(root, gid, "image", "gc")
    assert r.returncode == 254, r
    assert "ermission denied" in r.stderr
    assert len(root.tree_ids()) == 1
