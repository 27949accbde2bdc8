# SPDX-License-Identifier: Apache-2.0
"""Replays every saved input of the fuzz targets (tests/fuzz/README.md): each target's
replay program, from the normal build and, when scripts/build.sh --sanitize made it, from
the ASan+UBSan build, runs over tests/fuzz/<target>/corpus and tests/fuzz/<target>/crashes
(inputs that once crashed it, kept as regression cases). Deterministic: nothing is fuzzed
here (scripts/fuzz.sh does that)."""
import os
import subprocess

import pytest

from conftest import BUILD, ROOT

pytestmark = pytest.mark.rkt_free

FUZZ_SRC = ROOT / "tests" / "fuzz"
TARGETS = sorted(p.stem[len("fuzz-"):] for p in FUZZ_SRC.glob("fuzz-*.c")
                 if p.stem not in ("fuzz-main", "fuzz-util"))
BUILDS = [BUILD] + ([ROOT / "build-asan"] if (ROOT / "build-asan" / "tests" / "fuzz").is_dir()
                    else [])
SANITIZER_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
                     UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
CORPUS_LIMIT = 512 << 10  # bytes of all saved inputs together


def inputs(target):
    return [d for d in (FUZZ_SRC / target / "corpus", FUZZ_SRC / target / "crashes")
            if d.is_dir()]


def test_every_target_has_a_corpus():
    assert TARGETS
    empty = [t for t in TARGETS if not any((FUZZ_SRC / t / "corpus").glob("*"))]
    assert not empty


def test_saved_inputs_stay_small():
    total = sum(p.stat().st_size for p in FUZZ_SRC.glob("*/*/*") if p.is_file())
    assert total <= CORPUS_LIMIT, f"{total} bytes: minimise the corpora (scripts/fuzz.sh --merge)"


@pytest.mark.parametrize("build,target", [(b, t) for b in BUILDS for t in TARGETS],
                         ids=[f"{b.name}/{t}" for b in BUILDS for t in TARGETS])
def test_replay(build, target):
    program = build / "tests" / "fuzz" / f"fuzz-{target}"
    assert program.is_file(), f"{program} missing: is it in tests/fuzz/meson.build?"
    proc = subprocess.run([str(program)] + [str(d) for d in inputs(target)],
                          capture_output=True, text=True, timeout=600, env=SANITIZER_ENV)
    failed = [l for l in proc.stdout.splitlines() if l.startswith("not ok")]
    last = [l for l in proc.stdout.splitlines() if l.startswith("# ")][-1:]
    assert proc.returncode == 0 and not failed, \
        f"last input: {last}\n{proc.stdout[-2000:]}{proc.stderr[-6000:]}"
