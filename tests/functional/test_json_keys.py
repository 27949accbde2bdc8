# SPDX-License-Identifier: Apache-2.0
"""JSON keys as rkt's Go code read them (issue "Close the host escapes", issue 18 item 4):
a key twice in an object, or two keys for the same field ("name" and "Name"), is refused
with one line naming the key, in image manifests, configuration files, Docker documents and
net.d files; a lone capitalised key ("Name", "Exec", "Data", ...) is read as its field, as
Go's encoding/json read it."""
import json

import pytest

import aci as A
import dockerutil as D
from nettest import netns, netpods, sh_img  # noqa: F401
from storeutil import list_json
from test_config import put
from test_docker_archive import image_config, save_archive

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"

GOOD_APP = '{"exec": ["/bin/true"], "user": "0", "group": "0"}'
HEAD = '"acKind": "ImageManifest", "acVersion": "0.8.11"'


def fetch_refused(rkt, path, *words):
    r = rkt(INSECURE, "fetch", path)
    assert r.code == 254, r
    assert len(r.err.splitlines()) == 1, r
    for w in words:
        assert w in r.err, (w, r)
    assert list_json(rkt) == []
    return r


@pytest.mark.parametrize("manifest,words", [
    ('{%s, "name": "example.com/a", "app": {"exec": ["/bin/true"], "user": "0", "group": "0",'
     ' "exec": ["/bin/sh", "-c", "evil"]}}' % HEAD, ('duplicate key "exec"',)),
    ('{%s, "name": "example.com/a", "Name": "example.com/b", "app": %s}' % (HEAD, GOOD_APP),
     ('duplicate key "Name"', '"name"')),
    ('{%s, "name": "example.com/a", "app": %s, "app": %s}' % (HEAD, GOOD_APP, GOOD_APP),
     ('duplicate key "app"',)),
    ('{%s, "name": "example.com/a", "labels": [{"name": "os", "value": "linux",'
     ' "VALUE": "darwin"}], "app": %s}' % (HEAD, GOOD_APP), ('duplicate key', '"VALUE"')),
], ids=["exec-twice", "name-and-Name", "app-twice", "label-value-and-VALUE"])
def test_manifest_with_two_keys_for_a_field_is_refused(rkt, mkaci, manifest, words):
    a = mkaci(manifest=manifest)
    fetch_refused(rkt, a.path, *words)


def test_manifest_with_capitalised_keys_is_read_as_go_read_it(rkt, mkaci):
    m = ('{"AcKind": "ImageManifest", "ACVersion": "0.8.11", "Name": "example.com/caps",'
         ' "Labels": [{"Name": "version", "Value": "1.0"}],'
         ' "App": {"Exec": ["/bin/true"], "User": "0", "Group": "0"}}')
    a = mkaci(manifest=m)
    rkt.fetch(a.path)
    (img,) = list_json(rkt)
    assert img["name"] == "example.com/caps:1.0"
    stored = json.loads(rkt.ok("image", "cat-manifest", a.key).out)
    assert stored["name"] == "example.com/caps"
    assert stored["app"]["exec"] == ["/bin/true"]


# --------------------------------------------------------------------------- configuration

def test_configuration_keys_are_matched_like_go(rkt):
    put(rkt.system, "paths.d", "p.json",
        '{"RktKind": "paths", "rktVersion": "v1", "Data": "/caps-data"}')
    put(rkt.system, "stage1.d", "s.json",
        '{"rktKind": "stage1", "rktVersion": "v1", "NAME": "example.com/s1",'
        ' "Version": "1"}')
    put(rkt.system, "auth.d", "a.json",
        '{"rktKind": "auth", "rktVersion": "v1", "Domains": ["x.example"], "Type": "basic",'
        ' "Credentials": {"User": "u", "password": "p"}}')
    out = json.loads(rkt.ok("config", "--pretty-print=false").out)["stage0"]
    byk = {e["rktKind"]: e for e in out}
    assert byk["paths"]["data"] == "/caps-data"
    assert byk["stage1"]["name"] == "example.com/s1" and byk["stage1"]["version"] == "1"
    assert byk["auth"]["domains"] == ["x.example"]
    assert list(byk["auth"]["credentials"].items()) == [("user", "u"), ("password", "p")]


@pytest.mark.parametrize("sub,text,key", [
    ("paths.d", '{"rktKind": "paths", "rktVersion": "v1", "data": "/a", "Data": "/b"}', "Data"),
    ("paths.d", '{"rktKind": "paths", "rktVersion": "v1", "data": "/a", "data": "/b"}', "data"),
    ("stage1.d", '{"rktKind": "stage1", "rktVersion": "v1", "name": "a", "version": "1",'
                 ' "NAME": "b"}', "NAME"),
    ("auth.d", '{"rktKind": "auth", "rktVersion": "v1", "domains": ["x"], "type": "basic",'
               ' "credentials": {"user": "u", "User": "v", "password": "p"}}', "User"),
    ("auth.d", '{"rktKind": "auth", "rktKind": "dockerAuth", "rktVersion": "v1"}', "rktKind"),
])
def test_configuration_with_two_keys_for_a_field_is_refused(rkt, sub, text, key):
    p = put(rkt.local, sub, "dup.json", text)
    r = rkt("config")
    assert r.code == 254, r
    assert len(r.err.splitlines()) == 1, r
    assert str(p) in r.err and f'duplicate key "{key}"' in r.err, r


