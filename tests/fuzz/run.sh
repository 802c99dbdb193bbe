#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build one after the other (one process,
# one job each: the machine is shared) for SECONDS each, from the committed
# seed corpus plus a scratch corpus in the build tree, and prints a summary:
# executions, coverage (edges), features, corpus size, time, crashes.
#   tests/fuzz/run.sh BUILD_DIR SECONDS [target...]
set -u
build=$1 secs=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for b in "$build"/fuzz/fuzz_*; do [ -x "$b" ] && targets+=("$(basename "$b" | sed 's/^fuzz_//')"); done
fi
status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$t
  work=$build/fuzz/$t-corpus
  log=$build/fuzz/$t.log
  mkdir -p "$work"
  echo "== fuzz_$t for ${secs}s (log: $log)"
  start=$(date +%s)
  "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$build/fuzz/$t-" \
    "$work" "$src/$t/corpus" >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$line")
  crashes=$(ls "$build/fuzz/$t-"crash-* "$build/fuzz/$t-"leak-* "$build/fuzz/$t-"timeout-* 2>/dev/null | wc -l)
  s=$(printf '%-10s %6ss  execs %-10s cov %-6s ft %-6s corpus %-5s exit %s  artifacts %s' \
      "$t" "$took" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$rc" "$crashes")
  echo "$s"
  summary+=("$s")
  [ $rc -eq 0 ] || { status=1; tail -30 "$log"; }
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
