# SPDX-License-Identifier: Apache-2.0
"""Stage0 of run, prepare and run-prepared against a stub stage1 (as rkt's own
TestStage1Loading* tests did, SPEC.md §11.7): stage1 selection, the argv, cwd and lock of the
run entrypoint (§7.2), the generated pod manifest (§4.6), flag checks (§3.1) and the pod
directory (§6.3)."""
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import aci as A
from conftest import RKT_BIN

pytestmark = pytest.mark.offline

INSECURE = "--insecure-options=image"
STUB_NAME = "localhost/rkt-stub-stage1"
STUB_RUN = """#!/bin/sh
# records how stage0 called it, then says what rkt's stub stage1 says
{
  echo "argv=$*"
  echo "cwd=$(pwd)"
  echo "lockfd=$RKT_LOCK_FD"
  if [ -e "/proc/self/fd/$RKT_LOCK_FD" ]; then echo "lock=$(readlink /proc/self/fd/$RKT_LOCK_FD)"; fi
} > "$(pwd)/stub-record"
echo "success, stub stage1 would at this point switch to stage2"
exit ${STUB_EXIT:-0}
"""


def stub_stage1(path, version="0.0.1", name=STUB_NAME):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name,
         "labels": [{"name": "version", "value": version}, {"name": "os", "value": "linux"},
                    {"name": "arch", "value": "amd64"}],
         "annotations": [{"name": "coreos.com/rkt/stage1/run", "value": "/run"},
                         {"name": "coreos.com/rkt/stage1/interface-version", "value": "6"}]}
    return A.build_aci(path, m, {"run": A.File(STUB_RUN, mode=0o755)})


@pytest.fixture(autouse=True)
def collect_pods(rkt):
    """Every pod a test made goes away with its overlay mounts."""
    yield
    r = rkt("gc", "--grace-period=0s", "--expire-prepared=0s")
    assert r.code == 0, r


@pytest.fixture
def stub(tmp_path):
    return stub_stage1(tmp_path / "stub.aci")


@pytest.fixture
def app(mkaci):
    return mkaci("example.com/stage0-app", files={"bin/true": A.File(b"#!/bin/sh\n", mode=0o755)})


def pods(rkt, state):
    d = rkt.dir / "pods" / state
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


def record(rkt, uuid, state="run"):
    text = (rkt.dir / "pods" / state / uuid / "stub-record").read_text()
    return dict(line.split("=", 1) for line in text.splitlines())


def run_stub(rkt, stub, *argv, **kw):
    return rkt(INSECURE, "run", f"--stage1-path={stub.path}", *argv, **kw)


def test_run_execs_the_stage1_run_entrypoint(rkt, stub, app):
    r = run_stub(rkt, stub, app.path)
    assert r.code == 0, r
    assert "success, stub stage1 would at this point switch to stage2" in r.out
    (uuid,) = pods(rkt, "run")
    rec = record(rkt, uuid)
    assert rec["argv"] == f"--net=default --local-config={rkt.local} {uuid}"
    assert rec["cwd"] == str(rkt.dir / "pods" / "run" / uuid)
    assert rec["lock"] == str(rkt.dir / "pods" / "run" / uuid)


def test_run_exit_status_is_the_stage1s(rkt, stub, app):
    env = dict(os.environ, STUB_EXIT="42")
    assert run_stub(rkt, stub, app.path, env=env).code == 42


def test_stage1_flags_are_passed(rkt, stub, app):
    r = run_stub(rkt, stub, "--net=host", "--interactive", "--hostname=h1", "--ipc=private",
                 app.path)
    assert r.code == 0, r
    (uuid,) = pods(rkt, "run")
    assert record(rkt, uuid)["argv"] == (f"--net=host --interactive --local-config={rkt.local} "
                                         f"--hostname=h1 --ipc=private {uuid}")


def test_insecure_run_options_reach_stage1(rkt, stub, app):
    r = rkt("--insecure-options=image,all-run", "run", f"--stage1-path={stub.path}", app.path)
    assert r.code == 0, r
    (uuid,) = pods(rkt, "run")
    argv = record(rkt, uuid)["argv"]
    for f in ("--disable-capabilities-restriction", "--disable-paths", "--disable-seccomp"):
        assert f in argv


