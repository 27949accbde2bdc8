# SPDX-License-Identifier: Apache-2.0
"""`rkt api-service` (SPEC.md §9.2, §11.16 TestAPIService*): the command (listen address,
systemd socket activation, start and stop messages, signals), the wire contract of its
.proto, GetInfo and ListenEvents, and requests that are not v1alpha at all. The service runs
as a non-root member of group rkt unless a test says otherwise; the client is Debian's
python3-grpcio with stubs generated from src/api/api.proto (apiutil.py)."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from apiutil import (ApiService, apisvc, as_member, channel, free_port, member_rkt,  # noqa: F401
                     rkt_gid, status_of, stubs, world_readable_tmp)
from conftest import RKT_BIN, Rkt

# --------------------------------------------------------------------------- the contract

# (message, field, number, protobuf type, label) of rkt's api/v1alpha/api.proto; a client
# generated from rkt's file must talk to ours unchanged
WIRE = {
    "ImageFormat": [("type", 1, "enum", "opt"), ("version", 2, "string", "opt")],
    "Image": [("base_format", 1, "message", "opt"), ("id", 2, "string", "opt"),
              ("name", 3, "string", "opt"), ("version", 4, "string", "opt"),
              ("import_timestamp", 5, "int64", "opt"), ("manifest", 6, "bytes", "opt"),
              ("size", 7, "int64", "opt"), ("annotations", 8, "message", "rep"),
              ("labels", 9, "message", "rep")],
    "Network": [("name", 1, "string", "opt"), ("ipv4", 2, "string", "opt"),
                ("ipv6", 3, "string", "opt")],
    "App": [("name", 1, "string", "opt"), ("image", 2, "message", "opt"),
            ("state", 3, "enum", "opt"), ("exit_code", 4, "sint32", "opt"),
            ("annotations", 5, "message", "rep")],
    "Pod": [("id", 1, "string", "opt"), ("pid", 2, "sint32", "opt"), ("state", 3, "enum", "opt"),
            ("apps", 4, "message", "rep"), ("networks", 5, "message", "rep"),
            ("manifest", 6, "bytes", "opt"), ("annotations", 7, "message", "rep"),
            ("cgroup", 8, "string", "opt"), ("created_at", 9, "int64", "opt"),
            ("started_at", 10, "int64", "opt"), ("gc_marked_at", 11, "int64", "opt")],
    "KeyValue": [("Key", 1, "string", "opt"), ("value", 2, "string", "opt")],
    "PodFilter": [("ids", 1, "string", "rep"), ("states", 2, "enum", "rep"),
                  ("app_names", 3, "string", "rep"), ("image_ids", 4, "string", "rep"),
                  ("network_names", 5, "string", "rep"), ("annotations", 6, "message", "rep"),
                  ("cgroups", 7, "string", "rep"), ("pod_sub_cgroups", 8, "string", "rep")],
    "ImageFilter": [("ids", 1, "string", "rep"), ("prefixes", 2, "string", "rep"),
                    ("base_names", 3, "string", "rep"), ("keywords", 4, "string", "rep"),
                    ("labels", 5, "message", "rep"), ("imported_after", 6, "int64", "opt"),
                    ("imported_before", 7, "int64", "opt"), ("annotations", 8, "message", "rep"),
                    ("full_names", 9, "string", "rep")],
    "GlobalFlags": [("dir", 1, "string", "opt"), ("system_config_dir", 2, "string", "opt"),
                    ("local_config_dir", 3, "string", "opt"),
                    ("user_config_dir", 4, "string", "opt"),
                    ("insecure_flags", 5, "string", "opt"),
                    ("trust_keys_from_https", 6, "bool", "opt")],
    "Info": [("rkt_version", 1, "string", "opt"), ("appc_version", 2, "string", "opt"),
             ("api_version", 3, "string", "opt"), ("global_flags", 4, "message", "opt")],
    "Event": [("type", 1, "enum", "opt"), ("id", 2, "string", "opt"), ("from", 3, "string", "opt"),
              ("time", 4, "int64", "opt"), ("data", 5, "message", "rep")],
    "EventFilter": [("types", 1, "enum", "rep"), ("ids", 2, "string", "rep"),
                    ("names", 3, "string", "rep"), ("since_time", 4, "int64", "opt"),
                    ("until_time", 5, "int64", "opt")],
    "GetInfoRequest": [],
    "GetInfoResponse": [("info", 1, "message", "opt")],
    "ListPodsRequest": [("filters", 1, "message", "rep"), ("detail", 2, "bool", "opt")],
    "ListPodsResponse": [("pods", 1, "message", "rep")],
    "InspectPodRequest": [("id", 1, "string", "opt")],
    "InspectPodResponse": [("pod", 1, "message", "opt")],
    "ListImagesRequest": [("filters", 1, "message", "rep"), ("detail", 2, "bool", "opt")],
    "ListImagesResponse": [("images", 1, "message", "rep")],
    "InspectImageRequest": [("id", 1, "string", "opt")],
    "InspectImageResponse": [("image", 1, "message", "opt")],
    "ListenEventsRequest": [("filter", 1, "message", "opt")],
    "ListenEventsResponse": [("events", 1, "message", "rep")],
    "GetLogsRequest": [("pod_id", 1, "string", "opt"), ("app_name", 2, "string", "opt"),
                       ("lines", 3, "int32", "opt"), ("follow", 4, "bool", "opt"),
                       ("since_time", 5, "int64", "opt"), ("until_time", 6, "int64", "opt")],
    "GetLogsResponse": [("lines", 1, "string", "rep")],
}
ENUMS = {
    "ImageType": ["IMAGE_TYPE_UNDEFINED", "IMAGE_TYPE_APPC", "IMAGE_TYPE_DOCKER",
                  "IMAGE_TYPE_OCI"],
    "AppState": ["APP_STATE_UNDEFINED", "APP_STATE_RUNNING", "APP_STATE_EXITED"],
    "PodState": ["POD_STATE_UNDEFINED", "POD_STATE_EMBRYO", "POD_STATE_PREPARING",
                 "POD_STATE_PREPARED", "POD_STATE_RUNNING", "POD_STATE_ABORTED_PREPARE",
                 "POD_STATE_EXITED", "POD_STATE_DELETING", "POD_STATE_GARBAGE"],
    "EventType": ["EVENT_TYPE_UNDEFINED", "EVENT_TYPE_POD_PREPARED",
                  "EVENT_TYPE_POD_PREPARE_ABORTED", "EVENT_TYPE_POD_STARTED",
                  "EVENT_TYPE_POD_EXITED", "EVENT_TYPE_POD_GARBAGE_COLLECTED",
                  "EVENT_TYPE_APP_STARTED", "EVENT_TYPE_APP_EXITED", "EVENT_TYPE_IMAGE_IMPORTED",
                  "EVENT_TYPE_IMAGE_REMOVED"],
}
METHODS = [("GetInfo", "GetInfoRequest", "GetInfoResponse", False),
           ("ListPods", "ListPodsRequest", "ListPodsResponse", False),
           ("InspectPod", "InspectPodRequest", "InspectPodResponse", False),
           ("ListImages", "ListImagesRequest", "ListImagesResponse", False),
           ("InspectImage", "InspectImageRequest", "InspectImageResponse", False),
           ("ListenEvents", "ListenEventsRequest", "ListenEventsResponse", True),
           ("GetLogs", "GetLogsRequest", "GetLogsResponse", True)]


def test_proto_is_rkts_v1alpha_on_the_wire():
    from google.protobuf import descriptor_pb2
    from google.protobuf.descriptor import FieldDescriptor as F
    pb, _ = stubs()
    d = pb.DESCRIPTOR
    assert d.package == "v1alpha"
    types = {F.TYPE_STRING: "string", F.TYPE_INT64: "int64", F.TYPE_INT32: "int32",
             F.TYPE_SINT32: "sint32", F.TYPE_BOOL: "bool", F.TYPE_BYTES: "bytes",
             F.TYPE_ENUM: "enum", F.TYPE_MESSAGE: "message"}
    assert sorted(d.message_types_by_name) == sorted(WIRE)
    for name, fields in WIRE.items():
        got = [(f.name, f.number, types[f.type],
                "rep" if f.label == F.LABEL_REPEATED else "opt")
               for f in d.message_types_by_name[name].fields]
        assert got == fields, name
    assert {n: [v.name for v in e.values] for n, e in d.enum_types_by_name.items()} == ENUMS
    for n, e in d.enum_types_by_name.items():
        assert [v.number for v in e.values] == list(range(len(ENUMS[n])))
    svc = d.services_by_name["PublicAPI"]
    assert svc.full_name == "v1alpha.PublicAPI"
    got = []
    for m in svc.methods:
        p = descriptor_pb2.MethodDescriptorProto()
        m.CopyToProto(p)
        got.append((m.name, m.input_type.name, m.output_type.name, p.server_streaming))
    assert got == METHODS


# --------------------------------------------------------------------------- the command

def test_get_info_as_member(member_rkt, apisvc):
    svc = apisvc(member_rkt)
    info = svc.connect().GetInfo(svc.client.pb.GetInfoRequest()).info
    assert (info.rkt_version, info.appc_version, info.api_version) == ("1.30.0", "0.8.11",
                                                                       "1.0.0-alpha")
    g = info.global_flags
    assert (g.dir, g.system_config_dir, g.local_config_dir, g.user_config_dir) == (
        str(member_rkt.dir), str(member_rkt.system), str(member_rkt.local), str(member_rkt.user))
    assert (g.insecure_flags, g.trust_keys_from_https) == ("none", False)
    assert svc.stop() == 0
    err = svc.stderr()
    assert err == ("api-service: API service starting...\n"
                   f"api-service: Listening on {svc.addr}\n"
                   "api-service: API service running\n"
                   "api-service: API service exiting...\n"), err


def test_get_info_reports_the_global_flags(member_rkt, apisvc):
    svc = apisvc(member_rkt, "--insecure-options=TLS,image", "--trust-keys-from-https")
    g = svc.connect().GetInfo(svc.client.pb.GetInfoRequest()).info.global_flags
    assert (g.insecure_flags, g.trust_keys_from_https) == ("tls,image", True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_the_service_cleanly(member_rkt, apisvc, sig):
    svc = apisvc(member_rkt)
    svc.connect().GetInfo(svc.client.pb.GetInfoRequest())
    assert svc.stop(sig) == 0
    assert svc.stderr().endswith("api-service: API service exiting...\n")


def test_default_address_is_localhost_15441(tmp_path):
    """In a network namespace of its own (another service may hold the port on the host)."""
    rkt = Rkt(tmp_path, offline=False)
    rkt.ok("image", "list")
    err = tmp_path / "err"
    script = ("ip link set lo up && { " + " ".join(map(str, rkt.args()))
              + f" api-service 2>{err} & }} ; pid=$!; "
              f"for i in $(seq 300); do grep -q 'API service running' {err} && break; "
              "sleep 0.1; done; /usr/bin/python3 -c \"$CLIENT\"; rc=$?; kill -INT $pid; "
              "wait $pid; echo service=$?; exit $rc")
    client = ("import sys; sys.path.insert(0, %r)\n"
              "import grpc, api_pb2, api_pb2_grpc\n"
              "ch = grpc.insecure_channel('localhost:15441', "
              "options=[('grpc.enable_http_proxy', 0)])\n"
              "print(api_pb2_grpc.PublicAPIStub(ch).GetInfo(api_pb2.GetInfoRequest(), "
              "timeout=20).info.api_version)\n" % os.path.dirname(stubs()[0].__file__))
    r = subprocess.run(["unshare", "--net", "sh", "-c", script], capture_output=True, text=True,
                       timeout=90, env=dict(os.environ, CLIENT=client))
    assert r.returncode == 0, (r, err.read_text())
    assert r.stdout == "1.0.0-alpha\nservice=0\n"
    assert "api-service: Listening on localhost:15441\n" in err.read_text()


def test_bad_listen_addresses(member_rkt):
    for addr, msg in [("nonsense", "listen tcp: address nonsense: missing port in address"),
                      ("[::1:80", "listen tcp: address [::1:80: missing ']' in address"),
                      ("a:b:c", "listen tcp: address a:b:c: too many colons in address")]:
        r = member_rkt("api-service", f"--listen={addr}", timeout=30)
        assert r.code == 254, r
        assert r.err.endswith(f"api-service: Failed to open sockets: {msg}\n"), r


def test_listen_address_in_use(member_rkt, apisvc):
    first = apisvc(member_rkt)
    r = member_rkt("api-service", f"--listen={first.addr}", timeout=30)
    assert r.code == 254, r
    assert (f"api-service: Failed to open sockets: listen tcp {first.addr}: bind: "
            "address already in use\n") in r.err
    assert first.alive()


def test_positional_arguments_are_a_usage_error(member_rkt):
    r = member_rkt("api-service", "extra")
    assert r.code == 254 and r.out.startswith("NAME:\n\tapi-service - Run API service"), r


# --------------------------------------------------------------------------- socket activation

def activated(rkt, listen, *extra, member=True):
    """The service under systemd-socket-activate listening on listen (launched at the first
    connection, as systemd does with a .socket unit)."""
    prefix = ["systemd-socket-activate", f"--listen={listen}"]
    if member:  # the socket is opened by root, the service runs as the member
        prefix += as_member(rkt_gid())
    return ApiService(rkt, *extra, member=False, prefix=prefix, listen=None)


def test_socket_activation_tcp(member_rkt):
    addr = f"127.0.0.1:{free_port()}"
    svc = activated(member_rkt, addr)
    svc.addr = addr
    try:
        svc.start(wait=False)
        time.sleep(0.2)
        c = svc.connect()
        for _ in range(3):  # several calls, on several connections: it accepts more than one
            assert c.GetInfo(c.pb.GetInfoRequest(), timeout=30).info.api_version == "1.0.0-alpha"
            c.close()
            svc.client = None
            c = svc.connect()
        assert svc.stop() == 0
        err = svc.stderr()
        assert "api-service: Listening on 1 systemd-provided socket(s)\n" in err, err
        assert "api-service: API service exiting...\n" in err
    finally:
        svc.close()


def test_socket_activation_unix_socket(member_rkt, tmp_path):
    d = world_readable_tmp("rkt-api-sock-")
    sock = d / "api.sock"
    svc = activated(member_rkt, str(sock))
    svc.addr = f"unix:{sock}"
    try:
        svc.start(wait=False)
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        c = svc.connect()
        assert c.GetInfo(c.pb.GetInfoRequest(), timeout=30).info.api_version == "1.0.0-alpha"
        assert svc.stop() == 0
    finally:
        svc.close()
        shutil.rmtree(d, ignore_errors=True)


def test_socket_activation_refuses_listen(member_rkt):
    addr = f"127.0.0.1:{free_port()}"
    svc = activated(member_rkt, addr, member=False)
    svc.argv.append("--listen=127.0.0.1:1")
    try:
        svc.start(wait=False)
        time.sleep(0.2)
        with __import__("socket").create_connection(("127.0.0.1", int(addr.split(":")[1]))):
            assert svc.proc.wait(timeout=30) == 254
        assert svc.stderr().endswith(
            "api-service: Failed to open sockets: started under systemd.socket(5), but --listen "
            "passed! Quitting.\n"), svc.stderr()
    finally:
        svc.close()


# --------------------------------------------------------------------------- bad requests

def test_listen_events_is_not_implemented(member_rkt, apisvc):
    svc = apisvc(member_rkt)
    c = svc.connect()
    assert status_of(c.ListenEvents, c.pb.ListenEventsRequest()) == ("UNKNOWN",
                                                                     "not implemented yet")


def test_garbage_and_unknown_methods(member_rkt, apisvc):
    svc = apisvc(member_rkt)
    ch = channel(svc.addr)
    raw = ch.unary_unary("/v1alpha.PublicAPI/ListPods", request_serializer=None,
                         response_deserializer=None)
    import grpc
    with pytest.raises(grpc.RpcError) as e:
        raw(b"\xff\xff\xff\xff\xff", timeout=30)  # not a protobuf message
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed request" in e.value.details()
    with pytest.raises(grpc.RpcError) as e:
        ch.unary_unary("/v1alpha.PublicAPI/Bogus")(b"", timeout=30)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    with pytest.raises(grpc.RpcError) as e:  # twice: the unknown-method slot is re-armed
        ch.unary_unary("/other.Service/Method")(b"", timeout=30)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    ch.close()
    c = svc.connect()
    assert c.GetInfo(c.pb.GetInfoRequest(), timeout=30).info.api_version == "1.0.0-alpha"
    assert svc.stop() == 0


def test_grpc_is_loaded_only_by_the_service():
    r = subprocess.run(["ldd", str(RKT_BIN)], capture_output=True, text=True)
    assert "libgrpc" not in r.stdout and "libgpr" not in r.stdout, r.stdout
