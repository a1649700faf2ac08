#!/bin/bash
# bench/start.sh: how long a container takes to start and end: `berth run
# --rm IMG true` against `podman run --rm --network none IMG true` and
# bubblewrap on a plain directory, in the same run.
#
# The image is peer-setup's busybox rootfs (busybox-rootfs.tar), as the
# unprivileged user "peer": `berth import` of it into a store in peer's
# home, podman's localhost/bb:latest (the same tarball, `podman import`),
# and the tarball extracted for bwrap. Timed by hyperfine (medians of
# --runs, default 20, after --warmup 3):
#   berth:  berth run --rm --network none localhost/bb true
#           (berth-fs mount of the image with a new writable layer, user,
#           mount, PID, UTS, IPC, cgroup and network namespaces, /proc,
#           /dev, /sys, masks, capabilities, no_new_privs, seccomp, and
#           the unmount and removal after)
#   podman: podman run --rm --network none --cgroups=disabled localhost/bb:latest
#           true   (cgroups are v1 here without delegation: crun refuses
#           them rootless, and berth sets up none either)
#   bwrap:  bwrap --unshare-all --ro-bind ROOTFS / --proc /proc --dev /dev
#           true   (no image, no writable layer: the floor)
# Also timed: `berth exec C true` into a running detached container.
# Peak RSS is GNU time's of one `berth run` (the CLI, which is the
# container's monitor while it runs) and berth-fs's VmHWM; the memory of
# an idle detached container is the VmRSS of its monitor, holder, init
# and berth-fs.
# The results go to docs/performance.md (section "Container start") and,
# in full, to $BENCH_DIR/results/DATE/.
#
# With --baseline BUILDDIR (a build of another commit: its berth and
# berth-fs), that build is timed in the same run too, as "berth (baseline)",
# with its own store: a change's cost is then read off one hyperfine run.
#
# Usage: sudo bench/start.sh [--runs N] [--warmup N] [--baseline BUILDDIR] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-20} WARMUP=${WARMUP:-3} BASELINE=
bench_own_opt() { case $1 in --baseline) BASELINE=${2:?} ;; *) return 1 ;; esac; }
bench_args "$@"
bench_need_busybox_peer
bench_need_gnu_time
command -v bwrap >/dev/null || bench_die "bwrap missing: run peer-setup.sh"
# containers' roots are berth-fs mounts made by the user
chmod 0666 /dev/fuse

bench_setup start
as_peer rm -rf "$WORK"
as_peer mkdir -p "$WORK/rootfs"
trap 'as_peer rm -rf "$WORK" 2>/dev/null || true' EXIT
as_peer tar -xf "$ROOTFS_TAR" -C "$WORK/rootfs" 2>/dev/null || true
as_peer $B import -q "$ROOTFS_TAR" localhost/bb >/dev/null
bench_setup_baseline
[ -z "$BB" ] || as_peer $BB import -q "$ROOTFS_TAR" localhost/bb >/dev/null
as_peer podman image exists localhost/bb:latest || bench_die "podman has no localhost/bb:latest: run peer-setup.sh"

bench_versions_podman_bwrap

declare -A CMD=(
	[berth]="$B run --rm --network none localhost/bb true"
	[podman]="podman run --rm --network none --cgroups=disabled localhost/bb:latest true"
	[bwrap]="bwrap --unshare-all --ro-bind $WORK/rootfs / --proc /proc --dev /dev true"
)
TOOLS=(berth podman bwrap)
if [ -n "$BASELINE" ]; then
	CMD[baseline]="$BB run --rm --network none localhost/bb true"
	TOOLS=(berth baseline podman bwrap)
fi
declare -A MEDIAN WHY
for t in "${TOOLS[@]}"; do
	bench_log "timing $t: ${CMD[$t]}"
	if ! as_peer hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$RES/hf-$t.json" \
		"${CMD[$t]}" >"$RES/hf-$t.txt" 2>&1; then
		# a peer that cannot run here is reported with its error, not hidden
		WHY[$t]=$(as_peer ${CMD[$t]} 2>&1 | tail -n 1 || true)
		bench_log "$t failed: ${WHY[$t]}"
		continue
	fi
	MEDIAN[$t]=$(hf_stat "$RES/hf-$t.json" median)
done
[ -n "${MEDIAN[berth]:-}" ] || bench_die "berth failed: see $RES/hf-berth.txt"
# exec into a running container, and the memory of an idle one: its
# monitor, the holder of its namespaces and berth-fs (VmRSS)
as_peer $B run -d --name bench-idle --network none localhost/bb sleep 600 >/dev/null
sleep 1
as_peer hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$RES/hf-exec.json" \
	"$B exec bench-idle true" >"$RES/hf-exec.txt" 2>&1 || bench_die "exec failed (see $RES/hf-exec.txt)"
EXEC_MEDIAN=$(hf_stat "$RES/hf-exec.json" median)
EXEC_BASE=
if [ -n "$BASELINE" ]; then
	as_peer $BB run -d --name bench-idle --network none localhost/bb sleep 600 >/dev/null
	sleep 1
	as_peer hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$RES/hf-exec-baseline.json" \
		"$BB exec bench-idle true" >"$RES/hf-exec-baseline.txt" 2>&1 &&
		EXEC_BASE=$(hf_stat "$RES/hf-exec-baseline.json" median)
	as_peer $BB rm -f bench-idle >/dev/null