def pod_manifest(rkt, uuid, state="run"):
    return json.loads((rkt.dir / "pods" / state / uuid / "pod").read_text())


def test_generated_pod_manifest(rkt, stub, app, tmp_path):
    envfile = tmp_path / "env"
    envfile.write_text("# comment\nFROM_FILE=1\nSHARED=file\n")
    r = run_stub(rkt, stub, "--set-env=SHARED=pod", f"--set-env-file={envfile}",
                 "--volume=data,kind=empty,mode=0700", app.path, "--exec=/bin/true",
                 "--environment=MINE=yes", "--user=1000", "--group=100", "--working-dir=/tmp",
                 "--supplementary-gids=4,5", "--mount=volume=data,target=/data",
                 "--memory=16M", "--cpu=500m", "--caps-retain=CAP_NET_ADMIN",
                 "--user-annotation=a=b", "--user-label=c=d", "--", "-x", "y")
    assert r.code == 0, r
    (uuid,) = pods(rkt, "run")
    m = pod_manifest(rkt, uuid)
    assert m["acVersion"] == "1.30.0" and m["acKind"] == "PodManifest"
    assert m["annotations"] == [{"name": "coreos.com/rkt/stage1/mutable", "value": "false"}]
    assert m["volumes"] == [{"name": "data", "kind": "empty", "mode": "0700", "uid": 0,
                             "gid": 0}]
    (a,) = m["apps"]
    assert a["name"] == "stage0-app"
    assert a["image"]["id"] == app.key and a["image"]["name"] == "example.com/stage0-app"
    assert a["mounts"] == [{"volume": "data", "path": "/data"}]
    ra = a["app"]
    assert ra["exec"] == ["/bin/true", "-x", "y"]
    assert ra["user"] == "1000" and ra["group"] == "100"
    assert ra["workingDirectory"] == "/tmp" and ra["supplementaryGIDs"] == [4, 5]
    env = {e["name"]: e["value"] for e in ra["environment"]}
    assert env == {"FROM_FILE": "1", "SHARED": "pod", "MINE": "yes"}
    names = [i["name"] for i in ra["isolators"]]
    assert names == ["resource/memory", "resource/cpu", "os/linux/capabilities-retain-set"]
    assert ra["userAnnotations"] == {"a": "b"} and ra["userLabels"] == {"c": "d"}


def test_two_apps_and_arguments_sections(rkt, stub, mkaci):
    a = mkaci("example.com/first")
    b = mkaci("example.com/second")
    r = run_stub(rkt, stub, a.path, "--", "--looks-like-a-flag", "---", b.path, "--name=two")
    assert r.code == 0, r
    (uuid,) = pods(rkt, "run")
    apps = pod_manifest(rkt, uuid)["apps"]
    assert [x["name"] for x in apps] == ["first", "two"]
    assert apps[0]["app"]["exec"] == ["/bin/true", "--looks-like-a-flag"]
    assert apps[1]["app"]["exec"] == ["/bin/true"]


