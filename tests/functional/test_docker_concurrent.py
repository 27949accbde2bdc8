# SPDX-License-Identifier: Apache-2.0
"""docker:// downloads several layers at once and squashes them in order as they arrive
(issue 17): the image is the same whatever order the layers arrive in, a bad layer fails the
whole fetch cleanly, and the downloads do overlap."""
import threading

import pytest

import dockerutil as D
from storeutil import list_json

INSECURE = "--insecure-options=image,http"


def layers():
    """Six layers where later ones replace, white out and hard-link what earlier ones made."""
    out = [D.layer_tar([("etc", "dir"), ("etc/a", "file", "a0"), ("gone", "file", "x"),
                        ("dir", "dir"), ("dir/f", "file", "f0")])]
    for i in range(1, 6):
        out.append(D.layer_tar([("etc", "dir"), ("etc/a", "file", f"a{i}"),
                                (f"l{i}", "file", f"layer {i}" * 1000),
                                (f"h{i}", "hardlink", f"l{i}")]
                               + ([(".wh.gone", "file", "")] if i == 3 else [])
                               + ([("dir", "dir"), ("dir/.wh..wh..opq", "file", ""),
                                   ("dir/g", "file", "g")] if i == 4 else [])))
    return out


@pytest.fixture
def reg(tmp_path):
    lay = D.Layout(tmp_path / "layout")
    img = lay.image(layers(), config={"Cmd": ["/etc/a"]})
    lay.tag(img, "v1")
    s = D.FakeRegistry(lay)
    s.layer_digests = [d["digest"] for d in D.json.loads(
        (lay.path / "blobs/sha256" / img["digest"][7:]).read_bytes())["layers"]]
    yield s
    s.stop()


def blob(s, i):
    return f"/v2/test/img/blobs/{s.layer_digests[i]}"


def hold(s, i, event, seen, timeout=10):
    """Holds the answer for layer i until event is set (at most timeout seconds); appends to
    seen whether it was."""
    def hook(h):
        seen.append(event.wait(timeout))
        return False  # then answered as usual
    s.hooks[blob(s, i)] = hook


def answered(s, i, event):
    """Sets event once layer i has been answered in full."""
    def hook(h):
        s.route(h)
        h.wfile.flush()
        event.set()
        return True
    s.hooks[blob(s, i)] = hook


def fetch(rkt, s, *args):
    return rkt(INSECURE, "fetch", "--full", *args, f"docker://{s.host}/test/img:v1")


def test_layers_download_at_once(rkt, reg):
    """Layer 0's answer waits until layer 1 has been answered: a fetch that downloads one
    layer after the other asks for layer 1 only after that wait ran out."""
    done, seen = threading.Event(), []
    hold(reg, 0, done, seen)
    answered(reg, 1, done)
    r = fetch(rkt, reg)
    assert r.code == 0, r
    assert seen == [True]


def test_same_image_whatever_order_layers_arrive_in(rkt, reg, tmp_path):
    r = fetch(rkt, reg)
    assert r.code == 0, r
    first = r.out.strip()
    tree = tmp_path / "first"
    rkt.ok("image", "extract", "--rootfs-only", first, tree)
    rkt.ok("image", "rm", first)
    # layer 1 arrives before layer 0, layer 3 before layer 2
    seen = []
    for lo in (0, 2):
        e = threading.Event()
        hold(reg, lo, e, seen)
        answered(reg, lo + 1, e)
    r = fetch(rkt, reg)
    assert r.code == 0, r
    assert seen == [True, True]
    assert r.out.strip() == first
    second = tmp_path / "second"
    rkt.ok("image", "extract", "--rootfs-only", first, second)
    assert (second / "etc/a").read_text() == "a5"
    assert not (second / "gone").exists()
    assert sorted(p.name for p in (second / "dir").iterdir()) == ["g"]
    assert (second / "h2").stat().st_ino == (second / "l2").stat().st_ino
    got = sorted(str(p.relative_to(second)) for p in second.rglob("*"))
    assert got == sorted(str(p.relative_to(tree)) for p in tree.rglob("*"))
    for p in tree.rglob("*"):
        if p.is_file():
            assert (second / p.relative_to(tree)).read_bytes() == p.read_bytes(), p


@pytest.mark.parametrize("bad", [0, 3, 5])
def test_a_bad_layer_fails_the_whole_fetch(rkt, reg, bad):
    def corrupt(h):
        body = (reg.layout.path / "blobs/sha256" / reg.layer_digests[bad][7:]).read_bytes()
        reg.send(h, 200, bytes([body[0] ^ 1]) + body[1:])
        return True
    reg.hooks[blob(reg, bad)] = corrupt
    r = fetch(rkt, reg)
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert "digest mismatch" in r.err, r
    assert list_json(rkt) == []
    tmp = rkt.cas / "tmp"
    assert not tmp.is_dir() or not list(tmp.glob("rkt-docker-*"))
