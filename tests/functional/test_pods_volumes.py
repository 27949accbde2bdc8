# SPDX-License-Identifier: Apache-2.0
"""Volumes and mounts end to end (SPEC.md §4.3, §11.10): host volumes rw/ro, missing host
source, empty volume mode/uid/gid, mount targets through symlinks (TestMountSymlink),
implicit empty volumes for image mount points, and the same basics with the fly stage1."""
import os

import pytest

from aci import Symlink
from imageutil import rkt_inspect_image
from podtest import flyns, flypods, img, needs_root, pods  # noqa: F401

pytestmark = [pytest.mark.offline, needs_root]


def sh(*inspect_calls):
    """A shell script running /inspect once per argument string, stopping at a failure."""
    return " && ".join(f"/inspect {c}" for c in inspect_calls)


@pytest.fixture
def hostdir(tmp_path):
    d = tmp_path / "hostvol"
    d.mkdir()
    (d / "file").write_text("host")
    return d


def test_image_file_readable_without_volume(pods, img):
    r, _ = pods.run(img.path, "--", "--read-file", "--file-name=/dir1/file")
    assert r.code == 0 and "<<<dir1>>>" in r.out, r


def test_host_volume_rw(pods, img, hostdir):
    r, _ = pods.run(f"--volume=vol,kind=host,source={hostdir}", img.path,
                    "--mount=volume=vol,target=/mnt/vol", "--exec=/bin/sh", "--", "-c",
                    sh("--read-file --file-name=/mnt/vol/file",
                       "--write-file --file-name=/mnt/vol/out --content=2"))
    assert r.code == 0, r
    assert "<<<host>>>" in r.out
    assert (hostdir / "out").read_text() == "2"


@pytest.mark.parametrize("how", ["volume", "mount-point"])
def test_host_volume_ro(pods, mkinspect, hostdir, how):
    if how == "volume":
        image = mkinspect()
        vol = f"--volume=vol,kind=host,source={hostdir},readOnly=true"
    else:
        image = mkinspect(mount_points=[("vol", "/mnt/vol", True)])
        vol = f"--volume=vol,kind=host,source={hostdir}"
    r, _ = pods.run(vol, image.path, "--mount=volume=vol,target=/mnt/vol", "--",
                    "--read-file", "--file-name=/mnt/vol/file")
    assert r.code == 0 and "<<<host>>>" in r.out, r
    r, _ = pods.run(vol, image.path, "--mount=volume=vol,target=/mnt/vol", "--",
                    "--write-file", "--file-name=/mnt/vol/out", "--content=x")
    assert r.code == 254, r
    assert ('Cannot write to file "/mnt/vol/out": open /mnt/vol/out: read-only file system'
            in r.err)
    assert not (hostdir / "out").exists()


def test_host_volume_file_source(pods, img, hostdir):
    r, _ = pods.run(f"--volume=f,kind=host,source={hostdir / 'file'}", img.path,
                    "--mount=volume=f,target=/new/dir/file.txt", "--", "--read-file",
                    "--file-name=/new/dir/file.txt")
    assert r.code == 0 and "<<<host>>>" in r.out, r


def test_missing_host_source_fails(pods, img, tmp_path):
    missing = tmp_path / "does-not-exist"
    r, uuid = pods.run(f"--volume=v,kind=host,source={missing}", img.path,
                       "--mount=volume=v,target=/v")
    assert r.code == 1, r
    assert f"Failed to stat {missing}: No such file or directory" in r.err
    assert not missing.exists()


def test_empty_volume_mode_uid_gid(pods, img):
    r, _ = pods.run("--volume=e,kind=empty,mode=0123,uid=9991,gid=9992", img.path,
                    "--mount=volume=e,target=/a/b/c", "--", "--stat-file",
                    "--file-name=/a/b/c")
    assert r.code == 0, r
    assert "/a/b/c: mode: d--x-w--wx" in r.out
    assert "/a/b/c: user: 9991" in r.out and "/a/b/c: group: 9992" in r.out


def test_mount_target_parents_are_created_plain_0755(pods, img):
    # SPEC.md §11.10: missing components of a target are created drwxr-xr-x (root:root).
    # BUG (native stage1): /a/b comes out as dgrwxr-xr-x with group "rkt" (the setgid bit
    # and group of the pod directory leak into the app's rootfs).
    r, _ = pods.run("--volume=e,kind=empty", img.path, "--mount=volume=e,target=/a/b/c",
                    "--exec=/bin/sh", "--", "-c",
                    sh("--stat-file --file-name=/a/b", "--stat-file --file-name=/a/b/c"))
    assert r.code == 0, r
    assert "/a/b/c: mode: drwxr-xr-x" in r.out and "/a/b/c: user: 0" in r.out
    assert "/a/b: mode: drwxr-xr-x" in r.out and "/a/b: group: 0" in r.out, r


def test_empty_volume_with_readonly_rootfs(pods, img):
    r, _ = pods.run("--volume=e,kind=empty", img.path, "--readonly-rootfs=true",
                    "--mount=volume=e,target=/data", "--", "--write-file",
                    "--file-name=/data/f", "--content=rw-in-ro", "--read-file")
    assert r.code == 0 and "<<<rw-in-ro>>>" in r.out, r


