# SPDX-License-Identifier: Apache-2.0
"""Builds ACI files at test time (stdlib tarfile; zstd through the `zstd` tool).

An ACI is a tar archive holding `manifest` and `rootfs/` (SPEC.md §5.1). The helpers here
produce deterministic archives (fixed mtime, owners and member order), so the image ID of
a given description is stable from run to run, and can also produce hostile archives:
raw members are written exactly as given (absolute names, `..`, links anywhere, duplicate
entries, device nodes), and the finished bytes can be truncated or corrupted.

    aci = build_aci(tmp / "a.aci", default_manifest("example.com/a"),
                    {"bin/tool": File(b"...", mode=0o755), "etc": Dir()}, compression="gz")
    aci.key     # "sha512-" + 64 hex: the ID rkt must print with `fetch --full`
"""
import bz2
import gzip
import hashlib
import json
import lzma
import subprocess
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

MTIME = 1500000000
APPC_VERSION = "0.8.11"
COMPRESSIONS = (None, "gz", "bz2", "xz", "zst")


# --------------------------------------------------------------------------- entries

@dataclass
class File:
    content: Union[bytes, str] = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    xattrs: Optional[dict] = None  # name -> bytes, written as PAX SCHILY.xattr.<name>


@dataclass
class Dir:
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    xattrs: Optional[dict] = None


@dataclass
class Sparse:
    """A PAX (GNU 1.0) sparse file of apparent size `size` whose only data are the
    (offset, bytes) segments; everything else is a hole."""
    size: int
    segments: tuple = ()
    mode: int = 0o644


@dataclass
class Symlink:
    target: str
    uid: int = 0
    gid: int = 0


@dataclass
class Hardlink:
    """Hard link to another rootfs path (given relative to rootfs, like the dict keys).
    With raw=True `target` is written verbatim as the member's linkname."""
    target: str
    raw: bool = False


@dataclass
class Fifo:
    mode: int = 0o600


@dataclass
class CharDev:
    major: int
    minor: int
    mode: int = 0o600


@dataclass
class BlockDev:
    major: int
    minor: int
    mode: int = 0o660


@dataclass
class Raw:
    """A tar member written exactly as described (no name normalisation at all)."""
    name: str
    type: bytes = tarfile.REGTYPE
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    devmajor: int = 0
    devminor: int = 0
    size: Optional[int] = None  # declared size; defaults to len(data)


# --------------------------------------------------------------------------- manifests

def default_manifest(name, version="1.0.0", labels=None, exec_=("/bin/true",), app=True,
                     **extra):
    """The default test manifest: name, version/os/arch labels, app running /bin/true."""
    lab = [{"name": "version", "value": version}] if version is not None else []
    lab += [{"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"}]
    for k, v in (labels or {}).items():
        lab.append({"name": k, "value": v})
    m = {"acKind": "ImageManifest", "acVersion": APPC_VERSION, "name": name, "labels": lab}
    if app:
        a = {"user": "0", "group": "0"}
        if exec_ is not None:
            a = {"exec": list(exec_), **a}
        m["app"] = a
    m.update(extra)
    return m


def manifest_bytes(manifest) -> Optional[bytes]:
    if manifest is None:
        return None
    if isinstance(manifest, bytes):
        return manifest
    if isinstance(manifest, str):
        return manifest.encode()
    return json.dumps(manifest, indent=2).encode()


# --------------------------------------------------------------------------- tar building

def _info(name, type_, mode=0o644, uid=0, gid=0, size=0, linkname="", devmajor=0, devminor=0):
    ti = tarfile.TarInfo(name)
    ti.type = type_
    ti.mode = mode
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    ti.mtime = MTIME
    ti.size = size
    ti.linkname = linkname
    ti.devmajor, ti.devminor = devmajor, devminor
    return ti


def xattr_pax(xattrs) -> dict:
    """PAX records for xattrs (binary values survive through surrogateescape)."""
    return {"SCHILY.xattr." + k: (v if isinstance(v, str) else v.decode("utf-8", "surrogateescape"))
            for k, v in (xattrs or {}).items()}


def sparse_member(name, size, segments, mode=0o644):
    """(TarInfo, data) of a PAX 1.0 sparse member, as GNU tar --sparse --format=pax writes:
    the map (count, then offset/length pairs, one number a line, padded to a block) and
    then the data of the segments."""
    segs = sorted(segments)
    lines = [str(len(segs))]
    for off, data in segs:
        lines += [str(off), str(len(data))]
    smap = ("\n".join(lines) + "\n").encode()
    smap += b"\0" * ((-len(smap)) % tarfile.BLOCKSIZE)
    data = smap + b"".join(d for _, d in segs)
    ti = _info(name, tarfile.REGTYPE, mode, size=len(data))
    ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                      "GNU.sparse.name": name, "GNU.sparse.realsize": str(size)}
    ti.name = "GNUSparseFile.0/" + name.rsplit("/", 1)[-1]
    return ti, data


