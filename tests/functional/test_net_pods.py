# SPDX-License-Identifier: Apache-2.0
"""Pod networks through CNI (SPEC.md §8.1–8.3, §8.5, §11.12): the default networks, named
networks from net.d (.conf and .conflist), per-network arguments, port forwarding through
portmap, list/status output, and teardown by gc. Each test runs rkt in its own network
namespace (nettest.netpods), which checks for leaked veths, rules, namespaces and leases."""
import json
import os
import re
import subprocess

import pytest

from nettest import (HTTPD_PAGE, POD_GET, cni_netns_entries, free_port, httpd_img, leases,  # noqa: F401
                     netns, netpods, sh_img, snapshot, wait_until)
from podtest import INSECURE, flyns, flypods, img, mounts_under, needs_root  # noqa: F401

pytestmark = [needs_root]


def sh(pods, image, script, **kw):
    return pods.run(image.path, "--exec=/bin/sh", "--", "-c", script, **kw)


# --------------------------------------------------------------------------- default networks

def test_default_network_is_the_default(netpods, sh_img):
    r, uuid = netpods.run(sh_img.path, "--exec=/bin/sh", "--", "-c",
                          "ip -o -4 addr show eth0; ip route", net=None)
    assert r.code == 0, r
    m = re.search(r"inet (172\.16\.28\.\d+)/24", r.out)
    assert m, r
    assert "default via 172.16.28.1" in r.out, r
    assert netpods.pod_ip(uuid) == m.group(1)
    r = netpods.ok("list", "--no-legend")
    assert f"default:ip4={m.group(1)}" in r.out, r
    st = netpods.status(uuid)
    assert st["networks"] == f"default:ip4={m.group(1)}"


def test_default_restricted(netpods, sh_img):
    r, uuid = sh(netpods, sh_img, "ip -o -4 addr show eth0; ip route",
                 net="default-restricted")
    assert r.code == 0, r
    assert re.search(r"inet 172\.31\.\d+\.\d+/16", r.out), r
    assert "default via" not in r.out, r


def test_status_json_networks(netpods, img):
    p = netpods.start(img.path, "--", "--sleep=30")
    netpods.wait_ready(p.uuid)
    r = netpods.ok("status", "--format=json", "--wait-ready=false", "--wait=false", p.uuid)
    nets = json.loads(r.out)["networks"]
    assert len(nets) == 1, nets
    n = nets[0]
    assert n["netName"] == "default" and n["ifName"] == "eth0", n
    assert n["ip"].startswith("172.16.28.") and n["mask"] == "////AA==", n
    assert n["pluginPath"].endswith("/ptp") and n["netConf"].endswith("99-default.conf"), n
    netpods.ok("stop", p.uuid)


def test_pod_reaches_host_and_host_reaches_pod(netpods, sh_img, httpd_img, netns):
    # a server in the test's namespace ("the host"), reached from a pod through the gateway
    port = free_port()
    srv = netns.popen("busybox", "nc", "-l", "-p", str(port), "-e", "echo", "from-host")
    try:
        r, _ = sh(netpods, sh_img, f"sleep 0.3; nc 172.16.28.1 {port} </dev/null")
        assert r.code == 0 and "from-host" in r.out, r
    finally:
        srv.kill()
        srv.wait()
    p = netpods.start(httpd_img.path)
    netpods.wait_ready(p.uuid)
    ip = netpods.pod_ip(p.uuid)
    assert netpods.wait_serving(ip, 80) == HTTPD_PAGE
    netpods.ok("stop", p.uuid)


def test_two_pods_talk(netpods, sh_img, httpd_img):
    p = netpods.start(httpd_img.path)
    netpods.wait_ready(p.uuid)
    ip = netpods.pod_ip(p.uuid)
    netpods.wait_serving(ip, 80)
    r, _ = sh(netpods, sh_img, POD_GET.format(ip=ip, port=80))
    assert r.code == 0 and HTTPD_PAGE in r.out, r
    netpods.ok("stop", p.uuid)


# --------------------------------------------------------------------------- port forwarding

