#!/usr/bin/env bash
# The local cluster described by conf/cluster.conf.
#   scripts/cluster.sh start|stop|status|logs|restart
# Each node runs in the background as `bin/redraft-server conf/cluster.conf
# --node-id N`; pids and logs live in logs/ (override with REDRAFT_RUN_DIR).
#
# Every member of [cluster] members is started (REDRAFT_NODES="1 2" picks
# some); `status` says which node leads (INFO raft).
set -euo pipefail
cd "$(dirname "$0")/.."
conf=${REDRAFT_CONF:-conf/cluster.conf}
run=${REDRAFT_RUN_DIR:-logs}
all_ids=$(grep -E '^\s*members\s*=' "$conf" | grep -oE '"[0-9]+:' | tr -d '":' | tr '\n' ' ')
nodes=${REDRAFT_NODES:-$all_ids}
bin=bin/redraft-server
mkdir -p "$run"

# Port of node N, read from the members line of the config.
port_of() {
  grep -E '^\s*members\s*=' "$conf" | grep -oE "\"$1:[^\"]+\"" | tr -d '"' | awk -F: '{print $NF}'
}

alive() { [ -f "$run/node$1.pid" ] && kill -0 "$(cat "$run/node$1.pid")" 2>/dev/null; }

start() {
  [ -x "$bin" ] || { echo "build first: make" >&2; exit 1; }
  for n in $nodes; do
    if alive "$n"; then echo "node $n already running (pid $(cat "$run/node$n.pid"))"; continue; fi
    "$bin" "$conf" --node-id "$n" >>"$run/node$n.log" 2>&1 &
    echo $! >"$run/node$n.pid"
  done
  sleep 2.5 # the first election takes an election timeout (1-2 s)
  status
  echo "logs: $run/node*.log   stop: scripts/cluster.sh stop"
}

stop() {
  for n in $nodes; do
    if alive "$n"; then
      pid=$(cat "$run/node$n.pid"); kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
      echo "node $n stopped"
    fi
    rm -f "$run/node$n.pid"
  done
}

status() {
  for n in $nodes; do
    p=$(port_of "$n")
    if alive "$n"; then
      if command -v redis-cli >/dev/null && redis-cli -p "$p" PING >/dev/null 2>&1; then
        role=$(redis-cli -p "$p" INFO raft | tr -d '\r' | awk -F: '$1=="raft_role"{r=$2} $1=="raft_term"{t=$2} END{print r" term "t}')
        echo "node $n: up   pid $(cat "$run/node$n.pid")  127.0.0.1:$p  $role"
      else
        echo "node $n: starting or not answering  pid $(cat "$run/node$n.pid")  port $p"
      fi
    else
      echo "node $n: down (port $p)"
    fi
  done
}

case "${1:-status}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  logs) tail -n 50 "$run"/node*.log ;;
  *) echo "usage: $0 start|stop|status|logs|restart" >&2; exit 2 ;;
esac
