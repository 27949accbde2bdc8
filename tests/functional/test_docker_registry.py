# SPDX-License-Identifier: Apache-2.0
"""docker:// against a real registry (Debian's docker-registry on 127.0.0.1, images pushed
with skopeo in OCI and Docker v2s2 form): fetch, conversion rules, cache, run (SPEC.md §5.7,
DOCKER.md §1)."""
import json
import subprocess

import pytest

import dockerutil as D
import imageutil
from storeutil import list_json

INSECURE = "--insecure-options=image,http"

PASSWD = "root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1001::/home/web:/bin/sh\n"


def base_layer():
    bb = imageutil.busybox_bytes()
    entries = [("bin", "dir"), ("bin/busybox", "file", bb, {"mode": 0o755})]
    for applet in ("sh", "echo", "cat", "ls"):
        entries.append((f"bin/{applet}", "symlink", "busybox"))
    entries += [("etc", "dir"), ("etc/passwd", "file", PASSWD),
                ("opq", "dir"), ("opq/lower", "file", "lower"),
                ("gone.txt", "file", "gone"), ("gonedir", "dir"), ("gonedir/x", "file", "x"),
                ("keep", "dir"), ("keep/target", "file", "shared content"),
                ("masked-target", "file", "masked content")]
    return D.layer_tar(entries)


def top_layer():
    return D.layer_tar([
        ("opq", "dir"), ("opq/.wh..wh..opq", "file", ""), ("opq/upper", "file", "upper"),
        (".wh.gone.txt", "file", ""), (".wh.gonedir", "file", ""),
        ("keep/link", "hardlink", "keep/target"),
        ("survivor", "hardlink", "masked-target"), ("also", "hardlink", "masked-target"),
        (".wh.masked-target", "file", ""),
        ("same", "file", "recreated"), (".wh.same", "file", ""),
        ("rel", "symlink", "keep/target"),
    ])


CONFIG = {"Entrypoint": ["echo", "ep"], "Cmd": ["c1", "c2"],
          "Env": ["PATH=/usr/bin:/bin", "GREETING=hello=world", "NOEQUALS"],
          "WorkingDir": "/keep", "User": "web",
          "ExposedPorts": {"6379/tcp": {}, "53/udp": {}},
          "Volumes": {"/data": {}, "/var/lib/x": {}},
          "Labels": {"org.example.title": "test image"}, "StopSignal": "SIGQUIT"}


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    work = tmp_path_factory.mktemp("registry")
    reg = D.Registry(work / "reg")
    lay = D.Layout(work / "layout")
    img = lay.image([base_layer(), top_layer()], config=CONFIG)
    lay.tag(img, "v1")
    other = lay.image([D.layer_tar([("arm", "file", "arm64 image")])], arch="arm64")
    amd = lay.image([D.layer_tar([("amd", "file", "amd64 image")])], arch="amd64")
    lay.tag(lay.multi([other, amd]), "multi")
    plain = lay.image([base_layer()], config={"Cmd": ["/bin/echo", "plain"]}, compress=False)
    lay.tag(plain, "plain")
    reg.push(lay, "v1", "test/oci")
    reg.push(lay, "v1", "test/v2s2", fmt="v2s2")
    reg.push_all(lay, "multi", "test/multi")
    reg.push(lay, "plain", "test/plain")
    reg.img_digest = img["digest"]
    yield reg
    reg.stop()


def fetch(rkt, ref, *flags):
    r = rkt.ok(INSECURE, "fetch", "--full", *flags, ref)
    return r.out.strip()


def manifest(rkt, key):
    return json.loads(rkt.ok("image", "cat-manifest", key).out)


def annotations(m):
    return {a["name"]: a["value"] for a in m.get("annotations", [])}


def labels(m):
    return {a["name"]: a["value"] for a in m.get("labels", [])}


def rootfs(rkt, key, tmp_path):
    out = tmp_path / "rootfs"
    tmp_path.mkdir(parents=True, exist_ok=True)
    rkt.ok("image", "extract", "--rootfs-only", key, out)
    return out


