# SPDX-License-Identifier: Apache-2.0
"""Behaviours of rkt's own functional tests (SPEC.md §11) that no other file of ours checks,
end to end with the native stage1 (the stage0-only ones are in test_stage0.py): /etc/mtab,
host devices, --ipc, recursive host volumes, --exec kept by prepare, run --pod-manifest,
hostnames, capability sets, CPU isolators, list times, export, enter's wait for the pid file.
tests/functional/CATALOGUE.md maps every §11 entry to its test."""
import datetime
import json
import os
import subprocess
import time

import pytest

from imageutil import rkt_inspect_image
from podtest import (INSECURE, img, lines_with, mounts_under, needs_root, pod_cgroups,  # noqa: F401
                     pods)

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



# --------------------------------------------------------------------------- --pod-manifest

def app_of(*args, **kw):
    a = {"exec": ["/inspect", *args], "user": "0", "group": "0"}
    a.update(kw)
    return a


RW_VOL = {"name": "vol", "kind": "host", "source": "HOSTDIR"}
POD_MANIFEST_CASES = {
    # name: (app section, app entry extras, volumes, exit status, expected output)
    "args-verbatim": (app_of("--print-msg=a \"b\" 'c' $HOME `x` \\"), {}, [], 0,
                      "a \"b\" 'c' $HOME `x` \\"),
    "working-directory": (app_of("--print-cwd", workingDirectory="/dir1"), {}, [], 0,
                          "cwd: /dir1"),
    "read-only-rootfs-read": (app_of("--read-file", "--file-name=/dir1/file"),
                              {"readOnlyRootFS": True}, [], 0, "<<<dir1>>>"),
    "empty-volume-mode": (app_of("--stat-file", "--file-name=/dir1/vol",
                                 mountPoints=[{"name": "e", "path": "/dir1/vol"}]), {},
                          [{"name": "e", "kind": "empty", "mode": "0123", "uid": 9991,
                            "gid": 9992}], 0, "/dir1/vol: mode: d--x-w--wx"),
    "host-volume-rw": (app_of("--write-file", "--read-file", "--file-name=/mnt/out",
                              "--content=pm-rw", mountPoints=[{"name": "vol", "path": "/mnt"}]),
                       {}, [RW_VOL], 0, "<<<pm-rw>>>"),
    "read-only-volume": (app_of("--write-file", "--file-name=/mnt/out", "--content=x",
                                mountPoints=[{"name": "vol", "path": "/mnt"}]), {},
                         [dict(RW_VOL, readOnly=True)], 254,
                         "open /mnt/out: read-only file system"),
    "read-only-mount-point": (app_of("--write-file", "--file-name=/mnt/out", "--content=x",
                                     mountPoints=[{"name": "vol", "path": "/mnt",
                                                   "readOnly": True}]), {}, [RW_VOL], 254,
                              "open /mnt/out: read-only file system"),
    "memory-isolator": (app_of("--print-memory-limit", isolators=[
        {"name": "resource/memory", "value": {"limit": "4194304"}}]), {}, [], 0,
        "Memory Limit: 4194304"),
    "cpu-isolator": (app_of("--print-cpuquota", isolators=[
        {"name": "resource/cpu", "value": {"request": "100m", "limit": "100m"}}]), {}, [], 0,
        "CPU Quota: 100"),
    "caps-retain-set": (app_of("--print-caps-pid=0", isolators=[
        {"name": "os/linux/capabilities-retain-set", "value": {"set": ["CAP_NET_ADMIN"]}}],
        environment=[{"name": "CAPABILITY", "value": "12"}]), {}, [], 0, "net_admin=enabled"),
    "user-group-names": (app_of("--print-user", user="user1", group="group1"), {}, [], 0,
                         "User: uid=1000 euid=1000 gid=100 egid=100"),
    "user-group-paths": (app_of("--print-user", user="/etc/passwd", group="/etc/group"), {},
                         [], 0, "User: uid=0 euid=0 gid=0 egid=0"),
    "unknown-user": (app_of("--print-user", user="user2"), {}, [], 254,
                     '"user2" user not found'),
    "unknown-group": (app_of("--print-user", group="group2"), {}, [], 254,
                      '"group2" group not found'),
}


