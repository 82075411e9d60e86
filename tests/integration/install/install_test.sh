#!/usr/bin/env bash
# Installs the build that DMLP_BIN_DIR belongs to into a temporary prefix, configures and builds
# apps/examples as its own CMake project against the installed package, and checks what the
# example prints: the supervision tree, the sensor's kill, the one_for_all restart, the tree
# again with a new sensor.
set -euo pipefail
: "${DMLP_BIN_DIR:?set by ctest}" "${DMLP_SOURCE_DIR:?set by ctest}"
build_dir=$(cd "$DMLP_BIN_DIR/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dmlp-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log"; fail "cmake --install"; }
for file in bin/dmlp bin/dmlp-node lib/libdmlp_runtime.a lib/libdmlp_messages.a \
  lib/cmake/dmlp/dmlpConfig.cmake lib/cmake/dmlp/dmlpConfigVersion.cmake \
  lib/cmake/dmlp/dmlpTargets.cmake lib/cmake/dmlp/FindCAF.cmake \
  include/dmlp/runtime/supervisor.hpp include/dmlp/messages/type_ids.hpp \
  include/dmlp/messages/tensor_bundle.capnp.h include/dmlp/actors/serving/model_service.hpp \
  include/dmlp/apps/jobs/training_job.hpp; do
  [[ -e $prefix/$file ]] || fail "$file was not installed"
done
[[ ! -e $prefix/include/dmlp/actors/serving/fuzz ]] || fail "the fuzz target's folder was installed"
"$prefix/bin/dmlp" --version | grep -q '^dmlp ' || fail "the installed dmlp does not run"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$DMLP_SOURCE_DIR/apps/examples" -B "$work/examples" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configuring apps/examples against the package"; }
# The example must have come from the package, not from the source tree.
grep -q "dmlp_DIR:PATH=$prefix/lib/cmake/dmlp" "$work/examples/CMakeCache.txt" ||
  fail "find_package(dmlp) did not use the installed package"
cmake --build "$work/examples" --parallel 2 >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "building apps/examples against the package"; }
commands=$work/examples/compile_commands.json
grep -q -- "$prefix/include/dmlp" "$commands" || fail "the example did not use the installed headers"
if grep -q -- "-I$DMLP_SOURCE_DIR" "$commands"; then
  fail "the example compiled with the source tree's headers"
fi

output=$(timeout 60 "$work/examples/example_custom_topology") || fail "the example exited with $?"
echo "$output"
expect() {
  grep -qE "$1" <<<"$output" || fail "the example's output lacks /$1/"
}
expect '^tree:$'
expect '^  station/sensor \(actor [0-9]+\)$'
expect '^  station/aggregators/agg'
expect '^killed station/sensor$'
expect '^event: station/aggregators restarted$'
expect '^tree after the restart:$'
sensors=$(grep -cE '^  station/sensor \(actor' <<<"$output")
[[ $sensors -eq 2 ]] || fail "expected the sensor in both trees, found $sensors"
first=$(grep -E '^  station/sensor' <<<"$output" | head -1)
second=$(grep -E '^  station/sensor' <<<"$output" | tail -1)
[[ $first != "$second" ]] || fail "the sensor was not restarted (same actor before and after)"
echo "PASS"
