# SPDX-License-Identifier: Apache-2.0
"""ListPods, InspectPod, ListImages and InspectImage of `rkt api-service` (SPEC.md §9.2,
§11.16 TestAPIServiceListInspectPods, TestAPIServiceListInspectImages, TestAPIServiceCgroup):
every field checked against `rkt status --format=json`, `rkt cat-manifest`, `rkt image list
--format=json` and `rkt image cat-manifest` of the same objects; rkt's filters; bad input;
a pod deleted while it is inspected; many clients at once; nothing on disk changes. The
service runs as a non-root member of group rkt."""
import datetime
import json
import os
import subprocess
import threading
import time

from aci import default_manifest
from apiutil import apipods, apisvc, member_rkt, status_of  # noqa: F401
from podtest import img, wait_for  # noqa: F401
from signutil import Server, tls  # noqa: F401 (fixture)


def tree_snapshot(root):
    """{path: (mode, size, mtime_ns)} of everything below root (the service changes nothing).
    SQLite's -shm/-wal files of a reader are left out (opening the index creates them, closing
    it removes them), and so is the mtime of their directory."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            if n.endswith(("-shm", "-wal")):
                continue
            st = os.lstat(p)
            isdir = os.path.isdir(p)
            mtime = 0 if isdir and p.endswith("/cas/db") else st.st_mtime_ns
            out[p] = (st.st_mode, 0 if isdir else st.st_size, mtime)
    return out


# --------------------------------------------------------------------------- images

def image_list(rkt):
    return {i["id"]: i for i in json.loads(rkt.ok("image", "list", "--format=json").out) or []}


def check_image(rkt, m, detail):
    listed = image_list(rkt)[m.id]
    version = next((lb.value for lb in m.labels if lb.Key == "version"), "latest")
    assert listed["name"] in (m.name, f"{m.name}:{version}")
    assert m.version == version
    assert m.import_timestamp == listed["import_time"] // 10**9
    assert m.size == listed["size"]
    assert (m.base_format.type, m.base_format.version) == (1, "0.8.11")
    manifest = rkt.ok("image", "cat-manifest", "--pretty-print=false", m.id).out.strip()
    mj = json.loads(manifest)
    assert [(kv.Key, kv.value) for kv in m.annotations] == [
        (a["name"], a["value"]) for a in mj.get("annotations") or []]
    assert [(kv.Key, kv.value) for kv in m.labels] == [
        (a["name"], a["value"]) for a in mj.get("labels") or []]
    if detail:
        assert json.loads(m.manifest) == mj
    else:
        assert m.manifest == b""


def test_list_and_inspect_images(member_rkt, apisvc, mkaci):
    svc = apisvc(member_rkt)
    c = svc.connect()
    pb = c.pb
    assert list(c.ListImages(pb.ListImagesRequest()).images) == []
    a = mkaci("example.com/alpha", "1.2.3",
              manifest=default_manifest("example.com/alpha", "1.2.3", labels={"tier": "db"},
                                        annotations=[{"name": "authors", "value": "us"}]))
    b = mkaci("example.org/tools/alpha-backup", None)
    ka, kb = member_rkt.fetch(a.path), member_rkt.fetch(b.path)
    images = c.ListImages(pb.ListImagesRequest()).images
    assert sorted(i.id for i in images) == sorted([ka, kb])
    for m in images:
        check_image(member_rkt, m, False)
        check_image(member_rkt, c.InspectImage(pb.InspectImageRequest(id=m.id)).image, True)
    for m in c.ListImages(pb.ListImagesRequest(detail=True)).images:
        check_image(member_rkt, m, True)
    ib = c.InspectImage(pb.InspectImageRequest(id=kb)).image
    assert (ib.name, ib.version) == ("example.org/tools/alpha-backup", "latest")

    def ids(**f):
        return sorted(i.id for i in c.ListImages(pb.ListImagesRequest(
            filters=[pb.ImageFilter(**f)])).images)
    assert ids(ids=[ka]) == [ka]
    assert ids(prefixes=["example.org/"]) == [kb]
    assert ids(base_names=["alpha"]) == [ka]  # not alpha-backup
    assert ids(keywords=["alpha"]) == sorted([ka, kb])
    assert ids(full_names=["example.com/alpha"]) == [ka]
    assert ids(labels=[pb.KeyValue(Key="tier", value="db")]) == [ka]
    assert ids(labels=[pb.KeyValue(Key="tier", value="web")]) == []
    assert ids(annotations=[pb.KeyValue(Key="authors", value="us")]) == [ka]
    t = c.InspectImage(pb.InspectImageRequest(id=ka)).image.import_timestamp
    assert ids(imported_after=t - 1) == sorted([ka, kb])
    assert ids(imported_before=t) == []
    assert ids(keywords=["alpha"], prefixes=["example.com"]) == [ka]  # AND inside a filter
    both = c.ListImages(pb.ListImagesRequest(filters=[pb.ImageFilter(ids=[ka]),
                                                      pb.ImageFilter(ids=[kb])])).images
    assert sorted(i.id for i in both) == sorted([ka, kb])  # OR between filters


def test_image_errors(member_rkt, apisvc, mkaci):
    svc = apisvc(member_rkt)
    c = svc.connect()
    pb = c.pb
    key = member_rkt.fetch(mkaci("example.com/one").path)
    for bad in ["sha512-" + "0" * 64, key[:20], "", "../../etc/passwd"]:
        assert status_of(c.InspectImage, pb.InspectImageRequest(id=bad)) == (
            "NOT_FOUND", f'ACI info not found with blob key "{bad}"')
    assert status_of(c.ListImages, pb.ListImagesRequest(
        filters=[pb.ImageFilter(imported_after=-5)]))[0] == "INVALID_ARGUMENT"
    assert status_of(c.ListImages, pb.ListImagesRequest(
        filters=[pb.ImageFilter(ids=["x"] * 5000)]))[0] == "INVALID_ARGUMENT"
    assert c.InspectImage(pb.InspectImageRequest(id=key)).image.id == key


# --------------------------------------------------------------------------- pods

def status_json(pods, uuid):
    return json.loads(pods.ok("status", "--wait-ready=false", "--wait=false", "--format=json",
                              uuid).out)


def status_time(value):
    """Seconds since the epoch of a created= or started= line of `rkt status`
    ("2006-01-02 15:04:05.999 -0700 MST")."""
    day, clock, offset = value.split()[:3]
    t = datetime.datetime.strptime(f"{day} {clock.split('.')[0]} {offset}", "%Y-%m-%d %H:%M:%S %z")
    return int(t.timestamp())


def check_pod(pods, p, detail, gc_marked=False):
    """p (a v1alpha.Pod) against rkt status, rkt cat-manifest and the pod directory."""
    st = status_json(pods, p.id)
    text = pods.status(p.id)
    states = {"running": 4, "exited": 6, "prepared": 3, "aborted prepare": 5, "garbage": 8,
              "exited garbage": 8, "deleting": 7}
    assert p.state == states[st["state"]], (p, st)
    assert p.pid == int(text.get("pid", -1))
    assert p.created_at // 10**9 == st.get("created_at", 0)
    assert p.started_at // 10**9 == st.get("started_at", 0)
    if gc_marked:
        assert abs(p.gc_marked_at / 10**9 - time.time()) < 300
    else:
        assert p.gc_marked_at == 0
    # the lines of `rkt status` rkt's own API test compared with the service (SPEC.md §11.3)
    assert text["state"] == st["state"]
    for key, ns in (("created", p.created_at), ("started", p.started_at)):
        if key in text and not text[key].startswith("0001-"):
            assert status_time(text[key]) == ns // 10**9, (key, text[key], ns)
    if st["state"] in ("running", "exited"):
        assert text.get("networks", "") == ",".join(f"{n.name}:ip4={n.ipv4}"
                                                    for n in p.networks), (text, p.networks)
    manifest = pods.ok("cat-manifest", "--pretty-print=false", p.id).out.strip()
    mj = json.loads(manifest)
    assert [(kv.Key, kv.value) for kv in p.annotations] == [
        (a["name"], a["value"]) for a in mj.get("annotations") or []]
    assert [a.name for a in p.apps] == [a["name"] for a in mj["apps"]]
    codes = {k[4:]: int(v) for k, v in text.items() if k.startswith("app-")}
    for a, ma in zip(p.apps, mj["apps"]):
        assert a.image.id == ma["image"]["id"]
        assert (a.image.base_format.type, a.image.base_format.version) == (1, "0.8.11")
        assert [(kv.Key, kv.value) for kv in a.annotations] == [
            (x["name"], x["value"]) for x in ma.get("annotations") or []]
        if st["state"] in ("exited", "exited garbage"):
            assert (a.state, a.exit_code) == (2, codes.get(a.name, 0))  # rkt: 0 if none
        elif st["state"] == "running":
            assert a.state == 1
        else:
            assert (a.state, a.exit_code) == (0, -1)
    nets = st.get("networks") or []
    if st["state"] in ("running", "exited"):
        assert [(n.name, n.ipv4) for n in p.networks] == [(n["netName"], n["ip"]) for n in nets]
    else:
        assert list(p.networks) == []
    if detail:
        path = next(pods.dir.glob(f"pods/*/{p.id}"))
        assert p.manifest == (path / "pod").read_bytes()
    else:
        assert p.manifest == b""


def pod_manifest_file(pods, key, path, annotations=None, app_annotations=None):
    m = {"acVersion": "0.8.11", "acKind": "PodManifest",
         "apps": [{"name": "rkt-inspect", "image": {"name": "coreos.com/rkt-inspect", "id": key},
                   "app": {"exec": ["/inspect", "--print-msg=HELLO_API", "--exit-code=0"],
                           "user": "0", "group": "0"}}]}
    if annotations:
        m["annotations"] = [{"name": k, "value": v} for k, v in annotations.items()]
    if app_annotations:
        m["apps"][0]["annotations"] = [{"name": k, "value": v}
                                       for k, v in app_annotations.items()]
    path.write_text(json.dumps(m))
    return path


def test_list_and_inspect_pods(apipods, apisvc, img):
    """rkt's TestAPIServiceListInspectPods: one good pod, one that fails (no such network),
    then gc --mark-only; plus a prepared pod."""
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    assert list(c.ListPods(pb.ListPodsRequest()).pods) == []
    key = apipods.fetch(img.path)
    f = pod_manifest_file(apipods, key, apipods.tmp / "good.json", {"test": "test"},
                          {"app-test": "app-test"})
    r, good = apipods.run(f"--pod-manifest={f}", net="default")
    assert r.code == 0 and "HELLO_API" in r.out, r
    f = pod_manifest_file(apipods, key, apipods.tmp / "bad.json")
    r, bad = apipods.run(f"--pod-manifest={f}", net="non-existent-network")
    assert r.code == 254, r
    prepared = apipods.ok("--insecure-options=image", "prepare", *apipods.stage1_args(),
                          str(img.path), "--exec=/inspect").out.strip().splitlines()[-1]
    pods = {p.id: p for p in c.ListPods(pb.ListPodsRequest()).pods}
    assert sorted(pods) == sorted([good, bad, prepared])
    for p in pods.values():
        check_pod(apipods, p, False)
        check_pod(apipods, c.InspectPod(pb.InspectPodRequest(id=p.id)).pod, True)
    assert [n.name for n in pods[good].networks] == ["default"]
    assert [(kv.Key, kv.value) for kv in pods[good].annotations] == [("test", "test")]
    assert [(kv.Key, kv.value) for kv in pods[good].apps[0].annotations] == [
        ("app-test", "app-test")]
    assert pods[good].apps[0].image.name == "coreos.com/rkt-inspect"
    assert pods[good].apps[0].image.version == "1.30.0"
    apipods.ok("gc", "--mark-only=true")
    for p in c.ListPods(pb.ListPodsRequest(detail=True)).pods:
        check_pod(apipods, p, True, gc_marked=p.id != prepared)
    assert c.InspectPod(pb.InspectPodRequest(id=good[:8])).pod.id == good  # a unique prefix

    def ids(**f):
        return sorted(p.id for p in c.ListPods(pb.ListPodsRequest(
            filters=[pb.PodFilter(**f)])).pods)
    assert ids(ids=[good]) == [good]
    assert ids(states=[8]) == sorted([good, bad])
    assert ids(states=[3]) == [prepared]
    assert ids(app_names=["rkt-inspect"]) == sorted([good, bad, prepared])
    assert ids(app_names=["rkt-inspect", "other"]) == []  # all of them
    img_id = pods[good].apps[0].image.id
    assert ids(image_ids=[img_id]) == sorted([good, bad, prepared])
    assert ids(ids=[good, bad], states=[8, 3]) == sorted([good, bad])


def test_running_pod_cgroup_and_filters(apipods, apisvc, img):
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    p = apipods.start(img.path, "--exec=/inspect", "--", "--sleep=60")
    apipods.wait_ready(p.uuid)
    pod = c.InspectPod(pb.InspectPodRequest(id=p.uuid)).pod
    check_pod(apipods, pod, True)
    escaped = ("rkt-" + p.uuid).replace("-", "\\x2d")
    assert pod.cgroup.endswith(f"/machine-{escaped}.scope"), pod.cgroup
    assert pod.pid > 0 and (pod.apps[0].state, pod.apps[0].exit_code) == (1, 0)

    def ids(**f):
        return [x.id for x in c.ListPods(pb.ListPodsRequest(filters=[pb.PodFilter(**f)])).pods]
    assert ids(cgroups=[pod.cgroup]) == [p.uuid]
    assert ids(cgroups=[pod.cgroup + "x"]) == []
    assert ids(pod_sub_cgroups=[pod.cgroup + "/rkt-inspect"]) == [p.uuid]
    assert ids(pod_sub_cgroups=["/machine.slice"]) == []
    assert ids(states=[4]) == [p.uuid]
    apipods.ok("stop", p.uuid)
    wait_for(lambda: c.InspectPod(pb.InspectPodRequest(id=p.uuid)).pod.state == 6,
             what="the pod to exit")
    assert c.InspectPod(pb.InspectPodRequest(id=p.uuid)).pod.cgroup == ""


def test_pods_without_app_image_manifests(apipods, apisvc, img):
    """rkt's test: ListPods still works after P/appsinfo/*/manifest are deleted."""
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    r, uuid = apipods.run(img.path, "--exec=/inspect")
    assert r.code == 0, r
    for m in apipods.dir.glob(f"pods/*/{uuid}/appsinfo/*/manifest"):
        m.unlink()
    pod = c.InspectPod(pb.InspectPodRequest(id=uuid)).pod
    assert pod.apps[0].name == "rkt-inspect" and pod.apps[0].image.id.startswith("sha512-")
    assert (pod.apps[0].image.name, pod.apps[0].image.version) == ("", "")
    assert [x.id for x in c.ListPods(pb.ListPodsRequest()).pods] == [uuid]


