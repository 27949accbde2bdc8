# SPDX-License-Identifier: Apache-2.0
"""`rkt run --interactive` end to end on a terminal (SPEC.md §7.5, §11.14): stdin reaches
the app, pressing ^] three times within a second kills the pod (rkt exits 1 promptly, the
pod is exited, gc leaves nothing), slower or interrupted ^] presses are passed to the app,
and --interactive takes exactly one image."""
import os
import pty
import select
import subprocess
import time

import pytest

from conftest import kill_quietly
from podtest import (img, mounts_under, needs_root, pod_cgroups, pod_processes,  # noqa: F401
                     pods, wait_for)

pytestmark = [pytest.mark.offline, needs_root]

ESC = b"\x1d"  # ^]


class Terminal:
    """rkt started with a pty as its stdin, stdout and stderr; output is collected."""

    def __init__(self, pods, *args):
        self.uuid_file = pods.next_uuid_file()
        argv = pods.argv(*pods.run_args(["--interactive", f"--uuid-file-save={self.uuid_file}"]
                                        + [str(a) for a in args]))
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                     close_fds=True, start_new_session=True)
        os.close(slave)
        self.out = b""

    @property
    def uuid(self):
        return wait_for(lambda: self.uuid_file.exists() and self.uuid_file.stat().st_size == 36
                        and self.uuid_file.read_text(), what="--uuid-file-save")

    def pump(self, timeout=0.05):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                self.out += os.read(self.master, 4096)
            except OSError:
                pass

    def expect(self, text, timeout=15):
        def seen():
            self.pump()
            return text.encode() in self.out
        return wait_for(seen, timeout=timeout, interval=0, what=f"{text!r} on the terminal")

    def write(self, data):
        os.write(self.master, data)

    def wait(self, timeout):
        """The exit code, reading the terminal meanwhile (rkt must not block on it)."""
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump()
        return self.proc.wait(timeout=max(0.1, end - time.monotonic()))

    def close(self):
        kill_quietly(self.proc)
        os.close(self.master)


@pytest.fixture
def term(pods):
    opened = []

    def start(*args):
        t = Terminal(pods, *args)
        opened.append(t)
        return t
    yield start
    for t in opened:
        t.close()


def assert_gone(p, uuid):
    wait_for(lambda: not pod_processes(p.dir, {uuid}), timeout=10, what="pod processes to end")
    assert p.gc().code == 0
    assert mounts_under(p.dir) == []
    assert pod_cgroups({uuid}) == []
    assert not any((p.dir / "pods").glob(f"*/{uuid}"))


def test_escape_three_times_kills_the_pod(pods, img, term):
    t = term(img.path, "--exec=/inspect", "--", "--sleep=30")
    uuid = t.uuid
    pods.wait_ready(uuid)
    start = time.monotonic()
    for _ in range(3):
        t.write(ESC)  # three separate key presses, well within one second
        time.sleep(0.05)
    code = t.wait(timeout=5)
    assert code == 1, t.out
    assert time.monotonic() - start < 5
    pods.wait_exited(uuid, timeout=10)
    assert_gone(pods, uuid)


def test_escape_too_slow_or_interrupted_is_passed_on(pods, img, term):
    # ^] ^] x ^] (interrupted), then ^] and another ^] more than a second later: none of
    # these kills the pod; the app reads them as input
    t = term(img.path, "--exec=/inspect", "--", "--read-stdin", "--exit-code=7")
    uuid = t.uuid
    t.expect("Enter text:")
    t.write(ESC + ESC + b"x" + ESC)
    t.write(ESC)
    first = time.monotonic()
    wait_for(lambda: time.monotonic() - first > 1.1, interval=0.05, what="a second to pass")
    t.write(ESC + b"\r")
    assert t.wait(timeout=15) == 7, t.out
    t.expect("Received text:")
    line = t.out.split(b"Received text:", 1)[1]
    # the terminal echoes control characters as ^]
    assert line.lstrip().startswith(b"^]^]x^]^]^]") or b"\x1d\x1dx\x1d\x1d\x1d" in line, t.out
    pods.wait_exited(uuid)
    assert_gone(pods, uuid)


def test_interactive_stdin_reaches_the_app(pods, img, term):
    t = term(img.path, "--exec=/inspect", "--", "--check-tty", "--read-stdin")
    uuid = t.uuid
    t.expect("Enter text:")
    t.write(b"Saluton\r")
    assert t.wait(timeout=15) == 0, t.out
    out = t.out.decode(errors="replace")
    assert "stdin is a terminal" in out
    assert "Received text: Saluton" in out
    assert pods.status(uuid)["app-rkt-inspect"] == "0"
    assert_gone(pods, uuid)


def test_interactive_needs_exactly_one_image(pods, img):
    r, uuid = pods.run("--interactive", img.path, img.path, "--name=second")
    assert r.code == 254, r
    assert "interactive option only supports one image" in r.err
    assert uuid is None
    assert pods.gc().code == 0
    assert not any((pods.dir / "pods").glob("*/*"))
