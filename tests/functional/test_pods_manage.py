# SPDX-License-Identifier: Apache-2.0
"""list, status, stop, gc, rm and cat-manifest (SPEC.md §3.5-3.9, §3.12, §6.4, §6.7, §11.3,
§11.4) against synthetic pod directories built on disk (podutil), with "running" and
"preparing" simulated by a process holding the pod's flock."""
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import Rkt
from podutil import (IMAGE_ID, LockHolder, make_pod, pod_manifest, recorded,
                     stage1_tree_entrypoint, utc_env, write_stage1)

pytestmark = pytest.mark.offline

T0 = 1700000000  # 2023-11-14 22:13:20 UTC


def lines(text):
    return [re.split(r"\t+", l) for l in text.splitlines()]


def as_nobody(rkt, *argv):
    cmd = rkt.prefix() + ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + \
        rkt.args() + [str(a) for a in argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/")


def status(rkt, uuid, *flags):
    r = rkt.ok("status", *flags, uuid, env=utc_env())
    return dict(l.split("=", 1) for l in r.out.splitlines())


# --------------------------------------------------------------------------- states

def test_state_derivation_for_every_state(rkt):
    d = rkt.dir
    pods = {
        "aborted prepare": make_pod(d, "prepare", manifest=False, appsinfo=False),
        "prepared": make_pod(d, "prepared"),
        "exited": make_pod(d, "run", pid=T0),
        "exited garbage": make_pod(d, "exited-garbage", pid=T0),
    }
    locked = {
        "preparing": make_pod(d, "prepare", manifest=False, appsinfo=False),
        "running": make_pod(d, "run", pid=T0),
        "exited deleting": make_pod(d, "exited-garbage", pid=T0),
    }
    holders = [LockHolder(p.path) for p in locked.values()]
    try:
        for want, p in {**pods, **locked}.items():
            assert status(rkt, p.uuid)["state"] == want, want
        out = rkt.ok("list", "--full", "--no-legend").out
        states = {row[0]: row[4] for row in lines(out) if row[0]}
        assert states == {p.uuid: s for s, p in {**pods, **locked}.items()}
    finally:
        for h in holders:
            h.release()
    assert status(rkt, locked["running"].uuid)["state"] == "exited"
    assert status(rkt, locked["preparing"].uuid)["state"] == "aborted prepare"


def test_embryo_and_garbage_are_not_addressable_or_listed(rkt):
    e = make_pod(rkt.dir, "embryo")
    g = make_pod(rkt.dir, "garbage")
    for p in (e, g):
        r = rkt.fail("status", p.uuid)
        assert f'status: problem retrieving pod: no matches found for "{p.uuid}"' in r.err
    assert rkt.ok("list", "--no-legend").out == "\n"


def test_uuid_prefix_resolution_and_errors(rkt):
    a = make_pod(rkt.dir, "prepared", uuid="aaaa1111-0000-4000-8000-000000000001")
    make_pod(rkt.dir, "prepared", uuid="aaaa2222-0000-4000-8000-000000000002")
    assert status(rkt, "AAAA1")["state"] == "prepared"
    r = rkt.ok("cat-manifest", "--pretty-print=false", "aaaa11")
    assert json.loads(r.out)["apps"][0]["name"] == "app1"
    r = rkt.fail("status", "aaaa")
    assert "problem retrieving pod: ambiguous uuid, 2 matches" in r.err
    r = rkt.fail("status", "B")
    assert 'problem retrieving pod: no matches found for "b"' in r.err
    r = rkt.fail("status", "")
    assert "problem retrieving pod: UUID cannot be empty" in r.err
    assert a.where() == ["prepared"]


def test_non_directories_in_pod_dirs_are_ignored(rkt):
    p = make_pod(rkt.dir, "prepared")
    (rkt.dir / "pods" / "run" / "junk").write_text("x")
    r = rkt.ok("list", "--no-legend")
    assert 'unrecognized entry: "junk", ignoring' in r.err
    assert r.out.startswith(p.uuid[:8])


# --------------------------------------------------------------------------- list

def test_list_table_normal_full_and_no_legend(rkt):
    now = time.time()
    p = make_pod(rkt.dir, "run", apps=[("web", "1.2.3"), ("db", None)], created=now - 150,
                 pid=now - 90, net_info=[{"netName": "default", "ip": "172.16.28.7"}])
    with LockHolder(p.path):
        out = rkt.ok("list").out
        rows = lines(out)
        assert rows[0] == ["UUID", "APP", "IMAGE NAME", "STATE", "CREATED", "STARTED",
                           "NETWORKS"]
        assert rows[1] == [p.uuid[:8], "web", "example.com/web:1.2.3", "running",
                           "2 minutes ago", "1 minute ago", "default:ip4=172.16.28.7"]
        assert rows[2] == ["", "db", "example.com/db", ""]
        out = rkt.ok("list", "--full", env=utc_env()).out
        rows = lines(out)
        assert rows[0] == ["UUID", "APP", "IMAGE NAME", "IMAGE ID", "STATE", "CREATED",
                           "STARTED", "NETWORKS"]
        assert rows[1][:5] == [p.uuid, "web", "example.com/web:1.2.3", IMAGE_ID[:19],
                               "running"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})? \+0000 UTC", rows[1][5])
        no_legend = rkt.ok("list", "--no-legend").out
        assert no_legend == "\n".join(out.splitlines()[1:]) + "\n" or \
            lines(no_legend)[0][0] == p.uuid[:8]


