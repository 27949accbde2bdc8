# SPDX-License-Identifier: Apache-2.0
"""Helpers for the pod networking tests (test_net_*.py, SPEC.md §8).

Every test runs rkt inside its own network namespace, held by a sleeping process
(`netns` fixture): to rkt that namespace is "the host", so the pods' veths, routes and
iptables rules (ptp, masquerade, portmap) live there and vanish with it, and no packet of a
test can reach anything but loopback and the pods the test started. The named pod
namespaces (/var/run/netns/cni-*) and the IPAM leases (/var/lib/cni/networks/<net>) are
shared with the host and are checked for leaks after every test.

    def test_x(netpods, httpd_img):
        p = netpods.start(httpd_img.path, "--port=http:8080")
        netpods.wait_ready(p.uuid)
        assert netpods.fetch("127.0.0.1", 8080) == "hello"
"""
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

import imageutil
from aci import Dir, File
from podtest import Pods, _finish, kill_quietly, wait_for

NETNS_DIR = Path("/var/run/netns")
LEASES = Path("/var/lib/cni/networks")
HTTPD_PAGE = "hello from the pod\n"
FETCH_PY = ("import sys, urllib.request\n"
            "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2]))"
            ".read().decode())")
# in pods: an HTTP GET with nc (Debian's static busybox wget crashes)
POD_GET = "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc {ip} {port}"
NET_APPLETS = imageutil.BUSYBOX_APPLETS + ("ip", "wget", "httpd", "nc", "ifconfig", "route")


class NetNs:
    """A process asleep in a new network namespace with loopback up."""

    def __init__(self):
        self.proc = subprocess.Popen(["unshare", "--net", "sh", "-c",
                                      "ip link set lo up; exec sleep 3600"])
        self.pid = self.proc.pid
        own = os.readlink("/proc/self/ns/net")
        wait_for(lambda: os.readlink(f"/proc/{self.pid}/ns/net") != own or None,
                 what="the network namespace holder")
        wait_for(lambda: "UP" in self.run("ip", "link", "show", "lo").stdout or None,
                 what="loopback up")

    def prefix(self):
        return ["nsenter", f"--net=/proc/{self.pid}/ns/net"]

    def run(self, *argv, timeout=30, **kw):
        return subprocess.run(self.prefix() + [str(a) for a in argv], capture_output=True,
                              text=True, timeout=timeout, **kw)

    def popen(self, *argv, **kw):
        return subprocess.Popen(self.prefix() + [str(a) for a in argv], **kw)

    def veths(self):
        out = self.run("ip", "-o", "link", "show", "type", "veth").stdout
        return [ln.split(":")[1].strip().split("@")[0] for ln in out.splitlines() if ln.strip()]

    def nat_rules(self):
        """The nat table as iptables-save prints it, without counters and comments lines."""
        out = self.run("iptables-save", "-t", "nat").stdout
        return [ln for ln in out.splitlines() if ln and ln[0] in "-:"]

    def close(self):
        kill_quietly(self.proc)


def cni_netns_entries():
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith("cni-"))
    except FileNotFoundError:
        return []


def leases(net="default"):
    """IPs leased by host-local in network net."""
    d = LEASES / net
    if not d.is_dir():
        return []
    return sorted(p.name for p in d.iterdir() if re.match(r"^[0-9.]+$", p.name))


