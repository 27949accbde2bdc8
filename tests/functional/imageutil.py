# SPDX-License-Identifier: Apache-2.0
"""Test images around the `inspect` payload (tests/helpers, README there), built at test time.

The payload is the static binary the build leaves in build/tests/helpers/inspect
(RKT_INSPECT_BIN overrides it). Every image is a deterministic ACI made by aci.build_aci, so
the same description always yields the same image ID.

    img = inspect_image(tmp / "i.aci", exec_=["/inspect", "--print-msg=hi"])
    img = inspect_image(tmp / "u.aci", user="1000", group="100", busybox=True,
                        environment={"FOO": "bar"}, mount_points=[("data", "/data")])
    base = rkt_inspect_image(tmp / "rkt-inspect.aci")   # rkt's coreos.com/rkt-inspect
    stub = stub_stage1_image(tmp / "stub.aci")          # localhost/rkt-stub-stage1:0.0.1

Rootfs of an inspect image (SPEC.md §11.0): /inspect (0755), /inspect-link -> /inspect,
/bin/inspect-link-bin -> /inspect, /dir1/file = "dir1", /dir2/file = "dir2", the /dir1
symlinks link_abs_dir2 -> /dir2, link_rel_dir2 -> ../dir2, link_abs_dotdot_dir2 -> /../dir2,
link_abs_root -> /, link_abs_notexists -> /notexists, link_invalid -> link_invalid (a loop),
/etc/passwd (root, user1 uid 1000 gid 100), /etc/group (root, group1 gid 100 with user1),
and /tmp (1777). With busybox=True also /bin/busybox (the host's static busybox) and
symlinks /bin/<applet> for sh, echo, cat, ls, sleep and a few more.
"""
import copy
import functools
import os
from pathlib import Path

import aci as _aci
from aci import Dir, File, Symlink

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("RKT_BUILD_DIR", ROOT / "build"))
INSPECT_BIN = Path(os.environ.get("RKT_INSPECT_BIN", BUILD / "tests" / "helpers" / "inspect"))
BUSYBOX = Path(os.environ.get("RKT_TEST_BUSYBOX", "/bin/busybox"))
BUSYBOX_APPLETS = ("sh", "echo", "cat", "ls", "sleep", "true", "false", "env", "id", "mkdir",
                   "touch", "rm", "pwd", "stat", "test", "hostname", "grep", "head", "tail")

INSPECT_VERSION = "1.30.0"
PASSWD = "root:x:0:0:root:/root:/bin/sh\nuser1:x:1000:100::/:\n"
GROUP = "root:x:0:\ngroup1:x:100:user1\n"


class MissingPayload(RuntimeError):
    pass


def inspect_path() -> Path:
    """The built payload; raises MissingPayload (with the ninja command) if absent."""
    if not INSPECT_BIN.is_file():
        raise MissingPayload(f"{INSPECT_BIN} is missing: build it with "
                             f"`ninja -C {BUILD} tests/helpers/inspect`")
    return INSPECT_BIN


@functools.lru_cache(maxsize=4)
def _read_cached(path: str, mtime_ns: int, size: int) -> bytes:
    return Path(path).read_bytes()


def _read(path: Path) -> bytes:
    st = path.stat()
    return _read_cached(str(path), st.st_mtime_ns, st.st_size)


def inspect_bytes() -> bytes:
    return _read(inspect_path())


def busybox_bytes() -> bytes:
    if not BUSYBOX.is_file():
        raise MissingPayload(f"{BUSYBOX} is missing (Debian package busybox-static)")
    return _read(BUSYBOX)


# --------------------------------------------------------------------------- rootfs

