# SPDX-License-Identifier: Apache-2.0
"""What rkt 1.30's own functional tests expected that ours missed (issue "What rkt's own
tests expect"; SPEC.md §11): nested mount targets (TestVolumes), mounts under /sys
(TestVolumeSysfs), the bounding set of the pod's pid 1 (TestCaps), the diagnostics of a
program that cannot be loaded (TestDiagnostic)."""
import shutil
import subprocess
from pathlib import Path

import pytest

from aci import Dir, File
import imageutil
from podtest import img, needs_root, pods  # noqa: F401
from test_terminal_and_group import run_as_member, shared_store  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]


# --------------------------------------------------------------- TestVolumes: nested targets

@pytest.mark.parametrize("order", ["inner-first", "outer-first"])
def test_nested_mount_targets(pods, img, tmp_path, order):
    outer = tmp_path / "outer"
    (outer / "dir2").mkdir(parents=True)
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "file").write_text("inner")
    mounts = ["--mount=volume=inner,target=/dir1/dir2/dir3", "--mount=volume=outer,target=/dir1"]
    if order == "outer-first":
        mounts.reverse()
    r, _ = pods.run(f"--volume=outer,kind=host,source={outer}",
                    f"--volume=inner,kind=host,source={inner}", img.path, *mounts,
                    "--exec=/inspect", "--", "--read-file", "--file-name=/dir1/dir2/dir3/file")
    assert r.code == 0 and "<<<inner>>>" in r.out, r


# --------------------------------------------------------------- TestVolumeSysfs

def test_sys_without_mounts_is_sysfs(pods, img):
    r, _ = pods.run(img.path, "--exec=/bin/sh", "--", "-c", "test -d /sys/class && echo class")
    assert r.code == 0 and "class" in r.out, r


def test_empty_volume_on_sys_hides_sysfs(pods, img):
    r, _ = pods.run("--volume=s,kind=empty", img.path, "--mount=volume=s,target=/sys",
                    "--exec=/inspect", "--", "--stat-file", "--file-name=/sys/class")
    assert r.code == 254 and "no such file or directory" in r.err, r


def test_host_sys_volume_shows_sysfs(pods, img):
    r, _ = pods.run("--volume=s,kind=host,source=/sys", img.path,
                    "--mount=volume=s,target=/sys", "--exec=/bin/sh", "--", "-c",
                    "test -d /sys/class/net && echo net")
    assert r.code == 0 and "net" in r.out, r


def test_dev_null_on_sys_class(pods, img):
    r, _ = pods.run("--volume=null,kind=host,source=/dev/null", img.path,
                    "--mount=volume=null,target=/sys/class", "--exec=/inspect", "--",
                    "--stat-file", "--file-name=/sys/class")
    assert r.code == 0, r
    assert "/sys/class: mode: Dcrw-rw-rw-" in r.out, r


# --------------------------------------------------------------- TestCaps: pid 1

def caps_line(out, which):
    (line,) = [ln for ln in out.splitlines() if ln.startswith(which)]
    return line


@pytest.mark.parametrize("retain,expect", [
    (None, "net_admin=disabled"),
    ("CAP_NET_ADMIN,CAP_NET_BIND_SERVICE", "net_admin=enabled"),
    ("CAP_NET_BIND_SERVICE", "net_admin=disabled"),
])
def test_pod_pid1_bounding_set(pods, img, retain, expect):
    flags = [f"--caps-retain={retain}"] if retain else []
    r, _ = pods.run(img.path, *flags, "--set-env=CAPABILITY=12", "--exec=/inspect", "--",
                    "--print-caps-pid=1")
    assert r.code == 0, r
    assert expect in caps_line(r.out, "net_admin="), r
    r, _ = pods.run(img.path, *flags, "--set-env=CAPABILITY=27", "--exec=/inspect", "--",
                    "--print-caps-pid=1")
    assert "mknod=enabled" in caps_line(r.out, "mknod="), r


# --------------------------------------------------------------- TestDiagnostic

