# SPDX-License-Identifier: Apache-2.0
"""End-to-end `rkt run` with the real stage1s (SPEC.md §3.1, §4.1–4.5, §11.2, §11.3, §11.5,
§11.11 "Missing executable"): exit statuses, --exec and argument sections, multi-app pods,
environment precedence, users and groups, working directory, hostname, read-only rootfs,
app names, --uuid-file-save, --no-overlay, --net=none/host and --interactive. Native stage1
unless the test name says fly. Pods are cleaned up (and leaks reported) by podtest.pods."""
import os

import pytest

from podtest import (INSECURE, UUID_RE, flypods, flyns, img, lines_with,  # noqa: F401
                     needs_root, pods, run_bare_pty)

pytestmark = [pytest.mark.offline, needs_root]


# --------------------------------------------------------------------------- exit status

@pytest.mark.parametrize("code", [0, 1, 2, 42])
def test_exit_code_propagates(pods, img, code):
    r, uuid = pods.run(img.path, "--", f"--exit-code={code}")
    assert r.code == code, r
    st = pods.status(uuid)
    assert st["state"] == "exited" and st["exited"] == "true"
    assert st["app-rkt-inspect"] == str(code)


def test_exit_code_fly(flypods, img):
    r, uuid = flypods.run(img.path, "--", "--print-msg=fly-ran", "--exit-code=7")
    assert r.code == 7, r
    assert "fly-ran" in r.out
    assert flypods.status(uuid)["state"] == "exited"


def test_several_apps_first_failure_wins(pods, mkinspect):
    a = mkinspect("example.com/hello0", exec_=["/inspect", "--sleep=1", "--exit-code=0"])
    b = mkinspect("example.com/hello1", exec_=["/inspect", "--sleep=1", "--exit-code=5"])
    c = mkinspect("example.com/hello2", exec_=["/inspect", "--sleep=30", "--exit-code=6"])
    r, uuid = pods.run(a.path, b.path, c.path)
    assert r.code == 5, r
    st = pods.status(uuid)
    assert (st["app-hello0"], st["app-hello1"], st["app-hello2"]) == ("0", "5", "0")


# --------------------------------------------------------------------------- exec and args

def test_exec_from_image_with_args(pods, img):
    r, _ = pods.run(img.path, "--", "--print-exec", "--print-msg=a b  c")
    assert r.code == 0, r
    assert "inspect execed as: /inspect" in r.out
    assert "a b  c" in r.out.splitlines()


@pytest.mark.parametrize("exec_,expect", [
    ("/inspect-link", "/inspect-link"),
    # SPEC.md §11.2: a bare name is resolved through the app's PATH (BUG: rejected as
    # "not an absolute path" when the pod manifest is validated)
    ("inspect-link-bin", "inspect-link-bin")], ids=["absolute", "bare-name-via-PATH"])
def test_exec_override(pods, img, exec_, expect):
    r, _ = pods.run(img.path, f"--exec={exec_}", "--", "--print-exec")
    assert r.code == 0, r
    (line,) = lines_with(r.out, "inspect execed as: ")
    assert line.endswith(expect)


def test_exec_on_image_without_app(pods, mkinspect):
    noapp = mkinspect("example.com/noapp", app=False)
    r, _ = pods.run(noapp.path, "--exec=/inspect", "--", "--print-msg=noapp-ok")
    assert r.code == 0, r
    assert "noapp-ok" in r.out


def test_image_without_app_and_no_exec_fails(pods, empty_aci):
    r, _ = pods.run(empty_aci.path)
    assert r.code == 254, r
    assert "has no app section and --exec argument is not provided" in r.err


def test_argument_sections_per_app(pods, img, mkinspect):
    two = mkinspect("example.com/two")
    r, _ = pods.run(img.path, "--", "--print-msg=first", "--print-msg=--", "---",
                    two.path, "--exec=/inspect", "--", "--print-msg=second")
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert "first" in lines and "--" in lines and "second" in lines


@pytest.mark.parametrize("missing", ["/foo-not-there", "/foo not there"])
def test_missing_exec_is_203(pods, img, missing):
    r, _ = pods.run(img.path, f"--exec={missing}", "--", "arg")
    assert r.code == 203, r
    assert f'Error: Unable to open "{missing}": No such file or directory' in r.both


