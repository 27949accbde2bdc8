#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: build rkt, build the bundled example image, fetch it into the store, list
# the store and extract the image. Run as root (rkt renders fetched images as root).
# RKT_DIR=... uses another data directory (default: rkt's own, /var/lib/rkt).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
aci=$(examples/build-example-aci.sh)
rkt=build/src/cli/rkt
dir_flag=()
[ -n "${RKT_DIR:-}" ] && dir_flag=(--dir="$RKT_DIR")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

set -x
"$rkt" "${dir_flag[@]}" --insecure-options=image fetch "$aci"
"$rkt" "${dir_flag[@]}" image list
"$rkt" "${dir_flag[@]}" image cat-manifest example.com/hello:1.0.0
"$rkt" "${dir_flag[@]}" image extract --rootfs-only example.com/hello "$out/hello"
ls -l "$out/hello/bin" | head -5
"$out/hello/bin/busybox" echo "busybox from the extracted image runs"
