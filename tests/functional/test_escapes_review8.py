# SPDX-License-Identifier: Apache-2.0
"""Hostile review 8 of fetching (commit 5bbcc38 and the import-while-downloading that
followed): a downloaded plain ACI becomes the blob itself (IMPORT_ADOPT), and trusted
certificates are loaded only for https: hops. Each test is an attack by a server (every
server is untrusted) or by a member of group rkt (who may create files and, where
fs.protected_hardlinks is 0, hard links in D/cas/tmp) that must fail: a blob root hashed
never changes afterwards and has no name but its own, root never resumes or waits for a
member's download, and TLS is checked on every https: hop. Servers listen on 127.0.0.1
only."""
import hashlib
import os
import subprocess
import sys

from conftest import Rkt
from podtest import needs_root, wait_for
from test_escapes import as_member
from test_escapes_store import shared  # noqa: F401 (fixture)
from signutil import gpg, tls  # noqa: F401 (fixtures)
from test_fetch_https import env, serve, signed, trusted  # noqa: F401 (fixtures)

pytestmark = [needs_root]


def key_of(data: bytes) -> str:
    return "sha512-" + hashlib.sha512(data).hexdigest()[:64]


def test_a_fetch_waiting_for_the_same_download_never_writes_into_its_blob(
        rkt, signed, serve, env, trusted, tmp_path):
    """Two root fetches of one URL share D/cas/tmp/dl-<sha256(url)>: the second opens it and
    waits for the first's lock. The first makes that very file its blob (IMPORT_ADOPT) and
    only then lets go. The second must not take the blob for a partial download of its own:
    when the server answers it with other bytes (and no ranges), it would truncate the blob
    and write them there, so that a blob root hashed (and whose signature root checked)
    holds bytes that are not its image."""
    a = signed(files={"v": b"A" * 4096})
    b = signed(files={"v": b"B" * 4096})
    go = tmp_path / "go"
    s = serve({"/app.aci": [{"file": str(a.path), "hold": str(go)}, {"file": str(b.path)}],
               "/app.aci.asc": [{"file": str(a.asc)}, {"file": str(b.asc)}]})
    url = s.url("/app.aci")
    first = rkt.popen("fetch", "--full", url, env=env)
    wait_for(lambda: ("GET", "/app.aci") in [(q["method"], q["path"]) for q in s.requests()],
             what="the first fetch's download")
    err2 = tmp_path / "second.err"
    with open(err2, "w") as f:
        second = subprocess.Popen(rkt.argv("fetch", "--full", url), env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=f)
    wait_for(lambda: "is downloading this file, waiting" in err2.read_text(),
             what="the second fetch waiting for the first's lock")
    go.write_text("")
    out1, err1 = first.communicate(timeout=120)
    out2, _ = second.communicate(timeout=120)
    assert first.returncode == 0 and out1 == a.key + "\n", err1
    assert second.returncode == 0 and out2 == b.key + "\n", err2.read_text()
    for img in (a, b):
        blob = rkt.blob_path(img.key).read_bytes()
        assert key_of(blob) == img.key, f"blob {img.key} changed after it was hashed"



def link_and_check_the_blob(rkt, a, dl, go, first):
    """A member's hard link to the download dl, then the server goes on (go): the fetch
    first must end with a blob of its own, of the right bytes, the link no name of it."""
    link = rkt.cas / "tmp" / "members-link"
    os.link(dl, link)
    go.write_text("")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0 and out == a.key + "\n", err
    blob = rkt.blob_path(a.key).stat()
    assert blob.st_nlink == 1 and blob.st_ino != link.stat().st_ino, \
        "the member's link is a name of root's blob"
    assert key_of(rkt.blob_path(a.key).read_bytes()) == a.key

def test_a_download_with_another_name_is_copied_not_made_the_blob(
        rkt, signed, serve, env, trusted, tmp_path):
    """Where fs.protected_hardlinks is 0 a member may hard-link root's download file
    (D/cas/tmp is the group's) while it comes in: had root made that file its blob, the
    member would hold a name of root's blob, in a sticky directory where only the file's
    owner, root, may remove it. Root copies such a download instead (here root itself makes
    the link, as the member could)."""
    a = signed(files={"v": b"A" * 4096})
    go = tmp_path / "go"
    s = serve({"/app.aci": [{"file": str(a.path), "hold": str(go)}],
               "/app.aci.asc": [{"file": str(a.asc)}]})
    url = s.url("/app.aci")
    dl = rkt.cas / "tmp" / ("dl-" + hashlib.sha256(url.encode()).hexdigest())
    first = rkt.popen("fetch", "--full", url, env=env)
    wait_for(lambda: ("GET", "/app.aci") in [(q["method"], q["path"]) for q in s.requests()],
             what="the download")
    link_and_check_the_blob(rkt, a, dl, go, first)


