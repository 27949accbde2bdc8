# SPDX-License-Identifier: Apache-2.0
"""Pods and the metadata service end to end (SPEC.md §3.1, §3.3, §6.6 step 5, §6.7 (b),
§9.1, §11.16): `rkt run --mds-register` registers the pod, the app reads its metadata at
$AC_METADATA_URL, gc unregisters it; the failures when the service is not there. Pods on
--net=host reach it at 127.0.0.1, pods on a CNI network at their gateway (SPEC.md §8.3)."""
import json
import re

import pytest

from mdsutil import mds, netmds, pub, reg, Service  # noqa: F401
from nettest import netns, netpods  # noqa: F401
from podtest import INSECURE, Pods, _finish, img, needs_root  # noqa: F401

pytestmark = needs_root

URL_RE = re.compile(r"^http://127\.0\.0\.1:18112/([0-9a-f]{32})$")


@pytest.fixture
def mdspods(tmp_path, mds):
    """Pods run in the host's network namespace (the service listens there); gc'ed before
    the service stops."""
    p = Pods(tmp_path / "pods", offline=False)
    yield p
    _finish(p)


def pod_dir(pods, uuid):
    found = list((pods.dir / "pods").glob(f"*/{uuid}"))
    assert len(found) == 1, found
    return found[0]


SCRIPT = ('echo "URL=$AC_METADATA_URL"; '
          'busybox wget -q -O - "$AC_METADATA_URL/acMetadata/v1/pod/uuid"; echo; '
          'busybox wget -q -O - "$AC_METADATA_URL/acMetadata/v1/apps/rkt-inspect/image/id"; '
          'echo; busybox wget -q -O - '
          '"$AC_METADATA_URL/acMetadata/v1/apps/rkt-inspect/annotations/authors"; echo')


def test_app_reads_its_metadata(mdspods, mds, img):
    r, uuid = mdspods.run("--mds-register", img.path, "--exec=/bin/sh", "--", "-c", SCRIPT)
    assert r.code == 0, r
    lines = r.out.splitlines()
    url = next(line[4:] for line in lines if line.startswith("URL="))
    m = URL_RE.match(url)
    assert m, url
    assert uuid in lines
    image_id = pod_dir(mdspods, uuid).joinpath("pod").read_text()
    assert any(line.startswith("sha512-") and line in image_id for line in lines), r
    assert pod_dir(mdspods, uuid).joinpath("mds-registered").exists()
    env = (pod_dir(mdspods, uuid) / "stage1/rootfs/rkt/env/rkt-inspect").read_text()
    assert f"AC_METADATA_URL={url}\0" in env
    log = mds.stderr()
    assert f"PUT /pods/{uuid}?token={m.group(1)} - 200" in log
    assert f"PUT /pods/{uuid}/rkt-inspect - 200" in log
    # gc unregisters the pod: its token stops working
    assert pub("GET", f"/{m.group(1)}/acMetadata/v1/pod/uuid").text == uuid
    g = mdspods.ok("gc", "--grace-period=0s")
    assert "could not unregister" not in g.err
    assert f"DELETE /pods/{uuid} - 200" in mds.stderr()
    assert pub("GET", f"/{m.group(1)}/acMetadata/v1/pod/uuid").status == 401


def test_without_mds_register_there_is_no_url(mdspods, img):
    r, uuid = mdspods.run(img.path, "--exec=/bin/sh", "--", "-c", 'echo "URL=$AC_METADATA_URL"')
    assert r.code == 0, r
    assert "URL=" in r.out.splitlines()
    assert not pod_dir(mdspods, uuid).joinpath("mds-registered").exists()


def test_run_prepared_registers(mdspods, mds, img):
    r = mdspods.ok(INSECURE, "prepare", *mdspods.stage1_args(), img.path, "--exec=/bin/sh",
                   "--", "-c", 'echo "URL=$AC_METADATA_URL"')
    uuid = r.out.strip().splitlines()[-1]
    r = mdspods("run-prepared", "--net=host", "--mds-register", uuid, timeout=60)
    assert r.code == 0, r
    assert any(URL_RE.match(line[4:]) for line in r.out.splitlines() if line.startswith("URL="))
    assert f"PUT /pods/{uuid}/rkt-inspect - 200" in mds.stderr()


@pytest.fixture
def nopods(tmp_path):
    """Pods with no metadata service running."""
    p = Pods(tmp_path / "pods", offline=False)
    yield p
    _finish(p)


def test_run_without_service_fails_before_the_pod_exists(nopods, img):
    r, uuid = nopods.run("--mds-register", img.path)
    assert r.code == 254, r
    assert "could not reach the metadata service." in r.err
    assert "--mds-register=false" in r.err
    assert uuid is None
    assert nopods.ok("list", "--no-legend").out.strip() == ""


