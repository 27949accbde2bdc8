# SPDX-License-Identifier: Apache-2.0
"""Runs every C unit-test program (TAP) so that pytest's summary covers them too: from the
normal build and, when scripts/build.sh --sanitize made it, from the ASan+UBSan build."""
import os
import subprocess

import pytest

from conftest import BUILD, ROOT

UNIT_DIR = BUILD / "tests" / "unit"
ASAN_DIR = ROOT / "build-asan" / "tests" / "unit"


def programs(d):
    return sorted(p for p in d.glob("test-*") if p.is_file() and p.stat().st_mode & 0o111)


PROGRAMS = programs(UNIT_DIR) + (programs(ASAN_DIR) if ASAN_DIR.is_dir() else [])
SANITIZER_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
                     UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")


def test_unit_programs_exist():
    assert PROGRAMS, f"no unit-test programs under {UNIT_DIR}: was the tree built?"


@pytest.mark.parametrize("program", PROGRAMS,
                         ids=[f"{p.parents[2].name}/{p.name}" for p in PROGRAMS])
def test_unit_program(program):
    proc = subprocess.run([str(program)], capture_output=True, text=True, timeout=300,
                          env=SANITIZER_ENV)
    if proc.returncode == 77:
        pytest.skip(f"{program.name} skipped itself:\n{proc.stdout}")
    failed = [l for l in proc.stdout.splitlines() if l.startswith("not ok")]
    assert proc.returncode == 0 and not failed, proc.stdout + proc.stderr
