# SPDX-License-Identifier: Apache-2.0
"""An app that may trace processes (an image can grant itself CAP_SYS_PTRACE through its
capabilities-retain-set isolator and every system call through its seccomp one, as rkt
allowed) must find no process of ours in the pod
holding more than the app itself: attaching to one runs the attacker's code with its
capabilities, outside any seccomp filter. Our processes in the pod's pid namespace are
born or made as unprivileged as the app before any app runs beside them: the pod init
(after it started the apps), the pre-forked post-stop handlers, app children waiting to
start, and the process a `rkt enter` runs."""
import time

import pytest

from podtest import img, needs_root, pods  # noqa: F401
from ptraceutil import ISOLATORS, TRACER, attacker, build_static  # noqa: F401
from stage1_harness import app_section, make_pod

pytestmark = [needs_root]


@pytest.fixture
def s1pods(tmp_path):
    made = []

    def make(apps, **kw):
        p = make_pod(tmp_path, apps, **kw)
        made.append(p)
        return p
    yield make
    for p in made:
        p.cleanup()


def install(p, app, attacker):
    dst = p.rootfs(app) / "attack"
    dst.write_bytes(attacker.read_bytes())
    dst.chmod(0o755)


@pytest.mark.rkt_free
def test_post_stop_handler_waiting_is_not_a_way_out(s1pods, attacker):
    """The post-stop handler is forked before the app starts and waits for the app's end:
    it waits as unprivileged as the handler will run, not with the pod init's capabilities."""
    app = app_section(["/attack", "3"], isolators=ISOLATORS,
                      event_handlers={"post-stop": ["/bin/true"]})
    p = s1pods([{"name": "a", "app": app}])
    install(p, "a", attacker)
    r = p.run("--net=host")
    assert "ESCAPE" not in r.stdout, r
    assert "CLEAN" in r.stdout and r.returncode == 0, r


@pytest.mark.rkt_free
def test_apps_starting_beside_a_tracer_are_not_a_way_out(s1pods, attacker):
    """Apps start together: while the tracer runs, the others may still be setting up (their
    seccomp filters compiled, capabilities dropped). They wait for the go unprivileged."""
    slow = app_section(["/bin/true"], isolators=[
        {"name": "os/linux/seccomp-retain-set", "value": {"set": ["@docker/default-whitelist"]}}])
    apps = [{"name": "a", "app": app_section(["/attack", "2"], isolators=ISOLATORS)}]
    apps += [{"name": f"b{i}", "app": slow} for i in range(4)]
    for attempt in range(3):
        p = s1pods(apps)
        install(p, "a", attacker)
        r = p.run("--net=host")
        assert "ESCAPE" not in r.stdout, r
        assert "CLEAN" in r.stdout, r


@pytest.mark.rkt_free
def test_enter_is_not_a_way_out(s1pods, attacker):
    """`rkt enter` joins the pod's namespaces as root with every capability: the process it
    makes in the pod's pid namespace is born with the app's credentials already."""
    app = app_section(["/bin/sh", "-c", "/attack 20 > /out; sleep 60"], isolators=ISOLATORS)
    p = s1pods([{"name": "a", "app": app}])
    install(p, "a", attacker)
    p.start("--net=host")
    p.wait_ready()
    out = p.rootfs("a") / "out"
    for _ in range(20):
        r = p.enter("a", "/bin/true")
        assert r.returncode == 0, r
        if "ESCAPE" in out.read_text():
            break
    assert "ESCAPE" not in out.read_text()
    assert p.enter("a", "/bin/sh", "-c", "exit 7").returncode == 7
    p.stop(force=True)
    p.proc.wait(timeout=15)


