# SPDX-License-Identifier: Apache-2.0
"""Per-app I/O modes and `rkt attach` (SPEC.md §3.19, §4.2, §11.14; RKT_EXPERIMENT_ATTACH):
--stdin/--stdout/--stderr recorded as rkt's annotations, apps on a tty or on streams that
`rkt attach` reaches from another terminal (list, auto, custom endpoints), detaching and
attaching again, several sessions in sequence, `log` output still in `rkt logs`, the
messages for bad modes and apps without endpoints, and the endpoints reachable by root only
(not by other users such as members of group rkt, not from inside the pod)."""
import json
import os
import pty
import select
import stat
import subprocess
import time

import pytest

from conftest import kill_quietly
from podtest import img, needs_root, pods, wait_for  # noqa: F401
from test_escapes import as_member, traversable_pods

pytestmark = [pytest.mark.offline, needs_root]

ATTACH_ENV = {"RKT_EXPERIMENT_ATTACH": "true"}
ESC = b"\x1d"  # ^]
TTY = ["--stdin=tty", "--stdout=tty", "--stderr=tty"]
STREAMS = ["--stdin=stream", "--stdout=stream", "--stderr=stream"]


def env_on():
    e = dict(os.environ)
    e.update(ATTACH_ENV)
    return e


def env_off():
    e = dict(os.environ)
    e.pop("RKT_EXPERIMENT_ATTACH", None)
    return e


def start(pods, *args):
    p = pods.start(*[str(a) for a in args], env=env_on())
    return p


def attach_endpoints(pods, uuid, app=None):
    """The endpoint names `attach --mode=list` prints once the app's mux serves them."""
    extra = [f"--app={app}"] if app else []

    def names():
        r = pods("attach", "--mode=list", *extra, uuid, env=env_on())
        if r.code != 0:
            return None
        eps = [t["name"] for t in json.loads(r.out)["targets"]]
        return eps or None
    return wait_for(names, what="attach endpoints")


class Attached:
    """`rkt attach` with a pty as its stdin, stdout and stderr (another terminal)."""

    def __init__(self, pods, *args):
        argv = pods.argv("attach", *args)
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True, start_new_session=True, env=env_on())
        os.close(slave)
        self.out = b""

    def pump(self, timeout=0.05):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                self.out += os.read(self.master, 4096)
            except OSError:
                pass

    def expect(self, text, timeout=15):
        def seen():
            self.pump()
            return text.encode() in self.out
        return wait_for(seen, timeout=timeout, interval=0, what=f"{text!r} in {self.out!r}")

    def write(self, data):
        os.write(self.master, data)

    def wait(self, timeout=15):
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump()
        return self.proc.wait(timeout=max(0.1, end - time.monotonic()))

    def detach(self):
        for _ in range(3):
            self.write(ESC)
            time.sleep(0.05)
        return self.wait()

    def close(self):
        kill_quietly(self.proc)
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


@pytest.fixture
def attached(pods):
    opened = []

    def make(*args):
        a = Attached(pods, *args)
        opened.append(a)
        return a
    yield make
    for a in opened:
        a.close()


def pod_dir(pods, uuid):
    return pods.dir / "pods" / "run" / uuid


# --------------------------------------------------------------------------- the experiment

def test_attach_and_io_flags_exist_only_in_the_experiment(pods, img):
    r = pods("attach", "0", env=env_off())
    assert r.code == 254, r
    assert 'unknown command "attach" for "rkt"' in r.err
    r = pods(*pods.run_args([img.path, "--stdin=tty"]), env=env_off())
    assert r.code == 254, r
    assert "unknown flag: --stdin" in r.err
    assert "--stdin" not in pods("run", "--help", env=env_on()).out  # hidden, as rkt's


