# SPDX-License-Identifier: Apache-2.0
"""`rkt metadata-service` (SPEC.md §3.18, §9.1) over its two sockets, with pods registered
by hand: start and stop, a second instance, the registration API, every public endpoint
(status, Content-Type, exact bodies), isolation between pods, HMAC signing, and bad input
(unknown tokens, malformed forms, oversized bodies, garbage, a flood of connections)."""
import base64
import os
import socket
import time

import pytest

from conftest import run_bare
from mdsutil import (JSON, SOCK, TEXT, IMAGE_ID, Service, api, form, image_manifest,  # noqa
                     mds, pod_manifest, port_open, pub, raw, reg, register)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the service binds /run/rkt")


# --------------------------------------------------------------------------- lifecycle

def test_start_and_stop_messages(mds):
    assert mds.stderr().startswith("metadata service starting...\nmetadata service running...")
    assert os.stat(SOCK).st_mode & 0o777 == 0o600
    assert port_open()


def test_second_service_on_the_same_port_fails(mds, tmp_path):
    r = run_bare("metadata-service", timeout=20)
    assert r.code == 254, r
    assert "cannot listen on TCP port 18112: address already in use" in r.err, r
    assert mds.alive() and port_open()


def test_second_service_on_another_port_finds_the_socket_taken(mds):
    r = run_bare("metadata-service", "--listen-port=18113", timeout=20)
    assert r.code == 254, r
    assert "another metadata service is listening on /run/rkt/metadata-svc.sock" in r.err
    assert os.path.exists(SOCK) and mds.alive()
    assert reg("DELETE", "/pods/" + "0" * 32).status == 404


