# SPDX-License-Identifier: Apache-2.0
"""`rkt fetch` of local ACI files (SPEC.md §3.4, §5.1-5.3, §6.1)."""
import io
import json
import tarfile

import pytest

import aci as A
from storeutil import HEX64, assert_rootfs_matches, files_under, list_json, tmp_entries

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"


def test_fetch_absolute_path_prints_short_id(rkt, mkaci):
    a = mkaci("example.com/hello")
    r = rkt.ok(INSECURE, "fetch", a.path)
    assert r.out == a.short + "\n"
    assert len(a.short) == 39


def test_fetch_full_prints_full_key(rkt, mkaci):
    a = mkaci("example.com/hello")
    r = rkt.ok(INSECURE, "fetch", "--full", a.path)
    assert r.out == a.key + "\n"
    assert HEX64.match(r.out.strip())


@pytest.mark.parametrize("form", ["./{name}", "{name}", "sub/../{name}"])
def test_fetch_relative_path(rkt, mkaci, form):
    a = mkaci("example.com/rel")
    (a.path.parent / "sub").mkdir()
    r = rkt.ok(INSECURE, "fetch", "--full", form.format(name=a.path.name), cwd=a.path.parent)
    assert r.out == a.key + "\n"


def test_fetch_file_url(rkt, mkaci):
    a = mkaci("example.com/url")
    r = rkt.ok(INSECURE, "fetch", "--full", "file://" + str(a.path))
    assert r.out == a.key + "\n"
    assert [i["id"] for i in list_json(rkt)] == [a.key]


def test_fetch_file_url_needs_aci_extension(rkt, mkaci):
    a = mkaci("example.com/url", filename="image.tar")
    r = rkt.fail(INSECURE, "fetch", "file://" + str(a.path))
    assert "invalid image string" in r.err
    assert list_json(rkt) == []


def test_fetch_existing_file_without_aci_extension(rkt, mkaci):
    a = mkaci("example.com/noext", filename="image.tar")
    r = rkt.ok(INSECURE, "fetch", "--full", "image.tar", cwd=a.path.parent)
    assert r.out == a.key + "\n"


def test_fetch_several_images_prints_one_line_each(rkt, mkaci):
    a = mkaci("example.com/one")
    b = mkaci("example.com/two")
    r = rkt.ok(INSECURE, "fetch", a.path, b.path)
    assert r.out == f"{a.short}\n{b.short}\n"
    r = rkt.ok(INSECURE, "fetch", "--full", b.path, a.path)
    assert r.out == f"{b.key}\n{a.key}\n"


def test_image_fetch_alias(rkt, mkaci):
    a = mkaci("example.com/alias")
    r = rkt.ok(INSECURE, "image", "fetch", "--full", a.path)
    assert r.out == a.key + "\n"


def test_fetch_without_insecure_image_fails_and_stores_nothing(rkt, mkaci):
    # an unsigned file needs a signature (test_trust.py has the signed cases)
    a = mkaci("example.com/signed-needed")
    r = rkt.fail("fetch", a.path)
    assert r.err.startswith("fetch: error opening signature file: open ")
    assert r.out == ""
    assert list_json(rkt) == []
    assert [p for p in files_under(rkt.cas / "blob") if (rkt.cas / "blob" / p).is_file()] == []
    assert not rkt.blob_path(a.key).exists()
    assert rkt.tree_ids() == []


def test_fetch_with_insecure_options_all_fetch(rkt, mkaci):
    a = mkaci("example.com/allfetch")
    r = rkt.ok("--insecure-options=all-fetch", "fetch", "--full", a.path)
    assert r.out == a.key + "\n"


def test_fetch_insecure_options_after_subcommand(rkt, mkaci):
    a = mkaci("example.com/after")
    r = rkt.ok("fetch", INSECURE, "--full", a.path)
    assert r.out == a.key + "\n"


def test_fetch_no_image(rkt):
    r = rkt.fail(INSECURE, "fetch")
    assert "must provide at least one image" in r.err


def test_fetch_rejects_app_arguments(rkt, mkaci):
    a = mkaci("example.com/args")
    r = rkt.fail(INSECURE, "fetch", a.path, "--", "arg")
    assert "app arguments unsupported" in r.err
    assert list_json(rkt) == []


def test_fetch_missing_file(rkt, tmp_path):
    r = rkt.fail(INSECURE, "fetch", tmp_path / "does-not-exist.aci")
    assert r.err.startswith("fetch: "), r
    assert list_json(rkt) == []


