#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Packs stage1 entrypoint executables into a reproducible, gzip-compressed stage1 ACI
# (SPEC.md §7.1-7.2, DESIGN.md §3). Called by the build (src/cli/meson.build).
#
# usage: build-aci.sh OUTPUT IMAGE-NAME VERSION FLAVOR INTERFACE-VERSION NAME=PATH...
#
#   OUTPUT             the .aci file to write (replaced atomically)
#   IMAGE-NAME         e.g. coreos.com/rkt/stage1-native
#   VERSION            value of the "version" label (the rkt version)
#   FLAVOR             target of the rootfs "flavor" symlink (native, fly, ...)
#   INTERFACE-VERSION  value of coreos.com/rkt/stage1/interface-version ("" = omit)
#   NAME=PATH          an entrypoint: the executable PATH is stored as /NAME (mode 0755;
#                      a PATH given for several names is stored once, hard-linked)
#                      and named by its annotation:
#                        init, run            -> coreos.com/rkt/stage1/run
#                        enter, enter_kvm     -> coreos.com/rkt/stage1/enter
#                        gc                   -> coreos.com/rkt/stage1/gc
#                        stop, stop_kvm       -> coreos.com/rkt/stage1/stop
#                        app_add, app_rm, app_start, app_stop
#                                             -> coreos.com/rkt/stage1/app/{add,rm,start,stop}
#                        attach               -> coreos.com/rkt/stage1/attach
#                      any other NAME is stored as a plain file without an annotation.
#   file:DEST=PATH     a data file: PATH is stored as rootfs/DEST (mode 0644)
#
# The archive is the same bytes for the same inputs: manifest first, then rootfs/ sorted
# by name, fixed mtime, uid/gid 0 with no owner names, ustar format, gzip -n.
set -euo pipefail

die() {
        echo "build-aci.sh: $*" >&2
        exit 1
}

[ "$#" -ge 6 ] || die "usage: build-aci.sh OUTPUT IMAGE-NAME VERSION FLAVOR INTERFACE-VERSION NAME=PATH..."
output=$1
image_name=$2
version=$3
flavor=$4
iface=$5
shift 5

# Fixed timestamp for every member (reproducible builds honour SOURCE_DATE_EPOCH).
mtime=${SOURCE_DATE_EPOCH:-1500000000}

case "$image_name" in
*[!a-z0-9./-]* | "" | [./-]* | *[./-]) die "invalid image name \"$image_name\"" ;;
esac
case "$flavor" in
*[!A-Za-z0-9._-]* | "") die "invalid flavor \"$flavor\"" ;;
esac
case "$iface" in
*[!0-9]*) die "invalid interface version \"$iface\"" ;;
esac

json_string() {
        # A JSON string literal for $1 (the values here are names and paths: escape what
        # JSON requires and refuse control characters).
        local s=$1
        case "$s" in *[[:cntrl:]]*) die "control character in \"$s\"" ;; esac
        s=${s//\\/\\\\}
        s=${s//\"/\\\"}
        printf '"%s"' "$s"
}

annotation_for() {
        case "$1" in
        init | run) echo coreos.com/rkt/stage1/run ;;
        enter | enter_kvm) echo coreos.com/rkt/stage1/enter ;;
        gc) echo coreos.com/rkt/stage1/gc ;;
        stop | stop_kvm) echo coreos.com/rkt/stage1/stop ;;
        app_add) echo coreos.com/rkt/stage1/app/add ;;
        app_rm) echo coreos.com/rkt/stage1/app/rm ;;
        app_start) echo coreos.com/rkt/stage1/app/start ;;
        app_stop) echo coreos.com/rkt/stage1/app/stop ;;
        attach) echo coreos.com/rkt/stage1/attach ;;
        *) echo "" ;;
        esac
}