def test_list_exact_full_rendering(rkt):
    p = make_pod(rkt.dir, "run", created=T0, pid=T0 + 5)
    out = rkt.ok("list", "--full", "--no-legend", env=utc_env()).out
    assert out == (f"{p.uuid}\tapp1\texample.com/app1:1.0.0\tsha512-abababababab\texited\t"
                   "2023-11-14 22:13:20 +0000 UTC\t2023-11-14 22:13:25 +0000 UTC\t\n")


def test_list_empty(rkt):
    assert rkt.ok("list", "--no-legend").out == "\n"
    assert rkt.ok("list").out.split() == ["UUID", "APP", "IMAGE", "NAME", "STATE", "CREATED",
                                          "STARTED", "NETWORKS"]
    assert rkt.ok("list", "--format=json").out == "null\n"


def test_list_pod_without_manifest_and_unreadable_image_manifest(rkt):
    a = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    b = make_pod(rkt.dir, "prepared", appsinfo=False)
    r = rkt.ok("list", "--no-legend")
    rows = {row[0]: row for row in lines(r.out)}
    assert rows[a.uuid[:8]][:5] == [a.uuid[:8], "-", "-", "aborted prepare", "a long while ago"]
    assert rows[b.uuid[:8]][:3] == [b.uuid[:8], "app1", "--"]
    assert "1 error(s) encountered when listing pods:" in r.err
    assert f"pod {b.uuid} ImageManifest could not be loaded" in r.err
    assert "rkt's appc version: 0.8.11" in r.err


def test_list_invalid_pod_manifest_is_collected(rkt):
    p = make_pod(rkt.dir, "prepared")
    (p.path / "pod").write_text("{nope")
    r = rkt.ok("list", "--no-legend")
    assert r.out == "\n"
    assert f"Unable to read pod {p.uuid} manifest:" in r.err


