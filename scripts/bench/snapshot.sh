#!/usr/bin/env bash
# Catch-up of a wiped follower through a snapshot, and what it costs the writers
# (docs/benchmarks.md). For each dataset ($KEYS keys x each value size of $SIZES):
#   1. a fresh 3-node cluster from conf/cluster.conf (fsync on, read_mode readindex) on
#      free loopback ports; the leader is the node whose ROLE says master. Exactly $KEYS
#      distinct keys key:000000000000.. are loaded with redis-cli --pipe (the names
#      redis-benchmark -r $KEYS uses, so its writes overwrite them), DBSIZE checked,
#      then RAFT.SNAPSHOT on the leader, waited for (raft_snapshot_index >= applied).
#   2. writes/s without a transfer:
#        redis-benchmark -t set -n $N -r $KEYS -d SIZE -P $PIPELINE -c $CLIENTS
#   3. one follower SIGKILLed, its node dir removed, restarted with the same arguments;
#      the same redis-benchmark load goes to the leader right after the restart.
#      Catch-up time: from the restart until the follower's raft_applied_index >= the
#      leader's commit index at restart and raft_snapshots_received >= 1. Also: the
#      bytes of the snapshots sent (leader log, event=snapshot_sent), whether the load
#      ended before or after the install, any election (raft_term moved on any node),
#      the leader's VmRSS (/proc/PID/status, every 100 ms) from restart to install.
#   4. DEBUG DIGEST of both followers (the wiped one and the other) once all applied the
#      same index, and DBSIZE of the wiped one (VERIFY=0 skips it).
# Printed: a small table per dataset, then a markdown block for docs/benchmarks.md.
#
#   scripts/bench.sh snapshot                  # 1,000,000 keys x 100 B and x 1 KB
#   BENCH=snapshot scripts/bench.sh            # the same
#   KEYS=50000 SIZES="100 1024" scripts/bench/snapshot.sh   # a quick try
#
# Other knobs: N=200000 (writes per redis-benchmark run), CLIENTS=50, PIPELINE=16,
# CATCHUP_TIMEOUT=900 (s), BIN=bin/redraft-server (copied first: a rebuild meanwhile
# changes nothing), CONF=conf/cluster.conf, LOG_DIR=dir (keep every dataset's logs).
# Only 127.0.0.1, free ports, a temp dir under $TMPDIR (default /tmp; it must be a real
# disk, not tmpfs). Only the processes started here are stopped (by pid), also on
# Ctrl-C or failure. Logs of a dataset that went wrong are kept in
# /tmp/redraft-bench-logs-*. Exit status 1 when anything went wrong, else 0.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
KEYS=${KEYS:-1000000}
SIZES=${SIZES:-"100 1024"}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-16}
CATCHUP_TIMEOUT=${CATCHUP_TIMEOUT:-900}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}   # any one client (loader, redis-benchmark)
VERIFY=${VERIFY:-1}
BIN=${BIN:-bin/redraft-server}
CONF=${CONF:-conf/cluster.conf}
LOG_DIR=${LOG_DIR:-}

for t in redis-benchmark redis-cli python3 timeout; do
  if ! command -v "$t" >/dev/null; then
    echo "snapshot bench: $t missing; running deps/install.sh --with-tests" >&2
    deps/install.sh --with-tests || { echo "snapshot bench: could not install $t" >&2; exit 1; }
    break
  fi
done
if [ ! -x "$BIN" ]; then make -s bin/redraft-server; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/redraft-snapbench-XXXXXX")
fstype=$(df -T "$work" | awk 'NR==2{print $2}')
case "$fstype" in
  tmpfs | ramfs) echo "snapshot bench: $work is on $fstype, not a disk (set TMPDIR)" >&2
    rm -rf "$work"; exit 1 ;;
esac
keep=""                     # where logs of datasets that went wrong are copied
pids=()                     # every process started here and not yet reaped
declare -A npid=()          # node number -> pid of its server
label=setup
cleanup() {
  trap - EXIT INT TERM
  local p any
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 100); do
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
trap 'echo "snapshot bench: interrupted" >&2; exit 130' INT TERM

rbin=$work/redraft-server
cp "$BIN" "$rbin"
binary="$BIN, built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')"
: >"$work/results"; : >"$work/problems"; : >"$work/notes"