def test_port_forwarding(netpods, httpd_img):
    port = free_port()
    p = netpods.start(httpd_img.path, f"--port=http:{port}")
    netpods.wait_ready(p.uuid)
    assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
    assert netpods.fetch("172.16.28.1", port) == HTTPD_PAGE
    manifest = json.loads(netpods.ok("cat-manifest", p.uuid).out)
    assert manifest["ports"] == [{"name": "http", "hostPort": port}]
    netpods.ok("stop", p.uuid)


def test_port_forwarding_to_one_host_ip(netpods, httpd_img):
    port = free_port()
    p = netpods.start(httpd_img.path, f"--port=http:172.16.28.1:{port}")
    netpods.wait_ready(p.uuid)
    assert netpods.wait_serving("172.16.28.1", port) == HTTPD_PAGE
    assert netpods.fetch("127.0.0.1", port, timeout=2) is None
    netpods.ok("stop", p.uuid)


def test_port_unknown_name(netpods, httpd_img):
    r, _ = netpods.run(httpd_img.path, "--port=nosuch:8080")
    assert r.code == 254, r
    assert 'port name "nosuch" could not be found in any apps' in r.err, r


@pytest.mark.parametrize("value,msg", [
    ("http", '"http" is not in name:[ip:]port format'),
    ("http:1.2.3:80", '"1.2.3" is not a valid IP'),
    ("http:99999", '"99999" is not a valid port number'),
    ("Bad_Name:80", '"Bad_Name" is not a valid port name'),
])
def test_port_bad_values(netpods, httpd_img, value, msg):
    r, _ = netpods.run(httpd_img.path, f"--port={value}")
    assert r.code == 254 and msg in r.err, r


def test_host_port_in_use(netpods, httpd_img, netns):
    port = free_port()
    srv = netns.popen("busybox", "nc", "-l", "-p", str(port))
    try:
        wait_until(lambda: f":{port}" in netns.run("busybox", "netstat", "-ltn").stdout,
                   what="the listener")
        before = snapshot(netns)
        r, _ = netpods.run(httpd_img.path, f"--port=http:{port}")
        assert r.code == 254, r
        assert f"host port {port}/tcp is already in use" in r.err, r
        assert snapshot(netns) == before
    finally:
        srv.kill()
        srv.wait()


def test_second_pod_on_same_host_port(netpods, httpd_img):
    port = free_port()
    p = netpods.start(httpd_img.path, f"--port=http:{port}")
    netpods.wait_ready(p.uuid)
    r, _ = netpods.run(httpd_img.path, f"--port=http:{port}")
    assert r.code == 254 and "already in use" in r.err, r
    assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
    netpods.ok("stop", p.uuid)


def test_port_with_host_or_none_network(netpods, httpd_img):
    for net in ("host", "none"):
        r, _ = netpods.run(httpd_img.path, "--port=http:8080", net=net)
        assert r.code == 254, r
        assert f"--port flag does not work with '{net}' networking" in r.err, r


@pytest.mark.parametrize("flags,msg", [
    (["--net=default,"], "netname must not be empty"),
    (["--net=default", "--net=default:IP=172.16.28.9"], 'found duplicate netname "default"'),
    (["--net=host:x=y"], 'arguments are not supported by special netname "host"'),
    (["--net=all:x=y"], 'arguments are not supported by special netname "all"'),
    (["--net=n1:a:b:c"], 'network "n1" provided with invalid arguments: [a b c]'),
])
def test_net_flag_errors(netpods, sh_img, flags, msg):
    r = netpods("--insecure-options=image", "run", *flags, sh_img.path)
    assert r.code == 254 and msg in r.err, r
    assert r.err.startswith("Error: invalid argument"), r  # a flag error, reported once
    assert r.err.count("Error: ") == 1 and "\ninvalid argument" not in r.err, r


def test_fly_keeps_the_callers_network(flypods, img, flyns):
    # no --net flag: rkt's default network, which the fly stage1 does not create
    r, _ = flypods.run(img.path, "--exec=/bin/sh", "--", "-c", "readlink /proc/self/ns/net",
                       net=None)
    assert r.code == 0, r
    assert r.out.strip() == os.readlink(f"/proc/{flyns.pid}/ns/net"), r


