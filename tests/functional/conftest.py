# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the functional suite: the built rkt binary, per-test data and config
directories (as rkt's own harness used, SPEC.md §11.0), and helpers to run it."""
import os
import re
import shutil
import signal
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
    """Runs rkt with its own --dir and config directories.

    offline=True runs every invocation in a private network namespace (`unshare -n`: only a
    loopback interface, which is down), so nothing a test does can reach the network."""

    def __init__(self, tmp: Path, dir=None, offline=False):
        self.tmp = Path(tmp)
        self.dir = Path(dir) if dir is not None else self.tmp / "data"
        self.local = self.tmp / "local"
        self.system = self.tmp / "system"
        self.user = self.tmp / "user"
        self.offline = offline
        for d in (self.local, self.system, self.user):
            d.mkdir(parents=True, exist_ok=True)

    def args(self):
        return [str(RKT_BIN), f"--dir={self.dir}", f"--local-config={self.local}",
                f"--system-config={self.system}", f"--user-config={self.user}"]

    def prefix(self):
        return ["unshare", "--net"] if self.offline else []

    def argv(self, *argv):
        return self.prefix() + self.args() + [str(a) for a in argv]

    def __call__(self, *argv, input=None, env=None, timeout=120, cwd=None):
        proc = subprocess.run(self.argv(*argv), input=input, capture_output=True, text=True,
                              env=env, timeout=timeout, cwd=cwd)
        return Result(proc)

    def ok(self, *argv, **kw):
        r = self(*argv, **kw)
        assert r.code == 0, r
        return r

    def fail(self, *argv, code=254, **kw):
        r = self(*argv, **kw)
        assert r.code == code, r
        return r

    def popen(self, *argv, **kw):
        """Starts rkt without waiting (stdout/stderr piped, text mode)."""
        return subprocess.Popen(self.argv(*argv), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, **kw)

    # -- conveniences for the image tests ------------------------------------------------

    def fetch(self, image, *flags, **kw):
        """Fetches an image file without signature checks; returns the full image ID."""
        r = self.ok("--insecure-options=image", "fetch", "--full", *flags, str(image), **kw)
        lines = r.out.splitlines()
        assert len(lines) == 1 and lines[0].startswith("sha512-") and len(lines[0]) == 71, r
        return lines[0]

    @property
    def cas(self):
        return self.dir / "cas"

    def blob_path(self, key):
        return self.cas / "blob" / "sha512" / key[7:9] / key

    def manifest_path(self, key):
        return self.cas / "imageManifest" / "sha512" / key[7:9] / key

    def tree_path(self, tree_id):
        return self.cas / "tree" / tree_id

    def tree_ids(self):
        t = self.cas / "tree"
        return sorted(p.name for p in t.iterdir()) if t.is_dir() else []


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "offline: the `rkt` fixture runs rkt in a private network namespace")
    config.addinivalue_line(
        "markers", "slow: waits out a real time limit (a minute or more); run-tests.sh runs "
                   "these in the plain pass only")
    config.addinivalue_line(
        "markers", "rkt_free: never runs the rkt binary (stage1 entrypoints run directly, "
                   "style, fuzz replays of both builds): the same in both passes, so "
                   "run-tests.sh runs these in the plain pass only")


# ------------------------------------------------------------------ the tests' directories
# A full run writes about 18 GB into the tests' directories (a store with the stage1 images
# and pods per test), and pytest keeps the last three runs' directories: the disk fills.
# The directory of a test that passed is removed after its teardown, and the whole base
# directory after a run that passed; a failed test's stays for a look.

def mounts_under_ns(path, pid="self"):
    """Mount points at or below path in the mount namespace of pid (this process's)."""
    path = str(path)
    out = []
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            mp = unescape_mountinfo(line.split()[4])
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return out


