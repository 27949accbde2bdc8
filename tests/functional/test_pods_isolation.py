# SPDX-License-Identifier: Apache-2.0
"""Isolation and security end to end with the native stage1 (SPEC.md §11.11): pid and
mount namespaces, masked /proc and /sys paths, /dev contents, capabilities (default set,
--caps-retain/--caps-remove, --insecure-options=capabilities), no_new_privs, memory limit,
oom-score-adj, device access (--private-users: test_private_users.py)."""
import os
from pathlib import Path

import pytest

from podtest import img, lines_with, needs_root, pods  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]

DEFAULT_CAPS = ("chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap, "
                "net_bind_service, net_raw, sys_chroot, mknod, audit_write, setfcap")
DEFAULT_MASK = 0xA80425FB


def status_field(out, key):
    (line,) = [ln for ln in out.splitlines() if ln.startswith(key + ":")]
    return line.split(":", 1)[1].strip()


def host_has_cap(n):
    return bool(int(status_field(Path("/proc/self/status").read_text(), "CapBnd"), 16) >> n & 1)


def caps(out, which):
    (line,) = lines_with(out, f"Capability set: {which}: ")
    return line[len(f"Capability set: {which}: "):].rsplit(" (", 1)[0]


# --------------------------------------------------------------------------- namespaces

def test_pid_namespace(pods, img):
    r, _ = pods.run(img.path, "--exec=/bin/sh", "--", "-c",
                    "cat /proc/1/comm; /inspect --print-pid")
    assert r.code == 0, r
    comm, pid = r.out.splitlines()[:2]
    assert comm == "init"  # the pod's init, not the host's pid 1
    assert pid.startswith("PID: ") and int(pid[5:]) != 1


def test_namespaces_differ_from_host(pods, img):
    r, _ = pods.run(img.path, "--", "--print-ns")
    assert r.code == 0, r
    ns = dict(ln.split(": ", 1) for ln in r.out.splitlines() if "NS: " in ln)
    for key, name in (("PIDNS", "pid"), ("MountNS", "mnt"), ("UTSNS", "uts"),
                      ("IPCNS", "ipc")):
        assert ns[key] != os.readlink(f"/proc/self/ns/{name}"), key


def test_app_mount_ns_differs_from_pod_init(pods, img):
    # SPEC.md §11.11 TestMountNSApp: the app has its own mount namespace (reading pid 1's
    # namespace link needs ptrace access to the init, hence CAP_SYS_PTRACE)
    r, _ = pods.run(img.path, "--caps-retain=CAP_SYS_PTRACE", "--", "--check-mountns")
    assert r.code == 0 and "check-mountns: DIFFERENT" in r.out, r


def test_uts_hostname_not_leaking_to_host(pods, img):
    before = os.uname().nodename
    r, _ = pods.run("--hostname=pod-only-name", img.path, "--", "--print-hostname")
    assert "Hostname: pod-only-name" in r.out, r
    assert os.uname().nodename == before


# --------------------------------------------------------------------------- paths

def test_masked_proc_and_sys_paths(pods, img):
    masked = [p for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                          "/proc/latency_stats", "/sys/firmware", "/proc/acpi",
                          "/proc/scsi") if Path(p).exists()]
    assert masked, "none of the masked paths exists on this host"
    script = " ; ".join(f"stat -c '%A %n' {p}" for p in masked)
    r, _ = pods.run(img.path, "--exec=/bin/sh", "--", "-c", script)
    assert r.code == 0, r
    for p in masked:
        want = "d---------" if Path(p).is_dir() else "----------"
        assert f"{want} {p}" in r.out.splitlines(), (p, r.out)


def test_proc_sys_is_read_only(pods, img):
    r, _ = pods.run(img.path, "--", "--write-file", "--file-name=/proc/sys/kernel/hostname",
                    "--content=x")
    assert r.code == 254, r
    assert "read-only file system" in r.err
    # sysfs too
    r, _ = pods.run(img.path, "--", "--write-file", "--file-name=/sys/kernel/uevent_helper",
                    "--content=x")
    assert r.code == 254 and "read-only file system" in r.err, r


