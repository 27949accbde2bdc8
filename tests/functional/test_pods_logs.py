# SPDX-License-Identifier: Apache-2.0
"""App logs end to end (issue 15): the native stage1 keeps each app's stdout and stderr in
P/logs/<app>.log in Kubernetes' CRI log format (`<RFC 3339 nano time> <stdout|stderr> <F|P>
<line>`), at most 10 MiB plus one rotated <app>.log.1, while rkt run still prints them; the
writer is a host-side process without capabilities and the app gets no descriptor into the
pod directory; `rkt logs [--app] [--follow] [--lines] [--since] UUID` prints them; the logs
go with the pod at rm/gc; --interactive and fly pods keep none and `rkt logs` says so."""
import os
import pty
import re
import subprocess
import time

import pytest

from podtest import (flyns, flypods, img, needs_root, pods,  # noqa: F401
                     wait_for)

pytestmark = [pytest.mark.offline, needs_root]

REC = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) (stdout|stderr) ([FP]) (.*)$",
                 re.S)
MiB = 1 << 20


def pod_path(pods, uuid):
    hits = list((pods.dir / "pods").glob(f"*/{uuid}"))
    assert len(hits) == 1, hits
    return hits[0]


def started_log(pods, uuid, app):
    """P/logs/<app>.log of a pod being started once it exists, else None (P moves from
    pods/prepare to pods/run meanwhile)."""
    return next((pods.dir / "pods").glob(f"*/{uuid}/logs/{app}.log"), None)


def records(path):
    """[(time, stream, tag, content)] of a log file; every line must be a record."""
    data = path.read_bytes().decode()
    assert data == "" or data.endswith("\n"), data[-100:]
    out = []
    for line in data.split("\n")[:-1]:
        m = REC.match(line)
        assert m, line[:200]
        out.append(m.groups())
    return out


def sh(*script_and_flags, name=None):
    """The app arguments of an inspect image app running /bin/sh -c script."""
    script, *flags = script_and_flags
    a = [f"--name={name}"] if name else []
    return a + list(flags) + ["--exec=/bin/sh", "--", "-c", script]


def gated(tmp_path):
    """A host directory for a volume: the app waits for <dir>/go (made by the test)."""
    d = tmp_path / "gate"
    d.mkdir()
    os.chmod(d, 0o777)
    return d, [f"--volume=gate,kind=host,source={d}"], ["--mount=volume=gate,target=/gate"]


WAIT_GO = "i=0; while [ ! -e /gate/go ]; do sleep 0.05; i=$((i+1)); [ $i -gt 1200 ] && exit 9; done"


def test_output_is_logged_in_cri_format_and_still_printed(pods, img):
    r, uuid = pods.run(img.path, *sh("echo out1; echo err1 >&2; echo out2; printf no-newline",
                                     name="app"))
    assert r.code == 0, r
    assert "out1\nout2\nno-newline" in r.out and "err1" in r.err  # still forwarded
    p = pod_path(pods, uuid)
    logs = p / "logs"
    st = os.stat(logs)
    assert st.st_uid == 0 and st.st_gid == os.stat(p).st_gid and st.st_mode & 0o7777 == 0o2750
    assert sorted(os.listdir(logs)) == ["app.log"]
    st = os.stat(logs / "app.log")
    assert st.st_uid == 0 and st.st_gid == os.stat(p).st_gid and st.st_mode & 0o777 == 0o640
    recs = records(logs / "app.log")
    assert [(s, t, c) for _, s, t, c in recs if s == "stdout"] == [
        ("stdout", "F", "out1"), ("stdout", "F", "out2"), ("stdout", "F", "no-newline")]
    assert [(s, t, c) for _, s, t, c in recs if s == "stderr"] == [("stderr", "F", "err1")]
    r = pods.ok("logs", uuid)
    assert r.out == "out1\nout2\nno-newline\n" and r.err == "err1\n"
    pods.ok("rm", uuid)
    assert not p.exists()
    r = pods.fail("logs", uuid)
    assert r.err.count("\n") == 1, r


