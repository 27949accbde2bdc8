# SPDX-License-Identifier: Apache-2.0
"""Hostile review 12: the kubernetes log directory of a mutable pod.

The directory (annotation coreos.com/rkt/experiment/kubernetes-log-dir) is a host path the
kubelet names, and an app may reach it too: a log shipper's volume often holds all of the
host's /var/log. Root's log writer writes there what the app prints, so:

- no component of its path is a symlink (one put there by an app of another pod that can
  write a parent, before the sandbox started, would lead root's writes anywhere): the
  kubelet gives a canonical path;
- what is at the path must still be the directory it was when the sandbox started;
- a log file that has another name (a hard link an app made in its volume to a file of the
  host on that file system) is made anew, never appended to; and in a directory apps may
  write, nothing found at a log file's name is ever appended to (a host file moved there):
  it is set aside as <name>.1."""
import os

import pytest

from podtest import INSECURE, img, needs_root, stage1_path, wait_for  # noqa: F401
from test_escapes_review2 import Sandbox, image_id, sh, spods  # noqa: F401

pytestmark = [needs_root]

K8S = "--annotation=coreos.com/rkt/experiment/logmode=k8s-plain"


def env():
    return dict(os.environ, RKT_EXPERIMENT_APP="true")


def k8s_sandbox(spods, logdir):
    return Sandbox(spods, "--net=host", K8S,
                   f"--annotation=coreos.com/rkt/experiment/kubernetes-log-dir={logdir}")


def wait_exited(sb, app):
    wait_for(lambda: (sb.s1() / "rkt" / "status" / app).exists() or None, timeout=30,
             what=f"app {app} to exit")


def test_the_log_directory_is_made_when_the_sandbox_starts(spods, tmp_path):
    """The sandbox makes the directory (and its parents) before any app runs."""
    logdir = tmp_path.resolve() / "var" / "log" / "pods" / "p1"
    sb = k8s_sandbox(spods, logdir)
    assert logdir.is_dir()
    assert (sb.path() / "k8s-log-dir").is_file()


LINKED = "has a symbolic link or a non-directory on its path"


def sandbox_refused(spods, logdir):
    r = spods(INSECURE, "app", "sandbox", f"--stage1-path={stage1_path('native')}",
              "--net=host", K8S,
              f"--annotation=coreos.com/rkt/experiment/kubernetes-log-dir={logdir}",
              env=env(), timeout=60)
    assert r.code != 0, r
    assert LINKED in r.out + r.err, r


@pytest.mark.parametrize("where", ["directory", "parent"])
def test_a_link_on_the_log_directory_path_starts_no_sandbox(spods, tmp_path, where):
    """A symlink on the log directory's path before the sandbox starts, at the directory or
    at a parent (put there by an app of another pod whose volume holds it: a log shipper's
    /var/log): the sandbox is refused, nothing is made or written where the link points."""
    victim = tmp_path / "victim"
    (victim / "ns_pod_uid").mkdir(parents=True)
    (victim / "talker.log").write_text("ROOT-FILE\n")
    before = sorted(str(p.relative_to(victim)) for p in victim.rglob("*"))
    var_log = tmp_path.resolve() / "var-log"
    var_log.mkdir()
    if where == "directory":
        logdir = var_log / "ns_pod_uid"
        logdir.symlink_to(victim)
    else:
        (var_log / "pods").symlink_to(victim)
        logdir = var_log / "pods" / "ns_pod_uid" / "deeper"
    sandbox_refused(spods, logdir)
    assert sorted(str(p.relative_to(victim)) for p in victim.rglob("*")) == before
    assert (victim / "talker.log").read_text() == "ROOT-FILE\n"


