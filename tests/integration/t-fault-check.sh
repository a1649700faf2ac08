#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `berth system check [--repair]` against a damaged store: refs.json
# truncated, garbage, not an object, of wrong types; image records,
# layer records and metadata, container state and config damaged; a
# staging area left by a killed load; a blob whose content is not its
# digest; a process and a berth-fs mount of containers that are gone.
# Each case: the check names it and exits non-zero, --repair fixes or
# quarantines it, the check is then clean, and the store works (an image
# runs by ID, images lists, rm removes).
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_userns

export BERTH_ROOT="$T/store-check"
uid=$(as_user id -u)

# the check finds something naming $1 (a fixed string) and fails
finds() {
	local rc=0
	berth system check "${@:2}" >"$T/sc.out" 2>"$T/sc.err" || rc=$?
	if [ $rc = 0 ] || [ $rc -ge 128 ]; then
		echo "the check exited $rc:" >&2
		cat "$T/sc.out" "$T/sc.err" >&2
		return 1
	fi
	grep -qF -- "$1" "$T/sc.out" || { echo "no line names '$1':" >&2; cat "$T/sc.out" >&2; return 1; }
	grep -qF -- "--repair" "$T/sc.err"
}

# --repair fixes all of it, and the check that follows finds nothing
repairs() {
	berth system check --repair "$@" >"$T/sr.out" 2>&1 || { cat "$T/sr.out" >&2; return 1; }
	grep -q "repaired" "$T/sr.out" || { cat "$T/sr.out" >&2; return 1; }
	clean "$@"
}

clean() {
	berth system check "$@" >"$T/sc.out" 2>&1 || { cat "$T/sc.out" >&2; return 1; }
	grep -q "^no problems found" "$T/sc.out"
}

# the store works: an image runs by ID, images lists, a container goes
works() {
	berth images >/dev/null || return 1
	berth run --rm "$BB" true || return 1
	local c
	c=$(berth create "$BB" true) && berth rm "$c" >/dev/null
}

# one fault: make it, see it found, see it repaired and the store work
fault() { # fault DESCRIPTION NEEDLE CHECK-FLAGS -- MAKE-FAULT...
	local desc=$1 needle=$2 flags=$3
	shift 4
	"$@" || { ok 1 "$desc: the fault could not be made"; return; }
	check "$desc: the check names it and fails" -- finds "$needle" $flags
	check "$desc: --repair fixes it and the check is then clean" -- repairs $flags
	check "$desc: the store works after (run by ID, images, rm)" -- works
}

check "load the images" -- bash -c "berth load -q -i '$FIXTURES/podman-bb.oci-dir' >/dev/null && berth load -q -i '$FIXTURES/hc-links' >/dev/null && berth load -q -i '$FIXTURES/hc-modes' >/dev/null"
BB=$(berth images -q --no-trunc localhost/bb:latest 2>/dev/null | head -1)
BB=$(berth inspect localhost/bb:latest | sed -n 's/^ *"Id": "\(.*\)",$/\1/p')
LINKS=$(berth inspect localhost/hc-links:latest | sed -n 's/^ *"Id": "\(.*\)",$/\1/p')
MODES=$(berth inspect localhost/hc-modes:latest | sed -n 's/^ *"Id": "\(.*\)",$/\1/p')
check "a whole store has no problems (exit 0)" -- clean --digests

refs() { printf '%s' "$1" | as_user sh -c "cat >'$BERTH_ROOT/refs.json'"; }
# names back after each case that loses them
retag() {
	berth tag "$BB" localhost/bb:latest && berth tag "$LINKS" localhost/hc-links:latest &&
		berth tag "$MODES" localhost/hc-modes:latest
}

