#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds rkt and runs every test: the C unit programs (TAP) and the functional suite, all
# through pytest so that one summary line covers both. Needs root for the functional tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
# Debian's python3 has python3-pytest; the first python3 on PATH may be another build.
exec /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/functional "$@"
