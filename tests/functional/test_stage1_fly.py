# SPDX-License-Identifier: Apache-2.0
"""The fly stage1 entrypoints (run, enter, stop, gc; SPEC.md §7.6) run directly on hand-made
pod directories. The harness runs `run` inside `unshare --mount` so that fly's mounts, made
in the caller's mount namespace, stay off the test host."""
import os
import signal
import time

import pytest

from stage1_harness import app_section, make_pod, pid_alive, wait_for

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="stage1 tests need root"),
              pytest.mark.rkt_free]


@pytest.fixture
def pods(tmp_path):
    made = []

    def make(apps, **kw):
        p = make_pod(tmp_path, apps, flavor="fly", **kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.cleanup()


def sh(script, **kw):
    return app_section(["/bin/sh", "-c", script], **kw)


@pytest.mark.parametrize("code", [0, 1, 7])
def test_exit_status_is_the_apps(pods, code):
    p = pods([{"name": "a", "app": sh(f"exit {code}")}])
    r = p.run("--net=default")
    assert r.returncode == code, r
    assert p.status("a") is None  # fly writes no status files


def test_env_user_group_workdir(pods):
    app = sh("id -u; id -g; id -G; pwd; echo $FOO $AC_APP_NAME", user="user1",
             group="group1", workdir="/tmp", env={"FOO": "bar"}, supplementary_gids=[400])
    p = pods([{"name": "a", "app": app}])
    r = p.run()
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["1000", "100", "100 400", "/tmp", "bar a"]
    assert "AC_APP_NAME=a\0" in (p.s1 / "rkt" / "env" / "a").read_text()


def test_host_namespaces_and_pid_files(pods):
    p = pods([{"name": "a", "app": sh("echo $$; readlink /proc/self/ns/pid; ls /tmp | wc -l")}])
    r = p.run()
    pid, ns, ntmp = r.stdout.split()
    assert int(pid) == p.pid() and int(pid) != 1
    assert ns == os.readlink("/proc/self/ns/pid")
    assert ntmp == "0"  # fresh tmpfs on /tmp
    assert int((p.path / "pgid").read_text()) > 0
    assert (p.path / "runtime-config").exists()


def test_one_app_only(pods):
    p = pods([{"name": "a", "app": sh("true")}, {"name": "b", "app": sh("true")}])
    r = p.run()
    assert r.returncode == 254
    assert "fly only supports 1 application per Pod for now" in r.stderr


def test_missing_exec(pods):
    p = pods([{"name": "a", "app": app_section(["/foo-not-there"])}])
    r = p.run()
    assert r.returncode == 203
    assert 'Error: Unable to open "/foo-not-there": No such file or directory' in r.stdout


def test_volumes(pods, tmp_path):
    src = tmp_path / "hv"
    src.mkdir()
    (src / "f").write_text("host\n")
    vols = [{"name": "h", "kind": "host", "source": str(src), "readOnly": True},
            {"name": "e", "kind": "empty", "mode": "0700"}]
    app = sh("cat /h/f; touch /h/x 2>/dev/null || echo ro; echo e > /e/f; cat /e/f; "
             "grep 127.0.0.1 /etc/hosts",
             mount_points=[{"name": "e", "path": "/e", "readOnly": False}])
    p = pods([{"name": "a", "app": app, "mounts": [{"volume": "h", "path": "/h"}]}],
             volumes=vols)
    r = p.run()
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["host", "ro", "e", "127.0.0.1 localhost localdomain"]
    assert (p.path / "sharedVolumes" / "e" / "f").read_text() == "e\n"


def test_mount_point_without_volume_fails(pods):
    app = sh("true", mount_points=[{"name": "data", "path": "/data", "readOnly": False}])
    p = pods([{"name": "a", "app": app}])
    r = p.run()
    assert r.returncode == 254
    assert 'missing volume for mountpoint "data"' in r.stderr


def test_app_holds_the_lock(pods):
    import fcntl
    p = pods([{"name": "a", "app": sh("sleep 100")}])
    p.start()
    pid = p.wait_ready()
    os.close(p._lock_fd)  # our copy; the app's inherited one keeps the lock
    p._lock_fd = None
    fd = os.open(p.path, os.O_RDONLY | os.O_DIRECTORY)
    with pytest.raises(BlockingIOError):
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert p.stop().returncode == 0
    assert p.proc.wait(timeout=10) == -signal.SIGTERM
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(fd)
    assert not pid_alive(pid)


def test_stop_force_and_enter(pods):
    p = pods([{"name": "a", "app": sh("trap '' TERM; sleep 100", env={"FOO": "bar"},
                                      user="1000", group="100")}])
    p.start()
    p.wait_ready()
    time.sleep(0.2)
    r = p.enter("a", "/bin/sh", "-c", "echo $FOO $TERM; id -u; test -e /inspect || echo in")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].startswith("bar ") and lines[1:] == ["1000", "in"]
    assert p.stop(force=True).returncode == 0
    assert p.proc.wait(timeout=10) == -signal.SIGKILL


def test_gc_is_a_noop(pods):
    p = pods([{"name": "a", "app": sh("true")}])
    assert p.run().returncode == 0
    assert p.gc().returncode == 0
