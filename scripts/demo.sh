#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: build rkt, build the bundled example image, fetch it into the store, list
# the store, run the image in a pod and show its output, list and garbage-collect the pod.
# Run as root. The pod gets rkt's default network (a veth on 172.16.28.0/24), which gc
# removes again.
# RKT_DIR=... uses another data directory (default: rkt's own, /var/lib/rkt).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
aci=$(examples/build-example-aci.sh)
rkt=build/src/cli/rkt
dir_flag=()
[ -n "${RKT_DIR:-}" ] && dir_flag=(--dir="$RKT_DIR")
set -x
"$rkt" "${dir_flag[@]}" --insecure-options=image fetch "$aci"
"$rkt" "${dir_flag[@]}" image list
"$rkt" "${dir_flag[@]}" image cat-manifest example.com/hello:1.0.0
"$rkt" "${dir_flag[@]}" --insecure-options=image run example.com/hello:1.0.0
"$rkt" "${dir_flag[@]}" list
"$rkt" "${dir_flag[@]}" gc --grace-period=0s
"$rkt" "${dir_flag[@]}" image list
