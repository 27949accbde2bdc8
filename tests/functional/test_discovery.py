# SPDX-License-Identifier: Apache-2.0
"""Fetching and running images by appc name (SPEC.md §5.4, §11.6): discovery pages on
https://localhost (port 443 of a server in a network namespace of the test's own, where rkt
runs too), signing keys trusted with `rkt trust` or discovered, labels and names checked,
dependencies fetched; and the guide's whole flow with no insecure option."""
import os

import pytest

import aci as A
import imageutil
from podtest import Pods, _finish
from signutil import Server, discovery_page, gpg, tls  # noqa: F401 (fixtures)
from storeutil import list_json

TEMPLATE = "https://localhost/images/{name}-{version}-{os}-{arch}.{ext}"


class Site:
    """A discovery site: pages for some prefixes, signed images under /images."""

    def __init__(self, tmp, gpg, tls):
        self.tmp, self.gpg, self.tls = tmp, gpg, tls
        self.routes = {}
        self.server = None

    def page(self, prefix, metas):
        path = "/" + prefix.split("/", 1)[1] if "/" in prefix else "/"
        self.routes[path] = [{"body": discovery_page(metas)}]

    def image(self, a, name, version, sign=True, arch="amd64"):
        base = f"/images/{name}-{version}-linux-{arch}"
        self.routes[base + ".aci"] = [{"file": str(a.path)}]
        if sign:
            asc = self.gpg.sign(self.gpg.alice, a.path)
            self.routes[base + ".aci.asc"] = [{"file": str(asc)}]

    def start(self, http=False):
        listen = [["127.0.0.1", 443, "https"]] + ([["127.0.0.1", 80, "http"]] if http else [])
        self.server = Server(self.tmp / "srv", self.tls, self.routes, listen=listen, netns=True)
        return self.server


@pytest.fixture
def site(tmp_path, gpg, tls):
    s = Site(tmp_path, gpg, tls)
    yield s
    if s.server:
        s.server.stop()


def env_for(tls):
    return dict(os.environ, SSL_CERT_FILE=str(tls["ca"]))


def in_site(rkt, site):
    rkt.prefix = site.server.nsenter_argv


def trust(rkt, gpg, prefix="localhost/app"):
    k = gpg.write_key(gpg.alice, rkt.tmp / "alice.asc")
    r = rkt("trust", f"--prefix={prefix}", "--skip-fingerprint-review", k)
    assert r.code == 0, r


def test_fetch_by_name(rkt, site, mkaci, gpg, tls):
    a = mkaci("localhost/app", "1.0.0")
    site.page("localhost/app", [("ac-discovery", f"localhost/app {TEMPLATE}")])
    site.image(a, "localhost/app", "1.0.0")
    s = site.start()
    in_site(rkt, site)
    trust(rkt, gpg)
    r = rkt("--debug", "fetch", "--full", "localhost/app:1.0.0", env=env_for(tls))
    assert r.code == 0, r
    assert r.out == a.key + "\n"
    url = "https://localhost/images/localhost/app-1.0.0-linux-amd64.aci"
    assert "image: searching for app image localhost/app" in r.err
    assert f'image: remote fetching from URL "{url}"' in r.err
    assert "image: signature verified:\n  Alice Signer <alice@example.com>" in r.err
    assert [q["path"] for q in s.requests()] == [
        "/app?ac-discovery=1", "/images/localhost/app-1.0.0-linux-amd64.aci.asc",
        "/images/localhost/app-1.0.0-linux-amd64.aci"]
    # new: the store has it
    r = rkt("--debug", "fetch", "--pull-policy=new", "localhost/app:1.0.0", env=env_for(tls))
    assert "image: using image from local store for image name localhost/app:1.0.0" in r.err
    assert len(s.requests()) == 3