def test_a_host_file_moved_to_a_log_file_is_never_written(spods, image_id, tmp_path):
    """An app that can write the log directory and the directory of a host file it cannot
    write (one name: no hard link) moves that file to its log file's name: the writer sets
    what it finds there aside as <name>.1 and makes its own file, never appending to it."""
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    logdir.mkdir()
    sb = k8s_sandbox(spods, logdir)
    r = sb.app("add", image_id, *sh("talker", "echo TALKED"))
    assert r.code == 0, r
    host_file = tmp_path / "dpkg.log"
    host_file.write_text("HOST-LOG\n")
    before = host_file.stat()
    host_file.rename(logdir / "talker.log")
    r = spods("app", "start", sb.uuid, "--app=talker", env=env(), timeout=60)
    assert r.code == 0, r
    wait_exited(sb, "talker")
    log = logdir / "talker.log"
    wait_for(lambda: log.exists() and "TALKED" in log.read_text(), what="the talker's log")
    moved = logdir / "talker.log.1"
    assert moved.read_text() == "HOST-LOG\n"
    assert (moved.stat().st_ino, moved.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_pod_without_the_record_writes_no_log(spods, image_id, tmp_path):
    """Without P/k8s-log-dir (a sandbox an older rkt started) app start refuses: pinning the
    directory now, after the pod's apps ran, would prove nothing."""
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    sb = k8s_sandbox(spods, logdir)
    r = sb.app("add", image_id, *sh("talker", "echo TALKED"))
    assert r.code == 0, r
    (sb.path() / "k8s-log-dir").unlink()
    r = spods("app", "start", sb.uuid, "--app=talker", env=env(), timeout=60)
    assert r.code == 254 and "has no record of its" in r.err, r
    assert list(logdir.iterdir()) == []


def test_a_log_directory_replaced_by_a_link_gets_no_log(spods, image_id, tmp_path):
    """An app that can write a parent of the log directory replaces it with a symlink to
    another directory after the sandbox started: `rkt app start` refuses to write the app's
    log there (root would write app-chosen lines wherever the link points). The directory
    itself, moved away and back, is still the pod's."""
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    logdir.mkdir()  # by the kubelet, before the sandbox
    sb = k8s_sandbox(spods, logdir)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    real = tmp_path / "k8s-logs.real"
    r = sb.app("add", image_id, *sh("talker", "echo TALKED"))
    assert r.code == 0, r
    logdir.rename(real)
    logdir.symlink_to(elsewhere)
    r = spods("app", "start", sb.uuid, "--app=talker", env=env(), timeout=60)
    assert r.code == 254, r
    assert LINKED in r.err, r
    assert r.err.count("\n") <= 2, r
    assert list(elsewhere.iterdir()) == []
    # the same directory again at the path: the log goes there
    logdir.unlink()
    real.rename(logdir)
    r = spods("app", "start", sb.uuid, "--app=talker", env=env(), timeout=60)
    assert r.code == 0, r
    wait_exited(sb, "talker")
    log = logdir / "talker.log"
    wait_for(lambda: log.exists() and "TALKED" in log.read_text(), what="the talker's log")
    assert list(elsewhere.iterdir()) == []


def test_a_directory_made_anew_at_the_path_gets_no_log(spods, image_id, tmp_path):
    """The directory removed and another made at its path (the app can write its parent):
    not the directory the pod started with, refused as well."""
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    logdir.mkdir()
    sb = k8s_sandbox(spods, logdir)
    r = sb.app("add", image_id, *sh("talker", "echo TALKED"))
    assert r.code == 0, r
    logdir.rmdir()
    logdir.mkdir()
    r = spods("app", "start", sb.uuid, "--app=talker", env=env(), timeout=60)
    assert r.code == 254, r
    assert "is not the directory it was when the pod started" in r.err, r
    assert list(logdir.iterdir()) == []


@pytest.mark.parametrize("when", ["before-start", "before-restart"])
def test_a_hard_link_at_a_log_file_is_never_written(spods, image_id, tmp_path, when):
    """A hard link at the app's log file name to a file of the host on that file system
    (here one beside the log directory): the writer makes a new log file there and never
    appends to the linked file, whether the link was there before the app's first start or
    put there between two starts."""
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    logdir.mkdir()
    victim = tmp_path / "victim.conf"
    victim.write_text("VICTIM-CONTENT\n")
    before = victim.stat()
    sb = k8s_sandbox(spods, logdir)
    r = sb.app("add", image_id, *sh("talker", "echo TALKED"))
    assert r.code == 0, r
    log = logdir / "talker.log"
    if when == "before-restart":
        r = spods("app", "start", sb.uuid, "--app=talker", env=env(), timeout=60)
        assert r.code == 0, r
        wait_exited(sb, "talker")
        wait_for(lambda: log.exists() and "TALKED" in log.read_text(), what="the first log")
        log.unlink()
    os.link(victim, log)
    r = spods("app", "start", sb.uuid, "--app=talker", env=env(), timeout=60)
    assert r.code == 0, r
    wait_exited(sb, "talker")
    wait_for(lambda: log.exists() and log.stat().st_ino != before.st_ino
             and "TALKED" in log.read_text(), what="the talker's new log")
    assert victim.read_text() == "VICTIM-CONTENT\n"
    now = victim.stat()
    assert (now.st_size, now.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
