# SPDX-License-Identifier: Apache-2.0
"""`rkt config` and the configuration directories (SPEC.md §3.13, §10, §11.8)."""
import json

import pytest

from conftest import RKT_BIN
from storeutil import go_json, run_private_varlib

pytestmark = pytest.mark.offline


def put(d, sub, name, obj):
    p = d / sub / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj, indent=1))
    return p


def auth(domains, type_, creds, kind="auth"):
    return {"rktKind": kind, "rktVersion": "v1", "domains": domains, "type": type_,
            "credentials": creds}


@pytest.fixture
def configured(rkt):
    put(rkt.system, "auth.d", "basic.json",
        auth(["a.example", "b.example"], "basic", {"user": "sysuser", "password": "syspass"}))
    put(rkt.user, "auth.d", "oauth.json", auth(["b.example"], "oauth", {"token": "usertoken"}))
    put(rkt.local, "auth.d", "aws.json",
        auth(["s3.example"], "aws", {"accessKeyID": "AKID", "secretAccessKey": "SECRET",
                                     "awsRegion": "eu-west-1"}))
    put(rkt.local, "auth.d", "docker.json",
        {"rktKind": "dockerAuth", "rktVersion": "v1",
         "registries": ["quay.io", "registry.example:5000"],
         "credentials": {"user": "duser", "password": "dpass"}})
    # ignored: not *.json, and in a sub-directory
    put(rkt.local, "auth.d", "README", "this is not json")
    put(rkt.local, "auth.d", "sub/nested.json", "{broken")
    put(rkt.system, "paths.d", "paths.json",
        {"rktKind": "paths", "rktVersion": "v1", "data": "/sys-data",
         "stage1-images": "/sys-stage1"})
    put(rkt.user, "paths.d", "paths.json",
        {"rktKind": "paths", "rktVersion": "v1", "data": "/user-data"})
    put(rkt.system, "stage1.d", "s.json",
        {"rktKind": "stage1", "rktVersion": "v1", "name": "example.com/sys-stage1",
         "version": "1", "location": "/sys/stage1.aci"})
    put(rkt.local, "stage1.d", "s.json",
        {"rktKind": "stage1", "rktVersion": "v1", "name": "example.com/local-stage1",
         "version": "2"})
    put(rkt.user, "stage1.d", "s.json",
        {"rktKind": "stage1", "rktVersion": "v1", "location": "/user/stage1.aci"})
    return rkt


EXPECTED_AUTH = [
    {"rktVersion": "v1", "rktKind": "auth", "domains": ["a.example"], "type": "basic",
     "credentials": {"user": "sysuser", "password": "syspass"}},
    {"rktVersion": "v1", "rktKind": "auth", "domains": ["b.example"], "type": "oauth",
     "credentials": {"token": "usertoken"}},
    {"rktVersion": "v1", "rktKind": "auth", "domains": ["s3.example"], "type": "aws",
     "credentials": {"accessKeyID": "AKID", "secretAccessKey": "SECRET",
                     "awsRegion": "eu-west-1"}},
]
EXPECTED_DOCKER = [
    {"rktVersion": "v1", "rktKind": "dockerAuth", "registries": ["quay.io"],
     "credentials": {"user": "duser", "password": "dpass"}},
    {"rktVersion": "v1", "rktKind": "dockerAuth", "registries": ["registry.example:5000"],
     "credentials": {"user": "duser", "password": "dpass"}},
]
EXPECTED_PATHS = {"rktVersion": "v1", "rktKind": "paths", "data": "/user-data",
                  "stage1-images": "/sys-stage1"}
EXPECTED_STAGE1 = {"rktVersion": "v1", "rktKind": "stage1", "name": "example.com/local-stage1",
                   "version": "2", "location": "/user/stage1.aci"}


def keyed(entries):
    return sorted(entries, key=lambda e: json.dumps(e))


