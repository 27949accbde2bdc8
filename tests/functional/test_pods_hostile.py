# SPDX-License-Identifier: Apache-2.0
"""Hostile images, apps and flags against a running pod (issue "Close the host escapes"), in
both stage1s: user and group IDs that would mean "leave unchanged" (4294967295, uid_t -1),
environment values and DNS/hosts flags with newlines, special files where the stage1 reads
the app's /etc/passwd, and the capability sets of root apps and enter sessions."""
import json
import os
import re
import stat
import subprocess

import pytest

import aci as A
import dockerutil as D
import imageutil
from podtest import (FLY, INSECURE, NATIVE, flypods, flyns, img, lines_with,  # noqa: F401
                     needs_root, pods)

pytestmark = [pytest.mark.offline, needs_root]


@pytest.fixture(params=[NATIVE, FLY])
def anypods(request):
    """pods (native) or flypods (fly)."""
    return request.getfixturevalue("pods" if request.param == NATIVE else "flypods")


def mkimage(pods, name, **kw):
    d = pods.tmp / "images"
    d.mkdir(exist_ok=True)
    return imageutil.inspect_image(d / f"{name}.aci", f"example.com/{name}", **kw)


# --------------------------------------------------------------------------- user, group IDs

MAX_ID = "4294967295"  # (uid_t)-1: setresuid/setresgid leave the id unchanged (root)


@pytest.mark.parametrize("flag", ["--user", "--group"])
@pytest.mark.parametrize("value", [MAX_ID, "4294967296", "18446744073709551615",
                                   "99999999999999999999999", "-1", "+0", "0x0", "1e3", "12abc"])
def test_cli_refuses_ids_that_are_not_exact_numbers_below_the_max(pods, img, flag, value):
    r, uuid = pods.run(img.path, f"{flag}={value}", "--", "--print-user")
    assert r.code == 254, r
    assert "User: " not in r.out
    assert f'invalid argument "{value}" for {flag}={value}' in r.err, r
    assert f"{flag} must be a name or a number below 4294967295" in r.err, r
    assert uuid is None


@pytest.mark.parametrize("field", ["user", "group"])
def test_manifest_id_of_max_is_refused(anypods, field):
    im = mkimage(anypods, f"max{field}", exec_=["/inspect", "--print-user"],
                 **{field: MAX_ID})
    r, _ = anypods.run(im.path)
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid {field} ID "{MAX_ID}"' in r.err, r


@pytest.mark.parametrize("field", ["user", "group"])
def test_pod_manifest_id_of_max_is_refused(anypods, img, field, tmp_path):
    key = anypods.fetch(img.path)
    m = {"acVersion": "0.8.11", "acKind": "PodManifest",
         "apps": [{"name": "a", "image": {"name": "coreos.com/rkt-inspect", "id": key},
                   "app": {"exec": ["/inspect", "--print-user"], "user": "0", "group": "0"}}]}
    m["apps"][0]["app"][field] = MAX_ID
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(m))
    r, _ = anypods.run(f"--pod-manifest={f}")
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid {field} ID "{MAX_ID}"' in r.err, r


@pytest.mark.parametrize("kind", ["passwd", "group"])
def test_database_entry_with_max_id_is_refused(anypods, kind):
    files = {"etc/passwd": A.File(imageutil.PASSWD + f"evil:x:{MAX_ID}:100::/:\n"),
             "etc/group": A.File(imageutil.GROUP + f"evil:x:{MAX_ID}:\n")}
    field = "user" if kind == "passwd" else "group"
    im = mkimage(anypods, f"evil{kind}", exec_=["/inspect", "--print-user"], files=files,
                 **{field: "evil"})
    r, _ = anypods.run(im.path)
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid {field} ID "{MAX_ID}" for "evil" in /etc/{kind}' in r.err, r


def test_docker_user_of_max_is_refused(anypods, tmp_path):
    lay = D.Layout(tmp_path / "oci")
    layer = D.layer_tar([("inspect", "file", imageutil.inspect_bytes(), {"mode": 0o755})])
    desc = lay.image([layer], config={"User": f"{MAX_ID}:{MAX_ID}",
                                      "Entrypoint": ["/inspect", "--print-user"]})
    lay.tag(desc, "v1")
    r, _ = anypods.run(f"oci:{lay.path}:v1")
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid user ID "{MAX_ID}"' in r.err, r


# --------------------------------------------------------------------------- environment

def wait_enter(pods, uuid, *cmd):
    """rkt enter, retried until the pod runs (fly writes no readiness marker)."""
    from podtest import wait_for

    def attempt():
        r = pods("enter", uuid, *cmd)
        return r if r.code == 0 or "isn't currently running" not in r.err else None
    return wait_for(attempt, timeout=30, interval=0.2, what="rkt enter")


def print_env(pods, uuid, name):
    r = wait_enter(pods, uuid, "/inspect", f"--print-env={name}")
    assert r.code == 0, r
    return r.out


