#!/usr/bin/env bash
# Checks the dependency rules of ARCHITECTURE.md that the compiler cannot see:
#  - nothing in messages/ or runtime/ includes torch;
#  - messages/ includes nothing of runtime/, actors/ or apps/; runtime/ nothing of actors/ or apps/;
#  - role folders under actors/ do not include each other (actors/models is shared, not a role).
set -u
root=${DMLP_SOURCE_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
cd "$root"
failures=0
report() { echo "layering: $1"; failures=$((failures + 1)); }
while IFS= read -r hit; do report "torch outside the computing files: $hit"; done \
  < <(grep -rnE '#include <(torch|ATen|c10)/' messages runtime 2>/dev/null)
while IFS= read -r hit; do report "messages/ depends upward: $hit"; done \
  < <(grep -rnE '#include "(runtime|actors|apps)/' messages 2>/dev/null)
while IFS= read -r hit; do report "runtime/ depends upward: $hit"; done \
  < <(grep -rnE '#include "(actors|apps)/' runtime 2>/dev/null)
for dir in actors/*/; do
  role=$(basename "$dir")
  [[ $role == models ]] && continue
  while IFS= read -r hit; do
    other=$(sed -E 's|.*#include "actors/([a-z_]+)/.*|\1|' <<<"$hit")
    [[ $other == "$role" || $other == models ]] && continue
    report "role $role includes role $other: $hit"
  done < <(grep -rnE '#include "actors/' "$dir" 2>/dev/null)
done
if ((failures)); then
  echo "layering: $failures violation(s)"
  exit 1
fi
echo "layering: ok"
