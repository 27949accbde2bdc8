# SPDX-License-Identifier: Apache-2.0
"""Hostile images, apps and flags against a running pod (issue "Close the host escapes"), in
both stage1s: user and group IDs that would mean "leave unchanged" (4294967295, uid_t -1),
environment values and DNS/hosts flags with newlines, special files where the stage1 reads
the app's /etc/passwd, and the capability sets of root apps and enter sessions."""
import json
import os
import subprocess

import pytest

import aci as A
import dockerutil as D
import imageutil
from podtest import (FLY, INSECURE, NATIVE, flypods, flyns, img, lines_with,  # noqa: F401
                     needs_root, pods)

pytestmark = [pytest.mark.offline, needs_root]


@pytest.fixture(params=[NATIVE, FLY])
def anypods(request):
    """pods (native) or flypods (fly)."""
    return request.getfixturevalue("pods" if request.param == NATIVE else "flypods")


def mkimage(pods, name, **kw):
    d = pods.tmp / "images"
    d.mkdir(exist_ok=True)
    return imageutil.inspect_image(d / f"{name}.aci", f"example.com/{name}", **kw)


# --------------------------------------------------------------------------- user, group IDs

MAX_ID = "4294967295"  # (uid_t)-1: setresuid/setresgid leave the id unchanged (root)


@pytest.mark.parametrize("flag", ["--user", "--group"])
@pytest.mark.parametrize("value", [MAX_ID, "4294967296", "18446744073709551615",
                                   "99999999999999999999999", "-1", "+0", "0x0", "1e3", "12abc"])
def test_cli_refuses_ids_that_are_not_exact_numbers_below_the_max(pods, img, flag, value):
    r, uuid = pods.run(img.path, f"{flag}={value}", "--", "--print-user")
    assert r.code == 254, r
    assert "User: " not in r.out
    assert f'invalid argument "{value}" for {flag}={value}' in r.err, r
    assert f"{flag} must be a name or a number below 4294967295" in r.err, r
    assert uuid is None


@pytest.mark.parametrize("field", ["user", "group"])
def test_manifest_id_of_max_is_refused(anypods, field):
    im = mkimage(anypods, f"max{field}", exec_=["/inspect", "--print-user"],
                 **{field: MAX_ID})
    r, _ = anypods.run(im.path)
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid {field} ID "{MAX_ID}"' in r.err, r


@pytest.mark.parametrize("field", ["user", "group"])
def test_pod_manifest_id_of_max_is_refused(anypods, img, field, tmp_path):
    key = anypods.fetch(img.path)
    m = {"acVersion": "0.8.11", "acKind": "PodManifest",
         "apps": [{"name": "a", "image": {"name": "coreos.com/rkt-inspect", "id": key},
                   "app": {"exec": ["/inspect", "--print-user"], "user": "0", "group": "0"}}]}
    m["apps"][0]["app"][field] = MAX_ID
    f = tmp_path / "pod.json"
    f.write_text(json.dumps(m))
    r, _ = anypods.run(f"--pod-manifest={f}")
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid {field} ID "{MAX_ID}"' in r.err, r


@pytest.mark.parametrize("kind", ["passwd", "group"])
def test_database_entry_with_max_id_is_refused(anypods, kind):
    files = {"etc/passwd": A.File(imageutil.PASSWD + f"evil:x:{MAX_ID}:100::/:\n"),
             "etc/group": A.File(imageutil.GROUP + f"evil:x:{MAX_ID}:\n")}
    field = "user" if kind == "passwd" else "group"
    im = mkimage(anypods, f"evil{kind}", exec_=["/inspect", "--print-user"], files=files,
                 **{field: "evil"})
    r, _ = anypods.run(im.path)
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid {field} ID "{MAX_ID}" for "evil" in /etc/{kind}' in r.err, r


def test_docker_user_of_max_is_refused(anypods, tmp_path):
    lay = D.Layout(tmp_path / "oci")
    layer = D.layer_tar([("inspect", "file", imageutil.inspect_bytes(), {"mode": 0o755})])
    desc = lay.image([layer], config={"User": f"{MAX_ID}:{MAX_ID}",
                                      "Entrypoint": ["/inspect", "--print-user"]})
    lay.tag(desc, "v1")
    r, _ = anypods.run(f"oci:{lay.path}:v1")
    assert r.code == 254, r
    assert "User: " not in r.out, r
    assert f'invalid user ID "{MAX_ID}"' in r.err, r