def test_missing_exec_fly(flypods, img):
    r, _ = flypods.run(img.path, "--exec=/foo-not-there")
    assert r.code != 0, r
    assert "/foo-not-there" in r.both


# --------------------------------------------------------------------------- two apps

def test_two_apps_run_concurrently_and_share_an_empty_volume(pods, img, mkinspect):
    reader = mkinspect("example.com/reader", busybox=True)
    # the writer waits for the reader's file and vice versa: only passes when both run
    # at the same time in one pod, with one volume.
    w = ("echo payload > /shared/data; i=0; while [ ! -e /shared/ack ]; do sleep 0.05; "
         "i=$((i+1)); [ $i -gt 300 ] && exit 9; done; echo writer-done")
    rd = ("i=0; while [ ! -e /shared/data ]; do sleep 0.05; i=$((i+1)); "
          "[ $i -gt 300 ] && exit 9; done; echo read: $(cat /shared/data); touch /shared/ack")
    r, uuid = pods.run("--volume=shared,kind=empty,mode=0777",
                       img.path, "--name=writer", "--mount=volume=shared,target=/shared",
                       "--exec=/bin/sh", "--", "-c", w, "---",
                       reader.path, "--mount=volume=shared,target=/shared",
                       "--exec=/bin/sh", "--", "-c", rd)
    assert r.code == 0, r
    assert "read: payload" in r.out and "writer-done" in r.out
    st = pods.status(uuid)
    assert st["app-writer"] == "0" and st["app-reader"] == "0"


# --------------------------------------------------------------------------- environment

ENV_VARS = ["VAR_FROM_MANIFEST", "VAR_OTHER", "INHERITED", "PATH", "AC_APP_NAME", "HOME",
            "SHELL", "USER", "LOGNAME"]


def run_env(pods, img, *flags, app_flags=(), env=None):
    args = [f"--print-env={v}" for v in ENV_VARS]
    r, _ = pods.run(*flags, img.path, *app_flags, "--", *args, env=env)
    assert r.code == 0, r
    return dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)


def test_env_image_and_defaults(pods, img):
    e = run_env(pods, img)
    assert e["VAR_FROM_MANIFEST"] == "manifest"
    assert e["PATH"] == "/bin"  # from the image
    assert e["AC_APP_NAME"] == "rkt-inspect"
    assert (e["HOME"], e["SHELL"], e["USER"], e["LOGNAME"]) == ("/root", "/bin/sh", "root",
                                                               "root")
    assert e["VAR_OTHER"] == "" and e["INHERITED"] == ""


def test_env_precedence(pods, img, tmp_path):
    f1 = tmp_path / "env1"
    f1.write_text("# comment\n; other comment\n\nVAR_OTHER=file\nVAR_FROM_MANIFEST=file\n")
    host = dict(os.environ, INHERITED="host", VAR_FROM_MANIFEST="host")
    # --inherit-env: host vars pass, but do not override the image's
    e = run_env(pods, img, "--inherit-env", env=host)
    assert e["INHERITED"] == "host" and e["VAR_FROM_MANIFEST"] == "manifest"
    # the env file overrides the image
    e = run_env(pods, img, f"--set-env-file={f1}")
    assert e["VAR_OTHER"] == "file" and e["VAR_FROM_MANIFEST"] == "file"
    # --set-env beats the file and the inherited environment
    e = run_env(pods, img, "--inherit-env", f"--set-env-file={f1}", "--set-env=VAR_OTHER=setenv",
                "--set-env=INHERITED=setenv", env=host)
    assert e["VAR_OTHER"] == "setenv" and e["INHERITED"] == "setenv"
    assert e["VAR_FROM_MANIFEST"] == "file"
    # per-app --environment beats everything
    e = run_env(pods, img, f"--set-env-file={f1}", "--set-env=VAR_OTHER=setenv",
                app_flags=["--environment=VAR_OTHER=environment"])
    assert e["VAR_OTHER"] == "environment"