def test_list_json_shape(rkt):
    m = pod_manifest([{"name": "app1",
                       "app": {"exec": ["/x"], "user": "0", "group": "0",
                               "userAnnotations": {"b": "2", "a": "1"}},
                       "mounts": [{"volume": "data", "path": "/data"}]}],
                     volumes=[{"name": "data", "kind": "host", "source": "/srv",
                               "readOnly": True}],
                     user_labels={"z": "1", "k": "v"})
    p = make_pod(rkt.dir, "exited-garbage", created=T0, pid=T0 + 1, statuses={"app1": 7},
                 manifest_obj=m)
    mark = os.lstat(p.path).st_ctime_ns
    q = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    r = rkt.ok("list", "--format=json")
    assert "invalid creation time" in r.err and q.uuid not in r.out
    expect = [{"name": p.uuid, "state": "exited garbage", "app_names": ["app1"],
               "apps": [{"name": "app1", "state": "exited", "created_at": T0 * 10**9,
                         "started_at": (T0 + 1) * 10**9, "finished_at": mark, "exit_code": 7,
                         "image_id": IMAGE_ID,
                         "mounts": [{"name": "data", "container_path": "/data",
                                     "host_path": "/srv", "read_only": True}],
                         "user_annotations": {"a": "1", "b": "2"}}],
               "created_at": T0, "started_at": T0 + 1, "user_labels": {"k": "v", "z": "1"}}]
    assert r.out == json.dumps(expect, separators=(",", ":")) + "\n"
    pretty = rkt.ok("list", "--format=json-pretty").out
    assert pretty.startswith("[\n\t{\n\t\t\"name\": ") and json.loads(pretty) == expect


def test_list_json_networks_of_running_pod(rkt):
    net = [{"netName": "default", "netConf": "net/99-default.conf", "pluginPath": "/p",
            "ifName": "eth0", "ip": "172.16.28.9", "args": "", "mask": "255.255.255.0"}]
    p = make_pod(rkt.dir, "run", created=T0, pid=T0, net_info=net)
    with LockHolder(p.path):
        pod = json.loads(rkt.ok("list", "--format=json").out)[0]
    assert pod["state"] == "running" and pod["networks"] == net
    assert pod["apps"][0]["state"] == "running"
    assert "172.16.28.9" in rkt.ok("status", p.uuid).out


def test_net_info_keys_read_as_rkt_read_them(rkt):
    # rkt read P/net-info.json with Go's encoding/json: a key names a field whatever its case
    net = [{"NetName": "default", "IfName": "eth0", "IP": "172.16.28.9", "extra": 1}]
    p = make_pod(rkt.dir, "run", created=T0, pid=T0, net_info=net)
    with LockHolder(p.path):
        pod = json.loads(rkt.ok("list", "--format=json").out)[0]
        assert pod["networks"] == [{"netName": "default", "netConf": "", "pluginPath": "",
                                    "ifName": "eth0", "ip": "172.16.28.9", "args": "",
                                    "mask": ""}]
        assert "\tdefault:ip4=172.16.28.9" in rkt.ok("list", "--no-legend").out
        assert status(rkt, p.uuid)["networks"] == "default:ip4=172.16.28.9"


def test_list_and_status_as_unprivileged_reader():
    top = Path(tempfile.mkdtemp(prefix="rkt-pod-reader-", dir="/tmp"))
    try:
        rkt = Rkt(top / "cfg", dir=top / "data", offline=True)
        p = make_pod(rkt.dir, "prepared")
        for path in (top, *top.rglob("*")):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        r = as_nobody(rkt, "list", "--no-legend")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(p.uuid[:8])
        r = as_nobody(rkt, "status", p.uuid)
        assert r.returncode == 0 and r.stdout.startswith("state=prepared\n"), r.stderr
    finally:
        shutil.rmtree(top)


# --------------------------------------------------------------------------- status

def test_status_exited_pod_lines(rkt):
    p = make_pod(rkt.dir, "run", apps=[("a", None), ("b", None), ("c", None)], created=T0,
                 pid=T0 + 2, statuses={"a": 0, "b": 5})
    r = rkt.ok("status", p.uuid, env=utc_env())
    assert r.out.splitlines() == ["state=exited", "created=2023-11-14 22:13:20 +0000 UTC",
                                  "started=2023-11-14 22:13:22 +0000 UTC", "networks=",
                                  "pid=4242", "exited=true", "app-a=0", "app-b=5"]


def test_status_prepared_and_aborted(rkt):
    p = make_pod(rkt.dir, "prepared", created=T0)
    assert rkt.ok("status", p.uuid, env=utc_env()).out == \
        "state=prepared\ncreated=2023-11-14 22:13:20 +0000 UTC\n"
    q = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    assert rkt.ok("status", q.uuid).out == \
        "state=aborted prepare\ncreated=0001-01-01 00:00:00 +0000 UTC\n"