class NetPods(Pods):
    """podtest.Pods run inside a NetNs; pods use the default network unless told."""

    def __init__(self, tmp, ns):
        super().__init__(tmp)
        self.ns = ns

    def prefix(self):
        return self.ns.prefix()

    def run(self, *args, net="default", **kw):
        return super().run(*args, net=net, **kw)

    def start(self, *args, net="default", **kw):
        return super().start(*args, net=net, **kw)

    def net_info(self, uuid):
        for state in ("run", "exited-garbage", "garbage"):
            p = self.dir / "pods" / state / uuid / "net-info.json"
            if p.exists():
                return json.loads(p.read_text())
        return None

    def pod_ip(self, uuid, net="default"):
        info = self.net_info(uuid) or []
        return next(n["ip"] for n in info if n["netName"] == net)

    def fetch(self, host, port, path="/index.html", timeout=5):
        """GET http://host:port/path from the test's namespace (Debian's static busybox
        wget crashes, so Python's urllib); the body, or None."""
        r = self.ns.run("/usr/bin/python3", "-c", FETCH_PY, f"http://{host}:{port}{path}",
                        str(timeout), timeout=timeout + 10)
        return r.stdout if r.returncode == 0 else None

    def wait_serving(self, host, port, timeout=15):
        return wait_for(lambda: self.fetch(host, port, timeout=2), timeout=timeout,
                        what=f"http://{host}:{port}")

    def write_net(self, name, conf, ext="conf"):
        d = self.local / "net.d"
        d.mkdir(exist_ok=True)
        path = d / f"{name}.{ext}"
        path.write_text(conf if isinstance(conf, str) else json.dumps(conf))
        return path


def httpd_image(path, name="example.com/httpd", port=80, extra_ports=()):
    """busybox httpd serving HTTPD_PAGE as /index.html on its port "http"."""
    files = {"www": Dir(), "www/index.html": File(HTTPD_PAGE)}
    files.update({f"bin/{a}": imageutil.Symlink("busybox") for a in NET_APPLETS})
    return imageutil.inspect_image(
        path, name, exec_=["/bin/httpd", "-f", "-p", str(port), "-h", "/www"], busybox=True,
        files=files, ports=[("http", "tcp", port)] + list(extra_ports))


def shell_image(path, name="example.com/netsh"):
    """busybox with the network applets; run it with --exec=/bin/sh -- -c '...'."""
    files = {f"bin/{a}": imageutil.Symlink("busybox") for a in NET_APPLETS}
    return imageutil.inspect_image(path, name, exec_=["/bin/true"], busybox=True, files=files)


def pod_nat_rules(ns):
    """The nat rules of pods: all but portmap's shared CNI-HOSTPORT-* chains, which stay."""
    return [r for r in ns.nat_rules() if "CNI-HOSTPORT" not in r or "CNI-DN-" in r]


def snapshot(ns, net="default"):
    return {"veths": ns.veths(), "nat": pod_nat_rules(ns), "netns": cni_netns_entries(),
            "leases": leases(net)}


@pytest.fixture
def netns():
    h = NetNs()
    yield h
    h.close()


@pytest.fixture
def netpods(tmp_path, netns):
    """Pods run in the test's own network namespace; teardown checks that gc left no
    veth, pod iptables rule, named netns or IPAM lease behind."""
    before_ns, before_leases = cni_netns_entries(), leases()
    p = NetPods(tmp_path, netns)
    yield p
    _finish(p)
    left = []
    if set(cni_netns_entries()) - set(before_ns):
        left.append(f"netns {sorted(set(cni_netns_entries()) - set(before_ns))}")
    if set(leases()) - set(before_leases):
        left.append(f"leases {sorted(set(leases()) - set(before_leases))}")
    if netns.veths():
        left.append(f"veths {netns.veths()}")
    rules = [r for r in netns.nat_rules() if re.search(r"CNI-[0-9a-f]{8}|CNI-DN-", r)]
    if rules:
        left.append(f"iptables {rules}")
    if left:
        pytest.fail("network leak after the test: " + "; ".join(left), pytrace=False)


@pytest.fixture(scope="session")
def httpd_img(tmp_path_factory, inspect_bin):
    return httpd_image(tmp_path_factory.mktemp("net-img") / "httpd.aci")


@pytest.fixture(scope="session")
def sh_img(tmp_path_factory, inspect_bin):
    return shell_image(tmp_path_factory.mktemp("net-img") / "netsh.aci")


def wait_until(pred, timeout=15, what="condition"):
    return wait_for(pred, timeout=timeout, interval=0.1, what=what)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


__all__ = ["NetNs", "NetPods", "httpd_image", "shell_image", "snapshot", "netns", "netpods",
           "httpd_img", "sh_img", "cni_netns_entries", "leases", "HTTPD_PAGE", "wait_until",
           "free_port", "time"]