def inspect_rootfs(busybox=False, applets=BUSYBOX_APPLETS, extra=None):
    """The rootfs description ({path: aci entry}) of an inspect image.

    extra: more entries; an entry whose value is None removes that path."""
    files = {
        "inspect": File(inspect_bytes(), mode=0o755),
        "inspect-link": Symlink("/inspect"),
        "bin": Dir(),
        "bin/inspect-link-bin": Symlink("/inspect"),
        "dir1": Dir(),
        "dir1/file": File("dir1"),
        "dir1/link_abs_dir2": Symlink("/dir2"),
        "dir1/link_rel_dir2": Symlink("../dir2"),
        "dir1/link_abs_dotdot_dir2": Symlink("/../dir2"),
        "dir1/link_abs_root": Symlink("/"),
        "dir1/link_abs_notexists": Symlink("/notexists"),
        "dir1/link_invalid": Symlink("link_invalid"),
        "dir2": Dir(),
        "dir2/file": File("dir2"),
        "etc": Dir(),
        "etc/passwd": File(PASSWD),
        "etc/group": File(GROUP),
        "tmp": Dir(0o1777),
    }
    if busybox:
        files["bin/busybox"] = File(busybox_bytes(), mode=0o755)
        for a in applets:
            files[f"bin/{a}"] = Symlink("busybox")
    for k, v in (extra or {}).items():
        k = k.strip("/")
        if v is None:
            files.pop(k, None)
        else:
            files[k] = v
    return files


# --------------------------------------------------------------------------- manifests

def _name_values(d):
    """{"a": "b"} or [("a", "b")] or [{"name":..,"value":..}] -> appc name/value list."""
    if d is None:
        return None
    if isinstance(d, dict):
        return [{"name": k, "value": v} for k, v in d.items()]
    out = []
    for e in d:
        out.append(e if isinstance(e, dict) else {"name": e[0], "value": e[1]})
    return out


def _mount_points(mps):
    out = []
    for m in mps:
        if isinstance(m, dict):
            out.append(m)
            continue
        d = {"name": m[0], "path": m[1]}
        if len(m) > 2:
            d["readOnly"] = bool(m[2])
        out.append(d)
    return out


def _ports(ports):
    out = []
    for p in ports:
        if isinstance(p, dict):
            out.append(p)
            continue
        d = {"name": p[0], "protocol": p[1], "port": int(p[2])}
        if len(p) > 3 and p[3]:
            d["socketActivated"] = True
        out.append(d)
    return out


def app_section(exec_=("/inspect",), user="0", group="0", supplementary_gids=None,
                working_directory=None, environment=None, isolators=None, mount_points=None,
                ports=None, event_handlers=None, app_annotations=None, **extra):
    """An appc app section. Python names map to the appc keys (working_directory ->
    workingDirectory, ...); environment/app_annotations take a dict or pairs; mount_points
    (name, path[, readOnly]) tuples or dicts; ports (name, protocol, port[, socketActivated])
    tuples or dicts; isolators and event_handlers are passed through. exec_=None omits
    exec. `extra` keys are copied verbatim (use them for raw/hostile values)."""
    a = {}
    if exec_ is not None:
        a["exec"] = [str(x) for x in exec_]
    a["user"] = str(user)
    a["group"] = str(group)
    if supplementary_gids is not None:
        a["supplementaryGIDs"] = [int(g) for g in supplementary_gids]
    if working_directory is not None:
        a["workingDirectory"] = working_directory
    if environment is not None:
        a["environment"] = _name_values(environment)
    if isolators is not None:
        a["isolators"] = list(isolators)
    if mount_points is not None:
        a["mountPoints"] = _mount_points(mount_points)
    if ports is not None:
        a["ports"] = _ports(ports)
    if event_handlers is not None:
        a["eventHandlers"] = list(event_handlers)
    if app_annotations is not None:
        a["annotations"] = _name_values(app_annotations)
    a.update(extra)
    return a


def inspect_manifest(name="example.com/inspect", version=INSPECT_VERSION, exec_=("/inspect",),
                     labels=None, annotations=None, dependencies=None, app=True, **app_kw):
    """Image manifest with name, version/os/arch labels and (app=True) an app section built
    by app_section(exec_=exec_, **app_kw)."""
    m = _aci.default_manifest(name, version, labels=labels, app=False)
    if annotations is not None:
        m["annotations"] = _name_values(annotations)
    if dependencies is not None:
        m["dependencies"] = list(dependencies)
    if app:
        m["app"] = app_section(exec_=exec_, **app_kw)
    return m


_APP_KEYS = {"exec_": "exec", "working_directory": "workingDirectory",
             "supplementary_gids": "supplementaryGIDs", "mount_points": "mountPoints",
             "event_handlers": "eventHandlers", "app_annotations": "annotations"}