def test_status_running_pod(rkt):
    p = make_pod(rkt.dir, "run", created=T0, pid=T0, statuses={"app1": 1},
                 net_info=[{"netName": "default", "ip": "172.16.28.7"}])
    with LockHolder(p.path):
        s = status(rkt, p.uuid)
    assert s["state"] == "running" and s["exited"] == "false" and s["pid"] == "4242"
    assert s["networks"] == "default:ip4=172.16.28.7"
    assert "app-app1" not in s


def test_status_json(rkt):
    p = make_pod(rkt.dir, "prepared", created=T0)
    for fmt in ("json", "json-pretty"):
        o = json.loads(rkt.ok("status", f"--format={fmt}", p.uuid).out)
        assert o == {"name": p.uuid, "state": "prepared", "app_names": ["app1"],
                     "apps": [{"name": "app1", "state": "created", "created_at": T0 * 10**9,
                               "image_id": IMAGE_ID}],
                     "created_at": T0}
    q = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    r = rkt.fail("status", "--format=json", q.uuid)
    assert "unable to print status: error converting pod: invalid creation time" in r.err


def test_status_uuid_file(rkt, tmp_path):
    p = make_pod(rkt.dir, "prepared")
    f = tmp_path / "uuid"
    f.write_text(f"  {p.uuid}\n")
    assert rkt.ok("status", f"--uuid-file={f}").out.startswith("state=prepared\n")
    r = rkt.fail("status", f"--uuid-file={tmp_path / 'missing'}", code=1)
    assert "status: unable to resolve UUID from file: open" in r.err
    assert "no such file or directory" in r.err
    rkt.fail("status")
    rkt.fail("status", f"--uuid-file={f}", p.uuid)
    rkt.fail("status", p.uuid, p.uuid)


def test_status_wait_timeouts(rkt):
    p = make_pod(rkt.dir, "run", pid=T0)
    with LockHolder(p.path):
        t = time.monotonic()
        r = rkt.fail("status", "--wait=300ms", p.uuid)
        assert "status: error waiting for pod to finish: context deadline exceeded" in r.err
        assert 0.25 < time.monotonic() - t < 5
        r = rkt.fail("status", "--wait-ready=200ms", p.uuid)
        assert "error waiting for pod readiness: context deadline exceeded" in r.err
        for v in ("--wait=false", "--wait=0", "--wait=0s", "--wait-ready=f"):
            assert status(rkt, p.uuid, v)["state"] == "running"
        rkt.fail("status", "--wait=bogus", p.uuid)
        s1 = p.path / "stage1" / "rootfs" / "rkt"
        s1.mkdir(exist_ok=True)
        (s1 / "supervisor-status").symlink_to("ready")
        assert status(rkt, p.uuid, "--wait-ready")["state"] == "running"
        proc = rkt.popen("status", "--wait", p.uuid)
        time.sleep(0.5)
        assert proc.poll() is None
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.startswith("state=exited\n")
    assert status(rkt, p.uuid, "--wait=true")["state"] == "exited"


# --------------------------------------------------------------------------- stop

def test_stop_runs_the_stage1_stop_entrypoint(rkt, tmp_path):
    p = make_pod(rkt.dir, "run", pid=T0, record_dir=tmp_path)
    with LockHolder(p.path):
        r = rkt.ok("stop", p.uuid[:10])
        assert r.out == f"stub-stdout\n\"{p.uuid}\"\n"
        argv, cwd = recorded(tmp_path, "stop", p.uuid)
        # argv[0] is S1/stop; a script sees the file run, the tree store copy, as $0
        assert argv == [stage1_tree_entrypoint(p, "stop"), p.uuid]
        assert cwd == str(p.path)
        rkt.ok("stop", "--force", p.uuid)
        assert recorded(tmp_path, "stop", p.uuid)[0][1:] == ["--force", p.uuid]
        f = tmp_path / "uuid"
        f.write_text(p.uuid)
        assert rkt.ok("stop", f"--uuid-file={f}").out.endswith(f"\"{p.uuid}\"\n")


