#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI surface: version, help on every verb, info, usage errors.
. "$(dirname "$0")/../lib.sh"


runs_as_test_user() {
	local want
	want=$(id -u "${BERTH_TEST_USER:-$(id -un)}")
	berth info | grep -qx "uid:     $want" || return 1
	# and never as root when a test user is set: the point is rootless
	[ -z "$BERTH_TEST_USER" ] || [ "$want" != 0 ]
}
check "berth runs as the test user (${BERTH_TEST_USER:-$(id -un)})" -- runs_as_test_user
check "berth version prints the version" -- bash -c "'$BERTH' version | grep -q '^berth version [0-9]'"
for v in load import images rmi tag inspect history save info run create start stop restart kill wait rm ps logs exec attach cp diff commit top port pause unpause; do
	check "berth $v --help exits 0 with a usage line" -- bash -c "'$BERTH' $v --help | grep -q '^Usage: berth $v'"
done
check "berth image --help lists the subcommands" -- bash -c "'$BERTH' image --help | grep -q 'tree'"
check "unknown command fails with exit 125" -- bash -c "'$BERTH' frobnicate 2>/dev/null; [ \$? = 125 ]"
check "unknown flag is named in the error" -- expect_fail "--bogus" berth images --bogus
check "berth info shows the store path" -- bash -c "berth() { :; }; BERTH_ROOT=$T/x '$BERTH' info | grep -q 'store:   $T/x'"
check "berth info reports each feature with a fix when missing" -- bash -c "'$BERTH' info | grep -E '^  (userns|subuid|newuidmap|\/dev\/fuse|slirp4netns|cgroup v2) ' | wc -l | grep -q 6"
check "load from a terminal-less empty stdin fails clearly" -- expect_fail "not a readable archive" berth load </dev/null
berth images >/dev/null 2>&1
runtime_private() {
	local d
	d=$(berth info | sed -n 's/^runtime: //p')
	[ -n "$d" ] && [ "$(stat -c %a "$d")" = 700 ] && [ "$(stat -c %u "$d")" = "$(as_user id -u)" ]
}
check "runtime dir is private (0700, the user's)" -- runtime_private
# Progress shows on a terminal and nowhere else.
progress_on_tty() {
	as_user script -qec "$BERTH load -i $FIXTURES/hc-compression" /dev/null >"$T/tty.out" 2>&1
	grep -q 'Layer 4/4' "$T/tty.out" && grep -q 'Loaded image: localhost/hc-compression:latest' "$T/tty.out"
}
no_progress_when_piped() {
	BERTH_ROOT="$T/store2" berth load -i "$FIXTURES/hc-compression" >"$T/pipe.out" 2>&1 &&
		! grep -q 'Layer' "$T/pipe.out"
}
# (script(1), bsdutils, gives berth a terminal: contrib/install-deps.sh
# installs it; without it, or without the fixtures, a visible skip that
# fails under BERTH_TESTS_MUST_WORK=1)
if [ ! -d "$FIXTURES" ]; then
	skip "load's progress on a terminal and off it: fixtures not found at $FIXTURES"
elif ! command -v script >/dev/null; then
	skip "load shows layer progress on a terminal: script(1) is missing (bsdutils)"
	check "load prints no progress when not on a terminal" -- no_progress_when_piped
else
	check "load shows layer progress on a terminal" -- progress_on_tty
	check "load prints no progress when not on a terminal" -- no_progress_when_piped
fi
finish