@pytest.mark.parametrize("argv,message", [
    (["--exec=/x"], "--exec must follow an image"),
    (["IMG", "--exec=/a", "--exec=/b"], "--exec specified multiple times for the same image"),
    (["--", "a"], "an image is required before any app arguments"),
    (["IMG", "--", "a", "---", "--", "b"], "only one set of app arguments allowed per image"),
    (["--interactive", "IMG", "IMG"], "interactive option only supports one image"),
    ([], "must provide at least one image or specify the pod manifest"),
    (["--store-only", "--no-store", "IMG"], "both --store-only and --no-store specified"),
    (["--port=http:80", "--net=none", "IMG"], "--port flag does not work with 'none' networking"),
    (["--port=http:80", "--net=host", "IMG"], "--port flag does not work with 'host' networking"),
    (["IMG", "--mount=volume=nope,target=/x"], 'dangling mount point "/x": volume "nope" not found'),
    (["--volume=v,kind=bogus", "IMG"], "unrecognized volume kind"),
    (["--volume=v,kind=host,source=rel", "IMG"], "source for host volume must be absolute path"),
    (["--volume=v,kind=empty,foo=bar", "IMG"], 'unknown volume parameter "foo"'),
    (["--set-env=NOEQUALS", "IMG"], "must be specified as key=value"),
    (["--set-env=A=1", "--set-env=A=2", "IMG"], 'key "A" already set'),
    (["IMG", "--memory=100"], "memory limit of 100 bytes too low"),
    (["IMG", "--caps-retain=CAP_KILL", "--caps-remove=CAP_KILL"],
     "cannot use both --caps-retain and --caps-remove"),
    (["IMG", "--seccomp=mode=retain,nosuchcall"], 'unknown system call "nosuchcall"'),
    (["IMG", "--seccomp=mode=retain"], "set must be non-empty"),
    (["IMG", "--seccomp=mode=remove,errno=eperm,chmod"], 'unknown errno "eperm"'),
    (["--pod-manifest=/dev/null", "IMG"], "conflicting flags set with --pod-manifest"),
    (["--stage1-name=a", "IMG"], "flags --stage1-name and --stage1-path are mutually exclusive"),
    (["--stage1-path=/b", "IMG"], "--stage1-path already used"),
])
def test_run_flag_errors(rkt, stub, app, argv, message):
    argv = [app.path if a == "IMG" else a for a in argv]
    r = rkt(INSECURE, "run", f"--stage1-path={stub.path}", *argv)
    assert r.code == 254, r
    assert message in r.err, r
    assert pods(rkt, "run") == [] and pods(rkt, "prepare") == []


def test_unsigned_image_needs_insecure_option(rkt, stub, app):
    r = rkt("run", f"--stage1-path={stub.path}", app.path)
    assert r.code == 254 and "error opening signature file" in r.err, r


def test_run_needs_root(rkt, stub, app):
    import subprocess
    r = subprocess.run(rkt.prefix() + ["setpriv", "--reuid=65534", "--regid=65534",
                                       "--clear-groups"] + rkt.args() + [INSECURE, "run", app.path],
                       capture_output=True, text=True)
    assert r.returncode == 254 and "cannot run as unprivileged user" in r.stderr


def test_prepare_then_run_prepared(rkt, stub, app):
    r = rkt(INSECURE, "prepare", f"--stage1-path={stub.path}", app.path)
    assert r.code == 0, r
    uuid = r.out.strip()
    assert len(uuid) == 36 and pods(rkt, "prepared") == [uuid]
    p = rkt.dir / "pods" / "prepared" / uuid
    for f in ("pod", "pod.lck", "pod-created", "stage1TreeStoreID", "stage1/manifest",
              f"appsinfo/stage0-app/manifest"):
        assert (p / f).exists(), f
    r = rkt("run-prepared", uuid[:8])
    assert r.code == 0, r
    assert pods(rkt, "run") == [uuid] and pods(rkt, "prepared") == []
    rec = record(rkt, uuid)
    assert rec["argv"] == f"--net=default {uuid}"  # run-prepared does not pass --local-config
    r = rkt("run-prepared", uuid)
    assert r.code == 254 and f'pod "{uuid}" is not prepared' in r.err, r


def test_no_overlay_copies_the_trees(rkt, stub, app):
    assert run_stub(rkt, stub, "--no-overlay", app.path).code == 0
    (uuid,) = pods(rkt, "run")
    p = rkt.dir / "pods" / "run" / uuid
    assert not (p / "overlay-prepared").exists()
    assert (p / "stage1/rootfs/run").read_text().startswith("#!/bin/sh")
    assert (p / "stage1/rootfs/opt/stage2/stage0-app/rootfs/bin/true").exists()
    assert (p / "stage1/rootfs/opt/stage2/stage0-app/manifest").exists()


def test_uuid_file_save(rkt, stub, app, tmp_path):
    f = tmp_path / "uuid"
    assert run_stub(rkt, stub, f"--uuid-file-save={f}", app.path).code == 0
    (uuid,) = pods(rkt, "run")
    assert f.read_text() == uuid
    assert stat.S_IMODE(f.stat().st_mode) == 0o644


# --------------------------------------------------------------------------- stage1 selection