def test_stop_states_and_errors(rkt, tmp_path):
    exited = make_pod(rkt.dir, "run", record_dir=tmp_path)
    assert rkt.ok("stop", exited.uuid).out == f"pod \"{exited.uuid}\" is already stopped\n"
    prepared = make_pod(rkt.dir, "prepared", record_dir=tmp_path)
    r = rkt.fail("stop", prepared.uuid, exited.uuid, "nosuch")
    assert f'stop: pod "{prepared.uuid}" is not running' in r.err
    assert 'stop: cannot get pod: no matches found for "nosuch"' in r.err
    assert "stop: failed to stop 2 pod(s)" in r.err
    assert recorded(tmp_path, "stop", prepared.uuid) is None
    r = rkt.fail("stop", f"--uuid-file={tmp_path / 'missing'}", code=1)
    assert "unable to resolve UUID from file" in r.err
    rkt.fail("stop")
    nostop = make_pod(rkt.dir, "run", stage1={"coreos.com/rkt/stage1/run": "/run"})
    failing = make_pod(rkt.dir, "run", record_dir=tmp_path)
    Path(stage1_tree_entrypoint(failing, "stop")).write_text("#!/bin/sh\nexit 3\n")
    with LockHolder(nostop.path), LockHolder(failing.path):
        r = rkt.fail("stop", nostop.uuid, failing.uuid)
    assert (f'error stopping "{nostop.uuid}": rkt stop not implemented for pod\'s stage1: '
            'entrypoint "coreos.com/rkt/stage1/stop" not found') in r.err
    assert f'error stopping "{failing.uuid}": exit status 3' in r.err


CLEAN_STUB = """#!/bin/sh
while read -r k v; do case $k in Sig[BI]*) echo "$k $v";; esac; done < /proc/$$/status > {out}
echo "fds $(ls /proc/$$/fd | tr '\\n' ' ')" >> {out}
"""
STRAY_FD = 57


def ignore_raw(sig):
    """Ignores sig with the raw rt_sigaction(2): glibc's sigaction() refuses 32 and 33, which
    a caller started with glibc's posix_spawn() has ignored."""
    libc = ctypes.CDLL(None, use_errno=True)
    act = (ctypes.c_ulong * 4)(1, 0, 0, 0)  # SIG_IGN, no flags, no restorer, empty mask
    assert libc.syscall(13, sig, act, None, 8) == 0, ctypes.get_errno()  # x86-64's number


def run_with_dirt(rkt, *argv):
    """rkt started as a careless caller may start it: SIGUSR1 blocked, SIGUSR2 and glibc's
    signal 33 ignored and descriptor STRAY_FD open."""
    def dirty():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        ignore_raw(33)
    fd = os.open("/dev/null", os.O_RDONLY)
    os.dup2(fd, STRAY_FD)
    os.close(fd)
    try:
        return subprocess.run(rkt.argv(*argv), capture_output=True, text=True, timeout=60,
                              preexec_fn=dirty, pass_fds=(STRAY_FD,))
    finally:
        os.close(STRAY_FD)


def test_stage1_entrypoints_start_clean(rkt, tmp_path):
    """The stop and gc entrypoints start with every signal default and unblocked and nothing
    open but stdin, stdout and stderr, whatever rkt's caller left it."""
    p = make_pod(rkt.dir, "run", record_dir=tmp_path)
    for ep in ("stop", "gc"):
        Path(stage1_tree_entrypoint(p, ep)).write_text(CLEAN_STUB.format(out=tmp_path / ep))
    with LockHolder(p.path):
        r = run_with_dirt(rkt, "stop", p.uuid)
        assert r.returncode == 0, r.stderr
    r = run_with_dirt(rkt, "gc", "--grace-period=0s")
    assert r.returncode == 0, r.stderr
    assert p.where() == []
    for ep in ("stop", "gc"):
        seen = (tmp_path / ep).read_text()
        assert "SigBlk: 0000000000000000\nSigIgn: 0000000000000000\n" in seen, (ep, seen)
        assert f" {STRAY_FD} " not in seen, (ep, seen)