def test_env_file_errors(pods, img, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("NOEQUALS\n")
    r, _ = pods.run(f"--set-env-file={bad}", img.path)
    assert r.code == 254 and "must be specified as name=value" in r.err, r
    dup = tmp_path / "dup"
    dup.write_text("A=1\nA=2\n")
    r, _ = pods.run(f"--set-env-file={dup}", img.path)
    assert r.code == 254 and 'environment variable "A" already set' in r.err, r


def test_env_file_keeps_path_sane(pods, img, tmp_path):
    f = tmp_path / "env"
    f.write_text("# PATH=/broken\nVAR_OTHER=x\n")
    r, _ = pods.run(f"--set-env-file={f}", img.path, "--", "--check-path")
    assert r.code == 0 and "PATH is good" in r.out, r


# --------------------------------------------------------------------------- users, groups

@pytest.mark.parametrize("flags,expect", [
    ((), "uid=0 euid=0 gid=0 egid=0"),
    (("--user=200",), "uid=200 euid=200 gid=0 egid=0"),
    (("--group=300",), "uid=0 euid=0 gid=300 egid=300"),
    (("--user=user1", "--group=group1"), "uid=1000 euid=1000 gid=100 egid=100"),
    (("--user=root", "--group=root"), "uid=0 euid=0 gid=0 egid=0"),
    (("--user=/inspect", "--group=/etc/group"), "uid=0 euid=0 gid=0 egid=0"),
])
@pytest.mark.parametrize("userns", [(), ("--private-users", "--no-overlay")],
                         ids=["", "private-users"])
def test_user_group(pods, img, flags, expect, userns):
    r, _ = pods.run(*userns, img.path, *flags, "--", "--print-user")
    assert r.code == 0, r
    assert f"User: {expect}" in r.out


@pytest.mark.parametrize("flag,msg", [("--user=user2", '"user2" user not found'),
                                      ("--group=group2", '"group2" group not found'),
                                      ("--user=/nope", "no such file or directory")])
def test_user_group_errors(pods, img, flag, msg):
    r, _ = pods.run(img.path, flag, "--", "--print-user")
    assert r.code == 254, r
    assert msg in r.both


def test_supplementary_gids(pods, img):
    r, _ = pods.run(img.path, "--supplementary-gids=400,500,1200", "--", "--print-groups")
    assert r.code == 0, r
    assert "Groups: 0 400 500 1200" in r.out


def test_user_group_fly(flypods, img):
    r, _ = flypods.run(img.path, "--user=user1", "--group=group1",
                       "--supplementary-gids=400", "--", "--print-user", "--print-groups")
    assert r.code == 0, r
    assert "User: uid=1000 euid=1000 gid=100 egid=100" in r.out
    assert "Groups: 100 400" in r.out


# --------------------------------------------------------------------------- cwd, hostname

def test_working_dir(pods, img):
    r, _ = pods.run(img.path, "--", "--print-cwd")
    assert "cwd: /" in r.out.splitlines(), r
    r, _ = pods.run(img.path, "--working-dir=/dir1", "--", "--print-cwd", "--check-cwd=/dir1")
    assert r.code == 0 and "cwd: /dir1" in r.out, r


def test_hostname_default_and_flag(pods, img):
    r, uuid = pods.run(img.path, "--", "--print-hostname")
    assert r.code == 0, r
    assert f"Hostname: rkt-{uuid}" in r.out
    r, _ = pods.run("--hostname=test-host", img.path, "--", "--print-hostname")
    assert "Hostname: test-host" in r.out, r


# --------------------------------------------------------------------------- rootfs, names

def test_readonly_rootfs(pods, img):
    r, _ = pods.run(img.path, "--readonly-rootfs=true", "--", "--write-file",
                    "--file-name=/dir1/new", "--content=x")
    assert r.code == 254, r
    assert 'Cannot write to file "/dir1/new": open /dir1/new: read-only file system' in r.err
    r, _ = pods.run(img.path, "--readonly-rootfs=true", "--", "--read-file",
                    "--file-name=/dir1/file")
    assert r.code == 0 and "<<<dir1>>>" in r.out, r
    r, _ = pods.run(img.path, "--readonly-rootfs=false", "--", "--write-file",
                    "--file-name=/dir1/new", "--content=x", "--read-file")
    assert r.code == 0 and "<<<x>>>" in r.out, r


def test_app_name(pods, img):
    r, uuid = pods.run(img.path, "--name=custom-name", "--", "--print-env=AC_APP_NAME",
                       "--exit-code=3")
    assert r.code == 3, r
    assert "AC_APP_NAME=custom-name" in r.out
    assert pods.status(uuid)["app-custom-name"] == "3"
    m = pods.ok("cat-manifest", uuid).out
    assert '"name": "custom-name"' in m


def test_uuid_file_save(pods, img, tmp_path):
    f = tmp_path / "saved-uuid"
    r = pods(*pods.run_args([f"--uuid-file-save={f}", img.path]))
    assert r.code == 0, r
    uuid = f.read_text()
    assert UUID_RE.match(uuid)  # no newline
    assert oct(f.stat().st_mode & 0o777) == "0o644"
    assert (pods.dir / "pods" / "run" / uuid).is_dir()


def test_no_overlay(pods, img):
    r, uuid = pods.run("--no-overlay", img.path, "--", "--write-file",
                       "--file-name=/dir1/written", "--content=no-overlay", "--read-file")
    assert r.code == 0, r
    assert "<<<no-overlay>>>" in r.out
    p = pods.dir / "pods" / "run" / uuid
    assert not (p / "overlay-prepared").exists()
    app_root = p / "stage1" / "rootfs" / "opt" / "stage2" / "rkt-inspect" / "rootfs"
    assert (app_root / "dir1" / "written").read_text() == "no-overlay"


# --------------------------------------------------------------------------- networking

def test_net_none_only_lo(pods, img):
    r, _ = pods.run(img.path, "--exec=/bin/sh", "--", "-c",
                    "ls /sys/class/net; readlink /proc/self/ns/net", net="none")
    assert r.code == 0, r
    lines = r.out.split()
    assert lines[0] == "lo" and len(lines) == 2
    r2, _ = pods.run(img.path, "--exec=/bin/sh", "--", "-c", "readlink /proc/self/ns/net")
    assert r2.code == 0, r2
    assert lines[1] != r2.out.strip()  # none: a new netns; host: the caller's


def test_net_host_keeps_the_callers_netns(pods, img):
    # rkt runs in `unshare --net` here: the pod must see that namespace's interfaces
    r, _ = pods.run(img.path, "--", "--print-iface-count")
    assert r.code == 0 and "Interface count: 1" in r.out, r


def test_net_unknown_fails_clearly(pods, img):
    # (the default network is tested in test_net_*.py, each test in its own namespace)
    r, _ = pods.run(img.path, net="nosuch")
    assert r.code == 254, r
    assert "stage1: failed to setup network: error loading network definitions: networks " \
           "not found: nosuch" in r.err, r


# --------------------------------------------------------------------------- interactive

def test_interactive_piped_stdin(pods, img):
    r, _ = pods.run("--interactive", img.path, "--", "--check-tty", "--read-stdin",
                    input="hello pipe\n")
    assert r.code == 0, r
    assert "stdin is not a terminal" in r.out
    assert "Received text: hello pipe" in r.out


def test_interactive_with_pty(pods, img):
    argv = pods.argv(*pods.run_args(["--interactive", img.path, "--", "--check-tty",
                                     "--read-stdin", "--exit-code=4"]))
    code, out = run_bare_pty(argv, inputs=[("Enter text:", "via pty\n")])
    assert code == 4, out
    assert "stdin is a terminal" in out
    assert "Received text: via pty" in out


def test_interactive_needs_one_image(pods, img, mkinspect):
    r, _ = pods.run("--interactive", img.path, mkinspect("example.com/other").path)
    assert r.code == 254 and "interactive option only supports one image" in r.err, r


# --------------------------------------------------------------------------- fly specifics

def test_fly_shares_host_namespaces(flypods, img):
    r, uuid = flypods.run(img.path, "--exec=/bin/sh", "--", "-c",
                          "cat /proc/1/comm; echo $$; hostname")
    assert r.code == 0, r
    comm, pid, host = r.out.split()
    assert comm != "init" and int(pid) != 1  # no pid namespace
    assert host == f"rkt-{uuid}" or host == os.uname().nodename


def test_fly_stage1_by_name_after_first_use(flypods, img):
    r, _ = flypods.run(img.path, "--", "--print-msg=one")
    assert r.code == 0, r
    r = flypods(INSECURE, "run", "--stage1-name=coreos.com/rkt/stage1-fly:1.30.0",
                "--net=host", img.path, "--", "--print-msg=by-name")
    assert r.code == 0 and "by-name" in r.out, r