def check_config(out, pretty):
    data = json.loads(out)
    assert out == go_json(data, pretty=pretty) + "\n"
    assert list(data) == ["stage0"]
    s0 = data["stage0"]
    kinds = [e["rktKind"] for e in s0]
    assert kinds == ["auth"] * 3 + ["dockerAuth"] * 2 + ["paths", "stage1"], kinds
    # exact field order of every entry
    for got in s0:
        want = next(w for w in EXPECTED_AUTH + EXPECTED_DOCKER + [EXPECTED_PATHS,
                                                                   EXPECTED_STAGE1]
                    if w == got)
        assert list(got) == list(want)
        if "credentials" in got:
            assert list(got["credentials"]) == list(want["credentials"])
    assert keyed(s0[:3]) == keyed(EXPECTED_AUTH)
    assert keyed(s0[3:5]) == keyed(EXPECTED_DOCKER)
    assert s0[5] == EXPECTED_PATHS
    assert s0[6] == EXPECTED_STAGE1


def test_config_pretty(configured):
    r = configured.ok("config")
    check_config(r.out, pretty=True)
    assert r.out.startswith('{\n\t"stage0": [\n\t\t{\n')


@pytest.mark.parametrize("where", ["after", "before"])
def test_config_compact(configured, where):
    argv = ["config", "--pretty-print=false"] if where == "after" else \
        ["--pretty-print=false", "config"]
    r = configured.ok(*argv)
    check_config(r.out, pretty=False)
    assert "\n" not in r.out[:-1]


def test_config_with_debug_and_insecure_options(configured):
    r = configured.ok("--debug", "--insecure-options=image", "--pretty-print=false", "config")
    check_config(r.out, pretty=False)


def test_config_empty(rkt):
    r = rkt.ok("config", "--pretty-print=false")
    assert r.out == ('{"stage0":[{"rktVersion":"v1","rktKind":"paths","data":"",'
                     '"stage1-images":""},{"rktVersion":"v1","rktKind":"stage1","name":"",'
                     '"version":"","location":""}]}\n')


def test_local_overrides_system_per_domain(rkt):
    put(rkt.system, "auth.d", "a.json",
        auth(["one.example", "two.example"], "basic", {"user": "s", "password": "s"}))
    put(rkt.local, "auth.d", "a.json", auth(["two.example"], "basic",
                                            {"user": "l", "password": "l"}))
    s0 = json.loads(rkt.ok("config", "--pretty-print=false").out)["stage0"]
    users = {e["domains"][0]: e["credentials"]["user"] for e in s0 if e["rktKind"] == "auth"}
    assert users == {"one.example": "s", "two.example": "l"}


def test_symlinked_config_file_is_ignored(rkt, tmp_path):
    real = put(tmp_path, "elsewhere", "x.json",
               auth(["sym.example"], "oauth", {"token": "t"}))
    (rkt.local / "auth.d").mkdir()
    (rkt.local / "auth.d" / "x.json").symlink_to(real)
    s0 = json.loads(rkt.ok("config", "--pretty-print=false").out)["stage0"]
    assert [e["rktKind"] for e in s0] == ["paths", "stage1"]


BAD_CONFIGS = [
    ("auth.d", {"rktVersion": "v1", "domains": ["x"], "type": "oauth",
                "credentials": {"token": "t"}}, "no rktKind specified in"),
    ("auth.d", {"rktKind": "auth", "domains": ["x"], "type": "oauth",
                "credentials": {"token": "t"}}, "no rktVersion specified in"),
    ("auth.d", {"rktKind": "paths", "rktVersion": "v1", "data": "/x"},
     "expects to have configuration files of kinds"),
    ("auth.d", {"rktKind": "weird", "rktVersion": "v1"}, 'has kind of "weird"'),
    ("auth.d", {"rktKind": "auth", "rktVersion": "v2"},
     'no parser available for configuration of kind "auth"'),
    ("auth.d", '{"rktKind": "auth", ', ""),  # broken JSON: only the generic prefix is fixed
    ("auth.d", {"rktKind": "auth", "rktVersion": "v1", "domains": "x.example", "type": "oauth",
                "credentials": {"token": "t"}}, "failed to parse"),
    ("auth.d", {"rktKind": "auth", "rktVersion": "v1", "domains": ["x"], "type": "magic",
                "credentials": {}}, 'unknown auth type: "magic"'),
    ("auth.d", {"rktKind": "auth", "rktVersion": "v1", "domains": ["x"], "type": "basic",
                "credentials": {"user": "u"}}, "password not specified"),
    ("auth.d", {"rktKind": "auth", "rktVersion": "v1", "domains": [], "type": "oauth",
                "credentials": {"token": "t"}}, "no domains specified"),
    ("auth.d", {"rktKind": "dockerAuth", "rktVersion": "v1", "registries": [],
                "credentials": {"user": "u", "password": "p"}}, "no registries specified"),
    ("paths.d", {"rktKind": "paths", "rktVersion": "v1", "data": "relative/dir"},
     "data directory must be an absolute path"),
    ("stage1.d", {"rktKind": "stage1", "rktVersion": "v1", "location": "relative.aci"},
     "default stage1 image location is either a relative path or a URL without scheme"),
    ("stage1.d", {"rktKind": "stage1", "rktVersion": "v1", "location": "ftp://h/s1.aci"},
     'has invalid scheme "ftp"'),
    ("stage1.d", {"rktKind": "stage1", "rktVersion": "v1", "name": "example.com/s1"},
     "default stage1 image name specified, but version is missing"),
    ("stage1.d", {"rktKind": "stage1", "rktVersion": "v1", "version": "1"},
     "default stage1 image version specified, but name is missing"),
]