# --------------------------------------------------------------------------- gc

def test_gc_marks_then_sweeps_after_grace(rkt, tmp_path):
    exited = make_pod(rkt.dir, "run", record_dir=tmp_path)
    aborted = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    prepared = make_pod(rkt.dir, "prepared")
    running = make_pod(rkt.dir, "run", record_dir=tmp_path)
    with LockHolder(running.path):
        r = rkt.ok("gc")
        assert f'gc: moving pod "{exited.uuid}" to garbage' in r.err
        assert f'gc: moving failed prepare "{aborted.uuid}" to garbage' in r.err
        assert (f'gc: pod "{exited.uuid}" not removed: still within grace period (30m0s)'
                in r.err)
        assert r.out == f'Garbage collecting pod "{aborted.uuid}"\n'
        assert exited.where() == ["exited-garbage"] and aborted.where() == []
        assert prepared.where() == ["prepared"] and running.where() == ["run"]
        r = rkt.ok("gc", "--grace-period=1h30m")
        assert "still within grace period (1h30m0s)" in r.err
        r = rkt.ok("gc", "--grace-period=0s", "--expire-prepared=0")
        assert f'moving expired prepared pod "{prepared.uuid}" to garbage' in r.err
        assert f'Garbage collecting pod "{exited.uuid}"' in r.out
        assert f'Garbage collecting pod "{prepared.uuid}"' in r.out
        assert exited.where() == [] and prepared.where() == []
        assert running.where() == ["run"]
    argv, cwd = recorded(tmp_path, "gc", exited.uuid)
    gc_path = rkt.dir / "pods" / "exited-garbage" / exited.uuid
    assert argv == [stage1_tree_entrypoint(exited, "gc"), "--local-config",
                    str(rkt.local), exited.uuid]
    assert cwd == str(gc_path)


def test_gc_mark_only(rkt):
    exited = make_pod(rkt.dir, "run")
    aborted = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    prepared = make_pod(rkt.dir, "prepared")
    rkt.ok("gc", "--mark-only=true", "--expire-prepared=0", "--grace-period=0")
    assert exited.where() == ["exited-garbage"]
    assert aborted.where() == ["garbage"]
    assert prepared.where() == ["prepared"]
    r = rkt.ok("gc", "--mark-only=false", "--expire-prepared=0", "--grace-period=0")
    assert r.out.count("Garbage collecting pod") == 3
    for d in ("run", "prepared", "exited-garbage", "garbage", "prepare"):
        assert list((rkt.dir / "pods" / d).iterdir()) == []


def test_gc_stage1_gc_arguments_by_interface_version_and_debug(rkt, tmp_path):
    old = make_pod(rkt.dir, "exited-garbage")
    write_stage1(old, tmp_path, interface_version=None)
    rkt.ok("--debug", "gc", "--grace-period=0s")
    argv, _ = recorded(tmp_path, "gc", old.uuid)
    assert argv[1:] == ["--debug", old.uuid]
    failing = make_pod(rkt.dir, "exited-garbage", record_dir=tmp_path)
    Path(stage1_tree_entrypoint(failing, "gc")).write_text("#!/bin/sh\nexit 2\n")
    nogc = make_pod(rkt.dir, "exited-garbage", stage1={"coreos.com/rkt/stage1/run": "/run"})
    r = rkt.ok("gc", "--grace-period=0s")
    assert f'problem performing stage1 GC on "{failing.uuid}": exit status 2' in r.err
    assert (f'problem performing stage1 GC on "{nogc.uuid}": entrypoint '
            '"coreos.com/rkt/stage1/gc" not found') in r.err
    assert failing.where() == [] and nogc.where() == []


def test_gc_never_runs_stage1_gc_for_never_run_pods(rkt, tmp_path):
    p = make_pod(rkt.dir, "prepared", record_dir=tmp_path)
    rkt.ok("gc", "--expire-prepared=0s")
    assert p.where() == [] and recorded(tmp_path, "gc", p.uuid) is None