def test_fetch_debug_names_the_file(rkt, mkaci):
    a = mkaci("example.com/dbg")
    r = rkt.ok("--debug", INSECURE, "fetch", a.path.name, cwd=a.path.parent)
    assert f"using image from file {a.path}" in r.err
    assert r.out == a.short + "\n"


@pytest.mark.parametrize("policy", ["new", "update", "never"])
def test_fetch_file_with_any_pull_policy_imports(rkt, mkaci, policy):
    a = mkaci("example.com/policy")
    r = rkt.ok(INSECURE, "fetch", f"--pull-policy={policy}", "--full", a.path)
    assert r.out == a.key + "\n"
    assert rkt.blob_path(a.key).is_file()


def test_fetch_bad_pull_policy(rkt, mkaci):
    a = mkaci("example.com/policy")
    rkt.fail(INSECURE, "fetch", "--pull-policy=sometimes", a.path)
    assert list_json(rkt) == []


def test_fetch_by_hash_uses_the_store(rkt, mkaci):
    a = mkaci("example.com/byhash")
    rkt.fetch(a.path)
    assert rkt.ok(INSECURE, "fetch", "--full", a.key).out == a.key + "\n"
    assert rkt.ok(INSECURE, "fetch", a.short19).out == a.short + "\n"
    r = rkt.ok("--debug", INSECURE, "fetch", a.short19)
    assert f"using image from the store with hash {a.key}" in r.err


def test_fetch_unknown_hash(rkt, mkaci):
    a = mkaci("example.com/byhash")
    rkt.fetch(a.path)
    other = "sha512-" + ("0" if a.hexid[0] != "0" else "1") * 20
    r = rkt.fail(INSECURE, "fetch", other)
    assert "no image IDs found" in r.err


def test_fetch_twice_keeps_one_image(rkt, mkaci):
    a = mkaci("example.com/twice")
    assert rkt.fetch(a.path) == a.key
    assert rkt.fetch(a.path) == a.key
    assert [i["id"] for i in list_json(rkt)] == [a.key]
    assert rkt.tree_ids() == [a.tree_id]


def test_store_layout_after_fetch(rkt, mkaci):
    files = A.sample_files()
    a = mkaci("example.com/layout", files=files)
    rkt.fetch(a.path)
    # blob: the decompressed tar, byte for byte
    assert rkt.blob_path(a.key).read_bytes() == a.tar
    # manifest
    stored = json.loads(rkt.manifest_path(a.key).read_bytes())
    assert stored == a.manifest
    # tree store: exactly one entry, for the image alone
    assert rkt.tree_ids() == [a.tree_id]
    t = rkt.tree_path(a.tree_id)
    assert (t / "rootfs").is_dir()
    assert (t / "rendered").is_file()
    assert (t / "image").read_text().strip() == a.key
    assert HEX64.match((t / "hash").read_text().strip())
    assert json.loads((t / "manifest").read_bytes())["name"] == "example.com/layout"
    assert_rootfs_matches(t / "rootfs", files)
    assert tmp_entries(rkt) == []


@pytest.mark.parametrize("compression", A.COMPRESSIONS, ids=lambda c: c or "plain")
def test_compressions_import_to_the_same_id(rkt, mkaci, compression):
    files = A.sample_files()
    plain = A.build_tar(A.default_manifest("example.com/comp"), files)
    a = mkaci("example.com/comp", files=files, compression=compression)
    assert a.key == A.image_id(plain)
    if compression:
        assert a.path.read_bytes() != plain
    assert rkt.fetch(a.path) == a.key
    assert rkt.blob_path(a.key).read_bytes() == plain
    assert_rootfs_matches(rkt.tree_path(a.tree_id) / "rootfs", files)


def test_all_compressions_share_one_store_entry(rkt, mkaci):
    keys = {rkt.fetch(mkaci("example.com/comp", compression=c, files={"f": "same"}).path)
            for c in A.COMPRESSIONS}
    assert len(keys) == 1
    assert len(list_json(rkt)) == 1


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_manifest_anywhere_in_archive(rkt, mkaci, position):
    files = A.sample_files()
    a = mkaci("example.com/pos", files=files, manifest_position=position)
    names = tarfile.open(fileobj=io.BytesIO(a.tar)).getnames()
    idx = names.index("manifest")
    assert {"first": idx == 0, "middle": 2 < idx < len(names) - 3,
            "last": idx == len(names) - 1}[position], names
    assert rkt.fetch(a.path) == a.key
    out = rkt.ok("image", "cat-manifest", "--pretty-print=false", a.key).out
    assert json.loads(out)["name"] == "example.com/pos"
    assert_rootfs_matches(rkt.tree_path(a.tree_id) / "rootfs", files)


