# SPDX-License-Identifier: Apache-2.0
"""The native stage1 entrypoints (init, enter, stop, gc) run directly on hand-made pod
directories (stage1_harness), as root. No network: pods use --net=host or --net=none."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from stage1_harness import app_section, cgroup_mounts, make_pod, pid_alive, wait_for

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="stage1 tests need root"),
              pytest.mark.rkt_free]

DEFAULT_CAPS = 0xA80425FB  # rkt's default set (SPEC.md §11.11)


@pytest.fixture
def pods(tmp_path):
    made = []

    def make(apps, **kw):
        p = make_pod(tmp_path, apps, **kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.cleanup()


def sh(script, **kw):
    return app_section(["/bin/sh", "-c", script], **kw)


def caps_of(out, key):
    for line in out.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"{key} not in {out!r}")


@pytest.mark.parametrize("code", [0, 1, 2, 42])
def test_exit_status_propagates(pods, code):
    p = pods([{"name": "a", "app": sh(f"exit {code}")}])
    r = p.run("--net=host")
    assert r.returncode == code, r
    assert p.status("a") == f"{code}\n"


def test_failing_app_stops_the_others(pods):
    p = pods([{"name": "ok", "app": sh("sleep 0.5; exit 0")},
              {"name": "bad", "app": sh("sleep 1; exit 5")},
              {"name": "slow", "app": sh("sleep 100")}])
    t = time.time()
    r = p.run("--net=host")
    assert r.returncode == 5, r
    assert time.time() - t < 8
    assert (p.status("ok"), p.status("bad"), p.status("slow")) == ("0\n", "5\n", "0\n")


def test_net_unknown_is_refused(pods):
    p = pods([{"name": "a", "app": sh("exit 0")}])
    r = p.run("--net=nosuch")
    assert r.returncode == 254
    assert ("stage1: failed to setup network: error loading network definitions: networks not "
            "found: nosuch") in r.stderr, r


def test_net_none_has_only_lo(pods):
    p = pods([{"name": "a", "app": sh("ls /sys/class/net; cat /sys/class/net/lo/operstate")}])
    r = p.run("--net=none")
    assert r.returncode == 0, r
    assert r.stdout.split()[0] == "lo" and len(r.stdout.split()) == 2


@pytest.mark.parametrize("value", ["0:65536", "65536:0", "65536", "x:1", "4294901760:65537"])
def test_bad_private_users_value_fails_clearly(pods, value):
    # a pod's root is never the host's (shift 0), and the range fits in 32 bits
    p = pods([{"name": "a", "app": sh("exit 0")}])
    r = p.run("--net=host", f"--private-users={value}")
    assert r.returncode == 254, r
    assert f'invalid --private-users value "{value}"' in r.stderr, r
    assert len(r.stderr.strip().splitlines()) == 1, r


def test_shared_empty_volume_and_concurrency(pods):
    vol = [{"name": "shared", "kind": "empty", "mode": "0777", "uid": 0, "gid": 0}]
    mounts = [{"volume": "shared", "path": "/shared"}]
    # each app waits for the other's file: only passes when both run at the same time (each
    # file is written under another name and renamed, so that it never shows up empty: the
    # one failure this test had, once, was the other app reading it between ">" and "echo")
    p = pods([{"name": "a", "mounts": mounts, "app": sh(
                  "echo a > /shared/.a; busybox mv /shared/.a /shared/a; i=0; "
                  "while [ ! -e /shared/b ]; do sleep 0.1; "
                  "i=$((i+1)); [ $i -gt 100 ] && exit 9; done; cat /shared/b")},
              {"name": "b", "mounts": mounts, "app": sh(
                  "echo b > /shared/.b; busybox mv /shared/.b /shared/b; i=0; "
                  "while [ ! -e /shared/a ]; do sleep 0.1; "
                  "i=$((i+1)); [ $i -gt 100 ] && exit 9; done; cat /shared/a")}],
             volumes=vol)
    r = p.run("--net=host")
    assert r.returncode == 0, r
    assert sorted(r.stdout.split()) == ["a", "b"]
    assert (p.path / "sharedVolumes" / "shared" / "a").read_text() == "a\n"
    assert oct((p.path / "sharedVolumes" / "shared").stat().st_mode & 0o777) == "0o777"


def test_empty_volume_mode_and_owner(pods):
    vol = [{"name": "v", "kind": "empty", "mode": "0123", "uid": 9991, "gid": 9992}]
    p = pods([{"name": "a", "mounts": [{"volume": "v", "path": "/a/b/c"}],
               "app": sh("stat -c '%A %u %g' /a/b/c; stat -c %A /a/b")}], volumes=vol)
    r = p.run("--net=host")
    assert r.returncode == 0, r
    assert r.stdout.split("\n")[:2] == ["d--x-w--wx 9991 9992", "drwxr-xr-x"]


def test_host_volume_read_only_and_recursive(pods, tmp_path):
    src = tmp_path / "hostvol"
    src.mkdir()
    (src / "f").write_text("host\n")
    vols = [{"name": "rw", "kind": "host", "source": str(src)},
            {"name": "ro", "kind": "host", "source": str(src), "readOnly": True}]
    p = pods([{"name": "a", "mounts": [{"volume": "rw", "path": "/rw"},
                                       {"volume": "ro", "path": "/ro"}],
               "app": sh("cat /ro/f; echo 2 > /rw/out; echo x > /ro/x || echo RO-OK")}],
             volumes=vols)
    r = p.run("--net=host")
    assert r.returncode == 0, r
    assert "host" in r.stdout and "RO-OK" in r.stdout
    assert (src / "out").read_text() == "2\n"


def test_missing_host_volume_source(pods, tmp_path):
    vols = [{"name": "v", "kind": "host", "source": str(tmp_path / "nope")}]
    p = pods([{"name": "a", "mounts": [{"volume": "v", "path": "/v"}], "app": sh("true")}],
             volumes=vols)
    r = p.run("--net=host")
    assert r.returncode == 1
    assert "Failed to stat" in r.stderr and "No such file or directory" in r.stderr


def test_implicit_empty_volume_warns(pods):
    app = sh("echo x > /data/f && cat /data/f",
             mount_points=[{"name": "data", "path": "/data", "readOnly": False}])
    p = pods([{"name": "a", "app": app}])
    r = p.run("--net=host")
    assert r.returncode == 0, r
    assert 'no volume specified for mount point "data"' in r.stderr
    assert (p.path / "sharedVolumes" / "a-data" / "f").exists()


def test_mount_target_through_symlink_stays_inside(pods, tmp_path):
    src = tmp_path / "hv"
    src.mkdir()
    (src / "marker").write_text("m\n")
    p = pods([{"name": "a", "mounts": [{"volume": "v", "path": "/escape/x"}],
               "app": sh("cat /escape/x/marker")}],
             volumes=[{"name": "v", "kind": "host", "source": str(src)}])
    (p.rootfs("a") / "escape").symlink_to("/../../../../../../tmp-stage1-escape")
    r = p.run("--net=host")
    assert r.returncode == 0, r
    assert not Path("/tmp-stage1-escape").exists()
    assert (p.rootfs("a") / "tmp-stage1-escape" / "x").is_dir()


def test_env_user_group_workdir(pods):
    app = sh("id -u; id -g; id -G; pwd; echo $FOO $AC_APP_NAME $HOME; echo $PATH",
             user="user1", group="group1", workdir="/tmp", env={"FOO": "bar"},
             supplementary_gids=[400, 500])
    p = pods([{"name": "myapp", "app": app}])
    r = p.run("--net=host")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0:2] == ["1000", "100"]
    assert lines[2].split() == ["100", "400", "500"]
    assert lines[3] == "/tmp"
    assert lines[4] == "bar myapp /root"
    assert lines[5] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env = (p.s1 / "rkt" / "env" / "myapp").read_text()
    assert "FOO=bar\0" in env and "AC_APP_NAME=myapp\0" in env


def test_unknown_user_fails(pods):
    p = pods([{"name": "a", "app": sh("true", user="user2")}])
    r = p.run("--net=host")
    assert r.returncode == 254 and '"user2" user not found' in r.stderr


def test_app_inherits_image_app_section(pods):
    p = pods([{"name": "a", "app": sh("echo from-image; exit 7")}], app_in_image=True)
    r = p.run("--net=host")
    assert r.returncode == 7 and "from-image" in r.stdout


def test_hostname(pods):
    p = pods([{"name": "a", "app": sh("hostname; cat /etc/hostname; grep 127.0.0.1 /etc/hosts")}])
    r = p.run("--net=host")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == lines[1] == f"rkt-{p.uuid}"
    assert lines[2].endswith(f"rkt-{p.uuid}")
    assert (p.s1 / "etc" / "hostname").read_text() == f"rkt-{p.uuid}\n"
    r = p.run("--net=host", "--hostname=test-hostname")
    assert r.stdout.splitlines()[0] == "test-hostname"


def test_pid_namespace(pods):
    p = pods([{"name": "a", "app": sh("echo $$; test -d /proc/1 && echo has-pid1")}])
    r = p.run("--net=host")
    assert r.returncode == 0, r
    pid, line = r.stdout.split()
    assert int(pid) > 1 and line == "has-pid1"
    assert p.pid() != os.getpid() and p.pid() > 1


def test_own_mount_namespace_and_readonly_sys(pods):
    p = pods([{"name": "a", "app": sh("touch /sys/x 2>/dev/null || echo sys-ro; "
                                      "readlink /proc/self/ns/mnt; sleep 100")}])
    p.start("--net=host")
    pid1 = p.wait_ready()
    assert p.proc.stdout.readline() == "sys-ro\n"
    app_ns = p.proc.stdout.readline().strip()
    assert app_ns != os.readlink(f"/proc/{pid1}/ns/mnt")
    assert app_ns != os.readlink("/proc/self/ns/mnt")
    p.stop()
    assert p.proc.wait(timeout=15) == 0


def test_masked_paths(pods):
    # /proc/kcore only exists with CONFIG_PROC_KCORE; /proc/timer_list always does
    masked = "/proc/kcore" if Path("/proc/kcore").exists() else "/proc/timer_list"
    p = pods([{"name": "a", "app": sh(f"stat -c %A {masked} /sys/firmware; "
                                      "echo h > /proc/sysrq-trigger 2>/dev/null || echo ro")}])
    r = p.run("--net=host")
    assert r.stdout.split() == ["----------", "d---------", "ro"], r
    r = p.run("--net=host", "--disable-paths")
    assert r.stdout.split()[0] != "----------"


def test_no_host_devices(pods):
    p = pods([{"name": "a", "app": sh("ls /dev; stat -c '%F %a' /dev/ptmx")}])
    r = p.run("--net=host")
    assert r.returncode == 0, r
    names = set(r.stdout.split("\n")[:-2])
    assert names == {"core", "fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr",
                     "stdin", "stdout", "tty", "urandom", "zero"}
    assert r.stdout.splitlines()[-1] == "character special file 666"


def test_default_caps(pods):
    p = pods([{"name": "a", "app": sh("grep Cap /proc/self/status")}])
    r = p.run("--net=host")
    assert caps_of(r.stdout, "CapBnd") == DEFAULT_CAPS
    assert caps_of(r.stdout, "CapEff") == DEFAULT_CAPS


def test_caps_retain_and_remove(pods):
    retain = [{"name": "os/linux/capabilities-retain-set",
               "value": {"set": ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"]}}]
    remove = [{"name": "os/linux/capabilities-remove-set", "value": {"set": ["CAP_MKNOD"]}}]
    p = pods([{"name": "a", "app": sh("grep Cap /proc/self/status", isolators=retain)},
              {"name": "b", "app": sh("sleep 0.2; grep Cap /proc/self/status",
                                      isolators=remove)}])
    r = p.run("--net=host")
    a, b = r.stdout.split("CapInh")[1:]
    assert caps_of("CapInh" + a, "CapBnd") == (1 << 12) | (1 << 10)
    assert caps_of("CapInh" + b, "CapBnd") == DEFAULT_CAPS & ~(1 << 27)
    assert caps_of("CapInh" + b, "CapEff") == DEFAULT_CAPS & ~(1 << 27)


def test_caps_non_root_and_disabled_restriction(pods):
    p = pods([{"name": "a", "app": sh("grep Cap /proc/self/status", user="9000", group="9000")}])
    r = p.run("--net=host")
    assert caps_of(r.stdout, "CapBnd") == DEFAULT_CAPS
    assert caps_of(r.stdout, "CapEff") == DEFAULT_CAPS
    r = p.run("--net=host", "--disable-capabilities-restriction")
    host = caps_of(Path("/proc/self/status").read_text(), "CapBnd")
    assert caps_of(r.stdout, "CapBnd") == host
    assert caps_of(r.stdout, "CapEff") == host


def test_no_new_privs_and_oom_score_adj(pods):
    iso = [{"name": "os/linux/no-new-privileges", "value": True},
           {"name": "os/linux/oom-score-adj", "value": 99}]
    p = pods([{"name": "a", "app": sh("grep NoNewPrivs /proc/self/status; "
                                      "cat /proc/self/oom_score_adj", isolators=iso)}])
    r = p.run("--net=host")
    assert r.stdout.split() == ["NoNewPrivs:", "1", "99"], r


def test_memory_and_cpu_limits(pods, tmp_path):
    iso = [{"name": "resource/memory", "value": {"limit": "4194304"}},
           {"name": "resource/cpu", "value": {"limit": "100m"}}]
    p = pods([{"name": "a", "app": sh("sleep 30", isolators=iso)}])
    p.start("--net=host")
    p.wait_ready()
    sub = p.subcgroup() + "/system.slice/a.service"
    found = {}
    for m in cgroup_mounts():
        d = Path(m) / sub
        for f in ("memory.limit_in_bytes", "memory.max", "cpu.cfs_quota_us", "cpu.max"):
            if (d / f).exists():
                found[f] = (d / f).read_text().split()[0]
    assert found.get("memory.limit_in_bytes", found.get("memory.max")) == "4194304"
    assert found.get("cpu.cfs_quota_us", found.get("cpu.max")) == "10000"
    p.stop(force=True)
    p.proc.wait(timeout=10)


def test_hooks(pods):
    vol = [{"name": "log", "kind": "empty", "mode": "0777"}]
    app = sh("echo main >> /log/trace", user="1000", group="100", event_handlers={
        "pre-start": ["/bin/sh", "-c", "id -u >> /log/trace"],
        "post-stop": ["/bin/sh", "-c", "echo post >> /log/trace"]})
    p = pods([{"name": "a", "app": app, "mounts": [{"volume": "log", "path": "/log"}]}],
             volumes=vol)
    r = p.run("--net=host")
    assert r.returncode == 0, r
    assert (p.path / "sharedVolumes" / "log" / "trace").read_text() == "0\nmain\npost\n"


def test_missing_exec_is_203(pods):
    p = pods([{"name": "a", "app": app_section(["/foo-not-there", "arg"])}])
    r = p.run("--net=host")
    assert r.returncode == 203, r
    assert 'Error: Unable to open "/foo-not-there": No such file or directory' in r.stdout
    assert p.status("a") == "203\n"


def test_stop_graceful(pods):
    p = pods([{"name": "a", "app": sh("sleep 1000")}, {"name": "b", "app": sh("sleep 1000")}])
    p.start("--net=host")
    p.wait_ready()
    assert p.stop().returncode == 0
    assert p.proc.wait(timeout=15) == 0
    assert p.status("a") == "0\n"


def test_sigterm_to_init_is_graceful(pods):
    p = pods([{"name": "a", "app": sh("sleep 1000")}])
    p.start("--net=host")
    p.wait_ready()
    p.proc.send_signal(signal.SIGTERM)
    assert p.proc.wait(timeout=15) == 0


def test_stop_force_leaves_nothing(pods):
    p = pods([{"name": "a", "app": sh("sleep 1000 & sleep 1000")}])
    p.start("--net=host")
    p.wait_ready()
    assert wait_for(lambda: len(p.cgroup_pids()) >= 3)
    assert p.stop(force=True).returncode == 0
    assert p.proc.wait(timeout=15) == -signal.SIGKILL
    assert wait_for(lambda: not p.cgroup_pids())


def test_kill_9_of_init_leaves_nothing(pods):
    p = pods([{"name": "a", "app": sh("sleep 1000 & sleep 1000")},
              {"name": "b", "app": sh("sleep 1000")}])
    p.start("--net=host")
    pid1 = p.wait_ready()
    assert wait_for(lambda: len(p.cgroup_pids()) >= 4)
    p.proc.kill()
    p.proc.wait(timeout=10)
    assert wait_for(lambda: not p.cgroup_pids(), timeout=10), p.cgroup_pids()
    # A dying pid 1 of a pid namespace leaves its cgroup first (cgroup_exit) and only then
    # waits for the killed members of its namespace to be reaped: for a moment the cgroup is
    # empty while it still exists, not yet a zombie.
    assert wait_for(lambda: not pid_alive(pid1), timeout=10)


def test_enter(pods):
    p = pods([{"name": "a", "app": sh("sleep 1000", user="1000", group="100",
                                      env={"FOO": "bar"})}])
    p.start("--net=host")
    p.wait_ready()
    env = dict(os.environ, TERM="xterm-test")
    r = p.enter("a", "/bin/sh", "-c", "echo $FOO $AC_APP_NAME $TERM; id -u; hostname; "
                "grep CapBnd /proc/self/status; ps -o pid,args | grep -c 'sleep 1000'", env=env)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "bar a xterm-test"
    assert lines[1] == "1000"
    assert lines[2] == f"rkt-{p.uuid}"
    assert caps_of(lines[3], "CapBnd") == DEFAULT_CAPS
    r = p.enter("a", "/bin/sh", "-c", "exit 4")
    assert r.returncode == 4
    p.stop()
    assert p.proc.wait(timeout=15) == 0


def test_enter_keeps_the_runs_capability_restriction(pods):
    # enter reads --disable-capabilities-restriction of the run from P/runtime-config
    p = pods([{"name": "a", "app": sh("sleep 1000")}])
    p.start("--net=host", "--disable-capabilities-restriction")
    p.wait_ready()
    r = p.enter("a", "/bin/grep", "CapBnd", "/proc/self/status")
    assert r.returncode == 0, r
    assert caps_of(r.stdout, "CapBnd") == caps_of(Path("/proc/self/status").read_text(), "CapBnd")
    p.stop()
    assert p.proc.wait(timeout=15) == 0


def test_gc_removes_cgroups(pods):
    p = pods([{"name": "a", "app": sh("exit 0")}])
    assert p.run("--net=host").returncode == 0
    dirs = p.cgroup_dirs()
    assert dirs
    r = p.gc()
    assert r.returncode == 0, r
    assert not any(d.exists() for d in dirs)


def test_read_only_rootfs(pods):
    vol = [{"name": "v", "kind": "empty"}]
    p = pods([{"name": "a", "read_only_rootfs": True, "mounts": [{"volume": "v", "path": "/v"}],
               "app": sh("touch /x 2>/dev/null || echo ro; touch /v/x && echo rw")}],
             volumes=vol)
    r = p.run("--net=host")
    assert r.stdout.split() == ["ro", "rw"], r


def test_interactive_without_tty_passes_stdio(pods):
    p = pods([{"name": "a", "app": sh("read x; echo got $x")}])
    r = p.run("--net=host", "--interactive", input="Saluton\n")
    assert r.returncode == 0, r
    assert "got Saluton" in r.stdout


def test_interactive_with_pty(pods):
    import pty
    p = pods([{"name": "a", "app": sh("test -t 0 && echo tty-yes; read x; echo got $x")}])
    master, slave = pty.openpty()
    p.start("--net=host", "--interactive", stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    out = b""
    os.write(master, b"Saluton\r")
    end = time.time() + 10
    while time.time() < end and b"got Saluton" not in out:
        try:
            out += os.read(master, 1024)
        except OSError:
            break
    os.close(master)
    assert b"tty-yes" in out and b"got Saluton" in out
    assert p.proc.wait(timeout=10) == 0


def test_interactive_escape_kills_pod(pods):
    import pty
    p = pods([{"name": "a", "app": sh("sleep 1000")}])
    master, slave = pty.openpty()
    p.start("--net=host", "--interactive", stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    p.wait_ready()
    os.write(master, b"\x1d\x1d\x1d")
    assert p.proc.wait(timeout=10) == 1
    os.close(master)
    assert wait_for(lambda: not p.cgroup_pids())


def test_runtime_config_and_env_file(pods):
    p = pods([{"name": "a", "app": sh("true")}])
    assert p.run("--net=host", "--debug").returncode == 0
    import json
    rc = json.loads((p.path / "runtime-config").read_text())
    assert rc["Hostname"] == f"rkt-{p.uuid}" and rc["Debug"] is True
    assert (p.s1 / "rkt" / "supervisor-status").is_symlink()
    assert os.readlink(p.s1 / "rkt" / "supervisor-status") == "ready"
    # root's alone: both hold the pod's metadata service token (rkt: 0644)
    assert oct((p.s1 / "rkt" / "env" / "a").stat().st_mode & 0o777) == "0o600"
    assert oct((p.path / "runtime-config").stat().st_mode & 0o777) == "0o600"
