#!/usr/bin/env bash
# Speed, side by side, in one run (docs/benchmarks.md):
#   redraft  one redraft-server, standalone (fsync on) -- the issue 2 comparison
#   cluster  three redraft-server processes from conf/cluster.conf (fsync on,
#            linearizable reads: read_mode readindex); the load goes to the leader
#   redis    redis-server --appendonly yes --appendfsync always
#   etcd     a three-member etcd cluster (fsync on, as always), puts through its
#            HTTP/JSON gateway driven by wrk (scripts/bench/etcd-put.lua)
# Workloads:
#   redis-benchmark -t $TESTS -n $N -r $KEYSPACE -c $CLIENTS -P p  for p in $PIPELINES
#   redis-benchmark -t set -n $LAT_N -r $KEYSPACE -c 1 -P 1        (one client: p50 latency)
#   wrk -c $CLIENTS (and -c 1) for $ETCD_SECS s of POST /v3/kv/put, random keys
# Every run starts from empty data dirs. Systems alternate within a round (the order
# flips every round); the median of $ROUNDS rounds is printed, with the issue 4
# ratios marked PASS/MISS, and the CPU other processes used meanwhile.
#
#   scripts/bench.sh                          # everything, 1 round, N=200000
#   BENCH=single ROUNDS=3 N=500000 scripts/bench.sh   # issue 2: redraft vs Redis only
#   BENCH=cluster scripts/bench.sh            # cluster vs Redis vs etcd
#   REV=HEAD scripts/bench.sh                 # the server built from a commit, not bin/
#   BENCH=types scripts/bench.sh              # issue 7: the data types on one node vs Redis
#                                             # (-t lpush,lpop,sadd,hset,spop,zadd,lrange_100 -P 16)
#
# Only 127.0.0.1, free ports, temp dirs (under $TMPDIR, default /tmp: it must be a
# real disk, not tmpfs, or fsync is free). Only the processes started here are
# stopped (by pid), also on Ctrl-C or failure. Missing tools are installed through
# deps/install.sh --with-bench (needs root or sudo only then).
# Logs of a run that went wrong (errors, a node that died, a leader change) are kept
# in /tmp/redraft-bench-logs-*; LOG_DIR=dir keeps every run's logs there.
# Exit status 1 when any run had a problem (reported at the end), else 0.
#   scripts/bench.sh snapshot (or BENCH=snapshot): catch-up of a wiped follower through
#   a snapshot, and the writes meanwhile -- scripts/bench/snapshot.sh
if [ "${1:-}" = snapshot ]; then shift; exec "$(dirname "$0")/bench/snapshot.sh" "$@"; fi
if [ "${BENCH:-}" = snapshot ]; then exec "$(dirname "$0")/bench/snapshot.sh" "$@"; fi
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
BENCH=${BENCH:-all}
ROUNDS=${ROUNDS:-1}
N=${N:-200000}
if [ "$BENCH" = types ]; then    # the issue 7 defaults: write families at -P 16, no latency run
  PIPELINES=${PIPELINES:-16}
  TESTS=${TESTS:-lpush,lpop,sadd,hset,spop,zadd,lrange_100}
  LAT_N=${LAT_N:-0}
fi
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-set,get,incr}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-1000000}
LAT_N=${LAT_N:-10000}         # requests of the one-client SET run; 0 skips it
ETCD_SECS=${ETCD_SECS:-10}    # length of each wrk run against etcd
RUN_TIMEOUT=${RUN_TIMEOUT:-900}
BIN=${BIN:-bin/redraft-server}
REV=${REV:-}                  # build the server of this commit (git archive) instead of using $BIN
CONF=${CONF:-conf/cluster.conf}
LOG_DIR=${LOG_DIR:-}

case "$BENCH" in
  single|types) systems="redraft redis" ;;
  cluster) systems="cluster redis etcd" ;;
  all) systems="redraft cluster redis etcd" ;;
  *) echo "usage: BENCH=all|single|cluster|types|snapshot $0" >&2; exit 2 ;;