def test_no_host_device_nodes_in_dev(pods, img):
    r, _ = pods.run(img.path, "--", "--list-dev")
    assert r.code == 0, r
    inside = {ln[len("/dev/"):] for ln in r.out.splitlines() if ln.startswith("/dev/")}
    allowed = {"null", "zero", "full", "random", "urandom", "tty", "console", "ptmx", "pts",
               "shm", "fd", "stdin", "stdout", "stderr", "core", "net", "mqueue", "log"}
    assert {"null", "zero", "urandom", "ptmx", "pts", "shm"} <= inside
    assert inside <= allowed, inside - allowed
    host_only = set(os.listdir("/dev")) - allowed
    assert host_only and not (host_only & inside)  # e.g. loop0, kmsg, tty1 stay outside


def test_dev_ptmx_mode(pods, img):
    r, _ = pods.run(img.path, "--", "--stat-file", "--file-name=/dev/ptmx")
    assert r.code == 0, r
    assert "/dev/ptmx: mode: Dcrw-rw-rw-" in r.out and "/dev/ptmx: user: 0" in r.out


def test_device_cgroup_mknod(pods, img):
    # SPEC.md §11.11 TestDevices: mknod c 1 3 allowed; c 5 2 and c 10 237 denied.
    # BUG if c 5 2 succeeds: no device cgroup whitelist for the app (native stage1)
    r, _ = pods.run(img.path, "--", "--mknod=c:1:3:/tmp/null")
    assert r.code == 0 and "mknod /tmp/null: succeed" in r.out, r
    for dev in ("c:5:2:/tmp/ptmx2", "c:10:237:/tmp/loopctl"):
        r, _ = pods.run(img.path, "--", f"--mknod={dev}")
        assert r.code == 254, (dev, r)
        assert "fail" in r.err


# ------------------------------------------------------------ what each relaxation relaxes

MASKED = ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/timer_stats",
          "/proc/sched_debug", "/proc/latency_stats", "/proc/acpi", "/proc/scsi", "/sys/firmware")
READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/bus", "/proc/fs", "/proc/irq")
ALLOWED_DEV = {"null", "zero", "full", "random", "urandom", "tty", "console", "ptmx", "pts",
               "shm", "fd", "stdin", "stdout", "stderr", "core", "net", "mqueue", "log"}
PROBE = ("for p in {masked}; do stat -c '%A %n' $p; done; echo ==; cat /proc/self/mountinfo; "
         "echo ==; grep -E '^(CapBnd|CapEff|Seccomp|NoNewPrivs):' /proc/self/status; echo ==; "
         "/inspect --mknod=c:5:2:/tmp/ptmx2 >/dev/null 2>&1 && echo mknod=ok || "
         "echo mknod=denied; echo ==; ls /dev")


def read_only_mounts(mountinfo):
    """{mount point: read-only} of a mountinfo text (the last mount of a point wins)."""
    out = {}
    for ln in mountinfo.splitlines():
        f = ln.split()
        out[f[4]] = "ro" in f[5].split(",")
    return out


