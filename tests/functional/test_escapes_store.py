# SPDX-License-Identifier: Apache-2.0
"""The store as a member of group rkt sees it: what root reads from the store and then
executes (the stage1) must be what root imported, whatever a member did to the files,
directories and index rows they can write (issue "Close the host escapes", review).

Each test is an attack by an unprivileged member (uid 4242, group rkt, no capability) on a
store root uses, followed by root's ordinary `rkt run` or `rkt stop`: a marker file that
only a process running as root can create shows whether the member's code ran."""
import gzip
import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

import imageutil
from aci import File, build_aci, default_manifest, tree_store_id
from podtest import INSECURE, needs_root
from test_escapes import as_member, bimg, evil_stage1, member, shared  # noqa: F401

pytestmark = [needs_root]


def default_stage1_key():
    tar = gzip.decompress(imageutil.stage1_image_path("native").read_bytes())
    return "sha512-" + hashlib.sha512(tar).hexdigest()[:64]


def shard(kind, key):
    return f"{kind}/sha512/{key[7:9]}/{key}"


def as_member_py(rkt, code, *args, uid=4242):
    """Runs Python code (with args in sys.argv[1:]) as the member, cwd = D/cas."""
    return subprocess.run(as_member(uid) + [sys.executable, "-c", code] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=60, cwd=rkt.dir / "cas")


def run_real(rkt, bimg, *flags):
    """root's ordinary run of an app with the default stage1."""
    return rkt(INSECURE, "run", "--net=host", *flags, bimg.path, "--exec=/inspect", "--",
               "--print-msg=real-stage1")


def script(marker):
    return f"#!/bin/sh\ntouch {marker}\nexit 0\n"


# --------------------------------------------------------------- the tree store

