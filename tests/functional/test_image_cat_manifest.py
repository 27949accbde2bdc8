# SPDX-License-Identifier: Apache-2.0
"""`rkt image cat-manifest` (SPEC.md §3.17, §11.9): the stored manifest re-marshalled
exactly as Go's encoding/json would (field order, omitted empty fields, HTML escaping)."""
import json

import pytest

from storeutil import canonical_manifest, go_json

pytestmark = pytest.mark.offline

# Written with keys in a different order, extra whitespace and empty optional fields, so
# that echoing the file back cannot pass.
RICH_MANIFEST_TEXT = """{
  "pathWhitelist": [],
  "dependencies": [],
  "annotations": [
      {"value": "a<b & c>d", "name": "example.com/note"},
      {"name": "created", "value": "2017-07-14T02:40:00Z"}
  ],
  "app": {
      "workingDirectory": "/srv",
      "group": "100",
      "user": "1000",
      "environment": [{"value": "/bin:/usr/bin", "name": "PATH"}],
      "exec": ["/bin/tool", "--flag", "value with spaces"]
  },
  "labels": [
      {"value": "1.2.3", "name": "version"},
      {"value": "linux", "name": "os"},
      {"name": "arch", "value": "amd64"}
  ],
  "name":      "example.com/cat-me",
  "acVersion": "0.8.11",
  "acKind":    "ImageManifest"
}
"""


@pytest.fixture
def rich(rkt, mkaci):
    a = mkaci(manifest=RICH_MANIFEST_TEXT)
    rkt.fetch(a.path)
    return a


def expected():
    return canonical_manifest(json.loads(RICH_MANIFEST_TEXT))


@pytest.mark.parametrize("ref", ["key", "short19", "name", "name:version"])
def test_compact_equals_go_marshal(rkt, rich, ref):
    arg = {"key": rich.key, "short19": rich.short19, "name": "example.com/cat-me",
           "name:version": "example.com/cat-me:1.2.3"}[ref]
    r = rkt.ok("image", "cat-manifest", "--pretty-print=false", arg)
    want = go_json(expected()) + "\n"
    assert r.out == want
    assert "\\u003c" in r.out and "\\u0026" in r.out


def test_pretty_is_default(rkt, rich):
    r = rkt.ok("image", "cat-manifest", rich.key)
    assert r.out == go_json(expected(), pretty=True) + "\n"
    assert r.out.startswith('{\n\t"acKind": "ImageManifest",\n\t"acVersion": "0.8.11",\n')
    assert rkt.ok("image", "cat-manifest", "--pretty-print=true", rich.key).out == r.out
    assert rkt.ok("image", "cat-manifest", "--pretty-print", rich.key).out == r.out


def test_pretty_print_flag_before_subcommand(rkt, rich):
    r = rkt.ok("--pretty-print=false", "image", "cat-manifest", rich.key)
    assert r.out == go_json(expected()) + "\n"


def test_default_manifest_roundtrip(rkt, mkaci):
    a = mkaci("example.com/plain", "0.1")
    rkt.fetch(a.path)
    r = rkt.ok("image", "cat-manifest", "--pretty-print=false", "example.com/plain")
    assert r.out == go_json(canonical_manifest(a.manifest)) + "\n"
    assert r.out == ('{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/plain",'
                     '"labels":[{"name":"version","value":"0.1"},{"name":"os","value":"linux"},'
                     '{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0",'
                     '"group":"0"}}\n')


def test_dependencies_and_whitelist_are_kept(rkt, mkaci):
    base = mkaci("example.com/dep-base")
    rkt.fetch(base.path)
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/with-deps",
         "pathWhitelist": ["/hello.txt"],
         "dependencies": [{"labels": [{"value": "1.0.0", "name": "version"}],
                           "imageName": "example.com/dep-base"}]}
    a = mkaci(manifest=m)
    rkt.fetch(a.path, "--pull-policy=new")
    r = rkt.ok("image", "cat-manifest", "--pretty-print=false", a.key)
    assert r.out == ('{"acKind":"ImageManifest","acVersion":"0.8.11",'
                     '"name":"example.com/with-deps","dependencies":[{"imageName":'
                     '"example.com/dep-base","labels":[{"name":"version","value":"1.0.0"}]}],'
                     '"pathWhitelist":["/hello.txt"]}\n')


@pytest.mark.parametrize("bad", ["sha512-not-existed", "some~random~aci~name",
                                 "example.com/missing", "example.com/cat-me:9.9"])
def test_bad_refs(rkt, rich, bad):
    r = rkt.fail("image", "cat-manifest", bad)
    assert r.out == ""
    assert r.err.startswith("cat-manifest: ")


def test_needs_exactly_one_argument(rkt, rich):
    for argv in ([], [rich.key, rich.key]):
        r = rkt.fail("image", "cat-manifest", *argv)
        assert "acKind" not in r.out