def test_discovery_walks_up_the_prefixes(rkt, site, mkaci, gpg, tls):
    a = mkaci("localhost/app/sub", "1.0.0")
    site.page("localhost", [("ac-discovery", f"localhost {TEMPLATE}")])
    site.image(a, "localhost/app/sub", "1.0.0")
    s = site.start()
    in_site(rkt, site)
    trust(rkt, gpg, "localhost/app")
    r = rkt("--debug", "fetch", "localhost/app/sub:1.0.0", env=env_for(tls))
    assert r.code == 0, r
    assert "meta tag 'ac-discovery' not found on localhost/app/sub: expected a 200 OK got 404" \
        in r.err
    assert [q["path"] for q in s.requests()][:3] == [
        "/app/sub?ac-discovery=1", "/app?ac-discovery=1", "/?ac-discovery=1"]


def test_discovered_keys(rkt, site, mkaci, gpg, tls):
    a = mkaci("localhost/app", "1.0.0")
    key = gpg.export(gpg.alice).decode()
    site.page("localhost/app", [("ac-discovery", f"localhost/app {TEMPLATE}"),
                                ("ac-discovery-pubkeys", "localhost/app https://localhost/k.asc")])
    site.routes["/k.asc"] = [{"body": key}]
    site.image(a, "localhost/app", "1.0.0")
    site.start()
    in_site(rkt, site)
    # no terminal to ask on: the key is not added, and the image is refused
    r = rkt("fetch", "localhost/app:1.0.0", env=env_for(tls))
    assert r.code == 254
    assert "image: error adding keys: error reviewing key: unable to ask user" in r.err
    assert r.err.endswith("fetch: openpgp: signature made by unknown entity\n")
    assert list_json(rkt) == []
    r = rkt("--trust-keys-from-https", "fetch", "localhost/app:1.0.0", env=env_for(tls))
    assert r.code == 0, r
    assert 'without fingerprint review.' in r.out
    r = rkt("fetch", "localhost/app:1.0.0", env=env_for(tls))
    assert 'image: keys already exist for prefix "localhost/app", not fetching again' in r.err


@pytest.mark.parametrize("asked,want", [
    ("localhost/app:2.0", 'requested value for label "version": "2.0" differs from fetched aci '
                          'label value: "1.0.0"'),
    ("localhost/app:latest", 'requested value for label "version": "latest" differs from '
                             'fetched aci label value: "1.0.0"'),
    ("localhost/app,unexistinglabel=x", 'requested label "unexistinglabel" not provided by the '
                                        'image manifest'),
    ("localhost/app:1.0.0,arch=armv7b", 'requested value for label "arch": "armv7b" differs '
                                         'from fetched aci label value: "amd64"'),
])
def test_labels_must_match(rkt, site, mkaci, gpg, tls, asked, want):
    a = mkaci("localhost/app", "1.0.0")
    site.page("localhost/app", [("ac-discovery",
                                 "localhost/app https://localhost/images/app.{ext}")])
    site.routes["/images/app.aci"] = [{"file": str(a.path)}]
    site.routes["/images/app.aci.asc"] = [{"file": str(gpg.sign(gpg.alice, a.path))}]
    site.start()
    in_site(rkt, site)
    trust(rkt, gpg)
    r = rkt("fetch", asked, env=env_for(tls))
    assert r.err == ('image: keys already exist for prefix "localhost/app", not fetching '
                     f"again\nfetch: {want}\n")
    assert r.code == 254 and list_json(rkt) == []


def test_no_store_fetch_by_name_honours_max_age(rkt, site, mkaci, gpg, tls):
    """rkt's TestFetchNoStoreCacheControl for a discovered name: the second --no-store fetch
    finds the image's URL by discovery and does not download it again."""
    a = mkaci("localhost/app", "1.0.0")
    site.page("localhost/app", [("ac-discovery", f"localhost/app {TEMPLATE}")])
    site.image(a, "localhost/app", "1.0.0")
    base = "/images/localhost/app-1.0.0-linux-amd64.aci"
    site.routes[base][0]["headers"] = {"Cache-Control": "max-age=3600"}
    s = site.start()
    in_site(rkt, site)
    trust(rkt, gpg)
    url = "https://localhost" + base
    r = rkt("--no-store", "--debug", "fetch", "localhost/app:1.0.0", env=env_for(tls))
    assert r.code == 0 and f"image: fetching image from {url}" in r.err, r
    r = rkt("--no-store", "--debug", "fetch", "--full", "localhost/app:1.0.0", env=env_for(tls))
    assert r.code == 0 and r.out == a.key + "\n", r
    assert f"image: image for {url} isn't expired, not fetching." in r.err, r
    assert [q["path"] for q in s.requests()].count(base) == 1


