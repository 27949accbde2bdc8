# SPDX-License-Identifier: Apache-2.0
"""Helpers for the image/store tests: store snapshots, expected renderings of rkt's output
primitives (SPEC.md §1.4: tables, sizes, timestamps, Go JSON) and sandboxes for the few
tests whose failure mode could damage the host."""
import hashlib
import json
import os
import re
import shlex
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import BUILD, RKT_BIN, Result

HEX64 = re.compile(r"^sha512-[0-9a-f]{64}$")


# --------------------------------------------------------------------------- store state

def files_under(root: Path):
    """Relative paths of every entry below root (empty set when root does not exist)."""
    root = Path(root)
    if not root.exists():
        return set()
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def non_dirs_under(root: Path):
    root = Path(root)
    return {p for p in files_under(root) if not (root / p).is_dir() or (root / p).is_symlink()}


def snapshot(rkt):
    """Everything a failed fetch must leave unchanged: the image list, the files under
    cas/blob and cas/imageManifest (directories may appear), every entry under cas/tree."""
    r = rkt("image", "list", "--full", "--no-legend")
    assert r.code == 0, r
    return {
        "list": r.out,
        "blob": non_dirs_under(rkt.cas / "blob"),
        "imageManifest": non_dirs_under(rkt.cas / "imageManifest"),
        "tree": files_under(rkt.cas / "tree"),
    }


def tmp_entries(rkt):
    return sorted(files_under(rkt.cas / "tmp"))


def assert_store_unchanged(rkt, before):
    after = snapshot(rkt)
    assert after == before, f"store changed:\nbefore={before}\nafter={after}"
    assert tmp_entries(rkt) == [], f"leftovers in cas/tmp: {tmp_entries(rkt)}"


def list_rows(out):
    """Splits table output (tabwriter, TAB padded) into cells."""
    return [re.split(r"\t+", l) for l in out.splitlines() if l != ""]


def list_json(rkt):
    r = rkt.ok("image", "list", "--format=json")
    data = json.loads(r.out)
    return data or []


def tree_size(path: Path, include_root: bool):
    """Sum of lstat sizes of the entries of a tree (hard links counted once)."""
    total = 0
    seen = set()
    path = Path(path)
    entries = [path] if include_root else []
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            entries.append(Path(dirpath) / n)
    for p in entries:
        st = os.lstat(p)
        if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
        total += st.st_size
    return total


def device_nodes_under(root: Path):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            m = os.lstat(p).st_mode
            if stat.S_ISCHR(m) or stat.S_ISBLK(m):
                found.append(p)
    return found


def sha512_file(path):
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- formats

def go_json(obj, pretty=False):
    """encoding/json output for an already-ordered object (SPEC.md §1.4)."""
    if pretty:
        s = json.dumps(obj, indent="\t", ensure_ascii=False)
    else:
        s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def canonical_manifest(m: dict) -> dict:
    """The image manifest as Go marshals schema.ImageManifest: fixed field order, empty
    optional fields omitted (only the fields the tests use)."""
    out = {"acKind": m["acKind"], "acVersion": m["acVersion"], "name": m["name"]}
    if m.get("labels"):
        out["labels"] = [{"name": l["name"], "value": l["value"]} for l in m["labels"]]
    if m.get("app") is not None:
        a = m["app"]
        app = {"exec": a.get("exec"), "user": a["user"], "group": a["group"]}
        if a.get("workingDirectory"):
            app["workingDirectory"] = a["workingDirectory"]
        if a.get("environment"):
            app["environment"] = [{"name": e["name"], "value": e["value"]}
                                  for e in a["environment"]]
        out["app"] = app
    if m.get("annotations"):
        out["annotations"] = [{"name": x["name"], "value": x["value"]} for x in m["annotations"]]
    if m.get("dependencies"):
        deps = []
        for d in m["dependencies"]:
            dd = {"imageName": d["imageName"]}
            if d.get("labels"):
                dd["labels"] = [{"name": l["name"], "value": l["value"]} for l in d["labels"]]
            deps.append(dd)
        out["dependencies"] = deps
    if m.get("pathWhitelist"):
        out["pathWhitelist"] = list(m["pathWhitelist"])
    return out


def tabwrite(rows):
    """Go text/tabwriter(minwidth 0, tabwidth 8, padding 1, padchar TAB) for rows written as
    TAB-separated cells terminated by a newline; all rows have the same cell count."""
    if not rows:
        return ""
    ncol = len(rows[0])
    widths = []
    for c in range(ncol - 1):
        w = max(len(r[c]) for r in rows) + 1
        widths.append((w + 7) // 8 * 8)
    lines = []
    for r in rows:
        s = ""
        for c in range(ncol - 1):
            s += r[c] + "\t" * ((widths[c] - len(r[c]) + 7) // 8)
        lines.append(s + r[-1])
    return "\n".join(lines) + "\n"


def humanize_iec(n: int) -> str:
    """go-humanize IBytes as described in SPEC.md §1.4."""
    if n < 10:
        return f"{n}B"
    sizes = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    e = 0
    while n >= 1024 ** (e + 1):
        e += 1
    import math
    v = math.floor(n / 1024 ** e * 10 + 0.5) / 10
    return (f"{v:.1f}" if v < 10 else f"{v:.0f}") + sizes[e]


def go_time_utc(ns: int) -> str:
    """Layout `2006-01-02 15:04:05.999 -0700 MST` for a UTC time given in Unix ns."""
    sec, frac = divmod(ns, 10 ** 9)
    s = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(sec))
    ms = f"{frac // 10 ** 6:03d}".rstrip("0")
    if ms:
        s += "." + ms
    return s + " +0000 UTC"


# --------------------------------------------------------------------------- sandboxes

def run_private_varlib(argv, timeout=120):
    """Runs argv in a private mount namespace where /var/lib is an empty tmpfs, so that a
    command falling back to the default data dir (/var/lib/rkt) cannot touch the host's."""
    script = "mount -t tmpfs tmpfs /var/lib && exec " + " ".join(shlex.quote(str(a)) for a in argv)
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "--net",
                           "sh", "-c", script], capture_output=True, text=True, timeout=timeout)
    return Result(proc)


