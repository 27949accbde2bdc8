# SPDX-License-Identifier: Apache-2.0
"""docker:// against misbehaving registries and hostile layers (DESIGN.md §7): one-line
errors, exit 254, nothing stored, nothing written outside the store; token authentication
and where credentials may go."""
import base64
import json

import pytest

import dockerutil as D
from storeutil import list_json

INSECURE = "--insecure-options=image,http"


def simple_layout(path, layers=None, config=None):
    lay = D.Layout(path)
    img = lay.image(layers or [D.layer_tar([("hello", "file", "hi")])],
                    config=config or {"Cmd": ["/hello"]})
    lay.tag(img, "v1")
    return lay, img


@pytest.fixture
def fake(tmp_path):
    servers = []

    def make(layers=None, **kw):
        lay, img = simple_layout(tmp_path / f"layout{len(servers)}", layers)
        s = D.FakeRegistry(lay, **kw)
        s.img = img
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()


def assert_nothing_stored(rkt, r):
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert list_json(rkt) == []
    tmp = rkt.cas / "tmp"
    assert not tmp.is_dir() or not list(tmp.glob("rkt-docker-*"))


def blob_path(s, digest):
    return f"/v2/test/img/blobs/{digest}"


def manifest_of(s):
    return json.loads((s.layout.path / "blobs/sha256" / s.img["digest"][7:]).read_bytes())