def test_io_modes_are_recorded_as_annotations(pods, img):
    r = pods("prepare", "--quiet", "--insecure-options=image", *pods.stage1_args(), img.path, "--stdin=stream", "--stdout=null",
             "--stderr=tty", "--annotation=coreos.com/rkt/stage2/stdout=log",
             env=env_on())
    assert r.code == 0, r
    m = json.loads(pods.ok("cat-manifest", r.out.strip()).out)
    ann = {a["name"]: a["value"] for a in m["apps"][0]["annotations"]}
    assert ann["coreos.com/rkt/stage2/stdin"] == "stream"
    assert ann["coreos.com/rkt/stage2/stdout"] == "null"  # the flag wins, as rkt's Set()
    assert ann["coreos.com/rkt/stage2/stderr"] == "tty"


@pytest.mark.parametrize("flags, msg", [
    (["--stdin=log"], 'invalid stdin mode "log"'),
    (["--stdout=bogus"], 'invalid stdout mode "bogus"'),
    (["--stderr="], 'invalid stderr mode ""'),
])
def test_bad_io_modes(pods, img, flags, msg):
    r = pods(*pods.run_args([img.path] + flags), env=env_on())
    assert r.code == 254, r
    assert msg in r.err
    assert len(r.err.strip().splitlines()) == 1, r.err


def test_bad_mode_in_an_annotation_fails_the_pod(pods, img):
    """The stage1 reads the modes from the pod manifest: a value no flag gives is refused
    before anything starts."""
    r, _ = pods.run(img.path, "--annotation=coreos.com/rkt/stage2/stdout=bogus",
                    "--exec=/inspect", "--", "--print-msg=never")
    assert r.code == 254, r
    assert 'stage1: invalid stdout mode "bogus" for app rkt-inspect' in r.err
    assert "never" not in r.out


def test_io_flag_before_any_image(pods, img):
    r = pods(*pods.run_args(["--stdin=tty", img.path]), env=env_on())
    assert r.code == 254, r
    assert "--stdin must follow an image" in r.err


# --------------------------------------------------------------------------- attaching

def test_attach_tty_smoke(pods, img, attached):
    """TestAttachSmoke, tty: input reaches the app on a terminal; stop ends the pod with 0."""
    p = start(pods, img.path, *TTY, "--exec=/inspect", "--", "--check-tty", "--read-stdin",
              "--sleep=60")
    assert attach_endpoints(pods, p.uuid) == ["tty"]
    a = attached(p.uuid)
    a.expect("Enter text:")
    a.write(b"Saluton\r")
    a.expect("Received text: Saluton")
    assert b"stdin is a terminal" in a.out
    assert a.detach() == 0
    assert pods("stop", p.uuid).code == 0
    assert p.wait().code == 0


def test_attach_streams_smoke(pods, img):
    """TestAttachSmoke, streams: stdin is not a terminal; input and output go through."""
    p = start(pods, img.path, *STREAMS, "--exec=/inspect", "--", "--check-tty",
              "--read-stdin")
    assert attach_endpoints(pods, p.uuid) == ["stdin", "stdout", "stderr"]
    r = pods("attach", p.uuid, input="Saluton\n", env=env_on(), timeout=30)
    assert r.code == 0, r
    assert "stdin is not a terminal" in r.out
    assert "Received text: Saluton" in r.out
    assert p.wait().code == 0


def test_detach_and_attach_again_in_sequence(pods, img, attached):
    """Several sessions on one shell: each sees its own input's output; detaching leaves the
    app running; the output the app wrote while nobody was attached waits for the next one."""
    p = start(pods, img.path, *TTY, "--exec=/bin/sh")
    attach_endpoints(pods, p.uuid)
    for i in range(3):
        a = attached(p.uuid)
        a.write(f"echo session-$((40+{i}))\r".encode())
        a.expect(f"session-{40 + i}")
        assert a.detach() == 0
    a = attached("--mode=tty", p.uuid)
    a.write(b"exit 0\r")
    assert a.wait() == 0  # the app's tty closed: attach ends
    assert p.wait().code == 0


def test_custom_endpoints(pods, img):
    """--mode=stdout only: no input is sent (the app sees end of file... never), its output
    is shown; --mode=stdin,stdout gives it the input."""
    p = start(pods, img.path, *STREAMS, "--exec=/inspect", "--", "--read-stdin")
    attach_endpoints(pods, p.uuid)
    r = pods("attach", "--mode=stdin,stdout", p.uuid, input="one\n", env=env_on(),
             timeout=30)
    assert r.code == 0, r
    assert "Received text: one" in r.out
    assert p.wait().code == 0


