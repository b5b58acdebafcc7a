#!/usr/bin/env bash
# Runs the test binaries built by `make test-build`: unit tests (plain and
# ASan+UBSan), the Raft simulator (plain and ASan+UBSan, and the fault test),
# then integration tests against bin/redraft-server and against
# bin/redraft-server-asan. Prints one line per binary and a closing summary
# "N passed, N failed". Usage: scripts/run-tests.sh [unit|sim|integration|all]
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logdir=build/test-logs
mkdir -p "$logdir"
passed=0; failed=0; failures=()

run() {  # run LABEL BINARY [ENV...]
  local label=$1 bin=$2; shift 2
  local log="$logdir/$label.log" start=$SECONDS
  mkdir -p "$(dirname "$log")"
  if env "$@" "$bin" >"$log" 2>&1; then
    passed=$((passed + 1)); printf 'PASS %-50s %3ds\n' "$label" $((SECONDS - start))
  else
    failed=$((failed + 1)); failures+=("$label"); printf 'FAIL %-50s %3ds (log: %s)\n' "$label" $((SECONDS - start)) "$log"
    show_failure "$log"
  fi
}

# What a failed binary said: its failed checks and diagnostics (which may
# lie far above the end of a long log), then the end of the log.
show_failure() {
  grep -E 'FAILED CHECK|DIAG|\[  ERROR   \]|[Ff]ailure!|ERROR: AddressSanitizer|runtime error' "$1" | head -n 60 | sed 's/^/  > /'
  tail -n 30 "$1" | sed 's/^/    /'
}

run_cmd() {  # run_cmd LABEL COMMAND [ARGS...]
  local label=$1; shift
  local log="$logdir/$label.log" start=$SECONDS
  mkdir -p "$(dirname "$log")"
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); printf 'PASS %-50s %3ds\n' "$label" $((SECONDS - start))
  else
    failed=$((failed + 1)); failures+=("$label"); printf 'FAIL %-50s %3ds (log: %s)\n' "$label" $((SECONDS - start)) "$log"
    show_failure "$log"
  fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
  for src in tests/unit/test_*.c; do
    [ -e "$src" ] || continue
    t=$(basename "$src" .c)
    run "unit/$t" "build/release/tests/$t"
    [ "$what" = all ] && run "unit-asan/$t" "build/asan/tests/$t"
  done
  # every fuzz target still builds from its own source list, and its seeds
  # (past crash reproducers among them) pass
  for src in tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    t=$(basename "$src" .c)
    run_cmd "fuzz-replay/$t" scripts/fuzz-replay.sh "$t"
  done
fi
if [ "$what" = all ] || [ "$what" = sim ]; then
  # seeds x 2000 steps each, spread over every core (SIM_JOBS to change that)
  run sim/3-nodes build/release/tests/sim SIM_SEEDS=2000 SIM_NODES=3
  run sim/5-nodes build/release/tests/sim SIM_SEEDS=1000 SIM_NODES=5
  run sim/faults build/release/tests/sim_faults
  if [ "$what" = all ]; then
    run sim-asan/3-nodes build/asan/tests/sim SIM_SEEDS=300 SIM_NODES=3
    run sim-asan/5-nodes build/asan/tests/sim SIM_SEEDS=100 SIM_NODES=5
  fi
fi
if [ "$what" = all ] && command -v promtool >/dev/null; then
  # the example Prometheus configuration and alert rules of conf/, with their unit tests
  run_cmd conf/prometheus promtool check config conf/prometheus.yml
  run_cmd conf/alert-rules promtool test rules tests/prometheus/alerts_test.yml
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
  for src in tests/integration/test_*.c; do
    [ -e "$src" ] || continue
    t=$(basename "$src" .c)
    run "integration/$t" "build/release/tests/$t" REDRAFT_BIN=bin/redraft-server
    [ "$what" = all ] && run "integration-asan/$t" "build/asan/tests/$t" REDRAFT_BIN=bin/redraft-server-asan
  done
fi

echo
if [ $failed -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
