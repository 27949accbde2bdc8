# SPDX-License-Identifier: Apache-2.0
"""End-to-end pod lifecycle with the real stage1s (SPEC.md §3.2–3.12, §6.4, §11.2–11.5,
§11.17): prepare → run-prepared, list, status (incl. --wait/--wait-ready on running pods),
stop (graceful, --force, --uuid-file), enter, cat-manifest, export, gc, rm and UUID
prefixes."""
import json
import signal
import subprocess
import tarfile
import time

import pytest

from podtest import (UUID_RE, flyns, flypods, img, lines_with, needs_root, pods,  # noqa: F401
                     wait_for)

pytestmark = [pytest.mark.offline, needs_root]


def sleeper(pods, img, *extra, secs=60):
    """Starts a pod whose app sleeps (exits 0 on SIGTERM) and waits until it is ready."""
    p = pods.start(img.path, *extra, "--", "--silent-sigterm", f"--sleep={secs}")
    pods.wait_ready(p.uuid)
    return p


# --------------------------------------------------------------------------- prepare

def test_prepare_then_run_prepared(pods, img):
    r = pods.ok("--insecure-options=image", "prepare", *pods.stage1_args(), img.path,
                "--exec=/inspect", "--", "--print-exec", "--print-msg=prepared-run",
                "--exit-code=3")
    uuid = r.out.strip()
    assert UUID_RE.match(uuid), r
    st = pods.status(uuid)
    assert st["state"] == "prepared" and "pid" not in st
    r = pods("run-prepared", "--net=host", uuid)
    assert r.code == 3, r
    assert "inspect execed as: /inspect" in r.out and "prepared-run" in r.out
    st = pods.status(uuid)
    assert st["state"] == "exited" and st["app-rkt-inspect"] == "3"
    r = pods("run-prepared", "--net=host", uuid)
    assert r.code == 254 and "is not prepared" in r.err, r


def test_prepare_quiet_and_status_uuid_file(pods, img, tmp_path):
    r = pods.ok("--insecure-options=image", "prepare", "--quiet", *pods.stage1_args(),
                img.path)
    uuid = r.out.strip()
    assert r.out == uuid + "\n"
    f = tmp_path / "uuidfile"
    f.write_text(uuid + "\n")
    r = pods.ok("status", "--wait-ready=false", "--wait=false", f"--uuid-file={f}")
    assert "state=prepared" in r.out


# --------------------------------------------------------------------------- list, status

def test_list_and_status_running_then_exited(pods, img):
    p = sleeper(pods, img)
    st = pods.status(p.uuid)
    assert st["state"] == "running" and st["exited"] == "false"
    assert int(st["pid"]) > 1
    assert "app-rkt-inspect" not in st  # not reported while running
    rows = pods.ok("list", "--no-legend").out.splitlines()
    (row,) = [r for r in rows if r.startswith(p.uuid[:8])]
    cells = row.split("\t")
    assert cells[0] == p.uuid[:8] and cells[1] == "rkt-inspect"
    assert cells[2] == "coreos.com/rkt-inspect:1.30.0" and "running" in cells
    full = pods.ok("list", "--full").out.splitlines()
    assert full[0].split() == ["UUID", "APP", "IMAGE", "NAME", "IMAGE", "ID", "STATE",
                               "CREATED", "STARTED", "NETWORKS"]
    (row,) = [r for r in full if r.startswith(p.uuid)]
    assert img.key[:19] in row.split("\t")
    js = json.loads(pods.ok("list", "--format=json").out)
    (pj,) = [x for x in js if x["name"] == p.uuid]
    assert pj["state"] == "running" and pj["app_names"] == ["rkt-inspect"]
    assert pj["apps"][0]["state"] == "running" and pj["apps"][0]["image_id"] == img.key
    assert pj["started_at"] >= pj["created_at"] > 0

    pods.ok("stop", p.uuid)
    r = p.wait()
    assert r.code == 0, r
    st = pods.status(p.uuid)
    assert st["state"] == "exited" and st["exited"] == "true"
    assert st["app-rkt-inspect"] == "0"
    js = json.loads(pods.ok("list", "--format=json").out)
    (pj,) = [x for x in js if x["name"] == p.uuid]
    assert pj["state"] == "exited" and pj["apps"][0]["state"] == "exited"
    assert pj["apps"][0]["exit_code"] == 0