def test_app_lines_and_since(pods, img):
    r, uuid = pods.run(img.path, *sh("for i in 1 2 3 4 5; do echo a$i; done", name="a"), "---",
                       img.path, *sh("sleep 1; echo b1 >&2", name="b"))
    assert r.code == 0, r
    assert pods.ok("logs", "--app=a", "--lines=2", uuid).out == "a4\na5\n"
    assert pods.ok("logs", "--app=a", uuid).out == "a1\na2\na3\na4\na5\n"
    r = pods.ok("logs", uuid)  # several apps: each line says whose it is
    assert r.out == "a: a1\na: a2\na: a3\na: a4\na: a5\n" and r.err == "b: b1\n"
    assert pods.ok("logs", "--lines=1", uuid).err == "b: b1\n"
    # --since: a time (RFC 3339) or a duration back from now
    t = records(pod_path(pods, uuid) / "logs" / "b.log")[0][0]
    r = pods.ok("logs", f"--since={t}", uuid)
    assert r.out == "" and r.err == "b: b1\n"
    assert pods.ok("logs", "--since=1h", "--app=a", uuid).out == "a1\na2\na3\na4\na5\n"
    assert pods.ok("logs", "--since=2000-01-01T00:00:00Z", "--app=b", uuid).err == "b1\n"
    assert pods.ok("logs", "--since=2100-01-01T00:00:00Z", uuid).out == ""
    # bad input: one line, 254
    for bad in (["--app=nope"], ["--lines=-1"], ["--lines=x"], ["--since=yesterday"],
                ["--since=-5s"]):
        r = pods.fail("logs", *bad, uuid)
        assert r.err.count("\n") == 1 and r.out == "", (bad, r)
    assert "no app nope in pod" in pods.fail("logs", "--app=nope", uuid).err
    r = pods.fail("logs", "00000000-0000-0000-0000-000000000000")
    assert r.err.count("\n") == 1
    pods.fail("logs")
    pods.fail("logs", uuid, uuid)


def test_rotation_and_long_lines(pods, img):
    script = ("busybox seq 1 500000; busybox head -c 40000 /dev/zero | busybox tr '\\0' x; "
              "echo; echo last")
    r, uuid = pods.run(img.path, *sh(script, name="big"), timeout=120)
    assert r.code == 0, r.err
    assert r.out.endswith("\nlast\n")
    logs = pod_path(pods, uuid) / "logs"
    assert sorted(os.listdir(logs)) == ["big.log", "big.log.1"]  # one rotated file only
    assert os.path.getsize(logs / "big.log.1") <= 10 * MiB
    assert os.path.getsize(logs / "big.log.1") > 9 * MiB
    old, cur = records(logs / "big.log.1"), records(logs / "big.log")
    kept = [c for _, _, t, c in old + cur if t == "F"]
    assert kept[-2:] == ["x" * (40000 - 2 * 16384), "last"]
    numbers = [int(c) for c in kept[:-2]]
    assert numbers[-1] == 500000 and numbers[0] > 1  # the oldest file went
    assert numbers == list(range(numbers[0], 500001))  # nothing lost in between
    parts = [(t, len(c)) for _, _, t, c in cur + old if t == "P"]
    assert parts == [("P", 16384), ("P", 16384)]  # a long line is cut in parts
    r = pods.ok("logs", "--lines=3", uuid)
    assert r.out == "500000\n" + "x" * 40000 + "\nlast\n"


def writer_pids(uuid):
    """pids of the log writers holding P/logs of the pod."""
    out = []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/comm") as f:
                if f.read().strip() != "rkt-log-writer":
                    continue
            fds = [os.readlink(f"/proc/{e}/fd/{n}") for n in os.listdir(f"/proc/{e}/fd")]
        except OSError:
            continue
        if any(t.endswith(f"/{uuid}/logs") for t in fds):
            out.append(int(e))
    return out


def status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1]
    return None