PLANT_TREE = """
import os, sys
tid, marker = sys.argv[1], sys.argv[2]
try:
    os.rename("tree", "tree.member")
    os.mkdir("tree", 0o755)
except OSError as e:
    print("refused:", e); sys.exit(0)
for ep in ("init", "stop", "gc", "enter"):
    os.makedirs(f"tree/{tid}/rootfs", exist_ok=True)
    with open(f"tree/{tid}/rootfs/{ep}", "w") as f:
        f.write("#!/bin/sh\\ntouch " + marker + "\\nexit 0\\n")
    os.chmod(f"tree/{tid}/rootfs/{ep}", 0o755)
for f in ("rendered", "manifest", "hash", "image"):
    open(f"tree/{tid}/{f}", "w").close()
print("planted")
"""


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("then", ["run", "stop"])
def test_member_cannot_replace_the_tree_store(shared, bimg, then, legacy):
    """D/cas is group-writable: a member renamed D/cas/tree (root's, 0700) away and put
    their own in its place, with a stage1 tree whose entrypoints are their scripts. legacy:
    on a store made before D/cas was sticky (as if the member had done it then)."""
    rkt, top = shared
    marker = top / "member-tree-ran"
    r = run_real(rkt, bimg)
    assert r.code == 0, r
    rkt.ok("gc", "--grace-period=0s")
    if legacy:
        os.chmod(rkt.cas, 0o2770)
    if then == "stop":
        p = rkt.popen(INSECURE, "run", "--net=host", bimg.path, "--exec=/bin/sleep", "--", "60",
                      stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline and not list((rkt.dir / "pods" / "run").glob("*/pid")):
            time.sleep(0.1)
    tid = tree_store_id([default_stage1_key()])
    m = as_member_py(rkt, PLANT_TREE, tid, marker)
    assert m.returncode == 0, m
    if then == "run":
        r = run_real(rkt, bimg)
        assert not marker.exists(), f"root ran the member's stage1 tree ({m.stdout})"
        assert r.code == 0 and "real-stage1" in r.out, r
    else:
        (uuid,) = [d.name for d in (rkt.dir / "pods" / "run").iterdir()]
        r = rkt("stop", uuid)
        if r.code != 0:  # legacy: root's trees were moved away by the member
            assert legacy and "cannot open the stage1" in r.err, r
            p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        assert not marker.exists(), f"rkt stop ran the member's stop entrypoint ({m.stdout})"
    rkt("gc", "--grace-period=0s")


# --------------------------------------------------------------- root's image files

REWRITE_MANIFEST = """
import json, sys
path, dep = sys.argv[1], sys.argv[2]
try:
    f = open(path, "r+")
except OSError as e:
    print("refused:", e); sys.exit(0)
m = json.load(f)
m["dependencies"] = [{"imageName": "example.com/member-dep", "imageID": dep}]
m["annotations"] = [a for a in m["annotations"] if a["name"] != "coreos.com/rkt/stage1/run"]
m["annotations"].append({"name": "coreos.com/rkt/stage1/run", "value": "/evil"})
f.seek(0); f.truncate(); json.dump(m, f); f.close()
print("rewritten")
"""


def legacy_mode(rkt, kind, key):
    """What a store made before image files were read-only has: the file group-writable."""
    os.chmod(rkt.cas / shard(kind, key), 0o660)


def expect_refused_or_real(r, m):
    """A member's change that landed (a legacy group-writable file) is refused as not the
    image of its ID; one that did not leaves root's run as it was."""
    if "rewritten" in m.stdout:
        assert r.code == 254 and "does not match its ID" in r.err, r
    else:
        assert r.code == 0 and "real-stage1" in r.out, r


@pytest.mark.parametrize("legacy", [False, True])
def test_member_cannot_rewrite_the_stage1_manifest(shared, bimg, legacy):
    """Root's image files were 0660 group rkt: a member rewrote the default stage1's
    manifest, adding a dependency (their own image) and pointing the run entrypoint at a
    file of that dependency."""
    rkt, top = shared
    marker = top / "member-dep-ran"
    r = run_real(rkt, bimg)
    assert r.code == 0, r
    rkt.ok("gc", "--grace-period=0s")
    if legacy:
        legacy_mode(rkt, "imageManifest", default_stage1_key())
    dep = build_aci(top / "dep.aci", default_manifest("example.com/member-dep", app=False),
                    {"evil": File(script(marker), mode=0o755)})
    os.chmod(dep.path, 0o644)
    f = member(rkt, INSECURE, "fetch", "--full", dep.path)
    assert f.returncode == 0, f
    m = as_member_py(rkt, REWRITE_MANIFEST, shard("imageManifest", default_stage1_key()),
                     dep.key)
    assert m.returncode == 0, m
    r = run_real(rkt, bimg)
    assert not marker.exists(), f"root ran a file of the member's image as its stage1 ({m})"
    expect_refused_or_real(r, m)
    rkt("gc", "--grace-period=0s")


@pytest.mark.parametrize("legacy", [False, True])
def test_member_cannot_move_the_stage1_entrypoint(shared, bimg, legacy):
    """The same without a dependency (the tree stays the one rendered): the run entrypoint
    moved to another file of the stage1 tree."""
    rkt, top = shared
    r = run_real(rkt, bimg)
    assert r.code == 0, r
    rkt.ok("gc", "--grace-period=0s")
    if legacy:
        legacy_mode(rkt, "imageManifest", default_stage1_key())
    code = """
import json, sys
try:
    f = open(sys.argv[1], "r+")
except OSError as e:
    print("refused:", e); sys.exit(0)
m = json.load(f)
for a in m["annotations"]:
    if a["name"] == "coreos.com/rkt/stage1/run":
        a["value"] = "/gc"
f.seek(0); f.truncate(); json.dump(m, f); f.close()
print("rewritten")
"""
    m = as_member_py(rkt, code, shard("imageManifest", default_stage1_key()))
    assert m.returncode == 0, m
    r = run_real(rkt, bimg)
    expect_refused_or_real(r, m)
    rkt("gc", "--grace-period=0s")


LINK_AS = """
import os, sys
src_key, dst_key, how = sys.argv[1], sys.argv[2], sys.argv[3]
done = []
for kind in ("blob", "imageManifest"):
    src = f"{kind}/sha512/{src_key[7:9]}/{src_key}"
    d = f"{kind}/sha512/{dst_key[7:9]}"
    try:
        os.makedirs(d, exist_ok=True)
        if os.path.lexists(f"{d}/{dst_key}"):
            os.rename(f"{d}/{dst_key}", f"{d}/{dst_key}.away")
        (os.link if how == "link" else os.rename)(src, f"{d}/{dst_key}")
        done.append(kind)
    except OSError as e:
        print("refused:", kind, e)
print("done", done)
"""


@pytest.mark.parametrize("how", ["link", "rename"])
def test_root_owned_blob_under_another_key_is_not_the_stage1(shared, bimg, how):
    """Root fetched a hostile image (any image: images are untrusted); a member linked (or
    moved) its root-owned blob and manifest to where the default stage1's are looked up, on
    a store that has not rendered the stage1 yet: root-owned, but not the stage1's bytes."""
    rkt, top = shared
    marker = top / "foreign-blob-ran"
    hostile = evil_stage1(top / "hostile.aci", marker, name="example.com/hostile-app")
    rkt.ok(INSECURE, "fetch", hostile.path)
    m = as_member_py(rkt, LINK_AS, hostile.key, default_stage1_key(), how)
    assert m.returncode == 0, m
    r = run_real(rkt, bimg)
    assert not marker.exists(), f"root ran another image's blob as the stage1 ({m.stdout})"
    assert r.code == 0 and "real-stage1" in r.out, r
    rkt("gc", "--grace-period=0s")


@pytest.mark.parametrize("legacy", [False, True])
def test_member_rewriting_a_root_blob_is_caught_at_render(shared, bimg, legacy):
    """A member overwrote the bytes of root's stage1 blob (0660 group rkt) before its tree
    was rendered: the render must not extract what is not the image of the ID."""
    rkt, top = shared
    marker = top / "rewritten-blob-ran"
    key = default_stage1_key()
    # root imports the default stage1 without rendering it (as image fetch by a member
    # would leave it): fetch the file, then remove the tree
    rkt.ok(INSECURE, "fetch", imageutil.stage1_image_path("native"))
    for t in rkt.tree_ids():
        subprocess.run(["rm", "-rf", str(rkt.cas / "tree" / t)], check=True)
    hostile = evil_stage1(top / "hostile.aci", marker)
    if legacy:
        legacy_mode(rkt, "blob", key)
    code = f"""
import sys
try:
    f = open({shard('blob', key)!r}, "r+b")
except OSError as e:
    print("refused:", e); sys.exit(0)
f.truncate(0); f.write({hostile.tar!r}); f.close(); print("rewritten")
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0, m
    r = run_real(rkt, bimg)
    assert not marker.exists(), f"root rendered and ran a rewritten stage1 blob ({m.stdout})"
    expect_refused_or_real(r, m)
    rkt("gc", "--grace-period=0s")


# --------------------------------------------------------------- paths and rows

def test_symlinked_shard_directory_is_not_followed(shared, tmp_path):
    """A member created D/cas/blob/sha512/<xx> (and imageManifest's) as a symlink to a
    directory only root may write: root's next import of an image whose ID starts with xx
    must not write (or remove) anything there."""
    rkt, top = shared
    target = top / "root-only"
    target.mkdir(mode=0o755)
    a = build_aci(top / "a.aci", default_manifest("example.com/shard"), {"f": File("x\n")})
    rkt.ok("image", "list")
    code = f"""
import os
for kind in ("blob", "imageManifest"):
    d = kind + "/sha512/{a.key[7:9]}"
    try:
        if os.path.isdir(d) and not os.path.islink(d):
            os.rename(d, d + ".member")
        os.symlink({str(target)!r}, d)
        print("planted", kind)
    except OSError as e:
        print("refused:", kind, e)
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0, m
    r = rkt(INSECURE, "fetch", "--full", a.path)
    assert list(target.iterdir()) == [], f"root wrote through the member's symlink ({r})"
    if r.code == 0:
        assert r.out.strip() == a.key, r
        rkt.ok("image", "rm", a.key)
        assert list(target.iterdir()) == [], "root removed files through the symlink"


def test_index_row_cannot_rename_an_image_into_the_stage1(shared, bimg):
    """--stage1-name resolves a name through the index, which members write: a member
    renamed root's hostile app image (with stage1 annotations) to the stage1's name."""
    rkt, top = shared
    marker = top / "renamed-row-ran"
    rkt.fetch(imageutil.stage1_image_path("native"))
    hostile = evil_stage1(top / "hostile.aci", marker, name="example.com/hostile-app")
    rkt.ok(INSECURE, "fetch", hostile.path)
    code = f"""
import sqlite3
db = sqlite3.connect("db/store.sqlite", timeout=60)
db.execute("UPDATE aciinfo SET name = 'coreos.com/rkt/stage1-native', importtime = ? "
           "WHERE blobkey = ?", (2**62, {hostile.key!r}))
db.commit()
print("renamed")
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0 and "renamed" in m.stdout, m
    r = run_real(rkt, bimg, "--stage1-name=coreos.com/rkt/stage1-native:1.30.0")
    assert not marker.exists(), "a renamed index row made root's hostile app its stage1"
    assert r.code == 0 and "real-stage1" in r.out, r
    rkt("gc", "--grace-period=0s")


def test_file_cache_row_cannot_redirect_a_stage1_file(shared, bimg):
    """--stage1-path=FILE: the index's cache of imported files (identity -> image ID) is
    written by members; a member pointed the identity of root's stage1 file at a hostile
    image root had fetched."""
    rkt, top = shared
    marker = top / "cache-row-ran"
    s1file = top / "stage1.aci"
    s1file.write_bytes(imageutil.stage1_image_path("native").read_bytes())
    os.chmod(s1file, 0o644)
    r = run_real(rkt, bimg, f"--stage1-path={s1file}")
    assert r.code == 0, r
    rkt.ok("gc", "--grace-period=0s")
    hostile = evil_stage1(top / "hostile.aci", marker, name="example.com/hostile-app")
    rkt.ok(INSECURE, "fetch", hostile.path)
    code = f"""
import sqlite3
db = sqlite3.connect("db/store.sqlite", timeout=60)
n = db.execute("UPDATE remote SET blobkey = ? WHERE aciurl LIKE ?",
               ({hostile.key!r}, "file://{s1file}#%")).rowcount
db.commit()
print("redirected", n)
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0, m
    r = run_real(rkt, bimg, f"--stage1-path={s1file}")
    assert not marker.exists(), f"a cache row made root's hostile app its stage1 ({m.stdout})"
    assert r.code == 0 and "real-stage1" in r.out, r
    rkt("gc", "--grace-period=0s")


REWRITE_APP = """
import json, sys
path = sys.argv[1]
try:
    f = open(path, "r+")
except OSError as e:
    print("refused:", e); sys.exit(0)
m = json.load(f)
m["app"]["isolators"] = [{"name": "os/linux/capabilities-retain-set",
                          "value": {"set": ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]}}]
f.seek(0); f.truncate(); json.dump(m, f); f.close()
print("rewritten")
"""


@pytest.mark.parametrize("legacy", [False, True])
def test_member_cannot_grant_capabilities_to_roots_app_image(shared, bimg, legacy):
    """Root fetched an app image; a member rewrote its stored manifest (0660 group rkt) so
    that the app asks for CAP_SYS_ADMIN: root's next run of the image must not grant it."""
    rkt, top = shared
    key = rkt.fetch(bimg.path)
    if legacy:
        legacy_mode(rkt, "imageManifest", key)
    m = as_member_py(rkt, REWRITE_APP, shard("imageManifest", key))
    assert m.returncode == 0, m
    r = rkt(INSECURE, "run", "--net=host", key, "--exec=/bin/grep", "--", "CapEff",
            "/proc/self/status")
    cap_sys_admin = 1 << 21
    eff = [int(ln.split()[1], 16) for ln in r.out.splitlines() if ln.startswith("CapEff")]
    assert not (eff and eff[0] & cap_sys_admin), f"the member's isolator was applied ({m})"
    if "rewritten" in m.stdout:
        assert r.code == 254 and "does not match its ID" in r.err, r
    else:
        assert r.code == 0 and eff, r
    rkt("gc", "--grace-period=0s")


@pytest.mark.parametrize("target_exists", [False, True])
def test_index_replaced_by_a_symlink_is_not_followed(shared, target_exists):
    """D/cas/db is group-writable: a member replaced root's index with a symlink to a file
    only root may write (or to where one would be created)."""
    rkt, top = shared
    target = top / "root-only-file"
    if target_exists:
        target.write_bytes(b"")
    rkt.ok("image", "list")
    code = f"""
import os
try:
    os.unlink("db/store.sqlite")
    os.symlink({str(target)!r}, "db/store.sqlite")
    print("planted")
except OSError as e:
    print("refused:", e)
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0, m
    r = rkt("image", "list")
    if target_exists:
        assert target.read_bytes() == b"", f"root wrote its index into the target ({r})"
    else:
        assert not target.exists(), f"root created its index at the member's target ({r})"
    assert r.code in (0, 254), r


def test_fifo_in_the_store_tmp_does_not_hang_root(shared):
    """A member's FIFO named like a temporary (cas/tmp/rkt-*): opening it to test its lock
    would block every later rkt command of root."""
    rkt, top = shared
    rkt.ok("image", "list")
    m = as_member_py(rkt, "import os; os.mkfifo('tmp/rkt-member-fifo'); print('planted')")
    assert m.returncode == 0, m
    r = rkt("image", "list", timeout=30)
    assert r.code == 0, r


def test_member_blob_that_is_a_fifo_does_not_hang_root(shared, bimg):
    """A member imported an image, then replaced their own blob with a FIFO: root running
    the image (rendering it) must fail, not block."""
    rkt, top = shared
    rkt.ok("image", "list")
    img = top / "b.aci"
    img.write_bytes(bimg.path.read_bytes())
    os.chmod(img, 0o644)
    f = member(rkt, INSECURE, "fetch", "--full", img)
    assert f.returncode == 0, f
    key = f.stdout.strip()
    code = f"""
import os
p = {shard('blob', key)!r}
os.unlink(p); os.mkfifo(p, 0o644); print("planted")
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0, m
    r = rkt(INSECURE, "run", "--net=host", key, "--exec=/bin/true", timeout=30)
    assert r.code == 254, r


def test_stage1_dependency_by_name_is_roots(shared, bimg):
    """A stage1 root imported renders with its dependencies, found by name in the index: a
    member imported their own image of the dependency's name, newer than root's."""
    rkt, top = shared
    marker = top / "member-base-ran"
    m = default_manifest("example.com/layered-stage1", "1.0", app=False)
    m["annotations"] = [{"name": f"coreos.com/rkt/stage1/{ep}", "value": f"/{ep}"}
                        for ep in ("run", "enter", "gc", "stop")]
    m["annotations"].append({"name": "coreos.com/rkt/stage1/interface-version", "value": "6"})
    m["dependencies"] = [{"imageName": "example.com/s1-base"}]
    s1 = build_aci(top / "s1.aci", m, {"flag": File("layered\n")})
    ok = "#!/bin/sh\necho real-base\nexit 0\n"
    base = build_aci(top / "base.aci", default_manifest("example.com/s1-base", app=False),
                     {ep: File(ok, mode=0o755) for ep in ("run", "enter", "gc", "stop")})
    evil = build_aci(top / "evil.aci", default_manifest("example.com/s1-base", "2.0", app=False),
                     {ep: File(script(marker), mode=0o755) for ep in ("run", "enter", "gc",
                                                                       "stop")})
    os.chmod(evil.path, 0o644)
    rkt.ok(INSECURE, "fetch", base.path)
    rkt.ok(INSECURE, "fetch", "--pull-policy=new", s1.path)  # its dependency: the store's
    f = member(rkt, INSECURE, "fetch", evil.path)
    assert f.returncode == 0, f
    r = rkt(INSECURE, "run", "--net=host", "--stage1-name=example.com/layered-stage1:1.0",
            bimg.path)
    assert not marker.exists(), f"root ran a member's dependency of its stage1 ({r})"
    rkt("gc", "--grace-period=0s")


def test_index_wal_made_by_a_member_is_taken_over_and_never_a_link(shared, tmp_path):
    """SQLite keeps the index's changes in store.sqlite-wal and its index in store.sqlite-shm,
    beside the index, made by whoever opens the index first: a member who did owns them and
    may replace them with hard links to other files (here one of their own; any file where
    fs.protected_hardlinks is 0), which root's next write would fill with index pages. Root
    takes a member's over (as the index) and refuses links."""
    rkt, top = shared
    rkt.ok("image", "list")
    db = rkt.dir / "cas" / "db"
    for n in ("store.sqlite-wal", "store.sqlite-shm"):  # as an older rkt left them: none
        (db / n).unlink(missing_ok=True)
    assert member(rkt, "image", "list").returncode == 0
    wal = db / "store.sqlite-wal"
    assert wal.stat().st_uid == 4242  # the member's
    rkt.ok("image", "list")  # SQLite (as root) gives them the index's owner
    assert wal.stat().st_uid == 0 and (db / "store.sqlite-shm").stat().st_uid == 0
    # a member's WAL once more, replaced by a link to another file of theirs
    for n in ("store.sqlite-wal", "store.sqlite-shm"):
        (db / n).unlink()
    assert member(rkt, "image", "list").returncode == 0
    r, other = root_fetch_with_a_member_link(rkt, tmp_path, "store.sqlite-wal",
                                             'os.unlink("db/store.sqlite-wal")')
    assert other.read_bytes() == b"MEMBER\n", f"root wrote its index into another file ({r})"
    assert other.stat().st_uid == 4242, f"root gave another file to itself ({r})"
    assert r.code == 254 and "tampered" in r.err, r


def root_fetch_with_a_member_link(rkt, tmp_path, name, before=""):
    """A member runs before (Python, cwd D/cas), then puts db/<name> as a hard link to a new
    file of theirs, db/members-file ("MEMBER\\n"); root then fetches an image. Returns
    root's result and that file."""
    other = rkt.dir / "cas" / "db" / "members-file"
    code = f"""
import os, sqlite3
{before}
open({str(other)!r}, "w").write("MEMBER\\n")
os.link({str(other)!r}, "db/{name}")
print("planted")
"""
    m = as_member_py(rkt, code)
    assert m.returncode == 0 and "planted" in m.stdout, m
    aci = build_aci(tmp_path / "x.aci", default_manifest("example.com/x", "1"),
                    {"f": File("x")}, None)
    return rkt(INSECURE, "fetch", aci.path), other