def test_stage1_from_config_then_store(rkt, stub, app):
    (rkt.local / "stage1.d").mkdir()
    (rkt.local / "stage1.d" / "s.json").write_text(json.dumps(
        {"rktKind": "stage1", "rktVersion": "v1", "name": STUB_NAME, "version": "0.0.1",
         "location": str(stub.path)}))
    r = rkt("--debug", INSECURE, "run", app.path)
    assert r.code == 0, r
    assert f"image: using image from file {stub.path}" in r.err
    r = rkt("--debug", INSECURE, "run", app.path)
    assert r.code == 0, r
    assert f"using image from local store for image name {STUB_NAME}:0.0.1" in r.err


def test_stage1_by_name_and_hash(rkt, stub, app):
    rkt.fetch(stub.path)
    r = rkt("--debug", INSECURE, "run", f"--stage1-name={STUB_NAME}:0.0.1", app.path)
    assert r.code == 0, r
    assert "using image from local store for image name" in r.err
    r = rkt("--debug", INSECURE, "run", f"--stage1-hash={stub.key}", app.path)
    assert r.code == 0, r
    assert f"using image from the store with hash {stub.key}" in r.err


def test_stage1_from_dir(rkt, stub, app, tmp_path):
    d = tmp_path / "stage1s"
    d.mkdir()
    os.link(stub.path, d / "my-stage1.aci")
    (rkt.local / "paths.d").mkdir()
    (rkt.local / "paths.d" / "p.json").write_text(json.dumps(
        {"rktKind": "paths", "rktVersion": "v1", "stage1-images": str(d)}))
    r = rkt("--debug", INSECURE, "run", "--stage1-from-dir=my-stage1.aci", app.path)
    assert r.code == 0, r
    assert f"using image from file {d}/my-stage1.aci" in r.err


def test_stage1_relative_config_location_is_rejected(rkt, app):
    (rkt.local / "stage1.d").mkdir()
    (rkt.local / "stage1.d" / "s.json").write_text(json.dumps(
        {"rktKind": "stage1", "rktVersion": "v1", "location": "relative/stage1.aci"}))
    r = rkt(INSECURE, "run", app.path)
    assert r.code == 254
    assert "default stage1 image location is either a relative path or a URL without scheme" \
        in r.err


# --------------------------------------------------------------------------- rkt's own tests
# The stage0 side of SPEC.md §11.1, §11.2, §11.6 and §11.7, with the stub stage1.

def as_nobody(rkt, *argv):
    return subprocess.run(rkt.prefix() + ["setpriv", "--reuid=65534", "--regid=65534",
                                          "--clear-groups"] + rkt.args() +
                          [str(a) for a in argv], capture_output=True, text=True, cwd="/")


@pytest.mark.parametrize("cmd", ["enter", "gc", "prepare", "rm", "run", "run-prepared"])
def test_commands_need_root(rkt, app, cmd):
    """TestCommandsNeedRoot."""
    argv = {"prepare": [INSECURE, "prepare", app.path], "run": [INSECURE, "run", app.path],
            "enter": ["enter", "0123"], "rm": ["rm", "0123"],
            "run-prepared": ["run-prepared", "0123"], "gc": ["gc"]}[cmd]
    r = as_nobody(rkt, *argv)
    assert r.returncode == 254, r
    assert f"{cmd}: cannot run as unprivileged user" in r.stderr, r.stderr


@pytest.mark.parametrize("cmd", ["run", "prepare"])
@pytest.mark.parametrize("flags", [
    ["--inherit-env"], ["--no-store"], ["--store-only"], ["--port=foo:80"],
    ["--set-env=foo=bar"], ["--volume=foo,kind=host,source=/tmp"],
    ["--mount=volume=foo,target=/tmp", "--volume=foo,kind=host,source=/tmp"],
    ["IMG", "--exec=/bin/sh"], ["IMG", "--user=1000"], ["IMG", "--group=1000"]],
    ids=lambda f: " ".join(f))
def test_pod_manifest_conflicting_flags(rkt, stub, app, cmd, flags):
    """TestRunConflictingFlags, TestPrepareConflictingFlags."""
    argv = [app.path if a == "IMG" else a for a in flags]
    r = rkt(INSECURE, cmd, f"--stage1-path={stub.path}", "--pod-manifest=/dev/null", *argv)
    assert r.code == 254, r
    assert f"{cmd}: conflicting flags set with --pod-manifest (see --help)" in r.err, r
    assert pods(rkt, "run") == [] and pods(rkt, "prepared") == []


