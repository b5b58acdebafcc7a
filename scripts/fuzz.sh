#!/usr/bin/env bash
# Builds every libFuzzer target tests/fuzz/fuzz_*.c with clang
# (-fsanitize=fuzzer,address,undefined) and runs each for FUZZ_SECONDS
# (default 60).
#
# A target names the src/ files it needs in a comment line near its top:
#     // fuzz-sources: src/resp/parser.c src/util/foo.c
# and, when it needs system libraries, names them in another:
#     // fuzz-libs: -luv -lhttp_parser
# Corpora live in build/fuzz/corpus/<target>/ and persist between runs;
# tests/fuzz/corpus/<target>/ (seeds) and tests/fuzz/<target>.dict are used
# when present. Crash reproducers are written to build/fuzz/artifacts/.
#
#   scripts/fuzz.sh                    all targets, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh   longer
#   scripts/fuzz.sh fuzz_resp_parser   only the named target(s)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
CLANG="${CLANG:-clang}"
OUT=build/fuzz

if ! command -v "$CLANG" >/dev/null 2>&1; then
    echo "fuzz.sh: $CLANG not found; installing clang with apt-get" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq clang
fi

targets=()
if [ $# -gt 0 ]; then
    for name in "$@"; do
        targets+=("tests/fuzz/${name%.c}.c")
    done
else
    for f in tests/fuzz/fuzz_*.c; do
        [ -e "$f" ] && targets+=("$f")
    done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz.sh: no targets in tests/fuzz/" >&2
    exit 1
fi

mkdir -p "$OUT/bin" "$OUT/artifacts"
CFLAGS=(-std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Isrc -Itests)

status=0
for target in "${targets[@]}"; do
    name=$(basename "$target" .c)
    sources=$(sed -n 's|^// fuzz-sources:||p' "$target" | head -n 1)
    libs=$(sed -n 's|^// fuzz-libs:||p' "$target" | head -n 1)
    echo "== $name: building $target $sources"
    # shellcheck disable=SC2086  # the source and library lists are meant to split
    "$CLANG" "${CFLAGS[@]}" "$target" $sources -o "$OUT/bin/$name" $libs -lm

    corpus="$OUT/corpus/$name"
    mkdir -p "$corpus"
    dirs=("$corpus")
    [ -d "tests/fuzz/corpus/$name" ] && dirs+=("tests/fuzz/corpus/$name")
    args=(-max_total_time="$FUZZ_SECONDS" -print_final_stats=1
          -artifact_prefix="$OUT/artifacts/$name-")
    [ -f "tests/fuzz/$name.dict" ] && args+=(-dict="tests/fuzz/$name.dict")

    echo "== $name: running for ${FUZZ_SECONDS}s (corpus $corpus)"
    if "$OUT/bin/$name" "${args[@]}" "${dirs[@]}"; then
        echo "== $name: ok"
    else
        echo "== $name: FAILED (reproducers in $OUT/artifacts/)" >&2
        status=1
    fi
done
exit $status
