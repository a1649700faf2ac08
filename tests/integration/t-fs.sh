#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth-fs, read-only mounts: an image mounted by the unprivileged user
# shows, through the kernel, exactly the fixture's expected view; the
# mount is read-only, nosuid, and a killed daemon is reported cleanly.
# Writable mounts: t-fs-rw.
. "$(dirname "$0")/../lib.sh"
require_fixtures
WALK=$(user_script tree-walk.py)

require_fuse

cases=(
	"${HC_CASES[@]}"
	"podman-multilayer.oci-zstd localhost/podman-multilayer.oci-zstd:latest podman-multilayer.oci-zstd"
)

mnt="$T/mnt"
mkdir -p "$mnt"
[ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ] && chown "$BERTH_TEST_USER": "$mnt"
pre_cleanup() { as_user fusermount3 -u "$mnt" 2>/dev/null; }

view_matches() { # NAME: the mounted view equals EXPECTED.NAME.tsv
	as_user python3 "$WALK" "$mnt" >"$T/walk.tsv" || return 1
	diff <(grep -v $'\tabsent\t' "$FIXTURES/EXPECTED.$1.tsv" | LC_ALL=C sort) \
		<(LC_ALL=C sort "$T/walk.tsv") | head -20 >&2
	cmp -s <(grep -v $'\tabsent\t' "$FIXTURES/EXPECTED.$1.tsv" | LC_ALL=C sort) <(LC_ALL=C sort "$T/walk.tsv")
}

for c in "${cases[@]}"; do
	read -r input ref name <<<"$c"
	check "$name: loads" -- berth load -q -i "$FIXTURES/$input"
	check "$name: mounts as the user" -- bfs image mount "$ref" "$mnt"
	check "$name: the mounted view matches EXPECTED.$name.tsv" -- view_matches "$name"
	check "$name: unmounts" -- bfs image umount "$mnt"
done

bfs image mount localhost/hc-modes:latest "$mnt"
check "the mount is read-only (EROFS)" -- bash -c "! as_user touch '$mnt/new' 2>'$T/err' && grep -q 'Read-only' '$T/err'"
check "the mount is nosuid and nodev" -- bash -c "grep ' $mnt ' /proc/mounts | grep -q 'nosuid,nodev'"
check "a file with mode 0000 still reads for the daemon's user" -- bash -c "as_user cat '$mnt/no-perms' >/dev/null"
check "readdir offsets are stable: ls twice gives the same order" -- bash -c "test \"\$(as_user ls -f '$mnt/bin')\" = \"\$(as_user ls -f '$mnt/bin')\""
pkill -KILL -u "$(as_user id -u)" -f "berth-fs .*$mnt\$"  # only this test's daemon: tests run in parallel
check "a killed daemon shows as ENOTCONN, not a hang" -- bash -c "! as_user timeout 10 stat '$mnt/bin' 2>'$T/err'; grep -q 'not connected' '$T/err'"
check "umount cleans up after a killed daemon" -- bfs image umount "$mnt"
check "no berth-fs mount is left" -- bash -c "! grep -q ' $mnt ' /proc/mounts"
check "berth-fs names a bad lowerdir" -- expect_fail "/nonexistent" as_user "$BERTH_FS" -o lowerdir=/nonexistent "$mnt"
check "the berth-fs daemons reported no sanitizer error" -- bfs_log_clean
finish
