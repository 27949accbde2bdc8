# SPDX-License-Identifier: Apache-2.0
"""`rkt image list` (SPEC.md §3.17, §1.4, §11.9)."""
import json
import os
import re
import time

import pytest

import aci as A
from storeutil import (go_json, go_time_utc, humanize_iec, list_json, list_rows, tabwrite,
                       tree_size)

pytestmark = pytest.mark.offline

HEADER = ["ID", "NAME", "SIZE", "IMPORT TIME", "LAST USED"]
RELTIME = re.compile(r"^(now|1 second ago|[0-9]+ seconds ago|1 minute ago)$")
UTC = dict(os.environ, TZ="UTC")


@pytest.fixture
def three(rkt, mkaci):
    """Three images of clearly different sizes, imported in the order c, a, b."""
    c = mkaci("example.com/c-name", "3.0", files={"f": A.File(b"c" * 300_000)})
    a = mkaci("example.com/a-name", "1.0", files={"f": A.File(b"a" * 1_000)})
    b = mkaci("example.com/b-name", "2.0", files={"f": A.File(b"b" * 30_000)})
    for x in (c, a, b):
        rkt.fetch(x.path)
        time.sleep(0.02)
    return a, b, c


def ids(out):
    return [row[0] for row in list_rows(out)]


def test_empty_store(rkt):
    r = rkt.ok("image", "list")
    assert r.out == "ID\tNAME\tSIZE\tIMPORT TIME\tLAST USED\n"


def test_empty_store_no_legend(rkt):
    assert rkt.ok("image", "list", "--no-legend").out == "\n"


@pytest.mark.parametrize("fmt", ["json", "json-pretty"])
def test_empty_store_json_is_null(rkt, fmt):
    assert rkt.ok("image", "list", f"--format={fmt}").out == "null\n"


def test_default_table(rkt, three):
    a, b, c = three
    r = rkt.ok("image", "list")
    rows = list_rows(r.out)
    assert rows[0] == HEADER
    assert r.out == tabwrite(rows), "columns not laid out by tabwriter rules"
    info = {i["id"]: i for i in list_json(rkt)}
    assert [row[0] for row in rows[1:]] == [c.short19, a.short19, b.short19]  # import order
    for row, img, name in zip(rows[1:], (c, a, b),
                              ("example.com/c-name:3.0", "example.com/a-name:1.0",
                               "example.com/b-name:2.0")):
        assert len(row) == 5, row
        assert row[0] == img.short19 and len(row[0]) == 19
        assert row[1] == name
        assert row[2] == humanize_iec(info[img.key]["size"])
        assert RELTIME.match(row[3]), row
        assert RELTIME.match(row[4]), row


def test_full_table(rkt, three):
    a, b, c = three
    r = rkt.ok("image", "list", "--full", env=UTC)
    rows = list_rows(r.out)
    assert rows[0] == HEADER
    assert r.out == tabwrite(rows)
    info = {i["id"]: i for i in list_json(rkt)}
    assert [row[0] for row in rows[1:]] == [c.key, a.key, b.key]
    for row in rows[1:]:
        i = info[row[0]]
        assert row[2] == str(i["size"])
        assert row[3] == go_time_utc(i["import_time"])
        assert row[4] == go_time_utc(i["last_used_time"])


def test_no_legend(rkt, three):
    a, b, c = three
    r = rkt.ok("image", "list", "--no-legend")
    assert "ID" not in r.out.split("\t")[0]
    assert ids(r.out) == [c.short19, a.short19, b.short19]
    assert r.out == tabwrite(list_rows(r.out))


def test_json(rkt, three):
    a, b, c = three
    r = rkt.ok("image", "list", "--format=json")
    assert r.out.startswith("[{") and r.out.endswith("}]\n")
    data = json.loads(r.out)
    assert r.out == go_json(data) + "\n", "not Go's compact encoding"
    assert [list(d.keys()) for d in data] == [["id", "name", "import_time", "last_used_time",
                                               "size"]] * 3
    assert [d["id"] for d in data] == [c.key, a.key, b.key]
    assert [d["name"] for d in data] == ["example.com/c-name:3.0", "example.com/a-name:1.0",
                                         "example.com/b-name:2.0"]
    now = time.time_ns()
    for d in data:
        assert isinstance(d["import_time"], int) and isinstance(d["last_used_time"], int)
        assert now - 120 * 10**9 < d["import_time"] <= now
        assert d["import_time"] <= d["last_used_time"] <= now
    assert data[0]["import_time"] < data[1]["import_time"] < data[2]["import_time"]