@pytest.mark.rkt_free
def test_enter_reads_no_host_file_the_app_points_to(s1pods, tmp_path):
    """Such an app reaches the stage1's root through /proc/1/root and may replace what `rkt
    enter` reads there (the app's environment) with a link to a file of the host: the
    session must not get the host file's lines as its environment (nor hang on a FIFO)."""
    secret = tmp_path / "host-secret"
    secret.write_text("HOST_SECRET=from-the-host\n")
    secret.chmod(0o600)
    plant = (f"rm -f /proc/1/root/rkt/env/a && ln -s {secret} /proc/1/root/rkt/env/a && "
             "touch /planted; sleep 60")
    p = s1pods([{"name": "a", "app": app_section(["/bin/sh", "-c", plant], isolators=ISOLATORS)}])
    p.start("--net=host")
    p.wait_ready()
    planted = p.rootfs("a") / "planted"
    for _ in range(100):
        if planted.exists():
            break
        time.sleep(0.1)
    assert planted.exists()
    assert (p.s1 / "rkt" / "env" / "a").is_symlink()
    r = p.enter("a", "/bin/sh", "-c", "echo secret=$HOST_SECRET")
    assert "from-the-host" not in r.stdout + r.stderr
    assert r.returncode != 0 and "environment" in r.stderr, r
    p.stop(force=True)
    p.proc.wait(timeout=15)


def test_status_reads_no_fifo_or_link_the_app_planted(pods, img):
    """The same reach lets the app replace, before the pod exits, another app's exit status
    (where root's `rkt status` reads it) with a FIFO or a link to a host file: status neither
    hangs nor follows it."""
    status = "/proc/1/root/rkt/status"
    plant = (f"while ! test -f {status}/b; do sleep 0.1; done; rm -f {status}/b {status}/c && "
             f"mkfifo {status}/b && ln -sf /etc/hostname {status}/c")
    r, uuid = pods.run(img.path, "--name=a", *TRACER, "--exec=/bin/sh", "--", "-c", plant, "---",
                       img.path, "--name=b", "--exec=/bin/true", "---",
                       img.path, "--name=c", "--exec=/bin/true")
    assert r.code == 0, r
    s = pods.status(uuid)
    assert s["state"] == "exited" and s["app-a"] == "0", s
    assert "app-b" not in s and "app-c" not in s, s


def test_status_reads_no_status_dir_the_app_linked(pods, img, tmp_path):
    """... nor a link to a host directory in place of the status directory itself: what a
    host file named like an app holds is not shown as that app's exit status."""
    host = tmp_path / "host-dir"
    host.mkdir()
    (host / "b").write_text("42\n")
    status = "/proc/1/root/rkt/status"
    plant = (f"while ! test -f {status}/b; do sleep 0.1; done; "
             f"mv {status} {status}.x && ln -s {host} {status}")
    r, uuid = pods.run(img.path, "--name=a", *TRACER, "--exec=/bin/sh", "--", "-c", plant, "---",
                       img.path, "--name=b", "--exec=/bin/true")
    assert r.code == 0, r
    s = pods.status(uuid)
    assert s["state"] == "exited" and s.get("app-b") != "42", s


def test_enter_joins_no_namespace_an_app_made(pods, img, tmp_path):
    """Such an app may also trace the pod init (it holds no more than the apps) and make it
    unshare new user and network namespaces: `rkt enter` joins only the namespaces the pod
    was made with, and refuses to enter others."""
    hdir = tmp_path / "h"
    hdir.mkdir()
    build_static("ptrace-nshijack.c", hdir / "hijack")
    out = hdir / "result"
    p = pods.start(img.path, "--name=a", *TRACER, f"--volume=h,kind=host,source={hdir}",
                   "--mount=volume=h,target=/h", "--exec=/bin/sh", "--", "-c",
                   "/h/hijack > /h/result.tmp; mv /h/result.tmp /h/result; exec sleep 600")
    pods.wait_ready(p.uuid)
    for _ in range(150):
        if out.exists():
            break
        time.sleep(0.1)
    assert "HIJACKED" in out.read_text(), out.read_text()
    r = pods("enter", p.uuid, "/bin/sh", "-c", "grep -c : /proc/net/dev")
    assert r.code == 254, r
    assert "namespace is not the one it was made with" in r.err, r
    pods.ok("stop", "--force", p.uuid)
    p.wait()
