# SPDX-License-Identifier: Apache-2.0
"""Docker/OCI test images built in Python (OCI image layouts: tarfile + json + hashlib), a
real registry on loopback (Debian's docker-registry) and pushes with Debian's skopeo.

Network rule: everything here talks to 127.0.0.1 only."""
import gzip
import hashlib
import io
import json
import os
import socket
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- layers

def layer_tar(entries) -> bytes:
    """entries: list of (name, kind, arg, extra) with kind file|dir|symlink|hardlink|
    fifo; arg is the content (bytes/str), link target or None; extra a dict of TarInfo
    attributes (mode, uid, gid, mtime)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            name, kind = e[0], e[1]
            arg = e[2] if len(e) > 2 else None
            extra = e[3] if len(e) > 3 else {}
            ti = tarfile.TarInfo(name)
            ti.mtime = 1500000000
            data = None
            if kind == "file":
                data = arg.encode() if isinstance(arg, str) else (arg or b"")
                ti.size = len(data)
                ti.mode = 0o644
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = arg
                ti.mode = 0o777
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = arg
                ti.mode = 0o644
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
                ti.mode = 0o644
            for k, v in extra.items():
                setattr(ti, k, v)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# --------------------------------------------------------------------------- OCI layouts

class Layout:
    """An OCI image layout directory being written."""

    def __init__(self, path):
        self.path = Path(path)
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self.index = {"schemaVersion": 2, "manifests": []}
        self.write_index()

    def blob(self, data: bytes) -> str:
        d = sha256(data)
        (self.path / "blobs" / "sha256" / d[7:]).write_bytes(data)
        return d

    def write_index(self):
        (self.path / "index.json").write_text(json.dumps(self.index))

    def image(self, layers, config=None, arch="amd64", os_="linux", variant=None,
              compress=True):
        """Writes config + layers + manifest; returns the manifest descriptor."""
        cfg = {"architecture": arch, "os": os_, "config": config or {},
               "rootfs": {"type": "layers",
                          "diff_ids": [sha256(l) for l in layers]},
               "created": "2020-01-02T03:04:05Z"}
        if variant:
            cfg["variant"] = variant
        cfg_bytes = json.dumps(cfg).encode()
        descs = []
        for l in layers:
            data = gz(l) if compress else l
            descs.append({"mediaType": OCI_LAYER_GZ if compress else OCI_LAYER,
                          "digest": self.blob(data), "size": len(data)})
        m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
             "config": {"mediaType": OCI_CONFIG, "digest": self.blob(cfg_bytes),
                        "size": len(cfg_bytes)},
             "layers": descs}
        mb = json.dumps(m).encode()
        return {"mediaType": OCI_MANIFEST, "digest": self.blob(mb), "size": len(mb),
                "platform": {"architecture": arch, "os": os_,
                             **({"variant": variant} if variant else {})}}

    def tag(self, desc, tag):
        d = dict(desc)
        d["annotations"] = {"org.opencontainers.image.ref.name": tag}
        self.index["manifests"].append(d)
        self.write_index()

    def multi(self, descs) -> dict:
        """An index blob over descs; returns its descriptor."""
        idx = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs}
        b = json.dumps(idx).encode()
        return {"mediaType": OCI_INDEX, "digest": self.blob(b), "size": len(b)}


# --------------------------------------------------------------------------- registry

class Registry:
    """Debian's docker-registry on 127.0.0.1:<free port> with its own storage."""

    def __init__(self, workdir):
        self.dir = Path(workdir)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        conf = self.dir / "config.yml"
        (self.dir / "storage").mkdir(parents=True, exist_ok=True)
        conf.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            "storage:\n  filesystem:\n    rootdirectory: " + str(self.dir / "storage") + "\n"
            "  delete:\n    enabled: true\n"
            "http:\n  addr: " + self.host + "\n")
        self.log = open(self.dir / "registry.log", "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2).read()
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("docker-registry did not start: "
                                       + (self.dir / "registry.log").read_text())
                time.sleep(0.1)

    def push(self, layout, tag, repo, dest_tag=None, fmt=None):
        argv = ["skopeo", "--insecure-policy", "copy", "--quiet",
                "--dest-tls-verify=false"]
        if fmt:
            argv.append(f"--format={fmt}")
        if fmt is None and tag is None:
            pass
        argv += [f"oci:{layout.path}:{tag}",
                 f"docker://{self.host}/{repo}:{dest_tag or tag}"]
        subprocess.run(argv, check=True, capture_output=True, timeout=60)

    def push_all(self, layout, tag, repo, dest_tag=None):
        """Pushes an index with every platform (skopeo --all)."""
        argv = ["skopeo", "--insecure-policy", "copy", "--quiet", "--all",
                "--dest-tls-verify=false", f"oci:{layout.path}:{tag}",
                f"docker://{self.host}/{repo}:{dest_tag or tag}"]
        subprocess.run(argv, check=True, capture_output=True, timeout=60)

    def manifest(self, repo, ref):
        req = urllib.request.Request(
            f"http://{self.host}/v2/{repo}/manifests/{ref}",
            headers={"Accept": ", ".join([
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                OCI_MANIFEST, OCI_INDEX])})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.headers.get("Content-Type"), r.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --------------------------------------------------------------------------- fake registry

import base64  # noqa: E402
import http.server  # noqa: E402
import ssl  # noqa: E402
import threading  # noqa: E402


class FakeRegistry:
    """A registry v2 written in Python on 127.0.0.1, serving the images of a Layout, with
    hooks to misbehave. auth="bearer" demands a token from realm (default: /token here);
    creds=(user, password) makes /token demand Basic credentials. Every request is
    recorded as (path, headers dict)."""

    def __init__(self, layout, auth=None, realm=None, creds=None, tls_dir=None):
        self.layout = layout
        self.auth = auth
        self.creds = creds
        self.requests = []
        self.hooks = {}  # path -> fn(handler) returning True when it answered
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        scheme = "https" if tls_dir else "http"
        self.realm = realm or f"{scheme}://{self.host}/token"
        reg = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                reg.requests.append((self.path, dict(self.headers)))
                hook = reg.hooks.get(self.path.split("?")[0])
                if hook and hook(self):
                    return
                reg.route(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if tls_dir:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_dir / "cert.pem", tls_dir / "key.pem")
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def send(h, status, body=b"", headers=None):
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def authorized(self, h):
        if self.auth != "bearer":
            return True
        if h.headers.get("Authorization") == "Bearer good-token":
            return True
        self.send(h, 401, b'{"errors":[]}', {
            "WWW-Authenticate": f'Bearer realm="{self.realm}",service="fake registry",'
                                f'scope="repository:test/img:pull,push"',
            "Docker-Distribution-API-Version": "registry/2.0"})
        return False

    def token(self, h):
        if self.creds:
            want = "Basic " + base64.b64encode(":".join(self.creds).encode()).decode()
            if h.headers.get("Authorization") != want:
                self.send(h, 401, b"{}")
                return
        self.send(h, 200, json.dumps({"access_token": "good-token",
                                      "expires_in": 300}).encode(),
                  {"Content-Type": "application/json"})

    def manifest_for(self, ref):
        for d in self.layout.index["manifests"]:
            if d["digest"] == ref or d.get("annotations", {}).get(
                    "org.opencontainers.image.ref.name") == ref:
                return d
        p = self.layout.path / "blobs" / "sha256" / ref[7:]
        if ref.startswith("sha256:") and p.is_file():
            return {"digest": ref, "mediaType": json.loads(p.read_bytes())["mediaType"]}
        return None

    def route(self, h):
        path = h.path.split("?")[0]
        if path.startswith("/token"):
            return self.token(h)
        if not self.authorized(h):
            return
        parts = path.split("/")
        if path == "/v2/":
            return self.send(h, 200, b"{}", {"Docker-Distribution-API-Version": "registry/2.0"})
        if len(parts) >= 5 and parts[-2] == "manifests":
            d = self.manifest_for(parts[-1])
            if not d:
                return self.send(h, 404, b"{}")
            body = (self.layout.path / "blobs" / "sha256" / d["digest"][7:]).read_bytes()
            return self.send(h, 200, body, {"Content-Type": d["mediaType"],
                                            "Docker-Content-Digest": d["digest"]})
        if len(parts) >= 5 and parts[-2] == "blobs":
            p = self.layout.path / "blobs" / "sha256" / parts[-1][7:]
            if not p.is_file():
                return self.send(h, 404, b"{}")
            return self.send(h, 200, p.read_bytes())
        return self.send(h, 404, b"{}")


def self_signed_cert(d: Path):
    """cert.pem/key.pem for 127.0.0.1 in d (openssl)."""
    d.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    return d