class ChrootResult(Result):
    pass


def run_chroot_sandbox(rkt, argv, timeout=120):
    """Runs `rkt <args> argv` chrooted into a throw-away root: a tmpfs holding a canary file,
    read-only bind mounts of /usr, /etc and the build tree, and the test's tmp dir bound
    read-write at its own path. Used for commands that, when buggy, would delete "/": at
    worst they empty the throw-away root. Returns the Result plus `.canary` (True when the
    sandbox root's canary survived)."""
    root = Path(tempfile.mkdtemp(prefix="rkt-sbx-"))
    tmp = str(rkt.tmp)
    build = str(BUILD)
    q = shlex.quote
    lines = [
        "set -e",
        f"R={q(str(root))}",
        'mount -t tmpfs -o size=16m tmpfs "$R"',
        'for d in usr etc; do mkdir "$R/$d"; mount --bind "/$d" "$R/$d"; '
        'mount -o remount,bind,ro "$R/$d"; done',
    ]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            lines.append(f'ln -s {q(os.readlink(p))} "$R/{name}"')
    for ro in sorted({build, str(Path(RKT_BIN).resolve().parent)}):
        if os.path.isdir(ro):
            lines.append(f'mkdir -p "$R"{q(ro)} && mount --bind {q(ro)} "$R"{q(ro)} && '
                         f'mount -o remount,bind,ro "$R"{q(ro)}')
    lines += [
        f'mkdir -p "$R"{q(tmp)} && mount --bind {q(tmp)} "$R"{q(tmp)}',
        'mkdir -p "$R/proc" "$R/dev" "$R/tmp"', 'mount -t proc proc "$R/proc"',
        'for n in null zero urandom random; do : > "$R/dev/$n"; '
        'mount --bind "/dev/$n" "$R/dev/$n"; done',
        'echo alive > "$R/canary"',
        "set +e",
        'chroot "$R" ' + " ".join(q(a) for a in rkt.args() + [str(a) for a in argv]),
        "rc=$?",
        '[ -f "$R/canary" ] && echo "@@CANARY-ALIVE@@" >&2',
        "exit $rc",
    ]
    try:
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "--net",
                               "sh", "-c", "\n".join(lines)], capture_output=True, text=True,
                              timeout=timeout)
    finally:
        try:
            root.rmdir()
        except OSError:
            pass
    res = ChrootResult(proc)
    res.canary = "@@CANARY-ALIVE@@" in res.err
    res.err = res.err.replace("@@CANARY-ALIVE@@\n", "")
    return res


# --------------------------------------------------------------------------- rootfs checks

def assert_rootfs_matches(root, files, owners=True, hardlinks=True):
    """Checks that a rendered/extracted rootfs holds the entries described by an aci.py
    files dict (content, permission bits, owners, symlink targets, hard links). With
    hardlinks=False a hard link may also be an equal copy (render copies trees)."""
    import aci as A
    root = Path(root)
    for rel, spec in files.items():
        p = root / rel.strip("/")
        st = os.lstat(p)
        if isinstance(spec, (bytes, str)):
            spec = A.File(spec)
        if isinstance(spec, A.File):
            data = spec.content.encode() if isinstance(spec.content, str) else spec.content
            assert stat.S_ISREG(st.st_mode), p
            assert p.read_bytes() == data, p
            assert stat.S_IMODE(st.st_mode) == spec.mode, (p, oct(st.st_mode))
            if owners:
                assert (st.st_uid, st.st_gid) == (spec.uid, spec.gid), p
        elif isinstance(spec, A.Dir):
            assert stat.S_ISDIR(st.st_mode), p
            assert stat.S_IMODE(st.st_mode) == spec.mode, (p, oct(st.st_mode))
            if owners:
                assert (st.st_uid, st.st_gid) == (spec.uid, spec.gid), p
        elif isinstance(spec, A.Symlink):
            assert stat.S_ISLNK(st.st_mode), p
            assert os.readlink(p) == spec.target, p
        elif isinstance(spec, A.Hardlink):
            target = root / spec.target.strip("/")
            t = os.lstat(target)
            if hardlinks:
                assert (st.st_dev, st.st_ino) == (t.st_dev, t.st_ino), f"{p} is not a hard link"
            else:
                assert stat.S_ISREG(st.st_mode) and p.read_bytes() == target.read_bytes(), p
        elif isinstance(spec, A.Fifo):
            assert stat.S_ISFIFO(st.st_mode), p