def test_stage1_name_is_discovered_then_taken_from_the_store(rkt, site, mkaci, tls, tmp_path):
    """rkt's TestStage1LoadingFromFlags, --stage1-name: discovered and fetched the first time,
    from the store the second."""
    from test_stage0 import STUB_NAME, stub_stage1
    stub = stub_stage1(tmp_path / "stub.aci")
    app = mkaci("example.com/stage1-name-app")
    site.page(STUB_NAME, [("ac-discovery", f"{STUB_NAME} {TEMPLATE}")])
    site.image(stub, STUB_NAME, "0.0.1", sign=False)
    s = site.start()
    in_site(rkt, site)
    for want in (f"image: searching for app image {STUB_NAME}",
                 f"image: using image from local store for image name {STUB_NAME}:0.0.1"):
        r = rkt("--debug", "--insecure-options=image", "run", f"--stage1-name={STUB_NAME}:0.0.1",
                app.path, env=env_for(tls))
        assert r.code == 0, r
        assert "success, stub stage1 would at this point switch to stage2" in r.out, r
        assert want in r.err, r
    assert [q["path"] for q in s.requests()] == [
        "/rkt-stub-stage1?ac-discovery=1",
        "/images/localhost/rkt-stub-stage1-0.0.1-linux-amd64.aci"]
    rkt("gc", "--grace-period=0s")


def test_name_must_match(rkt, site, mkaci, gpg, tls):
    a = mkaci("localhost/app", "1.0.0")
    site.page("localhost/other", [("ac-discovery", f"localhost/other {TEMPLATE}")])
    site.image(a, "localhost/other", "1.0.0")
    site.start()
    in_site(rkt, site)
    trust(rkt, gpg, "localhost")
    r = rkt("fetch", "localhost/other:1.0.0", env=env_for(tls))
    assert r.err.split("\n", 1)[1] == ('fetch: error when reading the app name: "localhost/other" expected but '
                     '"localhost/app" found\n')
    assert r.code == 254 and list_json(rkt) == []


@pytest.mark.parametrize("metas,why", [
    ([], 'discovery failed for "localhost/app": localhost/app: no ac-discovery meta tag for it'),
    ([("ac-discovery", "localhost/app")], "no ac-discovery meta tag for it"),
    ([("ac-discovery", "localhost/app /images/{name}.{ext}")],
     'ac-discovery template "/images/localhost/app.aci" is not an absolute https:// URL'),
    ([("ac-discovery", "localhost/app http://localhost/{name}.{ext}")],
     'ac-discovery template "http://localhost/localhost/app.aci" is plain HTTP'),
    ([("ac-discovery", "localhost/app https://localhost/{name}.{unknown}.{ext}")],
     "no ac-discovery meta tag for it"),
    ([("other", "localhost/app https://localhost/x.{ext}")], "no ac-discovery meta tag"),
])
def test_bad_discovery_pages(rkt, site, gpg, tls, metas, why):
    site.page("localhost/app", metas)
    site.start()
    in_site(rkt, site)
    trust(rkt, gpg)
    r = rkt("fetch", "localhost/app:1.0.0", env=env_for(tls))
    assert r.code == 254 and len(r.err.splitlines()) == 1, r
    assert r.err.startswith('fetch: discovery failed for "localhost/app": '), r
    assert why in r.err
    assert list_json(rkt) == []


def test_plain_http_discovery_needs_the_insecure_option(rkt, site, mkaci, gpg, tls):
    a = mkaci("localhost/app", "1.0.0")
    site.page("localhost/app", [("ac-discovery",
                                 "localhost/app http://localhost/images/{name}-{version}-{os}-"
                                 "{arch}.{ext}")])
    site.image(a, "localhost/app", "1.0.0")
    s = site.start(http=True)
    in_site(rkt, site)
    trust(rkt, gpg)
    # no TLS certificate the client trusts: https fails, and http is not tried
    r = rkt("fetch", "localhost/app:1.0.0")
    assert r.code == 254 and "discovery failed" in r.err
    r = rkt("--insecure-options=http", "fetch", "--full", "localhost/app:1.0.0")
    assert r.code == 0 and r.out == a.key + "\n", r
    assert "signature verified" in r.err
    assert ("GET", "/app?ac-discovery=1") in [(q["method"], q["path"]) for q in s.requests()]


