#!/bin/bash
# bench/faults.sh: the figures of docs/reliability.md for the load cases
# that must keep holding (issue 23), as the unprivileged user "peer":
#   40 at once: 40 `berth run --rm --network none IMG sh -c 'exit N'`
#               started together: the wall time, and whether every
#               exit code came back;
#   N in a row: `berth run --rm --network none IMG true` N times (--runs,
#               default 300): ms per run, the store's size before and
#               after (du -sb, the lock file left out).
# The image is the busybox fixture (shared/fixtures/images/
# podman-bb.oci-archive.tar beside the checkout, or IMAGE=FILE), loaded
# into a store of its own in peer's home.
# Prints the figures; writes nothing under docs/. Without the user peer
# it says why and exits 0 (nothing measured).
#
# Usage: sudo bench/faults.sh [--runs N]
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-300}
bench_args "$@"
bench_need_root
if ! id "$PEER_USER" >/dev/null 2>&1; then
	bench_log "skipped: no user '$PEER_USER' to run berth as (shared/tools/peer-setup.sh makes it)"
	exit 0
fi
IMAGE=${IMAGE:-$BENCH_REPO/../shared/fixtures/images/podman-bb.oci-archive.tar}
[ -r "$IMAGE" ] || bench_die "no image archive at $IMAGE (set IMAGE=FILE)"
chmod 0666 /dev/fuse

bench_setup faults
as_peer rm -rf "$WORK"
as_peer mkdir -p "$WORK"
trap 'as_peer rm -rf "$WORK" 2>/dev/null || true' EXIT
install -m 644 "$IMAGE" "$RES/image.tar"
as_peer $B load -q -i "$RES/image.tar" >/dev/null
IMG=$(as_peer $B images | awk 'NR == 2 { print $1 }')

# 40 at once: each exits with its own code, all collected
t0=$(date +%s%N)
as_peer bash -c '
	B=$1 IMG=$2 pids=() bad=0
	for i in $(seq 40); do $B run --rm --network none "$IMG" sh -c "exit $((i % 7))" & pids+=($!); done
	for i in $(seq 40); do st=0; wait "${pids[$((i - 1))]}" || st=$?; [ $st = $((i % 7)) ] || bad=$((bad + 1)); done
	echo "$bad" >"$3"' _ "$B" "$IMG" "$WORK/once.bad"
t1=$(date +%s%N)
bad=$(as_peer cat "$WORK/once.bad")
left=$(as_peer $B ps -a -q | wc -l)

size() { as_peer du -sb --exclude=store.lock "$WORK/store" | cut -f1; }
before=$(size)
s0=$(date +%s%N)
as_peer bash -c 'for i in $(seq "$3"); do $1 run --rm --network none "$2" true || exit 1; done' _ "$B" "$IMG" "$RUNS"
s1=$(date +%s%N)
after=$(size)

{
	echo "berth $(bench_berth_version "$BERTH"), $(nproc) cores, $(uname -r), as $PEER_USER"
	echo "40 at once:   $(((t1 - t0) / 1000000)) ms wall; $((40 - bad))/40 exit codes came back; $left containers left"
	echo "$RUNS in a row: $(((s1 - s0) / 1000000 / RUNS)) ms per run; store $before -> $after bytes"
} | tee "$RES/figures.txt"
