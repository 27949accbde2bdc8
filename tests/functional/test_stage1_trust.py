# SPDX-License-Identifier: Apache-2.0
"""Which stage1 root runs (SPEC.md §6.2, DESIGN.md §7): the default stage1 needs no
signature; any other one does; a store entry counts only if root imported it, or if root
checked its signature (D/cas/verified/<key>, root's own record in a root-only directory),
and then only with the bytes root verified."""
import os
import subprocess

import imageutil
from signutil import Server, gpg, tls  # noqa: F401 (fixtures)
from test_escapes import as_member, bimg, evil_stage1, shared  # noqa: F401 (fixtures)
from test_escapes_store import as_member_py
from test_stage0 import stub_stage1

INSECURE = "--insecure-options=image"


def trust_root(rkt, gpg, where):
    k = gpg.write_key(gpg.alice, where / "alice.asc")
    os.chmod(k, 0o644)
    r = rkt("trust", "--root", "--skip-fingerprint-review", k)
    assert r.code == 0, r


def test_a_stage1_by_path_needs_a_signature(rkt, mkaci, gpg, tmp_path):
    stub = stub_stage1(tmp_path / "stub.aci")
    app = mkaci("example.com/stage1-trust-app")
    gpg.sign(gpg.alice, app.path)
    trust_root(rkt, gpg, tmp_path)
    r = rkt("run", f"--stage1-path={stub.path}", app.path)
    assert r.code == 254, r
    assert r.err.endswith(f"error opening signature file: open {stub.path}.asc: no such file or "
                          "directory\n")
    gpg.sign(gpg.alice, stub.path)
    r = rkt("run", f"--stage1-path={stub.path}", app.path)
    assert r.code == 0, r
    assert "success, stub stage1 would at this point switch to stage2" in r.out
    rkt("gc", "--grace-period=0s")


