# SPDX-License-Identifier: Apache-2.0
"""Network definitions and plugins (SPEC.md §8.1–8.3, §11.12): named networks from the local
config's net.d as rkt's single-plugin .conf files and as CNI .conflist chains, several
networks at once, --net arguments (IP=), the plugin protocol (environment and stdin, seen
through a recording plugin), teardown after kill -9, and every kind of bad input, each of
which must fail with one line naming the network or file and leave nothing behind."""
import json
import os
import re
import signal
import stat

import pytest

from nettest import (HTTPD_PAGE, free_port, httpd_img, netns, netpods, sh_img,  # noqa: F401
                     snapshot, wait_until)
from podtest import img, needs_root  # noqa: F401

pytestmark = [needs_root]


def ptp(name, subnet, masq=True, **extra):
    conf = {"cniVersion": "0.1.0", "name": name, "type": "ptp", "ipMasq": masq,
            "ipam": {"type": "host-local", "subnet": subnet,
                     "routes": [{"dst": "0.0.0.0/0"}]}}
    conf.update(extra)
    return conf


def bridge(name, subnet, bridge_name):
    return {"cniVersion": "0.1.0", "name": name, "type": "bridge", "bridge": bridge_name,
            "isGateway": True, "ipMasq": True,
            "ipam": {"type": "host-local", "subnet": subnet,
                     "routes": [{"dst": "0.0.0.0/0"}]}}


def addrs(out):
    return dict(re.findall(r"\d+: (eth\d+)\s+inet ([0-9.]+)/", out))


def sh(pods, image, script, **kw):
    return pods.run(image.path, "--exec=/bin/sh", "--", "-c", script, **kw)


# --------------------------------------------------------------------------- named networks

def test_custom_conf_network_and_override(netpods, sh_img):
    netpods.write_net("10-custom", ptp("custom", "10.222.1.0/24"))
    r, uuid = sh(netpods, sh_img, "ip -o -4 addr show eth0", net="custom")
    assert r.code == 0 and "inet 10.222.1." in r.out, r
    info = netpods.net_info(uuid)
    assert [n["netName"] for n in info] == ["custom"]
    # a user network named "default" replaces the built-in one
    netpods.write_net("50-mydefault", ptp("default", "10.222.2.0/24"))
    r, _ = sh(netpods, sh_img, "ip -o -4 addr show eth0", net="default")
    assert r.code == 0 and "inet 10.222.2." in r.out, r
    assert 'overriding "default" network with one from' in r.err, r


def test_several_networks_in_file_order(netpods, sh_img):
    netpods.write_net("10-first", ptp("first", "10.222.3.0/24", masq=False))
    r, uuid = sh(netpods, sh_img, "ip -o -4 addr", net="default,first")
    assert r.code == 0, r
    a = addrs(r.out)
    assert a["eth0"].startswith("10.222.3.") and a["eth1"].startswith("172.16.28."), r
    assert [n["ifName"] for n in netpods.net_info(uuid)] == ["eth0", "eth1"]
    st = netpods.status(uuid)
    assert st["networks"] == f"first:ip4={a['eth0']}, default:ip4={a['eth1']}", st


def test_bridge_network_two_pods(netpods, sh_img, httpd_img):
    netpods.write_net("20-br", bridge("br", "10.222.4.0/24", "rkt-test-br0"))
    p = netpods.start(httpd_img.path, net="br")
    netpods.wait_ready(p.uuid)
    ip = netpods.pod_ip(p.uuid, "br")
    assert ip.startswith("10.222.4.")
    r, _ = sh(netpods, sh_img,
              f"printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc {ip} 80", net="br")
    assert r.code == 0 and HTTPD_PAGE in r.out, r
    netpods.ok("stop", p.uuid)
    netpods.ns.run("ip", "link", "del", "rkt-test-br0")


