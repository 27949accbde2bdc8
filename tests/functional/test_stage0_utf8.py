# SPDX-License-Identifier: Apache-2.0
"""Command-line values that are not valid UTF-8 (SPEC.md §4.6): stage0 never drops them from
the pod manifest. As rkt's Go code marshalled them, each invalid byte becomes U+FFFD there
(an app name that then is no AC name is an error), and the DNS flags reach resolv.conf as
given. Found by tests/fuzz/fuzz-run-flags.c: an invalid --name silently removed its app."""
import pytest

import aci as A
from test_stage0 import (STUB_NAME, STUB_RUN, app, collect_pods, pod_manifest,  # noqa: F401
                         pods, run_stub, stub)

pytestmark = pytest.mark.offline

BAD = "\udcff"  # the byte 0xff as Python passes it to a program


def test_app_with_invalid_name_is_refused_not_dropped(rkt, stub, mkaci):
    a = mkaci("example.com/first")
    b = mkaci("example.com/second")
    r = run_stub(rkt, stub, a.path, b.path, f"--name=two{BAD}")
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert "two\\xff" in r.err or "two\ufffd" in r.err, r
    assert pods(rkt, "run") == []


def test_invalid_bytes_become_replacement_characters(rkt, stub, app):
    r = run_stub(rkt, stub, "--set-env=POD=p" + BAD, app.path, f"--environment=MINE=a{BAD}b",
                 f"--user-annotation=k=v{BAD}", f"--user-annotation=x{BAD}=1",
                 f"--user-label=l=w{BAD}",
                 f"--annotation=n=x{BAD}", f"--working-dir=/w{BAD}", "--", f"arg{BAD}")
    assert r.code == 0, r
    (uuid,) = pods(rkt, "run")
    (a,) = pod_manifest(rkt, uuid)["apps"]
    ra = a["app"]
    env = {e["name"]: e["value"] for e in ra["environment"]}
    assert env["MINE"] == "a\ufffdb" and env["POD"] == "p\ufffd"
    assert ra["exec"][1:] == ["arg\ufffd"]
    assert ra["workingDirectory"] == "/w\ufffd"
    assert ra["userAnnotations"] == {"k": "v\ufffd", "x\ufffd": "1"}
    assert ra["userLabels"] == {"l": "w\ufffd"}
    assert {"name": "n", "value": "x\ufffd"} in a["annotations"]


@pytest.fixture
def stub_with_etc(tmp_path):
    """The stub stage1 with the etc directory stage0 writes the DNS files into."""
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": STUB_NAME,
         "labels": [{"name": "version", "value": "0.0.1"}, {"name": "os", "value": "linux"},
                    {"name": "arch", "value": "amd64"}],
         "annotations": [{"name": "coreos.com/rkt/stage1/run", "value": "/run"},
                         {"name": "coreos.com/rkt/stage1/interface-version", "value": "6"}]}
    return A.build_aci(tmp_path / "stub-etc.aci", m,
                       {"run": A.File(STUB_RUN, mode=0o755), "etc": A.Dir()})


def test_dns_flags_reach_resolv_conf_as_given(rkt, stub_with_etc, app):
    r = run_stub(rkt, stub_with_etc, f"--dns-search=ex{BAD}ample", f"--dns-opt=opt{BAD}",
                 f"--dns-domain=do{BAD}main", app.path)
    assert r.code == 0, r
    (uuid,) = pods(rkt, "run")
    conf = (rkt.dir / "pods/run" / uuid / "stage1/rootfs/etc/rkt-resolv.conf").read_bytes()
    assert b"search ex\xffample\n" in conf
    assert b"options opt\xff\n" in conf
    assert b"domain do\xffmain\n" in conf
