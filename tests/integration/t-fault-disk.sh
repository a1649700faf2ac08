#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# t-fault-disk: a full disk on the image paths (issue 23, rules 3 and 4).
# The store lives on a small tmpfs the test mounts as root; an import and
# a load that fill it, a commit that fills it, a save to a full
# destination and a container whose writes fill it. Each: one line that
# names the cause (No space left on device) and the object, nothing
# listed or left half-made, the space given back, the store usable.
. "$(dirname "$0")/../lib.sh"

require_fixtures
if [ "$(id -u)" != 0 ] || [ -z "$BERTH_TEST_USER" ]; then
	skip "a full disk needs root to mount a small filesystem for the test user's store"
	finish
	exit
fi
require_fuse
require_userns

uid=$(as_user id -u)
DISK="$T/disk" DEST="$T/dest"
mkdir -p "$DISK" "$DEST"
pre_cleanup() {
	rm_all_containers
	umount "$DISK" 2>/dev/null
	umount "$DEST" 2>/dev/null
}
mount -t tmpfs -o size=64m tmpfs "$DISK" && chown "$uid" "$DISK" &&
	mount -t tmpfs -o size=1m tmpfs "$DEST" && chown "$uid" "$DEST" || {
	ok 1 "mounting the small filesystems"
	finish
	exit
}
export BERTH_ROOT="$DISK/store"

# nothing of this test's is left, no zombie that lasts (lib.sh)
test_procs_gone() { nothing_of_test_left "$uid"; }
used() { df -k --output=used "$DISK" | tail -1 | tr -d ' '; }
# the space is back: what the store's filesystem holds is within 512 kB
# of what it held before (the records of a listing may have been written)
space_back() {
	local now
	now=$(used)
	[ $((now - $1)) -le 512 ] || { echo "#   used ${now} kB, was $1 kB" >&2; return 1; }
}
# one line on stderr, naming the cause and each object given
one_line_error() { # FILE WORD...
	local f=$1; shift
	[ "$(wc -l <"$f")" = 1 ] || { echo "#   not one line:" >&2; cat "$f" >&2; return 1; }
	for w in "No space left on device" "$@"; do
		grep -qF -- "$w" "$f" || { echo "#   no \"$w\" in: $(cat "$f")" >&2; return 1; }
	done
}
no_stage() { [ -z "$(ls -A "$BERTH_ROOT/tmp" 2>/dev/null)" ] || { ls -la "$BERTH_ROOT/tmp" >&2; return 1; }; }
only_images() { # the listed images are exactly these refs
	[ "$(berth images | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' ')" = "$*" ] || {
		berth images >&2
		return 1
	}
}

berth load -q -i "$FIXTURES/podman-bb.oci-archive.tar" >/dev/null
bb=localhost/bb
rm_all_containers
base=$(used)

# an input larger than the store's filesystem: 80 MB that do not compress
mkdir -p "$T/bigroot" && head -c 80000000 /dev/urandom >"$T/bigroot/big" &&
	tar --numeric-owner --owner=0 --group=0 -C "$T/bigroot" -cf "$T/big.tar" . &&
	rm -rf "$T/bigroot" && chmod 0644 "$T/big.tar"
# a small image: busybox's echo as /x (static, from the host)
mkdir -p "$T/smallroot" && cp /bin/busybox "$T/smallroot/busybox" &&
	printf '#!/busybox sh\n/busybox echo small\n' >"$T/smallroot/x" && chmod 0755 "$T/smallroot/x" &&
	tar --numeric-owner --owner=0 --group=0 -C "$T/smallroot" -cf "$T/small.tar" . && chmod 0644 "$T/small.tar"
# and the same as a docker-archive, saved from a store on the big disk
as_user env BERTH_ROOT="$T/big-store" "$BERTH" import -q "$T/big.tar" localhost/big >/dev/null &&
	as_user env BERTH_ROOT="$T/big-store" "$BERTH" save -o "$T/big.docker.tar" localhost/big &&
	as_user env BERTH_ROOT="$T/big-store" "$BERTH" rmi localhost/big >/dev/null

