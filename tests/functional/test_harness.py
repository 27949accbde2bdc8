# SPDX-License-Identifier: Apache-2.0
"""The suite's own housekeeping: what a test leaves in its directories is removed once it
passed (a full run once filled the disk with about 18 GB per run), never by reaching into
something still mounted there."""
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import mounts_under_ns, remove_test_tree
from podtest import needs_root

pytestmark = [pytest.mark.rkt_free, needs_root]

HERE = Path(__file__).resolve().parent


def mount_tmpfs(path):
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)], check=True)


def test_remove_test_tree_unmounts_before_it_removes(tmp_path):
    top = tmp_path / "top"
    mount_tmpfs(top / "a")
    mount_tmpfs(top / "a" / "b")  # nested: the deeper one goes first
    (top / "a" / "b" / "kept-elsewhere").write_text("x")
    keep = tmp_path / "outside"
    keep.mkdir()
    (keep / "file").write_text("x")
    os.symlink(keep, top / "link")  # followed by nothing
    remove_test_tree(top)
    assert not top.exists()
    assert mounts_under_ns(top) == []
    assert (keep / "file").read_text() == "x"


def test_what_passed_is_removed_and_what_failed_kept(tmp_path):
    base = tmp_path / "base"
    (tmp_path / "test_inner.py").write_text(textwrap.dedent("""
        import subprocess

        def test_passes(tmp_path):
            (tmp_path / "m").mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(tmp_path / "m")], check=True)
            (tmp_path / "m" / "f").write_text("x")
            (tmp_path / "f").write_text("x")

        def test_fails(tmp_path):
            (tmp_path / "f").write_text("x")
            assert False
    """))
    env = dict(os.environ, PYTHONPATH=str(HERE))
    argv = ["/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "conftest",
            f"--basetemp={base}", str(tmp_path / "test_inner.py")]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert "1 failed, 1 passed" in r.stdout, r.stdout + r.stderr
    assert not list(base.glob("test_passes*/f")), sorted(base.iterdir())
    assert (base / "test_fails0" / "f").exists(), sorted(base.iterdir())
    assert mounts_under_ns(base) == []
    # a run that passed leaves nothing: not even the base directory
    r = subprocess.run(argv + ["-k", "passes"], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=120)
    assert "1 passed" in r.stdout, r.stdout + r.stderr
    assert not base.exists(), sorted(base.rglob("*"))