def test_env_values_with_newlines_stay_whole_in_enter(anypods):
    im = mkimage(anypods, "envnl", exec_=["/inspect", "--silent-sigterm", "--sleep=60"],
                 environment={"FROM_IMAGE": "a\nINJ_IMAGE=1\n", "PLAIN": "p"})
    p = anypods.start("--set-env=FROM_SETENV=b\nINJ_SETENV=2", im.path,
                      "--environment=FROM_APPENV=c\nINJ_APPENV=3")
    for name, value in [("FROM_IMAGE", "a\nINJ_IMAGE=1\n"), ("FROM_SETENV", "b\nINJ_SETENV=2"),
                        ("FROM_APPENV", "c\nINJ_APPENV=3"), ("PLAIN", "p")]:
        assert print_env(anypods, p.uuid, name) == f"{name}={value}\n"
    for injected in ("INJ_IMAGE", "INJ_SETENV", "INJ_APPENV"):
        assert print_env(anypods, p.uuid, injected) == f"{injected}=\n"


def test_docker_env_with_newlines_stays_whole_in_enter(anypods, tmp_path):
    lay = D.Layout(tmp_path / "oci")
    layer = D.layer_tar([("inspect", "file", imageutil.inspect_bytes(), {"mode": 0o755})])
    desc = lay.image([layer], config={
        "Env": ["PATH=/", "MULTI=line1\nINJ_DOCKER=1"],
        "Entrypoint": ["/inspect", "--silent-sigterm", "--sleep=60"]})
    lay.tag(desc, "v1")
    p = anypods.start(f"oci:{lay.path}:v1")
    assert print_env(anypods, p.uuid, "MULTI") == "MULTI=line1\nINJ_DOCKER=1\n"
    assert print_env(anypods, p.uuid, "INJ_DOCKER") == "INJ_DOCKER=\n"


# --------------------------------------------------------------------------- DNS, hosts flags

DNS_FLAGS = ["--hostname", "--dns-search", "--dns-opt", "--dns-domain", "--hosts-entry"]


def refused_dns_flag(pods, img, flag, bad):
    if flag == "--hosts-entry":
        value = f"10.1.2.3=good{bad}10.6.6.6 evil"
    else:
        value = f"good{bad}nameserver 10.6.6.6"
    r, uuid = pods.run(f"{flag}={value}", img.path, "--", "--read-file",
                          "--file-name=/etc/resolv.conf")
    assert r.code == 254, r
    assert uuid is None and "10.6.6.6" not in r.out, r
    assert f"{flag} must not contain control characters" in r.err, r
    assert bad not in r.err.rstrip("\n") and len(r.err.splitlines()) == 1, r


@pytest.mark.parametrize("flag", DNS_FLAGS)
def test_dns_and_hosts_flags_refuse_newlines(anypods, img, flag):
    refused_dns_flag(anypods, img, flag, "\n")


@pytest.mark.parametrize("flag", DNS_FLAGS)
@pytest.mark.parametrize("bad", ["\r", "\t", "\x1b", "\x7f", "\x0b"],
                         ids=["cr", "tab", "esc", "del", "vt"])
def test_dns_and_hosts_flags_refuse_control_characters(pods, img, flag, bad):
    refused_dns_flag(pods, img, flag, bad)


def test_run_prepared_refuses_control_characters(pods, img):
    uuid = pods.ok(INSECURE, "prepare", *pods.stage1_args(), img.path).out.strip()
    for flag in ("--hostname", "--dns-search", "--hosts-entry"):
        r = pods("run-prepared", "--net=host", f"{flag}=x\ny", uuid)
        assert r.code == 254, r
        assert f"{flag} must not contain control characters" in r.err, r
    st = pods.status(uuid)
    assert st["state"] == "prepared", st


# --------------------------------------------------------------------------- --uuid-file-save

def test_uuid_file_save_in_a_world_writable_directory(pods, img, tmp_path):
    """rkt runs as pid 1 of a new pid namespace, so a temporary name derived from the pid is
    known in advance: another user plants it (and a symlink at the final name)."""
    d = tmp_path / "shared"
    d.mkdir()
    d.chmod(0o1777)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    saved = d / "saved"
    saved.symlink_to(victim)
    planted = []
    for name in ("saved.tmp-1", "saved.tmp-2", ".saved.tmp"):
        f = d / name
        f.write_text("attacker\n")
        f.chmod(0o666)
        os.chown(f, 65534, 65534)
        planted.append(f)
    link = d / "saved.tmp-3"
    link.symlink_to(victim)
    argv = ["unshare", "--pid", "--fork", "--net"] + pods.args() + \
        pods.run_args([f"--uuid-file-save={saved}", img.path, "--", "--print-msg=ran"])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r
    st = os.lstat(saved)
    assert stat.S_ISREG(st.st_mode) and st.st_uid == 0 and st.st_gid == 0, st
    assert stat.S_IMODE(st.st_mode) == 0o644
    uuid = saved.read_text()
    assert len(uuid) == 36 and (pods.dir / "pods").exists()
    assert victim.read_text() == "precious\n"
    for f in planted:
        assert f.read_text() == "attacker\n" and f.stat().st_uid == 65534
    assert os.readlink(link) == str(victim)
    assert sorted(os.listdir(d)) == sorted(["saved", "saved.tmp-3"] +
                                           [f.name for f in planted])