@pytest.mark.parametrize("options,paths,caps_,seccomp", [
    ("image", False, False, False),
    ("image,paths", True, False, False),
    ("image,capabilities", False, True, False),
    ("image,seccomp", False, False, True),
    ("image,ondisk,http,tls,pubkey", False, False, False),
    ("image,all-run", True, True, True),
], ids=["none", "paths", "capabilities", "seccomp", "fetch-only", "all-run"])
def test_each_insecure_option_relaxes_exactly_its_own_restrictions(pods, img, options, paths,
                                                                   caps_, seccomp):
    """SPEC.md §11.11: `paths` lifts the masked and read-only /proc paths and the device
    allow-list, and nothing else (/sys stays read-only, /dev stays minimal, capabilities and
    seccomp stay); `capabilities` lifts the bounding set alone; `seccomp` the filter alone."""
    masked = [p for p in MASKED if Path(p).exists()]
    r, _ = pods.run(f"--insecure-options={options}", img.path, "--exec=/bin/sh", "--", "-c",
                    PROBE.format(masked=" ".join(masked)))
    assert r.code == 0, r
    stats, mountinfo, status, mknod, dev = r.out.split("==\n")
    modes = dict(ln.split(" ", 1)[::-1] for ln in stats.splitlines())
    for p in masked:
        hidden = modes[p] in ("----------", "d---------")
        assert hidden != paths, (options, p, modes[p])
    ro = read_only_mounts(mountinfo)
    for p in READ_ONLY:
        if Path(p).exists():
            assert ro.get(p, False) != paths, (options, p)
    assert ro["/sys"], (options, "/sys must stay read-only")
    assert mknod.strip() == ("mknod=ok" if paths else "mknod=denied"), (options, mknod)
    names = set(dev.split())
    assert names <= ALLOWED_DEV, (options, names - ALLOWED_DEV)
    host_bnd = int(status_field(Path("/proc/self/status").read_text(), "CapBnd"), 16)
    want = host_bnd if caps_ else DEFAULT_MASK
    assert int(status_field(status, "CapBnd"), 16) == want, (options, status)
    assert int(status_field(status, "CapEff"), 16) == want, (options, status)
    assert status_field(status, "Seccomp") == ("0" if seccomp else "2"), (options, status)
    assert status_field(status, "NoNewPrivs") == "0", (options, status)


# --------------------------------------------------------------------------- capabilities

def test_default_capabilities(pods, img):
    r, _ = pods.run(img.path, "--", "--print-caps-pid=0")
    assert r.code == 0, r
    for which in ("bounding", "effective", "permitted"):
        assert caps(r.out, which) == DEFAULT_CAPS, which
    r, _ = pods.run(img.path, "--exec=/bin/cat", "--", "/proc/self/status")
    assert int(status_field(r.out, "CapBnd"), 16) == DEFAULT_MASK
    assert int(status_field(r.out, "CapEff"), 16) == DEFAULT_MASK


def test_caps_retain(pods, img):
    r, _ = pods.run(img.path, "--caps-retain=CAP_NET_ADMIN,CAP_NET_BIND_SERVICE", "--",
                    "--print-caps-pid=0")
    assert r.code == 0, r
    assert caps(r.out, "bounding") == "net_bind_service, net_admin"
    assert caps(r.out, "effective") == "net_bind_service, net_admin"


def test_caps_remove(pods, img):
    r, _ = pods.run(img.path, "--caps-remove=CAP_CHOWN,CAP_MKNOD,CAP_SYS_ADMIN", "--",
                    "--print-caps-pid=0")
    assert r.code == 0, r
    expect = ", ".join(c for c in DEFAULT_CAPS.split(", ") if c not in ("chown", "mknod"))
    assert caps(r.out, "bounding") == expect


def test_caps_env_check(pods, img):
    r, _ = pods.run("--set-env=CAPABILITY=12", img.path, "--", "--print-caps-pid=0")
    assert "net_admin=disabled" in r.out, r
    r, _ = pods.run("--set-env=CAPABILITY=12", img.path, "--caps-retain=CAP_NET_ADMIN", "--",
                    "--print-caps-pid=0")
    assert "net_admin=enabled" in r.out, r


def test_caps_retain_and_remove_conflict(pods, img):
    r, _ = pods.run(img.path, "--caps-retain=CAP_KILL", "--caps-remove=CAP_CHOWN")
    assert r.code == 254, r
    assert "cannot use both --caps-retain and --caps-remove on the same image" in r.err


def test_insecure_capabilities_gives_all(pods, img):
    r, _ = pods.run("--insecure-options=image,capabilities", img.path, "--exec=/bin/cat",
                    "--", "/proc/self/status")
    assert r.code == 0, r
    host_bnd = int(status_field(Path("/proc/self/status").read_text(), "CapBnd"), 16)
    assert int(status_field(r.out, "CapBnd"), 16) == host_bnd
    assert int(status_field(r.out, "CapEff"), 16) == host_bnd


