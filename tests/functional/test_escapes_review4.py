# SPDX-License-Identifier: Apache-2.0
"""Hostile review 4 of the pod/host boundary: mutable pods, attach, rootless pods. Each test
is an attack that must fail. As in test_escapes_review2.py, an app's image is untrusted and
may grant itself CAP_SYS_PTRACE and every system call: it then reaches the stage1's root
(S1 = P/stage1/rootfs) through /proc/1/root and may replace anything there while root adds
and starts other apps."""
import os
from pathlib import Path

import pytest

from podtest import needs_root, wait_for
from podtest import img  # noqa: F401
from test_escapes_review2 import TRACER, Sandbox, plant, sh, spods, image_id  # noqa: F401

pytestmark = [needs_root]


# ------------------------------------------------------------------ S1 links: masked paths

def test_app_start_masks_no_path_with_a_host_file_an_app_linked_in_s1(spods, image_id,
                                                                      tmp_path):
    """The app start helper masks /proc/kcore, /proc/keys, ... of the new app by binding
    S1/rkt/inaccessible-file over them, by path, from a copy of the host's mount namespace:
    an app that replaced it with a link to a host file (a secret only root may read) must
    not make root bind that file into the next app."""
    secret = tmp_path / "host-secret"
    secret.write_text("HOST-SECRET\n")
    secret.chmod(0o600)
    sb = Sandbox(spods, "--net=host")
    plant(sb, image_id, "rm -f /proc/1/root/rkt/inaccessible-file && "
          f"ln -s {secret} /proc/1/root/rkt/inaccessible-file", "the link to be planted")
    r = sb.app("add", image_id, *sh("b", "cat /proc/keys; echo B-RAN"))
    assert r.code == 0, r
    r = sb.app("start", "--app=b")
    if r.code == 0:
        wait_for(lambda: "B-RAN" in sb.output() or None, timeout=15, what="app b")
    assert "HOST-SECRET" not in sb.output(), (r, sb.output())


def test_app_start_masks_no_path_with_a_host_dir_an_app_linked_in_s1(spods, image_id,
                                                                     tmp_path):
    """The same with S1/rkt/inaccessible-dir, bound over /sys/firmware, /proc/acpi, ...:
    a link to a host directory gives the next app that directory, writable."""
    host = tmp_path / "host-dir"
    host.mkdir()
    (host / "precious").write_text("keep me\n")
    sb = Sandbox(spods, "--net=host")
    plant(sb, image_id, "rmdir /proc/1/root/rkt/inaccessible-dir && "
          f"ln -s {host} /proc/1/root/rkt/inaccessible-dir", "the link to be planted")
    r = sb.app("add", image_id, *sh("b", "ls /sys/firmware; echo PWNED > /sys/firmware/pwned; "
                                    "echo B-RAN"))
    assert r.code == 0, r
    r = sb.app("start", "--app=b")
    if r.code == 0:
        wait_for(lambda: "B-RAN" in sb.output() or None, timeout=15, what="app b")
    assert "precious" not in sb.output(), (r, sb.output())
    assert sorted(p.name for p in host.iterdir()) == ["precious"], (r, sb.output())


# ------------------------------------------------------------------ S1: CNI plugins

@pytest.fixture
def netpods(tmp_path):
    # nettest's fixtures, imported here only (they need a network namespace per test)
    import nettest
    ns = nettest.NetNs()
    p = nettest.NetPods(tmp_path, ns)
    try:
        yield p
    finally:
        from podtest import _finish
        try:
            _finish(p)
        finally:
            ns.close()


PLANTED_PLUGIN = """#!/bin/sh
echo "run as uid $(id -u) on the host" > {marker}
exec /usr/lib/cni/{plugin} "$@"
"""


def test_gc_runs_no_network_plugin_an_app_put_in_s1(netpods, img, tmp_path):
    """The CNI plugin search path of a pod's networks is /etc/rkt/net.d,
    /usr/lib/rkt/plugins/net, then S1/usr/lib/rkt/plugins/net, then Debian's /usr/lib/cni
    (recorded in P/net-info.json, passed to the plugins as CNI_PATH): an app that may trace
    writes S1/usr/lib/rkt/plugins/net/ptp, and root's `rkt gc` (its stage1 gc entrypoint,
    while S1 is still mounted) runs it on the host as root to DEL the pod's network."""
    marker = tmp_path / "plugin-ran"
    script = PLANTED_PLUGIN.format(marker=marker, plugin="ptp").replace("\n", "\\n")
    plant = ("d=/proc/1/root/usr/lib/rkt/plugins/net && mkdir -p $d && "
             f"printf '{script}' > $d/ptp && chmod 755 $d/ptp && echo PLANTED")
    r, uuid = netpods.run(img.path, *TRACER, "--exec=/bin/sh", "--", "-c", plant)
    assert r.code == 0 and "PLANTED" in r.out, r
    netpods.gc()
    assert not marker.exists(), marker.read_text()


def test_app_start_reads_no_host_file_through_a_link_in_s1(spods, image_id, tmp_path):
    """app start plans the next app in its root (its user and group from its /etc/passwd
    and /etc/group, its executable) before it pins that root: an app that replaced the next
    app's root in S1 with a link to a host directory must not have root read that
    directory's files (what it found there shows in what app start says)."""
    host = tmp_path / "host-root"
    (host / "etc").mkdir(parents=True)
    passwd = host / "etc" / "passwd"
    passwd.write_text("alice:x:4321:4321:alice:/:/bin/sh\n")
    (host / "etc" / "group").write_text("alice:x:4321:\n")

    def unread():  # atime before mtime: a read (relatime) moves atime on
        os.utime(passwd, (1000, 2000))
    unread()
    passwd.read_bytes()
    if passwd.stat().st_atime == 1000:
        pytest.skip("atime is not updated here (noatime)")
    unread()
    sb = Sandbox(spods, "--net=host")
    r = sb.app("add", image_id, "--user=alice", "--group=alice", *sh("b", "echo B-RAN"))
    assert r.code == 0, r
    plant(sb, image_id, "mv /proc/1/root/opt/stage2/b /proc/1/root/opt/stage2/b.x && "
          f"mkdir /proc/1/root/opt/stage2/b && ln -s {host} /proc/1/root/opt/stage2/b/rootfs",
          "the link to be planted")
    assert (sb.s1() / "opt" / "stage2" / "b" / "rootfs").is_symlink()
    r = sb.app("start", "--app=b")
    assert passwd.stat().st_atime == 1000, f"root read a host file through S1 ({r})"