@pytest.mark.parametrize("kind", ["macvlan", "ipvlan"])
def test_macvlan_and_ipvlan(netpods, sh_img, kind):
    ns = netpods.ns
    # the master: one end of a veth pair (this kernel has no dummy links)
    assert ns.run("ip", "link", "add", "rkt-m0", "type", "veth", "peer", "name",
                  "rkt-m1").returncode == 0
    try:
        ns.run("ip", "link", "set", "rkt-m0", "up")
        if ns.run("ip", "link", "add", "probe0", "link", "rkt-m0", "type", kind).returncode:
            pytest.skip(f"this kernel has no {kind} links")
        ns.run("ip", "link", "del", "probe0")
        netpods.write_net(f"10-{kind}", {
            "cniVersion": "0.3.1", "name": kind, "type": kind, "master": "rkt-m0",
            "ipam": {"type": "host-local", "subnet": "10.224.0.0/24"}})
        r, uuid = netpods.run(sh_img.path, "--exec=/bin/sh", "--", "-c",
                              "ip -o -4 addr show eth0", net=kind)
        assert r.code == 0 and "inet 10.224.0." in r.out, r
        assert netpods.pod_ip(uuid, kind).startswith("10.224.0.")
        assert netpods.gc().code == 0
    finally:
        ns.run("ip", "link", "del", "rkt-m0")


# --------------------------------------------------------------------------- gc after unmount

@pytest.mark.parametrize("rm_netns", [False, True], ids=["netns-unmounted", "netns-removed"])
def test_gc_after_the_pod_was_unmounted(netpods, sh_img, rm_netns):
    """rkt's TestGCAfterUnmount: after run-prepared, the app's and the stage1's rootfs and
    the pod's network namespace are unmounted (and the namespace's file removed), as an
    admin or a reboot would; `gc --debug` still runs the network plugins, its last words
    are `executing net-plugin <type>` (nothing failed after them), and nothing is left
    (the fixture checks the host's rules, links and namespaces)."""
    uuid = netpods.ok(INSECURE, "prepare", *netpods.stage1_args(), sh_img.path,
                      "--exec=/bin/true").out.strip()
    r = netpods("run-prepared", uuid)
    assert r.code == 0, r
    ip = netpods.pod_ip(uuid)
    assert ip in leases()
    pod = netpods.dir / "pods" / "run" / uuid
    s1 = pod / "stage1" / "rootfs"
    netns_path = (pod / "netns").read_text().strip()
    below = sorted(mounts_under(s1), key=len, reverse=True)
    assert str(s1) in below and len(below) >= 2, below  # the stage1's and the app's
    for mp in below + [netns_path]:
        u = subprocess.run(["umount", mp], capture_output=True, text=True)
        assert u.returncode == 0, (mp, u.stderr)
    if rm_netns:
        os.unlink(netns_path)
    r = netpods("gc", "--debug", "--mark-only=false", "--expire-prepared=0",
                "--grace-period=0")
    assert r.code == 0, r
    assert re.search(r"executing net-plugin \S+\n\Z", r.err), r
    assert "skipping stage1 GC" not in r.err and "problem performing" not in r.err, r
    for state in ("run", "prepared", "exited-garbage", "garbage"):
        assert list((netpods.dir / "pods" / state).iterdir()) == [], state
    assert ip not in leases()
    assert not os.path.exists(netns_path)


def test_default_restricted_pod_is_reachable_from_the_host(netpods, httpd_img):
    """rkt's TestNetDefaultRestrictedConnectivity: the host reaches a server in a pod on
    default-restricted through the pod's address."""
    p = netpods.start(httpd_img.path, net="default-restricted")
    netpods.wait_ready(p.uuid)
    ip = netpods.pod_ip(p.uuid, "default-restricted")
    assert ip.startswith("172.31."), ip
    assert netpods.wait_serving(ip, 80) == HTTPD_PAGE
    netpods.ok("stop", p.uuid)


def test_host_network_pod_is_reachable_on_localhost(netpods, httpd_img):
    """rkt's TestNetHostConnectivity: a server in a pod with --net=host listens on the
    host's loopback."""
    p = netpods.start(httpd_img.path, net="host")
    netpods.wait_ready(p.uuid)
    assert netpods.wait_serving("127.0.0.1", 80) == HTTPD_PAGE
    netpods.ok("stop", p.uuid)
