# SPDX-License-Identifier: Apache-2.0
"""How stage0 starts the stage1 entrypoints of a pod (app add, start, stop and rm, stop, gc):
with nothing ignored or blocked, no descriptor but 0-2, stdin /dev/null, in P, whatever
state rkt itself was started in (every signal ignored, glibc's own two too, all blocked, a
stray descriptor, stdin, stdout or stderr closed). The entrypoints of the stage1's tree store
copy are replaced by data/entrypoint-recorder.c, which records that, then runs the original;
rkt runs under data/dirty-launcher.c."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from podtest import Pods, _finish, img, needs_root  # noqa: F401
from test_app_sandbox import ENV, Sandbox, inspect

pytestmark = [needs_root]

OPS = ["app/add", "app/start", "app/stop", "app/rm", "stop", "gc"]
DATA = Path(__file__).resolve().parent / "data"


def build(tmp, source, *defines):
    out = tmp / Path(source).stem
    subprocess.run(["cc", "-O1", *defines, "-o", str(out), str(DATA / source)], check=True)
    return out


def record_entrypoints(pods, uuid, recorder):
    """Puts recorder in place of each entrypoint of OPS (the original goes to .orig/)."""
    pod = next((pods.dir / "pods").glob(f"*/{uuid}"))
    tree = (pod / "stage1TreeStoreID").read_text().strip()
    root = pods.dir / "cas" / "tree" / tree / "rootfs"
    manifest = json.loads((pod / "stage1" / "manifest").read_text())
    ann = {a["name"]: a["value"] for a in manifest.get("annotations", [])}
    for op in OPS:
        ep = root / ann[f"coreos.com/rkt/stage1/{op}"].lstrip("/")
        orig = ep.parent / ".orig" / ep.name
        if not orig.exists():
            orig.parent.mkdir(exist_ok=True)
            ep.rename(orig)
            shutil.copy(recorder, ep)
    return pod


def run_ops(tmp_path, img, mode):  # noqa: F811
    """A sandbox whose entrypoints record themselves; app add, start, stop and rm, stop
    and gc run through the dirty launcher with DIRTY_MODE=mode. Returns (exit codes,
    records by file name, P)."""
    pods = Pods(tmp_path / "p")
    dump = tmp_path / "dump"
    dump.mkdir()
    codes = []
    try:
        image_id = pods.fetch(img.path)
        sb = Sandbox(pods, "--net=host")
        recorder = build(tmp_path, "entrypoint-recorder.c", f'-DDUMPDIR="{dump}"')
        launcher = str(build(tmp_path, "dirty-launcher.c"))
        pod = record_entrypoints(pods, sb.uuid, recorder)
        env = dict(ENV, DIRTY_MODE=mode)

        def dirty(*argv):
            r = subprocess.run([launcher] + pods.argv(*argv), capture_output=True, text=True,
                               env=env, timeout=120, stdin=subprocess.DEVNULL)
            codes.append((argv[:2], r.returncode))
        for argv in (["app", "add", sb.uuid, image_id, *inspect("a", "--print-msg=x")],
                     ["app", "start", sb.uuid, "--app=a"],
                     ["app", "stop", sb.uuid, "--app=a"],
                     ["app", "rm", sb.uuid, "--app=a"],
                     ["stop", sb.uuid]):
            dirty(*argv)
        if codes[-1][1] != 0:
            pods("stop", sb.uuid)
        sb.pod.proc.wait(timeout=30)
        dirty("gc", "--grace-period=0s")
        return codes, {p.name: p.read_text() for p in dump.iterdir()}, pod
    finally:
        _finish(pods)


@pytest.mark.parametrize("mode", ["", "0", "1", "2", "012"])
def test_entrypoints_start_clean_from_a_dirty_rkt(tmp_path, img, mode):  # noqa: F811
    """Each entrypoint starts clean; one rkt started with descriptors closed does not hand
    on its own files (P, P/pod.lck whose flock is the pod's lock) as the entrypoints' stdout
    or stderr, nor fails to start them."""
    codes, records, pod = run_ops(tmp_path, img, mode)
    assert all(code == 0 for _, code in codes), codes
    assert len(records) >= len(OPS), records
    for name, text in records.items():
        assert "SigBlk:\t0000000000000000" in text, (name, text)
        assert "SigIgn:\t0000000000000000" in text, (name, text)
        fds = sorted(int(line.split()[1]) for line in text.splitlines()
                     if line.startswith("fd "))
        assert fds == [0, 1, 2], (name, text)
        assert "fd 0 -> /dev/null" in text, (name, text)
        for line in text.splitlines():  # P, wherever gc moved it, or a file in it
            if line.startswith(("fd 1 ", "fd 2 ")):
                assert pod.name not in line, (name, text)
        assert text.rstrip().endswith(f"/{pod.name}"), (name, text)