def test_writer_is_on_the_host_side_and_the_app_has_no_descriptor_into_the_pod(pods, img,
                                                                                   tmp_path):
    gate, vol, mnt = gated(tmp_path)
    script = f"echo ready; {WAIT_GO}; fds=$(ls -l /proc/$$/fd/); echo \"$fds\" > /gate/fds; echo done"
    p = pods.start(*vol, img.path, *mnt, *sh(script, name="app"))
    log = wait_for(lambda: started_log(pods, p.uuid, "app"), what="the log")
    wait_for(lambda: "ready" in log.read_text(), what="the first line logged")
    [w] = writer_pids(p.uuid)
    host_side = int(status_field(w, "PPid"))  # the stage1's host side, outside the pod
    for ns in ("mnt", "pid", "user"):
        assert os.readlink(f"/proc/{w}/ns/{ns}") == os.readlink(f"/proc/self/ns/{ns}"), ns
    for ns in ("mnt", "pid", "net", "user", "ipc", "uts"):  # (rkt runs in `unshare --net`)
        assert os.readlink(f"/proc/{w}/ns/{ns}") == os.readlink(f"/proc/{host_side}/ns/{ns}")
    assert status_field(w, "CapEff") == "0" * 16 and status_field(w, "CapPrm") == "0" * 16
    assert status_field(w, "NoNewPrivs") == "1"
    fds = sorted(os.readlink(f"/proc/{w}/fd/{n}") for n in os.listdir(f"/proc/{w}/fd"))
    pd = str(pod_path(pods, p.uuid))
    assert [t for t in fds if t.startswith("/")] in (
        [f"{pd}/logs"], [f"{pd}/logs", f"{pd}/logs/app.log"]), fds
    (gate / "go").touch()
    r = p.wait()
    assert r.code == 0, r
    assert r.out == "ready\ndone\n"
    links = re.findall(r"(\d+) -> (\S+)", (gate / "fds").read_text())
    targets = {fd: t for fd, t in links}
    assert targets["1"].startswith("pipe:") and targets["2"].startswith("pipe:")
    for fd, t in links:  # pipes and /dev/null: no file or directory of the host
        assert t.startswith("pipe:") or t == "/dev/null", links
    assert not writer_pids(p.uuid)  # gone with the pod


def test_follow_streams_until_the_pod_exits_and_survives_truncation(pods, img, tmp_path):
    gate, vol, mnt = gated(tmp_path)
    script = (f"echo first; {WAIT_GO}; echo second; "
              f"while [ ! -e /gate/go2 ]; do sleep 0.05; done; echo third")
    p = pods.start(*vol, img.path, *mnt, *sh(script, name="app"))
    log = wait_for(lambda: started_log(pods, p.uuid, "app"), what="the log")
    wait_for(lambda: "first" in log.read_text(), what="the first line logged")
    f = pods.popen("logs", "--follow", p.uuid)
    try:
        assert f.stdout.readline() == "first\n"
        (gate / "go").touch()
        assert f.stdout.readline() == "second\n"
        os.truncate(log, 0)  # under the follower: what comes next is still shown
        (gate / "go2").touch()
        assert f.stdout.readline() == "third\n"
        out, err = f.communicate(timeout=30)  # ends when the pod has exited
        assert f.returncode == 0 and out == "" and err == "", err
    finally:
        if f.poll() is None:
            f.kill()
            f.wait()
    assert p.wait().code == 0


def test_logs_of_a_pod_that_never_ran(pods, img):
    r = pods.ok("--insecure-options=image", "prepare", *pods.stage1_args(), img.path)
    uuid = r.out.strip().splitlines()[-1]
    r = pods.fail("logs", uuid)
    assert r.err == f'logs: no logs for pod "{uuid}": it has not started\n', r
    pods.ok("rm", uuid)


def test_fly_pods_keep_no_logs(flypods, img):
    r, uuid = flypods.run(img.path, *sh("echo hello"))
    assert r.code == 0 and "hello" in r.out, r
    r = flypods.fail("logs", uuid)
    assert r.err.startswith(f'logs: logging unsupported for pod "{uuid}"'), r
    assert r.err.count("\n") == 1


def test_interactive_pods_keep_no_logs(pods, img):
    uf = pods.next_uuid_file()
    argv = pods.argv(*pods.run_args(["--interactive", f"--uuid-file-save={uf}", img.path,
                                     *sh("echo on-the-terminal")]))
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                            start_new_session=True)
    os.close(slave)
    out = b""
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=30) == 0, out
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"on-the-terminal" in out
    uuid = uf.read_text()
    assert not (pod_path(pods, uuid) / "logs").exists()
    r = pods.fail("logs", uuid)
    assert r.err.startswith(f'logs: logging unsupported for pod "{uuid}"'), r
