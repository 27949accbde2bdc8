# SPDX-License-Identifier: Apache-2.0
"""Seccomp (SPEC.md §11.11, TestAppIsolatorSeccomp): rkt's default filter on every app of
the native stage1, the os/linux/seccomp-{retain,remove}-set isolators with their groups and
errno, the --seccomp override, --insecure-options=seccomp|all-run|all, bad names, and fly
left unfiltered."""
import pytest

import imageutil
from podtest import flyns, flypods, img, needs_root, pods  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]

SIGSYS_STATUS = 128 + 31


def seccomp_image(tmp_path, kind=None, items=(), errno=None, user="0", name="s.aci"):
    isolators = None
    if kind:
        value = {"set": list(items)}
        if errno:
            value["errno"] = errno
        isolators = [{"name": f"os/linux/seccomp-{kind}-set", "value": value}]
    return imageutil.inspect_image(tmp_path / name, exec_=["/inspect"], isolators=isolators,
                                   user=user, group=user)


def run(pods, image, *calls, flags=(), insecure=None):
    args = [f"--try-syscall={c}" for c in calls]
    argv = [image.path, *flags, "--", *args]
    if insecure:
        return pods(f"--insecure-options={insecure}", "run", *pods.stage1_args(),
                    "--net=host", *argv, timeout=60)
    return pods.run(*argv)[0]


def test_default_filter_allows_what_apps_use_and_kills_the_rest(pods, tmp_path):
    a = seccomp_image(tmp_path)
    r = run(pods, a, "stat")
    assert r.code == 0 and "syscall stat: ok" in r.out, r
    r = run(pods, a, "stat", "swapoff")  # not in rkt's default whitelist: SIGSYS
    assert "syscall stat: ok" in r.out and "swapoff" not in r.out, r
    assert r.code == SIGSYS_STATUS, r


def test_default_filter_loads_for_a_non_root_app(pods, tmp_path):
    # loading a filter needs CAP_SYS_ADMIN or no_new_privs: a non-root app is filtered all
    # the same (the stage1 holds CAP_SYS_ADMIN for the load), and no_new_privs stays 0
    a = seccomp_image(tmp_path, user="1000")
    r, _ = pods.run(a.path, "--", "--print-user", "--check-no-new-privs",
                    "--file-name=/proc/self/status", "--read-file", "--try-syscall=stat",
                    "--try-syscall=swapoff")
    assert "User: uid=1000 euid=1000" in r.out, r
    assert "no_new_privs: 0 err: errno 0" in r.out, r
    status = dict(ln.split(":", 1) for ln in r.out.splitlines() if ln.startswith(
        ("Seccomp:", "NoNewPrivs:", "CapEff:")))
    assert status["Seccomp"].strip() == "2" and status["NoNewPrivs"].strip() == "0", r
    assert not int(status["CapEff"], 16) & (1 << 21), r  # CAP_SYS_ADMIN: for the load only
    assert "syscall stat: ok" in r.out and "swapoff" not in r.out, r
    assert r.code == SIGSYS_STATUS, r


@pytest.mark.parametrize("kind,items", [
    ("retain", ["@appc.io/all"]),
    ("remove", ["@appc.io/empty"]),
    ("remove", ["@rkt/default-blacklist"]),
    ("remove", ["reboot"]),
    ("retain", ["@rkt/default-whitelist"]),
    ("retain", ["@docker/default-whitelist"]),
])
@pytest.mark.parametrize("user", ["0", "1000"])
def test_sets_that_allow_stat(pods, tmp_path, kind, items, user):
    a = seccomp_image(tmp_path, kind, items, user=user)
    r = run(pods, a, "stat")
    assert r.code == 0 and "syscall stat: ok" in r.out, r


def test_remove_set_blocks_its_calls(pods, tmp_path):
    a = seccomp_image(tmp_path, "remove", ["@rkt/default-blacklist"])
    r = run(pods, a, "stat", "umount2")
    assert "syscall stat: ok" in r.out and "umount2" not in r.out, r
    assert r.code == SIGSYS_STATUS, r


def test_retain_all_allows_everything(pods, tmp_path):
    a = seccomp_image(tmp_path, "retain", ["@appc.io/all"])
    r = run(pods, a, "swapoff")
    assert r.code == 0 and "syscall swapoff:" in r.out, r