def _norm(path: str) -> str:
    return path.strip("/")


def _file_members(files: dict, rootfs_entry: bool):
    """(TarInfo, data) pairs for a {rootfs-relative path: entry} description; missing parent
    directories are added (0755) before their children."""
    members = []
    if rootfs_entry:
        members.append((_info("rootfs", tarfile.DIRTYPE, 0o755), b""))
    seen_dirs = set()
    declared = {_norm(k): v for k, v in (files or {}).items()}

    def ensure_parents(rel):
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d in seen_dirs:
                continue
            seen_dirs.add(d)
            spec = declared.get(d)
            if spec is not None:
                continue  # emitted in its own place (a Dir, or a Symlink to follow)
            members.append((_info("rootfs/" + d, tarfile.DIRTYPE, 0o755), b""))

    for rel, spec in declared.items():
        ensure_parents(rel)
        name = "rootfs/" + rel
        if isinstance(spec, (bytes, str)):
            spec = File(spec)
        if isinstance(spec, File):
            data = spec.content.encode() if isinstance(spec.content, str) else spec.content
            ti = _info(name, tarfile.REGTYPE, spec.mode, spec.uid, spec.gid, len(data))
            ti.pax_headers = xattr_pax(spec.xattrs)
            members.append((ti, data))
        elif isinstance(spec, Dir):
            seen_dirs.add(rel)
            ti = _info(name, tarfile.DIRTYPE, spec.mode, spec.uid, spec.gid)
            ti.pax_headers = xattr_pax(spec.xattrs)
            members.append((ti, b""))
        elif isinstance(spec, Sparse):
            members.append(sparse_member(name, spec.size, spec.segments, spec.mode))
        elif isinstance(spec, Symlink):
            members.append((_info(name, tarfile.SYMTYPE, 0o777, spec.uid, spec.gid,
                                  linkname=spec.target), b""))
        elif isinstance(spec, Hardlink):
            target = spec.target if spec.raw else "rootfs/" + _norm(spec.target)
            members.append((_info(name, tarfile.LNKTYPE, 0o644, linkname=target), b""))
        elif isinstance(spec, Fifo):
            members.append((_info(name, tarfile.FIFOTYPE, spec.mode), b""))
        elif isinstance(spec, CharDev):
            members.append((_info(name, tarfile.CHRTYPE, spec.mode, devmajor=spec.major,
                                  devminor=spec.minor), b""))
        elif isinstance(spec, BlockDev):
            members.append((_info(name, tarfile.BLKTYPE, spec.mode, devmajor=spec.major,
                                  devminor=spec.minor), b""))
        else:
            raise TypeError(f"unknown entry type for {rel}: {spec!r}")
    return members


def _raw_member(r: Raw):
    ti = _info(r.name, r.type, r.mode, r.uid, r.gid, len(r.data) if r.size is None else r.size,
               r.linkname, r.devmajor, r.devminor)
    return ti, r.data


def _header(ti) -> bytes:
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def build_tar(manifest=None, files=None, manifest_position="first", extra_members=(),
              rootfs_entry=True, name_prefix="") -> bytes:
    """Returns the bytes of an (uncompressed) ACI tar.

    manifest: dict (serialised as indented JSON), str/bytes (written verbatim) or None (no
    manifest member). manifest_position: "first", "middle", "last" or an index into the
    member list. extra_members: Raw objects or (TarInfo, bytes) pairs appended after the
    rootfs entries, written verbatim (their data is written even when it does not match
    the declared size). name_prefix (e.g. "./") is prepended to every generated name."""
    members = [(ti, data, False) for ti, data in _file_members(files, rootfs_entry)]
    for m in extra_members:
        ti, data = _raw_member(m) if isinstance(m, Raw) else m
        members.append((ti, data, True))
    mb = manifest_bytes(manifest)
    if mb is not None:
        entry = (_info("manifest", tarfile.REGTYPE, 0o644, size=len(mb)), mb, False)
        if manifest_position == "first":
            idx = 0
        elif manifest_position == "last":
            idx = len(members)
        elif manifest_position == "middle":
            idx = max(1, len(members) // 2)
            if idx >= len(members):
                raise ValueError("need at least two other members for a middle manifest")
        else:
            idx = int(manifest_position)
        members.insert(idx, entry)
    out = bytearray()
    for ti, data, raw in members:
        if name_prefix and not raw:
            ti.name = name_prefix + ti.name
            if ti.type == tarfile.LNKTYPE and ti.linkname.startswith("rootfs/"):
                ti.linkname = name_prefix + ti.linkname
        out += _header(ti)
        out += data
        out += b"\0" * ((-len(data)) % tarfile.BLOCKSIZE)
    out += b"\0" * (2 * tarfile.BLOCKSIZE)
    out += b"\0" * ((-len(out)) % tarfile.RECORDSIZE)
    return bytes(out)


# --------------------------------------------------------------------------- compression

def compress(data: bytes, kind) -> bytes:
    if kind is None:
        return data
    if kind == "gz":
        return gzip.compress(data, compresslevel=1 if len(data) > (16 << 20) else 6, mtime=0)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    if kind == "zst":
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True,
                              check=True).stdout
    raise ValueError(f"unknown compression {kind!r}")