esac
systems=${SYSTEMS:-$systems}  # e.g. SYSTEMS=cluster: one system only, for an A/B of two builds
has() { [[ " $systems " == *" $1 "* ]]; }

tools="redis-benchmark redis-server redis-cli python3"
if has etcd; then tools="$tools etcd wrk"; fi
for t in $tools; do
  if ! command -v "$t" >/dev/null; then
    echo "bench: $t missing; running deps/install.sh --with-bench" >&2
    deps/install.sh --with-bench || { echo "bench: could not install $t" >&2; exit 1; }
    break
  fi
done
if [ -z "$REV" ] && [ ! -x "$BIN" ]; then make -s bin/redraft-server; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/redraft-bench-XXXXXX")
keep=""                     # where logs of runs that went wrong are copied
pids=()                     # every process started here and not yet reaped
cur=()                      # the processes of the system under test
declare -A pname=()         # pid -> what it is
label=setup
cleanup() {
  trap - EXIT INT TERM
  local p i
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  local any
  for i in $(seq 100); do
    any=0; for p in "${pids[@]}"; do if alive "$p"; then any=1; break; fi; done
    if [ "$any" = 0 ]; then break; fi; sleep 0.1
  done
  for p in "${pids[@]}"; do
    if alive "$p"; then kill -9 "$p" 2>/dev/null || true; fi
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

# A copy of the server binary: a rebuild of bin/ during the run changes nothing.
rbin=$work/redraft-server
if [ -n "$REV" ]; then
  rev=$(git rev-parse --short "$REV^{commit}")
  echo "bench: building redraft-server of $rev in $work/src" >&2
  mkdir -p "$work/src"; git archive "$rev" | tar -x -C "$work/src"
  make -s -C "$work/src" -j"$(nproc)" bin/redraft-server >"$work/build.log" 2>&1 ||
    { tail -n 20 "$work/build.log" >&2; echo "bench: build of $rev failed" >&2; exit 1; }
  cp "$work/src/bin/redraft-server" "$rbin"; rm -rf "$work/src"
  binary="built from commit $rev"
else
  cp "$BIN" "$rbin"
  binary="$BIN, built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')"
fi
: >"$work/results"; : >"$work/problems"; : >"$work/notes"; : >"$work/runs"

# ---- helpers ------------------------------------------------------------------
free_ports() { # free_ports K: K distinct free loopback ports
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
# alive PID: running and not a zombie
alive() { [ -r "/proc/$1/stat" ] && ! awk '{exit !($3 == "Z")}' "/proc/$1/stat" 2>/dev/null; }
spawn() { # spawn LOG CMD...: start CMD in the background, remember its pid
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  pid=$!; pids+=("$pid"); cur+=("$pid"); pname[$pid]=$(basename "$log" .log)
}
client() { # client OUT CMD...: run a client under timeout, interruptible, killed on exit
  local out=$1 p; shift
  timeout "$RUN_TIMEOUT" "$@" >"$out" 2>&1 &
  p=$!; pids+=("$p"); rc=0; wait "$p" || rc=$?; forget "$p"
}
forget() { local p n=(); for p in "${pids[@]}"; do [ "$p" = "$1" ] || n+=("$p"); done; pids=("${n[@]}"); }
stop_cur() { # SIGTERM the current system's processes, SIGKILL after 10 s
  local p i st
  for p in "${cur[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${cur[@]}"; do
    for i in $(seq 100); do alive "$p" || break; sleep 0.1; done
    if alive "$p"; then
      kill -9 "$p" 2>/dev/null || true
      # etcd's leader can hang in its leadership transfer when its peers stop too:
      # after the measurement, so not a problem of the figures
      case "${pname[$p]}" in etcd*) note "${pname[$p]} (pid $p) still running 10 s after SIGTERM (killed)" ;;
        *) problem "${pname[$p]} (pid $p) ignored SIGTERM for 10 s (killed)" ;; esac
    fi
    st=0; wait "$p" 2>/dev/null || st=$?
    if [ "$st" != 0 ] && [ "$st" != 143 ] && [ "$st" != 137 ]; then
      problem "${pname[$p]} (pid $p) exited with status $st; log tail: $(tail -n 2 "$rd/${pname[$p]}.log" | tr '\n' ' ')"
    fi
    forget "$p"
  done
  cur=()
}
problem() { echo "$label: $*" | tee -a "$work/problems" >&2; bad_run=1; }
note() { echo "$label: $*" | tee -a "$work/notes" >&2; }
wait_ping() { for _ in $(seq 200); do redis-cli -p "$1" PING 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done; return 1; }
raft_field() { { redis-cli -p "$1" INFO raft 2>/dev/null || true; } | tr -d '\r' | awk -F: -v k="$2" '$1==k{print $2}'; }
cpu_busy() { awk '/^cpu /{printf "%.2f\n", ($2+$3+$4+$7+$8+$9)/100}' /proc/stat; }
# CPU seconds of this shell's reaped children, from a file written by `times`
children_cpu() { awk 'NR==2{n=0; for(i=1;i<=2;i++){split($i,a,"m"); sub("s","",a[2]); n+=a[1]*60+a[2]} print n}' "$1"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---- systems: start_X sets $port (where the load goes) ---------------------------
start_redraft() {
  read -r port hport <<<"$(free_ports 2)"
  spawn "$rd/redraft.log" "$rbin" --port "$port" --http_port "$hport" --data_dir "$rd/data" \
    --storage.fsync true
  wait_ping "$port" || { problem "redraft did not answer PING"; return 1; }
}

start_cluster() {
  local p h n i role members deadline
  read -r -a p <<<"$(free_ports 6)"
  members="1:127.0.0.1:${p[0]},2:127.0.0.1:${p[1]},3:127.0.0.1:${p[2]}"
  cports="${p[0]} ${p[1]} ${p[2]}"
  for n in 1 2 3; do
    spawn "$rd/node$n.log" "$rbin" "$CONF" --node-id "$n" --data_dir "$rd/data" \
      --cluster.members "$members" --http_port "${p[$((n + 2))]}" \
      --storage.fsync true --cluster.read_mode readindex
  done
  port=""; deadline=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$deadline" ]; do # a leader within 30 s (the first election takes 1-2 s)
    for h in $cports; do
      role=$(raft_field "$h" raft_role)
      [ "$role" = leader ] && { port=$h; break; }
    done
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { problem "no raft leader within 30 s"; return 1; }
  for i in $(seq 100); do
    [ "$(redis-cli -p "$port" SET bench:probe 1 2>/dev/null)" = OK ] && break
    sleep 0.1
  done
  [ "$(redis-cli -p "$port" DEL bench:probe 2>/dev/null)" = 1 ] || { problem "leader on $port does not take writes"; return 1; }
  for i in $(seq 100); do # both followers connected
    [ "$(redis-cli -p "$port" INFO raft 2>/dev/null | grep -c 'link=up' || true)" -ge 2 ] && break
    sleep 0.1
  done
  term0=$(raft_field "$port" raft_term)
}

start_redis() {
  mkdir -p "$rd/data"; port=$(free_ports 1)
  spawn "$rd/redis.log" redis-server --port "$port" --bind 127.0.0.1 --appendonly yes \
    --appendfsync always --save '' --dir "$rd/data"
  wait_ping "$port" || { problem "redis-server did not answer PING"; return 1; }
}

etcd_status() { # etcd_status PORT: "member_id leader" of that member, or nothing
  python3 - "$1" <<'PY' 2>/dev/null || true
import json, sys, urllib.request
r = urllib.request.urlopen(urllib.request.Request(
    f"http://127.0.0.1:{sys.argv[1]}/v3/maintenance/status", data=b"{}", method="POST"), timeout=2)
j = json.load(r)
print(j["header"]["member_id"], j.get("leader", "0"))
PY
}
start_etcd() {
  local p n i ic st c deadline token="bench-$$-$RANDOM"
  read -r -a p <<<"$(free_ports 6)"
  ic="e1=http://127.0.0.1:${p[3]},e2=http://127.0.0.1:${p[4]},e3=http://127.0.0.1:${p[5]}"
  for n in 1 2 3; do
    c=${p[$((n - 1))]}
    spawn "$rd/etcd$n.log" etcd --name "e$n" --data-dir "$rd/e$n" \
      --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:${p[$((n + 2))]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${p[$((n + 2))]}" \
      --initial-cluster "$ic" --initial-cluster-state new \
      --initial-cluster-token "$token" --logger zap --log-level warn
  done
  port=""; deadline=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$deadline" ]; do
    for c in "${p[@]:0:3}"; do
      read -r -a st <<<"$(etcd_status "$c")"
      if [ "${#st[@]}" = 2 ] && [ "${st[1]}" != 0 ] && [ "${st[0]}" = "${st[1]}" ]; then port=$c; break; fi
    done
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { problem "no etcd leader within 30 s"; return 1; }
  deadline=$((SECONDS + 30))
  while [ "$SECONDS" -lt "$deadline" ]; do
    python3 - "$port" <<'PY' 2>/dev/null && return 0
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/v3/kv/put",
    data=b'{"key":"cHJvYmU=","value":"MQ=="}', method="POST"), timeout=2).read()
PY
    sleep 0.1
  done
  problem "etcd leader on $port does not take puts"; return 1
}