def test_json_pretty(rkt, three):
    r = rkt.ok("image", "list", "--format=json-pretty")
    data = json.loads(r.out)
    assert r.out == go_json(data, pretty=True) + "\n"
    assert '"id": "' in r.out
    assert len(data) == 3


def test_json_ignores_fields_and_full(rkt, three):
    plain = json.loads(rkt.ok("image", "list", "--format=json").out)
    other = json.loads(rkt.ok("image", "list", "--format=json", "--fields=name",
                              "--no-legend", "--full").out)
    assert plain == other


def no_hardlinks():
    # Without hard links the tree size does not depend on whether they count once.
    return {k: v for k, v in A.sample_files().items() if not isinstance(v, A.Hardlink)}


def test_size_is_blob_plus_tree(rkt, mkaci):
    a = mkaci("example.com/size", files=no_hardlinks())
    rkt.fetch(a.path)
    (info,) = list_json(rkt)
    blob = os.lstat(rkt.blob_path(a.key)).st_size
    assert blob == len(a.tar)
    tree = rkt.tree_path(a.tree_id)
    assert info["size"] in (blob + tree_size(tree, False), blob + tree_size(tree, True)), \
        (info["size"], blob, tree_size(tree, False))
    row = list_rows(rkt.ok("image", "list", "--no-legend", "--full").out)[0]
    assert row[2] == str(info["size"])


def test_size_after_image_gc_is_blob_size(rkt, mkaci):
    a = mkaci("example.com/size", files=A.sample_files())
    rkt.fetch(a.path)
    rkt.ok("image", "gc")
    (info,) = list_json(rkt)
    assert info["size"] == len(a.tar)
    row = list_rows(rkt.ok("image", "list", "--no-legend", "--full",
                           "--fields=size").out)[0]
    assert row == [str(len(a.tar))]


def test_name_without_version_label(rkt, mkaci):
    m = A.default_manifest("example.com/noversion", version=None)
    a = mkaci(manifest=m)
    rkt.fetch(a.path)
    r = rkt.ok("image", "list", "--no-legend", "--fields=name")
    assert r.out == "example.com/noversion\n"


@pytest.mark.parametrize("fields,header", [
    ("id", ["ID"]),
    ("name", ["NAME"]),
    ("size", ["SIZE"]),
    ("importtime", ["IMPORT TIME"]),
    ("lastused", ["LAST USED"]),
    ("name,id", ["NAME", "ID"]),
    ("lastused,size,id", ["LAST USED", "SIZE", "ID"]),
    ("id,name,size,importtime,lastused", HEADER),
])
def test_fields(rkt, three, fields, header):
    a, b, c = three
    r = rkt.ok("image", "list", f"--fields={fields}")
    rows = list_rows(r.out)
    assert rows[0] == header
    assert r.out == tabwrite(rows)
    assert all(len(row) == len(header) for row in rows)
    if "ID" in header:
        col = header.index("ID")
        assert [row[col] for row in rows[1:]] == [c.short19, a.short19, b.short19]
    if "NAME" in header:
        col = header.index("NAME")
        assert [row[col] for row in rows[1:]] == ["example.com/c-name:3.0",
                                                  "example.com/a-name:1.0",
                                                  "example.com/b-name:2.0"]


def test_fields_id_only(rkt, three):
    out = rkt.ok("image", "list", "--fields=id", "--no-legend").out
    assert [len(l) for l in out.splitlines()] == [19, 19, 19]
    out = rkt.ok("image", "list", "--fields=id", "--no-legend", "--full").out
    assert [len(l) for l in out.splitlines()] == [71, 71, 71]


def test_no_legend_names_only(rkt, three):
    out = rkt.ok("image", "list", "--no-legend", "--fields=name").out
    assert "sha" not in out
    assert out == "example.com/c-name:3.0\nexample.com/a-name:1.0\nexample.com/b-name:2.0\n"


