#!/bin/bash
# bench/volumes.sh: what mounts cost a container and what they give back.
#
# As the unprivileged user "peer", busybox image (peer-setup's
# busybox-rootfs.tar imported by berth), hyperfine medians of --runs
# (default 20) after --warmup 3, all in one run:
#   start:  berth run --rm IMG true, then the same with a named volume
#           that exists, a new anonymous volume each run (made, mounted,
#           removed), a bind mount, and a secret; podman's run with a
#           bind mount (reported with its error where it cannot run) and
#           bwrap --bind (no image, the floor).
#   write:  untar 5,000 small files (busybox tar, 20 MB) into the
#           container's writable layer (berth-fs), into a named volume,
#           and into a bind-mounted directory, each a whole `berth run
#           --rm`, against busybox tar on the host directory itself.
# The results go to docs/performance.md (section "Volumes and mounts")
# and, in full, to $BENCH_DIR/results/DATE/.
#
# Usage: sudo bench/volumes.sh [--runs N] [--warmup N] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-20} WARMUP=${WARMUP:-3}
bench_args "$@"
bench_need_busybox_peer
command -v bwrap >/dev/null || bench_die "bwrap missing: run peer-setup.sh"
chmod 0666 /dev/fuse

bench_setup volumes
# volumes hold files of the containers' other ids: berth removes them (in
# the user's namespace), a plain rm -rf as the user could not
clean_work() {
	as_peer $B volume prune -a >/dev/null 2>&1 || true
	as_peer rm -rf "$WORK" 2>/dev/null || true
}
clean_work
as_peer mkdir -p "$WORK/rootfs" "$WORK/bind" "$WORK/native" "$WORK/files"
trap clean_work EXIT
as_peer tar -xf "$ROOTFS_TAR" -C "$WORK/rootfs" 2>/dev/null || true
as_peer mkdir -p "$WORK/rootfs/data" # bwrap's mount point
as_peer $B import -q "$ROOTFS_TAR" localhost/bb >/dev/null
as_peer $B volume create benchvol >/dev/null
as_peer $B volume create untarvol >/dev/null
as_peer bash -c "printf secret | $B secret create benchsecret - >/dev/null"
# 5,000 files of 4 KiB in 50 directories
as_peer bash -c "cd '$WORK/files' && for d in \$(seq 1 50); do mkdir d\$d;
	for f in \$(seq 1 100); do head -c 4096 /dev/urandom > d\$d/f\$f; done; done &&
	tar --owner=0 --group=0 -cf '$WORK/files.tar' -C '$WORK/files' . && rm -rf '$WORK/files'"

bench_versions_podman_bwrap

R="$B run --rm --network none"
UNTAR="rm -rf /out/x && mkdir /out/x && tar -xof /in/files.tar -C /out/x"
declare -A CMD=(
	[plain]="$R localhost/bb true"
	[named]="$R -v benchvol:/data localhost/bb true"
	[anon]="$R -v /data localhost/bb true"
	[bind]="$R -v $WORK/bind:/data localhost/bb true"
	[secret]="$R --secret benchsecret localhost/bb true"
	[podman_bind]="podman run --rm --network none --cgroups=disabled -v $WORK/bind:/data localhost/bb:latest true"
	[bwrap_bind]="bwrap --unshare-all --ro-bind $WORK/rootfs / --bind $WORK/bind /data --proc /proc --dev /dev true"
	[w_layer]="$R -v $WORK:/in:ro localhost/bb sh -c 'mkdir -p /out && $UNTAR'"
	[w_volume]="$R -v $WORK:/in:ro -v untarvol:/out localhost/bb sh -c '$UNTAR'"
	[w_bind]="$R -v $WORK:/in:ro -v $WORK/bind:/out localhost/bb sh -c '$UNTAR'"
	[w_native]="$WORK/rootfs/bin/busybox sh -c 'rm -rf $WORK/native/x && mkdir $WORK/native/x && $WORK/rootfs/bin/busybox tar -xof $WORK/files.tar -C $WORK/native/x'"
)
CASES=(plain named anon bind secret podman_bind bwrap_bind w_layer w_volume w_bind w_native)
declare -A MEDIAN SD WHY
for c in "${CASES[@]}"; do
	bench_log "timing $c: ${CMD[$c]}"
	runs=$RUNS
	case $c in w_*) runs=$(((RUNS + 1) / 2)) ;; esac
	if ! as_peer hyperfine -N --runs "$runs" --warmup "$WARMUP" --export-json "$RES/hf-$c.json" \
		"${CMD[$c]}" >"$RES/hf-$c.txt" 2>&1; then
		WHY[$c]=$(as_peer bash -c "${CMD[$c]}" 2>&1 | tail -n 1 || true)
		bench_log "$c failed: ${WHY[$c]}"
		continue
	fi
	MEDIAN[$c]=$(hf_stat "$RES/hf-$c.json" median)
	SD[$c]=$(hf_stat "$RES/hf-$c.json" stddev)