outdir=$(dirname -- "$output")
mkdir -p -- "$outdir"
work=$(mktemp -d "$outdir/.build-aci.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
umask 022

root=$work/rootfs
mkdir -p "$root"
# (sys/fs/cgroup, rkt/inaccessible-*: mount points and bind sources the native stage1 would
# otherwise create in the pod's overlay, each a new inode on every run)
for d in opt/stage2 rkt/status rkt/env etc sys/fs/cgroup; do
        mkdir -p "$root/$d"
done
ln -s "$flavor" "$root/flavor"

declare -A annotations=()
declare -A seen=()
declare -A installed=()
for pair in "$@"; do
        case "$pair" in
        file:*=*)
                dest=${pair#file:}
                dest=${dest%%=*}
                case "$dest" in
                /* | *..* | "" | *[!A-Za-z0-9._/-]*) die "invalid file destination \"$dest\"" ;;
                esac
                [ -f "${pair#*=}" ] || die "file \"$dest\": \"${pair#*=}\" is not a file"
                install -D -m 0644 -- "${pair#*=}" "$root/$dest"
                continue
                ;;
        esac
        name=${pair%%=*}
        path=${pair#*=}
        [ "$name" != "$pair" ] && [ -n "$name" ] && [ -n "$path" ] ||
                die "entrypoint \"$pair\" is not NAME=PATH"
        case "$name" in
        *[!A-Za-z0-9_-]*) die "invalid entrypoint name \"$name\"" ;;
        esac
        [ -z "${seen[$name]:-}" ] || die "entrypoint \"$name\" given twice"
        seen[$name]=1
        [ -f "$path" ] && [ -x "$path" ] || die "entrypoint \"$name\": \"$path\" is not an executable file"
        if [ -n "${installed[$path]:-}" ]; then
                # the same executable under several names: one file, hard links
                ln -- "$root/${installed[$path]}" "$root/$name"
        else
                install -m 0755 -- "$path" "$root/$name"
                installed[$path]=$name
        fi
        ann=$(annotation_for "$name")
        if [ -n "$ann" ]; then
                [ -z "${annotations[$ann]:-}" ] || die "two entrypoints for $ann"
                annotations[$ann]=/$name
        fi
done
[ -n "${annotations[coreos.com/rkt/stage1/run]:-}" ] ||
        die "no run entrypoint (pass init=PATH or run=PATH)"

# Manifest: annotations in a fixed order (run, enter, gc, stop, app/*, attach, then the
# interface version), as the bundled rkt stage1s list them.
{
        printf '{\n'
        printf '    "acKind": "ImageManifest",\n'
        printf '    "acVersion": "0.8.11",\n'
        printf '    "name": %s,\n' "$(json_string "$image_name")"
        printf '    "labels": [\n'
        printf '        {"name": "version", "value": %s},\n' "$(json_string "$version")"
        printf '        {"name": "os", "value": "linux"},\n'
        printf '        {"name": "arch", "value": "amd64"}\n'
        printf '    ],\n'
        printf '    "annotations": [\n'
        first=1
        for ann in run enter gc stop app/add app/rm app/start app/stop attach; do
                key=coreos.com/rkt/stage1/$ann
                [ -n "${annotations[$key]:-}" ] || continue
                [ "$first" = 1 ] || printf ',\n'
                first=0
                printf '        {"name": "%s", "value": %s}' "$key" "$(json_string "${annotations[$key]}")"
        done
        if [ -n "$iface" ]; then
                printf ',\n        {"name": "coreos.com/rkt/stage1/interface-version", "value": "%s"}' "$iface"
        fi
        printf '\n    ]\n'
        printf '}\n'
} >"$work/manifest"
chmod 0644 "$work/manifest"

# Directories 0755, regular files keep 0644/0755 (umask 022 above; install -m 0755).
find "$root" -type d -exec chmod 0755 {} +

tar --create --file="$work/image.tar" --directory="$work" \
        --format=ustar --sort=name --numeric-owner --owner=0 --group=0 \
        --mtime="@$mtime" --no-recursion \
        manifest rootfs $(cd "$work" && find rootfs -mindepth 1 | LC_ALL=C sort)
# Mode 0000 entries (stored with --mode, so building needs no root): what the native
# stage1 bind-mounts over paths that must look inaccessible (SPEC.md §11.11).
mkdir "$root/rkt/inaccessible-dir"
: >"$root/rkt/inaccessible-file"
tar --append --file="$work/image.tar" --directory="$work" \
        --format=ustar --numeric-owner --owner=0 --group=0 --mode=0000 \
        --mtime="@$mtime" --no-recursion \
        rootfs/rkt/inaccessible-dir rootfs/rkt/inaccessible-file
gzip -n -9 -c "$work/image.tar" >"$work/image.aci"
mv -f -- "$work/image.aci" "$output"
