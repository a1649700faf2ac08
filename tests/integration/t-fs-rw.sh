#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth-fs with a writable upper layer: POSIX conformance against a native
# directory, the overlay rules on real fixtures (copy-up, whiteouts,
# opaque directories, renames of lower directories), persistence across
# mounts and daemon kills, and lower layers that never change.
. "$(dirname "$0")/../lib.sh"
require_fixtures

require_fuse
POSIX_OPS=$(user_script posix-ops.py)
PROBES=$(user_script fs-probes.py)

mnt="$T/mnt"
export mnt
as_user mkdir -p "$mnt" "$T/native"
pre_cleanup() { as_user fusermount3 -u "$mnt" 2>/dev/null; }
in_mnt() { as_user bash -c "cd '$mnt' && $1"; }
export -f in_mnt

check "load hc-whiteout and hc-links" -- bash -c "berth load -q -i '$FIXTURES/hc-whiteout' && berth load -q -i '$FIXTURES/hc-links'"
lower_sums() { (cd "$BERTH_ROOT/layers" && find . -type f -exec sha256sum {} + | LC_ALL=C sort; find . -printf '%p %m\n' | LC_ALL=C sort) | sha256sum; }
before=$(lower_sums)

# POSIX conformance: the same script on a native directory and on berth-fs
check "mount writable (--upper)" -- bfs image mount --upper "$T/up" localhost/hc-whiteout:latest "$mnt"
as_user python3 "$POSIX_OPS" "$T/native" >"$T/native.out" 2>&1
conformance() {
	as_user mkdir "$mnt/conf" && as_user python3 "$POSIX_OPS" "$mnt/conf" >"$T/bfs.out" 2>&1
	diff "$T/native.out" "$T/bfs.out" >&2
}
check "POSIX conformance run gives what a native directory gives ($(wc -l <"$T/native.out") checks)" -- conformance

# overlay rules over the fixture's lower layers
check "a lower file can be appended to (copy-up)" -- in_mnt "echo more >> etc/keep.conf && tail -1 etc/keep.conf | grep -qx more"
check "deleting a lower file hides it" -- in_mnt "rm etc/remove.conf && ! test -e etc/remove.conf && ! ls etc | grep -q remove.conf"
check "re-creating it shows only the new content" -- in_mnt "echo new > etc/remove.conf && cat etc/remove.conf | grep -qx new"
check "rm -rf of a lower tree, then mkdir: the new dir is empty" -- in_mnt "rm -rf var && mkdir var && test -z \"\$(ls -A var)\""
check "rename of a lower directory moves its children" -- in_mnt "mv opq moved && test -f moved/upper1 && ! test -e opq"
check "chown of a lower file shows inside" -- in_mnt "chown $(as_user id -u):$(as_user id -g) .hidden && test \"\$(stat -c %u .hidden)\" = $(as_user id -u)"
check "chmod of a lower file shows inside, setuid included" -- in_mnt "chmod 4750 .hidden && stat -c %a .hidden | grep -qx 4750"
check "chown clears setuid, as the kernel does" -- in_mnt "cp -p .hidden sx && chmod 4755 sx && chown $(as_user id -u) sx && stat -c %a sx | grep -qx 755"
check "the host copy of it stays user-owned and not setuid" -- bash -c "f='$T/up/diff/.hidden'; test -f \"\$f\" && test \"\$(stat -c %u \"\$f\")\" = \"\$(as_user id -u)\" && ! test -u \"\$f\""
check "a hardlink keeps one inode (copied-up target)" -- in_mnt "ln etc/keep.conf hl && test \"\$(stat -c %i hl)\" = \"\$(stat -c %i etc/keep.conf)\""
check "unmount" -- bfs image umount "$mnt"
check "the lower layers did not change" -- test "$(lower_sums)" = "$before"

# persistence: the same upper over the same image
check "remount the same upper layer" -- bfs image mount --upper "$T/up" localhost/hc-whiteout:latest "$mnt"
check "changes persist across mounts" -- in_mnt "tail -1 etc/keep.conf | grep -qx more && grep -qx new etc/remove.conf && test -f moved/upper1 && ! test -e opq && test -z \"\$(ls -A var)\" && test \"\$(stat -c %a .hidden)\" = 4750"
check "changes just before a kill" -- in_mnt "echo after-kill > survivor && mkdir kdir && rm -f hl"
pkill -KILL -u "$(as_user id -u)" -f "berth-fs .*$mnt\$"  # only this test's daemon: tests run in parallel
wait_for 10 bash -c "! pgrep -u $(as_user id -u) -f 'berth-fs .*$mnt\$' >/dev/null"
as_user fusermount3 -u "$mnt" 2>/dev/null
check "after a killed daemon, the log is replayed on the next mount" -- bash -c "bfs image mount --upper '$T/up' localhost/hc-whiteout:latest '$mnt' && in_mnt 'grep -qx after-kill survivor && test -d kdir && ! test -e hl'"
check "unmount again" -- bfs image umount "$mnt"
check "the lower layers still did not change" -- test "$(lower_sums)" = "$before"

