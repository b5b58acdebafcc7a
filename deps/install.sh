#!/usr/bin/env bash
# Installs the Debian packages redraft needs, and only those that are missing.
# Idempotent: a second run finds everything present and installs nothing.
# Works as root or through sudo. Usage: deps/install.sh [--with-tests]
set -euo pipefail

with_tests=0
[ "${1:-}" = "--with-tests" ] && with_tests=1

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
if [ "$with_tests" = 1 ]; then
  need_pkg redis-tools  have_cmd redis-cli
  need_pkg redis-server have_cmd redis-server
  need_pkg curl         have_cmd curl
  need_pkg python3      have_cmd python3
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