def test_status_wait_on_running_pod(pods, img):
    p = pods.start(img.path, "--", "--sleep=1", "--exit-code=6")
    t = time.monotonic()
    r = pods.ok("status", "--wait-ready=20s", "--wait=20s", p.uuid, timeout=60)
    assert "state=exited" in r.out and "app-rkt-inspect=6" in r.out, r
    assert time.monotonic() - t < 15
    assert p.wait().code == 6


def test_status_wait_times_out(pods, img):
    p = sleeper(pods, img)
    r = pods("status", "--wait-ready=false", "--wait=300ms", p.uuid, timeout=30)
    assert r.code == 254, r
    assert "error waiting for pod to finish: context deadline exceeded" in r.err


def test_status_without_wait_flags_returns_at_once_for_running_pod(pods, img):
    # SPEC.md §3.6: --wait and --wait-ready default to false. BUG if this times out:
    # src/cli/cmd-status.c parse_wait() treats an unset flag (NULL) as "wait forever".
    p = sleeper(pods, img)
    try:
        r = pods("status", p.uuid, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("`rkt status UUID` (no --wait flags) blocked on a running pod")
    assert "state=running" in r.out, r


def test_status_without_wait_flags_fly_exited_pod(flypods, img):
    # the fly stage1 never writes supervisor-status: status must not wait for readiness
    r, uuid = flypods.run(img.path, "--", "--exit-code=0")
    assert r.code == 0, r
    try:
        r = flypods("status", uuid, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("`rkt status UUID` (no --wait flags) blocked on an exited fly pod")
    assert "state=exited" in r.out, r


def test_uuid_prefix_and_errors(pods, img):
    r, uuid = pods.run(img.path)
    assert r.code == 0, r
    st = pods.status(uuid[:8])
    assert st["state"] == "exited"
    r = pods("status", "--wait-ready=false", "--wait=false", "1234567890abcdef")
    assert r.code == 254 and "problem retrieving pod" in r.err, r
    r = pods("cat-manifest", "1234567890abcdef")
    assert r.code == 254 and "no matches found for" in r.err, r


# --------------------------------------------------------------------------- stop

def test_stop_graceful(pods, img):
    p = sleeper(pods, img)
    r = pods.ok("stop", p.uuid)
    assert r.out.strip() == f'"{p.uuid}"'
    res = p.wait(timeout=20)
    assert res.code == 0, res  # --silent-sigterm: the app got SIGTERM and exited 0
    pods.wait_exited(p.uuid)
    r = pods.ok("stop", p.uuid)
    assert f'pod "{p.uuid}" is already stopped' in r.out


def test_stop_force(pods, img):
    # without --silent-sigterm nor a handler the app can only die: --force must kill it
    p = pods.start(img.path, "--exec=/bin/sh", "--", "-c", "trap '' TERM; echo up; sleep 60")
    pods.wait_ready(p.uuid)
    t = time.monotonic()
    pods.ok("stop", "--force", p.uuid)
    res = p.wait(timeout=20)
    assert time.monotonic() - t < 15, res
    pods.wait_exited(p.uuid)


def test_stop_uuid_file(pods, img, tmp_path):
    p = sleeper(pods, img)
    f = tmp_path / "stop-uuid"
    f.write_text(p.uuid)
    pods.ok("stop", f"--uuid-file={f}")
    assert p.wait(timeout=20).code == 0
    pods.wait_exited(p.uuid)


def test_stop_fly(flypods, img):
    p = flypods.start(img.path, "--", "--silent-sigterm", "--sleep=60")
    wait_for(lambda: flypods.status(p.uuid)["state"] == "running", what="fly pod running")
    flypods.ok("stop", p.uuid)
    assert p.wait(timeout=20).code == 0
    flypods.wait_exited(p.uuid)


def test_stop_prepared_pod_is_an_error(pods, img):
    uuid = pods.ok("--insecure-options=image", "prepare", *pods.stage1_args(),
                   img.path).out.strip()
    r = pods("stop", uuid)
    assert r.code == 254 and f'pod "{uuid}" is not running' in r.err, r


# --------------------------------------------------------------------------- enter

def test_enter_running_pod(pods, img):
    p = sleeper(pods, img)
    r = pods.ok("enter", p.uuid, "/bin/cat", "/proc/1/comm")
    assert r.out.strip() == "init"  # the pod's pid namespace: pid 1 is the stage1 init
    r = pods.ok("enter", p.uuid, "/inspect", "--print-hostname", "--print-env=VAR_FROM_MANIFEST",
                "--print-env=AC_APP_NAME", "--print-cwd", "--read-file",
                "--file-name=/dir1/file")
    assert f"Hostname: rkt-{p.uuid}" in r.out
    assert "VAR_FROM_MANIFEST=manifest" in r.out and "AC_APP_NAME=rkt-inspect" in r.out
    assert "<<<dir1>>>" in r.out
    r = pods.ok("enter", "--app=rkt-inspect", p.uuid[:10], "/inspect", "--print-env=TERM",
                env={"PATH": "/usr/bin:/bin"})
    assert "TERM=vt100" in r.out  # the caller had no TERM
    r = pods("enter", p.uuid, "/inspect", "--exit-code=9")
    assert r.code == 9, r


def test_enter_sees_the_apps_writes_and_env(pods, img):
    p = sleeper(pods, img, "--set-env=FROM_SETENV=yes")
    pods.ok("enter", p.uuid, "/inspect", "--write-file", "--file-name=/tmp/entered",
            "--content=hello-enter")
    r = pods.ok("enter", p.uuid, "/bin/sh", "-c", "cat /tmp/entered; echo; echo $FROM_SETENV")
    assert r.out.split() == ["hello-enter", "yes"]


def test_enter_not_running(pods, img):
    r, uuid = pods.run(img.path)
    r = pods("enter", uuid, "/inspect")
    assert r.code == 254 and "isn't currently running" in r.err, r


def test_enter_multi_app_needs_app(pods, img, mkinspect):
    other = mkinspect("example.com/other", exec_=["/inspect", "--silent-sigterm", "--sleep=60"])
    p = pods.start(img.path, "--", "--silent-sigterm", "--sleep=60", "---", other.path)
    pods.wait_ready(p.uuid)
    r = pods("enter", p.uuid, "/inspect")
    assert r.code == 254, r
    assert "pod contains multiple apps:" in r.err
    assert 'specify app using "rkt enter --app= ..."' in r.err
    r = pods.ok("enter", "--app=other", p.uuid, "/inspect", "--print-env=AC_APP_NAME")
    assert "AC_APP_NAME=other" in r.out


def test_enter_fly(flypods, img):
    # fly writes no supervisor-status: poll until the pod is running and enter works
    p = flypods.start(img.path, "--", "--silent-sigterm", "--sleep=60")

    def try_enter():
        x = flypods("enter", p.uuid, "/inspect", "--print-env=AC_APP_NAME", "--read-file",
                    "--file-name=/dir1/file")
        return x if x.code == 0 else None
    r = wait_for(try_enter, what="fly enter", interval=0.2)
    assert "AC_APP_NAME=rkt-inspect" in r.out and "<<<dir1>>>" in r.out


# --------------------------------------------------------------------------- cat-manifest

def test_cat_manifest(pods, img, tmp_path):
    r, uuid = pods.run(img.path, "--name=catme")
    compact = pods.ok("cat-manifest", "--pretty-print=false", uuid).out
    m = json.loads(compact)
    assert "\n\t" not in compact
    assert m["acKind"] == "PodManifest" and m["apps"][0]["name"] == "catme"
    assert m["apps"][0]["image"]["name"] == "coreos.com/rkt-inspect"
    assert m["apps"][0]["image"]["id"] == img.key
    pretty = pods.ok("cat-manifest", uuid).out
    assert "\n\t" in pretty and json.loads(pretty) == m
    f = tmp_path / "u"
    f.write_text(uuid)
    assert json.loads(pods.ok("cat-manifest", f"--uuid-file={f}").out) == m


# --------------------------------------------------------------------------- export

@pytest.mark.parametrize("overlay", [True, False], ids=["overlay", "no-overlay"])
def test_export_exited_pod(pods, img, tmp_path, overlay):
    flags = [] if overlay else ["--no-overlay"]
    r, uuid = pods.run(*flags, img.path, "--", "--write-file", "--file-name=/dir1/export-me",
                       "--content=ThisIsATest")
    assert r.code == 0, r
    out = tmp_path / "exported.aci"
    pods.ok("export", uuid, out)
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    with tarfile.open(out, "r:gz") as t:
        names = t.getnames()
        assert "manifest" in names
        assert t.extractfile("rootfs/dir1/export-me").read() == b"ThisIsATest"
        assert json.loads(t.extractfile("manifest").read())["name"] == "coreos.com/rkt-inspect"
    r = pods("export", uuid, out)
    assert r.code == 254 and "target file exists (try --overwrite)" in r.err, r
    pods.ok("export", "--overwrite", uuid, out)
    # the exported image runs and has the file
    r, _ = pods.run(out, "--", "--read-file", "--file-name=/dir1/export-me")
    assert r.code == 0 and "<<<ThisIsATest>>>" in r.out, r
    assert not list(pods.dir.glob("tmp/rkt-export-*"))  # the temporary overlay is gone


def test_export_refuses_running_pod_and_bad_extension(pods, img, tmp_path):
    p = sleeper(pods, img)
    r = pods("export", p.uuid, tmp_path / "x.aci")
    assert r.code == 254 and "Only exited pods can be exported" in r.err, r
    r = pods("export", p.uuid, tmp_path / "x.tar")
    assert r.code == 254 and "extension must be .aci" in r.err, r


# --------------------------------------------------------------------------- gc, rm

def test_gc_grace_period_and_mark_only(pods, img):
    r, uuid = pods.run(img.path)
    assert r.code == 0, r
    r = pods.ok("gc", "--mark-only")
    assert f'moving pod "{uuid}" to garbage' in r.err
    assert (pods.dir / "pods" / "exited-garbage" / uuid).is_dir()
    assert pods.status(uuid)["state"] == "exited garbage"
    r = pods.ok("gc")  # default grace period: 30m
    assert f'pod "{uuid}" not removed: still within grace period (30m0s)' in r.err
    assert (pods.dir / "pods" / "exited-garbage" / uuid).is_dir()
    r = pods.ok("gc", "--grace-period=0s")
    assert f'Garbage collecting pod "{uuid}"' in r.out
    assert not (pods.dir / "pods" / "exited-garbage" / uuid).exists()


def test_gc_leaves_running_pod(pods, img):
    p = sleeper(pods, img)
    pods.ok("gc", "--grace-period=0s")
    assert pods.status(p.uuid)["state"] == "running"
    assert (pods.dir / "pods" / "run" / p.uuid).is_dir()


def test_rm_exited_and_prepared(pods, img):
    r, uuid = pods.run(img.path)
    prepared = pods.ok("--insecure-options=image", "prepare", *pods.stage1_args(),
                       img.path).out.strip()
    r = pods.ok("rm", uuid[:13], prepared)
    assert f'"{uuid}"' in r.out and f'"{prepared}"' in r.out
    for state in ("run", "prepared", "exited-garbage", "garbage"):
        assert list((pods.dir / "pods" / state).iterdir()) == [], state
    r = pods("rm", uuid)
    assert r.code == 254 and f'no matches found for "{uuid}"' in r.err, r


def test_rm_running_pod_refused(pods, img):
    p = sleeper(pods, img)
    r = pods("rm", p.uuid)
    assert r.code == 254 and f'pod "{p.uuid}" is currently running' in r.err, r
    assert pods.status(p.uuid)["state"] == "running"


@needs_root
@pytest.mark.parametrize("flavor", ["native", "fly"])
def test_apps_start_with_every_signal_default(request, flavor, img):
    """Whatever rkt's caller left ignored or blocked reaches no app, of either stage1: also
    glibc's two signals (32, 33), which glibc's sigaction() cannot reset and its posix_spawn()
    leaves ignored."""
    from test_pods_manage import ignore_raw
    pods = request.getfixturevalue("pods" if flavor == "native" else "flypods")

    def dirty():
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
        ignore_raw(32)
        ignore_raw(33)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGHUP})
    proc = pods.popen(*pods.run_args([img.path, "--", "--read-file",
                                      "--file-name=/proc/self/status"]), preexec_fn=dirty)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "\nSigIgn:\t0000000000000000\n" in out, out
    assert "\nSigBlk:\t0000000000000000\n" in out, out
