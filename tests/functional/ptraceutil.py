# SPDX-License-Identifier: Apache-2.0
"""What the tests of apps that may trace share (test_escapes_ptrace.py,
test_escapes_review2.py): the capabilities and system calls such an app's image grants
itself, as isolators and as `rkt run`/`rkt app add` flags, and the hostile programs built
statically at test time (the pods' rootfs is busybox)."""
import subprocess
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# rkt's default capabilities and CAP_SYS_PTRACE
PTRACE_CAPS = ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
               "CAP_KILL", "CAP_MKNOD", "CAP_NET_RAW", "CAP_NET_BIND_SERVICE", "CAP_SETUID",
               "CAP_SETGID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE"]
# and every system call (rkt's default filter kills ptrace; the image may lift it)
ISOLATORS = [{"name": "os/linux/capabilities-retain-set", "value": {"set": PTRACE_CAPS}},
             {"name": "os/linux/seccomp-retain-set", "value": {"set": ["@appc.io/all"]}}]
TRACER = ["--caps-retain=" + ",".join(PTRACE_CAPS), "--seccomp=mode=retain,@appc.io/all"]


def build_static(source, out):
    """Compiles data/<source> statically to out; returns out."""
    subprocess.run(["cc", "-static", "-O2", "-o", str(out), str(DATA / source)], check=True)
    return out


@pytest.fixture(scope="module")
def attacker(tmp_path_factory):
    """data/ptrace-attack.c, built."""
    return build_static("ptrace-attack.c", tmp_path_factory.mktemp("ptrace") / "attack")
