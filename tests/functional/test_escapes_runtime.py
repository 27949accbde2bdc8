# SPDX-License-Identifier: Apache-2.0
"""The pod/host boundary at run time, beyond test_escapes.py (review of the issue "Close the
host escapes"): kernel objects an app running as root in the pod shares with root on the
host because its uid is the same."""
import os
import secrets
import subprocess
import sys

import pytest

from podtest import FLY, flyns, flypods, img, needs_root, pods  # noqa: F401

pytestmark = [needs_root]

# x86_64 system call numbers and keyctl operations (linux/keyctl.h)
SYS_ADD_KEY, SYS_KEYCTL = 248, 250
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_UNLINK = 1, 9
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4

WITH_HOST_KEYS = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
tag, serial_file = sys.argv[1], sys.argv[2]
def add(desc, payload, ring):
    k = libc.syscall({add_key}, b"user", desc.encode(), payload.encode(), len(payload), ring)
    if k < 0:
        raise OSError(ctypes.get_errno(), "add_key " + desc)
    return k
libc.syscall({keyctl}, {join}, ("rkt-test-" + tag).encode())
add("rkt-test-session-" + tag, "session-secret-" + tag, {session})
k = add("rkt-test-user-" + tag, "user-secret-" + tag, {user})
open(serial_file, "w").write(str(k))
os.execvp(sys.argv[3], sys.argv[3:])
""".format(add_key=SYS_ADD_KEY, keyctl=SYS_KEYCTL, join=KEYCTL_JOIN_SESSION_KEYRING,
           session=KEY_SPEC_SESSION_KEYRING, user=KEY_SPEC_USER_KEYRING)

UNLINK = """
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall({keyctl}, {unlink}, int(sys.argv[1]), {user})
""".format(keyctl=SYS_KEYCTL, unlink=KEYCTL_UNLINK, user=KEY_SPEC_USER_KEYRING)


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86_64 system call numbers")
@pytest.mark.parametrize("via", ["run", "enter"])
def test_app_cannot_read_roots_keyrings(pods, img, tmp_path, via):
    """Root's kernel keyrings (the session keyring rkt was started in, the user and
    persistent keyrings of uid 0: Kerberos tickets, stored passphrases) belong to uid 0,
    which a root app is too: none of their keys may reach the app."""
    tag = secrets.token_hex(6)
    serial = tmp_path / "serial"
    wrap = [sys.executable, "-c", WITH_HOST_KEYS, tag, str(serial)]
    try:
        if via == "run":
            uf = pods.next_uuid_file()
            argv = pods.argv(*pods.run_args([f"--uuid-file-save={uf}", img.path,
                                             "--exec=/inspect", "--", "--probe-keyrings"]))
        else:
            p = pods.start(img.path, "--exec=/bin/sleep", "--", "60")
            pods.wait_ready(p.uuid)
            argv = pods.argv("enter", p.uuid, "/inspect", "--probe-keyrings")
        r = subprocess.run(wrap + argv, capture_output=True, text=True, timeout=60)
    finally:
        if serial.exists():
            subprocess.run([sys.executable, "-c", UNLINK, serial.read_text()], check=True)
    assert r.returncode == 0 and "keyrings done" in r.stdout, r
    assert f"session-secret-{tag}" not in r.stdout, r.stdout
    assert f"user-secret-{tag}" not in r.stdout, r.stdout