@pytest.mark.parametrize("repo", ["test/oci", "test/v2s2"])
def test_fetch_converts_manifest(rkt, registry, repo):
    key = fetch(rkt, f"docker://{registry.host}/{repo}:v1")
    assert key.startswith("sha512-") and len(key) == 71
    m = manifest(rkt, key)
    assert m["name"] == f"127.0.0.1-{registry.port}/{repo}"
    assert labels(m) == {"version": "v1", "os": "linux", "arch": "amd64"}
    app = m["app"]
    assert app["exec"] == ["/bin/echo", "ep", "c1", "c2"]
    assert app["user"] == "web" and app["group"] == "1001"
    assert app["workingDirectory"] == "/keep"
    assert app["environment"] == [{"name": "PATH", "value": "/usr/bin:/bin"},
                                  {"name": "GREETING", "value": "hello=world"}]
    assert [p["name"] for p in app["ports"]] == ["53-udp", "6379-tcp"]
    assert app["ports"][1] == {"name": "6379-tcp", "protocol": "tcp", "port": 6379,
                               "count": 1, "socketActivated": False}
    assert [(v["name"], v["path"]) for v in app["mountPoints"]] == [
        ("volume-data", "/data"), ("volume-var-lib-x", "/var/lib/x")]
    assert app["userLabels"] == {"org.example.title": "test image"}
    a = annotations(m)
    assert a["appc.io/docker/repository"] == repo
    assert a["appc.io/docker/registryurl"] == registry.host
    assert a["appc.io/docker/originalname"] == f"{registry.host}/{repo}:v1"
    assert json.loads(a["appc.io/docker/entrypoint"]) == ["echo", "ep"]
    assert json.loads(a["appc.io/docker/cmd"]) == ["c1", "c2"]
    assert a["appc.io/docker/stopsignal"] == "SIGQUIT"
    assert a["appc.io/docker/manifesthash"].startswith("sha256:")
    assert a["created"] == "2020-01-02T03:04:05Z"


def test_layers_squash_with_whiteouts_opaque_and_hardlinks(rkt, registry, tmp_path):
    key = fetch(rkt, f"docker://{registry.host}/test/oci:v1")
    fs = rootfs(rkt, key, tmp_path)
    assert sorted(p.name for p in (fs / "opq").iterdir()) == ["upper"]
    assert not (fs / "gone.txt").exists() and not (fs / "gonedir").exists()
    assert (fs / "same").read_text() == "recreated"  # a whiteout hides lower layers only
    assert (fs / "keep/link").read_text() == "shared content"
    assert (fs / "keep/link").stat().st_ino == (fs / "keep/target").stat().st_ino
    assert not (fs / "masked-target").exists()
    assert (fs / "survivor").read_text() == "masked content"
    assert (fs / "survivor").stat().st_ino == (fs / "also").stat().st_ino
    assert (fs / "rel").is_symlink() and str((fs / "rel").readlink()) == "keep/target"
    assert (fs / "bin/sh").is_symlink()
    assert str((fs / "dev/stdin").readlink()) == "/proc/self/fd/0"


def test_oci_and_v2s2_give_same_rootfs(rkt, registry, tmp_path):
    a = fetch(rkt, f"docker://{registry.host}/test/oci:v1")
    b = fetch(rkt, f"docker://{registry.host}/test/v2s2:v1")
    ra = rootfs(rkt, a, tmp_path / "a")
    rb = rootfs(rkt, b, tmp_path / "b")
    fa = sorted(str(p.relative_to(ra)) for p in ra.rglob("*"))
    fb = sorted(str(p.relative_to(rb)) for p in rb.rglob("*"))
    assert fa == fb


def test_uncompressed_oci_layer(rkt, registry):
    key = fetch(rkt, f"docker://{registry.host}/test/plain:plain")
    assert manifest(rkt, key)["app"]["exec"] == ["/bin/echo", "plain"]


def test_index_picks_linux_amd64(rkt, registry, tmp_path):
    key = fetch(rkt, f"docker://{registry.host}/test/multi:multi")
    fs = rootfs(rkt, key, tmp_path)
    assert (fs / "amd").read_text() == "amd64 image"
    assert not (fs / "arm").exists()
    assert labels(manifest(rkt, key))["arch"] == "amd64"


def test_digest_reference(rkt, registry):
    ref = f"docker://{registry.host}/test/oci@{registry.img_digest}"
    key = fetch(rkt, ref)
    m = manifest(rkt, key)
    assert "version" not in labels(m)
    assert annotations(m)["appc.io/docker/manifesthash"] == registry.img_digest


def test_same_image_twice_is_stored_once_without_download(rkt, registry):
    ref = f"docker://{registry.host}/test/oci:v1"
    a = fetch(rkt, ref)
    r = rkt.ok(INSECURE, "--debug", "fetch", "--full", ref)
    assert r.out.strip() == a
    assert "already converted" in r.err
    assert "/blobs/" not in r.err
    assert len(list_json(rkt)) == 1
    assert not list((rkt.cas / "tmp").glob("rkt-docker-*"))


