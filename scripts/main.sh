#!/usr/bin/env bash
# The README's first command: install, build, and run dmlp's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
build/bin/dmlp demo supervision --seconds "${DMLP_DEMO_SECONDS:-10}" --kill-every-ms 50