@pytest.mark.parametrize("case", list(POD_MANIFEST_CASES))
def test_pod_manifest(pods, img, tmp_path, case):
    """TestPodManifest: `run --pod-manifest` honours the manifest's app, volumes and
    isolators."""
    app, extra, volumes, code, expect = POD_MANIFEST_CASES[case]
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    volumes = [dict(v, source=str(hostdir)) if v.get("source") == "HOSTDIR" else v
               for v in volumes]
    key = pods.fetch(img.path)
    mounts = [{"volume": mp["name"], "path": mp["path"]} for mp in app.get("mountPoints", [])]
    entry = {"name": "rkt-inspect", "image": {"name": "coreos.com/rkt-inspect", "id": key},
             "app": app, **extra}
    if mounts:
        entry["mounts"] = mounts
    m = {"acVersion": "0.8.11", "acKind": "PodManifest", "apps": [entry], "volumes": volumes}
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(m))
    r, _ = pods.run(f"--pod-manifest={f}")
    assert r.code == code, r
    assert expect in r.both, r
    if case == "host-volume-rw":
        assert (hostdir / "out").read_text() == "pm-rw"


# --------------------------------------------------------------------------- hostname

def test_run_prepared_hostname_and_etc_hostname(pods, img):
    """TestHostname, TestPrepareAppCheckEtcHostname: run-prepared --hostname sets the
    hostname and /etc/hostname (mode 0644); without it both are rkt-<uuid>."""
    for flags in (["--hostname=test-hostname"], []):
        uuid = pods.ok(INSECURE, "prepare", *pods.stage1_args(), img.path, "--exec=/bin/sh",
                       "--", "-c", "/inspect --print-hostname --stat-file "
                       "--file-name=/etc/hostname; cat /etc/hostname").out.strip()
        r = pods("run-prepared", "--net=host", *flags, uuid)
        assert r.code == 0, r
        name = "test-hostname" if flags else f"rkt-{uuid}"
        assert f"Hostname: {name}" in r.out, r
        assert "/etc/hostname: mode: -rw-r--r--" in r.out, r
        assert f"{name}\n" in r.out.splitlines(keepends=True), r


# --------------------------------------------------------------------------- capabilities

DEFAULT_CAPS = ["chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid",
                "setpcap", "net_bind_service", "net_raw", "sys_chroot", "mknod", "audit_write",
                "setfcap"]


def cap_isolator(kind, caps):
    return {"name": f"os/linux/capabilities-{kind}-set", "value": {"set": caps}}