def test_pod_errors(apipods, apisvc, img):
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    assert status_of(c.InspectPod, pb.InspectPodRequest(id="0123abcd")) == (
        "NOT_FOUND", 'unable to resolve UUID: no matches found for "0123abcd"')
    assert status_of(c.InspectPod, pb.InspectPodRequest(id=""))[0] == "INVALID_ARGUMENT"
    for f in [pb.PodFilter(states=[99]), pb.PodFilter(states=[-1]),
              pb.PodFilter(ids=["x"] * 5000)]:
        code, msg = status_of(c.ListPods, pb.ListPodsRequest(filters=[f]))
        assert code == "INVALID_ARGUMENT" and msg.startswith("malformed filter"), msg
    r, a = apipods.run(img.path, "--exec=/inspect")
    r, b = apipods.run(img.path, "--exec=/inspect")
    amb = os.path.commonprefix([a, b])
    if amb:  # two UUIDs with a common prefix are ambiguous
        assert status_of(c.InspectPod, pb.InspectPodRequest(id=amb))[0] == "INVALID_ARGUMENT"
    assert len(c.ListPods(pb.ListPodsRequest()).pods) == 2


def test_pods_deleted_while_inspected(apipods, apisvc, img):
    """gc removes pods while clients list and inspect them: every answer is a pod or
    NOT_FOUND, and the service keeps serving."""
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    uuids = []
    for _ in range(6):
        r, u = apipods.run(img.path, "--exec=/inspect")
        assert r.code == 0, r
        uuids.append(u)
    c.ListPods(pb.ListPodsRequest(detail=True))  # warm the cache
    errors = []
    stop = threading.Event()

    def hammer():
        import grpc
        while not stop.is_set():
            try:
                c.ListPods(pb.ListPodsRequest(detail=True), timeout=30)
                for u in uuids:
                    try:
                        c.InspectPod(pb.InspectPodRequest(id=u), timeout=30)
                    except grpc.RpcError as e:
                        if e.code() != grpc.StatusCode.NOT_FOUND:
                            errors.append((e.code(), e.details()))
            except grpc.RpcError as e:
                errors.append((e.code(), e.details()))
    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        apipods.ok("gc", "--grace-period=0s", timeout=120)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert errors == []
    assert list(c.ListPods(pb.ListPodsRequest()).pods) == []
    assert svc.alive()