@pytest.mark.parametrize("bad", ["latest", "bogus", "id,bogus"])
def test_unknown_field(rkt, bad):
    r = rkt.fail("image", "list", f"--fields={bad}")
    word = bad.split(",")[-1]
    assert f'unknown option "{word}"' in r.err


def test_sort_default_is_import_time_ascending(rkt, three):
    a, b, c = three
    assert ids(rkt.ok("image", "list", "--no-legend").out) == [c.short19, a.short19, b.short19]
    assert ids(rkt.ok("image", "list", "--no-legend", "--sort=importtime", "--order=asc").out) \
        == [c.short19, a.short19, b.short19]
    assert ids(rkt.ok("image", "list", "--no-legend", "--order=desc").out) \
        == [b.short19, a.short19, c.short19]


@pytest.mark.parametrize("key,asc", [
    ("name", "abc"),
    ("size", "abc"),       # a: 1 kB, b: 30 kB, c: 300 kB
    ("importtime", "cab"),
    ("lastused", "cba"),   # imported c, a, b; then a is exported (read)
])
def test_sort(rkt, three, key, asc):
    a, b, c = three
    time.sleep(0.02)
    rkt.ok("image", "export", a.key, rkt.tmp / "a-export.aci")
    by = {"a": a, "b": b, "c": c}
    want = [by[x].short19 for x in asc]
    assert ids(rkt.ok("image", "list", "--no-legend", f"--sort={key}").out) == want
    assert ids(rkt.ok("image", "list", "--no-legend", f"--sort={key}",
                      "--order=desc").out) == want[::-1]
    data = json.loads(rkt.ok("image", "list", "--format=json", f"--sort={key}").out)
    assert [d["id"][:19] for d in data] == want


def test_sort_by_two_keys(rkt, mkaci):
    b1 = mkaci("example.com/b", "1")
    a = mkaci("example.com/a", "1")
    b2 = mkaci("example.com/b", "2")
    for x in (b1, a, b2):
        rkt.fetch(x.path)
        time.sleep(0.02)
    out = rkt.ok("image", "list", "--no-legend", "--sort=name,importtime").out
    assert ids(out) == [a.short19, b1.short19, b2.short19]
    out = rkt.ok("image", "list", "--no-legend", "--sort=name,importtime", "--order=desc").out
    assert ids(out) == [b2.short19, b1.short19, a.short19]


def test_wrong_sort_order(rkt):
    r = rkt.fail("image", "list", "--order=sideways")
    assert "wrong sort order" in r.err


@pytest.mark.parametrize("bad", ["id", "bogus"])
def test_unknown_sort_key(rkt, bad):
    r = rkt.fail("image", "list", f"--sort={bad}")
    assert f'unknown option "{bad}"' in r.err


def test_invalid_format(rkt):
    # a flag error in rkt 1.30 (`rkt list` checks its --format later: test_cli_bytes.py)
    r = rkt.fail("image", "list", "--format=yaml")
    assert r.err.startswith('Error: invalid argument "yaml" for --format=yaml: ')
    assert r.out.startswith("NAME:\n\timage list - ")


def test_prefix_command(rkt, three):
    full = rkt.ok("image", "list", "--no-legend").out
    assert rkt.ok("image", "li", "--no-legend").out == full


def test_flags_before_subcommand(rkt, three):
    a, b, c = three
    out = rkt.ok("--no-legend", "--fields=id", "image", "list").out
    assert out == f"{c.short19}\n{a.short19}\n{b.short19}\n"


def test_unreadable_manifest_is_skipped_silently(rkt, three):
    a, b, c = three
    rkt.manifest_path(b.key).unlink()
    r = rkt("image", "list", "--no-legend")
    assert r.code == 0, r
    assert ids(r.out) == [c.short19, a.short19]
    assert "error(s) encountered" not in r.err


def test_invalid_manifest_is_reported(rkt, three):
    a, b, c = three
    rkt.manifest_path(b.key).write_text("{ this is not a manifest")
    r = rkt("image", "list", "--no-legend")
    assert ids(r.out) == [c.short19, a.short19], r
    assert "1 error(s) encountered when listing images:" in r.err
    assert "-" * 40 in r.err
    assert "rkt's appc version: 0.8.11" in r.err
