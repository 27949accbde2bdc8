#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds rkt (plain and with ASan+UBSan) and runs every test through pytest: the C unit
# programs (TAP) of both builds and the functional suite, first against the sanitized
# (leak detection only for the unit programs: pods fork and exec)
# binary, then against the plain one; the last line is pytest's summary of that run. Tests
# that never run rkt (marked rkt_free) and slow ones run in the plain pass only.
# Needs root for the functional tests. Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --sanitize
# Debian's python3 has python3-pytest; the first python3 on PATH may be another build.
pytest=(/usr/bin/python3 -m pytest -p no:cacheprovider -q)
echo "== functional suite against the ASan+UBSan build of rkt"
# The stage1s stay unsanitized (they are static binaries that run inside pods, where no
# sanitizer runtime exists): the sanitized rkt finds the plain stage1 images beside it.
asan_dir=$(mktemp -d)
chmod 755 "$asan_dir" # the group tests run it as another user
trap 'rm -rf "$asan_dir"' EXIT
cp build-asan/src/cli/rkt build-asan/src/cli/stage1-*.aci "$asan_dir/"
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        RKT_BIN="$asan_dir/rkt" \
        "${pytest[@]}" tests/functional --deselect tests/functional/test_unit.py \
        -m "not slow and not rkt_free" "$@"
echo "== all tests against the plain build"
"${pytest[@]}" tests/functional "$@"
