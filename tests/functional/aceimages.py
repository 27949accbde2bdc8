# SPDX-License-Identifier: Apache-2.0
"""The appc ACE validator's two images (SPEC.md §11.16), built by the project itself: the
validator from the Go sources of Debian's golang-github-appc-spec-dev (installed by
scripts/setup-debian.sh with the Go toolchain), packed into ACIs with manifests of
appc 0.8.11's ace test images (their names, exec, event handlers, working directory,
environment, mount point, port, memory isolator and annotations are what the validator
checks from inside the pod).

The images are cached in /var/tmp/rkt-ace-cache/<hash of this file and of the appc
sources' package version>, so the validator is compiled once per machine."""
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from aci import Dir, File, build_aci

GOCODE = Path("/usr/share/gocode")
SPEC_PKG = "github.com/appc/spec"
CACHE = Path("/var/tmp/rkt-ace-cache")
OUTPUTS = ("ace-validator-main.aci", "ace-validator-sidekick.aci")


def _labels():
    return [{"name": "version", "value": "0.8.11"}, {"name": "os", "value": "linux"},
            {"name": "arch", "value": "amd64"}]


def _database():
    return [{"name": "database", "path": "/db", "readOnly": False}]


def main_manifest():
    return {
        "acVersion": "0.8.11", "acKind": "ImageManifest",
        "name": "coreos.com/ace-validator-main", "labels": _labels(),
        "app": {
            "exec": ["/ace-validator", "main"],
            "eventHandlers": [{"name": "pre-start", "exec": ["/ace-validator", "prestart"]},
                              {"name": "post-stop", "exec": ["/ace-validator", "poststop"]}],
            "user": "0", "group": "0",
            "workingDirectory": "/opt/acvalidator",
            "environment": [{"name": "IN_ACE_VALIDATOR", "value": "correct"}],
            "mountPoints": _database(),
            "ports": [{"name": "www", "protocol": "tcp", "port": 80}],
            "isolators": [{"name": "resource/memory", "value": {"limit": "1G"}}],
        },
        "annotations": [
            {"name": "created", "value": "2014-10-27T19:32:27.67021798Z"},
            {"name": "authors",
             "value": "Carly Container <carly@example.com>, Nat Network <nat@example.com>"},
            {"name": "homepage", "value": "https://github.com/appc/spec"},
            {"name": "documentation",
             "value": "https://github.com/appc/spec/blob/master/README.md"},
            {"name": "lorem", "value": "ipsum"},
        ],
    }


def sidekick_manifest():
    return {
        "acVersion": "0.8.11", "acKind": "ImageManifest",
        "name": "coreos.com/ace-validator-sidekick", "labels": _labels(),
        "app": {"exec": ["/ace-validator", "sidekick"], "user": "0", "group": "0",
                "mountPoints": _database()},
    }


def _spec_version():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "golang-github-appc-spec-dev"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ""


def _build_validator(out: Path):
    """go build of appc's ace validator, offline (GOPATH mode over Debian's sources)."""
    if not (GOCODE / "src" / SPEC_PKG / "ace" / "validator.go").is_file():
        raise RuntimeError(f"{GOCODE}/src/{SPEC_PKG} is missing: run scripts/setup-debian.sh "
                           "(Debian packages golang-go and golang-github-appc-spec-dev)")
    work = Path(tempfile.mkdtemp(prefix="ace-build-"))
    try:
        env = dict(os.environ, GO111MODULE="off", GOPATH=f"{work}/gopath:{GOCODE}",
                   GOCACHE=str(work / "cache"), GOPROXY="off", GOFLAGS="", CGO_ENABLED="0",
                   GOOS="linux", HOME=str(work))
        r = subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o",
                            str(out), f"{SPEC_PKG}/ace"], env=env, capture_output=True,
                           text=True, timeout=1200)
        if r.returncode != 0:
            raise RuntimeError(f"building the ACE validator failed:\n{r.stdout}\n{r.stderr}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ace_images():
    """(main ACI, sidekick ACI) paths, built now or taken from the cache."""
    version = _spec_version()
    if not version:
        raise RuntimeError("golang-github-appc-spec-dev is not installed: run "
                           "scripts/setup-debian.sh")
    key = hashlib.sha256(Path(__file__).read_bytes() + version.encode()).hexdigest()[:16]
    out = CACHE / key
    if not all((out / f).is_file() for f in OUTPUTS):
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{key}.tmp-", dir=CACHE))
        _build_validator(tmp / "ace-validator")
        binary = (tmp / "ace-validator").read_bytes()
        for name, manifest in (("main", main_manifest()), ("sidekick", sidekick_manifest())):
            files = {"ace-validator": File(binary, mode=0o755), "opt": Dir(),
                     "opt/acvalidator": Dir()}
            build_aci(tmp / f"ace-validator-{name}.aci", manifest, files)
        shutil.rmtree(out, ignore_errors=True)
        os.rename(tmp, out)
    return out / OUTPUTS[0], out / OUTPUTS[1]