def test_pull_policy_new_and_never_use_the_store(rkt, registry):
    ref = f"docker://{registry.host}/test/oci:v1"
    a = fetch(rkt, ref)
    r = rkt.ok(INSECURE, "--debug", "fetch", "--full", "--pull-policy=new", ref)
    assert r.out.strip() == a and "GET " not in r.err
    assert "using image from local store for url" in r.err
    r = rkt.ok(INSECURE, "fetch", "--full", "--pull-policy=never", ref)
    assert r.out.strip() == a
    other = f"docker://{registry.host}/test/v2s2:v1"
    r = rkt.fail(INSECURE, "fetch", "--pull-policy=never", other)
    assert "unable to fetch docker image from URL" in r.err


def test_needs_insecure_image(rkt, registry):
    r = rkt.fail("--insecure-options=http", "fetch", f"docker://{registry.host}/test/oci:v1")
    assert ("signature verification for docker images is not supported "
            "(try --insecure-options=image)") in r.err
    assert list_json(rkt) == []


def test_plain_http_needs_insecure_http(rkt, registry):
    r = rkt.fail("--insecure-options=image", "fetch", f"docker://{registry.host}/test/oci:v1")
    assert "unable to fetch docker image" in r.err
    assert list_json(rkt) == []


@pytest.mark.parametrize("ref,why", [
    ("test/missing:v1", "not found"),
    ("test/oci:nope", "not found"),
    ("test/oci@sha256:" + "0" * 64, "not found"),
])
def test_missing_images(rkt, registry, ref, why):
    r = rkt.fail(INSECURE, "fetch", f"docker://{registry.host}/{ref}")
    assert why in r.err and len(r.err.strip().splitlines()) == 1
    assert list_json(rkt) == []


@pytest.mark.parametrize("ref", ["docker://Upper/Case", "docker://a/b:bad:tag",
                                 "docker://x@sha256:123"])
def test_invalid_references(rkt, ref):
    r = rkt.fail(INSECURE, "fetch", ref)
    assert "invalid docker reference" in r.err


def test_run_converted_image(rkt, registry):
    try:
        run_converted_image(rkt, registry)
    finally:
        rkt("gc", "--grace-period=0s")


def run_converted_image(rkt, registry):
    ref = f"docker://{registry.host}/test/oci:v1"
    r = rkt.ok(INSECURE, "run", "--net=host", ref)
    assert "ep c1 c2" in r.out
    # arguments replace Cmd and keep the Entrypoint (DOCKER.md §1.6)
    r = rkt.ok(INSECURE, "run", "--net=host", ref, "--", "a1", "a2")
    assert "ep a1 a2" in r.out and "c1" not in r.out
    # --exec replaces the whole command
    r = rkt.ok(INSECURE, "run", "--net=host", ref, "--exec=/bin/echo", "--", "only")
    assert "only" in r.out and "ep" not in r.out
    r = rkt.ok(INSECURE, "run", "--net=host", ref, "--exec=/bin/sh", "--", "-c", "id -u; id -g")
    assert r.out.split()[-2:] == ["1000", "1001"]


def test_oci_layout_directory(rkt, tmp_path):
    lay = D.Layout(tmp_path / "My_Layout")
    lay.tag(lay.image([base_layer(), top_layer()], config=CONFIG), "v1")
    lay.tag(lay.image([D.layer_tar([("other", "file", "x")])], config={"Cmd": ["/other"]}),
            "v2")
    key = fetch(rkt, f"oci:{lay.path}:v1")
    m = manifest(rkt, key)
    assert m["name"] == "my_layout"
    assert labels(m)["version"] == "v1"
    assert m["app"]["exec"] == ["/bin/echo", "ep", "c1", "c2"]
    fs = rootfs(rkt, key, tmp_path / "x")
    assert sorted(p.name for p in (fs / "opq").iterdir()) == ["upper"]
    r = rkt.fail(INSECURE, "fetch", f"oci:{lay.path}")
    assert "several images" in r.err
    r = rkt.fail(INSECURE, "fetch", f"oci:{lay.path}:v3")
    assert "no image" in r.err
    # a blob that does not match its digest is refused
    layer = json.loads((lay.path / "blobs/sha256" / lay.index["manifests"][1]["digest"][7:])
                       .read_bytes())["layers"][0]
    p = lay.path / "blobs/sha256" / layer["digest"][7:]
    p.write_bytes(p.read_bytes() + b"x")
    r = rkt.fail(INSECURE, "fetch", f"oci:{lay.path}:v2")
    assert "digest mismatch" in r.err
    assert len(list_json(rkt)) == 1
