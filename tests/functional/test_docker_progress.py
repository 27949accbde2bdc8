# SPDX-License-Identifier: Apache-2.0
"""The download progress of docker:// layers: shown on a terminal, never otherwise."""
import os
import re

import dockerutil as D
from podtest import run_bare_pty

INSECURE = "--insecure-options=image,http"


def serve(tmp_path):
    lay = D.Layout(tmp_path / "layout")
    big = D.layer_tar([("big", "file", os.urandom(3 << 20))])
    lay.tag(lay.image([big], config={"Cmd": ["/big"]}), "v1")
    return D.FakeRegistry(lay)


def test_progress_on_a_terminal(rkt, tmp_path):
    s = serve(tmp_path)
    try:
        code, out = run_bare_pty(rkt.argv(INSECURE, "fetch", f"docker://{s.host}/test/img:v1"),
                                 timeout=60)
    finally:
        s.stop()
    assert code == 0, out
    assert "Downloading sha256:" in out, out
    # the last update shows the whole layer
    assert re.search(r"\[={40}\] (\d+\.\d) MB/\1 MB", out), out
    assert "sha512-" in out.splitlines()[-1], out


def test_no_progress_when_stderr_is_not_a_terminal(rkt, tmp_path):
    s = serve(tmp_path)
    try:
        r = rkt.ok(INSECURE, "fetch", f"docker://{s.host}/test/img:v1")
    finally:
        s.stop()
    assert "Downloading" not in r.err and "\r" not in r.err, r
    assert r.out.startswith("sha512-")
