# SPDX-License-Identifier: Apache-2.0
"""The appc ACE validator (SPEC.md §11.16): its two images in one pod with the metadata
service, as rkt's TestAceValidator ran them, with our stricter pass criteria: `prestart OK`,
`main OK`, `sidekick OK` and `poststop OK` printed, no line ending in ` FAIL`, exit 0.

The images are built by the project from Debian's Go packages (aceimages.py)."""
import pytest

import aceimages
from mdsutil import netmds  # noqa: F401
from nettest import NetPods, netns  # noqa: F401
from podtest import _finish, needs_root

pytestmark = needs_root


@pytest.fixture(scope="session")
def ace_images():
    """(main ACI, sidekick ACI), built once per machine (aceimages.py caches them)."""
    return aceimages.ace_images()


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