@pytest.mark.parametrize("sub,content,message", BAD_CONFIGS,
                         ids=[m[:40] or "broken-json" for _, _, m in BAD_CONFIGS])
def test_config_errors(rkt, sub, content, message):
    put(rkt.local, sub, "bad.json", content)
    r = rkt.fail("config")
    assert "cannot get configuration" in r.err
    assert message in r.err
    assert r.out == ""


def test_duplicate_domain_in_one_directory(rkt):
    put(rkt.local, "auth.d", "1.json", auth(["dup.example"], "oauth", {"token": "a"}))
    put(rkt.local, "auth.d", "2.json", auth(["dup.example"], "oauth", {"token": "b"}))
    r = rkt.fail("config")
    assert "cannot get configuration" in r.err
    assert 'auth for domain "dup.example" is already specified' in r.err


def test_duplicate_data_dir_in_one_directory(rkt):
    put(rkt.local, "paths.d", "1.json", {"rktKind": "paths", "rktVersion": "v1", "data": "/a"})
    put(rkt.local, "paths.d", "2.json", {"rktKind": "paths", "rktVersion": "v1", "data": "/b"})
    r = rkt.fail("config")
    assert "data directory is already specified" in r.err


def test_config_subdir_not_a_directory(rkt):
    (rkt.local / "auth.d").write_text("")
    r = rkt.fail("config")
    assert "cannot get configuration" in r.err
    assert f'expected "{rkt.local / "auth.d"}" to be a directory' in r.err


def test_paths_data_used_without_dir_flag(rkt, mkaci, tmp_path):
    data = tmp_path / "configured-data"
    put(rkt.local, "paths.d", "p.json", {"rktKind": "paths", "rktVersion": "v1",
                                         "data": str(data)})
    a = mkaci("example.com/paths")
    # /var/lib is a private empty tmpfs there: falling back to /var/lib/rkt is harmless
    r = run_private_varlib([RKT_BIN, f"--local-config={rkt.local}",
                            f"--system-config={rkt.system}", f"--user-config={rkt.user}",
                            "--insecure-options=image", "fetch", "--full", a.path])
    assert r.code == 0, r
    assert r.out == a.key + "\n"
    assert (data / "cas" / "blob" / "sha512" / a.key[7:9] / a.key).is_file()


def test_dir_flag_beats_paths_data(rkt, mkaci, tmp_path):
    data = tmp_path / "configured-data"
    put(rkt.local, "paths.d", "p.json", {"rktKind": "paths", "rktVersion": "v1",
                                         "data": str(data)})
    a = mkaci("example.com/paths")
    rkt.fetch(a.path)
    assert rkt.blob_path(a.key).is_file()
    assert not data.exists()


def test_fetch_fails_on_bad_config(rkt, mkaci):
    put(rkt.local, "auth.d", "bad.json", {"rktVersion": "v1"})
    a = mkaci("example.com/badcfg")
    r = rkt.fail("--insecure-options=image", "fetch", a.path)
    assert "cannot get configuration" in r.err
    assert not rkt.blob_path(a.key).exists()
