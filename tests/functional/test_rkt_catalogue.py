# SPDX-License-Identifier: Apache-2.0
"""Behaviours of rkt's own functional tests (SPEC.md §11) that no other file of ours checks
yet, end to end with the native stage1: /etc/mtab (TestMtabExistence), a host device as a
volume (TestDevices), --ipc (TestIpc), recursive and non-recursive host volumes
(TestVolumeMount) and the --exec overrides kept by prepare (TestRunPreparedOverrideExec).
tests/functional/CATALOGUE.md maps every §11 entry to its test."""
import os
import subprocess

import pytest

from podtest import INSECURE, img, lines_with, needs_root, pods  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]


def test_etc_mtab_is_a_link_to_the_mounts(pods, img):
    """TestMtabExistence."""
    r, _ = pods.run(img.path, "--exec=/bin/busybox", "--", "readlink", "/etc/mtab")
    assert r.code == 0, r
    assert r.out.strip() == "../proc/self/mounts"


@pytest.mark.skipif(not os.path.exists("/dev/loop-control"), reason="no /dev/loop-control")
def test_host_device_volume_is_usable(pods, img):
    """TestDevices: a host /dev/loop-control volume can be opened and read; the read fails
    with EINVAL (the device's answer), not EPERM (the device cgroup's)."""
    r, _ = pods.run("--volume=lc,kind=host,source=/dev/loop-control", img.path,
                    "--mount=volume=lc,target=/dev/loop-control", "--exec=/bin/sh", "--", "-c",
                    "cat /dev/loop-control; echo status=$?")
    assert "status=1" in r.out, r
    assert "Invalid argument" in r.both, r
    assert "Operation not permitted" not in r.both, r


@pytest.mark.parametrize("flag,same_as_host", [
    (None, False), ("--ipc=auto", False), ("--ipc=private", False), ("--ipc=parent", True)])
def test_ipc_namespace(pods, img, flag, same_as_host):
    """TestIpc: a new IPC namespace unless --ipc=parent."""
    flags = [flag] if flag else []
    r, _ = pods.run(*flags, img.path, "--", "--print-ns")
    assert r.code == 0, r
    (line,) = lines_with(r.out, "IPCNS: ")
    assert (line == f"IPCNS: {os.readlink('/proc/self/ns/ipc')}") == same_as_host, line


def test_ipc_invalid_value(pods, img):
    """TestIpc: an invalid --ipc value is an error."""
    r, _ = pods.run("--ipc=foo", img.path)
    assert r.code == 254, r
    assert "unknown value for --ipc parameter: foo" in r.both, r


@pytest.fixture
def nested_source(tmp_path):
    """A host directory with a file `f` = outer, and a tmpfs on its `sub` holding `f` =
    inner (under the tmpfs, `sub/f` = outer)."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f").write_text("outer")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(src / "sub")],
                   check=True)
    try:
        (src / "sub" / "f").write_text("inner")
        yield src
    finally:
        subprocess.run(["umount", str(src / "sub")], check=True)


@pytest.mark.parametrize("recursive,expect", [("true", "inner"), ("false", "outer")])
def test_recursive_and_non_recursive_host_volumes(pods, img, nested_source, recursive,
                                                  expect):
    """TestVolumeMount: a recursive host volume shows the source's submounts, a
    non-recursive one the directory below them."""
    r, _ = pods.run(f"--volume=v,kind=host,source={nested_source},recursive={recursive}",
                    img.path, "--mount=volume=v,target=/mnt", "--", "--read-file",
                    "--file-name=/mnt/sub/f")
    assert r.code == 0, r
    assert f"<<<{expect}>>>" in r.out


@pytest.mark.parametrize("exec_,expect", [("/inspect-link", "/inspect-link"),
                                          ("inspect-link-bin", "inspect-link-bin")])
def test_prepare_keeps_the_exec_override(pods, img, exec_, expect):
    """TestRunPreparedOverrideExec: prepare IMG --exec X -- args, then run-prepared."""
    uuid = pods.ok(INSECURE, "prepare", *pods.stage1_args(), img.path,
                   f"--exec={exec_}", "--", "--print-exec").out.strip()
    r = pods("run-prepared", "--net=host", uuid)
    assert r.code == 0, r
    (line,) = lines_with(r.out, "inspect execed as: ")
    assert line.endswith(expect), line