def test_stale_socket_is_replaced(tmp_path):
    os.makedirs("/run/rkt", exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(SOCK)
    s.close()  # a socket file nobody listens on
    svc = Service(tmp_path)
    try:
        assert reg("DELETE", "/pods/" + "0" * 32).status == 404
    finally:
        assert svc.stop() == 0
    assert not os.path.exists(SOCK)


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1"])
def test_bad_listen_port(port):
    r = run_bare("metadata-service", f"--listen-port={port}")
    assert r.code == 254, r
    assert "--listen-port" in r.err


def test_requests_are_logged(mds):
    uuid, token = register(pod_manifest({"a": None}))
    pub("GET", api(token, "pod/uuid"))
    pub("GET", api("nope", "pod/uuid"))
    time.sleep(0.1)
    log = mds.stderr()
    assert f"PUT /pods/{uuid}?token={token} - 200" in log
    assert f"GET /{token}/acMetadata/v1/pod/uuid - 200" in log
    assert "GET /nope/acMetadata/v1/pod/uuid - 401" in log


# --------------------------------------------------------------------------- registration

def test_registration_errors(mds):
    m = pod_manifest({"a": None})
    u = "7f0b4f60-4b52-4c4e-9f43-1c2d3e4f5a6b"
    r = reg("PUT", "/pods/nope?token=t", m)
    assert (r.status, r.text) == (400, "UUID is missing or malformed: bad UUID length != 32\n")
    r = reg("PUT", f"/pods/{u}", m)
    assert (r.status, r.text) == (400, "token missing\n")
    r = reg("PUT", f"/pods/{u}?token=a/b", m)
    assert r.status == 400
    r = reg("PUT", f"/pods/{u}?token=t", "{not json")
    assert r.status == 400 and r.text.startswith("JSON-decoding failed: "), r
    r = reg("PUT", f"/pods/{u}?token=t", {"acKind": "ImageManifest", "acVersion": "0.8.11"})
    assert r.status == 400 and r.text.startswith("JSON-decoding failed: "), r
    r = reg("PUT", f"/pods/{u}/a", image_manifest("a"))
    assert (r.status, r.text) == (404, "Pod with given UUID not found\n")
    r = reg("DELETE", f"/pods/{u}")
    assert (r.status, r.text) == (404, "pod not found\n")
    assert reg("GET", f"/pods/{u}").status == 405
    assert reg("PUT", "/elsewhere").status == 404


def test_registration_app_checks(mds):
    uuid, token = register(pod_manifest({"a": None}))
    assert reg("PUT", f"/pods/{uuid}/Bad_Name", image_manifest("a")).status == 400
    assert reg("PUT", f"/pods/{uuid}/other", image_manifest("other")).status == 400
    r = reg("PUT", f"/pods/{uuid}/a", {"acKind": "PodManifest", "acVersion": "0.8.11"})
    assert r.status == 400 and r.text.startswith("JSON-decoding failed: "), r


def test_unregister(mds):
    uuid, token = register(pod_manifest({"a": None}))
    assert pub("GET", api(token, "pod/uuid")).status == 200
    assert reg("DELETE", f"/pods/{uuid}").status == 200
    r = pub("GET", api(token, "pod/uuid"))
    assert (r.status, r.text) == (401, "pod not found\n")
    assert reg("DELETE", f"/pods/{uuid}").status == 404


def test_token_of_another_pod_is_refused_at_registration(mds):
    _, token = register(pod_manifest({"a": None}))
    r = reg("PUT", f"/pods/{'1' * 32}?token={token}", pod_manifest({"a": None}))
    assert r.status == 409, r


# --------------------------------------------------------------------------- public API

POD_ANN = [("pod-ann", "pod value"), ("example.com/x", "y")]
IMG_ANN = [("created", "2014-10-27T19:32:27.67021798Z"), ("lorem", "ipsum"), ("z", "1")]
APP_ANN = [("lorem", "dolor"), ("new", "v")]


@pytest.fixture
def pod(mds):
    m = pod_manifest({"main": APP_ANN, "side": None}, annotations=POD_ANN)
    uuid, token = register(m, {"main": image_manifest("main", IMG_ANN)})
    return uuid, token, m


def test_pod_endpoints(pod):
    uuid, token, m = pod
    r = pub("GET", api(token, "pod/uuid"), headers={"Metadata-Flavor": "AppContainer"})
    assert (r.status, r.ctype, r.text) == (200, TEXT, uuid)
    r = pub("GET", api(token, "pod/manifest"))
    assert (r.status, r.ctype) == (200, JSON) and r.json() == m
    assert r.body.endswith(b"}\n")
    r = pub("GET", api(token, "pod/annotations"))
    assert (r.status, r.ctype) == (200, JSON)
    assert r.json() == [{"name": k, "value": v} for k, v in POD_ANN]
    r = pub("GET", api(token, "pod/annotations/pod-ann"))
    assert (r.status, r.ctype, r.text) == (200, TEXT, "pod value")
    r = pub("GET", api(token, "pod/annotations/example.com/x"))
    assert (r.status, r.text) == (200, "y")
    r = pub("GET", api(token, "pod/annotations/missing"))
    assert (r.status, r.text) == (404, 'Pod annotation "missing" not found\n')
    assert pub("GET", api(token, "pod/annotations/Not_Valid")).status == 400


@pytest.mark.parametrize("ann,expect", [("absent", b"null\n"), (None, b"null\n"),
                                        ([], b"[]\n")], ids=["absent", "null", "empty"])
def test_pod_annotations_null_and_empty(mds, ann, expect):
    _, token = register(pod_manifest({"a": None}, annotations=ann))
    r = pub("GET", api(token, "pod/annotations"))
    assert (r.status, r.body) == (200, expect)


def test_app_endpoints(pod):
    uuid, token, m = pod
    r = pub("GET", api(token, "apps/main/image/manifest"))
    assert (r.status, r.ctype) == (200, JSON)
    assert r.json() == image_manifest("main", IMG_ANN)
    r = pub("GET", api(token, "apps/main/image/id"))
    assert (r.status, r.ctype, r.text) == (200, TEXT, IMAGE_ID)
    r = pub("GET", api(token, "apps/main/annotations"))
    assert (r.status, r.ctype) == (200, JSON)
    merged = [("created", IMG_ANN[0][1]), ("lorem", "dolor"), ("z", "1"), ("new", "v")]
    assert r.json() == [{"name": k, "value": v} for k, v in merged]
    r = pub("GET", api(token, "apps/main/annotations/lorem"))
    assert (r.status, r.ctype, r.text) == (200, TEXT, "dolor")
    assert pub("GET", api(token, "apps/main/annotations/nothere")).status == 404
    r = pub("GET", api(token, "apps/side/annotations"))
    assert (r.status, r.body) == (200, b"[]\n")
    r = pub("GET", api(token, "apps/ghost/image/id"))
    assert (r.status, r.text) == (404, "app not found\n")
    assert pub("GET", api(token, "apps/Bad_Name/image/id")).status == 400
    assert pub("GET", api(token, "apps/main/elsewhere")).status == 404


def test_unknown_token_and_paths(pod):
    uuid, token, _ = pod
    for t in ["", "nope", "0" * 32, token + "0", token.upper()]:
        r = pub("GET", f"/{t}/acMetadata/v1/pod/uuid")
        assert r.status in (401, 404), (t, r)
    r = pub("GET", api("nope", "pod/manifest"))
    assert (r.status, r.text) == (401, "pod not found\n")
    assert pub("GET", f"/{token}/acMetadata/v2/pod/uuid").status == 404
    assert pub("GET", api(token, "pod/nothing")).status == 404
    assert pub("GET", "/").status == 404
    assert pub("DELETE", api(token, "pod/uuid")).status == 405
    assert pub("POST", api(token, "pod/manifest"), b"x").status == 405
    assert pub("GET", api(token, "pod/hmac/sign")).status == 405


def test_pods_see_only_their_own_data(mds):
    ua, ta = register(pod_manifest({"alpha": None}, annotations=[("who", "a")]))
    ub, tb = register(pod_manifest({"beta": None}, annotations=[("who", "b")]))
    assert pub("GET", api(ta, "pod/uuid")).text == ua
    assert pub("GET", api(tb, "pod/uuid")).text == ub
    assert pub("GET", api(ta, "pod/annotations/who")).text == "a"
    assert pub("GET", api(tb, "pod/annotations/who")).text == "b"
    assert pub("GET", api(ta, "apps/beta/image/manifest")).status == 404
    assert pub("GET", api(tb, "apps/alpha/image/id")).status == 404
    assert reg("DELETE", f"/pods/{ua}").status == 200
    assert pub("GET", api(ta, "pod/uuid")).status == 401
    assert pub("GET", api(tb, "pod/uuid")).text == ub


# --------------------------------------------------------------------------- HMAC

def sign(token, content):
    r = form("POST", api(token, "pod/hmac/sign"), {"content": content})
    assert (r.status, r.ctype) == (200, TEXT), r
    return r.text


def verify(token, fields, **kw):
    return form("POST", api(token, "pod/hmac/verify"), fields, **kw)


def test_sign_and_verify(mds):
    ua, ta = register(pod_manifest({"a": None}))
    ub, tb = register(pod_manifest({"b": None}))
    sig = sign(ta, "Old MacDonald Had A Farm")
    assert len(base64.b64decode(sig, validate=True)) == 64
    assert sig == sign(ta, "Old MacDonald Had A Farm")
    assert sig != sign(tb, "Old MacDonald Had A Farm")
    # anyone with a token verifies a signature by the signer's UUID, dashes or not
    for t, u in [(ta, ua), (tb, ua), (tb, ua.replace("-", ""))]:
        r = verify(t, {"content": "Old MacDonald Had A Farm", "uuid": u, "signature": sig})
        assert (r.status, r.ctype, r.body) == (200, TEXT, b""), r
    r = verify(tb, {"content": "Old MacDonald Had A Farm", "uuid": ub, "signature": sig})
    assert r.status == 403
    r = verify(tb, {"content": "Old MacDonald Had A Cow", "uuid": ua, "signature": sig})
    assert r.status == 403
    # the signature stays valid after the signer is gone
    assert reg("DELETE", f"/pods/{ua}").status == 200
    r = verify(tb, {"content": "Old MacDonald Had A Farm", "uuid": ua, "signature": sig})
    assert r.status == 200
    r = verify("nope", {"content": "x", "uuid": ua, "signature": sig})
    assert r.status == 401


def test_sign_bad_requests(mds):
    _, t = register(pod_manifest({"a": None}))
    assert form("POST", api(t, "pod/hmac/sign"), {"content": ""}).status == 400
    assert form("POST", api(t, "pod/hmac/sign"), {"other": "x"}).status == 400
    assert form("POST", api(t, "pod/hmac/sign"), "content=%zz").status == 400
    assert form("POST", api(t, "pod/hmac/sign"), "content=a%00b").status == 400
    assert form("POST", api(t, "pod/hmac/sign"), "content=a;b=c").status == 400
    r = form("POST", api(t, "pod/hmac/sign"), "content=x", ctype="application/json")
    assert r.status == 400
    r = form("POST", api(t, "pod/hmac/sign"), "content=x+y%21",
             ctype="application/x-www-form-urlencoded; charset=utf-8")
    assert r.status == 200 and r.text == sign(t, "x y!")


def test_verify_bad_requests(mds):
    u, t = register(pod_manifest({"a": None}))
    sig = sign(t, "c")
    cases = [
        ({"content": "c", "signature": sig}, "uuid field missing or malformed"),
        ({"content": "c", "uuid": "1234", "signature": sig}, "uuid field missing or malformed"),
        ({"content": "c", "uuid": "z" * 32, "signature": sig}, "uuid field missing or malformed"),
        ({"uuid": u, "signature": sig}, "content field missing"),
        ({"content": "c", "uuid": u, "signature": "not base64!"}, "signature field"),
        ({"content": "c", "uuid": u, "signature": sig[:-2]}, "signature field"),
    ]
    for fields, msg in cases:
        r = verify(t, fields)
        assert r.status == 400 and r.text.startswith(msg), (fields, r)
    assert verify(t, {"content": "c", "uuid": u}).status == 403
    assert verify(t, "uuid=%zz").status == 400


# --------------------------------------------------------------------------- hostile input

def test_oversized_bodies(mds):
    u, t = register(pod_manifest({"a": None}))
    body = b"content=" + b"x" * (100 << 10)
    r = raw(b"POST " + api(t, "pod/hmac/sign").encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert r.startswith(b"HTTP/1.1 413 "), r[:200]
    big = b'{"acKind":"PodManifest","acVersion":"0.8.11","apps":[],"x":"' + \
        b"y" * (5 << 20) + b'"}'
    r = raw(b"PUT /pods/" + b"2" * 32 + b"?token=abc HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: %d\r\n\r\n" % len(big) + big, unix=True)
    assert r.startswith(b"HTTP/1.1 413 "), r[:200]
    # chunked, without a Content-Length: refused once the limit is crossed
    chunk = b"x" * 8192
    chunks = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(20))
    r = raw(b"POST " + api(t, "pod/hmac/sign").encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    assert r.startswith(b"HTTP/1.1 413 "), r[:200]
    # far beyond the limit: the connection is dropped while the body still comes
    chunks = b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(200))
    r = raw(b"POST " + api(t, "pod/hmac/sign").encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    assert r == b"" or r.startswith(b"HTTP/1.1 413 "), r[:200]
    assert sign(t, "still fine")
    assert pub("GET", api(t, "pod/uuid")).text == u


def test_garbage_and_huge_headers(mds):
    u, t = register(pod_manifest({"a": None}))
    for payload in [b"\x00\x01\x02garbage\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                    b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n",
                    b"GET / HTTP/1.1\r\nX: " + b"b" * 100000 + b"\r\n\r\n"]:
        data = raw(payload)
        assert data == b"" or data.startswith((b"HTTP/1.1 4", b"HTTP/1.1 505 ")), \
            (payload[:20], data[:100])
    assert mds.alive()
    assert pub("GET", api(t, "pod/uuid")).text == u


def test_flood_of_connections(mds):
    """400 connections from 25 addresses (16 each: the most one address may hold, see
    test_mds_flood.py), half of them with a half-sent request."""
    u, t = register(pod_manifest({"a": None}))
    socks = []
    try:
        for i in range(400):
            s = socket.create_connection(("127.0.0.1", 18112), timeout=5,
                                         source_address=(f"127.0.1.{i // 16 + 1}", 0))
            if i % 2:
                s.sendall(b"GET /" + t.encode() + b"/acMetadata/v1/pod/uuid HTTP/1.1\r\nHo")
            socks.append(s)
        start = time.monotonic()
        r = pub("GET", api(t, "pod/uuid"), timeout=5)
        assert (r.status, r.text) == (200, u)
        assert time.monotonic() - start < 2
        assert reg("PUT", f"/pods/{u}/a", image_manifest("a")).status == 200
    finally:
        for s in socks:
            s.close()
    assert mds.alive()
    assert pub("GET", api(t, "pod/uuid")).text == u
