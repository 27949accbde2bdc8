# SPDX-License-Identifier: Apache-2.0
"""Hostile review 12: the kubernetes log directory of a mutable pod.

The directory (annotation coreos.com/rkt/experiment/kubernetes-log-dir) is a host path the
kubelet names, and an app may reach it too: a log shipper's volume often holds all of the
host's /var/log. Root's log writer writes there what the app prints, so:

- the directory itself is never a symlink (one put there by an app of another pod that can
  write a parent, before the sandbox started, would lead root's writes anywhere); its
  parents may be (/var/log may be the host's link);
- what is at the path must still be the directory it was when the sandbox started;
- a log file that has another name (a hard link an app made in its volume to a file of the
  host on that file system) is made anew, never appended to."""
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
    logdir = tmp_path / "var" / "log" / "pods" / "p1"
    sb = k8s_sandbox(spods, logdir)
    assert logdir.is_dir()
    assert (sb.path() / "k8s-log-dir").is_file()


def test_a_link_at_the_log_directory_starts_no_sandbox(spods, tmp_path):
    """A symlink at the log directory's path before the sandbox starts (put there by an app of
    another pod whose volume holds the parent): the sandbox is refused, nothing is written
    where the link points. A link among its parents is the host's own and is followed."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "talker.log").write_text("ROOT-FILE\n")
    pods_dir = tmp_path / "var-log-pods"
    pods_dir.mkdir()
    logdir = pods_dir / "ns_pod_uid"
    logdir.symlink_to(victim)
    r = spods(INSECURE, "app", "sandbox", f"--stage1-path={stage1_path('native')}",
              "--net=host", K8S,
              f"--annotation=coreos.com/rkt/experiment/kubernetes-log-dir={logdir}",
              env=env(), timeout=60)
    assert r.code != 0, r
    assert "is not a directory (a symbolic link?)" in r.out + r.err, r
    assert sorted(p.name for p in victim.iterdir()) == ["talker.log"]
    assert (victim / "talker.log").read_text() == "ROOT-FILE\n"
    # a link among the parents: followed
    logdir.unlink()
    (tmp_path / "var-log").symlink_to(pods_dir)
    sb = k8s_sandbox(spods, tmp_path / "var-log" / "ns_pod_uid")
    assert (pods_dir / "ns_pod_uid").is_dir() and (sb.path() / "k8s-log-dir").is_file()


def test_a_pod_without_the_record_writes_no_log(spods, image_id, tmp_path):
    """Without P/k8s-log-dir (a sandbox an older rkt started) app start refuses: pinning the
    directory now, after the pod's apps ran, would prove nothing."""
    logdir = tmp_path / "k8s-logs"
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
    logdir = tmp_path / "k8s-logs"
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
    assert "is not a directory (a symbolic link?)" in r.err, r
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
    logdir = tmp_path / "k8s-logs"
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
    logdir = tmp_path / "k8s-logs"
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
    assert (now.st_size, now.st_mtime_ns, now.st_nlink) == (before.st_size, before.st_mtime_ns, 1)
