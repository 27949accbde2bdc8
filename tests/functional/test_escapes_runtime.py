# SPDX-License-Identifier: Apache-2.0
"""The pod/host boundary at run time, beyond test_escapes.py (review of the issue "Close the
host escapes"): kernel objects an app running as root in the pod shares with root on the
host because its uid is the same."""
import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mdsutil import mds  # noqa: F401
from podtest import flyns, img, needs_root, pods  # noqa: F401

pytestmark = [needs_root]

# x86_64 system call numbers and keyctl operations (linux/keyctl.h)
SYS_ADD_KEY, SYS_KEYCTL = 248, 250
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_UNLINK = 1, 9
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4

WITH_HOST_KEYS = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
tag, serial_file = sys.argv[1], sys.argv[2]
def add(desc, payload, ring):
    k = libc.syscall({add_key}, b"user", desc.encode(), payload.encode(), len(payload), ring)
    if k < 0:
        raise OSError(ctypes.get_errno(), "add_key " + desc)
    return k
libc.syscall({keyctl}, {join}, ("rkt-test-" + tag).encode())
add("rkt-test-session-" + tag, "session-secret-" + tag, {session})
k = add("rkt-test-user-" + tag, "user-secret-" + tag, {user})
open(serial_file, "w").write(str(k))
os.execvp(sys.argv[3], sys.argv[3:])
""".format(add_key=SYS_ADD_KEY, keyctl=SYS_KEYCTL, join=KEYCTL_JOIN_SESSION_KEYRING,
           session=KEY_SPEC_SESSION_KEYRING, user=KEY_SPEC_USER_KEYRING)

UNLINK = """
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall({keyctl}, {unlink}, int(sys.argv[1]), {user})
""".format(keyctl=SYS_KEYCTL, unlink=KEYCTL_UNLINK, user=KEY_SPEC_USER_KEYRING)


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86_64 system call numbers")
@pytest.mark.parametrize("via", ["run", "run-default-filter", "enter"])
def test_app_cannot_read_roots_keyrings(pods, img, tmp_path, via):
    """Root's kernel keyrings (the session keyring rkt was started in, the user and
    persistent keyrings of uid 0: Kerberos tickets, stored passphrases) belong to uid 0,
    which a root app is too: none of their keys may reach the app, also when its seccomp
    isolators allow every call (the keyring calls fail with EPERM); rkt's default filter
    kills an app that calls them (SIGSYS)."""
    tag = secrets.token_hex(6)
    serial = tmp_path / "serial"
    wrap = [sys.executable, "-c", WITH_HOST_KEYS, tag, str(serial)]
    try:
        if via.startswith("run"):
            uf = pods.next_uuid_file()
            allow = [] if via == "run-default-filter" else ["--seccomp=mode=retain,@appc.io/all"]
            argv = pods.argv(*pods.run_args([f"--uuid-file-save={uf}", img.path, *allow,
                                             "--exec=/inspect", "--", "--probe-keyrings"]))
        else:
            p = pods.start(img.path, "--exec=/bin/sleep", "--", "60")
            pods.wait_ready(p.uuid)
            argv = pods.argv("enter", p.uuid, "/inspect", "--probe-keyrings")
        r = subprocess.run(wrap + argv, capture_output=True, text=True, timeout=60)
    finally:
        if serial.exists():
            subprocess.run([sys.executable, "-c", UNLINK, serial.read_text()], check=True)
    if via == "run-default-filter":
        assert r.returncode == 128 + signal.SIGSYS and "KEY" not in r.stdout, r
    else:
        assert r.returncode == 0 and "keyrings done" in r.stdout, r
    assert f"session-secret-{tag}" not in r.stdout, r.stdout
    assert f"user-secret-{tag}" not in r.stdout, r.stdout


@pytest.fixture
def open_mdspods(mds):
    """Pods in the host's network (where the metadata service listens) under a directory
    every user may traverse: what other users reach of them is what the test checks."""
    from test_escapes import traversable_pods
    with traversable_pods("rkt-esc-mds-", offline=False) as p:
        yield p


def test_mds_token_is_the_pods_alone(open_mdspods, mds, img):
    """The metadata service token of a pod is what lets a client read the pod's metadata and
    sign as the pod: it must not be in what any user can read (every process's command line)
    nor in a file a member of group rkt can read."""
    from test_escapes import as_member
    pods = open_mdspods
    p = pods.start("--mds-register", img.path, "--exec=/bin/sleep", "--", "60")
    pods.wait_ready(p.uuid)
    m = re.search(rf"PUT /pods/{p.uuid}\?token=([0-9a-f]+)", mds.stderr())
    assert m, mds.stderr()
    token = m.group(1)
    anyone = subprocess.run(["setpriv", "--reuid=4243", "--regid=4243", "--clear-groups",
                             "sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"],
                            capture_output=True, text=True, timeout=60)
    assert token not in anyone.stdout, "the token is in a command line every user reads"
    (pod,) = list((pods.dir / "pods").glob(f"*/{p.uuid}"))
    member = subprocess.run(as_member() + ["grep", "-r", "-l", "-s", token, str(pod)],
                            capture_output=True, text=True, timeout=60)
    assert member.stdout == "", f"a member of group rkt reads the token in {member.stdout}"
    pods("stop", p.uuid)
    p.wait(timeout=30)


@pytest.fixture
def open_pods():
    """Native pods under a directory every user may traverse (group members reach them)."""
    from test_escapes import traversable_pods
    with traversable_pods("rkt-esc-pods-") as p:
        yield p


HOLD_LOCK = """
import fcntl, os, sys, time
try:
    fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("locked", flush=True)
except OSError as e:
    print("refused:", e, flush=True)
time.sleep(600)
"""


def member_holds_lock(pod):
    from test_escapes import as_member
    p = subprocess.Popen(as_member() + [sys.executable, "-c", HOLD_LOCK, str(pod)],
                         stdout=subprocess.PIPE, text=True)
    return p, p.stdout.readline()


MEMBER_ROOT = """
set -e
unshare -Urm --propagation private sh -c '
  mount -t tmpfs tmpfs /opt
  r=/opt/stage2/rkt-inspect/rootfs
  mkdir -p $r
  mount -t tmpfs tmpfs $r
  mkdir -p $r/bin $r/host
  mount --rbind / $r/host
  printf "#!/host/bin/busybox sh\\n/host/bin/busybox touch /host/%s\\n" > $r/bin/bash
  chmod 755 $r/bin/bash
  echo ready
  exec sleep 600'
"""


def test_enter_of_a_pod_kept_running_does_not_join_a_members_process(open_pods, img):
    """An exited pod a member keeps looking running (its lock), whose recorded pid is now a
    process of the member's (as pid reuse makes it; the test writes P/pid itself): root's
    `rkt enter` joined that process's namespaces and ran the member's /bin/bash as root."""
    from test_escapes import as_member
    pods = open_pods
    marker = pods.dir / "entered-the-members-root"
    r, uuid = pods.run(img.path, "--exec=/bin/true")
    assert r.code == 0, r
    (pod,) = list((pods.dir / "pods").glob(f"*/{uuid}"))
    holder, said = member_holds_lock(pod)
    ns = subprocess.Popen(as_member() + ["sh", "-c", MEMBER_ROOT % str(marker)[1:]],
                          stdout=subprocess.PIPE, text=True)
    try:
        assert ns.stdout.readline().strip() == "ready"
        sleeper = subprocess.run(["pgrep", "-P", str(ns.pid)], capture_output=True,
                                 text=True).stdout.split() or [str(ns.pid)]
        (pod / "pid").write_text(sleeper[0] + "\n")  # what pid reuse gives the member
        e = pods("enter", uuid, timeout=60)
        assert not marker.exists(), f"rkt enter ran the member's program as root ({said})"
        assert e.code == 254 and "is not the pod's: the pod is not running" in e.err, e
    finally:
        for p in (holder, ns):
            p.kill()
            p.wait()


@pytest.fixture
def open_flypods(flyns):
    """Fly pods under a directory every user may traverse (group members reach them)."""
    from podtest import FLY
    from test_escapes import traversable_pods
    with traversable_pods("rkt-esc-fly-", flavor=FLY, nsholder=flyns, offline=False) as p:
        yield p


def test_fly_stop_of_a_pod_kept_running_signals_no_other_process(open_flypods, img):
    """An exited fly pod a member keeps looking running (its lock), whose recorded pid is now
    another process (as pid reuse makes it; the test writes P/pid itself): root's `rkt stop`
    signalled that process."""
    from test_escapes import as_member
    pods = open_flypods
    r, uuid = pods.run(img.path, "--exec=/bin/true")
    assert r.code == 0, r
    (pod,) = list((pods.dir / "pods").glob(f"*/{uuid}"))
    holder, said = member_holds_lock(pod)
    victim = subprocess.Popen(as_member() + ["sleep", "600"])
    try:
        assert said.strip() == "locked", said
        (pod / "pid").write_text(f"{victim.pid}\n")  # what pid reuse gives
        pods("stop", uuid, timeout=60)
        with pytest.raises(subprocess.TimeoutExpired):
            victim.wait(timeout=2)
    finally:
        for p in (holder, victim):
            p.kill()
            p.wait()


def test_fly_stop_of_a_pod_kept_running_signals_no_root_process_holding_it(open_flypods, img):
    """An exited fly pod a member keeps looking running (its lock), whose recorded pid is now
    a process of root's that has P open (as pid reuse makes it; the test writes P/pid itself):
    root's own `rkt status --wait` on that pod holds P open, so has_pod_open() took it for the
    app and root's `rkt stop` killed it."""
    pods = open_flypods
    r, uuid = pods.run(img.path, "--exec=/bin/true")
    assert r.code == 0, r
    (pod,) = list((pods.dir / "pods").glob(f"*/{uuid}"))
    holder, said = member_holds_lock(pod)
    waiter = pods.popen("status", "--wait=600s", uuid, stdin=subprocess.DEVNULL)
    try:
        assert said.strip() == "locked", said
        fds = Path(f"/proc/{waiter.pid}/fd")
        st = pod.stat()

        def holds():
            for f in fds.iterdir():
                try:
                    s = f.stat()
                except OSError:
                    continue
                if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
                    return True
            return None
        from podtest import wait_for
        wait_for(holds, what="root's rkt status to open the pod")
        assert waiter.poll() is None, waiter.communicate()
        (pod / "pid").write_text(f"{waiter.pid}\n")  # what pid reuse gives
        pods("stop", uuid, timeout=60)
        try:
            code = waiter.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        assert code is None, f"root's rkt status was signalled by rkt stop (status {code})"
    finally:
        for p in (holder, waiter):
            p.kill()
            p.wait()


def test_fly_stop_of_a_pod_kept_running_signals_no_group_of_its_caller(open_flypods, img):
    """An exited fly pod a member keeps looking running (its lock): P/pid names no process,
    so root's `rkt stop` signalled the process group P/pgid, which is the group `rkt run`
    was started in (fly writes getpgrp()): the root shell or service that ran the pod, still
    alive, was killed. Nothing is simulated here, not even pid reuse."""
    pods = open_flypods
    uf = pods.next_uuid_file()
    argv = pods.argv(*pods.run_args([f"--uuid-file-save={uf}", img.path, "--exec=/bin/true"]))
    caller = subprocess.Popen(["setsid", "sh", "-c", '"$@" >/dev/null 2>&1; echo ran $?; '
                               "exec sleep 600", "sh"] + argv, stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True)
    holder = None
    try:
        assert caller.stdout.readline().strip() == "ran 0"
        uuid = uf.read_text()
        (pod,) = list((pods.dir / "pods").glob(f"*/{uuid}"))
        assert int((pod / "pgid").read_text()) == os.getpgid(caller.pid)
        holder, said = member_holds_lock(pod)
        assert said.strip() == "locked", said
        pods("stop", uuid, timeout=60)
        try:
            code = caller.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        assert code is None, f"root's rkt stop signalled the caller's group (status {code})"
    finally:
        for p in (holder, caller):
            if p:
                p.kill()
                p.wait()