def patch_manifest(manifest, **app_kw):
    """A copy of `manifest` whose app section is changed like `actool patch-manifest`:
    each app_section() keyword replaces that key (a value of None removes it)."""
    m = copy.deepcopy(manifest)
    app = m.setdefault("app", {})
    for k, v in app_kw.items():
        key = _APP_KEYS.get(k, k)
        if v is None:
            app.pop(key, None)
        elif k == "exec_":
            app[key] = [str(x) for x in v]
        else:
            app[key] = app_section(exec_=None, **{k: v})[key]
    return m


# --------------------------------------------------------------------------- images

def inspect_image(path, name="example.com/inspect", exec_=("/inspect",), *,
                  version=INSPECT_VERSION, busybox=False, files=None, manifest=None,
                  compression=None, labels=None, annotations=None, dependencies=None,
                  **app_kw) -> _aci.Aci:
    """Writes an inspect ACI to `path` and returns its aci.Aci.

    files: extra rootfs entries (None removes one); manifest: a complete manifest (dict,
    str or bytes) instead of the generated one; other keywords go to app_section()."""
    if manifest is None:
        manifest = inspect_manifest(name, version, exec_, labels=labels,
                                    annotations=annotations, dependencies=dependencies,
                                    **app_kw)
    return _aci.build_aci(path, manifest, inspect_rootfs(busybox, extra=files), compression)


def rkt_inspect_manifest():
    """The manifest of rkt's own test base image coreos.com/rkt-inspect (SPEC.md §11.0)."""
    return inspect_manifest(
        "coreos.com/rkt-inspect", INSPECT_VERSION, ("/inspect",),
        annotations={"appc.io/docker/repository": "whatever",
                     "coreos.com/rkt/stage1/run": "/ex/run"},
        working_directory="/",
        environment={"VAR_FROM_MANIFEST": "manifest", "PATH": "/bin"},
        isolators=[
            {"name": "resource/memory", "value": {"request": "25Mi", "limit": "25Mi"}},
            {"name": "resource/cpu", "value": {"request": "50m", "limit": "800m"}},
        ])


def rkt_inspect_image(path, busybox=False, files=None, compression=None,
                      **app_kw) -> _aci.Aci:
    """rkt's coreos.com/rkt-inspect:1.30.0, optionally patched like `actool patch-manifest`
    (app_section keywords, e.g. exec_=[...], user="1000", name=... via files/manifest)."""
    m = rkt_inspect_manifest()
    if app_kw:
        m = patch_manifest(m, **app_kw)
    return _aci.build_aci(path, m, inspect_rootfs(busybox, extra=files), compression)


def empty_image(path, name="coreos.com/rkt-empty", version=INSPECT_VERSION) -> _aci.Aci:
    """An image without an app and with an empty rootfs (rkt's coreos.com/rkt-empty)."""
    return _aci.build_aci(path, _aci.default_manifest(name, version, app=False), {})


STUB_RUN = """#!/bin/sh
# Stub stage1 run entrypoint (SPEC.md §11.0): runs on the host, cwd = the pod directory.
echo "$$" >ppid
echo "success, stub stage1 would at this point switch to stage2"
exit 0
"""
STUB_OTHER = """#!/bin/sh
exit 0
"""


def stub_stage1_image(path, name="localhost/rkt-stub-stage1", version="0.0.1") -> _aci.Aci:
    """rkt's stub stage1: entrypoints run/enter/gc (shell scripts for the host's /bin/sh),
    no interface-version annotation. `run` writes ppid, prints the stub's success line and
    exits 0."""
    m = _aci.default_manifest(name, version, app=False)
    m["annotations"] = [{"name": "coreos.com/rkt/stage1/run", "value": "/run"},
                        {"name": "coreos.com/rkt/stage1/enter", "value": "/enter"},
                        {"name": "coreos.com/rkt/stage1/gc", "value": "/gc"}]
    files = {"run": File(STUB_RUN, mode=0o755), "enter": File(STUB_OTHER, mode=0o755),
             "gc": File(STUB_OTHER, mode=0o755)}
    return _aci.build_aci(path, m, files)


def stage1_image_path(flavor="native") -> Path:
    """The stage1 ACI the build puts beside the uninstalled rkt (src/cli/meson.build)."""
    return BUILD / "src" / "cli" / f"stage1-{flavor}.aci"
