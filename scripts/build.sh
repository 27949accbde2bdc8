#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures (once) and builds rkt into ./build. With --sanitize, also builds the tree with
# AddressSanitizer and UndefinedBehaviorSanitizer into ./build-asan (the unit tests run
# from there too).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
echo "built: $(pwd)/build/src/cli/rkt"
if [ "${1:-}" = --sanitize ]; then
        [ -f build-asan/build.ninja ] ||
                meson setup build-asan -Db_sanitize=address,undefined >/dev/null
        ninja -C build-asan >/dev/null
        echo "built: $(pwd)/build-asan (ASan, UBSan)"
fi
