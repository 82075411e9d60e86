#!/usr/bin/env bash
# The README's second command: install, build, and run the default test suite (ctest label
# "default"). Longer suites have their own labels: scripts/test.sh -L long
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
labels=(-L default)
(($#)) && labels=("$@")
ctest --test-dir build "${labels[@]}" --output-on-failure --parallel "${DMLP_TEST_JOBS:-2}"