# ---- helpers (as in scripts/bench.sh) ---------------------------------------------
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
  "$@" >>"$log" 2>&1 &
  pid=$!; pids+=("$pid")
}
forget() { local p n=(); for p in "${pids[@]}"; do [ "$p" = "$1" ] || n+=("$p"); done; pids=("${n[@]}"); }
client() { # client OUT CMD...: run a client under timeout, interruptible, killed on exit
  local out=$1 p; shift
  timeout "$RUN_TIMEOUT" "$@" >"$out" 2>&1 &
  p=$!; pids+=("$p"); rc=0; wait "$p" || rc=$?; forget "$p"
}
problem() { echo "$label: $*" | tee -a "$work/problems" >&2; bad_run=1; }
note() { echo "$label: $*" | tee -a "$work/notes" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }
raft_info() { { redis-cli -p "$1" INFO raft 2>/dev/null || true; } | tr -d '\r'; }
field() { awk -F: -v k="$2" '$1==k{print $2}' <<<"$1"; } # field INFO NAME
raft_field() { field "$(raft_info "$1")" "$2"; }
mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b / 1048576}'; } # bytes -> MB
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
role_of() { { redis-cli -p "$1" ROLE 2>/dev/null || true; } | head -1 | tr -d '\r'; }
cpu_busy() { awk '/^cpu /{printf "%.2f\n", ($2+$3+$4+$7+$8+$9)/100}' /proc/stat; }
pid_cpu() { awk '{printf "%.2f\n", ($14+$15)/100}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU seconds of this shell's reaped children, from a file written by `times`
children_cpu() { awk 'NR==2{n=0; for(i=1;i<=2;i++){split($i,a,"m"); sub("s","",a[2]); n+=a[1]*60+a[2]} print n}' "$1"; }
# cpu_mark NAME: remember the CPU counters; cpu_others NAME: sets $others, the cores that
# processes other than this script's (and its servers') used since the mark. Not in a
# subshell: `times` there would not count this shell's children.
cpu_mark() {
  local n p s=0
  times >"$work/times-$1"
  for n in 1 2 3; do p=${npid[$n]:-}; [ -z "$p" ] || s=$(awk -v a="$s" -v b="$(pid_cpu "$p")" 'BEGIN{print a + b}'); done
  echo "$(now) $(cpu_busy) $s" >"$work/cpu-$1"
}
cpu_others() {
  local t0 b0 s0 n p s=0
  read -r t0 b0 s0 <"$work/cpu-$1"
  times >"$work/times-$1-end"
  for n in 1 2 3; do p=${npid[$n]:-}; [ -z "$p" ] || s=$(awk -v a="$s" -v b="$(pid_cpu "$p")" 'BEGIN{print a + b}'); done
  awk -v t="$t0" -v T="$(now)" -v b="$b0" -v B="$(cpu_busy)" -v s="$s0" -v S="$s" \
    -v c="$(children_cpu "$work/times-$1")" -v C="$(children_cpu "$work/times-$1-end")" \
    'BEGIN{o=((B-b)-(S-s)-(C-c))/(T-t); if(o<0)o=0; printf "%.2f", o}' >"$work/others"
  read -r others <"$work/others"
}

# ---- the cluster ---------------------------------------------------------------------
# start_node N: node N, always with the same arguments (a restart uses them again)
start_node() {
  local n=$1
  spawn "$rd/node$n.log" "$rbin" "$CONF" --node-id "$n" --data_dir "$rd/data" \
    --cluster.members "$members" --http_port "${hp[$n]}" \
    --storage.fsync true --cluster.read_mode readindex
  npid[$n]=$pid
}
stop_cluster() { # SIGTERM every node, SIGKILL after 10 s; exit statuses checked
  local n p st
  for n in 1 2 3; do p=${npid[$n]:-}; [ -z "$p" ] || kill "$p" 2>/dev/null || true; done
  for n in 1 2 3; do
    p=${npid[$n]:-}; [ -n "$p" ] || continue
    for _ in $(seq 100); do alive "$p" || break; sleep 0.1; done
    if alive "$p"; then kill -9 "$p" 2>/dev/null || true; problem "node $n (pid $p) ignored SIGTERM for 10 s (killed)"; fi
    st=0; wait "$p" 2>/dev/null || st=$?
    if [ "$st" != 0 ] && [ "$st" != 143 ]; then
      problem "node $n (pid $p) exited with status $st; log tail: $(tail -n 2 "$rd/node$n.log" | tr '\n' ' ')"
    fi
    forget "$p"; unset "npid[$n]"
  done
}
nodes_alive() { # nodes_alive: every node still running; a dead one is reaped and reported
  local n p st ok=0
  for n in 1 2 3; do
    p=${npid[$n]:-}
    if [ -z "$p" ]; then ok=1; continue; fi
    alive "$p" && continue
    st=0; wait "$p" 2>/dev/null || st=$?; forget "$p"; unset "npid[$n]"; ok=1
    problem "node $n (pid $p) died, exit status $st$([ "$st" -le 128 ] || echo " (signal $((st - 128)))"); log tail: $(tail -n 2 "$rd/node$n.log" | cut -c1-200 | tr '\n' ' ')"
  done
  return $ok
}
find_leader() { # sets $leader (node number) and $lport; 30 s at most
  local n deadline=$((SECONDS + 30))
  leader=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    for n in 1 2 3; do
      if [ "$(role_of "${np[$n]}")" = master ]; then leader=$n; lport=${np[$n]}; return 0; fi
    done
    sleep 0.1
  done
  problem "no node says ROLE master within 30 s"; return 1
}
start_cluster() {
  local p n
  read -r -a p <<<"$(free_ports 6)"
  for n in 1 2 3; do np[n]=${p[n - 1]}; hp[n]=${p[n + 2]}; done
  members="1:127.0.0.1:${np[1]},2:127.0.0.1:${np[2]},3:127.0.0.1:${np[3]}"
  for n in 1 2 3; do start_node "$n"; done
  find_leader || return 1
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$lport" SET bench:probe 1 2>/dev/null)" = OK ] && break
    sleep 0.1
  done
  [ "$(redis-cli -p "$lport" DEL bench:probe 2>/dev/null)" = 1 ] || { problem "leader on $lport does not take writes"; return 1; }
  for _ in $(seq 100); do # both followers connected
    [ "$(raft_info "$lport" | grep -c 'link=up' || true)" -ge 2 ] && break
    sleep 0.1
  done
}
terms() { local n; for n in 1 2 3; do printf '%s ' "$(raft_field "${np[$n]}" raft_term)"; done; }
term_moved() { # term_moved "T1 T2 T3": the nodes still running whose raft_term is not that
  local before n t moved=""
  read -r -a before <<<"$1"
  for n in 1 2 3; do
    [ -n "${npid[$n]:-}" ] || continue
    t=$(raft_field "${np[$n]}" raft_term)
    [ "$t" = "${before[n - 1]}" ] || moved="$moved node $n term ${before[n - 1]} -> ${t:-?};"
  done
  echo "$moved"
}
wait_synced() { # wait_synced SECS: every node applied the leader's commit index
  local deadline=$((SECONDS + $1)) c n ok
  while [ "$SECONDS" -lt "$deadline" ]; do
    c=$(raft_field "$lport" raft_commit_index); ok=1
    for n in 1 2 3; do [ "$(raft_field "${np[$n]}" raft_applied_index)" = "$c" ] || ok=0; done
    [ -n "$c" ] && [ "$ok" = 1 ] && return 0
    sleep 0.2
  done
  problem "nodes not all at the leader's commit index after $1 s (applied: $(for n in 1 2 3; do raft_field "${np[$n]}" raft_applied_index; done | tr '\n' ' '))"
  return 1
}