def test_tty_out_only_does_not_send_input(pods, img, attached):
    p = start(pods, img.path, *TTY, "--exec=/bin/sh")
    attach_endpoints(pods, p.uuid)
    watcher = attached("--mode=tty-out", p.uuid)
    typer = attached("--mode=tty-in", p.uuid)
    typer.write(b"echo from-$((6*7))\r")
    watcher.expect("from-42")
    watcher.write(b"echo ignored-$((1+1))\r")  # tty-out: not sent
    typer.write(b"echo marker-$((2+3))\r")
    watcher.expect("marker-5")
    assert b"ignored-2" not in watcher.out  # a local echo shows only the command
    assert typer.detach() == 0
    assert watcher.proc.poll() is None
    kill_quietly(watcher.proc)
    pods("stop", p.uuid)
    p.wait()


# --------------------------------------------------------------------------- bad input

def test_attach_bad_modes(pods, img):
    p = start(pods, img.path, *TTY, "--exec=/inspect", "--", "--sleep=60")
    attach_endpoints(pods, p.uuid)
    for mode, msg in [("bogus", 'invalid attach mode: unknown endpoint "bogus"'),
                      ("tty,stdin", 'invalid attach mode: incompatible endpoints "tty,stdin", '
                                    "cannot simultaneously attach TTY and streams"),
                      ("stdout", "app rkt-inspect has no stdout endpoint")]:
        r = pods("attach", f"--mode={mode}", p.uuid, env=env_on())
        assert r.code == 254, (mode, r)
        assert msg in r.err, (mode, r)
        assert len(r.err.strip().splitlines()) == 1, r.err
    r = pods("attach", "--app=nope", p.uuid, env=env_on())
    assert r.code == 254 and "app nope is not present in pod" in r.err, r
    pods("stop", p.uuid)
    p.wait()
    r = pods("attach", p.uuid, env=env_on())
    assert r.code == 254 and "isn't currently running" in r.err, r
    r = pods("attach", env=env_on())
    assert r.code == 254, r


def test_attach_app_without_endpoints(pods, img):
    p = start(pods, img.path, "--exec=/inspect", "--", "--sleep=60")
    pods.wait_ready(p.uuid)
    r = pods("attach", p.uuid, env=env_on())
    assert r.code == 254, r
    assert "attach failed: app rkt-inspect has no attachable I/O" in r.err
    assert len(r.err.strip().splitlines()) == 1, r.err
    r = pods("attach", "--mode=list", p.uuid, env=env_on())
    assert r.code == 254, r
    pods("stop", p.uuid)
    p.wait()


def test_attach_needs_root(pods, img):
    proc = subprocess.run(pods.args() + ["attach", "0"], env=env_on(), capture_output=True,
                          text=True, user=65534, timeout=30, cwd="/")
    assert proc.returncode == 254
    assert "cannot run as unprivileged user" in proc.stderr


# --------------------------------------------------------------------------- modes and logs

def test_log_and_null_outputs(pods, img):
    """stdout=log (the default) still reaches `rkt logs` and rkt run's output; stderr=null
    goes nowhere; stdin=stream beside them is attachable."""
    p = start(pods, img.path, "--stdin=stream", "--stderr=null", "--exec=/bin/sh", "--",
              "-c", "read l; echo out-$l; echo err-$l >&2")
    assert attach_endpoints(pods, p.uuid) == ["stdin"]
    r = pods("attach", p.uuid, input="x1\n", env=env_on(), timeout=30)
    assert r.code == 0, r
    res = p.wait()
    assert res.code == 0, res
    assert "out-x1" in res.out and "err-x1" not in res.err
    logs = pods.ok("logs", p.uuid).out
    assert "out-x1" in logs and "err-x1" not in logs


# --------------------------------------------------------------------------- security

@pytest.fixture
def open_pods():
    """Pods under a directory every user may traverse, so that a member of group rkt
    reaches their directories (test_escapes.py)."""
    with traversable_pods("rkt-attach-pods-") as p:
        yield p


