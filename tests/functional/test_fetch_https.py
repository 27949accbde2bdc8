# SPDX-License-Identifier: Apache-2.0
"""Fetching signed ACIs by http(s) URL (SPEC.md §5.3, §5.5, §11.6): signature first, then
the image; the remote cache's ETag and max-age; resumed downloads; deferred signatures;
auth.d credentials; and misbehaving servers, each ending in one line, exit 254 and a store
as it was. Servers listen on 127.0.0.1 only; their CA is made with openssl and trusted
through SSL_CERT_FILE (or SSL_CERT_DIR), as Go (and so rkt) read them."""
import base64
import grp
import json
import os
import shutil
import subprocess

import pytest

from podtest import run_bare_pty, wait_for
from signutil import Server, gpg, tls  # noqa: F401 (fixtures)
from storeutil import list_json

NAME = "example.com/app"


@pytest.fixture
def env(tls):
    return dict(os.environ, SSL_CERT_FILE=str(tls["ca"]))


@pytest.fixture
def trusted(rkt, gpg, tmp_path):
    k = gpg.write_key(gpg.alice, tmp_path / "alice.asc")
    r = rkt("trust", f"--prefix={NAME}", "--skip-fingerprint-review", k)
    assert r.code == 0, r


@pytest.fixture
def signed(mkaci, gpg):
    def make(name=NAME, **kw):
        a = mkaci(name, **kw)
        a.asc = gpg.sign(gpg.alice, a.path)
        return a
    return make


@pytest.fixture
def serve(tmp_path, tls):
    started = []

    def start(routes, **kw):
        s = Server(tmp_path / f"srv{len(started)}", tls, routes, **kw)
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def image_routes(a, aci=None, asc=None):
    return {"/app.aci": aci or [{"file": str(a.path)}],
            "/app.aci.asc": asc or [{"file": str(a.asc)}]}


def assert_unchanged(rkt, r):
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert list_json(rkt) == []


def paths(s):
    return [(q["method"], q["path"]) for q in s.requests()]


def test_signed_image_over_https(rkt, signed, serve, env, trusted):
    a = signed()
    s = serve(image_routes(a))
    url = s.url("/app.aci")
    r = rkt("--debug", "fetch", "--full", url, env=env)
    assert r.code == 0, r
    assert r.out == a.key + "\n"
    assert f'image: remote fetching from URL "{url}"' in r.err
    assert f"image: fetching image from {url}" in r.err
    assert "image: signature verified:\n  Alice Signer <alice@example.com>\n" in r.err
    assert paths(s) == [("GET", "/app.aci.asc"), ("GET", "/app.aci")]  # signature first
    assert [q["headers"]["User-Agent"] for q in s.requests()] == ["rkt/1.30.0"] * 2
    # --pull-policy=new: the remote cache, no request
    r = rkt("--debug", "fetch", "--pull-policy=new", url, env=env)
    assert r.code == 0 and f"image: using image from local store for url {url}" in r.err
    assert len(s.requests()) == 2


def test_progress_bars_on_a_terminal_only(rkt, signed, serve, tls, env, trusted):
    """SPEC.md §5.3: "Downloading signature: [...]" and "Downloading ACI: [...]" on stderr
    when it is a terminal; nothing of the kind otherwise."""
    a = signed()
    s = serve(image_routes(a))
    url = s.url("/app.aci")
    r = rkt("fetch", url, env=env)
    assert r.code == 0 and "Downloading" not in r.err, r
    rkt.ok("image", "rm", a.key)
    code, out = run_bare_pty(["env", f"SSL_CERT_FILE={tls['ca']}"] +
                             rkt.argv("fetch", "--pull-policy=update", url))
    assert code == 0, out
    assert "Downloading signature: [" in out and "Downloading ACI: [" in out, out
    kb = a.path.stat().st_size / 1e6
    assert f"] {kb:.1f} MB/{kb:.1f} MB" in out, out