def member(rkt, *argv, uid=4242):
    cmd = rkt.prefix() + as_member(uid) + rkt.args() + [str(a) for a in argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/")


def verified_then_reimported(rkt, top, gpg, marker):
    evil = evil_stage1(top / "signed.aci", marker, name="example.com/signed-stage1")
    gpg.sign(gpg.alice, evil.path)
    os.chmod(evil.path, 0o644)
    trust_root(rkt, gpg, top)
    key = rkt.ok("fetch", "--full", evil.path).out.strip()  # root checks its signature
    assert (rkt.cas / "verified" / key).is_file()
    # a store from before the sticky bits: there a member's import replaced root's blob
    os.chmod(rkt.blob_path(key).parent, 0o2770)
    copy = top / "copy.aci"  # another file: imported again, not taken from the file cache
    copy.write_bytes(evil.path.read_bytes())
    os.chmod(copy, 0o644)
    f = member(rkt, INSECURE, "fetch", "--full", copy)  # the member's own blob now
    assert f.returncode == 0 and f.stdout.strip() == key, f
    assert rkt.blob_path(key).stat().st_uid == 4242
    return key


def test_root_verified_stage1_reimported_by_a_member(shared, bimg, gpg):  # noqa: F811
    rkt, top = shared
    marker = top / "signed-stage1-ran"
    key = verified_then_reimported(rkt, top, gpg, marker)
    r = rkt(INSECURE, "run", "--net=host", f"--stage1-hash={key}", bimg.path)
    assert marker.exists(), r  # root checked this very image's signature
    assert rkt.blob_path(key).stat().st_uid == 0  # and keeps its own copy from now on
    rkt("gc", "--grace-period=0s")


def test_root_verified_stage1_changed_by_a_member(shared, bimg, gpg):  # noqa: F811
    rkt, top = shared
    marker = top / "changed-stage1-ran"
    key = verified_then_reimported(rkt, top, gpg, marker)
    blob = rkt.blob_path(key)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1  # the member owns the file and may write it
    r = subprocess.run(as_member() + ["dd", f"of={blob}", "conv=notrunc", "status=none"],
                       input=bytes(data), capture_output=True)
    assert r.returncode == 0, r
    r = rkt(INSECURE, "run", "--net=host", f"--stage1-hash={key}", bimg.path)
    assert not marker.exists()
    assert r.code == 254 and f"stage1 image {key} changed since root verified" in r.err, r


def test_remote_row_cannot_redirect_a_stage1_url(shared, bimg, gpg, tls):  # noqa: F811
    """--stage1-url=https://...: the index's remote cache (URL -> image ID, ETag, max-age) is
    written by members; a member pointed the row of the URL root fetched its signed stage1
    from at a hostile image root had imported (unsigned) and made it fresh for a century."""
    rkt, top = shared
    marker = top / "url-row-ran"
    real = top / "stage1.aci"
    real.write_bytes(imageutil.stage1_image_path("native").read_bytes())
    gpg.sign(gpg.alice, real)
    trust_root(rkt, gpg, top)
    srv = Server(top / "srv", tls, {"/stage1.aci": [{"file": str(real)}],
                                    "/stage1.aci.asc": [{"file": str(real) + ".asc"}]})
    try:
        url = srv.url("/stage1.aci")
        env = dict(os.environ, SSL_CERT_FILE=str(tls["ca"]))
        f = subprocess.run(rkt.args() + ["fetch", "--full", url], capture_output=True,
                           text=True, env=env, timeout=120)
        assert f.returncode == 0, f
        good = f.stdout.strip()
    finally:
        srv.stop()
    hostile = evil_stage1(top / "hostile.aci", marker, name="example.com/hostile-app")
    rkt.ok(INSECURE, "fetch", hostile.path)
    code = f"""
import sqlite3
db = sqlite3.connect("db/store.sqlite", timeout=60)
n = db.execute("UPDATE remote SET blobkey = ?, cachemaxage = ?, downloadtime = ? "
               "WHERE aciurl = ?", ({hostile.key!r}, 3 << 32, 2**62, {url!r})).rowcount
db.commit()
print("redirected", n)
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0 and "redirected 1" in m.stdout, m
    r = rkt(INSECURE, "run", "--net=host", f"--stage1-url={url}", bimg.path, "--exec=/inspect",
            "--", "--print-msg=real-stage1")
    assert not marker.exists(), f"a remote row made root's hostile app its stage1 ({r})"
    assert r.code == 0 and "real-stage1" in r.out, r
    assert good in rkt.ok("image", "list", "--full", "--no-legend").out
    rkt("gc", "--grace-period=0s")


def test_members_verified_directory_is_never_roots(shared, bimg, gpg):  # noqa: F811
    """D/cas/verified is one of the store's root-only directories: a member cannot make it
    first (nor a record in it), and root never removes what a member made (it would walk a
    tree the member controls)."""
    rkt, top = shared
    marker = top / "forged-record-ran"
    evil = evil_stage1(top / "evil.aci", marker, name="example.com/forged-stage1")
    os.chmod(evil.path, 0o644)
    rkt.ok("image", "list")  # root opened the store
    f = member(rkt, INSECURE, "fetch", "--full", evil.path)
    assert f.returncode == 0, f
    key = f.stdout.strip()
    m = subprocess.run(as_member() + ["sh", "-c", f"mkdir -m 0700 verified && : > verified/{key}"
                                      " && echo made"],
                       capture_output=True, text=True, cwd=rkt.cas)
    made = "made" in m.stdout
    a = evil_stage1(top / "signed.aci", top / "unused", name="example.com/signed-stage1")
    gpg.sign(gpg.alice, a.path)
    trust_root(rkt, gpg, top)
    signed = rkt.ok("fetch", "--full", a.path).out.strip()  # root records its check
    assert (rkt.cas / "verified" / signed).is_file()
    st = os.stat(rkt.cas / "verified")
    assert st.st_uid == 0 and st.st_mode & 0o077 == 0
    if made:  # moved aside, not removed
        theirs = [p for p in rkt.cas.iterdir() if p.is_dir() and p.stat().st_uid == 4242]
        assert any((p / key).exists() for p in theirs), m
    r = rkt(INSECURE, "run", "--net=host", f"--stage1-hash={key}", bimg.path)
    assert not marker.exists()
    assert r.code == 254 and "was not imported by root (but by uid 4242)" in r.err, r
