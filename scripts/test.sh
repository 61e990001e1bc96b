#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what it needs, builds,
# runs every ctest suite (doctest, C example, install check, bindings, CLI),
# then each extra stage in scripts/test.d/ (sanitizers, fuzzers).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
bash scripts/ensure-packages.sh scripts/packages.txt scripts/packages.d/*.txt
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDLN_BUILD_TESTS=ON -DDLN_BUILD_EXAMPLES=ON \
  -DDLN_BUILD_BINDINGS=ON -DDLN_BUILD_CLI=ON >/dev/null
cmake --build build -j"$jobs"
passed=0; failed=0
run_ctest() { # dir, label
  local log; log=$(mktemp)
  if ctest --test-dir "$1" --output-on-failure -j"$jobs" 2>&1 | tee "$log"; then :; fi
  local line; line=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$log" | tail -n1 || true)
  if [[ -z "$line" ]]; then echo "$2: ctest printed no summary"; failed=$((failed + 1)); return; fi
  local total fail
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  fail=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - fail)); failed=$((failed + fail))
}
run_ctest build main
for stage in scripts/test.d/*.sh; do
  echo "=== stage $stage"
  # A stage prints 'N passed, N failed' as its last line or runs ctest in a dir it names.
  log=$(mktemp)
  if bash "$stage" 2>&1 | tee "$log"; [[ ${PIPESTATUS[0]} -ne 0 ]]; then
    echo "stage $stage failed"; failed=$((failed + 1))
  fi
  line=$(grep -E "^([A-Za-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed" "$log" | tail -n1 || true)
  if [[ -n "$line" ]]; then
    p=$(sed -E 's/^([A-Za-z0-9-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f))
  fi
done
echo "dlnsgd: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
