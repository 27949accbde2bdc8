# SPDX-License-Identifier: Apache-2.0
"""docker-archive:PATH[:REF] — `docker save` tarballs, built in Python and by skopeo: the
same conversion as docker:// and oci:, REF selection, diff_id verification, hostile member
names, gzip'ed layers (SPEC.md §5.7, DOCKER.md §1)."""
import io
import json
import os
import subprocess
import tarfile

import pytest

import dockerutil as D
from storeutil import list_json
from test_docker_hostile import assert_nothing_stored
from test_docker_registry import CONFIG, base_layer, labels, annotations, manifest, rootfs, top_layer

INSECURE = "--insecure-options=image"


def image_config(layers, config=None):
    return json.dumps({"architecture": "amd64", "os": "linux", "config": config or {},
                       "rootfs": {"type": "layers", "diff_ids": [D.sha256(l) for l in layers]},
                       "created": "2020-01-02T03:04:05Z"}).encode()


def add(t, name, data=None, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.mtime = 1500000000
    ti.mode = 0o644
    ti.size = len(data) if data is not None else 0
    t.addfile(ti, io.BytesIO(data) if data is not None else None)


def save_archive(path, images, gzip_layers=False, extra=(), compress=None, manifest=None):
    """A `docker save` tarball: images is a list of (layers, config, repo_tags). Layers go
    to "<id>/layer.tar" as docker writes them; a layer already written is a symlink to the
    first copy. extra: (name, data, kind, link) members added first. Returns the
    manifest.json list."""
    entries, written = [], {}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in extra:
            add(t, *e)
        for layers, config, tags in images:
            cfg = image_config(layers, config)
            cfg_name = D.sha256(cfg)[7:] + ".json"
            add(t, cfg_name, cfg)
            names = []
            for i, l in enumerate(layers):
                lid = D.sha256(cfg + bytes([i]))[7:]
                name = f"{lid}/layer.tar"
                add(t, f"{lid}/VERSION", b"1.0")
                if l in written:
                    add(t, name, kind=tarfile.SYMTYPE, link=f"../{written[l]}")
                else:
                    add(t, name, D.gz(l) if gzip_layers else l)
                    written[l] = name
                names.append(name)
            entries.append({"Config": cfg_name, "RepoTags": tags, "Layers": names})
        add(t, "manifest.json", json.dumps(manifest if manifest is not None else entries).encode())
    data = buf.getvalue()
    path.write_bytes(D.gz(data) if compress == "gzip" else data)
    return entries


def fetch(rkt, ref, *flags):
    return rkt.ok(INSECURE, "fetch", "--full", *flags, ref).out.strip()


def files(root):
    out = {}
    for dirpath, dirs, names in os.walk(root):
        for n in dirs + names:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = "-> " + os.readlink(p)
            elif os.path.isfile(p):
                out[rel] = open(p, "rb").read()
            else:
                out[rel] = "dir"
    return out


@pytest.fixture(scope="module")
def skopeo_archive(tmp_path_factory):
    """A real docker-archive written by skopeo from an OCI layout, and that layout."""
    work = tmp_path_factory.mktemp("skopeo")
    lay = D.Layout(work / "layout")
    lay.tag(lay.image([base_layer(), top_layer()], config=CONFIG), "v1")
    out = work / "app.tar"
    subprocess.run(["skopeo", "--insecure-policy", "copy", "--quiet", f"oci:{lay.path}:v1",
                    f"docker-archive:{out}:example.com/test/app:v1"],
                   check=True, capture_output=True, timeout=60)
    return out, lay


def test_skopeo_archive_converts_like_oci_layout(rkt, skopeo_archive, tmp_path):
    out, lay = skopeo_archive
    key = fetch(rkt, f"docker-archive:{out}")
    m = manifest(rkt, key)
    assert m["name"] == "example.com/test/app"
    assert labels(m) == {"version": "v1", "os": "linux", "arch": "amd64"}
    assert m["app"]["exec"] == ["/bin/echo", "ep", "c1", "c2"]
    assert m["app"]["user"] == "web" and m["app"]["group"] == "1001"
    assert [p["name"] for p in m["app"]["ports"]] == ["53-udp", "6379-tcp"]
    a = annotations(m)
    assert a["appc.io/docker/originalname"] == f"docker-archive:{out}"
    assert a["appc.io/docker/repository"] == "test/app"
    # the same squash and manifest mapping as an OCI layout of the same image
    oci = fetch(rkt, f"oci:{lay.path}:v1")
    om = manifest(rkt, oci)
    assert om["app"] == m["app"]
    assert files(rootfs(rkt, key, tmp_path / "a")) == files(rootfs(rkt, oci, tmp_path / "b"))
    # the same archive again is the same image, stored once, and not converted again
    again = rkt.ok("--debug", "--insecure-options=image", "fetch", "--full",
                   f"docker-archive:{out}")
    assert again.out.strip() == key and "already converted" in again.err, again
    assert len(list_json(rkt)) == 2
    again = rkt.ok("--debug", "--insecure-options=image", "fetch", "--full", f"oci:{lay.path}:v1")
    assert again.out.strip() == oci and "already converted" in again.err, again
    # by tag: the same image (originalname records the reference as typed)
    tagged = manifest(rkt, fetch(rkt, f"docker-archive:{out}:example.com/test/app:v1"))
    assert tagged["name"] == m["name"] and tagged["app"] == m["app"]
    assert not list((rkt.cas / "tmp").glob("rkt-docker-*"))


def test_needs_insecure_image(rkt, skopeo_archive):
    r = rkt.fail("fetch", f"docker-archive:{skopeo_archive[0]}")
    assert "--insecure-options=image" in r.err


def test_run_and_prepare(rkt, skopeo_archive):
    ref = f"docker-archive:{skopeo_archive[0]}"
    try:
        r = rkt.ok(INSECURE, "run", "--net=host", ref, "--", "a1")
        assert "ep a1" in r.out
        r = rkt.ok(INSECURE, "prepare", ref)
        uuid = r.out.strip().splitlines()[-1]
        r = rkt.ok("run-prepared", "--net=host", uuid)
        assert "ep c1 c2" in r.out
    finally:
        rkt("gc", "--grace-period=0s")


@pytest.fixture
def multi(tmp_path):
    shared = D.layer_tar([("shared", "file", "shared layer")])
    one = [shared, D.layer_tar([("one", "file", "first")])]
    two = [shared, D.layer_tar([("two", "file", "second")])]
    three = [D.layer_tar([("three", "file", "untagged")])]
    p = tmp_path / "multi.tar"
    save_archive(p, [(one, {"Cmd": ["/one"]}, ["busybox:1", "example.com/x/one:latest"]),
                     (two, {"Cmd": ["/two"]}, ["busybox:2"]),
                     (three, {"Cmd": ["/three"]}, None)])
    return p


@pytest.mark.parametrize("ref,name,version,exe", [
    ("busybox:1", "registry-1.docker.io/library/busybox", "1", "/one"),
    ("docker.io/library/busybox:2", "registry-1.docker.io/library/busybox", "2", "/two"),
    ("example.com/x/one", "example.com/x/one", "latest", "/one"),
    ("@1", "registry-1.docker.io/library/busybox", "2", "/two"),
    ("@2", "multi", None, "/three"),
])
def test_multi_image_archive_ref(rkt, multi, tmp_path, ref, name, version, exe):
    key = fetch(rkt, f"docker-archive:{multi}:{ref}")
    m = manifest(rkt, key)
    assert m["name"] == name
    assert labels(m).get("version") == version
    assert m["app"]["exec"] == [exe]
    fs = rootfs(rkt, key, tmp_path / "fs")
    assert exe == "/three" or (fs / "shared").read_text() == "shared layer"
    assert (fs / exe[1:]).is_file()


@pytest.mark.parametrize("ref,why", [
    ("", "holds 3 images"),
    ("busybox:3", 'no image "busybox:3"'),
    ("@3", "no image @3"),
    ("@x", "no image @x"),
])
def test_multi_image_archive_errors(rkt, multi, ref, why):
    arg = f"docker-archive:{multi}" + (f":{ref}" if ref else "")
    r = rkt.fail(INSECURE, "fetch", arg)
    assert why in r.err
    if ref in ("", "busybox:3"):
        assert "busybox:1, example.com/x/one:latest, busybox:2, @2" in r.err
    assert_nothing_stored(rkt, r)


@pytest.mark.parametrize("compress", [None, "gzip"])
def test_gzipped_layers(rkt, tmp_path, compress):
    layers = [D.layer_tar([("a", "file", "A")]), D.layer_tar([("b", "file", "B")])]
    p = tmp_path / "gz.tar"
    save_archive(p, [(layers, {"Cmd": ["/a"]}, ["gz:v1"])], gzip_layers=True, compress=compress)
    key = fetch(rkt, f"docker-archive:{p}")
    fs = rootfs(rkt, key, tmp_path / "fs")
    assert (fs / "a").read_text() == "A" and (fs / "b").read_text() == "B"


@pytest.mark.parametrize("gzip_layers", [False, True])
def test_tampered_layer(rkt, tmp_path, gzip_layers):
    good = D.layer_tar([("a", "file", "good")])
    bad = D.layer_tar([("a", "file", "evil")])
    p = tmp_path / "t.tar"
    entries = save_archive(p, [([good], None, ["t:1"])], gzip_layers=gzip_layers)
    # rewrite with the same manifest and config, but another layer
    with tarfile.open(p) as t:
        members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
    with tarfile.open(p, "w") as t:
        for m, data in members:
            if m.name == entries[0]["Layers"][0]:
                data = D.gz(bad) if gzip_layers else bad
                m.size = len(data)
            t.addfile(m, io.BytesIO(data) if data is not None else None)
    r = rkt.fail(INSECURE, "fetch", f"docker-archive:{p}")
    assert "does not match its diff_id" in r.err
    assert_nothing_stored(rkt, r)


def test_tampered_config(rkt, tmp_path):
    layer = D.layer_tar([("a", "file", "a")])
    p = tmp_path / "c.tar"
    buf = io.BytesIO()
    cfg = image_config([layer])
    with tarfile.open(fileobj=buf, mode="w") as t:
        add(t, D.sha256(cfg)[7:] + ".json", cfg.replace(b"amd64", b"arm64"))
        add(t, "l.tar", layer)
        add(t, "manifest.json", json.dumps([{"Config": D.sha256(cfg)[7:] + ".json",
                                              "RepoTags": ["c:1"], "Layers": ["l.tar"]}]).encode())
    p.write_bytes(buf.getvalue())
    r = rkt.fail(INSECURE, "fetch", f"docker-archive:{p}")
    assert "does not match its digest" in r.err
    assert_nothing_stored(rkt, r)


@pytest.fixture
def victim(tmp_path):
    d = tmp_path / "victim"
    d.mkdir()
    return d


def test_hostile_member_names_are_never_written(rkt, tmp_path, victim):
    """Members named outside the archive are ignored; nothing lands outside the store."""
    layer = D.layer_tar([("a", "file", "a")])
    rel = os.path.relpath(victim, tmp_path)
    extra = [(f"../{rel}/evil", b"evil"), (f"{victim}/abs", b"abs"),
             (f"x/../../{rel}/dots", b"dots"),
             ("link", None, tarfile.SYMTYPE, str(victim)),
             ("link/through", b"through")]
    p = tmp_path / "h.tar"
    save_archive(p, [([layer], {"Cmd": ["/a"]}, ["h:1"])], extra=extra)
    r = rkt.ok(INSECURE, "fetch", f"docker-archive:{p}", cwd=tmp_path)
    key = r.out.strip()
    assert key.startswith("sha512-")
    assert list(victim.iterdir()) == []
    assert not (tmp_path / "link").exists() and not (tmp_path / "evil").exists()


@pytest.mark.parametrize("layer_name,link", [
    ("../outside.tar", None),
    ("/etc/passwd", None),
    ("a/../../b.tar", None),
    ("escape/layer.tar", "../../../../etc/passwd"),
    ("loop/layer.tar", "layer.tar"),
])
def test_hostile_references(rkt, tmp_path, victim, layer_name, link):
    layer = D.layer_tar([("a", "file", "a")])
    cfg = image_config([layer])
    extra = [(D.sha256(cfg)[7:] + ".json", cfg)]
    if link:
        extra.append((layer_name, None, tarfile.SYMTYPE, link))
    p = tmp_path / "r.tar"
    save_archive(p, [], extra=extra, manifest=[
        {"Config": D.sha256(cfg)[7:] + ".json", "RepoTags": ["r:1"], "Layers": [layer_name]}])
    r = rkt.fail(INSECURE, "fetch", f"docker-archive:{p}", cwd=victim)
    assert "unsafe layer name" in r.err or "is missing" in r.err
    assert_nothing_stored(rkt, r)
    assert list(victim.iterdir()) == []


@pytest.mark.parametrize("content,why", [
    (b"not a tar at all", "not a tar archive"),
    (None, "no manifest.json"),
    (b"[]", "not a list of images"),
    (b'[{"Config": "c.json"}]', "no Config or Layers"),
    (b'[{"Config": "c.json", "Layers": []}]', "c.json is missing"),
])
def test_broken_archives(rkt, tmp_path, content, why):
    p = tmp_path / "b.tar"
    if content == b"not a tar at all":
        p.write_bytes(content)
    else:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            add(t, "x", b"x")
            if content is not None:
                add(t, "manifest.json", content)
        p.write_bytes(buf.getvalue())
    r = rkt.fail(INSECURE, "fetch", f"docker-archive:{p}")
    assert why in r.err
    assert_nothing_stored(rkt, r)


def test_missing_archive(rkt, tmp_path):
    r = rkt.fail(INSECURE, "fetch", f"docker-archive:{tmp_path}/nope.tar")
    assert "cannot open the archive" in r.err
    assert_nothing_stored(rkt, r)


def test_docker25_archive_with_oci_blobs(rkt, tmp_path):
    """Docker 25+ saves an OCI layout inside the tar; its manifest.json names blobs."""
    layers = [D.layer_tar([("a", "file", "A")]), D.layer_tar([("b", "file", "B")])]
    cfg = image_config(layers, {"Cmd": ["/a"]})
    extra = [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
             ("blobs", None, tarfile.DIRTYPE), ("blobs/sha256", None, tarfile.DIRTYPE),
             (f"blobs/sha256/{D.sha256(cfg)[7:]}", cfg)]
    extra += [(f"blobs/sha256/{D.sha256(l)[7:]}", l) for l in layers]
    p = tmp_path / "d25.tar"
    save_archive(p, [], extra=extra, manifest=[
        {"Config": f"blobs/sha256/{D.sha256(cfg)[7:]}", "RepoTags": ["d25:latest"],
         "Layers": [f"blobs/sha256/{D.sha256(l)[7:]}" for l in layers]}])
    key = fetch(rkt, f"docker-archive:{p}:d25")
    m = manifest(rkt, key)
    assert m["name"] == "registry-1.docker.io/library/d25" and labels(m)["version"] == "latest"
    fs = rootfs(rkt, key, tmp_path / "fs")
    assert (fs / "a").read_text() == "A" and (fs / "b").read_text() == "B"
