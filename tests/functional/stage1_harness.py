# SPDX-License-Identifier: Apache-2.0
"""Hand-made pod directories for testing stage1 entrypoints directly (no stage0).

make_pod() lays out what stage0 would (SPEC.md §6.3): P/pod, P/appsinfo/<app>/manifest,
P/stage1/rootfs (S1) holding the stage1 binaries of one flavor, and each app's rootfs at
S1/opt/stage2/<app>/rootfs built from Debian's busybox-static. Pod.run()/start() exec the
run entrypoint with cwd = P and RKT_LOCK_FD naming a locked fd of P, as stage0 does.
"""
import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
import uuid as uuidlib
from pathlib import Path

from conftest import mounts_under_ns, unmount_all

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("RKT_BUILD_DIR", ROOT / "build"))
STAGE1_BUILD = BUILD / "src" / "stage1"
BUSYBOX = Path("/bin/busybox")

NATIVE = {"init": "stage1-native-init", "enter": "stage1-native-enter",
          "stop": "stage1-native-stop", "gc": "stage1-native-gc"}
FLY = {"run": "stage1-fly-run", "enter": "stage1-fly-enter", "stop": "stage1-fly-stop",
       "gc": "stage1-fly-gc"}

APPLETS = ["sh", "cat", "echo", "sleep", "id", "hostname", "ls", "grep", "touch", "mkdir",
           "env", "pwd", "stat", "test", "true", "false", "kill", "head", "wc", "ps", "mknod",
           "readlink", "rm", "sed", "tr", "cut", "printf", "seq"]

FAKE_HASH = "sha512-" + "ab" * 32


def image_manifest(name, app=None, annotations=None):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": f"example.com/{name}",
         "labels": [{"name": "version", "value": "1.0.0"}, {"name": "os", "value": "linux"},
                    {"name": "arch", "value": "amd64"}]}
    if app is not None:
        m["app"] = app
    if annotations:
        m["annotations"] = [{"name": k, "value": v} for k, v in annotations.items()]
    return m


def app_section(exec_, user="0", group="0", env=None, workdir=None, isolators=None,
                mount_points=None, event_handlers=None, supplementary_gids=None):
    """An appc app object (SPEC.md §4.6) from keyword arguments."""
    app = {"exec": list(exec_), "user": user, "group": group}
    if supplementary_gids:
        app["supplementaryGIDs"] = supplementary_gids
    if event_handlers:
        app["eventHandlers"] = [{"name": k, "exec": v} for k, v in event_handlers.items()]
    if workdir:
        app["workingDirectory"] = workdir
    if env:
        app["environment"] = [{"name": k, "value": v} for k, v in env.items()]
    if mount_points:
        app["mountPoints"] = mount_points
    if isolators:
        app["isolators"] = isolators
    return app


def make_rootfs(root: Path, files=None):
    """A busybox rootfs: /bin/busybox, applet symlinks, /etc/passwd and /etc/group."""
    (root / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for a in APPLETS:
        (root / "bin" / a).symlink_to("busybox")
    (root / "etc").mkdir(exist_ok=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                         "user1:x:1000:100::/:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\ngroup1:x:100:user1\n")
    (root / "tmp").mkdir(mode=0o1777, exist_ok=True)
    for path, content in (files or {}).items():
        p = root / path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)


