# SPDX-License-Identifier: Apache-2.0
"""`rkt trust` (SPEC.md §3.14), the keystore (§5.5) and signed image files: keys and
signatures made with GnuPG and rnp at test time; every refusal is one line, exit 254, and
leaves the store as it was."""
import os
import stat

import pytest

import aci
from podtest import run_bare_pty
from signutil import Gpg, Rnp, Server, discovery_page, gpg, tls  # noqa: F401 (fixtures)
from storeutil import list_json

PREFIX = "example.com/app"


@pytest.fixture
def servers():
    started = []
    yield started
    for s in started:
        s.stop()


def key_file(gpg, fpr, tmp_path, name="key.asc"):
    return gpg.write_key(fpr, tmp_path / name)


def trust(rkt, *args, **kw):
    return rkt("trust", *args, **kw)


def assert_store_unchanged(rkt, r):
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) >= 1
    assert list_json(rkt) == []
    blobs = rkt.cas / "blob"
    assert not blobs.is_dir() or not [p for p in blobs.rglob("*") if p.is_file()]


# --------------------------------------------------------------------------- rkt trust

def test_trust_without_prefix_or_root(rkt, gpg, tmp_path):
    k = key_file(gpg, gpg.alice, tmp_path)
    r = trust(rkt, k)
    assert r.code == 254
    assert r.err.startswith("trust: aborting due to implicit unbounded trust (root domain)\n")
    assert '    rkt trust --prefix "example.com/foo" [PUBKEY]\n' in r.err
    assert r.err.endswith("    rkt trust --root PUBKEY\n")
    r = trust(rkt)
    assert r.code == 254 and r.out.startswith("NAME:\n\ttrust - Trust a key")
    assert not (rkt.local / "trustedkeys").exists()


@pytest.mark.parametrize("args,msg", [
    (["--root", f"--prefix={PREFIX}"], "trust: --root and --prefix usage mutually exclusive\n"),
    (["--prefix=https://example.com/app"],
     "trust: --prefix must not contain a URL scheme, omit https://\n"),
    (["--insecure-options=image", f"--prefix={PREFIX}"], "trust: could not get the keystore\n"),
    (["--root"], "trust: error determining key location: empty prefix\n"),
])
def test_trust_flag_errors(rkt, gpg, tmp_path, args, msg):
    k = key_file(gpg, gpg.alice, tmp_path)
    r = trust(rkt, *args, *([k] if args != ["--root"] else []))
    assert (r.code, r.err) == (254, msg)
    assert not (rkt.local / "trustedkeys").exists()


