# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the functional suite: the built rkt binary, per-test data and config
directories (as rkt's own harness used, SPEC.md §11.0), and helpers to run it."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("RKT_BUILD_DIR", ROOT / "build"))
RKT_BIN = Path(os.environ.get("RKT_BIN", BUILD / "src" / "cli" / "rkt"))


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def both(self):
        return self.out + self.err

    def __repr__(self):
        return f"<exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}>"


class Rkt:
    """Runs rkt with its own --dir and config directories."""

    def __init__(self, tmp: Path):
        self.dir = tmp / "data"
        self.local = tmp / "local"
        self.system = tmp / "system"
        self.user = tmp / "user"
        for d in (self.local, self.system, self.user):
            d.mkdir(parents=True, exist_ok=True)

    def args(self):
        return [str(RKT_BIN), f"--dir={self.dir}", f"--local-config={self.local}",
                f"--system-config={self.system}", f"--user-config={self.user}"]

    def __call__(self, *argv, input=None, env=None, timeout=120, cwd=None):
        proc = subprocess.run(self.args() + [str(a) for a in argv], input=input,
                              capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=cwd)
        return Result(proc)

    def ok(self, *argv, **kw):
        r = self(*argv, **kw)
        assert r.code == 0, r
        return r

    def fail(self, *argv, code=254, **kw):
        r = self(*argv, **kw)
        assert r.code == code, r
        return r


@pytest.fixture
def rkt(tmp_path):
    return Rkt(tmp_path)


def run_bare(*argv, **kw):
    """Runs the rkt binary with exactly the given arguments."""
    return Result(subprocess.run([str(RKT_BIN)] + [str(a) for a in argv],
                                 capture_output=True, text=True, **kw))