@pytest.mark.parametrize("cmd", ["run", "prepare"])
def test_pod_manifest_with_empty_apps(rkt, stub, tmp_path, cmd):
    """TestPodManifestWithEmptyApps."""
    m = tmp_path / "pod.json"
    m.write_text(json.dumps({"acVersion": "0.8.11", "acKind": "PodManifest", "apps": []}))
    r = rkt(INSECURE, cmd, f"--stage1-path={stub.path}", f"--pod-manifest={m}")
    assert r.code == 254, r
    assert "pod must contain at least one application" in r.err, r
    assert pods(rkt, "run") == [] and pods(rkt, "prepared") == []


@pytest.mark.parametrize("argv", [
    ["fetch"], ["fetch", "--store-only"], ["fetch", "--no-store"],
    ["run", "STAGE1"], ["run", "STAGE1", "--store-only"], ["run", "STAGE1", "--no-store"],
    ["prepare", "STAGE1"], ["prepare", "STAGE1", "--store-only"],
    ["prepare", "STAGE1", "--no-store"]], ids=lambda a: " ".join(a).replace("STAGE1 ", ""))
def test_a_file_is_read_every_time(rkt, stub, app, argv):
    """TestFetchFromFile: an image given as a file is imported from the file on every call,
    whatever the pull policy."""
    argv = [f"--stage1-path={stub.path}" if a == "STAGE1" else a for a in argv]
    for _ in range(2):
        r = rkt("--debug", INSECURE, *argv, app.path)
        assert r.code == 0, r
        assert f"using image from file {app.path}" in r.err, r


def test_flags_before_the_subcommand(rkt, stub, app):
    """A subcommand's flags given before its name are honoured (rkt's fetch, config and
    volume-sysfs tests put --pull-policy, --no-store and --set-env there)."""
    rkt.fetch(app.path)
    name = "example.com/stage0-app"
    for flags in (["--pull-policy=new", "--debug"], ["--store-only", "--debug"]):
        r = rkt(*flags, INSECURE, "fetch", name)  # fetch's own default is update
        assert r.code == 0, r
        assert f"using image from local store for image name {name}" in r.err, r
    r = rkt("--no-store", "--debug", INSECURE, "run", f"--stage1-path={stub.path}", name)
    assert r.code == 254 and "using image from local store" not in r.err, r
    r = rkt("--set-env=BEFORE=1", INSECURE, "run", f"--stage1-path={stub.path}", app.path)
    assert r.code == 0, r
    (uuid,) = pods(rkt, "run")
    assert pod_manifest(rkt, uuid)["apps"][0]["app"]["environment"] == [
        {"name": "BEFORE", "value": "1"}]


def test_prepare_by_short_id(rkt, stub, app):
    """TestShortHash: a 19-character image ID works with prepare."""
    rkt.fetch(app.path)
    r = rkt("--debug", INSECURE, "prepare", f"--stage1-path={stub.path}", app.key[:19])
    assert r.code == 0, r
    assert "Writing pod manifest" in r.err, r
    assert pods(rkt, "prepared") == [r.out.strip()]


def test_prepare_of_one_image_twice_fails(rkt, stub, app):
    """TestGC: two apps of one image get the same name; the prepare fails. (rkt left an
    aborted prepare for gc; ours checks the names before it creates the pod.)"""
    r = rkt(INSECURE, "prepare", f"--stage1-path={stub.path}", app.path, app.path)
    assert r.code == 254, r
    assert "error: multiple apps with name stage0-app" in r.err, r
    assert pods(rkt, "prepared") == [] and pods(rkt, "prepare") == []


def stage1_conf(rkt, **kw):
    (rkt.local / "stage1.d").mkdir(exist_ok=True)
    conf = {"rktKind": "stage1", "rktVersion": "v1"}
    conf.update(kw)
    (rkt.local / "stage1.d" / "s.json").write_text(json.dumps(conf))


