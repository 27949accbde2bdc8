# SPDX-License-Identifier: Apache-2.0
"""Process-wide CLI behaviour used by the image commands: global flags, parse errors,
help, prefix matching, `rkt version` (SPEC.md §1, §2, §3.15, §11.1)."""
import os
import re
import subprocess

import pytest

from conftest import RKT_BIN, run_bare, run_offline
from imageutil import rkt_inspect_image
from storeutil import list_json

pytestmark = pytest.mark.offline


def test_rkt_alone_exits_2(tmp_path):
    r = run_bare(cwd=tmp_path)
    assert r.code == 2, r
    assert "missing command" in r.err


@pytest.mark.parametrize("argv", [["help"], ["--help"], ["-h"]])
def test_help(argv):
    r = run_bare(*argv)
    assert r.code == 0, r
    for section in ("NAME:", "USAGE:", "VERSION:", "COMMANDS:"):
        assert section in r.out, section
    assert "--dir=" in r.out and "--insecure-options=" in r.out


@pytest.mark.parametrize("argv", [["help", "image"], ["image", "--help"], ["image", "-h"],
                                  ["image"], ["image", "no-such-subcommand"],
                                  ["image", "list", "--help"], ["help", "fetch"]])
def test_subcommand_help(argv):
    r = run_bare(*argv)
    assert r.code == 0, r
    assert "NAME:" in r.out and "USAGE:" in r.out


def test_image_help_lists_subcommands():
    out = run_bare("image").out
    for sub in ("cat-manifest", "export", "extract", "gc", "list", "render", "rm", "verify"):
        assert re.search(rf"^\s+(image )?{sub}\s", out, re.M), sub


def test_help_shows_defaults_as_pflag_does():
    # quoted for Go string flags only (the exact pages: test_cli_bytes.py)
    out = run_bare("help", "status").out
    assert "      --dir=/var/lib/rkt\t" in out and '      --uuid-file=""\t' in out, out
    assert '      --wait[="false"]\t' in out, out


def test_version():
    r = run_bare("version")
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert re.fullmatch(r"rkt Version: 1\.30\.0(\+git[0-9a-f]+(-dirty)?)?", lines[0]), lines
    assert lines[1] == "appc Version: 0.8.11"
    assert lines[2].startswith("Go Version: ")
    assert lines[3].startswith("Go OS/Arch: ")
    assert re.fullmatch(r"Features: .*", lines[4])
    feats = lines[4][len("Features: "):].split(" ")
    assert sorted(f[1:] for f in feats) == ["SDJOURNAL", "TPM"]
    assert all(f[0] in "+-" for f in feats)
    assert len(lines) == 5


@pytest.mark.parametrize("prefix", ["vers", "versio", "v"])
def test_prefix_matching(prefix):
    assert run_bare(prefix).out == run_bare("version").out


def test_prefix_matching_image_list(rkt):
    assert rkt.ok("image", "li").out == rkt.ok("image", "list").out
    assert rkt.ok("im", "list").out == rkt.ok("image", "list").out


def test_ambiguous_prefix_is_unknown(tmp_path):
    r = run_bare("r", cwd=tmp_path)  # run, run-prepared, rm
    assert r.code == 254, r
    assert 'Error: unknown command "r" for "rkt"' in r.err


def test_unknown_command(tmp_path):
    r = run_bare("frobnicate", cwd=tmp_path)
    assert r.code == 254, r
    assert 'Error: unknown command "frobnicate" for "rkt"' in r.err
    assert r.out == ""


@pytest.mark.parametrize("argv", [["--frob", "version"], ["version", "--frob"],
                                  ["image", "list", "--frob"]])
def test_unknown_flag(rkt, argv):
    r = rkt.fail(*argv)
    assert "Error: unknown flag: --frob" in r.err


def test_flag_needs_an_argument(tmp_path):
    r = run_bare("image", "list", "--dir", cwd=tmp_path)
    assert r.code == 254, r
    assert "flag needs an argument: --dir" in r.err


def test_empty_dir_rejected(tmp_path):
    r = run_bare("--dir=", "image", "list", cwd=tmp_path)
    assert r.code == 254, r
    assert '"" is not a valid directory' in r.err


