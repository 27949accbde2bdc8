# SPDX-License-Identifier: Apache-2.0
"""The metadata service under a slow-request flood (issue "Close the host escapes"): one
client address holding ~1,000 half-sent requests must not stop the service from answering
the pods (at most 16 connections per client address), a client that trickles its headers is
cut off (10 seconds to send a request's headers), and the service recovers afterwards.

The flood comes from 127.0.0.2 and the pods' requests from 127.0.0.1 (loopback only). The
flood keeps every connection busy (one byte a second), so an idle timeout never lets it go."""
import errno
import os
import resource
import socket
import threading
import time

import pytest

from mdsutil import PORT, api, image_manifest, mds, pod_manifest, pub, reg, register  # noqa
from podtest import wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the service binds /run/rkt")

FLOOD_ADDR = "127.0.0.2"
PER_ADDRESS = 16


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def server_closed(s):
    """Whether the server closed (or reset) the connection s (made non-blocking)."""
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class Flood:
    """n connections from FLOOD_ADDR, each with a half-sent request. A thread sends one more
    header byte on each connection every second and replaces the connections the server
    closed (at most `refill` a second), so the flood never lets go by itself."""

    def __init__(self, token, n=1000, refill=20):
        raise_nofile(n + 256)
        self.head = (f"GET /{token}/acMetadata/v1/pod/uuid HTTP/1.1\r\nHost: x\r\n"
                     "X-Slow: ").encode()
        self.refill = refill
        self.conns = [self._connect() for _ in range(n)]  # [socket, head sent]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._keep, daemon=True)
        self.thread.start()

    @staticmethod
    def _connect():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((FLOOD_ADDR, 0))
        s.connect_ex(("127.0.0.1", PORT))
        return [s, False]

    def _keep(self):
        while not self.stop.wait(1.0):
            budget = self.refill
            for c in self.conns:
                s, sent = c
                try:
                    s.send(b"a" if sent else self.head)
                    c[1] = True
                    continue
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as e:
                    if e.errno == errno.ENOTCONN:
                        continue  # still connecting
                if budget > 0:
                    budget -= 1
                    s.close()
                    c[:] = self._connect()

    def wait_connected(self, timeout=60.0):
        """Waits until every first connection attempt got through (or was refused)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all(sent or server_closed(s) for s, sent in list(self.conns)):
                return
            time.sleep(0.2)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=30)
        for s, _ in self.conns:
            s.close()


def test_one_address_holds_at_most_16_connections(mds):
    uuid, token = register(pod_manifest({"a": None}))
    socks = []
    try:
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", PORT), timeout=5,
                                         source_address=("127.0.0.3", 0))
            s.sendall(f"GET /{token}/acMetadata/v1/pod/uuid HTTP/1.1\r\nX: ".encode())
            socks.append(s)
        end = time.monotonic() + 10
        while sum(map(server_closed, socks)) < 40 - PER_ADDRESS and time.monotonic() < end:
            time.sleep(0.5)
            for s in socks:  # busy connections: no idle timeout may close them
                try:
                    s.send(b"a")
                except OSError:
                    pass
        held = [s for s in socks if not server_closed(s)]
        assert len(held) <= PER_ADDRESS, len(held)
        r = pub("GET", api(token, "pod/uuid"), timeout=5)
        assert (r.status, r.text) == (200, uuid)
    finally:
        for s in socks:
            s.close()


def test_pods_are_answered_during_a_flood_from_one_address(mds):
    uuid, token = register(pod_manifest({"a": None}))
    flood = Flood(token)
    try:
        flood.wait_connected()
        # the pods' own requests, one after another, while the flood goes on
        for _ in range(20):
            r = pub("GET", api(token, "pod/uuid"), timeout=5)
            assert (r.status, r.text) == (200, uuid)
        assert reg("PUT", f"/pods/{uuid}/a", image_manifest("a")).status == 200
    finally:
        flood.close()
    assert mds.alive()

    # recovered: the flooding address is served again, once the service has seen its
    # connections close (until then, a new one may still be over the address's limit)
    def served():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.bind((FLOOD_ADDR, 0))
            try:
                s.connect(("127.0.0.1", PORT))
                s.sendall(f"GET /{token}/acMetadata/v1/pod/uuid HTTP/1.1\r\nHost: x\r\n\r\n"
                          .encode())
                return s.recv(4096).startswith(b"HTTP/1.1 200 ") or None
            except OSError:
                return None
    wait_for(served, timeout=20, interval=0.2, what="the flooding address to be served again")


def test_a_client_trickling_its_headers_is_cut_off(mds):
    uuid, token = register(pod_manifest({"a": None}))
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    try:
        s.sendall(f"GET /{token}/acMetadata/v1/pod/uuid HTTP/1.1\r\nX: ".encode())
        # one byte a second never lets an idle timeout fire; the header deadline (10 s) does
        closed = False
        end = time.monotonic() + 40
        while time.monotonic() < end and not closed:
            time.sleep(1)
            try:
                s.send(b"a")
            except OSError:
                closed = True
            closed = closed or server_closed(s)
        assert closed, "the server kept a connection that never finished its headers"
    finally:
        s.close()
    assert pub("GET", api(token, "pod/uuid")).text == uuid
