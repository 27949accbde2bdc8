# SPDX-License-Identifier: Apache-2.0
"""Docker archives and layers are decompressed in-process, and only with the compressions
Docker itself writes (gzip, zstd, xz, bzip2): never by running a program. libarchive runs
lrzip, lzop or grzip from PATH for data that starts with their magic numbers, so a hostile
image could make rkt (root) execute them. Found by tests/fuzz/fuzz-docker-layer.c."""
import io
import json
import os
import tarfile

import pytest

import dockerutil as D
from storeutil import list_json
from test_docker_archive import add, save_archive

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"
# the first bytes libarchive recognises as each format it decompresses with a program
MAGIC = {
    "lrzip": b"LRZI\x00\x06" + bytes(18),
    "lzop": b"\x89LZO\x00\r\n\x1a\n" + bytes(32),
    "grzip": b"GRZipII\x00\x02\x04:)" + bytes(32),
}


@pytest.fixture
def spy_path(tmp_path):
    """A PATH whose decompressors only record that they ran."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for prog in MAGIC:
        p = bindir / prog
        p.write_text(f"#!/bin/sh\ntouch {tmp_path}/ran-{prog}\ncat >/dev/null\nexit 1\n")
        p.chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    return env, tmp_path


def ran(tmp_path):
    return sorted(p.name for p in tmp_path.glob("ran-*"))


def refused(rkt, r, tmp_path):
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert ran(tmp_path) == []
    assert list_json(rkt) == []


@pytest.mark.parametrize("prog", sorted(MAGIC))
def test_layer_is_not_decompressed_by_a_program(rkt, spy_path, prog):
    env, tmp = spy_path
    path = tmp / "img.tar"
    save_archive(path, [([MAGIC[prog]], {"Cmd": ["/bin/true"]}, ["example.com/a:v1"])])
    r = rkt(INSECURE, "fetch", f"docker-archive:{path}", env=env)
    refused(rkt, r, tmp)


@pytest.mark.parametrize("prog", sorted(MAGIC))
def test_archive_is_not_decompressed_by_a_program(rkt, spy_path, prog):
    env, tmp = spy_path
    path = tmp / "img.tar"
    path.write_bytes(MAGIC[prog] + bytes(1024))
    r = rkt(INSECURE, "fetch", f"docker-archive:{path}", env=env)
    refused(rkt, r, tmp)


@pytest.mark.parametrize("prog", sorted(MAGIC))
def test_layer_digest_check_does_not_run_a_program(rkt, spy_path, prog):
    """A layer whose stored bytes do not match their diff_id is decompressed to compare."""
    env, tmp = spy_path
    layer = MAGIC[prog]
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/x"]},
                      "rootfs": {"type": "layers", "diff_ids": [D.sha256(b"other")]}}).encode()
    cfg_name = D.sha256(cfg)[7:] + ".json"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        add(t, cfg_name, cfg)
        add(t, "l/layer.tar", layer)
        add(t, "manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": ["a:v1"],
                                             "Layers": ["l/layer.tar"]}]).encode())
    path = tmp / "img.tar"
    path.write_bytes(buf.getvalue())
    r = rkt(INSECURE, "fetch", f"docker-archive:{path}", env=env)
    refused(rkt, r, tmp)


def test_compressed_layers_still_work(rkt, tmp_path):
    layer = D.layer_tar([("hello", "file", "hi")])
    for name, data in (("gz", D.gz(layer)),):
        path = tmp_path / f"{name}.tar"
        save_archive(path, [([data], {"Cmd": ["/hello"]}, ["example.com/a:v1"])])
        r = rkt.ok(INSECURE, "fetch", "--full", f"docker-archive:{path}")
        assert r.out.startswith("sha512-"), r