class Pod:
    def __init__(self, path: Path, uuid: str, flavor: str):
        self.path = path
        self.uuid = uuid
        self.flavor = flavor
        self.s1 = path / "stage1" / "rootfs"
        self.proc = None
        self._lock_fd = None

    # -- files --------------------------------------------------------------------------
    def entry(self, name):
        return str(self.s1 / name)

    def status(self, app):
        p = self.s1 / "rkt" / "status" / app
        return p.read_text() if p.exists() else None

    def pid(self):
        p = self.path / "pid"
        return int(p.read_text()) if p.exists() else None

    def subcgroup(self):
        p = self.path / "subcgroup"
        return p.read_text().strip() if p.exists() else None

    def rootfs(self, app):
        return self.s1 / "opt" / "stage2" / app / "rootfs"

    # -- running ------------------------------------------------------------------------
    def _lock(self):
        if self._lock_fd is None:
            self._lock_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return self._lock_fd

    def run_argv(self, args):
        run = "init" if self.flavor == "native" else "run"
        argv = [self.entry(run)] + list(args) + [self.uuid]
        if self.flavor == "fly":  # keep fly's host-namespace mounts off the test host
            argv = ["unshare", "--mount", "--propagation", "private"] + argv
        return argv

    def _env(self, extra=None):
        env = dict(os.environ)
        env["RKT_LOCK_FD"] = str(self._lock())
        env.update(extra or {})
        return env

    def run(self, *args, timeout=60, input=None, env=None):
        """Runs the pod to completion; returns the CompletedProcess (text output)."""
        lock = self._lock()
        return subprocess.run(self.run_argv(args), cwd=self.path, env=self._env(env),
                              pass_fds=(lock,), capture_output=True, text=True,
                              timeout=timeout, input=input)

    def start(self, *args, env=None, **kw):
        """Starts the pod in the background (subprocess.Popen, text pipes)."""
        lock = self._lock()
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        self.proc = subprocess.Popen(self.run_argv(args), cwd=self.path, env=self._env(env),
                                     pass_fds=(lock,), text=True, **kw)
        return self.proc

    def wait_ready(self, timeout=10):
        """Waits for P/pid and (native) S1/rkt/supervisor-status."""
        end = time.time() + timeout
        ready = self.s1 / "rkt" / "supervisor-status"
        while time.time() < end:
            if self.pid() and (self.flavor == "fly" or ready.is_symlink()):
                return self.pid()
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(f"pod exited early: {self.proc.communicate()}")
            time.sleep(0.05)
        raise AssertionError("pod did not become ready")

    def helper(self, name, *args, timeout=30, env=None):
        """Runs the stop/gc/enter entrypoint with cwd = P."""
        return subprocess.run([self.entry(name)] + [str(a) for a in args], cwd=self.path,
                              capture_output=True, text=True, timeout=timeout,
                              env=env if env is not None else dict(os.environ))

    def stop(self, force=False):
        return self.helper("stop", *(["--force"] if force else []), self.uuid)

    def gc(self):
        return self.helper("gc", self.uuid)

    def enter(self, app, *cmd, env=None):
        return self.helper("enter", f"--pid={self.pid()}", f"--appname={app}", "--", *cmd,
                           env=env)

    def cgroup_dirs(self):
        """The pod's cgroup directory in every mounted hierarchy that has it."""
        sub = self.subcgroup()
        if not sub:
            return []
        return [Path(m) / sub for m in cgroup_mounts() if (Path(m) / sub).is_dir()]

    def cgroup_pids(self):
        pids = set()
        for d in self.cgroup_dirs():
            for procs in d.rglob("cgroup.procs"):
                try:
                    pids |= {int(x) for x in procs.read_text().split()}
                except OSError:
                    pass
        return pids

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.flavor == "native" and self.subcgroup():
            self.gc()
        umount_below(self.path)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def cgroup_mounts():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            # only the host's hierarchies (other pods may hold bind mounts of them)
            if (fstype in ("cgroup", "cgroup2") and fields[3] == "/"
                    and fields[4].startswith("/sys/fs/cgroup") and fields[4] not in out):
                out.append(fields[4])
    return out


def umount_below(path: Path):
    """Lazily unmounts whatever is still mounted below path (fly leaves mounts behind)."""
    top = str(path.resolve())
    unmount_all([m for m in mounts_under_ns(top) if m != top])


def make_pod(tmp: Path, apps, volumes=None, flavor="native", app_in_image=False,
             annotations=None):
    """Builds a pod directory under tmp and returns a Pod.

    apps: list of dicts with "name", "app" (an app_section()), optional "mounts" (pod
    manifest mounts), "files" (extra rootfs files), "image_annotations",
    "read_only_rootfs". With app_in_image the app section goes into the image manifest
    only (the pod's app inherits it)."""
    uuid = str(uuidlib.uuid4())
    path = Path(tmp) / uuid  # stage0 names P by the pod UUID; entrypoints read it there
    s1 = path / "stage1" / "rootfs"
    s1.mkdir(parents=True)
    os.chmod(path, 0o750)
    for ep, binary in (NATIVE if flavor == "native" else FLY).items():
        shutil.copy2(STAGE1_BUILD / binary, s1 / ep)
    (s1 / "flavor").symlink_to(flavor)
    pod_apps = []
    for a in apps:
        name = a["name"]
        img = image_manifest(name, a["app"] if app_in_image else None,
                             a.get("image_annotations"))
        (path / "appsinfo" / name).mkdir(parents=True)
        (path / "appsinfo" / name / "manifest").write_text(json.dumps(img))
        (s1 / "opt" / "stage2" / name).mkdir(parents=True)
        (s1 / "opt" / "stage2" / name / "manifest").write_text(json.dumps(img))
        make_rootfs(s1 / "opt" / "stage2" / name / "rootfs", a.get("files"))
        pa = {"name": name, "image": {"name": f"example.com/{name}", "id": FAKE_HASH,
                                      "labels": img["labels"]}}
        if not app_in_image:
            pa["app"] = a["app"]
        if a.get("read_only_rootfs"):
            pa["readOnlyRootFS"] = True
        if a.get("mounts"):
            pa["mounts"] = a["mounts"]
        pod_apps.append(pa)
    manifest = {"acVersion": "1.30.0", "acKind": "PodManifest", "apps": pod_apps,
                "volumes": volumes, "isolators": None,
                "annotations": [{"name": "coreos.com/rkt/stage1/mutable", "value": "false"}]
                + [{"name": k, "value": v} for k, v in (annotations or {}).items()],
                "ports": None}
    (path / "pod").write_text(json.dumps(manifest))
    return Pod(path, uuid, flavor)


def wait_for(pred, timeout=10, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


__all__ = ["make_pod", "app_section", "Pod", "wait_for", "pid_alive", "cgroup_mounts",
           "signal"]
