#!/usr/bin/env bash
# Installs the Debian packages redraft needs, and only those that are missing.
# Idempotent: a second run finds everything present and installs nothing.
# Works as root or through sudo. Usage: deps/install.sh [--with-tests] [--with-bench]
#   --with-tests  what the tests run against (redis-server, redis-cli, curl, python3,
#                 promtool from the prometheus package)
#   --with-bench  what scripts/bench.sh compares with: the above plus etcd (3-node
#                 etcd cluster), etcdctl and wrk (HTTP load for etcd)
set -euo pipefail

with_tests=0 with_bench=0
for arg in "$@"; do
  case "$arg" in
    --with-tests) with_tests=1 ;;
    --with-bench) with_tests=1 with_bench=1 ;;
    *) echo "usage: $0 [--with-tests] [--with-bench]" >&2; exit 2 ;;
  esac
done

missing=()
need_pkg() {            # need_pkg PACKAGE CHECK...: queue PACKAGE unless CHECK succeeds
  local pkg=$1; shift
  if "$@" >/dev/null 2>&1; then return 0; fi
  missing+=("$pkg")
}
have_pc()  { command -v pkg-config >/dev/null && pkg-config --exists "$1"; }
have_hdr() { [ -e "/usr/include/$1" ]; }
have_cmd() { command -v "$1"; }

need_pkg pkg-config     have_cmd pkg-config
need_pkg gcc            have_cmd gcc
need_pkg make           have_cmd make
need_pkg libuv1-dev     have_pc libuv
need_pkg libhiredis-dev have_hdr hiredis/hiredis.h
need_pkg librocksdb-dev have_hdr rocksdb/c.h
need_pkg libcmocka-dev  have_hdr cmocka.h
need_pkg libhttp-parser-dev have_hdr http_parser.h
need_pkg libjansson-dev have_hdr jansson.h
if [ "$with_tests" = 1 ]; then
  need_pkg redis-tools  have_cmd redis-cli
  need_pkg redis-server have_cmd redis-server
  need_pkg curl         have_cmd curl
  need_pkg python3      have_cmd python3
  need_pkg prometheus   have_cmd promtool   # promtool check metrics (test_admin)
fi
if [ "$with_bench" = 1 ]; then
  need_pkg etcd-server  have_cmd etcd
  need_pkg etcd-client  have_cmd etcdctl
  need_pkg wrk          have_cmd wrk
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