def test_endpoints_are_root_only_and_outside_the_pod(open_pods, img):
    pods = open_pods
    p = start(pods, img.path, *STREAMS, "--exec=/bin/sh", "--", "-c",
              "ls -l /proc/self/fd/; read l")
    attach_endpoints(pods, p.uuid)
    d = pod_dir(pods, p.uuid) / "attach"
    for path in (d, d / "rkt-inspect"):
        st = os.lstat(path)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and st.st_gid == 0
        assert stat.S_IMODE(st.st_mode) == 0o700
    sock = d / "rkt-inspect" / "sock-stdin"
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    # a member of group rkt reads P, but cannot reach the endpoints below it
    probe = ("import os,socket\n"
             "print(len(os.listdir('.')) > 0)\n"
             "s=socket.socket(socket.AF_UNIX)\n"
             "try:\n s.connect('attach/rkt-inspect/sock-stdin'); print('connected')\n"
             "except OSError as e: print(e.errno)\n")
    r = subprocess.run(as_member() + ["/usr/bin/python3", "-c", probe],
                       cwd=pod_dir(pods, p.uuid), capture_output=True, text=True, timeout=30)
    assert r.stdout.split() == ["True", "13"], r  # EACCES
    # the app holds no descriptor of the pod directory: its stdio are pipes
    r = pods("attach", "--mode=stdin,stdout", p.uuid, input="\n", env=env_on(), timeout=30)
    assert r.code == 0, r
    fds = [ln for ln in r.out.splitlines() if "->" in ln]
    assert fds and all("pipe:" in ln or "/proc/" in ln for ln in fds), r.out
    assert str(pods.dir) not in r.out
    p.wait()
    # the mux is gone with the pod, and so are its sockets
    wait_for(lambda: not sock.exists(), what="the sockets to go")


def test_app_on_a_tty_gets_only_its_pty(pods, img, attached):
    """The app's terminal is its own pty (not rkt's or attach's): TIOCSTI on it can only
    feed its own input."""
    p = start(pods, img.path, *TTY, "--exec=/bin/sh")
    attach_endpoints(pods, p.uuid)
    a = attached(p.uuid)
    a.write(b"ls -l /proc/self/fd/0; tty\r")
    a.expect("/dev/pts/")
    assert a.detach() == 0
    pods("stop", p.uuid)
    p.wait()


def test_socket_path_is_not_limited_by_sockaddr(pods, img):
    """A long app name (P/attach/<name>/sock-stdout beyond 108 bytes) still works."""
    name = "a" * 100
    p = start(pods, img.path, *STREAMS, f"--name={name}", "--exec=/inspect", "--",
              "--read-stdin")
    assert attach_endpoints(pods, p.uuid, app=name) == ["stdin", "stdout", "stderr"]
    r = pods("attach", f"--app={name}", p.uuid, input="long\n", env=env_on(), timeout=30)
    assert r.code == 0 and "Received text: long" in r.out, r
    p.wait()


# --------------------------------------------------------------------------- mutable pods

SANDBOX_ENV = dict(env_on(), RKT_EXPERIMENT_APP="true")


def sandbox_with(pods, img, name, *flags):
    """A mutable pod with app name (/inspect with flags) added from img; not started."""
    from test_app_sandbox import Sandbox
    sb = Sandbox(pods, "--net=host", env=SANDBOX_ENV)
    sb.add(pods.fetch(img.path), f"--name={name}", *flags)
    return sb