# refs.json cut off in its second entry: what names stay, what work
truncate_refs() { as_user sh -c "head -c 150 '$BERTH_ROOT/refs.json' >'$T/r' && cat '$T/r' >'$BERTH_ROOT/refs.json'"; }
truncate_refs
check "refs.json truncated: images lists the images by ID with one warning" -- bash -c "berth images 2>'$T/w' | grep -q '${BB:7:12}' && [ \$(wc -l <'$T/w') = 1 ] && grep -q 'refs.json.*system check --repair' '$T/w'"
check "refs.json truncated: run by image ID works" -- berth run --rm "${BB:7:12}" true
check "refs.json truncated: run by name fails naming refs.json and the fix" -- expect_fail "refs.json: invalid JSON (truncated); \`berth system check --repair\`" berth run --rm localhost/bb:latest true
check "refs.json truncated: load with names refuses, naming refs.json" -- expect_fail "cannot record the name localhost/hc-modes:latest: store $BERTH_ROOT: refs.json" berth load -q -i "$FIXTURES/hc-modes"
check "refs.json truncated: ... and stores nothing" -- bash -c "[ -z \"\$(ls -A '$BERTH_ROOT/tmp')\" ] && [ ! -e '$BERTH_ROOT/gc.pending' ]"
check "refs.json truncated: import without a name works" -- bash -c "tar -C '$FIXTURES' -cf - README.md | berth import -q - | grep -q '^sha256:'"
check "refs.json truncated: import with a name refuses" -- expect_fail "refs.json" berth import -q /dev/null x:1
check "refs.json truncated: ps and rm work" -- bash -c "c=\$(berth create ${BB:7:12} true) && berth ps -a | grep -q \${c:0:12} && berth rm \$c >/dev/null"
check "refs.json truncated: the check names it and fails" -- finds "refs.json: invalid JSON (truncated)"
check "refs.json truncated: --repair rebuilds it, keeping the names still legible" -- bash -c "berth system check --repair >'$T/o' && grep -q 'rebuilt from the image records' '$T/o' && grep -q 'quarantine/refs.json' '$T/o' && berth images | grep -q '^localhost/'"
check "refs.json truncated: the check is then clean" -- clean
check "refs.json truncated: the store works" -- works
retag

fault "refs.json garbage" "refs.json: invalid JSON" "" -- bash -c "head -c 300 /dev/urandom | tr -d '\"' | as_user sh -c 'cat >\"$BERTH_ROOT/refs.json\"'"
retag
fault "refs.json not an object" "refs.json: not an object" "" -- refs '["localhost/bb:latest"]'
retag
fault "refs.json of wrong types" "refs.json: 2 entries naming no image" "" -- refs '{"localhost/bb:latest": 5, "localhost/x:1": "sha256:nope"}'
retag

# an image record truncated: quarantined, its name dropped and listed
trunc() { as_user sh -c "head -c $2 '$1' >'$T/t' && cat '$T/t' >'$1'"; }
fault "an image record truncated" "image sha256:${LINKS:7:12} (localhost/hc-links:latest)" "" -- trunc "$BERTH_ROOT/images/${LINKS:7}.json" 50
check "... its record is in quarantine/ and its name is gone" -- bash -c "[ -f '$BERTH_ROOT/quarantine/images/${LINKS:7}.json' ] && ! berth images | grep -q hc-links"