def test_dir_flag_everywhere(rkt, mkaci, tmp_path):
    a = mkaci("example.com/dirs")
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    base = [f"--local-config={rkt.local}", f"--system-config={rkt.system}",
            f"--user-config={rkt.user}"]
    r = run_offline(*base, f"--dir={d1}", "--insecure-options=image", "fetch", "--full",
                    a.path)
    assert r.code == 0, r
    # --dir after the subcommand (fetch stops at the first image, so before it)
    r = run_offline(*base, "--insecure-options=image", "fetch", f"--dir={d2}", "--full",
                    a.path)
    assert r.code == 0, r
    for d in (d1, d2):
        assert (d / "cas" / "blob" / "sha512" / a.key[7:9] / a.key).is_file()
    r = run_bare(*base, "image", "list", "--fields=id", "--no-legend", "--full", "--dir", d1)
    assert r.out == a.key + "\n", r


def test_relative_dir_is_made_absolute(rkt, mkaci, tmp_path):
    a = mkaci("example.com/reldir")
    r = run_offline("--dir=reldata", f"--local-config={rkt.local}",
                 f"--system-config={rkt.system}", "--insecure-options=image", "fetch",
                 "--full", a.path, cwd=tmp_path)
    assert r.code == 0, r
    assert (tmp_path / "reldata" / "cas" / "blob" / "sha512" / a.key[7:9] / a.key).is_file()


def test_debug_flag_before_and_after(rkt, mkaci):
    a = mkaci("example.com/dbg")
    r1 = rkt.ok("--debug", "--insecure-options=image", "fetch", a.path)
    r2 = rkt.ok("--insecure-options=image", "fetch", "--debug", a.path)
    for r in (r1, r2):
        assert f"using image from file {a.path}" in r.err
    r3 = rkt.ok("--insecure-options=image", "fetch", a.path)
    assert "using image from file" not in r3.err


@pytest.mark.parametrize("value,word", [("x", "x"), ("image,x", "x"), ("bogus,tls", "bogus")])
def test_insecure_options_unknown(rkt, mkaci, value, word):
    a = mkaci("example.com/io")
    r = rkt.fail(f"--insecure-options={value}", "fetch", a.path)
    assert f'unknown option "{word}"' in r.err
    assert "Error: " in r.err
    assert list_json(rkt) == []


@pytest.mark.parametrize("value,word", [("image,image", "image"), ("tls,image,tls", "tls")])
def test_insecure_options_duplicated(rkt, mkaci, value, word):
    a = mkaci("example.com/io")
    r = rkt.fail(f"--insecure-options={value}", "fetch", a.path)
    assert f'duplicated option "{word}"' in r.err
    assert list_json(rkt) == []


@pytest.mark.parametrize("value", ["IMAGE", "Image,Tls", "image,ondisk", "all", "all-fetch",
                                   "image,all-run", "image,paths,seccomp,capabilities",
                                   "image,http,pubkey"])
def test_insecure_options_accepted(rkt, mkaci, value):
    a = mkaci("example.com/io")
    r = rkt.ok(f"--insecure-options={value}", "fetch", "--full", a.path)
    assert r.out == a.key + "\n"


@pytest.mark.parametrize("value", ["none", "tls", "ondisk,tls", "all-run"])
def test_insecure_options_without_image_still_verify(rkt, mkaci, value):
    a = mkaci("example.com/io")
    r = rkt.fail(f"--insecure-options={value}", "fetch", a.path)
    assert "error opening signature file" in r.err
    assert list_json(rkt) == []


def test_errors_are_prefixed_with_leaf_command(rkt):
    r = rkt.fail("image", "cat-manifest", "example.com/absent")
    assert r.err.startswith("cat-manifest: ")
    r = rkt.fail("image", "export", "example.com/absent", "/nonexistent/out.aci")
    assert r.err.startswith("export: ")


def test_archive_crypto_and_sqlite_libraries_are_opened_on_first_use(rkt, tmp_path):
    """rkt is not linked against libarchive (which pulls libxml2 and ICU), libcrypto or
    libsqlite3: a command opens them when it first calls them. `rkt version` and `rkt list`
    load none; `rkt fetch` of an image loads all three, and still works."""
    linked = subprocess.run(["ldd", str(RKT_BIN)], capture_output=True, text=True).stdout
    for lib in ("libarchive", "libcrypto", "libxml2", "libicu", "libsqlite3"):
        assert lib not in linked, linked
    env = dict(os.environ, LD_DEBUG="files")
    for argv in (("version",), ("list",)):
        r = rkt(*argv, env=env)
        assert r.code == 0, r
        assert "libarchive" not in r.err and "libcrypto" not in r.err, r
        assert "libsqlite3" not in r.err, r
    img = rkt_inspect_image(tmp_path / "i.aci")
    r = rkt("--insecure-options=image", "fetch", img.path, env=env)
    assert r.code == 0, r
    for lib in ("libarchive.so", "libcrypto.so", "libsqlite3.so"):
        assert lib in r.err, lib