fi
IDLE_DIR=$(dirname "$(grep -lx bench-idle "$WORK"/store/containers/*/name)")
read -r HOLDER MONITOR _ <"$IDLE_DIR/pid"
IDLE_KB=0 IDLE_PSS=0 PAIR_KB=0
for p in "$MONITOR" "$HOLDER" $(pgrep -P "$HOLDER"); do
	kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")
	pss=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup")
	echo "$p $(cat "/proc/$p/comm") VmRSS $kb kB Pss $pss kB" >>"$RES/idle-rss.txt"
	IDLE_KB=$((IDLE_KB + kb)) IDLE_PSS=$((IDLE_PSS + pss))
	case $(cat "/proc/$p/comm") in berth-fs) PAIR_KB=$((PAIR_KB + kb)) ;; esac
done
PAIR_KB=$((PAIR_KB + $(awk '/^VmRSS/ { print $2 }' "/proc/$MONITOR/status")))
RSS_IDLE=$(kb_to_mb "$IDLE_KB") PSS_IDLE=$(kb_to_mb "$IDLE_PSS") RSS_PAIR=$(kb_to_mb "$PAIR_KB")
as_peer $B rm -f bench-idle >/dev/null
# memory: the CLI (the container's parent while it runs) and berth-fs
as_peer /usr/bin/time -v $B run --rm --network none localhost/bb true 2>"$RES/time-berth.txt" >/dev/null
RSS_CLI=$(kb_to_mb "$(time_field "$RES/time-berth.txt" 'Maximum resident set size (kbytes)')")
# berth-fs's peak while a container runs: read from the host, by its pid
as_peer bash -c "$B run --rm --network none localhost/bb sleep 1 & sleep 0.5
	for p in \$(pgrep -u $PEER_USER -x berth-fs); do grep VmHWM /proc/\$p/status; done; wait" \
	>"$RES/hwm-berth-fs.txt" 2>&1 || true
RSS_FS=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024; exit }' "$RES/hwm-berth-fs.txt")

ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }' || echo "n/a"; }
{
	bench_section_head "Container start"
	echo
	echo "Start and end of a container that runs \`true\`, as the unprivileged user"
	echo "\`$PEER_USER\`, busybox image, no network; hyperfine medians of $RUNS runs"
	echo "after $WARMUP warm-ups. berth: \`berth run --rm --network none\` (berth-fs"
	echo "root with a new writable layer, all namespaces, mounts, capabilities,"
	echo "seccomp, then unmount and removal). bwrap runs on an extracted directory,"
	echo "with no image and no writable layer: the floor."
	echo
	echo "| | berth | podman | bwrap |"
	echo "|---|--:|--:|--:|"
	echo "| run --rm ... true, ms | $(ms "${MEDIAN[berth]}") | $(ms "${MEDIAN[podman]:-}") | $(ms "${MEDIAN[bwrap]:-}") |"
	echo "| time / berth's | 1 | $(ratio "${MEDIAN[podman]:-}" "${MEDIAN[berth]}") | $(ratio "${MEDIAN[bwrap]:-}" "${MEDIAN[berth]}") |"
	if [ -n "$BASELINE" ]; then
		echo
		echo "The same command with the baseline build (\`--baseline $BASELINE\`, $(cd "$BASELINE" && git -c safe.directory='*' describe --always 2>/dev/null || echo "version unknown")),"
		echo "timed in the same run: $(ms "${MEDIAN[baseline]:-}") ms; this build takes $(awk -v a="${MEDIAN[berth]}" -v b="${MEDIAN[baseline]:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }') of its time."
	fi
	for t in podman bwrap; do
		[ -z "${WHY[$t]:-}" ] || echo "
$t could not run here: \`${WHY[$t]}\`"
	done
	echo
	echo "\`berth exec\` into a running container (\`exec C true\`): $(ms "$EXEC_MEDIAN") ms${EXEC_BASE:+ (the baseline build: $(ms "$EXEC_BASE") ms)}."
	echo
	echo "Peak RSS: the berth CLI (the container's parent while it runs) $RSS_CLI MB,"
	echo "berth-fs ${RSS_FS:-?} MB. An idle detached container (\`sleep\`): its monitor,"
	echo "the holder of its namespaces, its init (\`-d\` implies \`--init\`) and berth-fs"
	echo "together $RSS_IDLE MB VmRSS, $PSS_IDLE MB PSS (forks of one binary share most"
	echo "pages, which VmRSS counts in each); the monitor and berth-fs alone $RSS_PAIR MB"
	echo "VmRSS. The command itself is not counted."

	echo
	echo "Machine: $(echo "$MACHINE" | head -n 1)  "
	echo "Versions: berth $BERTH_VERSION, podman $PODMAN_VERSION, bwrap $BWRAP_VERSION."
} >"$BODY"
bench_put_doc "Container start"
