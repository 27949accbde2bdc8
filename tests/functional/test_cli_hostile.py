# SPDX-License-Identifier: Apache-2.0
"""What rkt prints from untrusted bytes (issue "Close the host escapes"): image names, labels
and manifests reach the terminal through `image list`, `list`, `status` and error messages;
control characters there must come out escaped (Go's %q style: \\x1b, \\a, \\n, \\u009b,
...), while JSON output stays exact."""
import json
import os
import stat
import subprocess

import pytest

import aci as A
from podutil import make_pod, pod_manifest

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"
# ESC ] title BEL, a newline and a TAB (new rows and cells), C1 CSI, a bidi override
HOSTILE = "1.0\x1b]0;owned\x07\n\tX\u009b2J\u202e"
ESCAPED = "1.0\\x1b]0;owned\\a\\n\\tX\\u009b2J\\u202e"
RAW_BAD = ["\x1b", "\x07", "\u009b", "\u202e"]


def assert_clean(text):
    for c in RAW_BAD:
        assert c not in text, (c, text)


def test_image_list_escapes_controls_and_json_stays_exact(rkt, mkaci):
    im = mkaci("example.com/esc", HOSTILE)
    rkt.fetch(im.path)
    out = rkt.ok("image", "list").out
    assert_clean(out)
    rows = out.splitlines()
    assert len(rows) == 2, out  # header and one image: the newline made no new row
    assert f"example.com/esc:{ESCAPED}\t" in rows[1], out
    assert len(rows[1].replace("\t\t", "\t").split("\t")) == 5, rows[1]
    out = rkt.ok("image", "list", "--no-legend", "--fields=name").out
    assert out == f"example.com/esc:{ESCAPED}\n"
    js = json.loads(rkt.ok("image", "list", "--format=json").out)
    assert js[0]["name"] == f"example.com/esc:{HOSTILE}"


def test_list_escapes_controls_and_json_stays_exact(rkt):
    p = make_pod(rkt.dir, "exited-garbage", apps=[("web", HOSTILE)])
    out = rkt.ok("list").out
    assert_clean(out)
    rows = out.splitlines()
    assert len(rows) == 2, out
    assert f"\texample.com/web:{ESCAPED}\t" in rows[1], out
    js = json.loads(rkt.ok("list", "--format=json").out)
    assert js[0]["app_names"] == ["web"] and js[0]["name"] == p.uuid
    assert json.loads(rkt.ok("list", "--format=json").out)[0]["state"] == "exited garbage"


def test_errors_escape_controls(rkt, mkaci, tmp_path):
    # a manifest whose invalid name is echoed in the error message
    m = A.default_manifest("example.com/x", "1.0")
    m["name"] = "example.com/\x1b]0;owned\x07x"
    bad = A.build_aci(tmp_path / "bad.aci", m, {"a": A.File("x")})
    r = rkt.fail(INSECURE, "fetch", bad.path)
    assert_clean(r.err)
    assert "example.com/\\x1b]0;owned\\ax" in r.err, r
    # a pod manifest with a hostile app name: `status` prints the error escaped
    p = make_pod(rkt.dir, "exited-garbage", manifest_obj=pod_manifest(
        [{"name": "web\x1b[2Jx"}]), statuses={"web\x1b[2Jx": 0})
    r = rkt("status", p.uuid)
    assert_clean(r.both)
    assert 'name "web\\x1b[2Jx" is not a valid AC name' in r.err, r
    # ... and `list` in its error summary
    r = rkt.ok("list")
    assert_clean(r.both)
    assert 'name "web\\x1b[2Jx" is not a valid AC name' in r.err, r


def test_status_escapes_network_names(rkt):
    p = make_pod(rkt.dir, "run",  # nobody holds its lock: exited
                 net_info=[{"netName": "n\x1b]0;owned\x07", "ip": "10.1.2.3"}])
    r = rkt.ok("status", p.uuid)
    assert_clean(r.out)
    assert "networks=n\\x1b]0;owned\\a:ip4=10.1.2.3\n" in r.out, r
