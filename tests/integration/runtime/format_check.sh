#!/usr/bin/env bash
# The project's C++ follows .clang-format: lists every tracked file clang-format would change.
set -u
root=${DMLP_SOURCE_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
cd "$root"
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format is not installed (scripts/install-deps.sh installs it)"
  exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
else
  mapfile -t files < <(find messages runtime actors apps tests bench -name '*.[ch]pp')
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format: $f differs from .clang-format (run clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
((bad)) && exit 1
echo "format: ${#files[@]} files ok"