def test_a_redirect_from_http_to_https_still_checks_the_certificate(
        rkt, signed, serve, env, trusted, tls, tmp_path):
    """Trusted certificates are loaded only for https: hops now. A plain http URL whose
    server redirects to https must still get the certificate checked there, against
    $SSL_CERT_FILE or $SSL_CERT_DIR: an https server whose certificate nothing trusts is
    refused, one the configured CA signed is accepted."""
    a = signed()
    s = serve({"/app.aci": [{"file": str(a.path)}], "/app.aci.asc": [{"file": str(a.asc)}]})
    h = serve({p: [{"status": 302, "headers": {"Location": s.url(p)}}]
               for p in ("/app.aci", "/app.aci.asc")}, listen=[["127.0.0.1", 0, "http"]])
    url = h.url("/app.aci", scheme="http")
    r = rkt("fetch", "--full", url, env=dict(os.environ, SSL_CERT_FILE="/dev/null"))
    assert r.code == 254 and "certificate" in r.err, r
    assert not (rkt.cas / "blob").exists() or not list((rkt.cas / "blob").rglob("sha512-*"))
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.pem").write_bytes(open(tls["ca"], "rb").read())
    for e in (env, dict(os.environ, SSL_CERT_DIR=str(certs))):
        r = rkt("fetch", "--full", "--pull-policy=update", url, env=e)
        assert r.code == 0 and r.out == a.key + "\n", r


def test_a_download_linked_while_it_is_imported_is_copied_not_made_the_blob(
        rkt, signed, serve, env, trusted, tmp_path):
    """The same link made later: the import follows the download, so the download file has
    passed the import's checks (one link) long before its last byte comes. A member's link
    made meanwhile must not become a name of root's blob either."""
    a = signed(files={"v": os.urandom(1 << 16)})
    go = tmp_path / "go"
    s = serve({"/app.aci": [{"file": str(a.path), "cut": 8192, "pause": str(go)}],
               "/app.aci.asc": [{"file": str(a.asc)}]})
    url = s.url("/app.aci")
    dl = rkt.cas / "tmp" / ("dl-" + hashlib.sha256(url.encode()).hexdigest())
    first = rkt.popen("fetch", "--full", url, env=env)
    # the import runs (its render directory exists): it has looked at the file already
    wait_for(lambda: list((rkt.cas / "tmp").glob("rkt-import-*")), what="the import")
    link_and_check_the_blob(rkt, a, dl, go, first)


HOLD_A_PARTIAL = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.write(fd, open(sys.argv[2], "rb").read())
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_root_neither_waits_for_nor_resumes_a_members_download(shared, mkaci, serve, env,
                                                               tmp_path):
    """A member of group rkt downloads the URL root is about to fetch (or plants a file at
    its name, D/cas/tmp/dl-<sha256(url)>, which is the same) and holds its lock: root must
    not wait for them, nor resume their bytes (here the head of another image, which the
    server would let root continue with a Range request), nor make their file its blob."""
    _, top = shared
    rkt = Rkt(top / "cfg", dir=top / "data")  # on the host's loopback, where the server is
    rkt.ok("image", "list")  # creates the store
    a = mkaci("example.com/good", files={"v": b"A" * 8192})
    evil = mkaci("example.com/evil", files={"v": b"E" * 8192})
    head = top / "head"  # what the member has already downloaded
    head.write_bytes(evil.path.read_bytes()[:4096])
    os.chmod(head, 0o644)
    s = serve({"/app.aci": [{"file": str(a.path), "ranges": True,
                             "headers": {"Last-Modified": "Mon, 01 Jan 2001 00:00:00 GMT"}}]})
    url = s.url("/app.aci")
    dl = rkt.cas / "tmp" / ("dl-" + hashlib.sha256(url.encode()).hexdigest())
    m = subprocess.Popen(as_member() + [sys.executable, "-c", HOLD_A_PARTIAL, str(dl), str(head)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert m.stdout.readline() == "locked\n"
        r = rkt("--insecure-options=image", "fetch", "--full", url, env=env, timeout=60)
    finally:
        m.stdin.close()
        m.wait(timeout=30)
    assert r.code == 0 and r.out == a.key + "\n", r
    assert "waiting" not in r.err, r
    blob = rkt.blob_path(a.key)
    assert blob.stat().st_uid == 0 and blob.read_bytes() == a.path.read_bytes()
    assert [q["method"] for q in s.requests()] == ["GET"]
    assert "Range" not in s.requests()[0]["headers"]


def test_a_download_name_root_cannot_have_is_no_failed_fetch(rkt, signed, serve, env, trusted):
    """A member of group rkt who recreates D/cas/tmp/dl-<sha256(url)> as fast as root removes
    it must not make root's fetch fail (here the name is a directory root cannot empty, which
    no race is needed for): the download goes to an anonymous file instead, which cannot be
    resumed and leaves nothing behind."""
    from test_fetch_https import image_routes
    a = signed(files={"v": b"A" * 4096})
    url = serve(image_routes(a)).url("/app.aci")
    rkt.ok("image", "list")  # creates the store
    taken = rkt.cas / "tmp" / ("dl-" + hashlib.sha256(url.encode()).hexdigest())
    taken.mkdir()
    (taken / "held").write_text("")
    subprocess.run(["chattr", "+i", str(taken)], check=True)
    try:
        r = rkt("fetch", "--full", url, env=env)
        names = sorted(p.name for p in (rkt.cas / "tmp").iterdir())
    finally:
        subprocess.run(["chattr", "-i", str(taken)], check=True)
    assert r.code == 0 and r.out == a.key + "\n", r
    assert names == [taken.name], names
    assert key_of(rkt.blob_path(a.key).read_bytes()) == a.key
