#!/usr/bin/env bash
# The local cluster described by conf/cluster.conf.
#   scripts/cluster.sh start|stop|status|logs|restart
#   scripts/cluster.sh add N [PORT]   start node N (not in members) and have it join
#   scripts/cluster.sh remove N       remove node N from the cluster, then stop it
# Each node runs in the background as `bin/redraft-server conf/cluster.conf
# --node-id N`; pids and logs live in logs/ (override with REDRAFT_RUN_DIR).
#
# Every member of [cluster] members is started (REDRAFT_NODES="1 2" picks
# some), plus the nodes added with `add`; `status` says which node leads
# (INFO raft). `add` and `remove` go through the admin API (curl): the
# token, if any, comes from REDRAFT_ADMIN_TOKEN or the config's admin_token.
set -euo pipefail
cd "$(dirname "$0")/.."
conf=${REDRAFT_CONF:-conf/cluster.conf}
run=${REDRAFT_RUN_DIR:-logs}
all_ids=$(grep -E '^\s*members\s*=' "$conf" | grep -oE '"[0-9]+:' | tr -d '":' | tr '\n' ' ')
added_ids() { ls "$run" 2>/dev/null | sed -nE 's/^node([0-9]+)\.port$/\1/p' | tr '\n' ' '; }
mkdir -p "$run"
nodes=${REDRAFT_NODES:-$all_ids $(added_ids)}
bin=bin/redraft-server

# Port of node N: from the members line of the config, or as `add` chose it.
port_of() {
  if [ -f "$run/node$1.port" ]; then cat "$run/node$1.port"; return; fi
  grep -E '^\s*members\s*=' "$conf" | grep -oE "\"$1:[^\"]+\"" | tr -d '"' | awk -F: '{print $NF}'
}

token=${REDRAFT_ADMIN_TOKEN:-$(grep -E '^\s*admin_token\s*=' "$conf" | head -1 | sed -E 's/^[^=]*=\s*"(.*)".*/\1/')}
# POST to the admin API of the first running node that answers; curl -L
# follows a follower's 307 to the leader.
admin_post() { # path body
  local auth=() n hp out code body
  [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
  for n in $nodes; do
    alive "$n" || continue
    hp=$(( $(port_of "$n") + 1000 ))
    # --location-trusted: curl drops the token on a redirect to another port otherwise
    if out=$(curl -sS -L --location-trusted --max-time 120 "${auth[@]}" -X POST "http://127.0.0.1:$hp$1" -d "$2" -w '\n%{http_code}' 2>/dev/null); then
      code=${out##*$'\n'}; body=${out%$'\n'*}
      [ "$code" = 503 ] && continue
      echo "$body"
      [ "${code:0:1}" = 2 ] && return 0 || return 1
    fi
  done
  echo "no running member answered" >&2
  return 1
}

first_http() {
  local n
  for n in $nodes; do alive "$n" && { echo "127.0.0.1:$(( $(port_of "$n") + 1000 ))"; return; }; done
  return 1
}

add() { # N [PORT]
  local n=$1 base; base=$(port_of "$(echo "$all_ids" | awk '{print $1}')")
  local p=${2:-$(( base + n - 1 ))}
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "usage: $0 add N [PORT]" >&2; exit 2; }
  if alive "$n"; then echo "node $n already running"; exit 1; fi
  local via; via=$(first_http) || { echo "no member is running: scripts/cluster.sh start" >&2; exit 1; }
  echo "$p" >"$run/node$n.port"
  rm -f "$run/node$n.removed"
  nodes="$nodes $n"
  "$bin" "$conf" --node-id "$n" --port "$p" --join "$via" >>"$run/node$n.log" 2>&1 &
  echo $! >"$run/node$n.pid"
  echo "node $n started on 127.0.0.1:$p (pid $!), joining through $via"
  for _ in $(seq 600); do
    if ! alive "$n"; then echo "node $n exited: see $run/node$n.log" >&2; tail -n 5 "$run/node$n.log" >&2; exit 1; fi
    if curl -s "http://$via/cluster/members" | grep -qE "\"id\": ?$n,[^}]*\"voter\": ?true"; then
      echo "node $n is a voter"; status; return 0
    fi
    sleep 0.1
  done
  echo "node $n joined but is not a voter yet (still catching up?): scripts/cluster.sh status" >&2
  exit 1
}

remove() { # N
  local n=$1
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "usage: $0 remove N" >&2; exit 2; }
  admin_post /cluster/leave "{\"id\": $n}" || exit 1
  nodes=$n stop
  rm -f "$run/node$n.port"
  touch "$run/node$n.removed" # `start` leaves it stopped: its id is out of the cluster for good
}

alive() { [ -f "$run/node$1.pid" ] && kill -0 "$(cat "$run/node$1.pid")" 2>/dev/null; }

start() {
  [ -x "$bin" ] || { echo "build first: make" >&2; exit 1; }
  for n in $nodes; do
    if [ -f "$run/node$n.removed" ]; then echo "node $n was removed from the cluster: not started"; continue; fi
    if alive "$n"; then echo "node $n already running (pid $(cat "$run/node$n.pid"))"; continue; fi
    if [ -f "$run/node$n.port" ]; then # added with `add`: its own port; it has joined already
      "$bin" "$conf" --node-id "$n" --port "$(cat "$run/node$n.port")" --members "" >>"$run/node$n.log" 2>&1 &
    else
      "$bin" "$conf" --node-id "$n" >>"$run/node$n.log" 2>&1 &
    fi
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
  add) shift; add "$@" ;;
  remove) shift; remove "$@" ;;
  status) status ;;
  logs) tail -n 50 "$run"/node*.log ;;
  *) echo "usage: $0 start|stop|status|logs|restart|add N [PORT]|remove N" >&2; exit 2 ;;
esac