# ---- load --------------------------------------------------------------------------
cat >"$work/gen.py" <<'PY'
# gen.py KEYS SIZE: RESP SET commands for keys key:000000000000 .. KEYS-1 (the names
# redis-benchmark -r uses), SIZE-byte values cut from a fixed pseudo-random pool
import random, sys
keys, size = int(sys.argv[1]), int(sys.argv[2])
pool = random.Random(42).randbytes(65536 + size).hex().encode()[: 65536 + size]
head = b"$%d\r\n" % size
out, buf = sys.stdout.buffer, []
for i in range(keys):
    off = (i * 7919) % 65536
    buf.append(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n%s%s\r\n" % (i, head, pool[off:off + size]))
    if len(buf) == 4096:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
PY
load_keys() {
  local t0; t0=$(now)
  client "$rd/load.out" sh -c "python3 '$work/gen.py' $KEYS $size | redis-cli -p $lport --pipe"
  grep -q "errors: 0, replies: $KEYS\$" "$rd/load.out" ||
    { problem "loading failed (rc $rc): $(tail -n 3 "$rd/load.out" | tr '\n' ' ')"; return 1; }
  load_secs=$(since "$t0")
  local d; d=$(redis-cli -p "$lport" DBSIZE 2>/dev/null | tr -d '\r')
  [ "$d" = "$KEYS" ] || { problem "DBSIZE is $d after loading $KEYS keys"; return 1; }
}
rb_cmd() { rb=(redis-benchmark -p "$lport" -t set -n "$N" -r "$KEYS" -d "$size" -P "$PIPELINE" -c "$CLIENTS" --csv); }
rb_rps() { # rb_rps OUT: the SET rps of a redis-benchmark --csv output; problems noted
  if grep -qiE 'error|refused|reset|timeout' "$1"; then
    problem "redis-benchmark: $(grep -iE 'error|refused|reset|timeout' "$1" | sort | uniq -c | head -3 | tr -s ' \n' ' ')"
  fi
  grep -E '^"SET"' "$1" | tr -d '"' | awk -F, '{printf "%.0f", $2}'
}

# make_snapshot: RAFT.SNAPSHOT on the leader, wait until it covers the applied index
make_snapshot() {
  local r deadline=$((SECONDS + 600)) s
  r=$(redis-cli -p "$lport" RAFT.SNAPSHOT 2>&1 | tr -d '\r')
  case "$r" in "Background snapshot"*) ;; *) problem "RAFT.SNAPSHOT answered: $r"; return 1 ;; esac
  while [ "$SECONDS" -lt "$deadline" ]; do
    s=$(raft_info "$lport")
    if [ "$(field "$s" raft_snapshot_in_progress)" = 0 ] &&
      [ "$(field "$s" raft_snapshot_index)" -ge "$(field "$s" raft_applied_index)" ]; then
      snap_bytes=$(field "$s" raft_snapshot_bytes); snap_ms=$(field "$s" raft_last_snapshot_duration_ms)
      return 0
    fi
    sleep 0.2
  done
  problem "the leader's snapshot did not reach its applied index in 600 s"; return 1
}