CAPS_CASES = {
    # name: (image isolators, CLI flags, expected bounding set)
    "image-retain": ([cap_isolator("retain", ["CAP_NET_ADMIN", "CAP_KILL"])], [],
                     ["kill", "net_admin"]),
    "image-remove": ([cap_isolator("remove", ["CAP_CHOWN", "CAP_SYS_ADMIN"])], [],
                     DEFAULT_CAPS[1:]),
    "image-remove-all": ([cap_isolator("remove", ["CAP_" + c.upper() for c in DEFAULT_CAPS])],
                         [], []),
    "cli-retain-replaces-image": ([cap_isolator("retain", ["CAP_NET_ADMIN"])],
                                  ["--caps-retain=CAP_KILL"], ["kill"]),
    "cli-remove-replaces-image": ([cap_isolator("retain", ["CAP_NET_ADMIN"])],
                                  ["--caps-remove=CAP_CHOWN"], DEFAULT_CAPS[1:]),
    "deprecated-cap-retain": ([], ["--cap-retain=CAP_KILL"], ["kill"]),
    "non-root-retain": ([cap_isolator("retain", ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"])],
                        ["--user=9000", "--group=9000"], ["net_bind_service", "net_admin"]),
}


@pytest.mark.parametrize("case", list(CAPS_CASES))
def test_capabilities_from_image_and_cli(pods, mkinspect, case):
    """TestCapsSeveralAppWithPatches, TestCapsSeveralAppWithFlags, TestCapsOverride,
    TestCapsNonRoot: the image's retain/remove sets, and CLI flags replacing them."""
    isolators, flags, expect = CAPS_CASES[case]
    image = mkinspect(isolators=isolators)
    r, _ = pods.run(image.path, *flags, "--", "--print-caps-pid=0")
    assert r.code == 0, r
    (line,) = lines_with(r.out, "Capability set: bounding: ")
    got = line[len("Capability set: bounding: "):].rsplit(" (", 1)[0]
    assert [c for c in got.split(", ") if c] == expect, line


# --------------------------------------------------------------------------- more of §11

def test_pre_start_runs_as_root(pods, mkinspect):
    """TestPreStart: the pre-start event handler runs as root when the app's user is not."""
    image = mkinspect(user="1000", group="100", exec_=["/inspect", "--print-user"],
                      event_handlers=[{"name": "pre-start",
                                       "exec": ["/inspect", "--print-user"]}])
    r, _ = pods.run(image.path)
    assert r.code == 0, r
    assert lines_with(r.out, "User: ") == ["User: uid=0 euid=0 gid=0 egid=0",
                                           "User: uid=1000 euid=1000 gid=100 egid=100"], r


def test_supplementary_gids_from_the_image(pods, mkinspect):
    """TestSupplementaryGIDs: the image's supplementaryGIDs."""
    image = mkinspect(supplementary_gids=[400, 500, 1200], exec_=["/inspect", "--print-groups"])
    r, _ = pods.run(image.path)
    assert r.code == 0, r
    assert "Groups: 0 400 500 1200" in r.out, r


def test_rm_by_short_uuid_removes_the_cgroups(pods, img):
    """TestRmCgroup: `rm <short uuid>` of an exited pod removes its cgroups."""
    r, uuid = pods.run(img.path)
    assert r.code == 0, r
    pods.ok("rm", uuid[:8])
    assert pod_cgroups({uuid}) == []
    assert not (pods.dir / "pods" / "run" / uuid).exists()


@pytest.mark.parametrize("options,allowed", [("image", False), ("image,paths", True)])
def test_device_nodes_need_insecure_paths(pods, img, options, allowed):
    """TestDevices: mknod of a device outside the default list fails unless
    --insecure-options has `paths`."""
    r, _ = pods.run(f"--insecure-options={options}", img.path, "--",
                    "--mknod=c:5:2:/tmp/ptmx2")
    if allowed:
        assert r.code == 0 and "mknod /tmp/ptmx2: succeed" in r.out, r
    else:
        assert r.code == 254 and "mknod /tmp/ptmx2: fail" in r.both, r


@pytest.mark.skipif(not os.path.exists("/proc/sysrq-trigger"),
                    reason="the kernel has no /proc/sysrq-trigger")
@pytest.mark.parametrize("options", ["image", "image,ondisk", "image,capabilities",
                                     "all-fetch"])
def test_proc_sysrq_trigger_is_read_only(pods, img, options):
    """TestPathsWrite: /proc/sysrq-trigger cannot be written, whatever insecure options
    other than `paths` are given."""
    r, _ = pods.run(f"--insecure-options={options}", img.path, "--", "--write-file",
                    "--file-name=/proc/sysrq-trigger", "--content=h")
    assert r.code == 254, r
    assert "open /proc/sysrq-trigger: read-only file system" in r.err, r


def test_host_volume_on_etc_hosts_wins(pods, img, tmp_path):
    """TestEtcHosts: a host volume mounted on /etc/hosts is what the app reads."""
    hosts = tmp_path / "hosts"
    hosts.write_text("10.9.8.7 from-the-volume\n")
    r, _ = pods.run(f"--volume=hosts,kind=host,source={hosts}", img.path,
                    "--mount=volume=hosts,target=/etc/hosts", "--", "--read-file",
                    "--file-name=/etc/hosts")
    assert r.code == 0, r
    assert "<<<10.9.8.7 from-the-volume\n>>>" in r.out, r


@pytest.mark.parametrize("flags,expect", [((), "CPU Quota: 800"),
                                          (("--cpu=900m",), "CPU Quota: 900"),
                                          (("--cpu-shares=12345",), "CPU Shares: 12345")])
def test_cpu_isolators_seen_by_the_app(pods, img, flags, expect):
    """TestAppIsolatorCPU (the image's 800m, --cpu), TestAppIsolatorCPUShares."""
    what = "--print-cpushares" if "Shares" in expect else "--print-cpuquota"
    r, _ = pods.run(img.path, *flags, "--", what)
    assert r.code == 0, r
    assert expect in r.out.splitlines(), r


def list_times(pods, uuid):
    """CREATED and STARTED of `list --full` (UTC) as epoch seconds (None when empty)."""
    env = dict(os.environ, TZ="UTC")
    (row,) = [ln for ln in pods.ok("list", "--full", "--no-legend", env=env).out.splitlines()
              if ln.startswith(uuid)]
    cells = row.split("\t")

    def parse(s):
        if not s:
            return None
        s = s.replace(" +0000 UTC", "")
        fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in s else "%Y-%m-%d %H:%M:%S"
        return datetime.datetime.strptime(s, fmt).replace(
            tzinfo=datetime.timezone.utc).timestamp()
    return parse(cells[5]), parse(cells[6])


def test_list_created_and_started(pods, img):
    """TestRktListCreatedStarted: CREATED is the prepare's time, STARTED the
    run-prepared's (bounds taken around each command; times print milliseconds)."""
    t0 = time.time()
    uuid = pods.ok(INSECURE, "prepare", *pods.stage1_args(), img.path).out.strip()
    t1 = time.time()
    created, started = list_times(pods, uuid)
    assert t0 - 1 <= created <= t1 + 1 and started is None
    t2 = time.time()
    r = pods("run-prepared", "--net=host", uuid)
    assert r.code == 0, r
    t3 = time.time()
    created2, started = list_times(pods, uuid)
    assert created2 == created
    assert t2 - 1 <= started <= t3 + 1


# --------------------------------------------------------------------------- export

def exported_file(pods, aci):
    r, _ = pods.run(aci, "--", "--read-file", "--file-name=/dir1/export-me")
    assert r.code == 0, r
    return r.out


def test_export_one_app_of_two(pods, img, tmp_path):
    """TestExport (multi-app): `export --app=NAME` exports that app."""
    w = ["--", "--write-file", "--file-name=/dir1/export-me"]
    r, uuid = pods.run(img.path, "--name=one", *w, "--content=ThisIsOne", "---",
                       img.path, "--name=two", *w, "--content=ThisIsTwo")
    assert r.code == 0, r
    out = tmp_path / "two.aci"
    pods.ok("export", "--app=two", uuid, out)
    assert "<<<ThisIsTwo>>>" in exported_file(pods, out)


def test_export_after_the_pod_was_unmounted(pods, img, tmp_path):
    """TestExport (overlay, after a simulated reboot): the pod's overlay mounts are gone;
    export still exports what the app wrote."""
    r, uuid = pods.run(img.path, "--", "--write-file", "--file-name=/dir1/export-me",
                       "--content=ThisIsATest")
    assert r.code == 0, r
    s1 = pods.dir / "pods" / "run" / uuid / "stage1" / "rootfs"
    for mp in sorted(mounts_under(s1), key=len, reverse=True):
        subprocess.run(["umount", mp], check=True)
    assert mounts_under(s1) == []
    out = tmp_path / "exported.aci"
    pods.ok("export", uuid, out)
    assert "<<<ThisIsATest>>>" in exported_file(pods, out)


# --------------------------------------------------------------------------- enter's wait

def pod_without_pid_file(pods, img):
    """A running pod whose pid file was moved away (as if its stage1 had not written it
    yet), and a `rkt enter` started meanwhile. Returns (pod, enter process, pid file,
    moved file)."""
    p = pods.start(img.path, "--", "--silent-sigterm", "--sleep=60")
    pods.wait_ready(p.uuid)
    pid_file = pods.dir / "pods" / "run" / p.uuid / "pid"
    moved = pid_file.with_name("pid.moved")
    os.rename(pid_file, moved)
    enter = pods.popen("enter", p.uuid, "/inspect", "--print-msg=RktEnterWorksFine")
    return p, enter, pid_file, moved


def test_enter_waits_for_the_pid_file(pods, img):
    """TestPidFileDelayedStart: enter waits until the pod's pid file exists."""
    p, enter, pid_file, moved = pod_without_pid_file(pods, img)
    time.sleep(0.5)  # enter sees no pid file first (were it slower, the test only passes)
    assert enter.poll() is None, enter.communicate()
    os.rename(moved, pid_file)
    out, err = enter.communicate(timeout=30)
    assert enter.returncode == 0, (out, err)
    assert "RktEnterWorksFine" in out
    pods.ok("stop", p.uuid)
    assert p.wait().code == 0


def test_enter_gives_up_when_the_pod_ends(pods, img):
    """TestPidFileAbortedStart: enter waiting for the pid file fails when the pod exits."""
    p, enter, _, moved = pod_without_pid_file(pods, img)
    time.sleep(0.5)  # enter is waiting (were it slower, it finds the pod gone at once)
    assert enter.poll() is None, enter.communicate()
    os.kill(int(moved.read_text()), 9)
    out, err = enter.communicate(timeout=30)
    assert enter.returncode == 254, (out, err)
    assert (f"pod {p.uuid} is not running anymore" in err or
            f'pod "{p.uuid}" isn\'t currently running' in err), err
    assert "RktEnterWorksFine" not in out


@pytest.mark.parametrize("options", ["image,capabilities", "image,ondisk,paths,capabilities",
                                     "all-fetch,capabilities", "all"])
@pytest.mark.parametrize("how", ["run", "prepare"])
def test_insecure_capabilities_in_run_and_prepare(pods, img, how, options):
    """TestCapsInsecureOption: `capabilities` in --insecure-options gives the app the whole
    bounding set of the host, with run and with prepare + run-prepared (both given the
    options, as rkt's test does)."""
    insecure = f"--insecure-options={options}"
    app = [img.path, "--exec=/bin/cat", "--", "/proc/self/status"]
    if how == "run":
        r, _ = pods.run(insecure, *app)
    else:
        uuid = pods.ok(insecure, "prepare", *pods.stage1_args(), *app).out.strip()
        r = pods(insecure, "run-prepared", "--net=host", uuid)
    assert r.code == 0, r
    host = status_field(open("/proc/self/status").read(), "CapBnd")
    assert status_field(r.out, "CapBnd") == host, r


def status_field(text, key):
    (line,) = [ln for ln in text.splitlines() if ln.startswith(key + ":")]
    return line.split(":", 1)[1].strip()


DOCKER_MOUNT_POINTS = [("d1", "/dir1"), ("d2", "/dir2"), ("l1", "/dir1/link_rel_dir2"),
                       ("l2", "/dir1/link_abs_dir2")]


@pytest.mark.parametrize("how", ["cli", "pod-manifest"])
def test_docker_volume_semantics(pods, tmp_path, how):
    """TestDockerVolumeSemantics*: an image from Docker (appc.io/docker/repository) whose
    mount points have no volume gets implicit volumes filled with the image's files, also
    at mount points that are symlinks in the image."""
    image = rkt_inspect_image(tmp_path / "docker.aci", mount_points=DOCKER_MOUNT_POINTS,
                              exec_=["/inspect", "--read-file", "--file-name=/dir1/file"])
    if how == "cli":
        r, _ = pods.run(image.path)
    else:
        key = pods.fetch(image.path)
        m = {"acVersion": "0.8.11", "acKind": "PodManifest",
             "apps": [{"name": "rkt-inspect",
                       "image": {"name": "coreos.com/rkt-inspect", "id": key}}]}
        f = tmp_path / "pod.json"
        f.write_text(json.dumps(m))
        r, _ = pods.run(f"--pod-manifest={f}")
    assert r.code == 0, r
    assert "<<<dir1>>>" in r.out, r
    r, _ = pods.run(image.path, "--exec=/inspect", "--", "--read-file",
                    "--file-name=/dir2/file")
    assert r.code == 0 and "<<<dir2>>>" in r.out, r


def test_pod_manifest_app_without_app_section(pods, tmp_path):
    """TestPodManifest: an app entry without `app` runs the image's app with the image's
    mount points; the volume's readOnly applies."""
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    image = rkt_inspect_image(tmp_path / "mp.aci", mount_points=[("dir1", "/dir1")],
                              exec_=["/inspect", "--write-file", "--file-name=/dir1/file",
                                     "--content=x"])
    key = pods.fetch(image.path)
    m = {"acVersion": "0.8.11", "acKind": "PodManifest",
         "apps": [{"name": "rkt-inspect", "image": {"name": "coreos.com/rkt-inspect", "id": key},
                   "mounts": [{"volume": "dir1", "path": "/dir1"}]}],
         "volumes": [{"name": "dir1", "kind": "host", "source": str(hostdir),
                      "readOnly": True}]}
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(m))
    r, _ = pods.run(f"--pod-manifest={f}")
    assert r.code == 254, r
    assert "open /dir1/file: read-only file system" in r.err, r
    assert list(hostdir.iterdir()) == []
