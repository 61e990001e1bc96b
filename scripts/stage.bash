# Shared by the ctest stages of scripts/test.d/ (sourced; not a stage itself):
# a build directory configured and built for the stage, ctest run in it, and
# 'LABEL: N passed, M failed' printed last from ctest's summary, which
# scripts/test.sh adds up. A configure or build failure counts as one failure.
#   stage_begin LABEL BUILD_DIR
#   stage_configure CMAKE_ARGS...    (-S . -B BUILD_DIR given)
#   stage_build BUILD_ARGS...        (-j and the directory given)
#   stage_ctest CTEST_ARGS...        (ends the stage)
set -uo pipefail
stage_begin() {
  stage_label=$1 stage_dir=$2 stage_log=$(mktemp)
}
stage_finish() { # passed failed
  echo "$stage_label: $1 passed, $2 failed"
  rm -f "$stage_log"
  [[ $2 -eq 0 ]]
  exit $?
}
stage_configure() {
  if ! cmake -S . -B "$stage_dir" "$@" >/dev/null; then
    echo "$stage_label: configure failed"; stage_finish 0 1
  fi
}
stage_build() {
  if ! cmake --build "$stage_dir" -j"$(nproc)" "$@" >"$stage_log" 2>&1; then
    tail -n 40 "$stage_log"; echo "$stage_label: build failed"; stage_finish 0 1
  fi
}
stage_ctest() {
  ctest --test-dir "$stage_dir" --output-on-failure -j"$(nproc)" "$@" 2>&1 | tee "$stage_log"
  local line total fail
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$stage_log" | tail -n1 || true)
  if [[ -z "$line" ]]; then echo "$stage_label: ctest printed no summary"; stage_finish 0 1; fi
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  fail=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  stage_finish $((total - fail)) "$fail"
}
