# SPDX-License-Identifier: Apache-2.0
"""House-style checks that CI enforces on every C file (STYLE.md §3.10, §3.11)."""
import re
import shutil
import subprocess

import pytest

from conftest import ROOT

pytestmark = pytest.mark.rkt_free


def c_files():
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*.c", "*.h"],
                         capture_output=True, text=True, check=True).stdout
    return [ROOT / f for f in out.split()]


def test_clang_format_clean():
    if not shutil.which("clang-format"):
        pytest.fail("clang-format is not installed (scripts/setup-debian.sh installs it)")
    files = c_files()
    assert files
    proc = subprocess.run(["clang-format", "--dry-run", "--Werror"] + [str(f) for f in files],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_every_c_file_has_spdx_header():
    missing = [str(f) for f in c_files()
               if "SPDX-License-Identifier" not in f.read_text().splitlines()[0]]
    assert not missing


def test_c_files_stay_small():
    big = [(str(f), n) for f in c_files() if (n := len(f.read_text().splitlines())) > 1500]
    assert not big


def test_headers_have_unique_basenames():
    # one include path per module: two headers with the same name would make an #include
    # mean whichever module's directory comes first
    seen = {}
    for f in c_files():
        if f.suffix == ".h" and "src" in f.relative_to(ROOT).parts[:1]:
            seen.setdefault(f.name, []).append(str(f.relative_to(ROOT)))
    assert not {name: paths for name, paths in seen.items() if len(paths) > 1}


def test_meson_subdirs_keep_top_level_variables():
    # a subdir assigning a top-level variable changes it for every subdir after it
    assign = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\+)?=(?!=)", re.M)
    top = set(assign.findall((ROOT / "meson.build").read_text()))
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*/meson.build"],
                         capture_output=True, text=True, check=True).stdout
    bad = [(f, name) for f in out.split()
           for name in assign.findall((ROOT / f).read_text()) if name in top]
    assert not bad


def statements(text):
    """The statements of C source, whitespace collapsed, '{' and '}' as their own items."""
    out, cur = [], ""
    for tok in re.split(r"([;{}])", re.sub(r"/\*.*?\*/", " ", text, flags=re.S)):
        cur += tok
        if tok in (";", "{", "}"):
            out.append(" ".join(cur.split()))
            cur = ""
    return out


def test_no_literal_errno_once_the_error_is_set():
    # src/basic/error.h: once reterr is set, return what set it (its -errnum), not a literal
    sets_error = re.compile(r"\b(rk_error_set\w*\(reterr|\w+\([^;]*\breterr\))")
    literal = re.compile(r"^(?:\S.*\)\s*)?return -E[A-Z0-9]+;$")
    bad = []
    for f in c_files():
        if f.suffix != ".c":
            continue
        stmts = statements(f.read_text())
        for i, s in enumerate(stmts):
            if not literal.match(s):
                continue
            for prev in reversed([s] + stmts[max(0, i - 3):i]):
                if prev == "}" or (prev != s and prev.startswith("return")):
                    break
                head = prev[:prev.rfind("return")] if prev == s else prev
                if sets_error.search(head):
                    bad.append(f"{f.relative_to(ROOT)}: {s}")
                    break
    assert not bad
