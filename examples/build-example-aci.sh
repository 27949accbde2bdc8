#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds the bundled example ACI (example.com/hello) from Debian's busybox-static.
# The output is reproducible: sorted entries, mtime 0, owner 0:0, gzip without a name or
# timestamp. Does not need root.
#
# Usage: examples/build-example-aci.sh [OUTPUT]
#   OUTPUT defaults to build/examples/hello.aci in the source tree; BUSYBOX=path overrides
#   /bin/busybox.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$srcdir/build/examples/hello.aci}
busybox=${BUSYBOX:-/bin/busybox}
applets=(sh echo uname cat ls httpd env id hostname sleep true false ps mount)

die() {
        echo "build-example-aci: $*" >&2
        exit 1
}

[[ -x $busybox ]] || die "$busybox not found (apt-get install busybox-static)"
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
        die "$busybox is not statically linked (apt-get install busybox-static)"
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

write_manifest() {
        cat >"$staging/manifest" <<'JSON'
{
    "acKind": "ImageManifest",
    "acVersion": "0.8.11",
    "name": "example.com/hello",
    "labels": [
        {"name": "version", "value": "1.0.0"},
        {"name": "os", "value": "linux"},
        {"name": "arch", "value": "amd64"}
    ],
    "app": {
        "exec": ["/bin/sh", "-c", "echo Hello from rkt in C; uname -s"],
        "user": "0",
        "group": "0",
        "environment": [
            {"name": "PATH", "value": "/bin"}
        ],
        "ports": [
            {"name": "http", "protocol": "tcp", "port": 8080}
        ]
    }
}
JSON
}

write_rootfs() {
        local root=$staging/rootfs

        mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/www"
        cp "$busybox" "$root/bin/busybox"
        for a in "${applets[@]}"; do
                ln -s busybox "$root/bin/$a"
        done
        echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
        echo 'root:x:0:' >"$root/etc/group"
        echo 'Hello from rkt in C' >"$root/var/www/index.html"
        # Fixed permissions, whatever the caller's umask.
        find "$staging" -type d -exec chmod 0755 {} +
        find "$staging" -type f -exec chmod 0644 {} +
        chmod 0755 "$root/bin/busybox"
        chmod 1777 "$root/tmp"
}

write_manifest
write_rootfs
mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
        -C "$staging" -cf - manifest rootfs | gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