# log_events LEADER_LOG OFFSET FOLLOWER_LOG OFFSET PEER T0 INDEX: the transfers as the logs
# tell them (lines after the offsets); "catch_": the first install at or beyond INDEX
log_events() {
  python3 - "$@" <<'PY'
import re, sys, datetime
llog, off, flog, foff, peer = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
t0, index = float(sys.argv[6]), int(sys.argv[7])
def lines(path, start):
    with open(path, "rb") as f:
        f.seek(start)
        return f.read().decode(errors="replace").splitlines()
def ts(l):
    m = re.match(r"ts=(\S+)Z", l)
    t = datetime.datetime.fromisoformat(m.group(1)).replace(tzinfo=datetime.timezone.utc)
    return t.timestamp() - t0
kv = lambda l, k: int((re.search(r"\b%s=(\d+)" % k, l) or [0, 0])[1])
L, F = lines(llog, off), lines(flog, foff)
mine = lambda l, ev: f"event={ev} " in l and f" peer={peer} " in l + " "
started = [l for l in L if mine(l, "snapshot_send_started")]
sent = [l for l in L if mine(l, "snapshot_sent")]
inst = [l for l in F if "event=snapshot_installed " in l]
catch = [l for l in inst if kv(l, "index") >= index][:1]
out = {
    "send_starts": len(started),
    "first_send_after": f"{ts(started[0]):.2f}" if started else "-",
    "sent_count": len(sent),
    "sent_bytes": sum(kv(l, "bytes") for l in sent),
    "installs": len(inst),
    "catch_bytes": sum(kv(l, "bytes") for l in catch),
    "catch_install_ms": sum(kv(l, "ms") for l in catch),
    "catch_after": f"{ts(catch[0]):.2f}" if catch else "-",
    "installs_before": inst.index(catch[0]) if catch else 0,
    "receive_aborts": sum("event=snapshot_receive_aborted" in l for l in F),
}
for k, v in out.items():
    print(f"{k}={v}")
PY
}

