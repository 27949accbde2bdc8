# SPDX-License-Identifier: Apache-2.0
"""Hostile review 9 of fetching by URL: the import (and the signature's hashing) that follow
the download as it is written (a9edc8b, 94e1fb6), and the trusted certificates parsed once
per process for OpenSSL's chain check (33d6ef1, ca-trust.c). Every server is untrusted: an
image it did not deliver completely is never stored, and a certificate chain, a name or a
validity period that TLS must refuse is refused. Servers listen on 127.0.0.1 only; their
certificates come from CAs made with openssl here."""
import os

from podtest import needs_root
from signutil import gpg, tls  # noqa: F401 (fixtures)
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