def dep(name, version=None):
    d = {"imageName": name}
    if version:
        d["labels"] = [{"name": "version", "value": version}]
    return d


def test_dependencies(rkt, site, mkaci, gpg, tls):
    """a needs b and c; c needs b and d:1.0.0; b is in the store already."""
    site.page("localhost", [("ac-discovery", f"localhost {TEMPLATE}")])
    b = mkaci("localhost/b", "1.0.0")
    d = mkaci("localhost/d", "1.0.0")
    c = mkaci("localhost/c", "1.0.0", dependencies=[dep("localhost/b"), dep("localhost/d",
                                                                             "1.0.0")])
    a = mkaci("localhost/a", "1.0.0", dependencies=[dep("localhost/b"), dep("localhost/c")])
    site.image(a, "localhost/a", "1.0.0")
    site.image(c, "localhost/c", "latest")
    site.image(d, "localhost/d", "1.0.0")
    s = site.start()
    in_site(rkt, site)
    trust(rkt, gpg, "localhost")
    rkt.fetch(b.path)
    r = rkt("--debug", "fetch", "--pull-policy=new", "localhost/a:1.0.0", env=env_for(tls))
    assert r.code == 0, r
    assert "using image from local store for image name localhost/b" in r.err
    ids = {i["id"] for i in list_json(rkt)}
    assert ids == {a.key, b.key, c.key, d.key}
    assert "/images/localhost/b" not in " ".join(q["path"] for q in s.requests())
    # rendered with its dependencies: a tree for the top image (and b's own, from its fetch),
    # none for c and d alone (rkt's TestRenderOnFetch)
    assert len(rkt.tree_ids()) == 2


def test_dependency_cycle_and_missing_dependency(rkt, site, mkaci, gpg, tls):
    site.page("localhost", [("ac-discovery", f"localhost {TEMPLATE}")])
    x = mkaci("localhost/x", "1.0.0", dependencies=[dep("localhost/y", "1.0.0")])
    y = mkaci("localhost/y", "1.0.0", dependencies=[dep("localhost/x", "1.0.0")])
    m = mkaci("localhost/m", "1.0.0", dependencies=[dep("localhost/nowhere")])
    for i, n in ((x, "localhost/x"), (y, "localhost/y"), (m, "localhost/m")):
        site.image(i, n, "1.0.0")
    site.start()
    in_site(rkt, site)
    trust(rkt, gpg, "localhost")
    r = rkt("fetch", "localhost/x:1.0.0", env=env_for(tls))
    assert r.code == 254, r
    assert r.err.splitlines()[-1] == ("fetch: image dependencies form a cycle: localhost/y "
                                      "depends on localhost/x,version=1.0.0, which depends on it")
    r = rkt("fetch", "localhost/m:1.0.0", env=env_for(tls))
    assert r.code == 254, r
    assert r.err.splitlines()[-1].startswith('fetch: cannot fetch dependency "localhost/nowhere" '
                                             "of localhost/m: ")


