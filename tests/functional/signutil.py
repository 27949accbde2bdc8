# SPDX-License-Identifier: Apache-2.0
"""Signing keys and signatures made at test time with GnuPG (as image publishers do) and
with rnp; a test CA made with openssl; the scriptable HTTP(S) server (acihttpd.py) on
127.0.0.1, optionally in a private network namespace of its own (where discovery can use
ports 443 and 80 without touching the host's)."""
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def run(argv, **kw):
    return subprocess.run([str(a) for a in argv], check=True, capture_output=True, **kw)


class Gpg:
    """A GnuPG home of its own; keys without passphrase."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        self.env = dict(os.environ, GNUPGHOME=str(self.home))

    def gpg(self, *args, faked=None, input=None):
        argv = ["gpg", "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", ""]
        if faked:
            argv += ["--faked-system-time", faked]
        return subprocess.run(argv + [str(a) for a in args], check=True, capture_output=True,
                              env=self.env, input=input)

    def gen(self, uid, algo="ed25519", usage="sign", expire="never", faked=None):
        """A new primary key; returns its fingerprint (40 upper-case hex)."""
        self.gpg("--quick-gen-key", uid, algo, usage, expire, faked=faked)
        return self.fingerprint(uid)

    def fingerprint(self, uid):
        out = self.gpg("--list-keys", "--with-colons", uid).stdout.decode()
        return [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]

    def add_subkey(self, fpr, algo="ed25519", usage="sign", expire="never", faked=None):
        self.gpg("--quick-add-key", fpr, algo, usage, expire, faked=faked)
        out = self.gpg("--list-keys", "--with-colons", fpr).stdout.decode()
        return [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][-1]

    def export(self, fpr) -> bytes:
        return self.gpg("--armor", "--export", fpr).stdout

    def write_key(self, fpr, path: Path) -> Path:
        Path(path).write_bytes(self.export(fpr))
        return Path(path)

    def sign(self, fpr, path: Path, armor=True, out=None, faked=None) -> Path:
        """A detached signature of path (by the key fpr; "FPR!" forces that very key)."""
        out = Path(out) if out else Path(str(path) + ".asc")
        args = ["--local-user", fpr, "--detach-sign", "--output", out]
        if armor:
            args.insert(0, "--armor")
        self.gpg(*args, path, faked=faked)
        return out

    def revoke(self, fpr):
        rev = (self.home / "openpgp-revocs.d" / f"{fpr}.rev").read_text()
        self.gpg("--import", input=rev.replace(":-----BEGIN", "-----BEGIN").encode())

    def toggle_usage(self, fpr, letter, key_index=0):
        """gpg's hidden change-usage (--expert): toggles S, E or A of a key."""
        cmds = ([f"key {key_index}"] if key_index else []) + ["change-usage", letter, "Q",
                                                               "save"]
        subprocess.run(["gpg", "--expert", "--batch", "--pinentry-mode", "loopback",
                        "--passphrase", "", "--command-fd", "0", "--edit-key", fpr],
                       input="\n".join(cmds) + "\n", text=True, capture_output=True,
                       env=self.env, check=True)

    def close(self):
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env, capture_output=True)


class Rnp:
    """rnp's own keyring: keys generated and signatures made by rnp."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)

    def gen(self, uid):
        run(["rnpkeys", "--homedir", self.home, "--generate-key", "--userid", uid,
             "--password", ""])
        out = run(["rnpkeys", "--homedir", self.home, "--list-keys", uid]).stdout.decode()
        lines = out.splitlines()
        pub = [i for i, l in enumerate(lines) if l.startswith("pub")][0]
        return lines[pub + 1].strip().upper()

    def export(self, uid) -> bytes:
        return run(["rnpkeys", "--homedir", self.home, "--export-key", uid]).stdout

    def sign(self, uid, path: Path, armor=True) -> Path:
        out = Path(str(path) + ".asc")
        args = ["rnp", "--homedir", self.home, "--sign", "--detach", "--userid", uid,
                "--password", "", "--output", out, path, "--overwrite"]
        if armor:
            args.insert(3, "--armor")
        run(args)
        return out


def make_ca(d: Path):
    """A test CA and a server certificate for localhost and 127.0.0.1 it signed."""
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca = d / "ca.key", d / "ca.pem"
    key, csr, cert = d / "server.key", d / "server.csr", d / "server.pem"
    ext = d / "ext.cnf"
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=rkt test CA"])
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=localhost"])
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                   "extendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext])
    return {"ca": ca, "cert": cert, "key": key}


class Server:
    """acihttpd.py in a process of its own. netns=True puts it in a new network namespace
    (loopback up) where it may listen on 443 and 80; rkt must then run there too
    (nsenter_argv())."""

    def __init__(self, workdir: Path, tls, routes, listen=None, netns=False):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "requests.log"
        self.log.write_text("")
        ready = self.dir / "ready"
        if ready.exists():
            ready.unlink()
        self.netns = netns
        cfg = {"listen": listen or [["127.0.0.1", 0, "https"]], "routes": routes,
               "cert": str(tls["cert"]), "key": str(tls["key"]), "log": str(self.log),
               "ready": str(ready)}
        (self.dir / "cfg.json").write_text(json.dumps(cfg))
        argv = ["/usr/bin/python3", str(HERE / "acihttpd.py"), str(self.dir / "cfg.json")]
        if netns:
            argv = ["unshare", "--net", "sh", "-c",
                    'ip link set lo up && exec "$0" "$@"'] + argv
        self.errlog = open(self.dir / "server.err", "wb")
        self.proc = subprocess.Popen(argv, stdout=self.errlog, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not ready.exists() or not ready.read_text():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("acihttpd did not start: " +
                                   (self.dir / "server.err").read_text())
            time.sleep(0.05)
        self.ports = json.loads(ready.read_text())
        self.port = self.ports[0]

    def url(self, path, scheme="https", host="127.0.0.1"):
        return f"{scheme}://{host}:{self.port}{path}"

    def nsenter_argv(self):
        return ["nsenter", f"--net=/proc/{self.proc.pid}/ns/net"] if self.netns else []

    def requests(self):
        return [json.loads(l) for l in self.log.read_text().splitlines() if l]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.errlog.close()


def discovery_page(metas):
    """An HTML page with appc meta tags: metas is a list of (name, content)."""
    tags = "".join(f'<meta name="{n}" content="{c}">\n' for n, c in metas)
    return f"<html><head>\n{tags}</head><body>discovery</body></html>\n"


def copy_tree(src, dst):
    shutil.copytree(src, dst)


@pytest.fixture(scope="module")
def gpg(tmp_path_factory):
    """A GnuPG home per test module with two signing keys, gpg.alice and gpg.bob."""
    g = Gpg(tmp_path_factory.mktemp("gnupg") / "home")
    g.alice = g.gen("Alice Signer <alice@example.com>")
    g.bob = g.gen("Bob Other <bob@example.com>")
    yield g
    g.close()


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A test CA and a certificate for localhost and 127.0.0.1 (make_ca()) per module."""
    return make_ca(tmp_path_factory.mktemp("ca"))
