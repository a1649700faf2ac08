#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-fuzz.sh [SECONDS]: build the libFuzzer targets (clang, ASan+UBSan,
# coverage-instrumented libberth_core) in build-fuzz/ when needed, then run
# each target for SECONDS (default 60) over a copy of its seed corpus.
# Exits non-zero when any target finds a crash, leak, timeout or sanitizer
# report; reproducers go to build-fuzz/tests/fuzz/artifacts/.
#   BUILD_FUZZ=DIR   build directory (default: <source>/build-fuzz)
#   FUZZ_TARGETS=".."  subset of "credentials dockerfile ignore oci profile registry seccomp spec unpack"
#   FUZZ_ARGS=".."   extra libFuzzer flags (e.g. -jobs=4 -workers=4)
set -euo pipefail

secs=${1:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${BUILD_FUZZ:-$src/build-fuzz}
targets=${FUZZ_TARGETS:-credentials dockerfile ignore oci profile registry seccomp spec unpack}

case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
	# The parsers live in libberth_core: libFuzzer only sees their coverage
	# when the whole library is built by clang with fuzzer-no-link.
	CC=clang meson setup "$build" "$src" \
		-Dfuzzing=true \
		-Db_sanitize=address,undefined \
		-Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link
fi
for t in $targets; do
	ninja -C "$build" "tests/fuzz/fuzz-$t"
done

out=$build/tests/fuzz
tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/artifacts"

# UBSan only reports by default: make every finding fatal so libFuzzer
# stops and saves the input.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

rc=0
for t in $targets; do
	corpus=$out/corpus-$t.run
	mkdir -p "$corpus"
	# a copy: seeds plus whatever earlier runs found, never the tree's
	for f in "$here/corpus-$t"/*; do
		[ -e "$corpus/${f##*/}" ] || cp "$f" "$corpus/"
	done
	mkdir -p "$tmp/$t"
	echo "== fuzz-$t: ${secs}s over $corpus"
	if ! TMPDIR=$tmp/$t "$out/fuzz-$t" \
		-max_total_time="$secs" \
		-timeout=30 \
		-print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" \
		${FUZZ_ARGS:-} \
		"$corpus"; then
		echo "== fuzz-$t: FAILED (reproducers in $out/artifacts/)" >&2
		rc=1
	fi
done
exit $rc