def test_conflist_chain_with_portmap(netpods, httpd_img):
    netpods.write_net("30-chain", {
        "cniVersion": "0.4.0", "name": "chain",
        "plugins": [{k: v for k, v in ptp("x", "10.222.5.0/24").items() if k != "name"},
                    {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.log_martians": "1"}},
                    {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True}]},
        ext="conflist")
    port = free_port()
    p = netpods.start(httpd_img.path, f"--port=http:{port}", net="chain")
    netpods.wait_ready(p.uuid)
    assert netpods.pod_ip(p.uuid, "chain").startswith("10.222.5.")
    assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
    netpods.ok("stop", p.uuid)


def test_all_networks(netpods, sh_img):
    netpods.write_net("10-extra", ptp("extra", "10.222.6.0/24", masq=False))
    r, uuid = sh(netpods, sh_img, "ip -o -4 addr", net="all")
    assert r.code == 0, r
    assert sorted(n["netName"] for n in netpods.net_info(uuid)) == [
        "default", "default-restricted", "extra"]


# --------------------------------------------------------------------------- arguments

def test_fixed_ip_and_conflict(netpods, img, sh_img):
    p = netpods.start(img.path, "--", "--sleep=30", net="default:IP=172.16.28.123")
    netpods.wait_ready(p.uuid)
    assert netpods.pod_ip(p.uuid) == "172.16.28.123"
    before = snapshot(netpods.ns)
    r, _ = sh(netpods, sh_img, "true", net="default:IP=172.16.28.123")
    assert r.code == 254, r
    # (the message of Debian's host-local; rkt's older one quoted the address)
    assert "requested IP address 172.16.28.123 is not available" in r.err, r
    assert 'error adding network "default"' in r.err, r
    assert snapshot(netpods.ns) == before
    netpods.ok("stop", p.uuid)


def test_restricted_fixed_ip(netpods, sh_img):
    r, _ = sh(netpods, sh_img, "ip -o -4 addr show eth0",
              net="default-restricted:IP=172.31.42.42")
    assert r.code == 0 and "inet 172.31.42.42/16" in r.out, r


# --------------------------------------------------------------------------- plugin protocol

RECORDER = """#!/bin/sh
d=%s
cat > "$d/stdin-$CNI_COMMAND"
env | grep '^CNI_' | sort > "$d/env-$CNI_COMMAND"
exec /usr/lib/cni/ptp < "$d/stdin-$CNI_COMMAND"
"""


def test_cni_environment_and_stdin(netpods, sh_img, tmp_path):
    rec = tmp_path / "rec"
    rec.mkdir()
    conf = netpods.write_net("40-rec", ptp("rec", "10.222.7.0/24") | {"type": "recorder"})
    plugin = netpods.local / "net.d" / "recorder"
    plugin.write_text(RECORDER % rec)
    plugin.chmod(0o755)
    r, uuid = sh(netpods, sh_img, "ip route", net="rec:IP=10.222.7.9")
    assert r.code == 0 and "default via 10.222.7.1" in r.out, r
    env = dict(ln.split("=", 1) for ln in (rec / "env-ADD").read_text().splitlines())
    assert (rec / "stdin-ADD").read_bytes() == conf.read_bytes()
    assert env["CNI_VERSION"] == "0.1.0" and env["CNI_COMMAND"] == "ADD"
    assert env["CNI_CONTAINERID"] == uuid and env["CNI_IFNAME"] == "eth0"
    assert env["CNI_ARGS"] == "IP=10.222.7.9"
    assert re.match(r"^/var/run/netns/cni-[0-9a-f-]+$", env["CNI_NETNS"]), env
    assert env["CNI_PATH"].split(":")[0] == str(netpods.local / "net.d")
    assert env["CNI_PATH"].split(":")[-1] == "/usr/lib/cni"
    add_env = env
    netpods.ok("gc", "--grace-period=0s")
    env = dict(ln.split("=", 1) for ln in (rec / "env-DEL").read_text().splitlines())
    assert env["CNI_COMMAND"] == "DEL" and env["CNI_CONTAINERID"] == uuid
    # DEL gets what ADD got: the same file, interface, namespace, arguments and path
    assert (rec / "stdin-DEL").read_bytes() == conf.read_bytes()
    for k in ("CNI_IFNAME", "CNI_NETNS", "CNI_ARGS", "CNI_VERSION", "CNI_PATH"):
        assert env[k] == add_env[k], k


def test_kill_9_then_gc_leaves_nothing(netpods, httpd_img):
    before = snapshot(netpods.ns)
    port = free_port()
    p = netpods.start(httpd_img.path, f"--port=http:{port}")
    netpods.wait_ready(p.uuid)
    assert snapshot(netpods.ns) != before
    os.kill(p.proc.pid, signal.SIGKILL)
    p.proc.wait()
    assert netpods.cleanup() == []
    assert snapshot(netpods.ns) == before


SLOW = """#!/bin/sh
d=%s
cat > "$d/stdin-$CNI_COMMAND"
if [ "$CNI_COMMAND" = ADD ]; then
        /usr/lib/cni/ptp < "$d/stdin-ADD" > "$d/result"
        touch "$d/added"
        exec sleep 60
fi
exec /usr/lib/cni/ptp < "$d/stdin-$CNI_COMMAND"
"""


def hung_plugins():
    """pids of `sleep 60` processes started by a plugin's ADD."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if cmd[:2] == [b"sleep", b"60"] and b"CNI_COMMAND=ADD" in env:
            found.append(int(pid))
    return found


def test_kill_9_during_network_setup(netpods, sh_img, tmp_path):
    # the plugin has added the network and hangs: rkt run is killed before it records the
    # result; gc must still undo the network (net-info.json names it before the ADD)
    rec = tmp_path / "slow"
    rec.mkdir()
    netpods.write_net("40-slow", ptp("slow", "10.222.10.0/24") | {"type": "slow"})
    plugin = netpods.local / "net.d" / "slow"
    plugin.write_text(SLOW % rec)
    plugin.chmod(0o755)
    before = snapshot(netpods.ns, "slow")
    p = netpods.start(sh_img.path, "--exec=/bin/true", net="slow")
    wait_until(lambda: (rec / "added").exists(), what="the plugin's ADD")
    assert snapshot(netpods.ns, "slow") != before
    os.kill(p.proc.pid, signal.SIGKILL)
    p.proc.wait()
    # the hung plugin dies with rkt (it must not go on changing the network after gc)
    wait_until(lambda: not hung_plugins(), what="the plugin to die with rkt")
    assert netpods.gc().code == 0
    assert snapshot(netpods.ns, "slow") == before


FLAKY = """#!/bin/sh
d=%s
cat > "$d/stdin-$CNI_COMMAND"
if [ "$CNI_COMMAND" = DEL ] && [ ! -e "$d/failed-once" ]; then
        touch "$d/failed-once"
        echo '{"code": 11, "msg": "flaky DEL"}'
        exit 1
fi
exec /usr/lib/cni/ptp < "$d/stdin-$CNI_COMMAND"
"""


def test_failed_teardown_is_retried_by_gc(netpods, sh_img, tmp_path):
    # default and flaky come up, "fail" does not; undoing them, flaky's DEL fails once:
    # its record stays, and gc removes it
    rec = tmp_path / "flaky"
    rec.mkdir()
    netpods.write_net("99y-flaky", ptp("flaky", "10.222.11.0/24") | {"type": "flaky"})
    netpods.write_net("99z-fail", ptp("fail", "10.222.12.0/24") | {"type": "failer"})
    for name, text in (("flaky", FLAKY % rec),
                       ("failer", '#!/bin/sh\n[ "$CNI_COMMAND" = DEL ] && exit 0\n'
                                  'echo \'{"code": 11, "msg": "no"}\'\nexit 1\n')):
        (netpods.local / "net.d" / name).write_text(text)
        (netpods.local / "net.d" / name).chmod(0o755)
    before = snapshot(netpods.ns, "flaky")
    r, _ = sh(netpods, sh_img, "true", net="default,flaky,fail")
    assert r.code == 254 and 'error adding network "fail": no' in r.err, r
    assert 'error removing network "flaky": flaky DEL' in r.err, r
    assert snapshot(netpods.ns, "flaky") != before  # flaky's veth and lease are still there
    assert netpods.gc().code == 0
    assert snapshot(netpods.ns, "flaky") == before


def test_host_anywhere_means_the_host_network(netpods, sh_img, netns):
    r, _ = sh(netpods, sh_img, "readlink /proc/self/ns/net", net="default,host")
    assert r.code == 0, r
    assert r.out.strip() == os.readlink(f"/proc/{netns.pid}/ns/net"), r


def test_user_file_with_a_builtin_basename(netpods, sh_img):
    # a user 99-default.conf naming another network: both definitions stay usable, and each
    # pod network keeps its own copy of its file
    netpods.write_net("99-default", ptp("foo", "10.222.13.0/24"))
    r, uuid = sh(netpods, sh_img, "ip -o -4 addr", net="default,foo")
    assert r.code == 0, r
    a = addrs(r.out)
    assert a["eth0"].startswith("172.16.28.") and a["eth1"].startswith("10.222.13."), r
    confs = [n["netConf"] for n in netpods.net_info(uuid)]
    assert len(set(confs)) == 2, confs


# --------------------------------------------------------------------------- bad input

def fails_cleanly(netpods, image, net):
    """Runs a pod on net, expecting 254 with a one-line error and nothing left behind."""
    before = snapshot(netpods.ns)
    r, _ = sh(netpods, image, "true", net=net)
    assert r.code == 254, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert snapshot(netpods.ns) == before
    return r.err


def test_unknown_network(netpods, sh_img):
    err = fails_cleanly(netpods, sh_img, "nosuch,default,other")
    assert "error loading network definitions: networks not found: nosuch, other" in err


def test_malformed_net_file(netpods, sh_img):
    path = netpods.write_net("10-broken", '{"name": "broken", "type": ')
    assert f"error loading {path}" in fails_cleanly(netpods, sh_img, "default")


def test_missing_plugin_undoes_earlier_networks(netpods, sh_img):
    netpods.write_net("98-nope", ptp("nope", "10.222.8.0/24") | {"type": "nosuchplugin"})
    err = fails_cleanly(netpods, sh_img, "default,nope,default-restricted")
    assert 'error adding network "nope": Could not find plugin "nosuchplugin"' in err


def test_failing_plugin(netpods, sh_img):
    plugin = netpods.local / "net.d" / "failer"
    netpods.write_net("10-fail", ptp("fail", "10.222.9.0/24") | {"type": "failer"})
    plugin.write_text('#!/bin/sh\n[ "$CNI_COMMAND" = DEL ] && exit 0\n'
                      'echo \'{"code": 11, "msg": "the failer failed"}\'\nexit 1\n')
    plugin.chmod(0o755)
    err = fails_cleanly(netpods, sh_img, "default,fail")
    assert 'error adding network "fail": the failer failed' in err


def test_overlapping_networks(netpods, sh_img):
    netpods.write_net("10-over", ptp("over", "172.16.0.0/16"))
    err = fails_cleanly(netpods, sh_img, "default,over")
    assert re.search(r'networks "over" \(172\.16\.0\.0/16\) and "default" '
                     r'\(172\.16\.28\.0/24\) overlap', err), err


def test_port_forwarding_on_a_bridge_network(netpods, httpd_img):
    netpods.write_net("20-br2", bridge("br2", "10.222.14.0/24", "rkt-test-br2"))
    port = free_port()
    try:
        p = netpods.start(httpd_img.path, f"--port=http:{port}", net="br2")
        netpods.wait_ready(p.uuid)
        assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
        assert netpods.fetch("10.222.14.1", port) == HTTPD_PAGE
        netpods.ok("stop", p.uuid)
    finally:
        netpods.gc()
        netpods.ns.run("ip", "link", "del", "rkt-test-br2")


def test_forwarding_network_is_the_first_masquerading_one(netpods, httpd_img):
    netpods.write_net("10-plain", ptp("plain", "10.222.15.0/24", masq=False))
    port = free_port()
    p = netpods.start(httpd_img.path, f"--port=http:{port}", net="plain,default")
    netpods.wait_ready(p.uuid)
    pod_dir = next((netpods.dir / "pods" / "run").glob(f"{p.uuid}"))
    assert (pod_dir / "net" / "default.portmap.json").exists()
    assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
    netpods.ok("stop", p.uuid)


# --------------------------------------------------------------------------- exited pods

def _conflist_with_portmap(netpods):
    netpods.write_net("30-chain", {
        "cniVersion": "0.4.0", "name": "chain",
        "plugins": [{k: v for k, v in ptp("x", "10.222.5.0/24").items() if k != "name"},
                    {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True}]},
        ext="conflist")
    return "chain"


@pytest.mark.parametrize("network", ["default", "conflist"])
def test_an_exited_pod_forwards_nothing(netpods, httpd_img, network):
    """The guide's flow: run --port=http:P, stop it, run --port=http:P again: the second pod
    answers on P (the exited pod's forwarding went with its apps, before rkt run returned;
    the rest of its network stays until gc, as in rkt)."""
    net = _conflist_with_portmap(netpods) if network == "conflist" else "default"
    port = free_port()
    first = netpods.start(httpd_img.path, f"--port=http:{port}", net=net)
    netpods.wait_ready(first.uuid)
    assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
    netpods.ok("stop", first.uuid)
    first.wait(timeout=30)
    rules = [r for r in netpods.ns.nat_rules() if f"--dport {port} " in r + " "]
    assert not rules, rules  # no port rule of the exited pod before gc
    first_ip = netpods.pod_ip(first.uuid, net)
    assert f"{net}:ip4={first_ip}" in netpods.status(first.uuid)["networks"]
    second = netpods.start(httpd_img.path, f"--port=http:{port}", net=net)
    netpods.wait_ready(second.uuid)
    second_ip = netpods.pod_ip(second.uuid, net)
    assert second_ip != first_ip
    assert netpods.wait_serving("127.0.0.1", port) == HTTPD_PAGE
    netpods.ok("stop", second.uuid)


def test_long_network_name(netpods, sh_img):
    """rkt's TestNetLongName: a network whose name is longer than an interface name."""
    name = "a-network-name-longer-than-an-interface-name-can-be"
    netpods.write_net("10-long", ptp(name, "10.222.31.0/24"))
    r, uuid = sh(netpods, sh_img, "ip -o -4 addr show eth0", net=name)
    assert r.code == 0 and "inet 10.222.31." in r.out, r
    assert [n["netName"] for n in netpods.net_info(uuid)] == [name]
    assert netpods.gc().code == 0
