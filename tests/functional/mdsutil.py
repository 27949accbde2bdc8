# SPDX-License-Identifier: Apache-2.0
"""Helpers for the metadata-service tests (SPEC.md §9.1): a `rkt metadata-service` started
per test (stopped by pid in teardown), and HTTP clients for its two APIs: registration on the
unix socket /run/rkt/metadata-svc.sock, the public API on 127.0.0.1:18112 (loopback only)."""
import http.client
import json
import os
import signal
import socket
import subprocess
import time
import uuid as uuidlib

import pytest

from conftest import RKT_BIN

SOCK = "/run/rkt/metadata-svc.sock"
PORT = 18112
TEXT = "text/plain; charset=us-ascii"
JSON = "application/json"
IMAGE_ID = "sha512-" + "cd" * 32


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Reply:
    def __init__(self, resp):
        self.status = resp.status
        self.ctype = resp.getheader("Content-Type")
        self.body = resp.read()

    @property
    def text(self):
        return self.body.decode()

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.ctype!r} {self.body[:300]!r}>"


def _do(conn, method, path, body=None, headers=None):
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return Reply(conn.getresponse())
    finally:
        conn.close()


def reg(method, path, body=None, headers=None):
    """A request on the registration socket. body: bytes, str or a JSON-able object."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return _do(UnixHTTPConnection(SOCK), method, path, body, headers)


def pub(method, path, body=None, headers=None, timeout=10):
    """A request on the public API (127.0.0.1)."""
    return _do(http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout), method, path,
               body, headers)


def form(method, path, fields, ctype="application/x-www-form-urlencoded"):
    from urllib.parse import urlencode
    body = fields if isinstance(fields, (str, bytes)) else urlencode(fields)
    return pub(method, path, body, {"Content-Type": ctype})


def pod_manifest(apps, annotations="absent"):
    """A pod manifest with apps (name -> dict of app annotations or None)."""
    m = {"acVersion": "0.8.11", "acKind": "PodManifest", "apps": []}
    for name, ann in apps.items():
        a = {"name": name, "image": {"name": "example.com/" + name, "id": IMAGE_ID},
             "app": {"exec": ["/bin/true"], "user": "0", "group": "0"}}
        if ann is not None:
            a["annotations"] = [{"name": k, "value": v} for k, v in ann]
        m["apps"].append(a)
    if annotations != "absent":
        m["annotations"] = (None if annotations is None else
                            [{"name": k, "value": v} for k, v in annotations])
    return m


def image_manifest(name, annotations=()):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/" + name}
    if annotations:
        m["annotations"] = [{"name": k, "value": v} for k, v in annotations]
    return m


def register(manifest, images=None, uuid=None, token=None):
    """Registers a pod and its apps (images: app name -> image manifest). Returns
    (uuid, token)."""
    uuid = uuid or str(uuidlib.uuid4())
    token = token or os.urandom(16).hex()
    r = reg("PUT", f"/pods/{uuid}?token={token}", manifest)
    assert r.status == 200, r
    for a in manifest["apps"]:
        im = (images or {}).get(a["name"], image_manifest(a["name"]))
        r = reg("PUT", f"/pods/{uuid}/{a['name']}", im)
        assert r.status == 200, r
    return uuid, token


def raw(data, unix=False, timeout=10):
    """Sends data on a new connection (ignoring that the server may stop reading early) and
    returns everything it answers until it closes."""
    if unix:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(SOCK)
    else:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    out = b""
    try:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    return out


def api(token, path):
    return f"/{token}/acMetadata/v1/{path}"


def port_open():
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
        return True
    except OSError:
        return False


class Service:
    """One `rkt metadata-service` (stderr collected in a file)."""

    def __init__(self, tmp, *args, prefix=()):
        self.log = tmp / f"mds-{time.monotonic_ns()}.log"
        self.proc = subprocess.Popen([*prefix, str(RKT_BIN), "metadata-service", *args],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        end = time.monotonic() + 10
        while "metadata service running..." not in self.stderr():
            if self.proc.poll() is not None or time.monotonic() > end:
                self.proc.kill()
                raise AssertionError(f"metadata service did not start:\n{self.stderr()}")
            time.sleep(0.02)

    def stderr(self):
        return self.log.read_text()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM by pid; returns the exit status."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise


def _service(tmp_path, prefix=()):
    if port_open() or os.path.exists(SOCK) and _sock_alive():
        pytest.fail("another metadata service is running (port 18112 or the socket is taken)")
    s = Service(tmp_path, prefix=prefix)
    yield s
    code = s.stop()
    assert code == 0, s.stderr()
    assert "metadata service exiting..." in s.stderr()
    assert not os.path.exists(SOCK)


@pytest.fixture
def mds(tmp_path):
    """A running metadata service; its clean stop is part of the test."""
    yield from _service(tmp_path)


@pytest.fixture
def netmds(tmp_path, netns):
    """A metadata service in the test's own network namespace (nettest.netns), where its
    pods on CNI networks reach it at their gateway."""
    yield from _service(tmp_path, prefix=netns.prefix())


def _sock_alive():
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(SOCK)
        s.close()
        return True
    except OSError:
        return False
