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
        # the sanitized rkt bundles the plain build's stage1 images (static, unsanitized
        # binaries that run inside pods), so the IDs compiled into it are theirs
        opts=(-Db_sanitize=address,undefined -Dprebuilt-stage1="$(pwd)/build/src/cli")
        if [ ! -f build-asan/build.ninja ]; then
                meson setup build-asan "${opts[@]}" >/dev/null
        elif ! meson configure build-asan "${opts[@]}" >/dev/null 2>&1; then
                meson setup --reconfigure build-asan "${opts[@]}" >/dev/null # a new option
        fi
        ninja -C build-asan >/dev/null
        echo "built: $(pwd)/build-asan (ASan, UBSan)"
fi
