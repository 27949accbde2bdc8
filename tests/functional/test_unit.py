# SPDX-License-Identifier: Apache-2.0
"""Runs every C unit-test program (TAP) so that pytest's summary covers them too."""
import subprocess

import pytest

from conftest import BUILD

UNIT_DIR = BUILD / "tests" / "unit"
PROGRAMS = sorted(p for p in UNIT_DIR.glob("test-*") if p.is_file() and p.stat().st_mode & 0o111)


def test_unit_programs_exist():
    assert PROGRAMS, f"no unit-test programs under {UNIT_DIR}: was the tree built?"


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_unit_program(program):
    proc = subprocess.run([str(program)], capture_output=True, text=True, timeout=300)
    if proc.returncode == 77:
        pytest.skip(f"{program.name} skipped itself:\n{proc.stdout}")
    failed = [l for l in proc.stdout.splitlines() if l.startswith("not ok")]
    assert proc.returncode == 0 and not failed, proc.stdout + proc.stderr
