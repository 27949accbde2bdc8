# SPDX-License-Identifier: Apache-2.0
"""Hostile review 10: what root's host-side code opens, writes or removes by name where an
image or an app decides what is there.

- The mount targets of an app's root (/etc/hostname, /etc/hosts, /etc/resolv.conf, a
  volume's target): the pod init of `rkt run` and the helper of `rkt app start` create a
  missing file target, and must never open what the image put there instead (a FIFO blocks
  that open forever, a device node's open acts on the host's device).
- The records of mutable apps in S1/rkt/status and S1/rkt/env, which an app allowed to trace
  the pod init reaches through /proc/1/root: whatever it put at a record's name (a
  directory, a FIFO, a link) must neither block rkt nor make it lose track of the app."""
import os
import subprocess

import pytest

import aci as A
import imageutil
from podtest import img, needs_root, pods, wait_for  # noqa: F401
from ptraceutil import TRACER
from test_escapes_review2 import Sandbox, image_id, plant, sh, spods  # noqa: F401

pytestmark = [needs_root]


def mkimage(pods, name, **kw):
    d = pods.tmp / "images"
    d.mkdir(exist_ok=True)
    return imageutil.inspect_image(d / f"{name}.aci", f"example.com/{name}", busybox=True, **kw)


# ------------------------------------------------------------------ special files as targets

# the image's file where a host or stage1 file is bound, and the run flags that bind it
TARGETS = {
    "hostname": ("etc/hostname", []),
    "hosts": ("etc/hosts", ["--hosts-entry=host"]),
    "resolv": ("etc/resolv.conf", ["--dns=host"]),
    "volume": ("data/file", ["--volume=v,kind=host,source={src}",
                             "--mount=volume=v,target=/data/file"]),
}


def target_flags(flags, tmp_path):
    src = tmp_path / "volume-source"
    src.write_text("VOLUME-FILE\n")
    return [f.format(src=src) for f in flags]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_fifo_at_a_mount_target_hangs_no_run(pods, target, tmp_path):
    """The image has a FIFO where the pod init binds a file: `rkt run` must finish (the app
    then sees the bound file), never block forever opening the FIFO."""
    path, flags = TARGETS[target]
    im = mkimage(pods, f"fifo{target}", exec_=["/bin/sh", "-c", f"cat /{path}; echo APP-RAN"],
                 files={path: A.Fifo(0o644)})
    try:
        r, _ = pods.run(im.path, *target_flags(flags, tmp_path), timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"rkt run hung on the image's FIFO /{path}")
    assert r.code == 0 and "APP-RAN" in r.out, r


APP_TARGETS = {
    "hostname": ("etc/hostname", []),
    "volume": ("data/file", ["--mnt-volume=name=v,kind=host,source={src},target=/data/file"]),
}


@pytest.mark.parametrize("target", sorted(APP_TARGETS))
def test_a_fifo_at_a_mount_target_hangs_no_app_start(spods, target, tmp_path):
    """The same for the helper of `rkt app start` (a host-side root process, which holds the
    pod's lock while it waits): it must finish, and the app runs."""
    path, flags = APP_TARGETS[target]
    im = mkimage(spods, f"fifo{target}", exec_=["/bin/sh", "-c", f"cat /{path}; echo APP-RAN"],
                 files={path: A.Fifo(0o644)})
    key = spods.fetch(im.path)
    sb = Sandbox(spods, "--net=host")
    r = sb.app("add", key, "--name=victim", *target_flags(flags, tmp_path))
    assert r.code == 0, r
    try:
        r = spods("app", "start", sb.uuid, "--app=victim",
                  env=dict(os.environ, RKT_EXPERIMENT_APP="true"), timeout=60)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"rkt app start hung on the image's FIFO /{path}")
    assert r.code == 0, r
    wait_for(lambda: "APP-RAN" in sb.output() or None, timeout=15, what="the app")


# ------------------------------------------------------------------ S1 records of mutable apps

PLANTS = {
    "dir": "mkdir -p {p}/x",
    "fifo": "busybox mkfifo {p}",
    "link": "ln -s /etc/passwd {p}",
}
RECORDS = ["victim", "victim-started", "victim-created"]


def app_state(sb, app):
    r = sb.app("list", "--no-legend")
    assert r.code == 0, r
    return dict(ln.split("\t") for ln in r.out.splitlines() if "\t" in ln).get(app)


def app_status(sb, app):
    r = sb.app("status", f"--app={app}")
    assert r.code == 0, r
    return dict(ln.split("=", 1) for ln in r.out.splitlines() if "=" in ln)