def debug_run(rkt, app, *flags):
    r = rkt("--debug", INSECURE, "run", *flags, app.path)
    assert r.code == 0, r
    assert "success, stub stage1 would at this point switch to stage2" in r.out, r
    assert "searching for app image" not in r.err, r  # no discovery for a stage1 here
    return r.err


@pytest.mark.parametrize("name,version", [(STUB_NAME, "3.2.1"), ("example.com/stage1", "0.0.1")])
def test_stage1_config_of_another_name_or_version_reads_the_file_every_time(rkt, stub, app,
                                                                           name, version):
    """TestStage1LoadingFromConfig: name or version differ from the image's."""
    stage1_conf(rkt, name=name, version=version, location=str(stub.path))
    for _ in range(2):
        assert f"image: using image from file {stub.path}" in debug_run(rkt, app)


def test_stage1_config_file_url(rkt, stub, app):
    """TestStage1LoadingFromConfig: a file:// location, then the store."""
    stage1_conf(rkt, name=STUB_NAME, version="0.0.1", location=f"file://{stub.path}")
    assert f"image: using image from file {stub.path}" in debug_run(rkt, app)
    assert (f"image: using image from local store for image name {STUB_NAME}:0.0.1"
            in debug_run(rkt, app))


def test_stage1_config_falls_back_to_the_binarys_directory(rkt, stub, app, tmp_path):
    """TestStage1LoadingFromConfigFallback: a location that does not exist is tried, then
    the file of the same name beside the rkt binary."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(RKT_BIN, bindir / "rkt")
    shutil.copy(stub.path, bindir / "stub.aci")
    missing = tmp_path / "nonexistent" / "stub.aci"
    stage1_conf(rkt, name=STUB_NAME, version="0.0.1", location=str(missing))
    argv = rkt.prefix() + [str(bindir / "rkt")] + rkt.args()[1:] + \
        ["--debug", INSECURE, "run", str(app.path)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    assert f"image: using image from file {missing}" in r.stderr, r.stderr
    assert f"image: using image from file {bindir / 'stub.aci'}" in r.stderr, r.stderr
    assert "success, stub stage1 would at this point switch to stage2" in r.stdout


@pytest.mark.parametrize("form", ["relative", "absolute", "file-url"])
def test_stage1_path_and_file_url_read_the_file_every_time(rkt, stub, app, form):
    """TestStage1LoadingFromFlags: --stage1-path (relative or absolute) and
    --stage1-url=file://... read the file on every run."""
    flag = {"relative": f"--stage1-path={stub.path.name}",
            "absolute": f"--stage1-path={stub.path}",
            "file-url": f"--stage1-url=file://{stub.path}"}[form]
    for _ in range(2):
        r = rkt("--debug", INSECURE, "run", flag, app.path, cwd=stub.path.parent)
        assert r.code == 0, r
        assert f"image: using image from file {stub.path}" in r.err, r


def test_stage1_name_from_the_store(rkt, stub, app):
    """TestStage1LoadingFromFlags: --stage1-name=name:version of an imported image."""
    rkt.fetch(stub.path)
    for _ in range(2):
        err = debug_run(rkt, app, f"--stage1-name={STUB_NAME}:0.0.1")
        assert f"image: using image from local store for image name {STUB_NAME}:0.0.1" in err


OS_ARCH = {"missing-os": ([("arch", "amd64")], "missing os label in the image manifest"),
           "missing-arch": ([("os", "linux")], "missing arch label in the image manifest"),
           "freebsd": ([("os", "freebsd"), ("arch", "amd64")], 'bad os "freebsd"'),
           "armv5l": ([("os", "linux"), ("arch", "armv5l")], 'bad arch "armv5l"')}


def os_arch_image(mkaci, case):
    labels, _ = OS_ARCH[case]
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/os-arch",
         "labels": [{"name": "version", "value": "1.0.0"}] +
         [{"name": k, "value": v} for k, v in labels],
         "app": {"exec": ["/bin/true"], "user": "0", "group": "0"}}
    return mkaci(manifest=m)


@pytest.mark.parametrize("case", list(OS_ARCH))
def test_missing_or_invalid_os_arch_run(rkt, stub, mkaci, case):
    """TestMissingOrInvalidOSArchRun: an image file without os or arch label, or with an
    os/arch rkt cannot run, is refused before the pod exists."""
    r = run_stub(rkt, stub, os_arch_image(mkaci, case).path)
    assert r.code == 254, r
    assert OS_ARCH[case][1] in r.err, r
    assert pods(rkt, "run") == [] and pods(rkt, "prepared") == []