def test_gc_unmounts_everything_below_the_pod(rkt, tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    (host / "precious").write_text("keep me")
    p = make_pod(rkt.dir, "run", record_dir=tmp_path)
    mnt = p.path / "stage1" / "rootfs" / "opt" / "stage2" / "app1" / "rootfs" / "data"
    mnt.mkdir(parents=True)
    subprocess.run(["mount", "--bind", str(host), str(mnt)], check=True)
    tmpfs = p.path / "stage1" / "rootfs" / "dev"
    tmpfs.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(tmpfs)], check=True)
    try:
        r = rkt.ok("gc", "--grace-period=0s")
        assert f'Garbage collecting pod "{p.uuid}"' in r.out
        assert p.where() == []
        assert str(p.uuid) not in Path("/proc/self/mountinfo").read_text()
        assert (host / "precious").read_text() == "keep me"
    finally:
        for m in (mnt, tmpfs):
            subprocess.run(["umount", str(m)], capture_output=True)


def test_gc_of_many_pods_unmounts_and_removes_them_all(rkt, tmp_path):
    """gc reads the mounts below D/pods once for all the pods it deletes: every pod's mounts
    (stacked, nested, a bind of a host directory) still go, and nothing else is touched."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "precious").write_text("keep me")
    ps, mounts = [], []
    try:
        for i in range(6):
            p = make_pod(rkt.dir, "run" if i % 2 else "exited-garbage", record_dir=tmp_path)
            rootfs = p.path / "stage1" / "rootfs"
            data = rootfs / "opt" / "stage2" / "app1" / "rootfs" / "data"
            rootfs.mkdir(parents=True, exist_ok=True)
            for argv in (["mount", "-t", "tmpfs", "tmpfs", str(rootfs)],
                         ["mount", "-t", "tmpfs", "tmpfs", str(rootfs)]):
                subprocess.run(argv, check=True)
                mounts.append(rootfs)
            data.mkdir(parents=True)
            subprocess.run(["mount", "--bind", str(host), str(data)], check=True)
            mounts.append(data)
            ps.append(p)
        r = rkt.ok("gc", "--grace-period=0s")
        for p in ps:
            assert f'Garbage collecting pod "{p.uuid}"' in r.out
            assert p.where() == []
        assert str(rkt.dir) not in Path("/proc/self/mountinfo").read_text()
        assert sorted(os.listdir(host)) == ["precious"]
        assert (host / "precious").read_text() == "keep me"
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", str(m)], capture_output=True)


def test_gc_removes_a_pod_mounted_after_it_read_the_mounts(rkt, tmp_path):
    """A mount made below a pod after gc read the mounts (here by the pod's stage1 gc
    entrypoint, which runs after that) is found again: unmounted, never deleted through."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "precious").write_text("keep me")
    p = make_pod(rkt.dir, "exited-garbage", record_dir=tmp_path)
    late = p.path / "stage1" / "rootfs" / "late"
    late.mkdir(parents=True)
    Path(stage1_tree_entrypoint(p, "gc")).write_text(
        f"#!/bin/sh\nmount --bind {host} {late} && echo mounted > {tmp_path}/gc-ran\n")
    try:
        r = rkt.ok("gc", "--grace-period=0s")
        assert (tmp_path / "gc-ran").read_text() == "mounted\n"
        assert f'Garbage collecting pod "{p.uuid}"' in r.out
        assert p.where() == []
        assert p.uuid not in Path("/proc/self/mountinfo").read_text()
        assert sorted(os.listdir(host)) == ["precious"]
        assert (host / "precious").read_text() == "keep me"
    finally:
        subprocess.run(["umount", "-l", str(late)], capture_output=True)


def test_gc_with_nothing_to_do_and_unprivileged(rkt):
    r = rkt.ok("gc", "--grace-period=0s")
    assert r.out == "" and r.err == ""
    r = as_nobody(rkt, "gc")
    assert r.returncode == 254 and "gc: cannot run as unprivileged user" in r.stderr
    r = rkt.fail("gc", "--grace-period=bogus")
    assert 'invalid argument "bogus"' in r.err


