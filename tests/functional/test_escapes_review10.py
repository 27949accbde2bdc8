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
from podtest import needs_root, pods, wait_for  # noqa: F401
from test_escapes_review2 import Sandbox, spods  # noqa: F401

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

