# SPDX-License-Identifier: Apache-2.0
"""Hostile review 6 of the pod/host boundary (mutable pods, attach of their apps, the store).
Each test is an attack that must fail. As in test_escapes_review2.py, an app's image is
untrusted and may grant itself CAP_SYS_PTRACE and every system call: it then reaches the
stage1's root (S1 = P/stage1/rootfs) through /proc/1/root and may replace anything there
while root adds and starts other apps."""
import os
import secrets
import subprocess
import sys

import pytest

import imageutil
from podtest import needs_root, pods, wait_for  # noqa: F401
from podtest import img  # noqa: F401
from ptraceutil import TRACER, build_static
from test_escapes_review2 import Sandbox, sh, spods, image_id  # noqa: F401
from test_escapes_runtime import UNLINK, WITH_HOST_KEYS
from test_escapes_store import root_fetch_with_a_member_link, shared  # noqa: F401

pytestmark = [needs_root]


@pytest.fixture(scope="module")
def flipper(tmp_path_factory):
    """data/review6-flip.c, built."""
    return build_static("review6-flip.c", tmp_path_factory.mktemp("flip") / "flip")


def start_flipper(sb, image_id, flipper, name, target):
    """App `flipper`, with CAP_SYS_PTRACE and every system call: S1/etc/<name> flips between
    absent and a link to target (a host path) until the pod ends."""
    r = sb.app("add", image_id, "--name=flipper", *TRACER, "--exec=/flip", "--",
               "/proc/1/root/etc", name, target)
    assert r.code == 0, r
    dst = sb.s1() / "opt" / "stage2" / "flipper" / "rootfs" / "flip"
    dst.write_bytes(flipper.read_bytes())
    dst.chmod(0o755)
    assert sb.app("start", "--app=flipper").code == 0
    wait_for(lambda: "FLIPPING" in sb.output() or None, timeout=15, what="the flipper")


# ------------------------------------------------------------------ S1 races: /etc files

def test_app_start_binds_no_host_file_an_app_raced_into_s1_etc(spods, image_id, flipper,
                                                               tmp_path):
    """app start binds S1/etc/hostname over the new app's /etc/hostname (read-write): it
    opens it without following a link, but when it is missing it binds it by its S1 path
    from a copy of the host's mount namespace. An app that makes the name flip between
    missing and a link to a host file must not get that file bound into the next app (it
    then writes a host file only root may read)."""
    secret = tmp_path / "host-secret"
    secret.write_text("HOST-SECRET\n")
    secret.chmod(0o600)
    sb = Sandbox(spods, "--net=host")
    start_flipper(sb, image_id, flipper, "hostname", str(secret))
    for i in range(150):  # a start loses the race now and then
        r = sb.app("add", image_id, *sh(f"b{i}", f"cat /etc/hostname; "
                                        f"echo PWNED >> /etc/hostname; echo B{i}-RAN"))
        assert r.code == 0, r
        r = sb.app("start", f"--app=b{i}")
        if r.code == 0:
            wait_for(lambda: f"B{i}-RAN" in sb.output() or None, timeout=15, what=f"app b{i}")
        assert secret.read_text() == "HOST-SECRET\n", (i, r)
        assert "HOST-SECRET" not in sb.output(), (i, r)


# ------------------------------------------------------------------ keyrings: event handlers

@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86_64 system call numbers")
def test_a_pre_start_handler_cannot_read_roots_keyrings(pods, tmp_path):
    """An app's event handlers come from its image and run as root without the app's seccomp
    filter: the keyring filter is all that keeps them from root's kernel keyrings (uid 0's
    user keyring is the host root's), also when the app's own filter (rkt's default) blocks
    the keyring calls and the app thus needs no keyring filter of its own."""
    hooked = imageutil.rkt_inspect_image(tmp_path / "hooked.aci", busybox=True,
                                         exec_=["/bin/true"],
                                         event_handlers=[{"name": "pre-start",
                                                          "exec": ["/inspect",
                                                                   "--probe-keyrings"]}])
    tag = secrets.token_hex(6)
    serial = tmp_path / "serial"
    wrap = [sys.executable, "-c", WITH_HOST_KEYS, tag, str(serial)]
    try:
        argv = pods.argv(*pods.run_args([str(hooked.path)]))
        r = subprocess.run(wrap + argv, capture_output=True, text=True, timeout=60)
    finally:
        if serial.exists():
            subprocess.run([sys.executable, "-c", UNLINK, serial.read_text()], check=True)
    assert "keyrings" in r.stdout + r.stderr, r  # the handler ran
    assert f"user-secret-{tag}" not in r.stdout, r.stdout
    assert f"session-secret-{tag}" not in r.stdout, r.stdout


# ------------------------------------------------------------------ store: the index's journal

@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_index_journal_is_never_a_members_link(shared, tmp_path, mode):
    """Root claims the index's WAL and its index before SQLite opens them, but a member may
    write the index (it is the group's) and turn it out of WAL mode (journal_mode=DELETE): root's
    next write then has SQLite make store.sqlite-journal by name beside it, as root, and give
    it the index's owner; in WAL mode too, SQLite opens a store.sqlite-journal that looks hot
    (not empty) when it first reads the index, to roll it back, and gives it that owner. A
    member's hard link there to another file of theirs must not have root write its journal
    into that file nor make it root's."""
    rkt, top = shared
    rkt.ok("image", "list")
    before = ('c = sqlite3.connect("db/store.sqlite", timeout=60)\n'
              'print(c.execute("PRAGMA journal_mode=DELETE").fetchone()[0])\n'
              'c.close()') if mode == "delete" else ""
    r, other = root_fetch_with_a_member_link(rkt, tmp_path, "store.sqlite-journal", before)
    assert other.read_bytes() == b"MEMBER\n", f"root wrote its journal into another file ({r})"
    assert other.stat().st_uid == 4242, f"root gave another file to itself ({r})"