def unmount_all(mounts):
    """Detaches the mount points mounts (made private first, so that nothing propagates to
    the host), deepest first."""
    for mp in sorted(mounts, key=len):
        subprocess.run(["mount", "--make-rprivate", mp], capture_output=True)
    for mp in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


def remove_test_tree(top):
    """Removes a directory a test made, after unmounting what is still mounted below it
    (unmount_all()). If something stays mounted, the tree stays: removing it would reach
    into the mounts."""
    unmount_all(mounts_under_ns(top))
    if not mounts_under_ns(top):
        shutil.rmtree(top, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup":
        item._rkt_tmp_path = item.funcargs.get("tmp_path")
    if report.failed:
        item._rkt_failed = True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    outcome = yield
    tmp = getattr(item, "_rkt_tmp_path", None)
    if tmp is not None and outcome.excinfo is None and not getattr(item, "_rkt_failed", False):
        remove_test_tree(tmp)


@pytest.hookimpl(trylast=True)  # after the session-scoped fixtures' teardown
def pytest_sessionfinish(session, exitstatus):
    """A run that passed leaves nothing behind: its shared images (about 1.2 GB) go too."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    base = getattr(factory, "_basetemp", None)
    if exitstatus == 0 and base is not None:
        remove_test_tree(base)


@pytest.fixture
def rkt(tmp_path, request):
    offline = request.node.get_closest_marker("offline") is not None
    return Rkt(tmp_path, offline=offline)


def kill_quietly(proc):
    """Kills a child started by a test (by its own pid) and reaps it."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.communicate(timeout=30)
    except Exception:
        pass


def run_offline(*argv, **kw):
    """Like run_bare, in a private network namespace (loopback only)."""
    return Result(subprocess.run(["unshare", "--net", str(RKT_BIN)] + [str(a) for a in argv],
                                 capture_output=True, text=True, **kw))


def run_bare(*argv, **kw):
    """Runs the rkt binary with exactly the given arguments."""
    return Result(subprocess.run([str(RKT_BIN)] + [str(a) for a in argv],
                                 capture_output=True, text=True, **kw))


# --------------------------------------------------------------------------- test images

import itertools  # noqa: E402

import aci as _aci  # noqa: E402


@pytest.fixture
def mkaci(tmp_path):
    """Factory writing small ACIs under tmp_path/images; returns aci.Aci objects.

    mkaci("example.com/a", "1.0.0", files={...}, compression="gz", manifest=..., labels=...)
    A given description always yields the same image ID."""
    d = tmp_path / "images"
    d.mkdir(exist_ok=True)
    counter = itertools.count()

    def make(name="example.com/hello", version="1.0.0", files=None, compression=None,
             manifest=None, filename=None, manifest_position="first", extra_members=(),
             **mkw):
        if manifest is None:
            manifest = _aci.default_manifest(name, version, **mkw)
        if files is None:
            files = {"hello.txt": _aci.File(f"hello from {name} {version}\n")}
        if filename is None:
            filename = f"img{next(counter)}.aci"
        return _aci.build_aci(d / filename, manifest, files, compression, manifest_position,
                              extra_members)
    return make


@pytest.fixture(scope="session")
def big_plain_aci(tmp_path_factory):
    """~50 MB uncompressed ACI of incompressible data (built once per session)."""
    d = tmp_path_factory.mktemp("big-plain")
    return _aci.build_aci(d / "big50.aci", _aci.default_manifest("example.com/big50"),
                          _aci.random_files(50, 25, 2 << 20))


@pytest.fixture(scope="session")
def big_gz_aci(tmp_path_factory):
    """~200 MB gzip'ed ACI of incompressible data (built once per session)."""
    d = tmp_path_factory.mktemp("big-gz")
    a = _aci.build_aci(d / "big200.aci", _aci.default_manifest("example.com/big200"),
                       _aci.random_files(200, 100, 2 << 20), compression="gz")
    a.tar = b""  # 200 MB: keep only the key
    return a


@pytest.fixture(scope="session")
def gzip_bomb(tmp_path_factory):
    """gzip'ed ACI (~1 MB) holding a 1 GiB file of zeros."""
    d = tmp_path_factory.mktemp("bomb")
    p = d / "bomb.aci"
    _aci.write_gzip_bomb(p, _aci.default_manifest("example.com/bomb"), 1 << 30)
    return p


# --------------------------------------------------------------------------- inspect images
# (test payload images: tests/functional/imageutil.py, tests/helpers/README.md)

import imageutil as _imageutil  # noqa: E402


@pytest.fixture(scope="session")
def inspect_bin():
    """Path of the built static payload (build/tests/helpers/inspect); fails if missing."""
    try:
        return _imageutil.inspect_path()
    except _imageutil.MissingPayload as e:
        pytest.fail(str(e))


@pytest.fixture
def mkinspect(tmp_path, inspect_bin):
    """Factory writing inspect ACIs under tmp_path/images; returns aci.Aci objects.

    mkinspect(exec_=["/inspect", "--print-user"], user="1000", busybox=True, ...) takes
    imageutil.inspect_image's keywords (name defaults to example.com/inspect)."""
    d = tmp_path / "images"
    d.mkdir(exist_ok=True)
    counter = itertools.count()

    def make(name="example.com/inspect", exec_=("/inspect",), filename=None, **kw):
        if filename is None:
            filename = f"inspect{next(counter)}.aci"
        return _imageutil.inspect_image(d / filename, name, exec_, **kw)
    return make


@pytest.fixture(scope="session")
def rkt_inspect_aci(tmp_path_factory, inspect_bin):
    """rkt's base test image coreos.com/rkt-inspect:1.30.0 (SPEC.md §11.0), built once."""
    return _imageutil.rkt_inspect_image(tmp_path_factory.mktemp("rkt-inspect") / "inspect.aci")


@pytest.fixture(scope="session")
def empty_aci(tmp_path_factory):
    """coreos.com/rkt-empty:1.30.0: no app, empty rootfs."""
    return _imageutil.empty_image(tmp_path_factory.mktemp("rkt-empty") / "empty.aci")


@pytest.fixture(scope="session")
def stub_stage1_aci(tmp_path_factory):
    """localhost/rkt-stub-stage1:0.0.1 (run/enter/gc only, no interface-version)."""
    return _imageutil.stub_stage1_image(tmp_path_factory.mktemp("stub-stage1") / "stub.aci")
# --------------------------------------------------------------------------- end of inspect images


# --------------------------------------------------------------------------- host mount guard
# Safety net for the pod tests: deleting a pod must never unmount anything of the host
# (a bug once let a fly pod's gc unmount the host's /dev/pts, /dev/shm and /sys/fs/cgroup
# through rshared bind mounts). Every test records the host's mount points outside /tmp
# (mount point + fs type, from /proc/self/mountinfo) before it runs and fails if any of them
# is gone afterwards. Mounts under /tmp (the tests' own directories) are not tracked.

def unescape_mountinfo(s):
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def host_mounts():
    """{(mount point, fs type)} of this process's mount namespace, outside /tmp and the
    pods' own network namespaces (/run/netns/cni-*, which come and go with pods)."""
    out = set()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            try:
                sep = fields.index("-")
            except ValueError:
                continue
            mp = unescape_mountinfo(fields[4])
            if mp == "/tmp" or mp.startswith(("/tmp/", "/run/netns/cni-")):
                continue
            out.add((mp, fields[sep + 1]))
    return out


@pytest.fixture(autouse=True)
def host_mounts_guard():
    """Fails the test if a host mount point (outside /tmp) disappeared while it ran."""
    before = host_mounts()
    yield
    gone = before - host_mounts()
    if gone:
        pytest.fail("host mount points disappeared during the test: "
                    + ", ".join(f"{mp} ({fs})" for mp, fs in sorted(gone)), pytrace=False)
# ------------------------------------------------------------------- end of host mount guard