done
for c in plain named anon bind secret w_layer w_volume w_bind w_native; do
	[ -n "${MEDIAN[$c]:-}" ] || bench_die "$c failed: see $RES/hf-$c.txt"
done
# no anonymous volume may be left by the --rm runs
LEFT=$(as_peer $B volume ls -q | grep -cvx 'benchvol\|untarvol' || true)

plus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f", (a - b) * 1000 }'; }
ratio() { [ -n "${1:-}" ] && [ -n "${2:-}" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "n/a"; }
{
	bench_section_head "Volumes and mounts"
	echo
	echo "As the unprivileged user \`$PEER_USER\`, busybox image, no network;"
	echo "hyperfine medians ($RUNS runs for the starts, $(((RUNS + 1) / 2)) for the untars, after $WARMUP warm-ups)."
	echo
	echo "| \`run --rm ... true\` with | median ms | σ ms | over plain |"
	echo "|---|--:|--:|--:|"
	echo "| nothing (plain) | $(ms "${MEDIAN[plain]}") | $(ms "${SD[plain]}") | |"
	echo "| \`-v NAME:/data\` (volume exists) | $(ms "${MEDIAN[named]}") | $(ms "${SD[named]}") | $(plus "${MEDIAN[named]}" "${MEDIAN[plain]}") |"
	echo "| \`-v /data\` (anonymous: made, mounted, removed) | $(ms "${MEDIAN[anon]}") | $(ms "${SD[anon]}") | $(plus "${MEDIAN[anon]}" "${MEDIAN[plain]}") |"
	echo "| \`-v DIR:/data\` (bind) | $(ms "${MEDIAN[bind]}") | $(ms "${SD[bind]}") | $(plus "${MEDIAN[bind]}" "${MEDIAN[plain]}") |"
	echo "| \`--secret NAME\` | $(ms "${MEDIAN[secret]}") | $(ms "${SD[secret]}") | $(plus "${MEDIAN[secret]}" "${MEDIAN[plain]}") |"
	echo "| podman \`-v DIR:/data\` | $(ms "${MEDIAN[podman_bind]:-}") | | |"
	echo "| bwrap \`--bind DIR /data\` (no image: the floor) | $(ms "${MEDIAN[bwrap_bind]:-}") | | |"
	for c in podman_bind bwrap_bind; do
		[ -z "${WHY[$c]:-}" ] || echo "
${c%_bind} could not run here: \`${WHY[$c]}\`"
	done
	echo
	echo "Untar of 5,000 files of 4 KiB (busybox tar), each a whole \`berth run --rm\`"
	echo "(start included), against busybox tar on the host directory:"
	echo
	echo "| into | s | / native |"
	echo "|---|--:|--:|"
	echo "| a host directory, no container (native) | $(awk -v s="${MEDIAN[w_native]}" 'BEGIN { printf "%.3f", s }') | 1 |"
	for c in w_bind w_volume w_layer; do
		case $c in
		w_bind) label="a bind-mounted host directory" ;;
		w_volume) label="a named volume" ;;
		w_layer) label="the container's writable layer (berth-fs)" ;;
		esac
		echo "| $label | $(awk -v s="${MEDIAN[$c]}" 'BEGIN { printf "%.3f", s }') | $(ratio "${MEDIAN[$c]}" "${MEDIAN[w_native]}") |"
	done
	echo
	echo "Anonymous volumes left behind by the \`--rm\` runs: $LEFT."
	echo
	echo "Machine: $(echo "$MACHINE" | head -n 1)  "
	echo "Versions: berth $BERTH_VERSION, podman $PODMAN_VERSION, bwrap $BWRAP_VERSION."
} >"$BODY"
bench_put_doc "Volumes and mounts"
