#!/usr/bin/env bash
# Builds one libFuzzer target (tests/fuzz/<name>.c) with the C compiler,
# without libFuzzer, from exactly the sources and libraries its
# "// fuzz-sources:" and "// fuzz-libs:" lines name (see scripts/fuzz.sh),
# linked with tests/fuzz/replay_main.c, and runs its seed corpus
# (tests/fuzz/corpus/<name>/, past crash reproducers included) through it.
# `make test` runs it for every target: a target whose source list went
# stale, or a seed that fails again, fails the tests, not the next fuzzing
# session.
#
#   scripts/fuzz-replay.sh fuzz_http_client
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/fuzz-replay.sh <target name>}
target="tests/fuzz/$name.c"
out=build/fuzz-replay
mkdir -p "$out"
sources=$(sed -n 's|^// fuzz-sources:||p' "$target" | head -n 1)
libs=$(sed -n 's|^// fuzz-libs:||p' "$target" | head -n 1)
# shellcheck disable=SC2086  # the source and library lists are meant to split
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O0 -g -Isrc -Itests "$target" $sources tests/fuzz/replay_main.c \
    -o "$out/$name" $libs -lm
corpus=()
[ -d "tests/fuzz/corpus/$name" ] && corpus+=("tests/fuzz/corpus/$name")
"$out/$name" "${corpus[@]}"