def mux_pids():
    def comm(pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                return f.read().strip()
        except OSError:  # gone meanwhile
            return None
    return [p for p in os.listdir("/proc") if p.isdigit() and comm(p) == "rkt-attach-mux"]


@pytest.mark.parametrize("flags,expect", [(TTY, "stdin is a terminal"),
                                          (STREAMS, "stdin is not a terminal")],
                         ids=["tty", "streams"])
def test_attach_smoke_in_a_sandbox(pods, img, attached, flags, expect):
    """TestAttachSmoke, sandbox: an app added with I/O modes and started with `rkt app`
    is attached to as one of `rkt run`; `stop` ends the sandbox with 0."""
    sb = sandbox_with(pods, img, "test-attach", *flags, "--exec=/inspect", "--",
                      "--read-stdin", "--check-tty", "--sleep=60")
    sb.start("test-attach")
    attach_endpoints(pods, sb.uuid)
    a = attached(sb.uuid)
    a.write(b"some_input\r")
    a.expect("Received text: some_input")
    a.expect(expect)
    a.close()
    assert pods("stop", sb.uuid).code == 0
    assert sb.pod.wait().code == 0


def test_attach_across_app_stop_and_start(pods, img, attached):
    """TestAttachStartStop: the app's endpoints follow it through app stop and app start
    (each start serves new ones, each stop ends their mux and removes them)."""
    sb = sandbox_with(pods, img, "attach-start-stop", *STREAMS, "--exec=/inspect", "--",
                      "--read-stdin", "--sleep=30")
    socks = pod_dir(pods, sb.uuid) / "attach" / "attach-start-stop"
    before = set(mux_pids())
    for i in range(2):
        sb.start("attach-start-stop")
        assert sb.state("attach-start-stop") == "running"
        assert attach_endpoints(pods, sb.uuid) == ["stdin", "stdout", "stderr"]
        a = attached(sb.uuid)
        a.write(f"some_input{i}\r".encode())
        a.expect(f"Received text: some_input{i}")
        a.close()
        sb.stop("attach-start-stop")
        assert sb.state("attach-start-stop") == "exited"
        wait_for(lambda: set(mux_pids()) <= before or None, what="the app's mux to end")
        assert not list(socks.glob("sock-*"))
    r = pods("attach", "--mode=list", sb.uuid, env=env_on())
    assert r.code == 0 and json.loads(r.out)["targets"] == [], r
    sb.rm("attach-start-stop")
    assert not socks.exists()
    assert pods("stop", sb.uuid).code == 0


def test_an_app_that_never_reads_its_input_blocks_nothing(pods, img):
    """An app on a stdin stream that never reads it: what an attach session sends it fills
    the pipe, yet the app's output still reaches another session, the flooding session ends
    on SIGTERM (and with rkt), and stop ends the pod (nothing of ours waits on the app)."""
    p = start(pods, img.path, *STREAMS, "--exec=/bin/sh", "--", "-c",
              "while :; do echo tick; sleep 0.2; done")
    attach_endpoints(pods, p.uuid)
    flood = subprocess.Popen(pods.argv("attach", "--mode=stdin", p.uuid), stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env_on(), start_new_session=True)
    sent = [0]

    def pour():
        chunk = b"x" * 65536
        try:
            while True:
                flood.stdin.write(chunk)
                flood.stdin.flush()
                sent[0] += len(chunk)
        except (BrokenPipeError, ValueError, OSError):
            pass
    import threading
    threading.Thread(target=pour, daemon=True).start()
    # more than the app's pipe holds (64 KiB), less than the buffers on the way hold
    wait_for(lambda: sent[0] >= 128 * 1024 or None, what="the input to fill the app's pipe")
    watcher = subprocess.Popen(pods.argv("attach", "--mode=stdout", p.uuid),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, env=env_on(), start_new_session=True)
    try:
        line = {}
        threading.Thread(target=lambda: line.setdefault("l", watcher.stdout.readline()),
                         daemon=True).start()
        wait_for(lambda: line.get("l"), timeout=10, what="the app's output in another session")
        assert line["l"] == b"tick\n"
    finally:
        kill_quietly(watcher)
    os.kill(flood.pid, 15)  # rkt itself: its attach entrypoint must go with it
    flood.wait(timeout=10)
    wait_for(lambda: not [q for q in os.listdir("/proc") if q.isdigit() and _is_attach(q)]
             or None, timeout=10, what="the attach entrypoint to end")
    assert pods("stop", p.uuid).code == 0
    p.wait(timeout=30)


def _is_attach(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv0 = f.read().split(b"\0")[0]
    except OSError:
        return False
    return argv0.endswith(b"/stage1/rootfs/attach")