# ---- import and load -------------------------------------------------------
filled_import() {
	expect_fail "" berth import "$T/big.tar" localhost/big || return 1
	# (the write failed, not the read of the input)
	one_line_error "$T/ef.err" "staging $T/big.tar" "store $BERTH_ROOT" &&
		only_images "localhost/bb " && no_stage && space_back "$base"
}
check "an import that fills the store: one line (cause, input, store), no image, the space back" -- filled_import

filled_load() {
	expect_fail "" berth load -q -i "$T/big.docker.tar" || return 1
	one_line_error "$T/ef.err" "$T/big.docker.tar" "store $BERTH_ROOT" &&
		only_images "localhost/bb " && no_stage && space_back "$base"
}
check "a load that fills the store: one line (cause, input, store), no image, the space back" -- filled_load
check "... and a load from stdin names stdin" -- bash -c "
	! as_user '$BERTH' load -q <'$T/big.docker.tar' 2>'$T/stdin.err' &&
	grep -q 'stdin.*No space left on device' '$T/stdin.err' && test \$(wc -l <'$T/stdin.err') = 1"
# a small image in, run, and out again
store_works() {
	[ "$(b run --rm --network none $bb echo ok)" = ok ] &&
		berth import -q "$T/small.tar" localhost/small >/dev/null &&
		[ "$(b run --rm --network none localhost/small /x)" = small ] &&
		berth rmi localhost/small >/dev/null && berth image prune -f >/dev/null
}
check "the store works after them: an import, a run" -- store_works

# ---- commit ----------------------------------------------------------------
# 36 MB written in the container: its layer and the committed image's
# copies do not fit in 64 MB
filled_commit() {
	local before
	b run --name w --network none $bb dd if=/dev/urandom of=/big bs=1M count=36 2>/dev/null || return 1
	before=$(used)
	expect_fail "" berth commit w localhost/w || return 1
	one_line_error "$T/ef.err" "commit w:" "writing the layer" "store $BERTH_ROOT" &&
		only_images "localhost/bb " && no_stage &&
		space_back "$before" && b rm w >/dev/null && space_back "$base"
}
check "a commit that fills the store: one line (cause, container, layer, store), no image, the space back" -- filled_commit

# ---- save to a full destination -------------------------------------------
filled_save() { # FORMAT
	expect_fail "" berth save --format "$1" -o "$DEST/out.tar" $bb || return 1
	one_line_error "$T/ef.err" "-o $DEST/out.tar: writing" &&
		[ -z "$(ls -A "$DEST")" ] && [ "$(df -k --output=used "$DEST" | tail -1 | tr -d ' ')" -lt 64 ]
}
check "save to a full destination (docker-archive): one line (cause, file, member), no partial file" -- filled_save docker-archive
check "save to a full destination (oci-archive): the same" -- filled_save oci-archive
check "save to a full stdout: one line naming stdout" -- bash -c "
	! as_user sh -c '\"\$0\" save $bb >\"\$1\"/out.tar' '$BERTH' '$DEST' 2>'$T/save.err' &&
	grep -q '^berth: stdout: writing .*: No space left on device\$' '$T/save.err' && test \$(wc -l <'$T/save.err') = 1"
rm -f "$DEST/out.tar"
check "a save that fits still works" -- bash -c "berth save -o '$T/bb.tar' $bb && tar -tf '$T/bb.tar' | grep -q manifest.json"

# ---- a container's writes fill the store -----------------------------------
filled_run() {
	local out rc=0
	out=$(b run --rm --network none $bb sh -c 'dd if=/dev/zero of=/fill bs=1M count=100 2>&1; echo "dd=$?"') || rc=$?
	grep -q 'No space left on device' <<<"$out" && grep -q 'dd=1' <<<"$out" || {
		echo "$out" >&2
		return 1
	}
	[ $rc = 0 ] || { echo "#   run exited $rc" >&2; return 1; }
	[ -z "$(berth ps -a -q)" ] && no_stage && space_back "$base"
}
check "a container whose writes fill the store: it sees ENOSPC, its status comes back, --rm gives the space back" -- filled_run
check "the store works after it: an import, a run" -- store_works
check "image prune leaves the store as it was before the faults" -- bash -c "
	berth image prune -f >/dev/null; test \$(( \$(df -k --output=used '$DISK' | tail -1) - $base )) -le 512"
check "nothing of this test's left running, no zombie" -- test_procs_gone
finish
