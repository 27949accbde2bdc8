# SPDX-License-Identifier: Apache-2.0
"""Image configurations Docker runs that the conversion must turn into valid ACIs
(DOCKER.md §1.5). Found by tests/fuzz/fuzz-docker-config.c: a "User" with an empty user or
group part made a manifest the store refused ("app: user is required")."""
import pytest

import dockerutil as D
from test_docker_archive import fetch, save_archive
from test_docker_registry import manifest

pytestmark = pytest.mark.offline

PASSWD = "root:x:0:0::/root:/bin/sh\nweb:x:1000:1001::/srv:/bin/sh\n"


@pytest.mark.parametrize("user,expect", [
    # Docker: an empty user part is root, an empty group part is the user's own group
    (":grp", ("0", "grp")),
    (":", ("0", "0")),
    ("web:", ("web", "1001")),
    ("1000:", ("1000", "1001")),
    ("2000:", ("2000", "0")),
    ("nobody:", ("nobody", "nobody")),
    ("web:5", ("web", "5")),
])
def test_user_with_an_empty_part(rkt, tmp_path, user, expect):
    layer = D.layer_tar([("etc/passwd", "file", PASSWD), ("bin/true", "file", "")])
    path = tmp_path / "img.tar"
    save_archive(path, [([layer], {"Cmd": ["/bin/true"], "User": user}, ["example.com/a:v1"])])
    app = manifest(rkt, fetch(rkt, f"docker-archive:{path}"))["app"]
    assert (app["user"], app["group"]) == expect
