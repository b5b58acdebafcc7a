#!/usr/bin/env bash
# redraft side by side with the durable Redis a user would otherwise pick
# (redis-server --appendonly yes --appendfsync always), in one run:
#   redis-benchmark -t set,get,incr -n $N -r 1000000 -c 50 -P {1,16}
# Servers alternate within each round; the median ops/s of $ROUNDS rounds is
# printed with the ratio redraft / redis. Everything runs on 127.0.0.1 with
# free ports and temp dirs; only the servers started here are stopped.
#   ROUNDS=3 N=500000 PIPELINES="1 16" scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
N=${N:-500000}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-set,get,incr}
BIN=${BIN:-bin/redraft-server}
command -v redis-benchmark >/dev/null || { echo "bench: redis-benchmark missing (deps/install.sh --with-tests)"; exit 1; }
command -v redis-server >/dev/null || { echo "bench: redis-server missing (deps/install.sh --with-tests)"; exit 1; }
[ -x "$BIN" ] || make -s bin/redraft-server

work=$(mktemp -d /tmp/redraft-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ping() { for _ in $(seq 200); do redis-cli -p "$1" PING >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }

start_redraft() {
  rm -rf "$work/redraft"; port=$(free_port)
  "$BIN" --port "$port" --data_dir "$work/redraft" >"$work/redraft.log" 2>&1 &
  pid=$!; pids+=("$pid"); wait_ping "$port"
}
start_redis() {
  rm -rf "$work/redis"; mkdir -p "$work/redis"; port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --appendonly yes --appendfsync always --save '' \
    --dir "$work/redis" >"$work/redis.log" 2>&1 &
  pid=$!; pids+=("$pid"); wait_ping "$port"
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }

# run SERVER P: one redis-benchmark run, appends "server P test ops" lines.
run() {
  "start_$1"
  redis-benchmark -p "$port" -t "$TESTS" -n "$N" -r 1000000 -c 50 -P "$2" --csv 2>/dev/null |
    tail -n +2 | tr -d '"' | awk -F, -v s="$1" -v p="$2" '{print s, p, $1, $2}' >>"$work/results"
  stop
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "command: redis-benchmark -t $TESTS -n $N -r 1000000 -c 50 -P {$PIPELINES}, $ROUNDS rounds, median"
for r in $(seq "$ROUNDS"); do
  for p in $PIPELINES; do
    if [ $((r % 2)) -eq 1 ]; then run redraft "$p"; run redis "$p"; else run redis "$p"; run redraft "$p"; fi
  done
  echo "round $r done" >&2
done

python3 - "$work/results" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    s, p, t, ops = line.split()
    rows[(t, int(p), s)].append(float(ops))
print(f"{'test':<6} {'-P':>3} {'redraft ops/s':>14} {'redis-aof-always':>17} {'ratio':>6}")
for t in sorted({k[0] for k in rows}, key=["SET", "GET", "INCR"].index if all(x in ["SET","GET","INCR"] for x in {k[0] for k in rows}) else str):
    for p in sorted({k[1] for k in rows}):
        a = statistics.median(rows[(t, p, "redraft")]); b = statistics.median(rows[(t, p, "redis")])
        print(f"{t:<6} {p:>3} {a:>14,.0f} {b:>17,.0f} {a/b:>6.2f}")
PY