def test_dependencies_are_verified_and_matched_by_image_id(rkt, site, mkaci, gpg, tls):
    """A dependency is fetched with its signature checked like the image; a dependency's
    imageID picks the store's image with that ID, and one fetched by name must have it."""
    site.page("localhost", [("ac-discovery", f"localhost {TEMPLATE}")])
    u = mkaci("localhost/unsigned", "1.0.0")
    top = mkaci("localhost/top", "1.0.0", dependencies=[dep("localhost/unsigned", "1.0.0")])
    b = mkaci("localhost/b", "1.0.0")
    other = mkaci("localhost/b", "1.0.0", files={"other": A.File("another b\n")})
    by_id = dict(dep("localhost/b", "1.0.0"), imageID=b.key)
    pinned = mkaci("localhost/pinned", "1.0.0", dependencies=[by_id])
    wrong = mkaci("localhost/wrong", "1.0.0",
                  dependencies=[dict(dep("localhost/b", "1.0.0"), imageID=other.key)])
    site.image(u, "localhost/unsigned", "1.0.0", sign=False)
    for i, n in ((top, "localhost/top"), (pinned, "localhost/pinned"),
                 (wrong, "localhost/wrong"), (b, "localhost/b")):
        site.image(i, n, "1.0.0")
    s = site.start()
    in_site(rkt, site)
    trust(rkt, gpg, "localhost")
    e = env_for(tls)
    r = rkt("fetch", "localhost/top:1.0.0", env=e)
    assert r.code == 254, r
    assert 'cannot fetch dependency "localhost/unsigned,version=1.0.0" of localhost/top' \
        in r.err, r
    assert u.key not in {i["id"] for i in list_json(rkt)}
    rkt.fetch(b.path)
    n = len(s.requests())
    r = rkt("--debug", "fetch", "localhost/pinned:1.0.0", env=e)
    assert r.code == 0, r
    assert "/images/localhost/b" not in " ".join(q["path"] for q in s.requests()[n:])
    r = rkt("fetch", "localhost/wrong:1.0.0", env=e)
    assert r.code == 254, r
    assert (f'dependency "localhost/b,version=1.0.0" of localhost/wrong: the image fetched is '
            f"{b.key}, not the imageID {other.key}") in r.err, r


def test_the_guides_flow_with_trust(tmp_path, site, gpg, tls, inspect_bin):
    """rkt trust --prefix, then rkt fetch NAME:VERSION and rkt run NAME:VERSION, with no
    insecure option (the default stage1 needs no signature)."""
    img = imageutil.inspect_image(tmp_path / "app.aci", name="localhost/app", version="1.0.0",
                                  exec_=["/inspect", "--print-msg=Hello from a signed image"])
    site.page("localhost/app", [("ac-discovery", f"localhost/app {TEMPLATE}")])
    site.image(img, "localhost/app", "1.0.0")
    site.start()
    pods = Pods(tmp_path / "pods", offline=False)
    pods.prefix = site.server.nsenter_argv
    try:
        e = env_for(tls)
        k = gpg.write_key(gpg.alice, tmp_path / "alice.asc")
        r = pods("trust", "--prefix=localhost/app", "--skip-fingerprint-review", k)
        assert r.code == 0, r
        r = pods("fetch", "localhost/app:1.0.0", env=e)
        assert r.code == 0 and r.out == img.short + "\n", r
        r = pods("run", "--net=host", "localhost/app:1.0.0", env=e, timeout=120)
        assert r.code == 0, r
        assert "Hello from a signed image" in r.out
        r = pods("run", "--net=host", "--pull-policy=update", "localhost/app:1.0.0", env=e,
                 timeout=120)
        assert r.code == 0 and "signature verified" in r.err, r
    finally:
        _finish(pods)


def test_deferred_signature_when_running_a_name(tmp_path, site, gpg, tls, inspect_bin):
    """rkt's TestDeferredSignatureDownload: the server answers the signature's first request
    with 202; rkt fetches the image, then the signature, and runs the app."""
    img = imageutil.inspect_image(tmp_path / "app.aci", name="localhost/app", version="1.0.0",
                                  exec_=["/inspect", "--print-msg=deferredSignatureWasFine"])
    site.page("localhost/app", [("ac-discovery", f"localhost/app {TEMPLATE}")])
    site.image(img, "localhost/app", "1.0.0")
    asc = "/images/localhost/app-1.0.0-linux-amd64.aci.asc"
    site.routes[asc].insert(0, {"status": 202})
    s = site.start()
    pods = Pods(tmp_path / "pods", offline=False)
    pods.prefix = site.server.nsenter_argv
    try:
        trust(pods, gpg)
        r = pods("--debug", "run", "--net=host", "localhost/app:1.0.0", env=env_for(tls),
                 timeout=120)
        assert r.code == 0, r
        assert "image: server requested deferring the signature download" in r.err, r
        assert "deferredSignatureWasFine" in r.out, r
        assert [q["path"] for q in s.requests()].count(asc) == 2
    finally:
        _finish(pods)
