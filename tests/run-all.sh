#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs, builds and runs every berth test on Debian 12, as root:
#   unit tests as root; integration tests as a user with a subuid range
#   and as one without; then the same under ASan/UBSan.
# Ends with "N passed, N failed" (meson tests, all legs).
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run-all: run as root (it installs packages and creates test users)" >&2; exit 1; }

contrib/install-deps.sh || exit 1
tests/setup-users.sh || exit 1
export BERTH_TESTS_MUST_WORK=1

passed=0
failed=0
leg() { # leg NAME BUILDDIR USER SUITE [MESON-TEST-ARGS...]
	local name=$1 dir=$2 user=$3 suite=$4 out t0=$SECONDS
	shift 4
	echo "=== $name"
	out=$(BERTH_TEST_USER=$user meson test -C "$dir" --suite "$suite" "$@" --print-errorlogs 2>&1)
	echo "(${name}: $((SECONDS - t0)) s)"
	echo "$out" | grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout|Skipped):' 
	# --print-errorlogs prints the failing tests' TAP: what failed, and
	# why; a test that failed without a failing check (its exit status)
	# shows the end of its log instead
	if echo "$out" | grep -qE '^not ok'; then
		echo "$out" | grep -E '^(not ok|#)' | head -60
	elif echo "$out" | grep -qE '^ *[0-9]+/[0-9]+ .* (ERROR|FAIL|TIMEOUT) '; then
		echo "$out" | grep -vE '^ok ' | tail -40
	fi
	local ok fail to
	ok=$(echo "$out" | sed -n 's/^Ok: *\([0-9]*\).*/\1/p')
	fail=$(echo "$out" | sed -n 's/^Fail: *\([0-9]*\).*/\1/p')
	to=$(echo "$out" | sed -n 's/^Timeout: *\([0-9]*\).*/\1/p')
	if [ -z "$ok" ]; then
		echo "$out" | tail -20
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + ok))
	failed=$((failed + ${fail:-0} + ${to:-0}))
}

build() { # build DIR [meson options...]
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" -Dwerror=true "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir" | tail -30; return 1; }
}

if build build; then
	leg "style (clang-format)" build "" style
	leg "unit (root)" build "" unit
	leg "integration (user with subuid range)" build berth-sub integration
	# the stress test's long run is the first leg's; the others check
	# the same paths under their own mapping or instrumentation
	BERTH_STRESS_SECONDS=20 leg "integration (user without subuid range)" build berth-nosub integration
else
	echo "build failed"; failed=$((failed + 1))
fi
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	leg "unit (ASan/UBSan)" build-asan "" unit
	BERTH_STRESS_SECONDS=20 leg "integration (ASan/UBSan, user with subuid range)" build-asan berth-sub integration --no-suite node
else
	echo "sanitizer build failed"; failed=$((failed + 1))
fi
echo "(all: $SECONDS s)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