# a layer's record garbage, another's metadata table cut off
check "load hc-links again" -- bash -c "berth load -q -i '$FIXTURES/hc-links' >/dev/null"
layer_of() { berth inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"][-1][7:])'; }
chain_of() { as_user python3 -c "import json; print(json.load(open('$BERTH_ROOT/images/$1.json'))['chain_ids'][-1][7:])"; }
LINKS=$(berth inspect localhost/hc-links:latest | sed -n 's/^ *"Id": "\(.*\)",$/\1/p')
fault "a layer record garbage" "corrupt layer.json" "" -- bash -c "echo garbage | as_user sh -c 'cat >\"$BERTH_ROOT/layers/$(chain_of "${LINKS:7}")/layer.json\"'"
fault "a layer's metadata table cut off" "meta: line" "" -- trunc "$BERTH_ROOT/layers/$(chain_of "${MODES:7}")/meta" 100

# a blob whose content is not its digest: found with --digests only
check "load hc-links again" -- bash -c "berth load -q -i '$FIXTURES/hc-links' >/dev/null"
LINKS=$(berth inspect localhost/hc-links:latest | sed -n 's/^ *"Id": "\(.*\)",$/\1/p')
blob=$(as_user python3 -c "import json; print(json.load(open('$BERTH_ROOT/images/${LINKS:7}.json'))['blobs'][-1][7:])")
as_user sh -c "printf X | dd of='$BERTH_ROOT/blobs/sha256/$blob' bs=1 seek=10 conv=notrunc 2>/dev/null"
check "a blob with a wrong digest: the default check does not read blobs" -- clean
fault "a blob with a wrong digest" "blobs/sha256/$blob: wrong digest" "--digests" -- true
check "... the blob and the image that needs it are in quarantine/" -- bash -c "[ -f '$BERTH_ROOT/quarantine/blobs/sha256/$blob' ] && [ -f '$BERTH_ROOT/quarantine/images/${LINKS:7}.json' ]"

# container records
mkc() { C=$(berth create "$BB" true) && [ -n "$C" ]; }
check "a container to damage" -- mkc
fault "a container's state truncated" "container ${C:0:12}: its state record is unreadable" "" -- trunc "$BERTH_ROOT/containers/$C/state" 3
check "... it is listed and removable" -- bash -c "berth ps -a | grep -q '${C:0:12}.*Created' && berth rm $C >/dev/null"
check "a container to damage" -- mkc
fault "a container's config garbage" "container ${C:0:12}: containers/$C/config.json: invalid JSON" "" -- bash -c "echo '{garbage' | as_user sh -c 'cat >\"$BERTH_ROOT/containers/$C/config.json\"'"
check "... it is in quarantine/, whole, and no longer listed" -- bash -c "[ -f '$BERTH_ROOT/quarantine/containers/$C/state' ] && ! berth ps -a | grep -q '${C:0:12}'"

# a stage of a load killed mid-way (as t-store's killed_load makes it),
# seen by the check before any other command sweeps it
staged_some() { [ -n "$(find "$BERTH_ROOT/tmp" -mindepth 3 -type f -size +0 2>/dev/null)" ]; }
killed_load() {
	local fifo="$T/kill-me.fifo" lpid w st=0
	as_user mkfifo "$fifo" || return 1
	exec {w}<>"$fifo"
	berth load -q -i "$fifo" >"$T/kill.out" 2>&1 {w}>&- &
	local pid=$!
	timeout 20 head -c 1048576 "$FIXTURES/podman-multilayer.docker-archive.tar" >&$w &&
		wait_for 10 staged_some &&
		lpid=$(pgrep -u "$uid" -f "load -q -i $fifo") && kill -KILL $lpid
	st=$?
	exec {w}>&-
	wait $pid
	[ $st = 0 ] && [ -n "$(ls "$BERTH_ROOT/tmp")" ]
}
fault "a load killed mid-way" "a staging area left by a killed load" "" -- killed_load

# a process of a container whose directory is gone (removed by hand)
gone_process() {
	C=$(berth run -d "$BB" sleep 300) || return 1
	wait_for 10 bash -c "[ -s '$BERTH_ROOT/containers/$C/pid' ]" || return 1
	as_user rm -rf "$BERTH_ROOT/containers/$C"
}
no_process_left() { ! pgrep -u "$uid" -f "sleep 300" >/dev/null && ! as_user sh -c "ls -l /proc/[0-9]*/fd 2>/dev/null | grep -q '$C'"; }
fault "a process of a removed container" "which no longer exists" "" -- gone_process
check "... no process of it is left" -- wait_for 10 no_process_left

# a berth-fs mount under the store that no container owns
if as_user test -r /dev/fuse -a -w /dev/fuse && command -v fusermount3 >/dev/null; then
	pre_cleanup() { as_user fusermount3 -uz "$BERTH_ROOT/tmp/mnt" 2>/dev/null; }
	orphan_mount() { as_user mkdir -p "$BERTH_ROOT/tmp/mnt" && berth image mount "$BB" "$BERTH_ROOT/tmp/mnt" && as_user test -e "$BERTH_ROOT/tmp/mnt/bin/busybox"; }
	fault "a berth-fs mount no container owns" "berth-fs mount on $BERTH_ROOT/tmp/mnt" "" -- orphan_mount
	check "... it is unmounted" -- bash -c "! grep -qF '$BERTH_ROOT/tmp/mnt' /proc/self/mountinfo"
else
	skip "/dev/fuse not usable by the test user: no berth-fs mount to leave"
fi

check "every container is removable and none is left" -- bash -c "berth rm -f \$(berth ps -a -q) >/dev/null 2>&1; [ -z \"\$(berth ps -a -q)\" ]"
finish