# --------------------------------------------------------------------------- rm

def test_rm_per_state(rkt, tmp_path):
    exited = make_pod(rkt.dir, "run", record_dir=tmp_path)
    prepared = make_pod(rkt.dir, "prepared", record_dir=tmp_path)
    aborted = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    eg = make_pod(rkt.dir, "exited-garbage")
    r = rkt.ok("rm", exited.uuid[:8], prepared.uuid, aborted.uuid, eg.uuid)
    assert r.out.splitlines() == [f'"{p.uuid}"' for p in (exited, prepared, aborted, eg)]
    assert f'rm: moving expired prepared pod "{prepared.uuid}" to garbage' in r.err
    assert f'rm: moving failed prepare "{aborted.uuid}" to garbage' in r.err
    assert recorded(tmp_path, "gc", exited.uuid)[0][-1] == exited.uuid
    assert recorded(tmp_path, "gc", prepared.uuid) is None
    for d in ("run", "prepared", "exited-garbage", "garbage", "prepare"):
        assert list((rkt.dir / "pods" / d).iterdir()) == []


def test_rm_refuses_running_and_preparing(rkt):
    running = make_pod(rkt.dir, "run")
    preparing = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    other = make_pod(rkt.dir, "prepared")
    with LockHolder(running.path), LockHolder(preparing.path):
        r = rkt.fail("rm", running.uuid, preparing.uuid, other.uuid)
    assert f'rm: pod "{running.uuid}" is currently running' in r.err
    assert f'rm: pod "{preparing.uuid}" is currently being prepared' in r.err
    assert "rm: failed to remove one or more pods" in r.err
    assert r.out == f'"{other.uuid}"\n'
    assert running.where() == ["run"] and preparing.where() == ["prepare"]


def test_rm_errors(rkt, tmp_path):
    uuid = "00000000-0000-4000-8000-000000000000"
    r = rkt.fail("rm", uuid)
    assert f'rm: cannot get pod: no matches found for "{uuid}"' in r.err
    assert "failed to remove one or more pods" in r.err
    f = tmp_path / "uuid"
    f.write_text(uuid)
    r = rkt.fail("rm", f"--uuid-file={f}")
    assert f'no matches found for "{uuid}"' in r.err
    r = rkt.fail("rm", "")
    assert "UUID cannot be empty" in r.err
    rkt.fail("rm")
    r = as_nobody(rkt, "rm", uuid)
    assert r.returncode == 254 and "rm: cannot run as unprivileged user" in r.stderr
    p = make_pod(rkt.dir, "prepared")
    f.write_text(p.uuid + "\n")
    assert rkt.ok("rm", f"--uuid-file={f}").out == f'"{p.uuid}"\n'


# --------------------------------------------------------------------------- cat-manifest

def test_cat_manifest(rkt, tmp_path):
    p = make_pod(rkt.dir, "run")
    compact = rkt.ok("cat-manifest", "--pretty-print=false", p.uuid).out
    assert compact == ('{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"app1",'
                       '"image":{"name":"example.com/app1","id":"' + IMAGE_ID + '"}}],'
                       '"volumes":[],"isolators":null,"annotations":null,"ports":null}\n')
    pretty = rkt.ok("cat-manifest", p.uuid).out
    assert pretty.startswith('{\n\t"acVersion": "0.8.11",\n')
    assert json.loads(pretty) == json.loads(compact)
    f = tmp_path / "uuid"
    f.write_text(p.uuid)
    assert rkt.ok("cat-manifest", "--pretty-print=false", f"--uuid-file={f}").out == compact
    r = rkt.fail("cat-manifest", "1234567890abcdef")
    assert 'cat-manifest: problem retrieving pod: no matches found for "1234567890abcdef"' \
        in r.err
    rkt.fail("cat-manifest")
    q = make_pod(rkt.dir, "prepare", manifest=False, appsinfo=False)
    r = rkt.fail("cat-manifest", q.uuid)
    assert r.err == ""