# ---- load ----------------------------------------------------------------------
# rb KIND ARGS...: redis-benchmark against $port; appends "system kind test ops p50"
rb() {
  local kind=$1 out="$rd/bench-$1.out"; shift
  client "$out" redis-benchmark -p "$port" "$@" --csv
  [ "$rc" = 0 ] || problem "redis-benchmark $* exited with $rc"
  if grep -qiE 'error|refused|reset|timeout' "$out"; then
    problem "redis-benchmark $*: $(grep -iE 'error|refused|reset|timeout' "$out" | sort | uniq -c | head -5 | tr -s ' \n' ' ')"
  fi
  grep -E '^"[A-Z]' "$out" | tr -d '"' |
    awk -F, -v s="$sys" -v k="$kind" '{sub(/ .*/, "", $1); if (seen[$1]++) next; print s, k, $1, $2, $5}' >>"$work/pending" || true
  [ -s "$work/pending" ] || problem "redis-benchmark $*: no result"
}
# wrk_put KIND CONNS THREADS: wrk against etcd on $port
wrk_put() {
  local out="$rd/wrk-$1.out" line errs
  KEYSPACE=$KEYSPACE client "$out" wrk -t"$3" -c"$2" -d"${ETCD_SECS}s" --latency \
    -s scripts/bench/etcd-put.lua "http://127.0.0.1:$port"
  [ "$rc" = 0 ] || problem "wrk -c$2 exited with $rc"
  line=$(grep '^WRK_RESULT' "$out" || true)
  if [ -z "$line" ]; then problem "wrk -c$2: no result"; return 0; fi
  echo "$line" | awk -v s="$sys" -v k="$1" '{for(i=2;i<=NF;i++){split($i,a,"="); f[a[1]]=a[2]}
    print s, k, "PUT", f["rps"], f["p50_ms"]}' >>"$work/pending"
  errs=$(echo "$line" | tr ' ' '\n' | grep -E '^(bad_replies|err_)' | grep -v '=0$' | tr '\n' ' ' || true)
  if [ -n "$errs" ]; then problem "wrk -c$2 against etcd: $errs"; fi
}

