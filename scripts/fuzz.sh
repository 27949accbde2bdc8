#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzzes the targets of tests/fuzz (README.md there) with libFuzzer: builds them with clang,
# -fsanitize=fuzzer,address,undefined into ./build-fuzz (once configured, only rebuilt), then
# runs each target (or TARGET alone) for SECONDS (default 60) on one core, starting from its
# corpus in the tree. New inputs go to build-fuzz/corpus/TARGET, crashes to
# build-fuzz/crashes/TARGET (the script exits non-zero when a target crashed); nothing in
# the tree changes. With --merge, instead of fuzzing, adds to tests/fuzz/TARGET/corpus the
# inputs of build-fuzz/corpus/TARGET that add coverage to it (libFuzzer -merge=1).
#   scripts/fuzz.sh [--merge] [TARGET|all] [SECONDS] [-- LIBFUZZER-OPTIONS...]
set -euo pipefail
cd "$(dirname "$0")/.."

merge=false
positional=()
while [ $# -gt 0 ]; do
        case $1 in
        --merge) merge=true ;;
        --) shift; break ;;
        *) positional+=("$1") ;;
        esac
        shift
done
extra=("$@")
target=${positional[0]:-all}
seconds=${positional[1]:-60}
case $seconds in
'' | *[!0-9]*)
        echo "fuzz.sh: SECONDS must be a number, not \"$seconds\"" >&2
        exit 2
        ;;
esac

targets=()
for f in tests/fuzz/fuzz-*.c; do
        t=${f#tests/fuzz/fuzz-}
        t=${t%.c}
        case $t in main | util) continue ;; esac
        if [ "$target" = all ] || [ "$target" = "$t" ]; then
                targets+=("$t")
        fi
done
if [ "${#targets[@]}" -eq 0 ]; then
        echo "fuzz.sh: no fuzz target \"$target\" (tests/fuzz/fuzz-$target.c)" >&2
        exit 2
fi
if ! command -v clang >/dev/null ||
        ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
        echo "fuzz.sh: needs clang and libFuzzer (scripts/setup-debian.sh installs clang and" \
                "libclang-rt-14-dev)" >&2
        exit 2
fi

# rkt's objects need the stage1 images' IDs: the fuzz build takes the plain build's images
[ -f build/src/cli/stage1-native.aci ] || scripts/build.sh >/dev/null
opts=(-Dllvm-fuzz=true -Db_sanitize=address,undefined -Db_lundef=false
        "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all"
        -Dprebuilt-stage1="$(pwd)/build/src/cli")
if [ ! -f build-fuzz/build.ninja ]; then
        CC=clang meson setup build-fuzz "${opts[@]}" >/dev/null
fi
ninja -C build-fuzz "${targets[@]/#/tests/fuzz/fuzz-}" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for t in "${targets[@]}"; do
        exe=build-fuzz/tests/fuzz/fuzz-$t
        work=build-fuzz/corpus/$t
        crashes=build-fuzz/crashes/$t
        seeds=tests/fuzz/$t/corpus
        mkdir -p "$work" "$crashes" "$seeds"
        if $merge; then
                echo "== merging $work into $seeds"
                "$exe" -merge=1 "${extra[@]}" "$seeds" "$work" 2>&1 | grep "MERGE-OUTER: [0-9]* new files"
                continue
        fi
        echo "== fuzzing $t for ${seconds}s"
        if ! "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix="$crashes/" "${extra[@]}" "$work" "$seeds" \
                >"build-fuzz/fuzz-$t.log" 2>&1; then
                status=1
                echo "fuzz.sh: $t crashed; inputs in $crashes, log in build-fuzz/fuzz-$t.log" >&2
        fi
        tail -1 "build-fuzz/fuzz-$t.log"
done
exit $status