def image_id(tar_bytes: bytes) -> str:
    return "sha512-" + hashlib.sha512(tar_bytes).hexdigest()[:64]


def tree_store_id(keys) -> str:
    """Tree store entry for an image and its dependencies (image first), SPEC.md §6.1."""
    return "deps-sha512-" + hashlib.sha512(",".join(keys).encode()).hexdigest()[:64]


@dataclass
class Aci:
    path: Path
    key: str
    tar: bytes = field(repr=False)
    manifest: object = field(repr=False, default=None)

    @property
    def short(self):  # as printed by `fetch`
        return self.key[:39]

    @property
    def short19(self):  # as printed by `image list`
        return self.key[:19]

    @property
    def hexid(self):
        return self.key[len("sha512-"):]

    @property
    def tree_id(self):
        return tree_store_id([self.key])


def build_aci(path, manifest=None, files=None, compression=None, manifest_position="first",
              extra_members=(), rootfs_entry=True, name_prefix="") -> Aci:
    """Writes an ACI to `path` and returns its description (ID = sha512 of the tar)."""
    if manifest is None and files is None:
        raise ValueError("pass a manifest (or explicitly build a manifest-less archive)")
    tar = build_tar(manifest, files, manifest_position, extra_members, rootfs_entry,
                    name_prefix)
    path = Path(path)
    path.write_bytes(compress(tar, compression))
    m = manifest if isinstance(manifest, dict) else None
    return Aci(path, image_id(tar), tar, m)


def simple_aci(path, name, version="1.0.0", files=None, compression=None, **mkw) -> Aci:
    files = {"hello.txt": File(f"hello from {name} {version}\n")} if files is None else files
    return build_aci(path, default_manifest(name, version, **mkw), files, compression)


# --------------------------------------------------------------------------- damage

def truncated(data: bytes, keep: int) -> bytes:
    return data[:keep]


def corrupt_gzip_stream(gz: bytes) -> bytes:
    """Makes the first deflate block header invalid (BTYPE=11, reserved): any inflater
    must report an error instead of producing data."""
    assert gz[:2] == b"\x1f\x8b" and gz[3] == 0, "expects a gzip member without optional fields"
    b = bytearray(gz)
    b[10] = 0x07
    return bytes(b)


def garbage(size=4096) -> bytes:
    # Deterministic bytes that sniff as no known format.
    return bytes((i * 7 + 13) % 251 for i in range(size))


# --------------------------------------------------------------------------- big images

def write_gzip_bomb(path, manifest, payload_size, member="rootfs/zeros"):
    """Writes a gzip'ed ACI whose single rootfs file is `payload_size` zero bytes, without
    ever holding the payload in memory."""
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    mb = manifest_bytes(manifest)
    out = open(path, "wb")
    try:
        def w(b):
            out.write(comp.compress(b))
        for ti, data in ((_info("manifest", tarfile.REGTYPE, size=len(mb)), mb),
                         (_info("rootfs", tarfile.DIRTYPE, 0o755), b"")):
            w(_header(ti))
            if data:
                w(data + b"\0" * ((-len(data)) % tarfile.BLOCKSIZE))
        ti = _info(member, tarfile.REGTYPE, size=payload_size)
        w(_header(ti))
        chunk = bytes(1 << 20)
        left = payload_size
        while left > 0:
            n = min(left, len(chunk))
            w(chunk[:n])
            left -= n
        w(b"\0" * ((-payload_size) % tarfile.BLOCKSIZE))
        w(b"\0" * (2 * tarfile.BLOCKSIZE))
        out.write(comp.flush())
    finally:
        out.close()


def random_files(seed, count, size, prefix="data"):
    """`count` files of `size` pseudo-random (incompressible) bytes, deterministic per seed."""
    import random
    r = random.Random(seed)
    return {f"{prefix}/f{i:04d}.bin": File(r.randbytes(size)) for i in range(count)}


def sample_files():
    """A small rootfs exercising the common entry types."""
    return {
        "bin/tool": File(b"#!/bin/sh\necho tool\n", mode=0o755),
        "bin/tool-hardlink": Hardlink("bin/tool"),
        "etc": Dir(0o755),
        "etc/config": File("key=value\n", mode=0o600, uid=1000, gid=1001),
        "etc/link-abs": Symlink("/bin/tool"),
        "etc/link-rel": Symlink("../bin/tool"),
        "etc/dangling": Symlink("/does/not/exist"),
        "srv": Dir(0o750, uid=1000, gid=1000),
        "srv/data": File(bytes(range(256)) * 64),
        "empty": File(b""),
    }
