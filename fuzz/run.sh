#!/usr/bin/env bash
# Runs fuzz targets one after the other, each for SECONDS, and says which found a crash.
#   fuzz/run.sh [--fresh] BUILD_DIR SECONDS [TARGET...]   (default: every target in fuzz/corpus)
# Each target starts from its committed seeds (fuzz/corpus/TARGET, never written to) plus its
# own work corpus, BUILD_DIR/fuzz-work/TARGET/corpus, which keeps what libFuzzer finds from one
# run to the next. With --fresh, the work corpus is a throwaway one, BUILD_DIR/fuzz-fresh/TARGET,
# emptied first: a smoke run that is reproducible and leaves the long runs' findings alone.
# Crashing inputs go to WORK/crash-*, libFuzzer's output to WORK/log.
# Set FUZZ_FORK=1 to run a target in one forked child that survives crashes and keeps going.
set -uo pipefail
cd "$(dirname "$0")/.."

work_root=fuzz-work
if [ "${1:-}" = --fresh ]; then
  work_root=fuzz-fresh
  shift
fi
build_dir=$1
seconds=$2
shift 2
targets=("$@")
if ((${#targets[@]} == 0)); then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

passed=0
failed=0
for target in "${targets[@]}"; do
  binary=$build_dir/fuzz/$target
  work=$build_dir/$work_root/$target
  [ "$work_root" = fuzz-fresh ] && rm -rf "$work"
  mkdir -p "$work/corpus"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$work/")
  [ -f "fuzz/dict/$target.dict" ] && options+=(-dict="fuzz/dict/$target.dict")
  [ -n "${FUZZ_FORK:-}" ] && options+=(-fork="$FUZZ_FORK" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
  started=$(date +%s)
  nice -n 10 "$binary" "${options[@]}" "$work/corpus" "fuzz/corpus/$target" >"$work/log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/log" | awk '{s += $2} END {print s + 0}')
  echo "$target: $runs runs in $(($(date +%s) - started)) s, exit $status"
  if [ "$status" -eq 0 ] && ! ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* >/dev/null 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    grep -m1 -B2 -A30 -E 'ERROR: |FUZZ_CHECK|runtime error' "$work/log" | head -60
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
