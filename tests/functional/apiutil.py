# SPDX-License-Identifier: Apache-2.0
"""Helpers for the API service tests (SPEC.md §9.2): a real gRPC client (Debian's
python3-grpcio) whose stubs are generated at test time by python3-grpc-tools from the
project's src/api/api.proto, and `rkt api-service` started per test on a free loopback port
(stopped by pid in teardown), as root or as a non-root member of group rkt."""
import atexit
import grp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, Rkt, kill_quietly, remove_test_tree
from podtest import Pods, _finish

PROTO = ROOT / "src" / "api" / "api.proto"
_stubs = None


def stubs():
    """(api_pb2, api_pb2_grpc) generated from src/api/api.proto once per session."""
    global _stubs
    if _stubs is None:
        out = Path(tempfile.mkdtemp(prefix="rkt-api-stubs-"))
        atexit.register(shutil.rmtree, out, True)
        subprocess.run(["/usr/bin/python3", "-m", "grpc_tools.protoc", f"-I{PROTO.parent}",
                        f"--python_out={out}", f"--grpc_python_out={out}", str(PROTO)],
                       check=True, capture_output=True)
        sys.path.insert(0, str(out))
        import api_pb2
        import api_pb2_grpc
        _stubs = (api_pb2, api_pb2_grpc)
    return _stubs


def rkt_gid():
    try:
        return grp.getgrnam("rkt").gr_gid
    except KeyError:
        pytest.fail('group "rkt" is missing: scripts/setup-debian.sh creates it')


def as_member(gid):
    """setpriv prefix: an unprivileged uid whose only group is rkt."""
    return ["setpriv", "--reuid=65534", "--regid=65534", f"--groups={gid}",
            "--inh-caps=-all", "--bounding-set=-all"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def channel(target):
    import grpc
    return grpc.insecure_channel(target, options=[("grpc.enable_http_proxy", 0)])


class Client:
    """A PublicAPI stub on its own channel; pb is the generated api_pb2 module."""

    def __init__(self, target):
        self.pb, pb_grpc = stubs()
        self.channel = channel(target)
        self.stub = pb_grpc.PublicAPIStub(self.channel)

    def __getattr__(self, name):
        return getattr(self.stub, name)

    def close(self):
        self.channel.close()


def status_of(fn, *args, **kw):
    """(code name, details) of the RpcError a call raises; fails when it succeeds."""
    import grpc
    try:
        r = fn(*args, **kw)
        if hasattr(r, "__next__"):  # a stream: the error comes while reading it
            list(r)
    except grpc.RpcError as e:
        return e.code().name, e.details()
    raise AssertionError(f"{fn} succeeded")


class ApiService:
    """`rkt api-service` of rkt (a conftest.Rkt) in the background, on a free loopback port
    (listen=None: the address given by the caller's argv, or socket activation). stderr goes
    to a file; start() waits for "API service running"."""

    def __init__(self, rkt, *extra, member=True, prefix=(), listen="auto", env=None):
        self.rkt = rkt
        self.addr = f"127.0.0.1:{free_port()}" if listen == "auto" else listen
        self.errfile = Path(tempfile.mkstemp(prefix="rkt-api-err-")[1])
        argv = list(prefix)
        if member:
            argv += as_member(rkt_gid())
        argv += rkt.args() + list(extra) + ["api-service"]
        if listen == "auto":
            argv.append(f"--listen={self.addr}")
        self.argv = argv
        self.env = env
        self.proc = None
        self.client = None

    def start(self, wait=True):
        with open(self.errfile, "w") as err:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=err, cwd="/",
                                         env=self.env)
        if wait:
            self.wait_running()
        return self

    def stderr(self):
        return self.errfile.read_text()

    def wait_running(self, timeout=30):
        end = time.monotonic() + timeout
        while "API service running" not in self.stderr():
            if self.proc.poll() is not None:
                raise AssertionError(f"api-service exited {self.proc.returncode}:\n"
                                     f"{self.stderr()}")
            if time.monotonic() > end:
                raise AssertionError(f"api-service did not start:\n{self.stderr()}")
            time.sleep(0.05)

    def connect(self):
        if self.client is None:
            self.client = Client(self.addr)
        return self.client

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Signals the service; returns its exit status (it must exit within timeout)."""
        if self.client:
            self.client.close()
            self.client = None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.client:
            self.client.close()
        if self.proc is not None:
            kill_quietly(self.proc)
        self.errfile.unlink(missing_ok=True)


@pytest.fixture
def apisvc():
    """Factory: apisvc(rkt, *global_flags, member=True, ...) -> a started ApiService."""
    started = []

    def make(rkt, *extra, start=True, **kw):
        s = ApiService(rkt, *extra, **kw)
        started.append(s)
        return s.start() if start else s
    yield make
    for s in started:
        s.close()


def world_readable_tmp(prefix):
    """A directory under /tmp that every user may traverse (the member must reach --dir)."""
    top = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(top, 0o755)
    return top


def _member_reachable(make, prefix):
    """(top, r): r = make(top) (a conftest.Rkt) under a directory the member of group rkt can
    reach, the data directory created by root (as rkt's tests did with SetupDataDir)."""
    top = world_readable_tmp(prefix)
    r = make(top)
    for d in (r.local, r.system, r.user):
        os.chmod(d, 0o755)
    r.ok("image", "list")
    return top, r


@pytest.fixture
def member_rkt():
    """A Rkt whose --dir and config directories a member of group rkt can reach."""
    top, r = _member_reachable(lambda t: Rkt(t, offline=False), "rkt-api-test-")
    yield r
    remove_test_tree(top)


@pytest.fixture
def apipods():
    """Pods (podtest.Pods) under a directory the member of group rkt can reach."""
    top, p = _member_reachable(Pods, "rkt-api-pods-")
    yield p
    _finish(p)
    remove_test_tree(top)