# --------------------------------------------------------------------------- Docker

LAYER = D.layer_tar([("true", "file", "x", {"mode": 0o755})])


def raw_config(text):
    """An image configuration given as text, with the layer's diff_id filled in."""
    return text.replace("DIFF_ID", D.sha256(LAYER)).encode()


def archive_with_config(tmp_path, cfg_bytes, manifest_text=None):
    import io
    import tarfile
    from test_docker_archive import add
    buf = io.BytesIO()
    cfg_name = D.sha256(cfg_bytes)[7:] + ".json"
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        add(t, cfg_name, cfg_bytes)
        add(t, "l/layer.tar", LAYER)
        entries = manifest_text or json.dumps(
            [{"Config": cfg_name, "RepoTags": ["k:1"], "Layers": ["l/layer.tar"]}])
        add(t, "manifest.json", entries.replace("CFG", cfg_name).encode())
    p = tmp_path / "img.tar"
    p.write_bytes(buf.getvalue())
    return p


CONFIG_HEAD = '"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", ' \
              '"diff_ids": ["DIFF_ID"]}'


def test_docker_config_keys_are_matched_like_go(rkt, tmp_path):
    cfg = raw_config('{%s, "config": {"cmd": ["/true", "arg"], "labels": {"A": "1", "a": "2"}}}'
                     % CONFIG_HEAD)
    p = archive_with_config(tmp_path, cfg)
    key = rkt.ok(INSECURE, "fetch", "--full", f"docker-archive:{p}").out.strip()
    m = json.loads(rkt.ok("image", "cat-manifest", key).out)
    assert m["app"]["exec"] == ["/true", "arg"]
    # labels are a map: both keys are kept as they are
    assert m["app"]["userLabels"] == {"A": "1", "a": "2"}, m


@pytest.mark.parametrize("cfg,key", [
    ('{%s, "config": {"Cmd": ["/true"], "Cmd": ["/evil"]}}' % CONFIG_HEAD, "Cmd"),
    ('{%s, "config": {"Cmd": ["/true"], "cmd": ["/evil"]}}' % CONFIG_HEAD, "cmd"),
    ('{%s, "config": {"Entrypoint": ["/true"]}, "Config": {}}' % CONFIG_HEAD, "Config"),
])
def test_docker_config_with_two_keys_for_a_field_is_refused(rkt, tmp_path, cfg, key):
    p = archive_with_config(tmp_path, raw_config(cfg))
    r = rkt(INSECURE, "fetch", f"docker-archive:{p}")
    assert r.code == 254 and len(r.err.splitlines()) == 1, r
    assert f'duplicate key "{key}"' in r.err, r
    assert list_json(rkt) == []


def test_docker_save_manifest_with_two_keys_for_a_field_is_refused(rkt, tmp_path):
    cfg = raw_config('{%s, "config": {"Cmd": ["/true"]}}' % CONFIG_HEAD)
    p = archive_with_config(tmp_path, cfg, manifest_text=(
        '[{"Config": "CFG", "RepoTags": ["k:1"], "Layers": ["l/layer.tar"],'
        ' "layers": ["l/layer.tar", "l/layer.tar"]}]'))
    r = rkt(INSECURE, "fetch", f"docker-archive:{p}")
    assert r.code == 254 and 'duplicate key "layers"' in r.err, r


# --------------------------------------------------------------------------- net.d

def test_network_with_capitalised_keys(netpods, sh_img):
    """rkt's own network tests write "Name", "Type", "IpMasq", "Ipam": such a network
    works, is torn down by gc (teardown reads the pod's copy the same way), and its file
    reaches the plugin unchanged."""
    conf = ('{"cniVersion": "0.1.0", "Name": "caps", "Type": "ptp", "IpMasq": true,'
            ' "Ipam": {"Type": "host-local", "Subnet": "10.222.9.0/24",'
            ' "Routes": [{"Dst": "0.0.0.0/0"}]}}')
    path = netpods.write_net("10-caps", conf)
    r, uuid = netpods.run(sh_img.path, "--exec=/bin/sh", "--", "-c",
                          "ip -o -4 addr show eth0", net="caps")
    assert r.code == 0 and "inet 10.222.9." in r.out, r
    (copy,) = netpods.dir.glob(f"pods/*/{uuid}/net/10-caps.conf")
    assert copy.read_text() == conf
    assert path.read_text() == conf
    netpods.ok("gc", "--grace-period=0s")


def test_network_with_two_keys_for_a_field_is_refused(netpods, sh_img):
    netpods.write_net("10-dup", '{"cniVersion": "0.1.0", "name": "dup", "Name": "other",'
                                ' "type": "ptp"}')
    r, _ = netpods.run(sh_img.path, net="dup")
    assert r.code == 254, r
    assert "10-dup.conf" in r.err and 'duplicate key "Name"' in r.err, r