def test_trust_prefix_skip_review_stores_the_key(rkt, gpg, tmp_path):
    k = key_file(gpg, gpg.alice, tmp_path)
    r = trust(rkt, f"--prefix={PREFIX}", "--skip-fingerprint-review", k)
    assert r.code == 0, r
    fpr = gpg.alice.lower()
    path = rkt.local / "trustedkeys" / "prefix.d" / "example.com" / "app" / fpr
    groups = " ".join(gpg.alice[i:i + 4] for i in range(0, 40, 4))
    groups = groups[:24] + " " + groups[24:]
    assert r.out == (f"gpg key fingerprint is: {groups}\n"
                     "\tAlice Signer <alice@example.com>\n"
                     f'Trusting "{k}" for prefix "{PREFIX}" without fingerprint review.\n'
                     f'Added key for prefix "{PREFIX}" at "{path}"\n')
    assert r.err == f'pubkey: prefix: "{PREFIX}"\nkey: "{k}"\n'
    assert path.read_bytes() == k.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    for d in (path.parent, path.parent.parent, rkt.local / "trustedkeys"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o755
    assert [p.name for p in path.parent.iterdir()] == [fpr]  # no temporary left


def test_trust_root(rkt, gpg, tmp_path):
    k = key_file(gpg, gpg.alice, tmp_path)
    r = trust(rkt, "--root", "--skip-fingerprint-review", k)
    assert r.code == 0, r
    path = rkt.local / "trustedkeys" / "root.d" / gpg.alice.lower()
    assert f'Trusting "{k}" for prefix "" without fingerprint review.\n' in r.out
    assert r.out.endswith(f'Added root key at "{path}"\n')
    assert path.read_bytes() == k.read_bytes()


def test_trust_review_on_a_terminal(rkt, gpg, tmp_path):
    k = key_file(gpg, gpg.alice, tmp_path)
    code, out = run_bare_pty(rkt.argv("trust", f"--prefix={PREFIX}", k),
                             [("(yes/no)?", "maybe\n"), ("Please enter 'yes' or 'no'", "yes\n")])
    assert code == 0, out
    assert "Are you sure you want to trust this key (yes/no)?" in out
    assert f'Trusting "{k}" for prefix "{PREFIX}" after fingerprint review.' in out
    assert (rkt.local / "trustedkeys/prefix.d/example.com/app" / gpg.alice.lower()).is_file()


def test_trust_review_refused(rkt, gpg, tmp_path):
    k = key_file(gpg, gpg.alice, tmp_path)
    code, out = run_bare_pty(rkt.argv("trust", f"--prefix={PREFIX}", k), [("(yes/no)?", "no\n")])
    assert code == 0, out
    assert f'pubkey: not trusting "{k}"' in out
    assert not (rkt.local / "trustedkeys/prefix.d/example.com/app").exists()


def test_trust_without_a_terminal_refuses_to_ask(rkt, gpg, tmp_path):
    k = key_file(gpg, gpg.alice, tmp_path)
    r = trust(rkt, f"--prefix={PREFIX}", k)
    assert r.code == 254
    assert f'pubkey: To trust the key for "{PREFIX}", do one of the following:\n' in r.err
    assert "pubkey:  - call rkt with --trust-keys-from-https\n" in r.err
    assert r.err.endswith("trust: error adding keys: error reviewing key: unable to ask user to "
                          "review fingerprint due to lack of tty\n")
    assert not (rkt.local / "trustedkeys/prefix.d/example.com/app").exists()


@pytest.mark.parametrize("content,why", [
    (None, "open {k}: no such file or directory"),
    (b"", "no armored public key found"),
    (b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\ngarbage\n-----END PGP PUBLIC KEY BLOCK-----\n",
     "invalid public key"),
])
def test_trust_bad_key_files(rkt, tmp_path, content, why):
    k = tmp_path / "key.asc"
    if content is not None:
        k.write_bytes(content)
    r = trust(rkt, f"--prefix={PREFIX}", "--skip-fingerprint-review", k)
    assert r.code == 254
    assert r.err.startswith("trust: error adding keys: ")
    assert why.format(k=k) in r.err
    assert len(r.err.splitlines()) == 1
    assert not (rkt.local / "trustedkeys").exists()


def test_trust_invalid_prefix(rkt, gpg, tmp_path):
    k = key_file(gpg, gpg.alice, tmp_path)
    r = trust(rkt, "--prefix=Example.com/../x", "--skip-fingerprint-review", k)
    assert r.code == 254 and 'invalid --prefix "Example.com/../x"' in r.err
    assert not (rkt.local / "trustedkeys").exists()


def test_trust_key_urls(rkt, gpg, tmp_path, tls, servers):
    body = gpg.export(gpg.alice).decode()
    s = Server(tmp_path / "srv", tls, {"/key.asc": [{"body": body}]},
               listen=[["127.0.0.1", 0, "https"], ["127.0.0.1", 0, "http"]])
    servers.append(s)
    https, http = f"https://127.0.0.1:{s.ports[0]}/key.asc", f"http://127.0.0.1:{s.ports[1]}/key.asc"
    env = dict(os.environ, SSL_CERT_FILE=str(tls["ca"]))
    # the CA is not trusted without SSL_CERT_FILE; --insecure-options=tls accepts any
    r = trust(rkt, f"--prefix={PREFIX}", "--skip-fingerprint-review", https)
    assert r.code == 254 and r.err.startswith("trust: error adding keys: GET https:")
    assert "certificate" in r.err and len(r.err.splitlines()) == 1
    r = trust(rkt, f"--prefix={PREFIX}", "--skip-fingerprint-review", http, env=env)
    assert r.err.endswith("trust: error adding keys: --insecure-allow-http required for http "
                          "URLs\n")
    assert not (rkt.local / "trustedkeys").exists()
    r = trust(rkt, f"--prefix={PREFIX}", "--skip-fingerprint-review", "ftp://x/key.asc")
    assert r.err.endswith("only local files and http or https URLs supported\n")
    r = trust(rkt, f"--prefix={PREFIX}", "--skip-fingerprint-review", "--insecure-allow-http",
              http)
    assert r.code == 0, r
    # --trust-keys-from-https: no review for a key that came over https, even without a tty
    r = trust(rkt, "--trust-keys-from-https", "--prefix=example.com/other", https, env=env)
    assert r.code == 0, r
    assert f'Trusting "{https}" for prefix "example.com/other" without fingerprint review.' \
        in r.out
    r = trust(rkt, "--insecure-options=tls", "--prefix=example.com/third",
              "--skip-fingerprint-review", https)
    assert r.code == 0, r


def test_trust_discovers_the_prefix_keys(rkt, gpg, tmp_path, tls, servers):
    page = discovery_page([("ac-discovery-pubkeys", "localhost/app https://localhost/key.asc")])
    s = Server(tmp_path / "srv", tls, {"/app": [{"body": page}],
                                        "/key.asc": [{"body": gpg.export(gpg.alice).decode()}]},
               listen=[["127.0.0.1", 443, "https"]], netns=True)
    servers.append(s)
    rkt.prefix = s.nsenter_argv
    env = dict(os.environ, SSL_CERT_FILE=str(tls["ca"]))
    # Nomad's rkt driver: `rkt trust --skip-fingerprint-review=true --prefix=P`
    r = trust(rkt, "--skip-fingerprint-review=true", "--prefix=localhost/app", env=env)
    assert r.code == 0, r
    assert 'Added key for prefix "localhost/app"' in r.out
    assert (rkt.local / "trustedkeys/prefix.d/localhost/app" / gpg.alice.lower()).is_file()
    assert [q["path"] for q in s.requests()] == ["/app?ac-discovery=1", "/key.asc"]
    r = trust(rkt, "--prefix=localhost/none", "--skip-fingerprint-review", env=env)
    assert r.code == 254
    assert r.err == ("trust: error determining key location: meta discovery on localhost/none "
                     "resulted in no keys\n")


# --------------------------------------------------------------------------- signed files

@pytest.fixture
def signed(mkaci, gpg):
    def make(name=PREFIX, signer=None, armor=True, **kw):
        a = mkaci(name, **kw)
        gpg.sign(signer or gpg.alice, a.path, armor=armor)
        return a
    return make


def trust_key(rkt, gpg, fpr, prefix=PREFIX, root=False, tmp=None):
    k = gpg.write_key(fpr, (tmp or rkt.tmp) / f"{fpr}.asc")
    args = ["--root"] if root else [f"--prefix={prefix}"]
    r = rkt("trust", *args, "--skip-fingerprint-review", k)
    assert r.code == 0, r


def test_unsigned_file_is_refused(rkt, mkaci):
    a = mkaci(PREFIX)
    r = rkt("fetch", a.path)
    assert r.err == (f"fetch: error opening signature file: open {a.path}.asc: no such file or "
                     "directory\n")
    assert_store_unchanged(rkt, r)


def test_signed_by_unknown_key(rkt, signed):
    a = signed()
    r = rkt("fetch", a.path)
    assert r.err == ("image: If you expected the signing key to change, try running:\n"
                     f'image:     rkt trust --prefix "{PREFIX}"\n'
                     f'fetch: image "{PREFIX}" verification failed: openpgp: signature made by '
                     "unknown entity\n")
    assert_store_unchanged(rkt, r)


def test_signed_and_trusted(rkt, signed, gpg):
    a = signed()
    trust_key(rkt, gpg, gpg.alice)
    r = rkt("fetch", "--full", a.path)
    assert r.code == 0, r
    assert r.out == a.key + "\n"
    assert r.err == "image: signature verified:\n  Alice Signer <alice@example.com>\n"
    # root's record of the check: a root-only directory no group member can write
    marker = rkt.cas / "verified" / a.key
    assert marker.is_file() and marker.stat().st_uid == 0
    assert marker.parent.stat().st_mode & 0o777 == 0o700
    # again (an unchanged file is not imported again, but checked again)
    r = rkt("fetch", "--full", a.path)
    assert r.code == 0 and "signature verified:" in r.err


def test_binary_signature_and_signature_flag(rkt, signed, gpg, tmp_path):
    a = signed(armor=False)
    trust_key(rkt, gpg, gpg.alice)
    assert rkt("fetch", a.path).code == 0
    b = signed(name="example.com/app/other")
    moved = tmp_path / "elsewhere.sig"
    os.rename(str(b.path) + ".asc", moved)
    r = rkt("fetch", b.path)
    assert "error opening signature file" in r.err
    r = rkt("fetch", b.path, "--signature", moved)
    assert r.code == 0, r


def test_key_for_another_prefix_or_another_key(rkt, signed, gpg):
    a = signed()
    trust_key(rkt, gpg, gpg.alice, prefix="example.com/other")
    trust_key(rkt, gpg, gpg.bob, prefix=PREFIX)
    r = rkt("fetch", a.path)
    assert "openpgp: signature made by unknown entity" in r.err
    assert_store_unchanged(rkt, r)


def test_prefix_applies_by_components_not_characters(rkt, signed, gpg):
    """rkt's keystore compared directory paths as strings: keys for example.com/my also
    verified example.com/my-app. Here a prefix covers itself and the names below it."""
    trust_key(rkt, gpg, gpg.alice, prefix="example.com/my")
    for name in ("example.com/my", "example.com/my/app"):
        a = signed(name=name)
        assert rkt("fetch", a.path).code == 0, name
    b = signed(name="example.com/my-app")
    r = rkt("fetch", b.path)
    assert r.code == 254 and "signature made by unknown entity" in r.err
    assert b.key not in [i["id"] for i in list_json(rkt)]


def test_root_key_verifies_every_name(rkt, signed, gpg):
    trust_key(rkt, gpg, gpg.alice, root=True)
    for name in ("example.com/app", "other.org/x"):
        assert rkt("fetch", signed(name=name).path).code == 0


def test_tampered_image(rkt, signed, gpg):
    a = signed()
    trust_key(rkt, gpg, gpg.alice)
    data = bytearray(a.path.read_bytes())
    data[-1] ^= 1  # in the tar's zero padding: still a valid image, not what was signed
    a.path.write_bytes(bytes(data))
    r = rkt("fetch", a.path)
    assert r.err.startswith(f'fetch: image "{PREFIX}" verification failed: openpgp: invalid '
                            "signature")
    assert_store_unchanged(rkt, r)


@pytest.mark.parametrize("sig", [b"", b"garbage\n", b"-----BEGIN PGP SIGNATURE-----\n\nAAAA\n"
                                 b"-----END PGP SIGNATURE-----\n", "truncated"])
def test_garbage_signatures(rkt, signed, gpg, sig):
    a = signed()
    trust_key(rkt, gpg, gpg.alice)
    asc = a.path.with_name(a.path.name + ".asc")
    if sig == "truncated":
        sig = asc.read_bytes()[:60]
    asc.write_bytes(sig)
    r = rkt("fetch", a.path)
    assert r.err == (f'fetch: image "{PREFIX}" verification failed: keystore: no valid '
                     "signatures found in signature file\n")
    assert_store_unchanged(rkt, r)


def test_expired_revoked_and_non_signing_keys(rkt, mkaci, tmp_path):
    g = Gpg(tmp_path / "gnupg")
    try:
        expired = g.gen("Expired <e@example.com>", expire="1d", faked="20200101T000000")
        revoked = g.gen("Revoked <r@example.com>")
        nosign = g.gen("No Sign <n@example.com>")
        cases = []
        for fpr, why in ((expired, "expired"), (revoked, "revoked"), (nosign, "may not sign")):
            a = mkaci(PREFIX, version=why.replace(" ", "-"))
            g.sign(fpr, a.path, faked="20200101T010000" if fpr == expired else None)
            cases.append((fpr, a, why))
        g.revoke(revoked)
        g.toggle_usage(nosign, "S")
        for fpr, a, why in cases:
            trust_key(rkt, g, fpr)
            r = rkt("fetch", a.path)
            assert r.code == 254 and why in r.err, (why, r)
            assert len(r.err.splitlines()) == 1
        assert list_json(rkt) == []
    finally:
        g.close()


def test_signing_subkey(rkt, mkaci, tmp_path):
    g = Gpg(tmp_path / "gnupg")
    try:
        then = "20200101T000000"
        primary = g.gen("Sub Signer <s@example.com>", usage="cert", faked=then)
        sub = g.add_subkey(primary, faked=then)
        a = mkaci(PREFIX)
        g.sign(sub + "!", a.path)
        trust_key(rkt, g, primary)
        r = rkt("fetch", a.path)
        assert r.code == 0 and "Sub Signer <s@example.com>" in r.err, r
        # a signing subkey that has expired does not count
        old = g.add_subkey(primary, expire="1d", faked=then)
        b = mkaci(PREFIX, version="2.0.0")
        g.sign(old + "!", b.path, faked="20200101T010000")
        trust_key(rkt, g, primary)  # the key file now holds the expired subkey too
        r = rkt("fetch", b.path)
        assert r.code == 254 and "expired" in r.err, r
    finally:
        g.close()


def test_key_and_signature_made_by_rnp(rkt, mkaci, tmp_path):
    n = Rnp(tmp_path / "rnp")
    fpr = n.gen("Rnp Signer <rnp@example.com>")
    (tmp_path / "rnp.asc").write_bytes(n.export("rnp@example.com"))
    r = rkt("trust", f"--prefix={PREFIX}", "--skip-fingerprint-review", tmp_path / "rnp.asc")
    assert r.code == 0, r
    assert (rkt.local / "trustedkeys/prefix.d" / PREFIX / fpr.lower()).is_file()
    a = mkaci(PREFIX)
    n.sign("rnp@example.com", a.path)
    r = rkt("fetch", a.path)
    assert r.code == 0 and "Rnp Signer <rnp@example.com>" in r.err, r


# --------------------------------------------------------------------------- hostile keystore

def key_dir(rkt, base="local"):
    return getattr(rkt, base) / "trustedkeys" / "prefix.d" / "example.com" / "app"


def test_fingerprint_mismatch(rkt, signed, gpg):
    a = signed()
    d = key_dir(rkt)
    d.mkdir(parents=True)
    (d / gpg.bob.lower()).write_bytes(gpg.export(gpg.alice))
    r = rkt("fetch", a.path)
    assert r.code == 254
    assert f'fingerprint mismatch: "{gpg.bob.lower()}":"{gpg.alice.lower()}"' in r.err
    assert len(r.err.splitlines()) == 1
    assert_store_unchanged(rkt, r)


@pytest.mark.parametrize("kind", ["fifo", "huge", "garbage", "readme", "symlink-to-dev-zero"])
def test_hostile_key_files(rkt, signed, gpg, kind):
    a = signed()
    trust_key(rkt, gpg, gpg.alice)
    d = key_dir(rkt)
    bad = d / ("README" if kind == "readme" else "f" * 40)
    if kind == "fifo":
        os.mkfifo(bad)
    elif kind == "huge":
        bad.write_bytes(b"x" * (2 << 20))
    elif kind == "symlink-to-dev-zero":
        bad.symlink_to("/dev/zero")
    else:
        bad.write_bytes(b"not a key\n")
    r = rkt("fetch", a.path, timeout=60)
    assert r.code == 254, r
    assert "keystore: error loading keyring" in r.err
    assert len(r.err.splitlines()) == 1
    assert_store_unchanged(rkt, r)


def test_empty_local_file_masks_a_system_key(rkt, signed, gpg):
    a = signed()
    sysdir = key_dir(rkt, "system")
    sysdir.mkdir(parents=True)
    (sysdir / gpg.alice.lower()).write_bytes(gpg.export(gpg.alice))
    assert rkt("fetch", a.path).code == 0
    b = signed(version="2.0.0")
    key_dir(rkt).mkdir(parents=True)
    (key_dir(rkt) / gpg.alice.lower()).write_bytes(b"")
    r = rkt("fetch", b.path)
    assert r.code == 254 and "unknown entity" in r.err


def test_run_checks_signatures_as_rkts_test_did(tmp_path, gpg, inspect_bin):
    """rkt's TestTrust, with `run`: an unsigned image, then signed ones, as keys are trusted
    for the wrong prefix, with the wrong key, for the right prefix, for unrelated prefixes,
    and as the root key."""
    import imageutil
    from podtest import Pods, _finish
    one = imageutil.inspect_image(tmp_path / "one.aci", name="rkt-prefix.com/my-app",
                                  exec_=["/inspect", "--print-msg=Hello"])
    two = imageutil.inspect_image(tmp_path / "two.aci", name="rkt-alternative.com/my-app",
                                  exec_=["/inspect", "--print-msg=Hello"])
    pods = Pods(tmp_path / "pods")

    def run(image, ok):
        r = pods("--debug", "run", "--net=host", image.path, timeout=120)
        if ok:
            assert r.code == 0 and "Hello" in r.out, r
        else:
            assert r.code == 254 and "openpgp: signature made by unknown entity" in r.err, r

    def trust(fpr, *args):
        k = gpg.write_key(fpr, tmp_path / f"{fpr}.asc")
        assert pods("trust", *args, "--skip-fingerprint-review", k).code == 0

    try:
        r = pods("run", "--net=host", one.path, timeout=120)
        assert r.code == 254 and "error opening signature file" in r.err, r
        for image in (one, two):
            gpg.sign(gpg.alice, image.path)
        run(one, False)
        trust(gpg.alice, "--prefix=wrong-prefix.com/my-app")
        run(one, False)
        trust(gpg.bob, "--prefix=rkt-prefix.com/my-app")
        run(one, False)
        trust(gpg.alice, "--prefix=rkt-prefix.com/my-app")
        run(one, True)
        run(two, False)
        trust(gpg.alice, "--prefix=foo.com")
        trust(gpg.alice, "--prefix=example.com/my-app")
        run(one, True)
        run(two, False)
        trust(gpg.alice, "--root")
        run(one, True)
        run(two, True)
    finally:
        _finish(pods)


def test_a_file_others_may_write_is_imported_as_checked(rkt, signed, gpg):
    """Root fetching a signed image file another user may write (a member's download, say)
    imports exactly the bytes whose signature it checked. Here the file's writer flips a
    file of the image between two contents without pause while root fetches it: each fetch
    either fails the check or stores the signed bytes, never the others."""
    import threading
    a = signed(files={"big": aci.File(os.urandom(4 << 20)), "flag": aci.File("good-" * 8)})
    trust_key(rkt, gpg, gpg.alice)
    data = a.path.read_bytes()
    at = data.index(b"good-" * 8)
    os.chown(a.path, 4242, 4242)  # its owner may write it
    stop = threading.Event()

    def flip():
        fd = os.open(a.path, os.O_WRONLY)
        try:
            while not stop.is_set():
                os.pwrite(fd, b"evil-" * 8, at)
                os.pwrite(fd, b"good-" * 8, at)
        finally:
            os.close(fd)
    t = threading.Thread(target=flip, daemon=True)
    t.start()
    try:
        stored = []
        for i in range(12):
            r = rkt("fetch", "--full", a.path)
            assert r.code == 0 or "verification failed" in r.err, r
            if r.code == 0:
                stored.append(r.out.strip())
    finally:
        stop.set()
        t.join()
    r = rkt("fetch", "--full", a.path)  # the file at rest: its signed bytes
    assert r.code == 0 and r.out.strip() == a.key, r
    for key in set(stored):
        out = rkt.tmp / f"{key}.aci"
        assert rkt("image", "export", key, out).code == 0
        assert b"evil-" * 8 not in out.read_bytes(), "root stored bytes it did not check"