def test_duplicate_mount_targets_first_wins(pods, img, tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    for d, t in ((a, "A"), (b, "B")):
        d.mkdir()
        (d / "f").write_text(t)
    r, _ = pods.run(f"--volume=a,kind=host,source={a}", f"--volume=b,kind=host,source={b}",
                    img.path, "--mount=volume=a,target=/mnt", "--mount=volume=b,target=/mnt/",
                    "--", "--read-file", "--file-name=/mnt/f")
    assert r.code == 0 and "<<<A>>>" in r.out, r


def test_dangling_mount_is_refused(pods, img):
    r, _ = pods.run(img.path, "--mount=volume=nope,target=/x")
    assert r.code == 254, r
    assert 'dangling mount point "/x": volume "nope" not found' in r.err


# --------------------------------------------------------------------------- symlinks

@pytest.mark.parametrize("target,inside", [
    ("/dir1/link_abs_dir2/foo", "/dir2/foo"),
    ("/dir1/link_rel_dir2/foo", "/dir2/foo"),
    ("/dir1/link_abs_dotdot_dir2/foo", "/dir2/foo"),
    ("/dir1/link_abs_root/dir2/foo", "/dir2/foo"),
    ("/dir1/link_abs_notexists/foo", "/notexists/foo"),
    # BUG: a target starting with ".." beyond the root makes the native stage1 init
    # segfault (exit 139), src/stage1/native (mount target resolution)
    ("/../../../dir2/foo", "/dir2/foo"),
    ("../x", "/x"),
    ("dir1/../dir2/foo", "/dir2/foo"),
])
def test_mount_symlink_stays_in_root(pods, img, hostdir, target, inside):
    r, _ = pods.run(f"--volume=v,kind=host,source={hostdir}", img.path,
                    f"--mount=volume=v,target={target}", "--", "--read-file",
                    f"--file-name={inside}/file")
    assert r.code == 0, r
    assert "<<<host>>>" in r.out


def test_mount_symlink_to_host_path_is_not_followed_outside(pods, mkinspect, hostdir,
                                                             tmp_path):
    # the image holds /escape -> <a host directory>: the mount must land inside the app's
    # root at <root>/<that path>, and the host directory must stay untouched
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sentinel").write_text("untouched")
    image = mkinspect(files={"escape": Symlink(str(outside)),
                             "up": Symlink("../../../../../../.." + str(outside))})
    for target in ("/escape/mnt", "/up/mnt"):
        r, _ = pods.run(f"--volume=v,kind=host,source={hostdir}", image.path,
                        f"--mount=volume=v,target={target}", "--", "--read-file",
                        f"--file-name={outside}/mnt/file")
        assert r.code == 0 and "<<<host>>>" in r.out, r
        assert sorted(os.listdir(outside)) == ["sentinel"], target
        assert (outside / "sentinel").read_text() == "untouched"


# --------------------------------------------------------------------------- implicit

def test_implicit_empty_volume_for_mount_point(pods, mkinspect):
    image = mkinspect(mount_points=[("data", "/var/data")], busybox=True)
    r, uuid = pods.run(image.path, "--exec=/bin/sh", "--", "-c",
                       sh("--write-file --read-file --file-name=/var/data/f --content=implicit",
                          "--stat-file --file-name=/var/data"))
    assert r.code == 0, r
    assert ('warning: no volume specified for mount point "data", implicitly creating an '
            '"empty" volume. This volume will be removed when the pod is garbage-collected.'
            in r.err)
    assert "/var/data: mode: drwxr-xr-x" in r.out
    shared = pods.dir / "pods" / "run" / uuid / "sharedVolumes" / "inspect-data"
    assert (shared / "f").read_text() == "implicit"


def test_docker_volume_semantics_prefill(pods, img):
    # rkt-inspect carries appc.io/docker/repository: the implicit volume is pre-filled
    image = rkt_inspect_image(pods.tmp / "docker.aci", mount_points=[("d1", "/dir1")])
    r, _ = pods.run(image.path, "--", "--read-file", "--file-name=/dir1/file")
    assert r.code == 0 and "<<<dir1>>>" in r.out, r


def test_volume_for_image_mount_point(pods, mkinspect, hostdir):
    image = mkinspect(mount_points=[("data", "/var/data")])
    r, _ = pods.run(f"--volume=data,kind=host,source={hostdir}", image.path, "--",
                    "--read-file", "--file-name=/var/data/file")
    assert r.code == 0 and "<<<host>>>" in r.out, r
    assert "implicitly creating" not in r.err


# --------------------------------------------------------------------------- fly

def test_fly_host_volume_rw_ro(flypods, img, hostdir):
    r, _ = flypods.run(f"--volume=rw,kind=host,source={hostdir}",
                       f"--volume=ro,kind=host,source={hostdir},readOnly=true", img.path,
                       "--mount=volume=rw,target=/rw", "--mount=volume=ro,target=/ro",
                       "--exec=/bin/sh", "--", "-c",
                       sh("--read-file --file-name=/ro/file",
                          "--write-file --file-name=/rw/fly-out --content=fly"))
    assert r.code == 0 and "<<<host>>>" in r.out, r
    assert (hostdir / "fly-out").read_text() == "fly"
    r, _ = flypods.run(f"--volume=ro,kind=host,source={hostdir},readOnly=true", img.path,
                       "--mount=volume=ro,target=/ro", "--", "--write-file",
                       "--file-name=/ro/x", "--content=x")
    assert r.code == 254 and "read-only file system" in r.err, r


def test_fly_mount_symlink_stays_in_root(flypods, img, hostdir):
    r, _ = flypods.run(f"--volume=v,kind=host,source={hostdir}", img.path,
                       "--mount=volume=v,target=/dir1/link_abs_root/../../../dir2/foo", "--",
                       "--read-file", "--file-name=/dir2/foo/file")
    assert r.code == 0 and "<<<host>>>" in r.out, r