def test_certificates(rkt, signed, serve, env, trusted, tls, tmp_path):
    a = signed()
    s = serve(image_routes(a))
    url = s.url("/app.aci")
    r = rkt("fetch", url)  # the test CA is not the system's
    assert r.err.startswith("fetch: error downloading the signature file: GET ")
    assert_unchanged(rkt, r)
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(tls["ca"], certs / "any-name.pem")  # Go reads every file of the directory
    r = rkt("fetch", url, env=dict(os.environ, SSL_CERT_DIR=f"/nonexistent:{certs}"))
    assert r.code == 0, r
    r = rkt("--insecure-options=tls", "fetch", url)
    assert r.code == 0, r
    assert "image: warning: TLS verification has been disabled\n" in r.err


def test_a_fifo_among_the_certificates_is_not_waited_on(rkt, signed, serve, env, trusted, tls,
                                                       tmp_path):
    """$SSL_CERT_DIR is read for its regular files (and links to them): a FIFO or a dangling
    link there is skipped, not waited on forever."""
    a = signed()
    s = serve(image_routes(a))
    certs = tmp_path / "certs"
    certs.mkdir()
    os.mkfifo(certs / "a-fifo")
    os.symlink("/nonexistent", certs / "b-dangling")
    os.symlink(tls["ca"], certs / "c-link.pem")
    r = rkt("fetch", s.url("/app.aci"), env=dict(os.environ, SSL_CERT_DIR=str(certs)),
            timeout=60)
    assert r.code == 0, r


def test_etag_and_not_modified(rkt, signed, serve, env, trusted):
    a = signed()
    s = serve(image_routes(a, aci=[{"file": str(a.path), "headers": {"ETag": '"v1"'}},
                                   {"status": 304, "headers": {"ETag": '"v1"'}}]))
    url = s.url("/app.aci")
    assert rkt("fetch", url, env=env).code == 0
    r = rkt("fetch", "--full", url, env=env)  # update: ask the server
    assert r.code == 0 and r.out == a.key + "\n", r
    gets = [q for q in s.requests() if q["path"] == "/app.aci"]
    assert len(gets) == 2 and gets[1]["headers"].get("If-None-Match") == '"v1"'
    assert "If-None-Match" not in gets[0]["headers"]


def test_cache_control_max_age(rkt, signed, serve, env, trusted):
    a = signed()
    s = serve(image_routes(a, aci=[{"file": str(a.path),
                                    "headers": {"Cache-Control": "public, max-age=3600"}}]))
    url = s.url("/app.aci")
    assert rkt("fetch", "--no-store", url, env=env).code == 0
    n = len(s.requests())
    r = rkt("--debug", "fetch", "--no-store", "--full", url, env=env)
    assert r.code == 0 and r.out == a.key + "\n"
    assert f"image: image for {url} isn't expired, not fetching." in r.err
    assert len(s.requests()) == n