# cluster_checks: after a run, before stopping: every node alive, no leader change,
# the leader's raft error counters, warnings in the logs
cluster_checks() {
  local n p i=0 f v st live=()
  for p in "${cur[@]}"; do
    i=$((i + 1))
    if alive "$p"; then live+=("$p"); else
      st=0; wait "$p" 2>/dev/null || st=$?; forget "$p"
      problem "node $i (pid $p) died during the run, exit status $st; log tail: $(tail -n 3 "$rd/node$i.log" | tr '\n' ' ')"
    fi
  done
  cur=("${live[@]}")
  if [ "$(raft_field "$port" raft_role)" != leader ] || [ "$(raft_field "$port" raft_term)" != "$term0" ]; then
    problem "leadership changed during the run (term $term0 -> $(raft_field "$port" raft_term) on the node loaded; role $(raft_field "$port" raft_role))"
  fi
  for f in raft_writes_timed_out raft_writes_lost raft_reads_failed; do
    v=$(raft_field "$port" "$f"); [ -z "$v" ] || [ "$v" = 0 ] || problem "leader INFO raft: $f=$v"
  done
  v=$(raft_field "$port" raft_reads_retried); [ -z "$v" ] || [ "$v" = 0 ] || note "leader INFO raft: raft_reads_retried=$v"
  for n in 1 2 3; do
    v=$(grep -cE 'level=(warn|error)' "$rd/node$n.log" || true)
    [ "$v" = 0 ] || note "node $n logged $v warnings/errors, e.g. $(grep -E 'level=(warn|error)' "$rd/node$n.log" | head -1)"
  done
}

