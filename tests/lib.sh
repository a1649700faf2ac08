# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: shared helpers for berth's integration tests (bash, TAP output).
# Each test sources this, calls plan/ok/..., and gets:
#   $BERTH      the berth binary under test (meson passes it)
#   $FIXTURES   ../shared/fixtures/images
#   $T          a private scratch dir owned by the test user, removed at exit
#   berth ...   runs berth as $BERTH_TEST_USER (when we are root) with
#               BERTH_ROOT=$T/store, so tests never touch a real store.
# When BERTH_TESTS_MUST_WORK=1 (CI sets it) a missing feature fails the
# test instead of skipping it.
set -u

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${BERTH:=$SRCDIR/build/berth}"
: "${FIXTURES:=$SRCDIR/../shared/fixtures/images}"
: "${BERTH_TEST_USER:=}"
export LC_ALL=C.UTF-8

_tap_n=0
_tap_failed=0

# The plan is printed at the end (TAP allows it there), so a test's
# count can never drift from what it runs. plan N only documents intent.
plan() { :; }

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	local status=$1; shift
	_tap_n=$((_tap_n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_failed=$((_tap_failed + 1))
	fi
	return 0
}

# check DESCRIPTION -- COMMAND...: one TAP line from a command's status.
check() {
	local desc=$1; shift
	[ "$1" = "--" ] && shift
	if "$@" >"$T/check.out" 2>&1; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		sed 's/^/#   /' "$T/check.out" | head -20
	fi
}

# todo COND-EXIT-STATUS DESCRIPTION REASON: a known defect, kept in
# sight with TAP's TODO directive: its failure does not fail the test, and
# once it passes meson reports an unexpected pass, so the TODO must go.
todo() {
	local status=$1
	_tap_n=$((_tap_n + 1))
	echo "$([ "$status" -eq 0 ] || echo "not ")ok $_tap_n - $2 # TODO $3"
}

skip() {
	_tap_n=$((_tap_n + 1))
	if [ "${BERTH_TESTS_MUST_WORK:-0}" = 1 ]; then
		echo "not ok $_tap_n - $* (required: BERTH_TESTS_MUST_WORK=1)"
		_tap_failed=$((_tap_failed + 1))
	else
		echo "ok $_tap_n - # SKIP $*"
	fi
}

diag() { sed 's/^/# /' <<<"$*"; }

finish() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# The scratch dir must be usable by the test user, and so must its
# parents: /tmp is.
T=$(mktemp -d /tmp/berth-test.XXXXXX)
chmod 0755 "$T"
if [ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ]; then
	chown "$BERTH_TEST_USER": "$T"
fi
export BERTH_ROOT="$T/store"
# A private HOME in every mode: as the test user, as_user's env -i sets
# HOME=$T; run as ourselves (no BERTH_TEST_USER) berth would otherwise
# read and write the invoker's ~ (~ in -v sources, ~/.config/berth), and
# the tests that write their own $T/.config would not be the ones read.
# The same for what the test user's env -i drops that would point berth
# elsewhere.
export HOME="$T"
unset XDG_CONFIG_HOME XDG_DATA_HOME BERTH_CONFIG

# The test user may not reach a build tree or fixtures under root's home:
# give it copies in the scratch dir.
if [ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ]; then
	if ! runuser -u "$BERTH_TEST_USER" -- test -x "$BERTH"; then
		cp "$BERTH" "$T/berth" && chmod 0755 "$T/berth" && BERTH="$T/berth"
	fi
	if ! runuser -u "$BERTH_TEST_USER" -- test -r "$FIXTURES/README.md"; then
		cp -r "$FIXTURES" "$T/fixtures" && chmod -R a+rX "$T/fixtures" && FIXTURES="$T/fixtures"
	fi
fi

# A test that has more to undo at exit (a mount) defines pre_cleanup.
cleanup() {
	local rc=$?
	if declare -F pre_cleanup >/dev/null; then pre_cleanup; fi
	# store files are the test user's and always removable by them
	if [ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ]; then
		runuser -u "$BERTH_TEST_USER" -- rm -rf "$T" 2>/dev/null
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

# as_user CMD...: run a command as the test user (or as ourselves).
as_user() {
	if [ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ]; then
		runuser -u "$BERTH_TEST_USER" -- env -i PATH="$PATH" HOME="$T" LC_ALL=C.UTF-8 \
			BERTH_ROOT="$BERTH_ROOT" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
			${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} "$@"
	else
		"$@"
	fi
}

berth() { as_user "$BERTH" "$@"; }

# expect_fail SUBSTRING CMD...: the command fails with a one-line error
# containing SUBSTRING and does not crash (no signal exit).
expect_fail() {
	local want=$1; shift
	local rc=0
	"$@" >"$T/ef.out" 2>"$T/ef.err" || rc=$?
	if [ $rc -eq 0 ]; then
		echo "#   succeeded but should have failed" >&2
		return 1
	fi
	if [ $rc -ge 128 ]; then
		echo "#   died with signal $((rc - 128))" >&2
		cat "$T/ef.err" >&2
		return 1
	fi
	if ! grep -qiF -- "$want" "$T/ef.err"; then
		echo "#   error does not mention \"$want\":" >&2
		cat "$T/ef.err" >&2
		return 1
	fi
	return 0
}

# wait_for SECONDS CMD...: poll a condition, bounded.
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

require_fixtures() {
	if [ ! -d "$FIXTURES" ]; then
		skip "fixtures not found at $FIXTURES"
		finish
		exit
	fi
}

# Containers: the test user must be able to make a user namespace (else
# skip, or fail under BERTH_TESTS_MUST_WORK=1).
require_userns() {
	if ! as_user unshare -U true 2>/dev/null; then
		skip "the test user cannot make a user namespace"
		finish
		exit
	fi
}

# require_slirp: slirp4netns and a /dev/net/tun the test user can open.
require_slirp() {
	if ! command -v slirp4netns >/dev/null || ! as_user test -w /dev/net/tun; then
		skip "slirp4netns or a usable /dev/net/tun is missing"
		finish
		exit
	fi
}

# user_script NAME: a path to tests/integration/NAME the test user can
# read (a copy in the scratch dir when the checkout is out of its reach).
user_script() {
	local src="$SRCDIR/tests/integration/$1"
	if [ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ] &&
		! runuser -u "$BERTH_TEST_USER" -- test -r "$src"; then
		cp "$src" "$T/$1" && chmod 0644 "$T/$1"
		echo "$T/$1"
	else
		echo "$src"
	fi
}

# berth-fs tests: /dev/fuse usable by the test user and fusermount3
# present (else skip, or fail under BERTH_TESTS_MUST_WORK=1); sets BERTH_FS
# to a berth-fs binary the user can run and defines bfs (berth as the
# user, with that berth-fs).
require_fuse() {
	if ! as_user test -r /dev/fuse -a -w /dev/fuse || ! command -v fusermount3 >/dev/null; then
		skip "/dev/fuse not usable by the test user or fusermount3 missing"
		finish
		exit
	fi
	: "${BERTH_FS:=$(dirname "$BERTH")/berth-fs}"
	if [ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ] &&
		! runuser -u "$BERTH_TEST_USER" -- test -x "$BERTH_FS"; then
		cp "$BERTH_FS" "$T/berth-fs" && chmod 0755 "$T/berth-fs" && BERTH_FS="$T/berth-fs"
	fi
	export BERTH_FS
}
bfs() { as_user env BERTH_FS="$BERTH_FS" BERTH_FS_LOG="$T/berth-fs.log" "$BERTH" "$@"; }

# berth run, and any verb (b), as the test user with berth-fs for the
# containers' roots (a test that needs more defines its own after this).
run() { as_user env BERTH_FS="$BERTH_FS" "$BERTH" run "$@"; }
b() { as_user env BERTH_FS="$BERTH_FS" "$BERTH" "$@"; }

# Networking tests: the fixtures, FUSE, user namespaces and slirp4netns.
require_network() {
	require_fixtures
	require_fuse
	require_userns
	require_slirp
}

# SUBUID=1 when the test user has a subordinate uid range (so -u 1000
# works), else 0.
check_subuid() {
	SUBUID=0
	as_user grep -q "^$(as_user id -un):" /etc/subuid && SUBUID=1
}

# Every container of the test's store removed, with its anonymous volumes.
rm_all_containers() {
	local c
	for c in $(berth ps -a -q 2>/dev/null); do b rm -f -v "$c" >/dev/null 2>&1; done
}

# The hand-made fixtures that load as they are: "INPUT IMAGE-REF
# EXPECTED-NAME" (t-fixtures, t-fs).
HC_CASES=(
	"hc-compression localhost/hc-compression:latest hc-compression"
	"hc-docker-archive.tar localhost/hc-docker-archive:latest hc-docker-archive"
	"hc-links localhost/hc-links:latest hc-links"
	"hc-modes localhost/hc-modes:latest hc-modes"
	"hc-names localhost/hc-names:latest hc-names"
	"hc-replace localhost/hc-replace:latest hc-replace"
	"hc-symlink-component localhost/hc-symlink-component:latest hc-symlink-component"
	"hc-whiteout localhost/hc-whiteout:latest hc-whiteout"
	"hc-xlayer-hardlink localhost/hc-xlayer-hardlink:latest hc-xlayer-hardlink"
)

# What daemonised berth-fs instances wrote (BERTH_FS_LOG): a sanitizer
# report there fails the test, though the daemon's own caller never saw it.
bfs_log_clean() {
	if [ -s "$T/berth-fs.log" ] && grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T/berth-fs.log"; then
		head -40 "$T/berth-fs.log" >&2
		return 1
	fi
}

# A listing of the store that ignores what may legitimately change on a
# failed command (the lock file and empty staging).
store_snapshot() {
	(cd "$BERTH_ROOT" 2>/dev/null && find . -path ./tmp -prune -o -path ./store.lock -prune -o -printf '%p %y %s\n' | LC_ALL=C sort)
}

# Rootless layout: nothing setuid/setgid, no devices, nothing world
# writable, everything owned by the test user.
store_is_rootless() {
	local uid bad
	uid=$(as_user id -u)
	bad=$(find "$BERTH_ROOT" \( -perm -4000 -o -perm -2000 -o -type b -o -type c -o \( -perm -0002 ! -type l \) -o ! -uid "$uid" \) -print | head -5)
	if [ -n "$bad" ]; then
		echo "#   not rootless-safe: $bad" >&2
		return 1
	fi
}

# Let `bash -c '...'` snippets in checks call berth too.
export BERTH BERTH_TEST_USER T FIXTURES
export -f as_user berth bfs bfs_log_clean wait_for

# start_host_server: tests/integration/host-server.py as the test user on
# the host's 127.0.0.1 ("hello from the host"); its port in $host_port.
# stop_host_server ends it (call it from pre_cleanup).
start_host_server() {
	cp "$SRCDIR/tests/integration/host-server.py" "$T/host-server.py" && chmod 0644 "$T/host-server.py"
	# (its output is not the test's: meson waits for the test's stdout to close)
	as_user python3 "$T/host-server.py" "$T/host-port" >/dev/null 2>&1 &
	for _ in $(seq 1 100); do [ -s "$T/host-port" ] && break; sleep 0.05; done
	host_port=$(cat "$T/host-port")
}
stop_host_server() { pkill -u "$(as_user id -u)" -f "$T/host-server.py" 2>/dev/null; }

# tools_image NAME: import an image named NAME made of the host's
# busybox-static (every applet linked in /bin), a passwd and group with
# root and alice (1000), the probe at /probe and every attack helper at
# /attack-* (tests/attack). For the security tests, whose assertions
# must not depend on an image's tools.
tools_image() {
	local name=$1 root="$T/tools-root"
	local probe_src=${BERTH_PROBE:-$SRCDIR/build/tests/probe}
	local attack_dir=${BERTH_ATTACK_DIR:-$SRCDIR/build/tests/attack}
	rm -rf "$root" && mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home/alice"
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nalice:x:1000:\n' >"$root/etc/group"
	cp "$probe_src" "$root/probe"
	for f in "$attack_dir"/attack-*; do
		[ -x "$f" ] && [ -f "$f" ] && cp "$f" "$root/"
	done
	chmod 1777 "$root/tmp"
	tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$T/tools.tar" .
	chmod 0644 "$T/tools.tar"
	berth import -q "$T/tools.tar" "$name" >/dev/null
}

# tree_hash DIR: one hash of a host tree's names, types, modes, owners,
# sizes, link targets and contents: a victim directory the security tests
# check before and after an attack.
tree_hash() {
	(cd "$1" && find . -printf '%p %y %m %u %g %s %l\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum | cut -d' ' -f1
}

# user_procs: the pids of the test user's processes (all of berth's
# helpers run as the user).
user_procs() { pgrep -u "$(as_user id -u)"; }

# The zombies of user $1 in this pid namespace, by pid: a zombie whose
# parent lives in another one (t-fault-reap's, under its pid 1 that never
# reaps) is that namespace's business.
user_zombies() {
	local ns p pp
	ns=$(readlink /proc/self/ns/pid)
	ps -u "$1" -o pid=,ppid=,stat= | awk '$3 ~ /^Z/ { print $1, $2 }' |
		while read -r p pp; do
			[ "$(readlink "/proc/$pp/ns/pid" 2>/dev/null)" = "$ns" ] && echo "$p"
		done | sort
}

# nothing_of_test_left UID: no process of UID's whose command line or
# environment names this test's scratch dir $T (berth, berth-fs, a
# monitor, slirp4netns's parent), and no zombie of UID's that lasts a
# second (another test's may be on its way to be reaped).
nothing_of_test_left() {
	local p z1 left=
	z1=$(user_zombies "$1")
	for p in $(pgrep -u "$1"); do
		grep -qsF "$T" "/proc/$p/cmdline" "/proc/$p/environ" && left="$left $p"
	done
	[ -z "$z1" ] || sleep 1
	left="$left $(comm -12 <(echo "$z1") <(user_zombies "$1") | tr '\n' ' ')"
	left=$(echo $left | tr ' ' ',')
	[ -z "$left" ] || { ps -o pid,ppid,stat,args -p "$left" >&2; return 1; }
}
