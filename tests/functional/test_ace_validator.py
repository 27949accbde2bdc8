# SPDX-License-Identifier: Apache-2.0
"""The appc ACE validator (SPEC.md §11.16; /work/shared/conformance/ace/README.md): its two
images in one pod with the metadata service, as rkt's TestAceValidator ran them, with our
stricter pass criteria: `prestart OK`, `main OK`, `sidekick OK` and `poststop OK` printed,
no line ending in ` FAIL`, exit 0.

The validator is built from Debian's Go packages by the read-only ../shared/conformance/ace/
build.sh beside the checkout (it installs what it needs with apt-get). The output is cached
in /var/tmp/rkt-ace-cache/<hash of build.sh>, so it is built once per machine."""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from mdsutil import netmds  # noqa: F401
from nettest import NetPods, netns  # noqa: F401
from podtest import _finish, needs_root

pytestmark = needs_root

BUILD_SH = ROOT.parent / "shared" / "conformance" / "ace" / "build.sh"
CACHE = Path("/var/tmp/rkt-ace-cache")
OUTPUTS = ("ace-validator-main.aci", "ace-validator-sidekick.aci", "actool")


@pytest.fixture(scope="session")
def ace_images():
    """(main ACI, sidekick ACI), built by build.sh or taken from the cache."""
    if not BUILD_SH.is_file():
        pytest.fail(f"{BUILD_SH} is missing (the shared folder must sit beside the checkout)")
    out = CACHE / hashlib.sha256(BUILD_SH.read_bytes()).hexdigest()[:16]
    if not all((out / f).is_file() for f in OUTPUTS):
        tmp = CACHE / f"{out.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        proc = subprocess.run(["bash", str(BUILD_SH), str(tmp)], capture_output=True,
                              text=True, timeout=1800)
        assert proc.returncode == 0, f"build.sh failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
        shutil.rmtree(out, ignore_errors=True)
        os.rename(tmp, out)
    return out / OUTPUTS[0], out / OUTPUTS[1]


@pytest.fixture
def acepods(tmp_path, netns, netmds):
    """Pods on rkt's default network in the test's own network namespace, where the
    metadata service runs too (the pod reaches it at its gateway, as in rkt's test)."""
    p = NetPods(tmp_path / "pods", netns)
    yield p
    _finish(p)


def test_ace_validator(acepods, ace_images, netmds):
    main, sidekick = ace_images
    r, _ = acepods.run("--mds-register", "--volume", "database,kind=empty", main, sidekick,
                       net=None, timeout=120)
    lines = r.out.splitlines()
    for stage in ("prestart", "main", "sidekick", "poststop"):
        assert f"{stage} OK" in lines, r
    assert not [line for line in r.out.splitlines() + r.err.splitlines()
                if line.endswith(" FAIL")], r
    assert r.code == 0, r
    assert lines.index("prestart OK") < lines.index("main OK") < lines.index("poststop OK")
    assert "POST /" in netmds.stderr()
    assert "/acMetadata/v1/pod/hmac/verify - 200" in netmds.stderr()
