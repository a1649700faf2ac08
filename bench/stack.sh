#!/bin/bash
# bench/stack.sh: how long `berth up -d` of the shop stack
# (profiles/examples/shop: three busybox sandboxes, a user network, a
# named volume, bind mounts, an anonymous volume, two published ports)
# takes, and `berth down` after it, as the unprivileged user "peer".
# hyperfine medians of --runs (default 10) pairs; each up starts from
# nothing (the previous down -v ran), so it includes a new network's
# bridge namespace and slirp4netns (the per-user keeper may still run
# from the round before: it leaves a second after its last network).
# GNU time gives the CPU time of up and the berth commands it waits for
# (the containers' monitors are not its children). The results go to
# docs/performance.md (section "Stacks").
#
# Usage: sudo bench/stack.sh [--runs N] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
BENCH_NAME=stack.sh
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=10
WRITE_DOC=1
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:?}; shift 2 ;;
	--no-doc) WRITE_DOC=0; shift ;;
	*) bench_bad_arg "$1" ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || bench_die "--runs wants a positive number"

bench_need_root
ROOTFS_TAR=${ROOTFS_TAR:-/var/tmp/berth-peers/busybox-rootfs.tar}
bench_need_peer "$ROOTFS_TAR"
bench_need_gnu_time
chmod 0666 /dev/fuse /dev/net/tun

install -d -m 755 -o "$PEER_USER" "$BENCH_DIR" "$BENCH_DIR/results"
BERTH=$(bench_install_berth)
BERTH_FS=$(bench_install_berth_fs)
PEER_HOME=$(bench_peer_home)
WORK=$PEER_HOME/.cache/berth-stack-bench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$BENCH_DIR/results/stack-$STAMP
install -d -m 755 -o "$PEER_USER" "$RES"
B="env BERTH_ROOT=$WORK/store BERTH_FS=$BERTH_FS $BERTH"
STACK=$WORK/shop/shop.ini
clean() {
	[ -f "$STACK" ] && as_peer $B down -v "$STACK" >/dev/null 2>&1 || true
	as_peer rm -rf "$WORK" 2>/dev/null || true
}
clean
trap clean EXIT
as_peer mkdir -p "$WORK"
cp -r "$BENCH_REPO/profiles/examples/shop" "$WORK/shop"
chown -R "$PEER_USER" "$WORK/shop"
as_peer $B import -q "$ROOTFS_TAR" demo/busybox:latest >/dev/null

as_peer hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$RES/hf-up.json" \
	--prepare "$B down -v $STACK" "$B up -d $STACK" >"$RES/hf-up.txt" 2>&1 ||
	bench_die "hyperfine failed: $(tail -n 3 "$RES/hf-up.txt")"
as_peer $B down -v "$STACK" >/dev/null
as_peer /usr/bin/time -v $B up -d "$STACK" 2>"$RES/time-up.txt" >/dev/null
as_peer /usr/bin/time -v $B down -v "$STACK" 2>"$RES/time-down.txt" >/dev/null

UP=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.0f" % (r["median"] * 1000))' "$RES/hf-up.json")
CPU_UP=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.0f", (u + s) * 1000 }' "$RES/time-up.txt")
WALL_DOWN=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); printf "%.0f", (a[n] + (n > 1 ? a[n - 1] * 60 : 0)) * 1000 }' "$RES/time-down.txt")
MACHINE=$(bench_machine)
BERTH_VERSION=$(bench_berth_version "$BERTH")
BODY=$RES/section.md
{
	echo "## Stacks"
	echo
	echo "Command: \`sudo bench/stack.sh\`  "
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "\`berth up -d\` of profiles/examples/shop (three sandboxes, a user network, a named"
	echo "volume, bind mounts, an anonymous volume, two published ports), from nothing, as"
	echo "the unprivileged user \`$PEER_USER\`:"
	echo
	echo "| | ms |"
	echo "|---|--:|"
	echo "| up -d, wall (hyperfine median of $RUNS) | $UP |"
	echo "| up -d, CPU of up and the berth commands it runs (user + system, one run) | $CPU_UP |"
	echo "| down -v, wall (one run) | $WALL_DOWN |"
	echo
	echo "Target (issue 7): up under 1 s of berth's own time: $(awk -v a="$UP" 'BEGIN { print (a < 1000 ? "met" : "not met") }')."
	echo
	echo "Machine: $(echo "$MACHINE" | head -n 1)  "
	echo "Versions: berth $BERTH_VERSION."
} >"$BODY"
cat "$BODY"
if [ "$WRITE_DOC" = 1 ]; then
	doc_put_section "$BENCH_REPO/docs/performance.md" "Stacks" "$BODY" /dev/null
	bench_log "wrote section \"Stacks\" of $BENCH_REPO/docs/performance.md"
fi