# a second image over the hardlinked fixture: the hardlink group survives copy-up of one name
check "mount hc-links writable" -- bfs image mount --upper "$T/up2" localhost/hc-links:latest "$mnt"
check "writing one name of a lower hardlink group keeps the group one inode" -- in_mnt "echo more >> usr/share/data/hard2 && test \"\$(stat -c %i usr/share/data/hard2)\" = \"\$(stat -c %i usr/share/data/hard1)\" && tail -1 usr/share/data/hard1 | grep -qx more"
check "files unlinked while open stay readable and writable" -- in_mnt "exec 3<>usr/share/data/hard1; rm usr/share/data/hard1; cat <&3 | grep -q original; echo x >&3"
check "a lower file unlinked while open takes writes (copied up without a name)" -- in_mnt "exec 3<>real/inner; rm real/inner; printf 'XY' >&3; head -c 6 /proc/self/fd/3 | grep -qx 'XYner' && ! test -e real/inner"
check "opening a lower file for writing without writing copies nothing up" -- bash -c "in_mnt 'exec 3>>usr/share/data/orig; exec 3>&-' && ! test -e '$T/up2/diff/usr/share/data/orig'"
check "a truncating open of a lower file empties it (and copies it up)" -- bash -c "in_mnt ': > usr/share/data/lower.txt && test ! -s usr/share/data/lower.txt && test \"\$(stat -c %a usr/share/data/lower.txt)\" = 640' && test -f '$T/up2/diff/usr/share/data/lower.txt'"
check "symlinks through lower dirs still resolve" -- in_mnt "cat links/rel | grep -q ."
check "... and a write through one name of a hardlink shows through the other" -- in_mnt "mkdir -p t && echo a > t/x && ln t/x t/y && echo b >> t/y && test \"\$(cat t/x)\" = \"\$(printf 'a\nb')\""
seek_same() {
	local a b
	a=$(as_user python3 "$PROBES" seek "$mnt/sparse") || return 1
	b=$(as_user python3 "$PROBES" seek "$T/native/sparse") || return 1
	echo "berth-fs: $a; native: $b" >&2
	[ -n "$a" ] && [ "$a" = "$b" ]
}
check "fallocate, SEEK_DATA and SEEK_HOLE answer as on the host filesystem" -- seek_same
check "POSIX locks and flock work (a second process is refused)" -- as_user python3 "$PROBES" lock "$mnt/lockfile"
check "shared writable mmap reaches the file" -- as_user python3 "$PROBES" mmap "$mnt/mapped"
check "statfs answers for the upper layer's filesystem" -- bash -c "test \"\$(as_user stat -f -c %b '$mnt')\" = \"\$(stat -f -c %b '$T/up2/diff')\""
check "inode numbers are stable for the mount's life" -- in_mnt "a=\$(stat -c %i links); ls -R >/dev/null; test \"\$(stat -c %i links)\" = \$a"
check "unmount hc-links" -- bfs image umount "$mnt"

# ENOSPC on the upper layer reaches the writer, and the layer stays usable
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=2m tmpfs "$T/small" 2>/dev/null; then
	chown "$(as_user id -u)" "$T/small"
	enospc() {
		bfs image mount --upper "$T/small/up" localhost/hc-links:latest "$mnt" || return 1
		as_user dd if=/dev/zero of="$mnt/fill" bs=64k count=100 2>"$T/dd.err"
		grep -q 'No space left' "$T/dd.err" || { cat "$T/dd.err" >&2; return 1; }
		as_user rm "$mnt/fill" && as_user bash -c "echo ok > '$mnt/after'" &&
			bfs image umount "$mnt" &&
			bfs image mount --upper "$T/small/up" localhost/hc-links:latest "$mnt" &&
			as_user grep -qx ok "$mnt/after" && bfs image umount "$mnt"
	}
	check "a full upper filesystem gives ENOSPC and the layer stays consistent" -- enospc
	umount "$T/small"
fi
check "no mount is left" -- bash -c "! grep -q ' $mnt ' /proc/mounts"
check "the berth-fs daemons reported no sanitizer error" -- bfs_log_clean
finish