def test_errno_instead_of_kill(pods, tmp_path):
    a = seccomp_image(tmp_path, "remove", ["stat"], errno="EXFULL")
    r = pods.run(a.path, "--", "--stat-file", "--file-name=/")[0]
    assert r.code == 254 and "exchange full" in r.err, r


@pytest.mark.parametrize("kind,items,errno,n_filters,keyctl", [
    (None, [], None, "1", None),                                  # the default kills
    ("retain", ["@rkt/default-whitelist"], "EXFULL", "1", "exchange full"),
    ("remove", ["reboot"], None, "2", "operation not permitted"),  # the keyring filter's EPERM
    ("remove", ["reboot"], "EXFULL", "2", "operation not permitted"),
    ("remove", ["keyctl", "add_key", "request_key"], "EXFULL", "1", "exchange full"),
])
def test_keyring_calls_under_each_filter(pods, tmp_path, kind, items, errno, n_filters, keyctl):
    # the keyring filter (EPERM) is loaded only when the app's own filter lets a keyring call
    # through: where it blocks them all, the keyring filter would change nothing
    a = seccomp_image(tmp_path, kind, items, errno=errno)
    r, _ = pods.run(a.path, "--", "--file-name=/proc/self/status", "--read-file",
                    "--try-syscall=keyctl")
    assert f"Seccomp_filters:\t{n_filters}\n" in r.out, r
    if keyctl is None:
        assert r.code == SIGSYS_STATUS and "syscall keyctl" not in r.out, r
    else:
        assert r.code == 0 and f"syscall keyctl: {keyctl}" in r.out.lower(), r


def test_cli_override_replaces_the_images_set(pods, tmp_path):
    a = seccomp_image(tmp_path, "remove", ["stat"], errno="EXFULL")
    r = run(pods, a, "stat", flags=["--seccomp=mode=retain,@appc.io/all"])
    assert r.code == 0 and "syscall stat: ok" in r.out, r
    plain = seccomp_image(tmp_path, name="p.aci")
    r = run(pods, plain, "stat", flags=["--seccomp=mode=remove,errno=EXFULL,stat"])
    assert "syscall stat: exchange full" in r.out, r


@pytest.mark.parametrize("insecure,filtered", [
    ("image,seccomp", False), ("image,all-run", False), ("all", False),
    ("image,ondisk,capabilities,paths", True),
])
def test_insecure_options(pods, tmp_path, insecure, filtered):
    a = seccomp_image(tmp_path, "remove", ["stat"], errno="EMULTIHOP")
    r = run(pods, a, "stat", insecure=insecure)
    if filtered:
        assert "syscall stat: multihop attempted" in r.out, r
    else:
        assert r.code == 0 and "syscall stat: ok" in r.out, r


@pytest.mark.parametrize("kind,items,errno,msg", [
    ("remove", ["no_such_call"], None, 'unknown system call "no_such_call"'),
    ("retain", ["@rkt/no-such-group"], None, 'unknown system call group "@rkt/no-such-group"'),
    ("remove", ["stat"], "ENOSUCHERRNO", 'unknown errno "ENOSUCHERRNO"'),
])
def test_bad_names_are_errors(pods, tmp_path, kind, items, errno, msg):
    a = seccomp_image(tmp_path, kind, items, errno=errno)
    r = run(pods, a, "stat")
    assert r.code == 254 and msg in r.err, r
    assert "syscall" not in r.out


@pytest.mark.parametrize("value,msg", [
    ("mode=maybe,stat", "invalid seccomp mode command-line override"),
    ("mode=remove,color=red,stat", "invalid seccomp command-line override"),
    ("mode=remove,errno=ENOSUCH,stat", 'unknown errno "ENOSUCH"'),
    ("mode=remove,@nope/x", 'unknown system call group "@nope/x"'),
])
def test_bad_cli_values(pods, tmp_path, value, msg):
    a = seccomp_image(tmp_path)
    r = run(pods, a, "stat", flags=[f"--seccomp={value}"])
    assert r.code == 254 and msg in r.err, r


def test_fly_is_not_filtered(flypods, tmp_path):
    a = seccomp_image(tmp_path, "remove", ["stat"], errno="EXFULL")
    r = run(flypods, a, "stat")
    assert r.code == 0 and "syscall stat: ok" in r.out, r
