#!/bin/bash
# bench/layers.sh: how long berth takes over deep and wide layers, the
# shapes a hostile image uses to make an importer (or a listing) quadratic.
#
# Images (tests/data/make-hostile-layers.py, one gzip layer each):
#   deep N   N nested directories d/d/.../d and a file at the bottom
#            (N = 500, 1000, 2000, 10000; 10,000 cannot exist within the
#            4,096 bytes of a path and is refused where the name grows
#            past them)
#   wide N   N empty files in /w (N = 100,000)
# Steps, each timed once (GNU time's elapsed seconds) and cut at
# --timeout seconds (default 600), into a fresh store whose berth.conf
# raises [limits] max-depth to 100000 (so the walk, not the limit, is
# measured):
#   load     berth load -q -i IMAGE
#   tree     berth image tree IMAGE > /dev/null
#   list     berth image mount IMAGE MNT, then find MNT > /dev/null
#            (berth-fs lookups and listings; skipped without FUSE or
#            fusermount3)
# Run as any user that can use FUSE; nothing outside the scratch
# directory (default /var/tmp/berth-bench-layers) is touched.
#
# Usage: bench/layers.sh [--berth PATH] [--timeout S] [--dir DIR]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH=$REPO/build/berth
TIMEOUT=600
DIR=/var/tmp/berth-bench-layers

while [ $# -gt 0 ]; do
	case $1 in
	--berth) BERTH=$(realpath "${2:?}"); shift 2 ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--dir) DIR=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^set -e/{ /^set -e/d; s/^# \{0,1\}//; p; }' "$0"; exit 0 ;;
	*) echo "layers.sh: unknown argument '$1'" >&2; exit 1 ;;
	esac
done
export BERTH_FS=${BERTH_FS:-$(dirname "$BERTH")/berth-fs}
mkdir -p "$DIR/images"
printf '[limits]\nmax-depth = 100000\n' >"$DIR/berth.conf"
export BERTH_CONFIG=$DIR/berth.conf
GEN=$REPO/tests/data/make-hostile-layers.py
CASES=("deep 500" "deep 1000" "deep 2000" "deep 10000" "wide 100000")
for c in "${CASES[@]}"; do
	set -- $c
	[ -d "$DIR/images/$1$2" ] || python3 "$GEN" "--$1" "$2" "$DIR/images/$1$2"
done
FUSE=1
{ [ -r /dev/fuse ] && command -v fusermount3 >/dev/null; } || FUSE=0

# step CMD...: elapsed seconds, ">T" when cut, or "refused after S s"
step() {
	local rc=0
	/usr/bin/time -o "$DIR/time.out" -f %e timeout "$TIMEOUT" "$@" >/dev/null 2>"$DIR/step.err" || rc=$?
	if [ $rc -eq 124 ]; then echo ">$TIMEOUT"
	elif [ $rc -ne 0 ]; then echo "refused after $(tail -1 "$DIR/time.out")"
	else tail -1 "$DIR/time.out"; fi
}

echo "| image | load, s | image tree, s | find on a mount, s |"
echo "|---|--:|--:|--:|"
for c in "${CASES[@]}"; do
	set -- $c
	export BERTH_ROOT=$DIR/store
	rm -rf "$BERTH_ROOT"
	img=localhost/hostile:$1$2-oci
	load=$(step "$BERTH" load -q -i "$DIR/images/$1$2")
	tree=- list=-
	if [[ $load =~ ^[0-9.]+$ ]]; then
		tree=$(step "$BERTH" image tree "$img")
		if [ $FUSE = 1 ]; then
			mkdir -p "$DIR/mnt"
			if "$BERTH" image mount "$img" "$DIR/mnt"; then
				list=$(step find "$DIR/mnt")
				"$BERTH" image umount "$DIR/mnt" || fusermount3 -u "$DIR/mnt"
			fi
		fi
	fi
	echo "| $1 $2 | $load | $tree | $list |"
done
rm -rf "$DIR/store"