def test_many_clients_at_once(apipods, apisvc, img):
    svc = apisvc(apipods)
    r, uuid = apipods.run(img.path, "--exec=/inspect")
    from apiutil import Client
    clients = [Client(svc.addr) for _ in range(150)]
    results, errors = [], []

    def one(cl):
        try:
            results.append(len(cl.ListPods(cl.pb.ListPodsRequest(detail=True), timeout=60).pods))
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=one, args=(cl,)) for cl in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for cl in clients:
        cl.close()
    assert errors == [] and results == [1] * 150
    c = svc.connect()
    assert [p.id for p in c.ListPods(c.pb.ListPodsRequest()).pods] == [uuid]


def test_the_service_changes_nothing(apipods, apisvc, img, mkaci):
    r, uuid = apipods.run(img.path, "--exec=/inspect")
    key = apipods.fetch(mkaci("example.com/still").path)
    apipods.ok("gc", "--mark-only=true")
    before = tree_snapshot(apipods.dir)
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    for _ in range(2):
        c.ListPods(pb.ListPodsRequest(detail=True))
        c.InspectPod(pb.InspectPodRequest(id=uuid))
        c.ListImages(pb.ListImagesRequest(detail=True))
        c.InspectImage(pb.InspectImageRequest(id=key))
        status_of(c.InspectPod, pb.InspectPodRequest(id="ffff"))
        list(c.GetLogs(pb.GetLogsRequest(pod_id=uuid, follow=True, lines=1)))
    assert svc.stop() == 0
    assert tree_snapshot(apipods.dir) == before


