# SPDX-License-Identifier: Apache-2.0
"""Mutable pods (issue 16, SPEC.md §3.20, §11.15): `rkt app sandbox` runs a pod with no app
whose pod init stays up; `app add` (image from the store), `app start`, `app stop`, `app rm`,
`app list` and `app status` manage its apps through the stage1's app entrypoints, which
start each app through the same code as `rkt run` (its cgroup, mounts, seccomp, caps) under
a per-app monitor in the pod. Everything is behind RKT_EXPERIMENT_APP. The Kubernetes log
mode (pod annotations) writes `<RFC 3339 nano time> <stdout|stderr> <line>` records.

One sandbox serves the tests of this module that leave it as they found it (the `sandbox`
fixture); tests that stop or break a pod make their own."""
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import kill_quietly
from podtest import (INSECURE, Pod, Pods, _finish, img, needs_root,  # noqa: F401
                     pod_cgroups, stage1_path, wait_for)

pytestmark = [needs_root]

ENV = dict(os.environ, RKT_EXPERIMENT_APP="true")
MSG = "HelloFromAppInSandbox"


class Sandbox:
    """A running `rkt app sandbox` whose stdout and stderr go to files."""

    def __init__(self, pods, *flags, flavor="native"):
        self.pods = pods
        uf = pods.next_uuid_file()
        self.out = pods.tmp / f"sandbox-{pods.counter}.out"
        self.err = pods.tmp / f"sandbox-{pods.counter}.err"
        with open(self.out, "w") as o, open(self.err, "w") as e:
            proc = subprocess.Popen(
                pods.argv(INSECURE, "app", "sandbox", f"--stage1-path={stage1_path(flavor)}",
                          f"--uuid-file-save={uf}", *flags),
                stdout=o, stderr=e, stdin=subprocess.DEVNULL, env=ENV)
        self.pod = Pod(proc, uf)
        pods.started.append(self.pod)
        self.uuid = self.pod.uuid
        pods.wait_ready(self.uuid)

    def output(self):
        return self.out.read_text() + self.err.read_text()

    def app(self, verb, *args, code=0, **kw):
        r = self.pods(*verb_argv(verb, self.uuid, *args), env=ENV, **kw)
        assert r.code == code, r
        return r

    def add(self, image, *args, code=0):
        return self.pods(*["app", "add", self.uuid, image, *args], env=ENV) if code is None \
            else self.app("add", image, *args, code=code)

    def start(self, name, code=0):
        return self.app("start", f"--app={name}", code=code)

    def stop(self, name, code=0):
        return self.app("stop", f"--app={name}", code=code)

    def rm(self, name, code=0):
        return self.app("rm", f"--app={name}", code=code)

    def status(self, name):
        r = self.app("status", f"--app={name}")
        return dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)

    def list(self):
        return self.app("list", "--no-legend").out

    def state(self, name):
        return self.status(name).get("state")

    def wait_state(self, name, state, timeout=20):
        return wait_for(lambda: self.state(name) == state or None, timeout=timeout,
                        interval=0.1, what=f"app {name} to be {state}")

    def pid(self):
        return int(next((self.pods.dir / "pods" / "run").glob(f"{self.uuid}/pid")).read_text())

    def path(self):
        return next((self.pods.dir / "pods").glob(f"*/{self.uuid}"))


def verb_argv(verb, uuid, *args):
    if verb == "add":
        image, *rest = args
        return ["app", "add", uuid, image, *rest]
    return ["app", verb, uuid, *args]


def inspect(name, *flags):
    return [f"--name={name}", "--exec=/inspect", "--", *flags]


def sh(name, script):
    return [f"--name={name}", "--exec=/bin/sh", "--", "-c", script]


@pytest.fixture(scope="module")
def modpods(tmp_path_factory):
    p = Pods(tmp_path_factory.mktemp("app-sandbox"))
    yield p
    _finish(p)


@pytest.fixture(scope="module")
def image_id(modpods, img):
    return modpods.fetch(img.path)


@pytest.fixture(scope="module")
def sandbox(modpods, image_id):
    return Sandbox(modpods, "--net=host")


# ------------------------------------------------------------------ the experiment gate

def test_app_commands_need_the_experiment(rkt):
    r = rkt("app", "sandbox", env=dict(os.environ, RKT_EXPERIMENT_APP="false"))
    assert r.code == 254 and 'unknown command "app" for "rkt"' in r.err, r


# ------------------------------------------------------------------ add, start, rm

def test_add_start_remove(sandbox, image_id):
    """TestAppSandboxAddStartRemove."""
    sandbox.add(image_id, *inspect("hello", f"--print-msg={MSG}"))
    assert sandbox.state("hello") == "created"
    assert sandbox.list() == "hello\tcreated\n"
    sandbox.start("hello")
    wait_for(lambda: MSG in sandbox.output(), what="the app's output in the sandbox's")
    sandbox.wait_state("hello", "exited")
    st = sandbox.status("hello")
    assert st["exit_code"] == "0" and st["image_id"] == image_id, st
    for k in ("created_at", "started_at", "finished_at"):
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", st[k]), st
    sandbox.rm("hello")
    assert sandbox.list() == "\n"
    r = sandbox.pods.ok("status", "--wait-ready=false", "--wait=false", sandbox.uuid)
    assert "state=running" in r.out, r


def test_default_app_name(sandbox, image_id):
    """TestAppSandboxAddDefaultAppName: the last element of the image name."""
    sandbox.add(image_id, "--exec=/inspect")
    assert sandbox.list() == "rkt-inspect\tcreated\n"
    sandbox.rm("rkt-inspect")
