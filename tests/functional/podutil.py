# SPDX-License-Identifier: Apache-2.0
"""Synthetic pod directories for the pod-management tests: D/pods/<state>/<uuid> with the
files stage0 and stage1 would have written (SPEC.md §6.3), a recording stub stage1, and
helpers holding a pod's flock from another process to simulate "running"/"preparing"."""
import hashlib
import json
import os
import subprocess
import sys
import uuid as uuidlib
from pathlib import Path

STATE_DIRS = ("embryo", "prepare", "prepared", "run", "exited-garbage", "garbage")
IMAGE_ID = "sha512-" + "ab" * 32


def image_manifest(name, version=None, annotations=None):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name,
         "labels": [{"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"}]}
    if version:
        m["labels"].insert(0, {"name": "version", "value": version})
    if annotations:
        m["annotations"] = [{"name": k, "value": v} for k, v in annotations.items()]
    return m


def pod_manifest(apps, volumes=(), user_annotations=None, user_labels=None):
    m = {"acVersion": "0.8.11", "acKind": "PodManifest", "apps": [], "volumes": list(volumes),
         "isolators": None, "annotations": None, "ports": None}
    for a in apps:
        ra = {"name": a["name"], "image": {"name": a.get("image", "example.com/" + a["name"]),
                                           "id": a.get("id", IMAGE_ID)}}
        if "app" in a:
            ra["app"] = a["app"]
        if "mounts" in a:
            ra["mounts"] = a["mounts"]
        m["apps"].append(ra)
    if user_annotations:
        m["userAnnotations"] = user_annotations
    if user_labels:
        m["userLabels"] = user_labels
    return m


class Pod:
    def __init__(self, data, state_dir, uuid):
        self.data = Path(data)
        self.state_dir = state_dir
        self.uuid = uuid

    @property
    def path(self):
        return self.data / "pods" / self.state_dir / self.uuid

    def where(self):
        """The state directories that currently hold the pod."""
        return [d for d in STATE_DIRS if (self.data / "pods" / d / self.uuid).exists()]


def make_pod(data, state_dir, uuid=None, apps=(("app1", "1.0.0"),), manifest=True,
             created=None, pid=None, statuses=None, stage1=None, net_info=None,
             appsinfo=True, manifest_obj=None, record_dir=None):
    """Writes a pod directory. apps: (name, version) pairs. created/pid: mtimes (epoch
    seconds) of pod-created / pid (pid file written when pid is given). statuses: app -> exit
    code written to S1/rkt/status/<app>. stage1: dict of entrypoint annotations (name ->
    path), or None for the default recording stub when record_dir is given."""
    uuid = uuid or str(uuidlib.uuid4())
    for d in STATE_DIRS:
        (Path(data) / "pods" / d).mkdir(parents=True, exist_ok=True)
    p = Pod(data, state_dir, uuid)
    p.path.mkdir()
    s1 = p.path / "stage1" / "rootfs"
    s1.mkdir(parents=True)
    if manifest:
        m = manifest_obj or pod_manifest([{"name": n} for n, _ in apps])
        (p.path / "pod").write_text(json.dumps(m))
        (p.path / "pod-created").write_text("")
        if created is not None:
            os.utime(p.path / "pod-created", (created, created))
    if appsinfo:
        for name, version in apps:
            d = p.path / "appsinfo" / name
            d.mkdir(parents=True)
            (d / "manifest").write_text(json.dumps(image_manifest("example.com/" + name,
                                                                  version)))
    if pid is not None:
        (p.path / "pid").write_text("4242\n")
        os.utime(p.path / "pid", (pid, pid))
    for app, code in (statuses or {}).items():
        sd = s1 / "rkt" / "status"
        sd.mkdir(parents=True, exist_ok=True)
        (sd / app).write_text(f"{code}\n")
    if net_info is not None:
        (p.path / "net-info.json").write_text(json.dumps(net_info))
    if record_dir is not None or stage1 is not None:
        write_stage1(p, record_dir, stage1)
    return p


def write_stage1(pod, record_dir, annotations=None, interface_version="5"):
    """A stub stage1 whose gc and stop entrypoints record argv and cwd in record_dir."""
    if annotations is None:
        annotations = {"coreos.com/rkt/stage1/run": "/run", "coreos.com/rkt/stage1/gc": "/gc",
                       "coreos.com/rkt/stage1/stop": "/stop"}
        if interface_version:
            annotations["coreos.com/rkt/stage1/interface-version"] = interface_version
    (pod.path / "stage1" / "manifest").write_text(
        json.dumps(image_manifest("example.com/stub-stage1", "0.0.1", annotations)))
    # rkt runs the entrypoints of a pod that has run from the tree store copy of its stage1
    # (root-only), never from S1: the stub goes into both
    tree = stub_tree_id(pod.uuid)
    (pod.path / "stage1TreeStoreID").write_text(tree)
    for s1 in (pod.path / "stage1" / "rootfs", Path(pod.data) / "cas" / "tree" / tree / "rootfs"):
        s1.mkdir(parents=True, exist_ok=True)
        for ep in ("gc", "stop"):
            script = s1 / ep
            script.write_text("#!/bin/sh\n"
                              f"out={record_dir}/{ep}-$(basename \"$(pwd)\")\n"
                              "pwd > \"$out.cwd\"\n"
                              "printf '%s\\n' \"$0\" \"$@\" > \"$out.argv\"\n"
                              "echo stub-stdout\n")
            script.chmod(0o755)


def stub_tree_id(uuid):
    """A tree store ID for the stub stage1 of pod uuid."""
    return "deps-sha512-" + hashlib.sha512(uuid.encode()).hexdigest()[:64]


def stage1_tree_entrypoint(pod, ep):
    """Where rkt executes the stub stage1's entrypoint ep of pod from (its $0)."""
    return str(Path(pod.data) / "cas" / "tree" / stub_tree_id(pod.uuid) / "rootfs" / ep)


def recorded(record_dir, ep, uuid):
    """(argv lines, cwd) recorded by the stub entrypoint ep for pod uuid, or None."""
    base = Path(record_dir) / f"{ep}-{uuid}"
    if not Path(str(base) + ".argv").exists():
        return None
    return (Path(str(base) + ".argv").read_text().splitlines(),
            Path(str(base) + ".cwd").read_text().strip())


HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


class LockHolder:
    """Holds an exclusive flock on a pod directory from a child process (the lock follows the
    directory through renames, as a pod's lock does)."""

    def __init__(self, path):
        self.proc = subprocess.Popen(["/usr/bin/python3", "-c", HOLDER, str(path)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def utc_env():
    return dict(os.environ, TZ="UTC")