# run SYSTEM KIND: one measured run on a fresh system. KIND: P<p> (redis-benchmark
# -P p, or for etcd wrk -c $CLIENTS), or c1 (one client, SET / put).
run() {
  sys=$1; kind=$2; label="round $r $sys $kind"; bad_run=0
  if [ "$sys" = etcd ] && [ "$kind" != c1 ]; then label="round $r $sys c$CLIENTS"; fi
  rd=$work/run; rm -rf "$rd"; mkdir -p "$rd"; : >"$work/pending"
  local t0 t1 b0 b1 c0 c1 ok=1
  times >"$work/times0"; t0=$(date +%s.%N); b0=$(cpu_busy)
  other=0
  if "start_$sys"; then
    case "$sys:$kind" in
      etcd:c1) wrk_put c1 1 1 ;;
      etcd:P*) wrk_put "$kind" "$CLIENTS" 2 ;;
      *:c1) rb c1 -t set -n "$LAT_N" -r "$KEYSPACE" -c 1 -P 1 ;;
      *:P*) rb "${kind}" -t "$TESTS" -n "$N" -r "$KEYSPACE" -c "$CLIENTS" -P "${kind#P}" ;;
    esac
    if [ "$sys" = cluster ]; then cluster_checks; fi
  else
    ok=0
  fi
  load=$(load1)
  stop_cur
  times >"$work/times1"; t1=$(date +%s.%N); b1=$(cpu_busy)
  c0=$(children_cpu "$work/times0"); c1=$(children_cpu "$work/times1")
  # CPU that processes other than this benchmark's used during the run, in cores
  other=$(awk -v b="$b0" -v B="$b1" -v c="$c0" -v C="$c1" -v t="$t0" -v T="$t1" \
    'BEGIN{o=((B-b)-(C-c))/(T-t); if(o<0)o=0; printf "%.2f", o}')
  awk -v o="$other" -v l="$load" '{print $0, o, l}' "$work/pending" >>"$work/results"
  printf '%-26s %s  (others used %s cores, load %s)\n' "$label" \
    "$(awk '{printf "%s %.0f/s p50 %sms  ", $3, $4, $5}' "$work/pending")" "$other" "$load" | tee -a "$work/runs" >&2
  if [ -n "$LOG_DIR" ] || [ "$bad_run" = 1 ] || [ "$ok" = 0 ]; then
    if [ -z "$LOG_DIR" ] && [ -z "$keep" ]; then keep=$(mktemp -d /tmp/redraft-bench-logs-XXXXXX); fi
    local dst="${LOG_DIR:-$keep}/r$r-$sys-$kind"; mkdir -p "$dst"
    cp "$rd"/*.log "$rd"/*.out "$dst"/ 2>/dev/null || true
    echo "  logs kept in $dst" >&2
  fi
}

# ---- the run ---------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (+ local changes)" || true)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
steps=""
for p in $PIPELINES; do steps="$steps P$p"; done
if [ "$LAT_N" != 0 ]; then steps="$steps c1"; fi
{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(df -T "$work" | awk 'NR==2{print $2}') under $(dirname "$work")"
  echo "server:  $binary; work tree at $commit$dirty"
  echo "tools:   $(redis-server --version | grep -oE 'v=[0-9.]+' | sed 's/v=/redis-server /')$(has etcd && echo ", etcd $(etcd --version | awk '/etcd Version/{print $3}'), $(wrk --version 2>&1 | head -1 | awk '{print "wrk", $2}')")"
  echo "systems: $systems; steps:$steps; $ROUNDS round(s), median"
  echo "load:    $load_start (1/5/15-min load average before the first run)"
} | tee "$work/header"

for r in $(seq "$ROUNDS"); do
  order=$systems
  if [ $((r % 2)) = 0 ]; then order=$(echo "$systems" | tr ' ' '\n' | tac | tr '\n' ' '); fi
  first=1
  for step in $steps; do
    for s in $order; do
      # etcd has no pipelining: its -c $CLIENTS run goes with the first pipeline step
      if [ "$s" = etcd ] && [ "$step" != c1 ] && [ "$first" = 0 ]; then continue; fi
      run "$s" "$step"
    done
    if [ "$step" != c1 ]; then first=0; fi
  done
  echo "round $r done" >&2
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$work/results" "$work/problems" "$work/notes" "$BENCH" "$CLIENTS" "$load_start" "$load_end" <<'PY'
import sys, statistics, collections
res, probs, notes, bench, clients, load_start, load_end = sys.argv[1:8]
ops = collections.defaultdict(list); p50 = collections.defaultdict(list)
others, loads = collections.defaultdict(list), []
for line in open(res):
    s, kind, test, o, lat, other, load = line.split()
    ops[(s, kind, test)].append(float(o)); p50[(s, kind, test)].append(float(lat))
    others[s].append(float(other)); loads.append(float(load))
med = lambda d, k: statistics.median(d[k]) if d.get(k) else None
kinds = sorted({k[1] for k in ops if k[1].startswith("P")}, key=lambda k: int(k[1:]))
tests = [t for t in ["SET", "GET", "INCR"] if any(k[2] == t for k in ops)]
tests += sorted({k[2] for k in ops} - set(tests) - {"PUT"})
fmt = lambda v: "—" if v is None else f"{v:,.0f}"
ratio = lambda a, b: None if a is None or b is None or b == 0 else a / b

if bench in ("all", "single", "types"):
    print("\n## single node: redraft vs Redis AOF always")
    print(f"| test | -P | redraft ops/s | Redis AOF always | ratio |\n|---|---:|---:|---:|---:|")
    for t in tests:
        for k in kinds:
            a, b = med(ops, ("redraft", k, t)), med(ops, ("redis", k, t))
            q = ratio(a, b)
            print(f"| {t} | {k[1:]} | {fmt(a)} | {fmt(b)} | {'—' if q is None else f'{q:.2f}'} |")

if bench in ("all", "cluster"):
    cols = [s for s in ["cluster", "redraft", "redis", "etcd"] if any(k[0] == s for k in ops)]
    name = {"cluster": "redraft 3 nodes", "redraft": "redraft 1 node", "redis": "Redis AOF always", "etcd": "etcd 3 nodes"}
    print("\n## ops/s (median); last row: p50 latency of one client (-c 1 -P 1 SET; etcd: one put at a time)")
    print("| workload | " + " | ".join(name[c] for c in cols) + " | cluster / Redis |")
    print("|---|" + "---:|" * (len(cols) + 1))
    for t in tests:
        for k in kinds:
            cells = []
            for c in cols:
                if c == "etcd":
                    v = med(ops, ("etcd", kinds[0], "PUT")) if (t == "SET" and k == kinds[0]) else None
                else:
                    v = med(ops, (c, k, t))
                cells.append(fmt(v))
            q = ratio(med(ops, ("cluster", k, t)), med(ops, ("redis", k, t)))
            print(f"| {t} -P {k[1:]} -c {clients} | " + " | ".join(cells) + f" | {'—' if q is None else f'{q:.2f}'} |")
    cells = []
    for c in cols:
        v = med(p50, (c, "c1", "PUT" if c == "etcd" else "SET"))
        cells.append("—" if v is None else f"{v:.3f} ms")
    q = ratio(med(p50, ("cluster", "c1", "SET")), med(p50, ("redis", "c1", "SET")))
    print("| SET p50, -c 1 | " + " | ".join(cells) + f" | {'—' if q is None else f'{q:.2f}'} |")
    cells = [fmt(med(ops, (c, "c1", "PUT" if c == "etcd" else "SET"))) for c in cols]
    print("| SET ops/s, -c 1 | " + " | ".join(cells) + " | |")
    if "etcd" in cols:
        print(f"(etcd: wrk -c {clients}, POST /v3/kv/put, in the SET -P {kinds[0][1:] if kinds else '1'} row; no pipelining over HTTP/1.1)")

    print("\n## issue 4 targets")
    def target(desc, value, goal, ge=True, unit="×"):
        if value is None:
            print(f"  n/a   {desc}: no data"); return
        ok = value >= goal if ge else value <= goal
        shown = f"{value:.2f}{unit}" if unit == "×" else f"{value:.3f} {unit}"
        print(f"  {'PASS' if ok else 'MISS'}  {desc}: {shown} (target {'≥' if ge else '≤'} {goal}{unit if unit == '×' else ' ' + unit})")
    cs = lambda k, t="SET": med(ops, ("cluster", k, t))
    rs = lambda k, t="SET": med(ops, ("redis", k, t))
    target("cluster SET / Redis-AOF-always SET, -P 16", ratio(cs("P16"), rs("P16")), 0.35)
    target("cluster SET / Redis-AOF-always SET, -P 1", ratio(cs("P1"), rs("P1")), 0.6)
    et = med(ops, ("etcd", kinds[0], "PUT")) if kinds else None
    target(f"cluster SET -P 1 / etcd puts (both -c {clients}, no pipelining)", ratio(cs("P1"), et), 20)
    q = ratio(cs("P16"), et)
    if q is not None: print(f"        (cluster SET -P 16 / etcd puts: {q:.1f}×)")
    target("cluster linearizable GET / Redis GET, -P 16", ratio(cs("P16", "GET"), rs("P16", "GET")), 0.4)
    target("cluster SET p50 latency, -c 1 -P 1", med(p50, ("cluster", "c1", "SET")), 1.0, ge=False, unit="ms")

if bench == "types":
    print("\n## issue 7 target: every write family >= 0.5x Redis-AOF-always on one node, -P 16")
    for t in tests:
        q = ratio(med(ops, ("redraft", "P16", t)), med(ops, ("redis", "P16", t)))
        if q is None: continue
        kind = "read " if t.startswith("LRANGE") else "write"
        verdict = "    " if kind == "read " else ("PASS" if q >= 0.5 else "MISS")
        print(f"  {verdict}  {kind} {t}: {q:.2f}x")

print("\n## load")
print(f"  1/5/15-min load average: before {load_start}, after {load_end}; "
      f"1-min at the end of each run: {min(loads):.2f}–{max(loads):.2f}" if loads else "  no runs")
for s, v in others.items():
    print(f"  CPU used by other processes during the {s} runs: median {statistics.median(v):.2f} cores, max {max(v):.2f}")
pl = open(probs).read().strip()
print("\n## problems\n" + (pl if pl else "  none"))
nl = open(notes).read().strip()
if nl: print("\n## notes\n" + nl)
PY
if [ -n "$keep" ]; then echo "logs of the runs with problems: $keep"; fi
if [ -s "$work/problems" ]; then exit 1; fi
exit 0