# warnings DIR: the warn/error lines of every node log: how many of each event, and
# the first of them
warnings() {
  local f
  for f in "$1"/node*.log; do
    awk -v n="$(basename "$f")" '/level=(warn|error)/ {
        match($0, /event=[^ ]+/); e = substr($0, RSTART, RLENGTH)
        if (!(e in cnt)) { first[e] = substr($0, 1, 300); order[++k] = e }
        cnt[e]++ }
      END { for (i = 1; i <= k; i++) printf "    %s: %d x %s, first: %s\n", n, cnt[order[i]], order[i], first[order[i]] }' "$f"
  done
}

# ---- one dataset ---------------------------------------------------------------------
dataset() {
  size=$1; label="$KEYS keys x $size B"; bad_run=0
  rd=$work/ds-$size; rm -rf "$rd"; mkdir -p "$rd"
  local f n t0 ci rss0 rss peak=0 msgs0 loff foff caught="" load_end="" lp st s
  local without during term0 moved elections digest dead=0
  echo "== $label" >&2
  start_cluster || return 1
  echo "   cluster up: ports ${np[1]} ${np[2]} ${np[3]}, leader node $leader; loading $KEYS keys" >&2
  load_keys || return 1
  make_snapshot || return 1
  echo "   loaded in ${load_secs} s; leader snapshot $snap_bytes bytes in $snap_ms ms" >&2
  if [ "$(role_of "$lport")" != master ]; then note "leader changed while loading"; find_leader || return 1; fi
  wait_synced 300 || return 1

  # 2. writes without a transfer
  term0=$(terms)
  cpu_mark without
  rb_cmd; client "$rd/without.out" "${rb[@]}"
  [ "$rc" = 0 ] || problem "redis-benchmark (without transfer) exited with $rc"
  without=$(rb_rps "$rd/without.out")
  cpu_others without; local others_without=$others
  [ -n "$without" ] || { problem "redis-benchmark (without transfer): no result"; return 1; }
  s=$(term_moved "$term0"); [ -z "$s" ] || note "raft_term moved during the run without transfer:$s"
  echo "   writes without transfer: $without/s" >&2
  wait_synced 300 || return 1
  make_snapshot || return 1 # the leader's snapshot covers the data again, as in step 1

  # 3. wipe a follower and bring it back under the same load
  for n in 1 2 3; do [ "$n" = "$leader" ] || { f=$n; break; }; done
  term0=$(terms)
  kill -9 "${npid[$f]}"; st=0; wait "${npid[$f]}" 2>/dev/null || st=$?; forget "${npid[$f]}"
  rm -rf "$rd/data/node$f"
  s=$(raft_info "$lport"); ci=$(field "$s" raft_commit_index); msgs0=$(field "$s" raft_msgs_in)
  rss0=$(rss_kb "${npid[$leader]}"); peak=$rss0
  loff=$(stat -c %s "$rd/node$leader.log"); foff=$(stat -c %s "$rd/node$f.log")
  echo "   node $f killed and wiped; restarting it (leader commit index $ci)" >&2
  cpu_mark during
  t0=$(now)
  start_node "$f"
  # The load starts at once. (The leader still counts the wiped node's old log as matched:
  # it sends a snapshot only once it has compacted past that index, which these writes
  # make happen within about a second. Without writes the node would wait.)
  timeout "$RUN_TIMEOUT" "${rb[@]}" >"$rd/during.out" 2>&1 &
  lp=$!; pids+=("$lp")
  while :; do
    if [ -z "$caught" ] && [ "$dead" = 0 ]; then
      rss=$(rss_kb "${npid[$leader]}"); [ "$rss" -le "$peak" ] || peak=$rss
      s=$(raft_info "${np[$f]}") # (no answer while the node installs: time taken after it)
      if [ "$(field "$s" raft_applied_index || true)" -ge "$ci" ] 2>/dev/null &&
        [ "$(field "$s" raft_snapshots_received || true)" -ge 1 ] 2>/dev/null; then
        caught=$(since "$t0")
      fi
    fi
    if [ -z "$load_end" ] && ! alive "$lp"; then
      rc=0; wait "$lp" || rc=$?; forget "$lp"; load_end=$(since "$t0")
      [ "$rc" = 0 ] || problem "redis-benchmark (during transfer) exited with $rc"
    fi
    if [ -n "$load_end" ] && { [ -n "$caught" ] || [ "$dead" = 1 ]; }; then break; fi
    if [ "$dead" = 0 ] && ! nodes_alive; then dead=1; fi # the load still runs to its end
    if [ -z "$caught" ] && [ "$dead" = 0 ] &&
      awk -v d="$(since "$t0")" -v m="$CATCHUP_TIMEOUT" 'BEGIN{exit !(d > m)}'; then
      problem "node $f not caught up $CATCHUP_TIMEOUT s after its restart (applied $(raft_field "${np[$f]}" raft_applied_index) of $ci, snapshots received $(raft_field "${np[$f]}" raft_snapshots_received))"
      dead=1
    fi
    sleep 0.1
  done
  cpu_others during; local others_during=$others
  nodes_alive || dead=1 # (a node that died after the loop: not an election below)
  if [ -z "$load_end" ]; then kill "$lp" 2>/dev/null || true; wait "$lp" 2>/dev/null || true; forget "$lp"; fi
  during=$(rb_rps "$rd/during.out"); [ -n "$during" ] || problem "redis-benchmark (during transfer): no result"
  moved=$(term_moved "$term0")
  if [ -z "$moved" ] && [ "$(role_of "$lport")" = master ]; then elections=no; else
    elections="yes:$moved"; problem "election during the transfer:$moved leader node $leader says ROLE $(role_of "$lport")"
  fi
  # with writes going on the leader keeps compacting: the follower may need more snapshots
  # before it can follow the log; "in sync": every node at the leader's commit index
  local in_sync=-
  if [ -n "$caught" ] && nodes_alive && wait_synced 300; then in_sync=$(since "$t0"); fi
  s=$(raft_info "$lport")
  local msgs=$(( $(field "$s" raft_msgs_in || true) + 0 - msgs0 ))
  local ev_send_starts=- ev_first_send_after=- ev_sent_count=0 ev_sent_bytes=0 ev_installs=0 \
    ev_catch_bytes=0 ev_catch_install_ms=- ev_catch_after=- ev_installs_before=0 ev_receive_aborts=-
  eval "$(log_events "$rd/node$leader.log" "$loff" "$rd/node$f.log" "$foff" "$f" "$t0" "$ci" |
    grep -E '^[a-z_]+=[0-9.-]+$' | sed 's/^/ev_/')"
  [ "$ev_catch_after" != - ] || [ -z "$caught" ] ||
    problem "caught up, but node $f's log has no event=snapshot_installed at or beyond index $ci"
  [ "$ev_send_starts" = "$ev_sent_count" ] ||
    note "the leader logged $ev_send_starts snapshot_send_started for node $f but $ev_sent_count snapshot_sent"

  # 4. the wiped node holds the same data as the other follower, at the same index (not
  # the leader: a digest of 1 GB blocks a node for seconds, which would cost the leader
  # its leadership)
  digest=skipped
  if [ "$VERIFY" = 1 ] && [ "$in_sync" != - ]; then
    local d a b
    digest=""
    for n in 1 2 3; do
      [ "$n" != "$leader" ] || continue
      a=$(raft_field "${np[$n]}" raft_applied_index)
      d=$(redis-cli -p "${np[$n]}" DEBUG DIGEST 2>&1 | tr -d '\r')
      b=$(raft_field "${np[$n]}" raft_applied_index)
      [ "$a" = "$b" ] || note "node $n applied entries during DEBUG DIGEST ($a -> $b)"
      [ -n "$digest" ] || digest=$d
      [ "$d" = "$digest" ] || { problem "node $n digest $d differs from $digest"; digest="DIFFER"; }
    done
    d=$(redis-cli -p "${np[$f]}" DBSIZE 2>/dev/null | tr -d '\r')
    [ "$d" = "$KEYS" ] || problem "DBSIZE on the restarted node $f is $d, not $KEYS"
    s=$(term_moved "$term0"); [ -z "$s" ] || note "raft_term moved after the catch-up, during the checks:$s"
  fi
  nodes_alive || true
  local warn; warn=$(warnings "$rd")
  stop_cluster

  # report: one line of key=value fields (tab-separated) per dataset, and a small table
  local mbps ratio covers rss0_mb growth
  mbps=$(awk -v b="$ev_catch_bytes" -v t="${caught:-0}" 'BEGIN{if (t > 0) printf "%.1f", b / 1048576 / t; else print "-"}')
  ratio=$(awk -v a="$during" -v b="$without" 'BEGIN{if (a != "" && b > 0) printf "%.2f", a / b; else print "-"}')
  if [ -z "$load_end" ]; then covers="the load did not end"
  elif [ -z "$caught" ]; then covers="the follower never caught up; the load ran ${load_end} s"
  elif awk -v l="$load_end" -v c="$caught" 'BEGIN{exit !(l < c)}'; then
    covers="the load ended ${load_end} s after the restart, before the install: it covers only part of the transfer"
  else covers="the load ran until ${load_end} s, past the install"; fi
  rss0_mb=$(awk -v b="$rss0" 'BEGIN{printf "%.0f", b / 1024}')
  growth=$(awk -v p="$peak" -v b="$rss0" 'BEGIN{printf "%.0f", (p - b) / 1024}')
  printf '%s\t' keys="$KEYS" size="$size" snap_mb="$(mb "$ev_catch_bytes")" catchup="${caught:--}" mbps="$mbps" \
    without="$without" during="${during:--}" ratio="$ratio" elections="$elections" rss_growth="$growth" \
    covers="$covers" first_send="$ev_first_send_after" in_sync="$in_sync" installs="$ev_installs" \
    others_without="$others_without" others_during="$others_during" digest="$digest" >>"$work/results"
  echo >>"$work/results"
  {
    echo
    echo "$label (node $f wiped and restarted; leader node $leader)"
    printf '  %-31s %s\n' \
      "keys loaded" "$KEYS in $load_secs s; leader snapshot before the kill $(mb "$snap_bytes") MB (made in $snap_ms ms)" \
      "snapshot that brought it back" "$(mb "$ev_catch_bytes") MB (installed in $ev_catch_install_ms ms, logged at $ev_catch_after s; $ev_installs_before install(s) before it)" \
      "catch-up" "${caught:-not reached} s after the restart, seen in INFO (first send began at ${ev_first_send_after} s)" \
      "catch-up rate" "$mbps MB/s (snapshot MB / catch-up s)" \
      "every node in sync" "$in_sync s after the restart (the load ended at ${load_end:--} s)" \
      "transfers until then" "$ev_send_starts send(s) started, $ev_sent_count logged as sent ($(mb "$ev_sent_bytes") MB); $ev_installs install(s) on node $f, $ev_receive_aborts receive(s) aborted" \
      "writes/s without transfer" "$without (other processes used $others_without cores)" \
      "writes/s during transfer" "${during:--} ($covers; other processes used $others_during cores)" \
      "ratio during / without" "$ratio" \
      "elections" "$elections" \
      "leader RSS" "$rss0_mb MB at the restart, peak +$growth MB until the catch-up" \
      "raft msgs the leader received" "$msgs from the restart until in sync" \
      "followers' DEBUG DIGEST" "$digest"
    if [ -n "$warn" ]; then echo "  warn/error log lines (count, event):"; echo "$warn"; fi
  } | tee -a "$work/report" >&2
  [ -n "$caught" ]
}