def test_resumed_download(rkt, signed, serve, env, trusted):
    a = signed(files={"big": os.urandom(3 << 20)})
    size = a.path.stat().st_size
    full = {"file": str(a.path), "ranges": True, "headers": {"ETag": '"big"'}}
    s = serve(image_routes(a, aci=[dict(full, mode="short", cut=size // 2), full]))
    url = s.url("/app.aci")
    r = rkt("fetch", url, env=env)
    assert r.err.startswith("fetch: error downloading ACI: GET ")
    assert_unchanged(rkt, r)
    assert [p.name for p in (rkt.cas / "tmp").iterdir() if p.name.startswith("dl-")]
    r = rkt("fetch", "--full", url, env=env)
    assert r.code == 0 and r.out == a.key + "\n", r
    gets = [q for q in s.requests() if q["path"] == "/app.aci"]
    assert [q["method"] for q in gets] == ["GET", "HEAD", "GET"]
    assert gets[2]["headers"]["Range"] == f"bytes={size // 2}-"
    assert not [p for p in (rkt.cas / "tmp").iterdir() if p.name.startswith("dl-")]


def test_resume_when_ranges_are_no_longer_supported(rkt, signed, serve, env, trusted):
    a = signed(files={"big": os.urandom(1 << 20)})
    s = serve(image_routes(a, aci=[{"file": str(a.path), "mode": "short", "cut": 1000,
                                    "ranges": True}, {"file": str(a.path)}]))
    url = s.url("/app.aci")
    assert rkt("fetch", url, env=env).code == 254
    r = rkt("fetch", "--full", url, env=env)
    assert r.code == 0 and r.out == a.key + "\n", r
    assert "image: cannot use cached partial download, range request unsupported.\n" in r.err
    assert "Range" not in s.requests()[-1]["headers"]


@pytest.mark.parametrize("ranges", [True, False], ids=["resumed", "ranges-gone"])
def test_fetch_killed_halfway(rkt, signed, serve, env, trusted, ranges):
    """rkt's TestResumedFetch and TestResumedFetchInvalidCache: rkt is killed halfway through
    a --no-store download; the next fetch asks for the rest, or, when the server no longer
    takes ranges, downloads it all again."""
    a = signed(files={"big": os.urandom(3 << 20)})
    size = a.path.stat().st_size
    full = {"file": str(a.path), "ranges": True, "headers": {"ETag": '"big"'}}
    again = full if ranges else {"file": str(a.path)}
    s = serve(image_routes(a, aci=[dict(full, mode="stall", cut=size // 2), again]))
    url = s.url("/app.aci")
    tmp = rkt.cas / "tmp"

    def partial():
        return [p for p in tmp.iterdir() if p.name.startswith("dl-") and
                p.stat().st_size >= size // 2] if tmp.is_dir() else []
    p = subprocess.Popen(rkt.argv("fetch", "--no-store", url), env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(partial, timeout=60, what="half of the image on disk")
    finally:
        p.kill()
        p.wait()
    r = rkt("fetch", "--no-store", "--full", url, env=env)
    assert r.code == 0 and r.out == a.key + "\n", r
    last = s.requests()[-1]
    assert last["path"] == "/app.aci" and last["method"] == "GET"
    if ranges:
        assert last["headers"]["Range"] == f"bytes={size // 2}-"
    else:
        assert "image: cannot use cached partial download, range request unsupported.\n" in r.err
        assert "Range" not in last["headers"]
    assert not [p for p in tmp.iterdir() if p.name.startswith("dl-")]


def test_deferred_signature(rkt, signed, serve, env, trusted):
    a = signed()
    s = serve(image_routes(a, asc=[{"status": 202}, {"file": str(a.asc)}]))
    r = rkt("fetch", "--full", s.url("/app.aci"), env=env)
    assert r.code == 0 and r.out == a.key + "\n", r
    assert "image: server requested deferring the signature download\n" in r.err
    assert paths(s) == [("GET", "/app.aci.asc"), ("GET", "/app.aci"), ("GET", "/app.aci.asc")]
    b = signed(name=NAME + "/b")
    s = serve(image_routes(b, asc=[{"status": 202}]))
    r = rkt("fetch", s.url("/app.aci"), env=env)
    assert r.err.endswith("fetch: error downloading the signature file: server asked to defer "
                          "the download again\n")
    assert r.code == 254 and b.key not in [i["id"] for i in list_json(rkt)]


def test_plain_http_url_is_fetched_and_verified(rkt, signed, serve, env, trusted):
    a = signed()
    s = serve(image_routes(a), listen=[["127.0.0.1", 0, "http"]])
    r = rkt("fetch", "--full", s.url("/app.aci", scheme="http"), env=env)
    assert r.code == 0 and r.out == a.key + "\n", r
    assert "signature verified" in r.err


def test_prepare_fetches_a_signed_url_per_pull_policy(rkt, signed, serve, env, trusted):
    """prepare fetches what the store lacks (new: the remote cache first), with the same
    signature check; never: only the remote cache."""
    a = signed()
    s = serve(image_routes(a))
    url = s.url("/app.aci")
    r = rkt("prepare", "--quiet", "--pull-policy=never", url, env=env)
    assert r.code == 254 and f'unable to fetch image from URL "{url}"' in r.err, r
    assert paths(s) == []
    r = rkt("prepare", "--quiet", url, env=env)
    assert r.code == 0 and len(r.out.strip()) == 36, r
    assert "signature verified" in r.err
    assert paths(s) == [("GET", "/app.aci.asc"), ("GET", "/app.aci")]
    r = rkt("prepare", "--quiet", "--pull-policy=never", url, env=env)
    assert r.code == 0, r
    assert len(s.requests()) == 2
    rkt("gc", "--grace-period=0s")
    b = signed(name="example.com/other")  # a key trusted for NAME only
    s2 = serve(image_routes(b))
    r = rkt("prepare", "--quiet", s2.url("/app.aci"), env=env)
    assert r.code == 254 and "openpgp: signature made by unknown entity" in r.err, r
    assert b.key not in {i["id"] for i in list_json(rkt)}


def test_signature_flag_with_url(rkt, signed, serve, env, trusted):
    a = signed()
    s = serve({"/app.aci": [{"file": str(a.path)}]})
    r = rkt("fetch", s.url("/app.aci"), "--signature", a.asc, env=env)
    assert r.code == 0, r
    assert paths(s) == [("GET", "/app.aci")]


@pytest.mark.parametrize("case", ["sig404", "aci500", "tampered", "untrusted", "loop",
                                  "downgrade", "endless", "short", "sig-endless"])
def test_misbehaving_servers(rkt, signed, serve, env, trusted, mkaci, gpg, case):
    a = signed()
    routes = image_routes(a)
    e = env
    want = None
    if case == "sig404":
        routes["/app.aci.asc"] = [{"status": 404}]
        want = "fetch: error downloading the signature file: bad HTTP status code: 404\n"
    elif case == "aci500":
        routes["/app.aci"] = [{"status": 500}]
        want = "fetch: error downloading ACI: bad HTTP status code: 500\n"
    elif case == "tampered":
        other = mkaci(NAME, version="6.6.6")
        routes["/app.aci"] = [{"file": str(other.path)}]
    elif case == "untrusted":
        b = mkaci("example.org/other")
        gpg.sign(gpg.alice, b.path)
        routes = {"/app.aci": [{"file": str(b.path)}],
                  "/app.aci.asc": [{"file": str(b.path) + ".asc"}]}
        want = "fetch: openpgp: signature made by unknown entity\n"
    elif case == "loop":
        routes["/app.aci"] = [{"status": 302, "headers": {"Location": "/app.aci"}}]
    elif case == "downgrade":
        routes["/app.aci"] = [{"status": 302,
                               "headers": {"Location": "http://127.0.0.1:9/app.aci"}}]
    elif case == "endless":
        routes["/app.aci"] = [{"mode": "endless"}]
        e = dict(env, RKT_MAX_IMAGE_SIZE="2M")
    elif case == "short":
        routes["/app.aci"] = [{"file": str(a.path), "mode": "short", "cut": 100}]
    elif case == "sig-endless":
        routes["/app.aci.asc"] = [{"mode": "endless"}]
    s = serve(routes)
    r = rkt("fetch", s.url("/app.aci"), env=e)
    if case == "untrusted":
        r.err = r.err.split("\n", 2)[2]  # the two hint lines
    assert_unchanged(rkt, r)
    if want:
        assert r.err == want
    expect = {"tampered": "openpgp: invalid signature", "loop": "more than 10 redirects",
              "downgrade": "refusing a redirect from HTTPS", "endless": "larger than",
              "short": "error downloading ACI", "sig-endless": "larger than"}
    if case in expect:
        assert expect[case] in r.err, r


@pytest.mark.parametrize("case", ["corrupt", "garbage-signature", "bob-untrusted"])
def test_signature_hashed_during_the_import(rkt, signed, serve, env, trusted, gpg, tmp_path,
                                            case):
    """The signature's hashing runs while the image is imported, and learns the keys trusted
    for the manifest's name at the end: an import that fails first ends it (the import's
    error, nothing of librnp's on stderr), an unreadable signature and a key trusted for no
    prefix are reported as before, each in one line with the store unchanged."""
    a = signed()
    routes = image_routes(a)
    if case == "corrupt":
        bad = tmp_path / "bad.aci"
        bad.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(4096))
        routes = {"/app.aci": [{"file": str(bad)}],
                  "/app.aci.asc": [{"file": str(gpg.sign(gpg.alice, bad))}]}
    elif case == "garbage-signature":
        routes["/app.aci.asc"] = [{"body": "garbage\n"}]
    else:
        routes["/app.aci.asc"] = [{"file": str(gpg.sign(gpg.bob, a.path,
                                                        out=tmp_path / "bob.asc"))}]
    s = serve(routes)
    r = rkt("fetch", s.url("/app.aci"), env=env)
    if case == "bob-untrusted":
        assert r.err.startswith("image: If you expected the signing key to change"), r
        r.err = r.err.split("\n", 2)[2]  # the two hint lines
    assert_unchanged(rkt, r)
    want = {"corrupt": "fetch: cannot decompress image: corrupt or truncated gzip data",
            "garbage-signature": "fetch: keystore: no valid signatures found in signature file",
            "bob-untrusted": "fetch: openpgp: signature made by unknown entity"}[case]
    assert r.err.startswith(want), r


@pytest.mark.slow
def test_stalled_transfer_fails(rkt, signed, serve, env, trusted):
    """A transfer that moves no byte for 60 s fails (and is continued by the next fetch)."""
    a = signed(files={"big": os.urandom(1 << 20)})
    full = {"file": str(a.path), "ranges": True, "headers": {"ETag": '"e"'}}
    s = serve(image_routes(a, aci=[dict(full, mode="stall", cut=1 << 19), full]))
    r = rkt("fetch", s.url("/app.aci"), env=env, timeout=300)
    assert r.err.startswith("fetch: error downloading ACI: GET ")
    assert_unchanged(rkt, r)
    r = rkt("fetch", "--full", s.url("/app.aci"), env=env)
    assert r.code == 0 and r.out == a.key + "\n", r


def auth_config(rkt, base, domain, typ, creds):
    d = getattr(rkt, base) / "auth.d"
    d.mkdir(exist_ok=True)
    (d / f"{typ}.json").write_text(json.dumps({"rktKind": "auth", "rktVersion": "v1",
                                               "domains": [domain], "type": typ,
                                               "credentials": creds}))


@pytest.mark.parametrize("typ,creds,header", [
    ("basic", {"user": "bob", "password": "s3cret"},
     "Basic " + base64.b64encode(b"bob:s3cret").decode()),
    ("oauth", {"token": "tok123"}, "Bearer tok123"),
])
def test_auth_d_credentials(rkt, signed, serve, env, trusted, typ, creds, header):
    a = signed()
    s = serve({"/app.aci": [{"file": str(a.path), "auth": header}],
               "/app.aci.asc": [{"file": str(a.asc), "auth": header}]})
    r = rkt("fetch", s.url("/app.aci"), env=env)
    assert r.err == "fetch: error downloading the signature file: bad HTTP status code: 401\n"
    auth_config(rkt, "system", f"127.0.0.1:{s.port}", typ, creds)
    r = rkt("fetch", s.url("/app.aci"), env=env)
    assert r.code == 0, r
    # the local configuration overrides the system's, per domain
    auth_config(rkt, "local", f"127.0.0.1:{s.port}", "oauth", {"token": "wrong"})
    assert rkt("fetch", s.url("/app.aci"), env=env).code == 254


@pytest.mark.parametrize("typ,creds,header", [
    ("basic", {"user": "bob", "password": "s3cret"},
     "Basic " + base64.b64encode(b"bob:s3cret").decode()),
    ("oauth", {"token": "tok123"}, "Bearer tok123"),
])
def test_auth_with_run_as_rkts_tests_did(tmp_path, serve, env, inspect_bin, typ, creds, header):
    """rkt's TestAuthBasic, TestAuthOauth, TestAuthOverride and TestAuthIgnore: `run
    --no-store` of an unsigned image from a server that wants credentials."""
    import imageutil
    from podtest import Pods, _finish
    img = imageutil.inspect_image(tmp_path / "auth.aci", name="example.com/auth",
                                  exec_=["/inspect", "--print-msg=AuthenticationSucceeded."])
    s = serve({"/auth.aci": [{"file": str(img.path), "auth": header}]})
    url = s.url("/auth.aci")
    domain = f"127.0.0.1:{s.port}"
    wrong = {k: v + "-wrong" for k, v in creds.items()}
    pods = Pods(tmp_path / "pods", offline=False)

    def run(want, insecure="--insecure-options=image,tls"):
        r = pods("--debug", *([insecure] if insecure else []), "run", "--no-store",
                 "--net=host", url, env=env, timeout=120)
        assert want in r.out + r.err, r
        assert r.code == (0 if want == "AuthenticationSucceeded." else 254), r

    def reset():
        for base in (pods.local, pods.system):
            shutil.rmtree(base / "auth.d", ignore_errors=True)
            shutil.rmtree(base / "subdir", ignore_errors=True)

    def write(base, c=creds, name="test.json", sub=None):
        d = (base / sub if sub else base) / "auth.d"
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(json.dumps({"rktKind": "auth", "rktVersion": "v1",
                                          "domains": [domain], "type": typ,
                                          "credentials": c}))

    try:
        run("error downloading the signature file", insecure=None)
        run("bad HTTP status code: 401")
        for base in (pods.local, pods.system):
            write(base)
            run("AuthenticationSucceeded.")
            reset()
        write(pods.system)
        write(pods.local, wrong)
        run("bad HTTP status code: 401")
        reset()
        write(pods.system, wrong)
        write(pods.local)
        run("AuthenticationSucceeded.")
        reset()
        for base in (pods.local, pods.system):
            (base / "auth.d").mkdir(parents=True, exist_ok=True)
            (base / "auth.d" / "README").write_text("This is a config\n")
            write(base, name="test.notjson")
        run("bad HTTP status code: 401")
        reset()
        for base in (pods.local, pods.system):
            write(base, sub="subdir")
        run("bad HTTP status code: 401")
    finally:
        _finish(pods)


def test_credentials_stay_with_their_origin(rkt, signed, serve, env, trusted):
    a = signed()
    other = serve({"/app.aci": [{"file": str(a.path)}]})
    s = serve({"/app.aci.asc": [{"file": str(a.asc)}],
               "/app.aci": [{"status": 302, "headers": {"Location": other.url("/app.aci")}}]},
              listen=[["127.0.0.1", 0, "https"], ["127.0.0.1", 0, "http"]])
    auth_config(rkt, "local", f"127.0.0.1:{s.ports[0]}", "oauth", {"token": "secret"})
    auth_config(rkt, "system", f"127.0.0.1:{s.ports[1]}", "basic",
                {"user": "u", "password": "p"})
    assert rkt("fetch", s.url("/app.aci"), env=env).code == 0
    assert [q["headers"].get("Authorization") for q in s.requests()] == ["Bearer secret"] * 2
    assert "Authorization" not in other.requests()[0]["headers"]  # another origin
    http_url = f"http://127.0.0.1:{s.ports[1]}/app.aci"
    rkt("fetch", http_url, env=env)
    assert all("Authorization" not in q["headers"] for q in s.requests()[2:])  # plain HTTP


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_stage1_config_url_location(rkt, mkaci, serve, env, tmp_path, scheme):
    """rkt's TestStage1LoadingFromConfig (an https location) and ...ConfigHttp: stage1.d's
    location is fetched the first time, then taken from the store by name and version."""
    import json
    from test_stage0 import STUB_NAME, stub_stage1
    stub = stub_stage1(tmp_path / "stub.aci")
    app = mkaci("example.com/stage1-url-app")
    s = serve({"/stub.aci": [{"file": str(stub.path)}]}, listen=[["127.0.0.1", 0, scheme]])
    url = s.url("/stub.aci", scheme=scheme)
    (rkt.local / "stage1.d").mkdir(exist_ok=True)
    (rkt.local / "stage1.d" / "s.json").write_text(json.dumps(
        {"rktKind": "stage1", "rktVersion": "v1", "name": STUB_NAME, "version": "0.0.1",
         "location": url}))
    for want in (f'image: remote fetching from URL "{url}"',
                 f"image: using image from local store for image name {STUB_NAME}:0.0.1"):
        r = rkt("--debug", "--insecure-options=image", "run", app.path, env=env)
        assert r.code == 0, r
        assert "success, stub stage1 would at this point switch to stage2" in r.out, r
        assert want in r.err, r
    assert paths(s) == [("GET", "/stub.aci")]
    rkt("gc", "--grace-period=0s")


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_stage1_url_flag(rkt, mkaci, serve, env, tmp_path, scheme):
    """rkt's TestStage1LoadingFromFlags (--stage1-url=https://...) and ...FlagsHttp: the URL
    is fetched the first time, then taken from the store by URL."""
    from test_stage0 import stub_stage1
    stub = stub_stage1(tmp_path / "stub.aci")
    app = mkaci("example.com/stage1-url-app")
    s = serve({"/stub.aci": [{"file": str(stub.path)}]}, listen=[["127.0.0.1", 0, scheme]])
    url = s.url("/stub.aci", scheme=scheme)
    for want in (f'image: remote fetching from URL "{url}"',
                 f"image: using image from local store for url {url}"):
        r = rkt("--debug", "--insecure-options=image", "run", f"--stage1-url={url}", app.path,
                env=env)
        assert r.code == 0, r
        assert "success, stub stage1 would at this point switch to stage2" in r.out, r
        assert want in r.err, r
    assert paths(s) == [("GET", "/stub.aci")]
    rkt("gc", "--grace-period=0s")


def test_a_downloaded_tar_becomes_the_blob_as_any_other(rkt, signed, serve, env, trusted):
    """An uncompressed image downloaded into D/cas/tmp is made the blob itself rather than
    copied: it ends as every blob does (root's, group rkt, 0640, one link, the served bytes)
    and nothing of the download stays in D/cas/tmp."""
    a = signed(files={"big": os.urandom(1 << 20)})
    assert a.path.read_bytes()[257:262] == b"ustar"  # served uncompressed
    s = serve(image_routes(a, aci=[{"file": str(a.path), "headers": {"ETag": '"e"'}}]))
    r = rkt("fetch", "--full", s.url("/app.aci"), env=env)
    assert r.code == 0 and r.out == a.key + "\n", r
    blob = rkt.cas / "blob" / "sha512" / a.key[7:9] / a.key
    st = blob.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777, st.st_nlink) == \
        (0, grp.getgrnam("rkt").gr_gid, 0o640, 1)
    assert blob.read_bytes() == a.path.read_bytes()
    assert not [p.name for p in (rkt.cas / "tmp").iterdir() if p.name.startswith("dl-")]


@pytest.mark.parametrize("signature", [True, False], ids=["signed", "insecure"])
def test_the_import_follows_the_download(rkt, signed, serve, env, trusted, signature):
    """The image is imported (hashed, checked, extracted) as it arrives, not after the whole
    download: with the transfer stalled three quarters in, the files before that point are
    already extracted, and nothing is visible in the store until the end."""
    files = {f"f{i}": os.urandom(1 << 20) for i in range(8)}
    a = signed(files=files)
    size = a.path.stat().st_size
    s = serve(image_routes(a, aci=[{"file": str(a.path), "mode": "stall",
                                    "cut": size * 3 // 4}]))
    argv = ["fetch", s.url("/app.aci")] if signature else \
        ["--insecure-options=image", "fetch", s.url("/app.aci")]
    tmp = rkt.cas / "tmp"

    def extracted():
        return [f for d in (tmp.glob("rkt-import-*/rootfs") if tmp.is_dir() else [])
                for f in d.iterdir() if f.is_file() and f.stat().st_size == 1 << 20]
    p = subprocess.Popen(rkt.argv(*argv), env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        wait_for(extracted, timeout=60, what="files extracted during the download")
        assert p.poll() is None and list_json(rkt) == []
    finally:
        p.kill()
        p.wait()
