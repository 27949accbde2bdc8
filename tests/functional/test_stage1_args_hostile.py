# SPDX-License-Identifier: Apache-2.0
"""The stage1 run entrypoints on their own (stage1_harness, no stage0) refuse a hostname
with control characters (it becomes a line of the pod's hosts and hostname files): stage0
refuses it first (test_pods_hostile.py), the stage1 does not rely on that."""
import os

import pytest

from stage1_harness import app_section, make_pod

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="stage1 tests need root"),
              pytest.mark.rkt_free]


@pytest.fixture(params=["native", "fly"])
def mkpod(tmp_path, request):
    made = []

    def make(apps):
        p = make_pod(tmp_path, apps, flavor=request.param)
        made.append(p)
        return p

    yield make
    for p in made:
        p.cleanup()


@pytest.mark.parametrize("bad", ["\n", "\r", "\x1b"], ids=["nl", "cr", "esc"])
def test_stage1_refuses_a_hostname_with_control_characters(mkpod, bad):
    p = mkpod([{"name": "a", "app": app_section(["/bin/sh", "-c", "echo ran"])}])
    r = p.run("--net=host", f"--hostname=good{bad}10.6.6.6 evil")
    assert r.returncode == 254, r
    assert "ran" not in r.stdout
    assert "-hostname must not contain control characters" in r.stderr, r