# ---- the run ---------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (+ local changes)" || true)
{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $fstype under $(dirname "$work")"
  echo "server:  $binary; work tree at $commit$dirty"
  echo "load:    KEYS=$KEYS SIZES=\"$SIZES\" N=$N -c $CLIENTS -P $PIPELINE; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$work/header"
tstart=$SECONDS
for size in $SIZES; do
  rd=$work/ds-$size
  if ! dataset "$size"; then
    [ "$bad_run" = 1 ] || problem "dataset failed"
    stop_cluster
  fi
  if [ -n "$LOG_DIR" ] || [ "$bad_run" = 1 ]; then
    if [ -z "$LOG_DIR" ] && [ -z "$keep" ]; then keep=$(mktemp -d /tmp/redraft-bench-logs-XXXXXX); fi
    dst="${LOG_DIR:-$keep}/snapshot-$KEYS-$size"; mkdir -p "$dst"
    cp "$rd"/*.log "$rd"/*.out "$dst"/ 2>/dev/null || true
    echo "  logs kept in $dst" >&2
  fi
  rm -rf "$rd"
done

python3 - "$work/results" "$work/header" "$work/problems" "$work/notes" "$((SECONDS - tstart))" "$N" "$CLIENTS" "$PIPELINE" <<'PY'
import sys
res, header, probs, notes, secs, n, c, p = sys.argv[1:9]
rows = [dict(f.split("=", 1) for f in l.rstrip("\n").split("\t") if "=" in f) for l in open(res) if l.strip()]
num = lambda v: f"{int(v):,}" if v.isdigit() else v
size = lambda s: f"{int(s) // 1024} KB" if int(s) % 1024 == 0 else f"{s} B"
print(f"\n## catch-up of a wiped follower through a snapshot ({secs} s in all)")
fmt = "{:>10} {:>6} {:>8} {:>10} {:>6} {:>11} {:>11} {:>6} {:>9} {:>8}"
print(fmt.format("keys", "value", "snap MB", "catch-up s", "MB/s", "w/s without", "w/s during", "ratio", "elections", "RSS +MB"))
for r in rows:
    print(fmt.format(num(r["keys"]), size(r["size"]), r["snap_mb"], r["catchup"], r["mbps"], num(r["without"]),
                     num(r["during"]), r["ratio"], r["elections"][:9], r["rss_growth"]))
for r in rows:
    print(f"  {size(r['size'])}: {r['covers']}; first send {r['first_send']} s after the restart; every node in sync"
          f" at {r['in_sync']} s, after {r['installs']} install(s); other processes"
          f" used {r['others_without']} / {r['others_during']} cores (without / during); digests {r['digest']}")

h = dict(l.split(":", 1) for l in open(header).read().splitlines())
print("\n## markdown for docs/benchmarks.md\n")
print(f"### Catch-up of a wiped follower ({h['date'].strip()}, work tree {h['server'].split('work tree at')[-1].strip()})\n")
print(f"`scripts/bench.sh snapshot` on {h['machine'].strip()}: three nodes from conf/cluster.conf (fsync on, "
      f"`read_mode readindex`). Exactly KEYS distinct keys loaded with `redis-cli --pipe`, then `RAFT.SNAPSHOT` "
      f"on the leader. Without transfer: `redis-benchmark -t set -n {n} -r KEYS -d SIZE -P {p} -c {c}` "
      f"against the leader. Then a follower is SIGKILLed, its node directory removed, and it is restarted "
      f"with the same arguments while the same load runs. Catch-up: from the restart until the follower "
      f"has applied, through a snapshot, the leader's commit index at the restart. MB/s: that snapshot's "
      f"bytes / catch-up time. RSS growth: the leader's peak VmRSS (sampled every 100 ms) minus its VmRSS at the restart.\n")
print("| keys | value | snapshot | catch-up | MB/s | SET/s without transfer | SET/s during | ratio | elections | leader RSS growth |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
for r in rows:
    print(f"| {num(r['keys'])} | {size(r['size'])} | {r['snap_mb']} MB | {r['catchup']} s | {r['mbps']} | "
          f"{num(r['without'])} | {num(r['during'])} | {r['ratio']} | {r['elections']} | +{r['rss_growth']} MB |")
print()
for r in rows:
    print(f"- {size(r['size'])} values: {r['covers']}; the first snapshot send began {r['first_send']} s after "
          f"the restart; the follower installed {r['installs']} snapshot(s) before every node was at the leader's "
          f"commit index ({r['in_sync']} s); other processes used {r['others_without']} / {r['others_during']} cores.")
pl = open(probs).read().strip()
print("\n## problems\n" + (pl if pl else "  none"))
nl = open(notes).read().strip()
if nl: print("\n## notes\n" + nl)
PY
if [ -n "$keep" ]; then echo "logs of the datasets with problems: $keep"; fi
if [ -s "$work/problems" ]; then exit 1; fi
exit 0
