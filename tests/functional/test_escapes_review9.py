# SPDX-License-Identifier: Apache-2.0
"""Hostile review 9 of fetching by URL: the import (and the signature's hashing) that follow
the download as it is written (a9edc8b, 94e1fb6), and the trusted certificates parsed once
per process for OpenSSL's chain check (33d6ef1, ca-trust.c). Every server is untrusted: an
image it did not deliver completely is never stored, and a certificate chain, a name or a
validity period that TLS must refuse is refused. Servers listen on 127.0.0.1 only; their
certificates come from CAs made with openssl here."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import dockerutil as D
from podtest import needs_root
from signutil import Server, gpg, tls  # noqa: F401 (fixtures)
from storeutil import list_json
from test_fetch_https import env, serve, signed, trusted  # noqa: F401 (fixtures)

pytestmark = [needs_root]


def test_an_image_whose_download_failed_is_never_stored(rkt, mkaci, serve, env, tmp_path):
    """A gzip'ed image is complete for the import once the gzip stream ends and a byte that
    starts no other follows: the import (following the download) then has its manifest and
    its hash while the transfer goes on. When that transfer then fails (here the server
    closes the connection before its Content-Length), the fetch fails, as it did when the
    import came after the download, and the image must not be in the store meanwhile."""
    a = mkaci("example.com/cut", compression="gz", files={"f": os.urandom(1 << 16)})
    body = tmp_path / "body"
    body.write_bytes(a.path.read_bytes() + b"x" * 65536)
    s = serve({"/app.aci": [{"file": str(body), "mode": "short",
                             "cut": a.path.stat().st_size + 4096}]})
    r = rkt("--insecure-options=image", "fetch", s.url("/app.aci"), env=env)
    assert r.code == 254, r
    assert r.err.startswith("fetch: error downloading ACI: GET "), r
    assert len(r.err.strip().splitlines()) == 1, r
    assert list_json(rkt) == []



def test_a_resume_answered_with_another_whole_image(rkt, signed, serve, env, trusted):
    """A download cut halfway is continued by the next fetch (HEAD: ranges, same ETag), but
    the server answers the Range request with 200 and the whole of another image: the
    download file is truncated before its first byte is written, so the import and the
    signature's hashing, which follow the download, read only the new image from its
    start, and the blob (the download itself) holds exactly its bytes."""
    a = signed(files={"v": os.urandom(1 << 20)})
    b = signed(files={"v": os.urandom(1 << 20)})
    size = a.path.stat().st_size
    etag = {"ETag": '"e"', "Accept-Ranges": "bytes"}
    s = serve({"/app.aci": [{"file": str(a.path), "ranges": True, "headers": etag,
                             "mode": "short", "cut": size // 2},
                            {"file": str(a.path), "ranges": True, "headers": etag},  # HEAD
                            {"file": str(b.path), "headers": etag}],  # 200, Range ignored
               "/app.aci.asc": [{"file": str(a.asc)}, {"file": str(b.asc)}]})
    url = s.url("/app.aci")
    r = rkt("fetch", url, env=env)
    assert r.code == 254 and r.err.startswith("fetch: error downloading ACI: GET "), r
    r = rkt("fetch", "--full", url, env=env)
    assert r.code == 0 and r.out == b.key + "\n", r
    gets = [q for q in s.requests() if q["path"] == "/app.aci"]
    assert [q["method"] for q in gets] == ["GET", "HEAD", "GET"]
    assert gets[2]["headers"]["Range"] == f"bytes={size // 2}-"
    assert rkt.blob_path(b.key).read_bytes() == b.path.read_bytes()
    assert [i["id"] for i in list_json(rkt)] == [b.key]

# --- TLS: OpenSSL's chain check over ca-trust.c's certificates ---

CA_CNF = """[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[p]
commonName = supplied
[leaf]
subjectAltName = ${ENV::SAN}
extendedKeyUsage = ${ENV::EKU}
basicConstraints = critical,CA:FALSE
[inter]
basicConstraints = critical,${ENV::BC}
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
"""


class Pki:
    """CAs and certificates made with openssl (openssl ca: any validity period)."""

    def __init__(self, d: Path):
        self.d = Path(d)
        self.d.mkdir(parents=True, exist_ok=True)

    def run(self, *argv, env=None):
        subprocess.run(["openssl", *argv], cwd=self.d, check=True, capture_output=True,
                       timeout=60, env=dict(os.environ, **(env or {})))

    def root(self, name):
        self.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
                 "-subj", f"/CN={name}")
        (self.d / f"{name}.db").mkdir()
        (self.d / f"{name}.db" / "index.txt").write_text("")
        (self.d / f"{name}.db" / "serial").write_text("01\n")
        (self.d / f"{name}.db" / "ca.cnf").write_text(CA_CNF)
        return self.d / f"{name}.pem"

    def issue(self, ca, name, ext="leaf", san="IP:127.0.0.1", eku="serverAuth",
              bc="CA:FALSE", start="20200101000000Z", end="20991231000000Z"):
        """name.pem/name.key signed by ca (whose own name.db serves as the database)."""
        self.run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        db = self.d / f"{ca}.db"
        subprocess.run(["openssl", "ca", "-batch", "-config", "ca.cnf",
                        "-cert", self.d / f"{ca}.pem", "-keyfile", self.d / f"{ca}.key",
                        "-in", self.d / f"{name}.csr", "-out", self.d / f"{name}.pem",
                        "-startdate", start, "-enddate", end, "-extensions", ext, "-notext"],
                       cwd=db, check=True, capture_output=True, timeout=60,
                       env=dict(os.environ, SAN=san, EKU=eku, BC=bc))
        if ext == "inter":  # a CA of its own
            (self.d / f"{name}.db").mkdir()
            (self.d / f"{name}.db" / "index.txt").write_text("")
            (self.d / f"{name}.db" / "serial").write_text("01\n")
            (self.d / f"{name}.db" / "ca.cnf").write_text(CA_CNF)
        return self.d / f"{name}.pem"

    def server_tls(self, leaf, *chain):
        """The server's certificate file: leaf, then the chain it sends."""
        full = self.d / f"{leaf}-chain.pem"
        full.write_bytes(b"".join((self.d / f"{n}.pem").read_bytes() for n in (leaf, *chain)))
        return {"cert": full, "key": self.d / f"{leaf}.key"}


CASES = {
    # case: (how the server's certificate is made, whether TLS must accept it)
    "good": (lambda p: (p.issue("root", "leaf"), p.server_tls("leaf"))[1], True),
    "good-intermediate": (lambda p: (p.issue("root", "mid", ext="inter", bc="CA:TRUE"),
                                     p.issue("mid", "leaf"),
                                     p.server_tls("leaf", "mid"))[2], True),
    "untrusted-ca": (lambda p: (p.root("other"), p.issue("other", "leaf"),
                                p.server_tls("leaf"))[2], False),
    "self-signed": (lambda p: (p.root("leaf"), p.server_tls("leaf"))[1], False),
    "expired": (lambda p: (p.issue("root", "leaf", end="20200102000000Z"),
                           p.server_tls("leaf"))[1], False),
    "not-yet-valid": (lambda p: (p.issue("root", "leaf", start="20980101000000Z"),
                                 p.server_tls("leaf"))[1], False),
    "wrong-name": (lambda p: (p.issue("root", "leaf", san="DNS:other.example"),
                              p.server_tls("leaf"))[1], False),
    "client-only": (lambda p: (p.issue("root", "leaf", eku="clientAuth"),
                               p.server_tls("leaf"))[1], False),
    "issuer-not-a-ca": (lambda p: (p.issue("root", "mid", ext="inter", bc="CA:FALSE"),
                                   p.issue("mid", "leaf"),
                                   p.server_tls("leaf", "mid"))[2], False),
}


@pytest.mark.parametrize("trust", ["file", "dir"])
@pytest.mark.parametrize("case", list(CASES))
def test_tls_refuses_what_it_must(rkt, mkaci, tmp_path, case, trust):
    """Every https: connection's chain is checked against the trusted certificates alone
    (X509_verify_cert over the shared stack), with the name, the validity period and the
    purpose checked as OpenSSL's own check does: only a chain to a trusted root, valid
    now, for a server, naming 127.0.0.1, is accepted. No request reaches a server that is
    refused."""
    pki = Pki(tmp_path / "pki")
    root = pki.root("root")
    make, ok = CASES[case]
    server_tls = make(pki)
    a = mkaci("example.com/tls")
    s = Server(tmp_path / "srv", server_tls, {"/app.aci": [{"file": str(a.path)}]})
    try:
        if trust == "file":
            env = dict(os.environ, SSL_CERT_FILE=str(root))
        else:
            certs = tmp_path / "certs"
            certs.mkdir()
            shutil.copy(root, certs / "root.pem")
            env = dict(os.environ, SSL_CERT_FILE="/nonexistent", SSL_CERT_DIR=str(certs))
        r = rkt("--insecure-options=image", "fetch", "--full", s.url("/app.aci"), env=env)
        if ok:
            assert r.code == 0 and r.out == a.key + "\n", r
        else:
            assert r.code == 254, r
            assert r.err.startswith("fetch: error downloading ACI: GET "), r
            assert s.requests() == [], r
            assert list_json(rkt) == []
    finally:
        s.stop()


def test_no_readable_certificate_trusts_nothing(rkt, mkaci, tmp_path, tls):
    """With neither $SSL_CERT_FILE nor any $SSL_CERT_DIR file readable, no server is
    trusted (OpenSSL's own defaults are not a fallback), and --insecure-options=tls still
    fetches."""
    a = mkaci("example.com/tls")
    s = Server(tmp_path / "srv", tls, {"/app.aci": [{"file": str(a.path)}] * 2})
    try:
        env = dict(os.environ, SSL_CERT_FILE=str(tmp_path / "none.pem"),
                   SSL_CERT_DIR=str(tmp_path / "nodir"))
        r = rkt("--insecure-options=image", "fetch", s.url("/app.aci"), env=env)
        assert r.code == 254 and r.err.startswith("fetch: error downloading ACI: GET "), r
        assert s.requests() == []
        r = rkt("--insecure-options=image,tls", "fetch", "--full", s.url("/app.aci"),
                env=env)
        assert r.code == 0 and r.out == a.key + "\n", r
    finally:
        s.stop()



def test_a_corrupt_certificate_hides_none_after_it(rkt, mkaci, tmp_path, tls):
    """Go (and so rkt) adds every certificate of $SSL_CERT_FILE and of each $SSL_CERT_DIR
    file that parses, skipping those that do not: a corrupt block before the trusted CA
    (a file sorting first, or earlier in the same file) must not hide it."""
    a = mkaci("example.com/tls")
    s = Server(tmp_path / "srv", tls, {"/app.aci": [{"file": str(a.path)}]})
    bad = b"-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    ca = open(tls["ca"], "rb").read()
    try:
        certs = tmp_path / "certs"
        certs.mkdir()
        (certs / "a-bad.pem").write_bytes(bad)
        (certs / "b-ca.pem").write_bytes(ca)
        both = tmp_path / "both.pem"
        both.write_bytes(bad + ca)
        for env in (dict(os.environ, SSL_CERT_FILE="/nonexistent", SSL_CERT_DIR=str(certs)),
                    dict(os.environ, SSL_CERT_FILE=str(both))):
            r = rkt("--insecure-options=image", "fetch", "--full", "--pull-policy=update",
                    s.url("/app.aci"), env=env)
            assert r.code == 0 and r.out == a.key + "\n", r
    finally:
        s.stop()

def test_docker_layers_fetched_over_https_at_once(rkt, tmp_path, tls):
    """The layers of a Docker image come over concurrent HTTPS connections, each checking
    the registry's chain against the one stack of trusted certificates parsed by whichever
    connection came first: all succeed with the registry's CA trusted, none without."""
    lay = D.Layout(tmp_path / "layout")
    layers = [D.layer_tar([(f"f{i}", "file", os.urandom(1 << 18).hex())]) for i in range(6)]
    img = lay.image(layers, config={"Cmd": ["/f0"]})
    lay.tag(img, "v1")
    certs = tmp_path / "tls"
    certs.mkdir()
    shutil.copy(tls["cert"], certs / "cert.pem")
    shutil.copy(tls["key"], certs / "key.pem")
    s = D.FakeRegistry(lay, tls_dir=certs)
    try:
        ref = f"docker://{s.host}/test/img:v1"
        r = rkt("--insecure-options=image", "fetch", ref)
        assert r.code == 254, r
        assert list_json(rkt) == []
        r = rkt("--insecure-options=image", "fetch", ref,
                env=dict(os.environ, SSL_CERT_FILE=str(tls["ca"])))
        assert r.code == 0 and r.out.startswith("sha512-"), r
        blobs = [p for p, _ in s.requests if "/blobs/" in p]
        assert len(blobs) >= len(layers), s.requests
    finally:
        s.stop()