@pytest.mark.parametrize("case", list(OS_ARCH))
def test_missing_or_invalid_os_arch_fetch_run(rkt, stub, mkaci, case):
    """TestMissingOrInvalidOSArchFetchRun: the same images run by ID after a fetch. An
    arch the appc schema does not know for its os is refused by the fetch already."""
    image = os_arch_image(mkaci, case)
    r = rkt(INSECURE, "fetch", image.path)
    if case == "armv5l":
        assert r.code == 254 and OS_ARCH[case][1] in r.err, r
        return
    assert r.code == 0, r
    r = run_stub(rkt, stub, r.out.strip())
    assert r.code == 254, r
    assert OS_ARCH[case][1] in r.err, r
    assert pods(rkt, "run") == []


@pytest.mark.parametrize("cmd", ["run", "prepare"])
def test_duplicate_volume_name(rkt, stub, app, cmd):
    """TestVolumeMount: two --volume of one name are refused."""
    r = rkt(INSECURE, cmd, f"--stage1-path={stub.path}", "--volume=foo,kind=host,source=/tmp",
            "--volume=foo,kind=empty", app.path)
    assert r.code == 254, r
    assert 'duplicate volume name "foo"' in r.err, r
    assert pods(rkt, "run") == [] and pods(rkt, "prepared") == []


def test_list_after_the_image_was_removed(rkt, stub, app):
    """TestRktList: after `image rm` of a pod's image, `list` still shows the image's name
    and `list --full` its ID (both read from the pod)."""
    r = run_stub(rkt, stub, app.path)
    assert r.code == 0, r
    rkt.ok("image", "rm", app.key)
    assert rkt.ok("image", "list", "--no-legend", "--fields=name").out.count("stage0-app") == 0
    rows = [ln.split("\t") for ln in rkt.ok("list", "--no-legend").out.splitlines()]
    assert rows[0][1:3] == ["stage0-app", "example.com/stage0-app:1.0.0"], rows
    rows = [ln.split("\t") for ln in rkt.ok("list", "--no-legend", "--full").out.splitlines()]
    assert rows[0][1:4] == ["stage0-app", "example.com/stage0-app:1.0.0", app.key[:19]], rows


@pytest.mark.parametrize("by", ["name", "id"])
def test_images_removed_after_prepare_do_not_prevent_run_prepared(rkt, stub, app, mkaci, by):
    """TestImagePrepareRm: after prepare, the stage1 image, the app's image and an image no
    pod uses are each removed (`rm: 1 image(s) successfully removed`); run-prepared still
    runs the pod."""
    other = mkaci("example.com/unused")
    rkt.fetch(other.path)
    uuid = rkt.ok(INSECURE, "prepare", f"--stage1-path={stub.path}", app.path).out.strip()
    for image, name in ((stub, STUB_NAME), (app, "example.com/stage0-app"),
                        (other, "example.com/unused")):
        r = rkt.ok("image", "rm", name if by == "name" else image.key)
        assert "rm: 1 image(s) successfully removed" in r.err, r
    assert rkt.ok("image", "list", "--no-legend").out.strip() == ""
    r = rkt("run-prepared", uuid)
    assert r.code == 0, r
    assert "success, stub stage1 would at this point switch to stage2" in r.out


@pytest.mark.parametrize("overlay,kept", [(True, 2), (False, 1)])
def test_image_gc_keeps_the_trees_of_existing_pods(rkt, stub, app, overlay, kept):
    """TestImageGCTreeStore: image gc keeps the rendered trees an exited pod uses (its
    stage1's, and its app's with overlay); after gc of the pod, image gc removes them."""
    flags = [] if overlay else ["--no-overlay"]
    r = run_stub(rkt, stub, *flags, app.path)
    assert r.code == 0, r
    rkt.ok("image", "gc")
    assert len(rkt.tree_ids()) == kept
    rkt.ok("gc", "--grace-period=0s")
    rkt.ok("image", "gc")
    assert rkt.tree_ids() == []