def test_caps_non_root_user(pods, img):
    r, _ = pods.run(img.path, "--user=9000", "--group=9000", "--", "--print-user",
                    "--print-caps-pid=0")
    assert r.code == 0, r
    assert "User: uid=9000 euid=9000 gid=9000 egid=9000" in r.out
    assert caps(r.out, "bounding") == DEFAULT_CAPS


# --------------------------------------------------------------------------- isolators

@pytest.mark.parametrize("value,expect", [(None, "0"), (True, "1"), (False, "0")])
def test_no_new_privs(pods, mkinspect, value, expect):
    iso = [] if value is None else [{"name": "os/linux/no-new-privileges", "value": value}]
    image = mkinspect(isolators=iso)
    r, _ = pods.run(image.path, "--", "--check-no-new-privs")
    assert r.code == 0, r
    assert f"no_new_privs: {expect} err: errno 0" in r.out


def test_no_new_privs_last_wins_and_non_root(pods, mkinspect):
    image = mkinspect(user="1000", group="100", isolators=[
        {"name": "os/linux/no-new-privileges", "value": False},
        {"name": "os/linux/no-new-privileges", "value": True}])
    r, _ = pods.run(image.path, "--", "--check-no-new-privs")
    assert r.code == 0 and "no_new_privs: 1 err: errno 0" in r.out, r


def test_memory_limit_in_host_cgroup(pods, img):
    # the app's memory cgroup (as the host sees it) carries the --memory limit
    p = pods.start(img.path, "--memory=42Mi", "--", "--silent-sigterm", "--sleep=60")
    pods.wait_ready(p.uuid)
    found = []
    for d in Path("/sys/fs/cgroup/memory").glob(f"machine.slice/*{p.uuid[:8]}*/**/"
                                                 "memory.limit_in_bytes"):
        found.append((d, int(d.read_text())))
    for d in Path("/sys/fs/cgroup/unified").glob(f"machine.slice/*{p.uuid[:8]}*/**/memory.max"):
        v = d.read_text().strip()
        found.append((d, int(v) if v != "max" else -1))
    assert any(v == 44040192 for _, v in found), found


@pytest.mark.parametrize("flags,expect", [((), 26214400), (("--memory=42Mi",), 44040192)])
def test_memory_limit_seen_by_app(pods, img, flags, expect):
    # SPEC.md §11.11 TestAppIsolatorMemory (the app reads its own cgroup's limit).
    # BUG if "no readable memory.limit_in_bytes": the native stage1 mounts no cgroup
    # filesystem in the app (/sys/fs/cgroup is empty), though the host-side limit is set
    r, _ = pods.run(img.path, *flags, "--", "--print-memory-limit")
    assert r.code == 0, r
    assert f"Memory Limit: {expect}" in r.out


def test_cgroups_read_only_for_app(pods, img):
    # SPEC.md §11.11 TestCgroups: cgroupfs mounted read-only except the app's knobs
    # (BUG: nothing is mounted on /sys/fs/cgroup in the app, see above)
    r, _ = pods.run(img.path, "--", "--check-cgroups")
    assert r.code == 0 and "check-cgroups: SUCCESS" in r.out, r


@pytest.mark.parametrize("flags,iso,expect", [
    ((), None, "0"),
    (("--oom-score-adj=42",), None, "42"),
    ((), 99, "99"),
    ((), -50, "-50"),
])
def test_oom_score_adj(pods, mkinspect, flags, iso, expect):
    if iso is not None and iso < 0 and not host_has_cap(24):
        pytest.skip("lowering oom_score_adj needs CAP_SYS_RESOURCE, which this host lacks")
    image = mkinspect(busybox=True, isolators=None if iso is None else [
        {"name": "os/linux/oom-score-adj", "value": iso}])
    r, _ = pods.run(image.path, *flags, "--exec=/bin/cat", "--", "/proc/self/oom_score_adj")
    assert r.code == 0, r
    assert r.out.strip() == expect