def host_binary():
    p = Path(shutil.which("true"))
    out = subprocess.run(["ldd", str(p)], capture_output=True, text=True).stdout
    assert "libc.so.6" in out, out
    return p


def test_missing_interpreter_is_named(pods, tmp_path):
    a = imageutil.inspect_image(tmp_path / "noint.aci", exec_=["/hosttrue"],
                                files={"hosttrue": File(host_binary().read_bytes(), mode=0o755)})
    r, _ = pods.run(a.path)
    assert r.code == 203, r
    assert 'Error: Unable to open "/lib64/ld-linux-x86-64.so.2": No such file or directory' \
        in r.out, r


def test_missing_library_is_named(pods, tmp_path):
    interp = Path("/lib64/ld-linux-x86-64.so.2").resolve()
    files = {"hosttrue": File(host_binary().read_bytes(), mode=0o755), "lib64": Dir(),
             "lib64/ld-linux-x86-64.so.2": File(interp.read_bytes(), mode=0o755)}
    a = imageutil.inspect_image(tmp_path / "nolib.aci", exec_=["/hosttrue"], files=files)
    r, _ = pods.run(a.path)
    assert r.code == 203, r
    assert 'Error: Unable to open "libc.so.6": No such file or directory' in r.out, r


def test_program_with_its_libraries_runs(pods, tmp_path):
    """The check never refuses what the loader would load."""
    interp = Path("/lib64/ld-linux-x86-64.so.2").resolve()
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6").resolve()
    files = {"hosttrue": File(host_binary().read_bytes(), mode=0o755), "lib64": Dir(),
             "lib64/ld-linux-x86-64.so.2": File(interp.read_bytes(), mode=0o755),
             "lib": Dir(), "lib/x86_64-linux-gnu": Dir(),
             "lib/x86_64-linux-gnu/libc.so.6": File(libc.read_bytes(), mode=0o755)}
    a = imageutil.inspect_image(tmp_path / "ok.aci", exec_=["/hosttrue"], files=files)
    r, _ = pods.run(a.path)
    assert r.code == 0, r


# --------------------------------------------------------------- Go's errno words in stage0

def test_stage0_errors_use_gos_errno_words(shared_store):
    """rkt's stage0 printed Go's error texts (TestNonRootFetchRmGCImage: `permission
    denied`); the stage1 keeps the C library's (`Failed to stat ...: No such file ...`)."""
    root, gid, _ = shared_store
    r = run_as_member(root, gid, "image", "gc")
    assert r.returncode == 254, r
    assert "permission denied" in r.stderr and "Permission denied" not in r.stderr, r.stderr
    missing = root("--insecure-options=image", "fetch", "/nonexistent/dir/x.aci")
    assert "no such file or directory" in missing.err, missing


# --------------------------------------------------------------- AC identifiers

def test_identifiers_as_appcs_code_checked_them(rkt, tmp_path):
    """appc's code rejected only bad characters and bad first/last characters (rkt's
    TestFetchFullHash names an image shorthash--6)."""
    a = imageutil.inspect_image(tmp_path / "a.aci", name="example.com/shorthash--6")
    key = rkt.fetch(a.path)
    r = rkt.ok("image", "list", "--no-legend", "--fields=name")
    assert "example.com/shorthash--6:1.30.0" in r.out, r
    assert rkt.ok("image", "cat-manifest", "example.com/shorthash--6").out
    assert key


@pytest.mark.parametrize("name", ["example.com//app", "example.com/./app", "example.com/../app",
                                  "example.com/a/../../etc"])
def test_names_with_dot_components_are_refused(rkt, tmp_path, name):
    """A deliberate difference from appc: names become paths, so no component may be empty,
    "." or ".."; such a name never reaches the store."""
    a = imageutil.inspect_image(tmp_path / "a.aci", name=name)
    r = rkt("--insecure-options=image", "fetch", a.path)
    assert r.code == 254 and "is not a valid AC identifier" in r.err, r
    assert rkt.ok("image", "list", "--no-legend").out.strip() == ""
