# SPDX-License-Identifier: Apache-2.0
"""Hostile review 5: what the host side reads or prints of what an app left (rkt export,
the metadata service's log, ...). Each test is an attack that must fail. As in
test_escapes_review2.py, an app's image is untrusted and may grant itself CAP_SYS_PTRACE and
every system call: it then reaches the stage1's root (S1 = P/stage1/rootfs) through
/proc/1/root and may leave links there for root's later commands."""
import os
import subprocess

from mdsutil import mds, raw  # noqa: F401
from podtest import needs_root, run_bare_pty, wait_for
from podtest import img, pods  # noqa: F401
from ptraceutil import TRACER

pytestmark = [needs_root]


def aci_members(path):
    r = subprocess.run(["tar", "tzf", str(path)], capture_output=True, text=True, check=True)
    return r.stdout.split()


# ------------------------------------------------------------------ rkt export

def test_export_archives_no_host_dir_an_app_linked_in_s1(pods, img, tmp_path):
    """`rkt export` of an app of a pod without overlay archives
    P/stage1/rootfs/opt/stage2/<app>/rootfs, named by path: an app that may trace replaces
    S1/opt/stage2/<app> with a link to a host directory (here one holding a rootfs/ with a
    secret only root may read; on a real host: an image tree of the store, another pod's
    rootfs) and root's export, written 0644, hands that directory to everyone."""
    host = tmp_path / "host"
    (host / "rootfs").mkdir(parents=True)
    (host / "rootfs" / "host-secret").write_text("HOST-SECRET\n")
    (host / "rootfs" / "host-secret").chmod(0o600)
    s2 = "/proc/1/root/opt/stage2"
    r, uuid = pods.run(img.path, "--no-overlay", *TRACER, "--exec=/bin/sh", "--", "-c",
                       f"mv {s2}/rkt-inspect {s2}/moved && ln -s {host} {s2}/rkt-inspect "
                       "&& echo PLANTED")
    assert "PLANTED" in r.out, r
    out = tmp_path / "exported.aci"
    r = pods("export", uuid, out)
    if out.exists():
        assert "rootfs/host-secret" not in aci_members(out), r


# ------------------------------------------------------------------ the metadata service

def test_mds_log_line_carries_no_control_character_of_an_app(mds):
    """The metadata service logs every request ("<method> <uri> - <status>") on its
    standard error: root's terminal or the journal. An app (any process of a pod reaches the
    public port) sends a request line with raw control characters in the method and the URI:
    terminal escapes (retitle, clear, recolour) and a CR that forges a log line of its own.
    rkt's Go server refused such request lines (400) and never logged them raw."""
    hostile = (b"G\x1b[2JET /\x1b]2;PWNED\x07/acMetadata/v1/pod/uuid\rGET /forged - 200 "
               b"HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    raw(hostile)
    raw(b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    wait_for(lambda: b"/after" in mds.log.read_bytes() or None, what="the requests logged")
    log = mds.log.read_bytes()
    assert not any(c in log for c in (b"\x1b", b"\x07", b"\r")), log
    assert not any(ln.startswith(b"GET /forged") for ln in log.splitlines()), log


# ------------------------------------------------------------------ rkt logs

def test_logs_drive_no_terminal_with_an_apps_escapes(pods, img):
    """`rkt logs` prints what the apps wrote. On root's terminal, an app's escape sequences
    (retitle the window, clear the screen, OSC 52 to set the clipboard, ...) and bare CRs
    that overwrite a line must arrive escaped, as journalctl showed them under rkt (it prints
    such a record as "[blob data]" unless --all); into a pipe or file the bytes stay exact."""
    evil = r"\033]2;PWNED\007\033[2J\033]52;c;ZWNobyBwd25lZA==\007over\rwritten"
    r, uuid = pods.run(img.path, "--exec=/bin/sh", "--", "-c",
                       f"printf '{evil}\\n'; printf '{evil}\\n' >&2")
    assert r.code == 0, r
    code, out = run_bare_pty(pods.argv("logs", uuid))
    assert code == 0, out
    assert "PWNED" in out and not any(c in out for c in "\x1b\x07"), repr(out)
    assert "over\rwritten" not in out, repr(out)
    r = pods.ok("logs", uuid)
    assert "\x1b]2;PWNED\x07" in r.out and "\x1b]2;PWNED\x07" in r.err, r