def test_run_prepared_without_service_keeps_the_pod_prepared(nopods, img):
    uuid = nopods.ok(INSECURE, "prepare", *nopods.stage1_args(), img.path).out.split()[-1]
    r = nopods("run-prepared", "--net=host", "--mds-register", uuid)
    assert r.code == 254, r
    assert "could not reach the metadata service." in r.err
    assert nopods.status(uuid)["state"] == "prepared"


def test_mds_register_with_net_none(nopods, img):
    r, _ = nopods.run("--mds-register", img.path, net="none")
    assert r.code == 254, r
    assert ("--mds-register flag does not work with --net=none. Please use 'host', 'default' "
            "or an equivalent network") in r.err


def test_gc_with_the_service_gone_only_warns(tmp_path, img):
    svc = Service(tmp_path)
    p = Pods(tmp_path / "pods", offline=False)
    try:
        r, uuid = p.run("--mds-register", img.path)
        assert r.code == 0, r
        assert svc.stop() == 0
        g = p("gc", "--grace-period=0s")
        assert g.code == 0, g
        assert "warning: could not unregister pod with metadata service" in g.err
        assert not list((p.dir / "pods").glob(f"*/{uuid}"))
    finally:
        svc.stop()
        _finish(p)


def test_rm_unregisters(mdspods, mds, img):
    r, uuid = mdspods.run("--mds-register", img.path)
    assert r.code == 0, r
    mdspods.ok("rm", uuid)
    assert f"DELETE /pods/{uuid} - 200" in mds.stderr()
    assert reg("DELETE", f"/pods/{uuid}").status == 404


def test_default_network_pod_reaches_the_service(netpods, netmds, img):
    script = ('echo "URL=$AC_METADATA_URL"; '
              'busybox wget -q -O - "$AC_METADATA_URL/acMetadata/v1/pod/uuid"; echo')
    r, uuid = netpods.run("--mds-register", img.path, "--exec=/bin/sh", "--", "-c", script)
    assert r.code == 0, r
    m = re.search(r"^URL=(http://172\.16\.28\.1:18112/[0-9a-f]{32})$", r.out, re.M)
    assert m, r
    assert uuid in r.out.splitlines(), r
    cfg = json.loads(pod_dir(netpods, uuid).joinpath("runtime-config").read_text())
    assert cfg["MetadataServiceURL"] == m.group(1), cfg
    assert netpods.gc().code == 0
    assert f"DELETE /pods/{uuid} - 200" in netmds.stderr()


NOGW = """#!/bin/sh
# ptp, with the gateway taken out of its result
/usr/lib/cni/ptp | sed 's/"gateway": *"[0-9.]*",\\{0,1\\}//'
"""


def test_failure_after_network_setup_leaves_nothing(netpods, netmds, img):
    # a network without a host-side address cannot reach the service: the run fails after
    # its network was set up, and undoing it must leave nothing on the host side
    from nettest import snapshot
    netpods.write_net("10-nogw", {
        "cniVersion": "0.1.0", "name": "nogw", "type": "nogw", "ipMasq": True,
        "ipam": {"type": "host-local", "subnet": "10.225.0.0/24",
                 "routes": [{"dst": "0.0.0.0/0"}]}})
    plugin = netpods.local / "net.d" / "nogw"
    plugin.write_text(NOGW)
    plugin.chmod(0o755)
    before = snapshot(netpods.ns, "nogw")
    r, _ = netpods.run("--mds-register", img.path, net="nogw")
    assert r.code == 254, r
    assert 'the metadata service is not reachable from network "nogw"' in r.err, r
    assert snapshot(netpods.ns, "nogw") == before


def test_run_waits_for_a_service_that_is_starting(nopods, img, tmp_path):
    """rkt's ACE test starts `rkt metadata-service` and the pod at once: a run that comes
    first waits (bounded) for the registration socket."""
    import time
    p = nopods.start("--mds-register", img.path, "--exec=/bin/sh", "--", "-c",
                     'echo "URL=$AC_METADATA_URL"', stdin=None)
    time.sleep(0.5)
    svc = Service(tmp_path)
    try:
        r = p.wait(timeout=60)
        assert r.code == 0, r
        assert any(URL_RE.match(ln[4:]) for ln in r.out.splitlines() if ln.startswith("URL="))
        nopods.ok("gc", "--grace-period=0s")
    finally:
        assert svc.stop() == 0, svc.stderr()


def test_app_fetches_an_annotation_of_its_image(mdspods, mds, img):
    """rkt's TestFetchAppAnnotation: the app reads its image's annotation through the
    metadata service."""
    r, _ = mdspods.run("--mds-register", img.path, "--",
                       "--print-app-annotation=coreos.com/rkt/stage1/run")
    assert r.code == 0, r
    assert "Annotation coreos.com/rkt/stage1/run=/ex/run" in r.out, r