# --------------------------------------------------------------------------- special files

@pytest.mark.parametrize("db,field", [("passwd", "user"), ("group", "group")])
def test_fifo_database_in_the_image_is_refused(anypods, db, field):
    im = mkimage(anypods, f"fifo{db}", exec_=["/inspect", "--print-user"],
                 files={f"etc/{db}": A.Fifo(0o644)},
                 **{field: "user1" if field == "user" else "group1"})
    r, _ = anypods.run(im.path, timeout=60)
    assert r.code == 254, r
    assert "User: " not in r.out
    assert f"/etc/{db} of the app is not a regular file" in r.err, r


ENTER_ATTACKS = {
    "fifo": "rm /etc/group && mkfifo /etc/group",
    "chardev": "rm /etc/group && mknod /etc/group c 1 5",
    "dir": "rm /etc/group && mkdir /etc/group",
}


@pytest.mark.parametrize("attack", sorted(ENTER_ATTACKS))
def test_app_replacing_its_group_database_cannot_hang_enter(anypods, attack):
    script = ENTER_ATTACKS[attack] + " && echo replaced > /tmp/done; exec sleep 60"
    im = mkimage(anypods, f"enter{attack}", exec_=["/bin/sh", "-c", script], busybox=True,
                 group="group1",
                 files={"bin/mkfifo": A.Symlink("busybox"), "bin/mknod": A.Symlink("busybox")})
    p = anypods.start(im.path)
    r = wait_enter_result(anypods, p.uuid)
    assert r.code == 254, r
    assert "/etc/group of the app is not a regular file" in r.err, r


def wait_enter_result(pods, uuid):
    """rkt enter (bounded) once the app replaced its database; its Result."""
    from podtest import wait_for

    def attempt():
        try:
            r = pods("enter", uuid, "/bin/cat", "/tmp/done", timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("rkt enter hung on the app's group database")
        if r.code == 0 or "isn't currently running" in r.err or "group not found" in r.err:
            return None  # not replaced yet, not started, or between the app's rm and mk*
        return r
    return wait_for(attempt, timeout=60, interval=0.3, what="rkt enter to refuse")


# --------------------------------------------------------------------------- capabilities

def cap_masks(out):
    """{"CapInh": int, "CapPrm": ..., "CapEff": ..., "CapBnd": ..., "CapAmb": ...} of a
    /proc/<pid>/status text."""
    return {m.group(1): int(m.group(2), 16)
            for m in re.finditer(r"^(Cap[A-Za-z]+):\t([0-9a-f]+)$", out, re.M)}


# rkt's caller may hold inheritable capabilities (a service manager, a capsh wrapper): they
# must not reach the app either
WITH_INHERITABLE = ["setpriv", "--inh-caps=+net_admin,+sys_admin,+chown"]


def run_with_inheritable(pods, *args):
    uf = pods.next_uuid_file()
    argv = WITH_INHERITABLE + pods.argv(*pods.run_args([f"--uuid-file-save={uf}"] +
                                                       list(args)))
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return r


def test_root_app_has_no_inheritable_capabilities(anypods, img):
    r = run_with_inheritable(anypods, img.path, "--exec=/bin/sh", "--", "-c",
                             "cat /proc/self/status; /inspect --print-caps-pid=0")
    assert r.returncode == 0, r
    m = cap_masks(r.stdout)
    assert m["CapInh"] == 0 and m["CapAmb"] == 0, r.stdout
    assert m["CapEff"] != 0 and m["CapBnd"] != 0
    assert "Capability set: inheritable:  (" in r.stdout or \
        "Capability set: inheritable: (" in r.stdout, r.stdout


def test_enter_session_has_no_inheritable_capabilities(anypods, img):
    p = anypods.start(img.path, "--", "--silent-sigterm", "--sleep=60")
    wait_enter(anypods, p.uuid, "/bin/true")
    argv = WITH_INHERITABLE + anypods.argv("enter", p.uuid, "/bin/cat", "/proc/self/status")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    m = cap_masks(r.stdout)
    assert m["CapInh"] == 0 and m["CapAmb"] == 0, r.stdout


def test_non_root_app_keeps_ambient_capabilities(pods, img):
    """rkt's behaviour for a non-root app: its capability set is ambient (and so
    inheritable), the app and what it execs keep it."""
    r = run_with_inheritable(pods, img.path, "--user=9000", "--group=9000",
                             "--exec=/bin/cat", "--", "/proc/self/status")
    assert r.returncode == 0, r
    m = cap_masks(r.stdout)
    assert m["CapAmb"] == m["CapBnd"] == m["CapEff"] == m["CapInh"] != 0, r.stdout
