# SPDX-License-Identifier: Apache-2.0
"""Pods deleted by one process while another looks at them (issue "Close the host escapes"):
concurrent `gc`s, `rm` racing `gc`, and `list` / `status` while `gc` runs. A pod that another
process is removing is skipped silently: every pod is removed exactly once (its stage1 gc
entrypoint runs once), and nobody prints an error about it.

Synthetic pods (podutil) with a stub stage1 whose gc entrypoint takes a moment and counts
its runs; one test runs real pods with the native stage1."""
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from podtest import needs_root, pods, img  # noqa: F401
from podutil import make_pod, stage1_tree_entrypoint

pytestmark = pytest.mark.offline

GC_STUB = """#!/bin/sh
echo run >> {count}/gc-$(basename "$(pwd)")
sleep 0.05
"""
MOVED = re.compile(r'^gc: moving pod "[0-9a-f-]{36}" to garbage$')


def exited_pods(rkt, tmp_path, n, state="run"):
    """n exited pods (unlocked, in run/) whose stage1 gc appends to tmp_path/count/gc-<uuid>."""
    count = tmp_path / "count"
    count.mkdir(exist_ok=True)
    out = []
    for _ in range(n):
        p = make_pod(rkt.dir, state, record_dir=tmp_path)
        # rkt runs the gc entrypoint from the tree store copy of the stage1
        Path(stage1_tree_entrypoint(p, "gc")).write_text(GC_STUB.format(count=count))
        out.append(p)
    return out, count


def gc_runs(count, p):
    f = count / f"gc-{p.uuid}"
    return len(f.read_text().splitlines()) if f.exists() else 0


def start(rkt, *argv):
    return subprocess.Popen(rkt.argv(*argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(procs, timeout=120):
    return [(p.wait(timeout=timeout),) + p.communicate() for p in procs]


def concurrent_gcs(rkt, n):
    """Runs n `gc --grace-period=0s` at once; checks that each printed nothing but its
    "moving pod" lines on stderr. Returns the UUIDs they collected (with repeats)."""
    collected = []
    for code, out, err in finish([start(rkt, "gc", "--grace-period=0s") for _ in range(n)]):
        assert code == 0, (code, out, err)
        bad = [l for l in err.splitlines() if not MOVED.match(l)]
        assert not bad, err
        collected += re.findall(r'^Garbage collecting pod "([0-9a-f-]{36})"$', out, re.M)
    return collected


def test_concurrent_gcs_remove_every_pod_once_silently(rkt, tmp_path):
    ps, count = exited_pods(rkt, tmp_path, 30)
    collected = concurrent_gcs(rkt, 4)
    assert sorted(collected) == sorted(p.uuid for p in ps)  # each pod once
    for p in ps:
        assert p.where() == []
        assert gc_runs(count, p) == 1, p.uuid


def test_rm_racing_gc_is_silent(rkt, tmp_path):
    ps, count = exited_pods(rkt, tmp_path, 20, state="exited-garbage")
    gcs = [start(rkt, "gc", "--grace-period=0s") for _ in range(2)]
    rms = [start(rkt, "rm", *[p.uuid for p in ps[i::2]]) for i in range(2)]
    for code, out, err in finish(gcs):
        assert code == 0 and err == "", (code, out, err)
    for code, out, err in finish(rms):
        # a pod gc removed before rm looked for it is not found; none found is an error
        lines = err.splitlines()
        gone = [l for l in lines if re.match(r'^rm: cannot get pod: (.*: )?'
                                             r'no matches found for "[0-9a-f-]{36}"$', l)]
        unexpected = [l for l in lines if l not in gone]
        if gone:
            assert unexpected == ["rm: failed to remove one or more pods"], unexpected
        assert not gone or lines[-1] == unexpected[0], err
        assert gone or not unexpected, unexpected
        assert code == (254 if gone else 0), (code, out, err)
    for p in ps:
        assert p.where() == []
        assert gc_runs(count, p) == 1, p.uuid


def test_list_and_status_racing_gc_are_silent(rkt, tmp_path):
    ps, _ = exited_pods(rkt, tmp_path, 30, state="exited-garbage")
    gc = start(rkt, "gc", "--grace-period=0s")
    seen = 0
    while gc.poll() is None:
        for argv in (("list",), ("list", "--format=json"), ("list", "--full")):
            r = rkt(*argv)
            assert r.code == 0 and r.err == "", r
        for i, p in enumerate(ps[seen % 30::7]):
            r = rkt("status", *(["--format=json"] if i % 2 else []), p.uuid)
            # a pod gone before status found it is not found (or removed meanwhile)
            if r.code != 0:
                assert ("no matches found" in r.err or "was removed meanwhile" in r.err) and \
                    len(r.err.splitlines()) == 1, r
            else:
                assert r.err == "" and "state" in r.out, r
        seen += 1
    code, out, err = finish([gc])[0]
    assert code == 0 and err == "", err
    assert seen > 0


@needs_root
def test_concurrent_gcs_of_real_pods(pods, img):
    uuids = []
    for _ in range(6):
        r, uuid = pods.run(img.path, "--", "--exit-code=0")
        assert r.code == 0, r
        uuids.append(uuid)
    assert sorted(concurrent_gcs(pods, 3)) == sorted(uuids)


def test_a_pod_gone_between_lookup_and_open_is_not_found(rkt, tmp_path):
    """A pod that vanishes after its UUID was matched but before it was opened is reported
    as not found, like one that was never there (a gc or rm of another process did it)."""
    p = make_pod(rkt.dir, "exited-garbage")
    aside = Path(rkt.dir) / "pods" / "aside"
    aside.mkdir()
    stop = threading.Event()

    def toggle():
        while not stop.is_set():
            os.rename(p.path, aside / p.uuid)
            os.rename(aside / p.uuid, p.path)

    t = threading.Thread(target=toggle)
    t.start()
    try:
        bad = []
        for _ in range(150):
            for cmd in ("status", "cat-manifest"):
                r = rkt(cmd, p.uuid)
                lines = r.err.splitlines()
                if r.code != 0 and not (len(lines) == 1 and (
                        f'no matches found for "{p.uuid}"' in lines[0] or
                        "was removed meanwhile" in lines[0])):
                    bad.append(r.err)
    finally:
        stop.set()
        t.join()
    assert not bad, bad[:3]
