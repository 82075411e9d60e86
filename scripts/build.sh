#!/usr/bin/env bash
# Installs dmlp's dependencies (idempotent) and builds everything into build/ (executables in
# build/bin/). Used by scripts/main.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -eq 0 ]]; then
  scripts/install-deps.sh
else
  echo "build: not root, skipping the package installation (run scripts/install-deps.sh as root)" >&2
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
else
  cmake -S . -B build
fi
cmake --build build --parallel "${DMLP_BUILD_JOBS:-$(nproc)}"