# --------------------------------------------------------------------------- writers

def hold_flock(path, exclusive=True):
    """An open descriptor of path (created if missing) holding its flock."""
    import fcntl
    flags = os.O_RDONLY | os.O_DIRECTORY if os.path.isdir(path) else os.O_RDWR | os.O_CREAT
    fd = os.open(path, flags | os.O_CLOEXEC, 0o660)
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    return fd


def test_answers_while_fetch_run_and_gc_hold_the_store(apipods, apisvc, img, tmp_path, tls):
    """The service is never blocked by a writer: while `rkt fetch` is in its download (the
    server sends half the image, then nothing), a pod runs, and the locks the fetch's commit,
    `rkt run`/`gc` and `rkt image gc` take are held (the index's write transaction, the
    image and tree locks, the prepare lock, a prepared pod's lock), every method answers
    before the fetch finishes. No duration is asserted: a call that waited for any of these
    would outlive the fetch, which gives up once no byte came for 60 s."""
    import sqlite3
    key = apipods.fetch(img.path)
    uuid = apipods.ok("--insecure-options=image", "prepare", *apipods.stage1_args(),
                      str(img.path)).out.strip()
    running = apipods.start(img.path, "--exec=/inspect", "--", "--sleep=120")
    apipods.wait_ready(running.uuid)
    svc = apisvc(apipods)
    c = svc.connect()
    pb = c.pb
    data = img.path.read_bytes()
    srv = Server(tmp_path / "srv", tls, {"/big.aci": [{"file": str(img.path), "mode": "stall",
                                                       "cut": len(data) // 2}]})
    held = []
    db = None
    fetch = subprocess.Popen(apipods.args() + ["--insecure-options=image", "fetch",
                                               srv.url("/big.aci")],
                             env=dict(os.environ, SSL_CERT_FILE=str(tls["ca"])),
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        tmp = apipods.cas / "tmp"
        wait_for(lambda: any(p.name.startswith("dl-") and not p.name.endswith(".etag") and
                             p.stat().st_size > 0 for p in tmp.iterdir()) or None,
                 timeout=60, interval=0.1, what="the fetch to be downloading")
        assert fetch.poll() is None, fetch.communicate()
        tree = apipods.tree_ids()[0]
        held += [hold_flock(apipods.cas / "imagelocks" / key),
                 hold_flock(apipods.cas / "treestorelocks" / tree),
                 hold_flock(apipods.dir / "locks" / "prepareLock"),
                 hold_flock(apipods.dir / "pods" / "prepared" / uuid)]
        db = sqlite3.connect(apipods.cas / "db" / "store.sqlite", isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        info = c.GetInfo(pb.GetInfoRequest(), timeout=90)
        assert info.info.global_flags.dir == str(apipods.dir)
        images = c.ListImages(pb.ListImagesRequest(detail=True), timeout=90).images
        assert key in [i.id for i in images]
        assert c.InspectImage(pb.InspectImageRequest(id=key), timeout=90).image.id == key
        pods = c.ListPods(pb.ListPodsRequest(detail=True), timeout=90).pods
        assert sorted(p.id for p in pods) == sorted([uuid, running.uuid])
        assert c.InspectPod(pb.InspectPodRequest(id=uuid), timeout=90).pod.id == uuid
        assert fetch.poll() is None, fetch.communicate()  # answered before the fetch ended
    finally:
        if db is not None:
            db.execute("ROLLBACK")
            db.close()
        for fd in held:
            os.close(fd)
        fetch.kill()
        fetch.communicate()
        srv.stop()
    apipods.ok("stop", running.uuid)
    assert svc.alive()
