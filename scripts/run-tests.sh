#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds rkt (plain and with ASan+UBSan) and runs every test through pytest: the C unit
# programs (TAP) of both builds and the functional suite, first against the sanitized
# binary, then against the plain one; the last line is pytest's summary of that run.
# Needs root for the functional tests. Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --sanitize
# Debian's python3 has python3-pytest; the first python3 on PATH may be another build.
pytest=(/usr/bin/python3 -m pytest -p no:cacheprovider -q)
echo "== functional suite against the ASan+UBSan build"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        RKT_BIN="$(pwd)/build-asan/src/cli/rkt" \
        "${pytest[@]}" tests/functional --deselect tests/functional/test_unit.py "$@"
echo "== all tests against the plain build"
exec "${pytest[@]}" tests/functional "$@"
