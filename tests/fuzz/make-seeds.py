#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed inputs of every fuzz target into tests/fuzz/<target>/corpus/ (README.md):
the schema corpus of the unit tests, and archives, layers, manifests, command lines and
requests built with the functional tests' own helpers (tests/functional/aci.py,
dockerutil.py, mdsutil.py's manifests). Deterministic: running it again rewrites the same
files. Seeds are named "seed-*"; inputs that fuzzing added (scripts/fuzz.sh --merge) keep
libFuzzer's names and are left alone.

    /usr/bin/python3 tests/fuzz/make-seeds.py [TARGET...]
"""
import gzip
import io
import json
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "functional"))

import aci as A  # noqa: E402
import dockerutil as D  # noqa: E402

IMAGE_ID = "sha512-" + "0" * 64
DIGEST = "sha256:" + "a" * 64
UUID = "01234567-89ab-cdef-0123-456789abcdef"


def dumps(v) -> bytes:
    return json.dumps(v, separators=(",", ":")).encode()


def members(data: bytes):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return [(m.get_info(), t.extractfile(m).read() if m.isreg() else None) for m in t]


def trim(tar: bytes) -> bytes:
    """The tar without the zero blocks that pad it to a 10 KiB record: its two end blocks
    are enough (kept as it is when that would change a member)."""
    end = len(tar)
    while end >= 512 and tar[end - 512:end] == bytes(512):
        end -= 512
    short = tar[:end] + bytes(1024)
    try:
        return short if members(short) == members(tar) else tar
    except tarfile.TarError:
        return tar


# --------------------------------------------------------------------------- ACIs

def aci_seeds():
    m = A.default_manifest("example.com/seed")
    raw = A.Raw
    out = {
        "sample": A.build_tar(m, {**A.sample_files(), "srv/data": A.File(bytes(range(256)))}),
        "minimal": A.build_tar(m, {}),
        "manifest-last": A.build_tar(m, {"a": "x", "b": A.Dir()}, manifest_position="last"),
        "dot-prefix": A.build_tar(m, {"d/f": "x"}, name_prefix="./"),
        "special": A.build_tar(m, {"dev/null": A.CharDev(1, 3), "dev/sda": A.BlockDev(8, 0),
                                   "run/fifo": A.Fifo()}),
        "sparse": A.build_tar(m, {"big": A.Sparse(300000, ((0, b"head"), (200000, b"mid")))}),
        "xattrs": A.build_tar(m, {"f": A.File(b"x", xattrs={"user.k": b"v",
                                                             "trusted.x": b"y"}),
                                  "d": A.Dir(xattrs={"security.capability": b"\x01"})}),
        "symlink-dir": A.build_tar(m, {"var/run": A.Symlink("/run"), "run": A.Dir()},
                                   extra_members=[raw("rootfs/var/run/x", data=b"x")]),
        "symlink-loop": A.build_tar(m, {"a": A.Symlink("b"), "b": A.Symlink("a")},
                                    extra_members=[raw("rootfs/a/x", data=b"x")]),
        "hardlinks": A.build_tar(m, {"f": "data", "h1": A.Hardlink("f"),
                                     "h2": A.Hardlink("/f", raw=True)}),
        "hardlink-outside": A.build_tar(m, {"f": "x"},
                                        extra_members=[raw("rootfs/h", tarfile.LNKTYPE,
                                                           linkname="../etc/passwd")]),
        "dotdot": A.build_tar(m, {}, extra_members=[raw("rootfs/../evil", data=b"x")]),
        "absolute": A.build_tar(m, {}, extra_members=[raw("/rootfs/abs", data=b"x")]),
        "duplicate": A.build_tar(m, {"f": "x"}, extra_members=[raw("rootfs/f", data=b"y")]),
        "no-manifest": A.build_tar(None, {"f": "x"}),
        "manifest-dir": A.build_tar(None, {}, extra_members=[raw("manifest", tarfile.DIRTYPE)]),
        "rootfs-file": A.build_tar(m, {}, rootfs_entry=False,
                                   extra_members=[raw("rootfs", data=b"x")]),
        "empty-symlink": A.build_tar(m, {}, extra_members=[raw("rootfs/l", tarfile.SYMTYPE)]),
        "size-beyond-data": A.build_tar(m, {}, extra_members=[raw("rootfs/f", data=b"x",
                                                                  size=4096)]),
        "long-name": A.build_tar(m, {"d" * 90 + "/" + "e" * 90 + "/f": "x"}),
        "others": A.build_tar(m, {}, extra_members=[raw("other/x", data=b"x"),
                                                    raw("other/h", tarfile.LNKTYPE,
                                                        linkname="other/x")]),
    }
    gnu = bytearray()
    for ti, data in [(A._info("manifest", tarfile.REGTYPE, size=len(A.manifest_bytes(m))),
                      A.manifest_bytes(m)),
                     (A._info("rootfs", tarfile.DIRTYPE, 0o755), b""),
                     (A._info("rootfs/" + "n" * 150, tarfile.REGTYPE, size=1), b"x")]:
        gnu += ti.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
        gnu += data + b"\0" * ((-len(data)) % 512)
    out["gnu-format"] = bytes(gnu) + b"\0" * 1024
    return out


# --------------------------------------------------------------------------- manifests

def schema_seeds(prefix):
    out = {}
    for d in ("valid", "invalid"):
        for p in sorted((ROOT / "tests/unit/corpus/schema" / d).glob(prefix + "-*")):
            out[f"{d}-{p.stem}"] = p.read_bytes()
    return out


# --------------------------------------------------------------------------- names

NAMES = [
    "example.com/app", "example.com/app:1.0.0", "example.com/app:v1,os=linux,arch=amd64",
    "coreos.com/etcd:v3.1.7,arch=arm64", "a", "a-b_c.d~e/f", "A", "a//b", "name,version=1",
    "x:1,version=2", "x,label", "x,a=b=c", "", ":1", "sha512-" + "0" * 64, "sha512-ab",
    "1.0.0", "1.0.0-rc.1+build.5", "01.002.0003", "0.0.0", "v1.0.0",
    "2016-01-02T15:04:05Z", "2016-01-02T15:04:05.999+01:00", "http://example.com/a.aci",
    "https://example.com/x", "file:///tmp/a.aci", "./local.aci", "/abs/path.aci",
    "docker://busybox", "docker://quay.io/coreos/etcd:v3.1.7",
    "docker://localhost:5000/a/b@" + DIGEST, "docker:library/nginx:1.25", "docker-archive:/x.tar",
    "docker-archive:/x.tar:example.com/a:v1", "oci:/layout:v1", "docker://registry-1.docker.io/x",
    "docker://index.docker.io/a/b:latest", "docker://A/b", "docker://x:tag:tag",
    "500m", "1.5Gi", "16Mi", "1e3", "-2", "+1.5E-2", "CAP_SYS_ADMIN", "CAP_NET_RAW", "16G",
    "./a//b/./c", "a/../b", "/abs/./x/", ".", "./", "rootfs/", "\u00e9t\u00e9/x",
]


# --------------------------------------------------------------------------- Docker

def docker_manifest_seeds():
    layer = {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
             "digest": DIGEST, "size": 32}
    docker = {"schemaVersion": 2,
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                         "digest": DIGEST, "size": 100}, "layers": [layer, layer]}
    oci = {"schemaVersion": 2, "config": {"mediaType": D.OCI_CONFIG, "digest": DIGEST,
                                          "size": 1},
           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd",
                       "digest": DIGEST, "size": 1, "urls": ["http://x"],
                       "annotations": {"a": "b"}}]}

    def entry(arch, variant=None, os_="linux"):
        p = {"architecture": arch, "os": os_}
        if variant:
            p["variant"] = variant
        return {"mediaType": D.OCI_MANIFEST, "digest": DIGEST, "size": 10, "platform": p}

    index = {"schemaVersion": 2, "manifests": [entry("arm64"), entry("arm", "v7"),
                                               entry("amd64", os_="windows"), entry("amd64")]}
    docker_list = dict(index, mediaType="application/vnd.docker.distribution.manifest.list.v2+json")
    return {"docker-v2": b"\x01" + dumps(docker), "docker-v2-untyped": b"\x00" + dumps(docker),
            "oci": b"\x03" + dumps(oci), "oci-untyped": b"\x05" + dumps(oci),
            "oci-index": b"\x04" + dumps(index), "index-untyped": b"\x00" + dumps(index),
            "docker-list": b"\x02" + dumps(docker_list),
            "capitalised-keys": b"\x00" + dumps({"SchemaVersion": 2, "Layers": [],
                                                 "Config": docker["config"]}),
            "duplicate-key": b"\x00" + b'{"layers":[],"layers":[]}',
            "bad-digest": b"\x01" + dumps(dict(docker, config=dict(docker["config"],
                                                                   digest="sha256:x")))}


def docker_config_seeds():
    full = {"architecture": "arm", "variant": "v7", "os": "linux",
            "created": "2020-01-02T03:04:05Z", "author": "someone",
            "config": {"User": "nobody:nogroup", "Env": ["PATH=/usr/bin:/bin", "A=b", "=x", "NOEQ"],
                       "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"],
                       "ExposedPorts": {"80/tcp": {}, "53/udp": {}, "8080": {}, "x/tcp": {},
                                        "70000/tcp": {}},
                       "Volumes": {"/data": {}, "/data/": {}, "rel": {}, "/a b": {}},
                       "WorkingDir": "/srv", "Labels": {"k": "v", "x": "y"},
                       "StopSignal": "SIGTERM"},
            "rootfs": {"type": "layers", "diff_ids": [DIGEST]}}
    return {"minimal": dumps({"Cmd": ["/hello"]}),
            "nested": dumps({"config": {"Cmd": ["/hello"]}}),
            "full": dumps(full),
            "relative-cmd": dumps({"config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]}}),
            "user-uid": dumps({"config": {"User": "1000", "Cmd": ["/x"]}}),
            "amd64": dumps({"architecture": "amd64", "os": "linux", "config": {}}),
            "windows": dumps({"architecture": "amd64", "os": "windows"}),
            "go-keys": dumps({"Config": {"cmd": ["/x"], "env": ["A=1"]}, "OS": "linux"}),
            "not-object": b"[1,2,3]"}


def docker_layer_seeds():
    L = D.layer_tar
    pax = {"SCHILY.xattr.user.k": "v", "SCHILY.xattr.security.capability": "\x01"}
    return {
        "files": L([("etc", "dir"), ("etc/passwd", "file", "root:x:0:0::/root:/bin/sh\n"),
                    ("bin/sh", "file", "#!"), ("bin/link", "symlink", "sh"),
                    ("bin/hard", "hardlink", "bin/sh"), ("run/fifo", "fifo")]),
        "whiteouts": L([("a", "dir"), ("a/x", "file", "x"), ("a/.wh.x", "file"),
                        ("b/.wh..wh..opq", "file"), ("b/y", "file", "y"), (".wh.c", "file")]),
        "bad-whiteouts": L([(".wh.", "file"), (".wh..", "file"), ("d/.wh...", "file")]),
        "symlink-dirs": L([("var/run", "symlink", "/run"), ("var/run/x", "file", "x"),
                           ("loop", "symlink", "loop"), ("loop/y", "file", "y")]),
        "hardlink-missing": L([("h", "hardlink", "nothing")]),
        "xattrs": L([("f", "file", "x", {"pax_headers": pax})]),
        "sparse": A.build_tar(None, {"big": A.Sparse(100000, ((0, b"a"), (50000, b"b")))},
                              rootfs_entry=False),
        "dotdot": L([("../x", "file", "x")]),
        "gzip": gzip.compress(L([("g", "file", "gz")]), mtime=0),
        "names": L([("./a//b/./c", "file", "c"), ("a/b/", "dir")]),
        "empty": b"",
        "owners": L([("o", "file", "o", {"uid": 1000, "gid": 2000, "mode": 0o4755})]),
    }


# --------------------------------------------------------------------------- run flags

RUN_LINES = [
    ["example.com/app"],
    ["--net=default", "--port=http:8080", "--volume=data,kind=host,source=/srv",
     "example.com/app:1.0", "--mount=volume=data,target=/data", "--", "-a", "b", "---",
     "example.com/b", "--name=b", "--memory=1G", "--cpu=500m"],
    ["--volume=v,kind=empty,mode=0700,uid=1,gid=2", "--volume=h,kind=host,source=/x,readOnly=true,"
     "recursive=false", "--mount", "volume=v,target=/v", "example.com/a", "--user=1000",
     "--group=1000", "--supplementary-gids=1,2", "--exec=/bin/sh", "--working-dir=/w",
     "--readonly-rootfs=true"],
    ["--net=none", "--dns=8.8.8.8", "--dns-search=example.com", "--dns-opt=ndots:1",
     "--dns-domain=d", "--hosts-entry=1.2.3.4=host", "--hostname=h", "example.com/a"],
    ["--dns=host", "--hosts-entry=host", "--net=default-restricted,n1:IP=10.0.0.5", "x"],
    ["--set-env=A=b", "--inherit-env", "example.com/a", "--environment=X=y",
     "--annotation=a=b", "--user-annotation=c=d", "--user-label=e=f", "--oom-score-adj=5",
     "--cpu-shares=1024", "--caps-retain=CAP_NET_ADMIN,CAP_CHOWN", "example.com/b",
     "--caps-remove=CAP_MKNOD", "--readonly-rootfs=false"],
    ["example.com/a", "--seccomp=mode=retain,errno=EPERM,@rkt/default-whitelist,chmod"],
    ["--port=dns:127.0.0.1:53", "--port=http:80", "--mds-register", "--ipc=private",
     "example.com/a", "example.com/b", "--name=b2"],
    ["--insecure-options=image,ondisk", "--dir=/tmp/x", "--debug", "--pull-policy=never",
     "--no-overlay", "--uuid-file-save=/tmp/u", "./image.aci", "docker://busybox",
     "sha512-" + "0" * 64, "https://example.com/a.aci"],
    ["--interactive", "--net=host", "example.com/a", "--", "---", "--signature=/s.asc"],
    ["--pod-manifest=/p.json"], ["--help"], ["-x"], ["--volume=x,kind=bogus", "a"],
]


# --------------------------------------------------------------------------- CNI

def cni_result_seeds():
    dns = {"nameservers": ["10.0.0.1", "fd00::1"], "search": ["a.example"],
           "options": ["ndots:2"], "domain": "example"}
    return {
        "v0.2.0": dumps({"cniVersion": "0.2.0", "ip4": {"ip": "172.16.28.5/24",
                                                        "gateway": "172.16.28.1",
                                                        "routes": [{"dst": "0.0.0.0/0"}]},
                         "dns": dns}),
        "v0.4.0": dumps({"cniVersion": "0.4.0",
                         "interfaces": [{"name": "veth0", "mac": "aa:bb:cc:dd:ee:ff"},
                                        {"name": "eth0", "sandbox": "/var/run/netns/x"}],
                         "ips": [{"version": "6", "address": "fd00::5/64", "interface": 1},
                                 {"version": "4", "address": "10.1.0.5/16",
                                  "gateway": "10.1.0.1", "interface": 1}],
                         "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}], "dns": dns}),
        "v1.0.0": dumps({"cniVersion": "1.0.0", "ips": [{"address": "10.2.0.5/24"}]}),
        "go-keys": dumps({"CniVersion": "0.3.1", "IPs": [{"Address": "10.3.0.2/8"}],
                          "DNS": {"Nameservers": ["1.1.1.1"]}}),
        "error": dumps({"code": 7, "msg": "failed", "details": "why"}),
        "duplicate": b'{"ips":[],"ips":[]}',
    }


def net_conf_seeds():
    ptp = {"cniVersion": "0.1.0", "name": "n1", "type": "ptp", "ipMasq": True,
           "ipam": {"type": "host-local", "subnet": "10.1.0.0/16"}}
    return {
        "ptp": b"\x00" + dumps(ptp),
        "overlap": b"\x00" + dumps(dict(ptp, ipam={"subnet": "172.16.0.0/12"})),
        "default-override": b"\x00" + dumps(dict(ptp, name="default")),
        "bridge": b"\x00" + dumps({"cniVersion": "0.3.1", "name": "br", "type": "bridge",
                                   "bridge": "br0", "isGateway": True,
                                   "ipam": {"type": "host-local",
                                            "ranges": [[{"subnet": "10.9.0.0/24"}],
                                                       [{"subnet": "172.16.28.128/25"}]]}}),
        "conflist": b"\x01" + dumps({"cniVersion": "0.4.0", "name": "chain", "plugins": [
            {"type": "bridge", "ipam": {"subnet": "10.8.0.0/24"}},
            {"type": "portmap", "capabilities": {"portMappings": True}, "ipMasq": True}]}),
        "go-keys": b"\x00" + dumps({"Name": "up", "Type": "ptp", "IPAM": {"Subnet": "1.0.0.0/0"}}),
        "bad-name": b"\x00" + dumps(dict(ptp, name="-bad/name")),
        "duplicate": b"\x00" + b'{"name":"a","name":"b","type":"ptp"}',
        "not-json": b"\x01not json",
    }


# --------------------------------------------------------------------------- MDS

def mds_seeds():
    pod = {"acVersion": "0.8.11", "acKind": "PodManifest",
           "apps": [{"name": "a", "image": {"name": "example.com/a", "id": IMAGE_ID},
                     "app": {"exec": ["/bin/true"], "user": "0", "group": "0"},
                     "annotations": [{"name": "k", "value": "pod"}]}],
           "annotations": [{"name": "p", "value": "q"}]}
    image = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/a",
             "annotations": [{"name": "k", "value": "img"}, {"name": "x", "value": "1"}]}

    def req(api, method, path, token="", ctype="", body=b""):
        return [api, method, path, token, ctype, body]

    register = [req("r", "PUT", f"/pods/{UUID}", "tok", "", dumps(pod)),
                req("r", "PUT", f"/pods/{UUID}/a", "", "", dumps(image))]
    base = "/tok/acMetadata/v1/"
    form = "application/x-www-form-urlencoded"
    gets = [req("p", "GET", base + p) for p in
            ("pod/manifest", "pod/uuid", "pod/annotations", "pod/annotations/p",
             "apps/a/image/manifest", "apps/a/image/id", "apps/a/annotations",
             "apps/a/annotations/k", "apps/b/image/id", "apps/a/annotations/Bad")]

    def encode(reqs):
        out = b""
        for r in reqs:
            out += b"\0".join(f.encode() if isinstance(f, str) else f for f in r) + b"\0"
        return out

    return {
        "register-and-read": encode(register + gets),
        "sign-verify": encode(register + [
            req("p", "POST", base + "pod/hmac/sign", "", form, b"content=Old+MacDonald%21"),
            req("p", "POST", base + "pod/hmac/verify", "", form + "; charset=utf-8",
                f"content=x&uuid={UUID}&signature=AAAA".encode()),
            req("p", "POST", base + "pod/hmac/sign", "", "text/plain", b"content=x")]),
        "unregister": encode(register + [req("r", "DELETE", f"/pods/{UUID}"),
                                         req("p", "GET", base + "pod/uuid"),
                                         req("r", "DELETE", f"/pods/{UUID}/a")]),
        "bad-requests": encode([req("r", "PUT", "/pods/xyz", "tok", "", dumps(pod)),
                                req("r", "PUT", f"/pods/{UUID}", "", "", dumps(pod)),
                                req("r", "PUT", f"/pods/{UUID}", "t/k", "", dumps(pod)),
                                req("r", "PUT", f"/pods/{UUID}", "tok", "", b"{"),
                                req("r", "POST", f"/pods/{UUID}"),
                                req("r", "PUT", f"/pods/{UUID}/a/b"),
                                req("p", "GET", "/x/acMetadata/v1/pod/uuid"),
                                req("p", "PUT", base + "pod/uuid"),
                                req("p", "GET", "//acMetadata/v1/")]),
        "reregister": encode(register + register + [
            req("r", "PUT", "/pods/" + UUID.replace("0", "1"), "tok", "", dumps(pod))]),
    }


# --------------------------------------------------------------------------- main

def seeds():
    return {
        "aci-walk": aci_seeds,
        "image-manifest": lambda: schema_seeds("image"),
        "pod-manifest": lambda: schema_seeds("pod"),
        "names": lambda: {f"{i:02d}": n.encode() for i, n in enumerate(NAMES)},
        "docker-manifest": docker_manifest_seeds,
        "docker-config": docker_config_seeds,
        "docker-layer": docker_layer_seeds,
        "run-flags": lambda: {f"{i:02d}": "\0".join(l).encode() for i, l in enumerate(RUN_LINES)},
        "cni-result": cni_result_seeds,
        "net-conf": net_conf_seeds,
        "mds": mds_seeds,
    }


def main(argv):
    table = seeds()
    for target in argv or sorted(table):
        d = HERE / target / "corpus"
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("seed-*"):
            old.unlink()
        for name, data in table[target]().items():
            if target in ("aci-walk", "docker-layer") and name != "gzip":
                data = trim(data)
            (d / f"seed-{name}").write_bytes(data)
        print(f"{target}: {len(list(d.glob('seed-*')))} seeds")


if __name__ == "__main__":
    main(sys.argv[1:])