@pytest.mark.slow
@pytest.mark.parametrize("record", RECORDS)
@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_a_planted_record_neither_blocks_nor_misleads_rkt(spods, image_id, record, kind):
    """An app that may trace puts a directory, a FIFO or a link (to a host file) where
    S1/rkt/status/<victim>, <victim>-started or <victim>-created goes (through /proc/1/root)
    before the victim is added: stage0 (app add, list, status, start, rm) and the stage1's
    app_start and monitor must neither block on it, write through it, nor lose track of the
    victim: it is "created" once added, "running" once started (the start is not refused
    forever), "exited" with its exit code once it ended, and nothing of its records stays
    after app rm."""
    sb = Sandbox(spods, "--net=host")
    plant(sb, image_id, PLANTS[kind].format(p=f"/proc/1/root/rkt/status/{record}"),
          "the record to be planted")
    passwd = os.stat("/etc/passwd")
    r = sb.app("add", image_id, *sh("victim", "read x < /dev/null; echo VICTIM-RAN; "
                                    "exec sleep 4253"))
    assert r.code == 0, r
    assert app_state(sb, "victim") == "created", sb.app("list")
    r = spods("app", "start", sb.uuid, "--app=victim", env=sb_env(), timeout=60)
    assert r.code == 0, r
    wait_for(lambda: "VICTIM-RAN" in sb.output() or None, timeout=15, what="the victim")
    assert app_state(sb, "victim") == "running", sb.app("list")
    r = spods("app", "stop", sb.uuid, "--app=victim", env=sb_env(), timeout=60)
    assert r.code == 0, r
    assert app_state(sb, "victim") == "exited", sb.app("list")
    assert app_status(sb, "victim").get("exit_code") == "0", sb.app("status", "--app=victim")
    r = spods("app", "rm", sb.uuid, "--app=victim", env=sb_env(), timeout=60)
    assert r.code == 0, r
    status = sb.s1() / "rkt" / "status"
    assert not [p.name for p in status.iterdir() if p.name.startswith("victim")]
    st = os.stat("/etc/passwd")
    assert (st.st_mtime_ns, st.st_ino) == (passwd.st_mtime_ns, passwd.st_ino)


def sb_env():
    return dict(os.environ, RKT_EXPERIMENT_APP="true")


@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_a_planted_environment_record_refuses_no_add(spods, image_id, kind):
    """The same where the stage1's app_add writes the app's environment,
    S1/rkt/env/<victim>: the add succeeds (never refused for good), the victim gets its
    environment, nothing is written through a link."""
    sb = Sandbox(spods, "--net=host")
    plant(sb, image_id, PLANTS[kind].format(p="/proc/1/root/rkt/env/victim"),
          "the record to be planted")
    passwd = os.stat("/etc/passwd")
    r = sb.app("add", image_id, *sh("victim", "echo NAME=$AC_APP_NAME"))
    assert r.code == 0, r
    r = spods("app", "start", sb.uuid, "--app=victim", env=sb_env(), timeout=60)
    assert r.code == 0, r
    wait_for(lambda: "NAME=victim" in sb.output() or None, timeout=15, what="the victim")
    st = os.stat("/etc/passwd")
    assert (st.st_mtime_ns, st.st_ino) == (passwd.st_mtime_ns, passwd.st_ino)


def test_a_directory_at_an_exit_record_loses_no_exit_status(pods, img):
    """In a `rkt run` pod, an app that may trace puts a directory where the pod init records
    another app's exit status (S1/rkt/status/b, through /proc/1/root) before that app ends:
    the exit status is recorded all the same (the directory goes), and `rkt status` shows
    it."""
    plant = "mkdir -p /proc/1/root/rkt/status/b/x && touch /v/go"
    r, uuid = pods.run("--volume=v,kind=empty", img.path, "--name=a", *TRACER,
                       "--mount=volume=v,target=/v", "--exec=/bin/sh", "--", "-c", plant, "---",
                       img.path, "--name=b", "--mount=volume=v,target=/v", "--exec=/bin/sh",
                       "--", "-c", "while ! test -e /v/go; do sleep 0.05; done; exit 3",
                       timeout=60)
    assert r.code == 3, r
    s = pods.status(uuid)
    assert s["state"] == "exited" and s.get("app-a") == "0" and s.get("app-b") == "3", s


def test_a_fifo_at_a_kubernetes_log_file_blocks_no_app(spods, image_id, tmp_path):
    """In the kubernetes log mode the app's log file is in a host directory the kubelet
    names, which may also be a volume of another app: a FIFO put where the victim's log goes
    must not hold the log writer in its open (the victim, writing more than a pipe holds,
    would then block for good, and the writer never end): the writer never opens it, logs the
    victim's output, and the victim exits."""
    logdir = tmp_path.resolve() / "k8s-logs"  # no symlink on its path
    logdir.mkdir()
    os.mkfifo(logdir / "victim.log")
    sb = Sandbox(spods, "--net=host", "--annotation=coreos.com/rkt/experiment/logmode=k8s-plain",
                 f"--annotation=coreos.com/rkt/experiment/kubernetes-log-dir={logdir}")
    r = sb.app("add", image_id, *sh("victim", "head -c 300000 /dev/zero; echo WROTE >&2"))
    assert r.code == 0, r
    r = spods("app", "start", sb.uuid, "--app=victim", env=sb_env(), timeout=60)
    assert r.code == 0, r
    wait_for(lambda: (sb.s1() / "rkt" / "status" / "victim").exists() or None, timeout=20,
             what="the victim to exit")
    # set aside, never opened (the writer makes its own file: test_escapes_review12)
    assert (logdir / "victim.log.1").is_fifo()
    log = logdir / "victim.log"
    wait_for(lambda: log.is_file() and "WROTE" in log.read_text(errors="replace"),
             what="the victim's log")