def test_dot_slash_member_names(rkt, tmp_path):
    files = A.sample_files()
    a = A.build_aci(tmp_path / "dot.aci", A.default_manifest("example.com/dot"), files,
                    name_prefix="./")
    assert rkt.fetch(a.path) == a.key
    assert_rootfs_matches(rkt.tree_path(a.tree_id) / "rootfs", files)


def test_image_without_app(rkt, mkaci):
    m = A.default_manifest("example.com/no-app", app=False)
    a = mkaci(manifest=m)
    assert rkt.fetch(a.path) == a.key
    out = json.loads(rkt.ok("image", "cat-manifest", a.key).out)
    assert "app" not in out
    assert out["name"] == "example.com/no-app"


def test_image_without_app_exec(rkt, mkaci):
    m = A.default_manifest("example.com/no-exec", exec_=None)
    assert "exec" not in m["app"]
    a = mkaci(manifest=m)
    assert rkt.fetch(a.path) == a.key
    out = json.loads(rkt.ok("image", "cat-manifest", a.key).out)
    assert out["app"]["user"] == "0" and not out["app"].get("exec")


def test_image_without_labels(rkt, mkaci):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/bare"}
    a = mkaci(manifest=m)
    assert rkt.fetch(a.path) == a.key
    assert [i["name"] for i in list_json(rkt)] == ["example.com/bare"]


def test_not_an_archive(rkt, tmp_path):
    p = tmp_path / "garbage.aci"
    p.write_bytes(A.garbage())
    r = rkt.fail(INSECURE, "fetch", p)
    assert "unknown image filetype" in r.err
    assert list_json(rkt) == []


def test_fetch_creates_the_data_dir(rkt, mkaci):
    assert not rkt.dir.exists()
    a = mkaci("example.com/fresh")
    rkt.fetch(a.path)
    assert rkt.blob_path(a.key).is_file()
    assert rkt.manifest_path(a.key).is_file()


# --------------------------------------------------------------------------- unchanged files

UNCHANGED = "is unchanged since it was imported"


def test_unchanged_file_is_not_imported_again(rkt, mkaci):
    a = mkaci("example.com/cached")
    first = rkt.ok("--debug", INSECURE, "fetch", "--full", a.path)
    assert UNCHANGED not in first.err
    again = rkt.ok("--debug", INSECURE, "fetch", "--full", a.path)
    assert again.out == first.out and UNCHANGED in again.err, again


def test_changed_file_is_imported_again(rkt, mkaci):
    a = mkaci("example.com/cached")
    rkt.ok(INSECURE, "fetch", a.path)
    b = mkaci("example.com/cached", version="2.0.0")
    a.path.write_bytes(b.path.read_bytes())  # same path and inode, new contents
    r = rkt.ok("--debug", INSECURE, "fetch", "--full", a.path)
    assert r.out == b.key + "\n" and UNCHANGED not in r.err, r


def test_removed_image_is_imported_again(rkt, mkaci):
    a = mkaci("example.com/cached")
    rkt.ok(INSECURE, "fetch", a.path)
    rkt.ok("image", "rm", a.key)
    r = rkt.ok("--debug", INSECURE, "fetch", "--full", a.path)
    assert r.out == a.key + "\n" and UNCHANGED not in r.err, r
    assert rkt.ok("image", "list", "--no-legend").out.count("example.com/cached") == 1


def test_fetch_full_hash_with_flags_after_the_image(rkt, mkaci):
    """rkt's TestFetchFullHash: the short ID by default, the full one with --full, also
    when fetch's flags follow the image (SPEC.md §4.1's image list)."""
    a = mkaci("example.com/shorthash--6")
    assert rkt.ok(INSECURE, "fetch", a.path).out == a.short + "\n"
    assert rkt.ok(INSECURE, "fetch", "--pull-policy=new", a.path, "--full").out == a.key + "\n"
    assert rkt.ok(INSECURE, "fetch", a.path, "--full", "--pull-policy=update").out == \
        a.key + "\n"
