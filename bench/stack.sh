#!/bin/bash
# bench/stack.sh: how long `berth up -d` of the shop stack
# (profiles/examples/shop: three busybox sandboxes, a user network, a
# named volume, bind mounts, an anonymous volume, two published ports)
# takes, and `berth down` after it, as the unprivileged user "peer".
# hyperfine medians of --runs (default 10) pairs; each up starts from
# nothing (the previous down -v ran), so it includes a new network's
# bridge namespace and slirp4netns (the per-user keeper may still run
# from the round before: it leaves a second after its last network).
# hyperfine's user and system times give the CPU time of up and what it
# waits for (the containers' monitors are not its children; before up ran
# in-process, the berth commands it ran were); GNU time the wall time of
# down. The results go to docs/performance.md (section "Stacks").
#
# With --baseline BUILDDIR (a build of another commit: its berth and
# berth-fs), that build's up -d and down -v are timed in the same run too,
# with a store of its own: a change's cost is read off one run.
#
# Usage: sudo bench/stack.sh [--runs N] [--baseline BUILDDIR] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=10 BASELINE=
bench_own_opt() { case $1 in --baseline) BASELINE=${2:?} ;; *) return 1 ;; esac; }
bench_args "$@"
bench_need_busybox_peer
bench_need_gnu_time
chmod 0666 /dev/fuse /dev/net/tun

bench_setup stack
bench_setup_baseline
STACK=$WORK/shop/shop.ini
clean() {
	[ -f "$STACK" ] && as_peer $B down -v "$STACK" >/dev/null 2>&1 || true
	[ -z "$BB" ] || { [ -f "$STACK" ] && as_peer $BB down -v "$STACK" >/dev/null 2>&1; } || true
	as_peer rm -rf "$WORK" 2>/dev/null || true
}
clean
trap clean EXIT
as_peer mkdir -p "$WORK"
cp -r "$BENCH_REPO/profiles/examples/shop" "$WORK/shop"
chown -R "$PEER_USER" "$WORK/shop"
as_peer $B import -q "$ROOTFS_TAR" demo/busybox:latest >/dev/null
[ -z "$BB" ] || as_peer $BB import -q "$ROOTFS_TAR" demo/busybox:latest >/dev/null

# time_stack NAME BERTH: up -d (hyperfine), then one up and one down under
# GNU time; the figures in UP[NAME], CPU_UP[NAME] (hyperfine's mean user +
# system), WALL_DOWN[NAME]
declare -A UP CPU_UP WALL_DOWN
time_stack() {
	local t=$1 b=$2
	as_peer hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$RES/hf-up-$t.json" \
		--prepare "$b down -v $STACK" "$b up -d $STACK" >"$RES/hf-up-$t.txt" 2>&1 ||
		bench_die "hyperfine failed ($t): $(tail -n 3 "$RES/hf-up-$t.txt")"
	as_peer $b down -v "$STACK" >/dev/null
	as_peer /usr/bin/time -v $b up -d "$STACK" 2>"$RES/time-up-$t.txt" >/dev/null
	as_peer /usr/bin/time -v $b down -v "$STACK" 2>"$RES/time-down-$t.txt" >/dev/null
	UP[$t]=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.0f" % (r["median"] * 1000))' "$RES/hf-up-$t.json")
	CPU_UP[$t]=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % ((r["user"] + r["system"]) * 1000))' "$RES/hf-up-$t.json")
	WALL_DOWN[$t]=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, a, ":"); printf "%.0f", (a[n] + (n > 1 ? a[n - 1] * 60 : 0)) * 1000 }' "$RES/time-down-$t.txt")
}
time_stack berth "$B"
[ -z "$BB" ] || time_stack baseline "$BB"
UP_B=${UP[berth]} CPU_B=${CPU_UP[berth]} DOWN_B=${WALL_DOWN[berth]}
MACHINE=$(bench_machine)
BERTH_VERSION=$(bench_berth_version "$BERTH")
{
	bench_section_head "Stacks"
	echo
	echo "\`berth up -d\` of profiles/examples/shop (three sandboxes, a user network, a named"
	echo "volume, bind mounts, an anonymous volume, two published ports), from nothing, as"
	echo "the unprivileged user \`$PEER_USER\`:"
	echo
	if [ -n "$BB" ]; then
		echo "| | ms | baseline, ms |"
		echo "|---|--:|--:|"
		echo "| up -d, wall (hyperfine median of $RUNS) | $UP_B | ${UP[baseline]} |"
		echo "| up -d, CPU of up and what it waits for (user + system, hyperfine mean) | $CPU_B | ${CPU_UP[baseline]} |"
		echo "| down -v, wall (one run) | $DOWN_B | ${WALL_DOWN[baseline]} |"
		echo
		echo "Baseline: \`--baseline $BASELINE\` ($(cd "$BASELINE" && git -c safe.directory='*' describe --always 2>/dev/null || echo "version unknown")), timed in the same run with a store of its own;"
		echo "this build's up -d takes $(awk -v a="$UP_B" -v b="${UP[baseline]}" 'BEGIN { printf "%.2fx", a / b }') of its time."
	else
		echo "| | ms |"
		echo "|---|--:|"
		echo "| up -d, wall (hyperfine median of $RUNS) | $UP_B |"
		echo "| up -d, CPU of up and what it waits for (user + system, hyperfine mean) | $CPU_B |"
		echo "| down -v, wall (one run) | $DOWN_B |"
	fi
	echo
	echo "Target (issue 7): up under 1 s of berth's own time: $(awk -v a="$UP_B" 'BEGIN { print (a < 1000 ? "met" : "not met") }')."
	echo
	echo "Machine: $(echo "$MACHINE" | head -n 1)  "
	echo "Versions: berth $BERTH_VERSION."
} >"$BODY"
bench_put_doc "Stacks"