def test_fake_registry_works(rkt, fake):
    s = fake()
    r = rkt.ok(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert r.out.startswith("sha512-")


@pytest.mark.parametrize("status", [401, 404, 500])
def test_manifest_error_statuses(rkt, fake, status):
    s = fake()
    s.hooks["/v2/test/img/manifests/v1"] = lambda h: D.FakeRegistry.send(h, status, b"{}") or True
    assert_nothing_stored(rkt, rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1"))


def test_layer_with_wrong_digest(rkt, fake):
    s = fake()
    layer = manifest_of(s)["layers"][0]
    real = (s.layout.path / "blobs/sha256" / layer["digest"][7:]).read_bytes()
    evil = bytes([real[0] ^ 1]) + real[1:]
    s.hooks[blob_path(s, layer["digest"])] = lambda h: D.FakeRegistry.send(h, 200, evil) or True
    r = rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert "digest mismatch" in r.err
    assert_nothing_stored(rkt, r)


def test_manifest_with_lying_digest_header(rkt, fake):
    s = fake()
    body = (s.layout.path / "blobs/sha256" / s.img["digest"][7:]).read_bytes()
    s.hooks["/v2/test/img/manifests/v1"] = lambda h: D.FakeRegistry.send(h, 200, body, {
        "Content-Type": D.OCI_MANIFEST, "Docker-Content-Digest": "sha256:" + "1" * 64}) or True
    r = rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert "digest mismatch" in r.err
    assert_nothing_stored(rkt, r)


def endless(h):
    h.send_response(200)
    h.send_header("Content-Type", D.OCI_MANIFEST)
    h.end_headers()
    try:
        for _ in range(100000):
            h.wfile.write(b" " * 65536)
    except OSError:
        pass
    h.close_connection = True
    return True


def test_endless_manifest(rkt, fake):
    s = fake()
    s.hooks["/v2/test/img/manifests/v1"] = endless
    r = rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert "larger than" in r.err
    assert_nothing_stored(rkt, r)


def test_blob_larger_than_declared(rkt, fake):
    s = fake()
    layer = manifest_of(s)["layers"][0]
    s.hooks[blob_path(s, layer["digest"])] = endless
    r = rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert "larger than" in r.err
    assert_nothing_stored(rkt, r)


@pytest.mark.parametrize("entries", [
    [("../evil", "file", "x")],
    [("/abs-evil", "file", "x")],
    [("a/../../evil", "file", "x")],
    [("link", "symlink", "/tmp"), ("link/evil", "file", "x")],
    [("d", "dir"), ("d/../../.wh.evil", "file", "")],
    [("hl", "hardlink", "../../etc/passwd")],
    [("hl", "hardlink", "missing")],
], ids=["dotdot", "absolute", "inner-dotdot", "through-symlink", "whiteout-dotdot",
        "hardlink-out", "hardlink-missing"])
def test_hostile_layers(rkt, fake, tmp_path, entries):
    s = fake(layers=[D.layer_tar(entries)])
    r = rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert "layer 1" in r.err
    assert_nothing_stored(rkt, r)
    assert not (rkt.dir.parent / "evil").exists()
    assert not list(tmp_path.rglob("evil"))


def test_token_auth_anonymous(rkt, fake):
    s = fake(auth="bearer")
    rkt.ok(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    tokens = [p for p, _ in s.requests if p.startswith("/token")]
    assert tokens and "scope=repository%3Atest%2Fimg%3Apull%2Cpush" in tokens[0]
    assert "service=fake%20registry" in tokens[0]
    assert all("Authorization" not in h for p, h in s.requests if p.startswith("/token"))


def write_docker_auth(rkt, registry, user="alice", password="s3cret"):
    d = rkt.local / "auth.d"
    d.mkdir(exist_ok=True)
    (d / "docker.json").write_text(json.dumps({
        "rktKind": "dockerAuth", "rktVersion": "v1", "registries": [registry],
        "credentials": {"user": user, "password": password}}))


def test_token_auth_with_credentials(rkt, fake):
    s = fake(auth="bearer", creds=("alice", "s3cret"))
    r = rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert r.code == 254 and "HTTP 401" in r.err
    write_docker_auth(rkt, s.host)
    rkt.ok(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    want = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert any(h.get("Authorization") == want for p, h in s.requests if p.startswith("/token"))
    # the credentials only go to the token endpoint of their registry, never to /v2/
    assert not any(h.get("Authorization") == want for p, h in s.requests if p.startswith("/v2"))


def test_credentials_not_sent_to_a_foreign_realm(rkt, fake):
    other = fake()  # a token service on another origin
    s = fake(auth="bearer", realm=f"http://{other.host}/token")
    write_docker_auth(rkt, s.host)
    rkt.ok(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert [p for p, _ in other.requests if p.startswith("/token")]
    assert all("Authorization" not in h for _, h in other.requests)


def test_credentials_of_another_registry_are_not_used(rkt, fake):
    s = fake(auth="bearer", creds=("alice", "s3cret"))
    write_docker_auth(rkt, "127.0.0.1:1")
    r = rkt(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert_nothing_stored(rkt, r)
    assert all("Authorization" not in h for p, h in s.requests if p.startswith("/token"))


def test_redirect_to_blob_storage_drops_authorization(rkt, fake):
    storage = fake()
    s = fake(auth="bearer")
    layer = manifest_of(s)["layers"][0]
    # the storage server serves the same blob under its own layout
    data = (s.layout.path / "blobs/sha256" / layer["digest"][7:]).read_bytes()
    storage.hooks["/blob"] = lambda h: D.FakeRegistry.send(h, 200, data) or True

    def redirect(h):
        if not s.authorized(h):
            return True
        D.FakeRegistry.send(h, 307, b"", {"Location": f"http://{storage.host}/blob"})
        return True
    s.hooks[blob_path(s, layer["digest"])] = redirect
    rkt.ok(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    assert [p for p, _ in storage.requests] == ["/blob"]
    assert "Authorization" not in storage.requests[0][1]


def test_https_to_http_redirect_is_refused(rkt, fake, tmp_path):
    certs = D.self_signed_cert(tmp_path / "tls")
    plain = fake()
    s = fake(tls_dir=certs)
    layer = manifest_of(s)["layers"][0]
    s.hooks[blob_path(s, layer["digest"])] = lambda h: D.FakeRegistry.send(
        h, 302, b"", {"Location": f"http://{plain.host}/blob"}) or True
    r = rkt("--insecure-options=image,tls", "fetch", f"docker://{s.host}/test/img:v1")
    assert "refusing a redirect from HTTPS" in r.err
    assert_nothing_stored(rkt, r)
    assert plain.requests == []
    # and the same registry works over TLS without the redirect
    del s.hooks[blob_path(s, layer["digest"])]
    rkt.ok("--insecure-options=image,tls", "fetch", f"docker://{s.host}/test/img:v1")
    # certificates are checked unless --insecure-options=tls
    r = rkt("--insecure-options=image", "fetch", "--pull-policy=update",
            f"docker://{s.host}/test/img:v1")
    assert r.code == 254
