#!/bin/bash
# bench/exec-memfd.sh: what protecting berth's binary with a sealed memfd
# copy would cost each process that enters a container (crun re-executes
# itself from one; berth's exec child is not dumpable instead, see
# docs/security.md). Times, with hyperfine (medians of --runs, default 200):
#   direct:     berth version
#   copy+seal:  memfd-exec berth --copy-only   (memfd_create, sendfile of
#               the whole binary, F_SEAL_*)
#   re-exec:    memfd-exec berth berth version (the copy, then fexecve of
#               it: what a sealed exec child would pay on top of its fork)
# and `berth exec C true` into a running container for scale, as the
# unprivileged user "peer". memfd-exec is bench/c/memfd-exec.c, built here
# with cc. The results go to docs/performance.md ("exec with a sealed copy").
#
# Usage: sudo bench/exec-memfd.sh [--runs N] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=200
bench_args "$@"
bench_need_busybox_peer
chmod 0666 /dev/fuse
bench_setup memfd exec-memfd
cc -O2 -o "$BENCH_DIR/bin/memfd-exec" "$BENCH_REPO/bench/c/memfd-exec.c" ||
	bench_die "cannot build bench/c/memfd-exec.c (apt-get install gcc)"
as_peer rm -rf "$WORK"
as_peer mkdir -p "$WORK"
trap 'as_peer $B rm -f bench-memfd >/dev/null 2>&1; as_peer rm -rf "$WORK" 2>/dev/null || true' EXIT
as_peer $B import -q "$ROOTFS_TAR" localhost/bb >/dev/null
as_peer $B run -d --name bench-memfd --network none localhost/bb sleep 600 >/dev/null
M=$BENCH_DIR/bin/memfd-exec
as_peer hyperfine -N --runs "$RUNS" --warmup 10 --export-json "$RES/hf.json" \
	-n direct "$BERTH version" -n copy+seal "$M $BERTH --copy-only" \
	-n re-exec "$M $BERTH berth version" -n exec "$B exec bench-memfd true" >"$RES/hf.txt" 2>&1 ||
	bench_die "hyperfine failed: see $RES/hf.txt"
med() { python3 -c "import json,sys; r=[x for x in json.load(open(sys.argv[1]))['results'] if x['command']==sys.argv[2]][0]; print('%.2f' % (r['median']*1000))" "$RES/hf.json" "$1"; }
D=$(med direct) C=$(med copy+seal) R=$(med re-exec) E=$(med exec)
SIZE=$(stat -c %s "$BERTH")
{
	bench_section_head "exec with a sealed copy"
	echo
	echo "What a sealed memfd copy of berth's binary ($((SIZE / 1024)) KiB) would cost a"
	echo "process that enters a container, as crun does for its own; hyperfine"
	echo "medians of $RUNS runs as \`$PEER_USER\`:"
	echo
	echo "| | ms |"
	echo "|---|--:|"
	echo "| \`berth version\` | $D |"
	echo "| copy into a memfd and seal it | $C |"
	echo "| copy, seal and fexecve the copy (\`berth version\`) | $R |"
	echo "| \`berth exec C true\` today, for scale | $E |"
	echo
	echo "berth's exec child is a fork, which execs nothing of berth's: a sealed child"
	echo "would add the copy and a whole exec of berth, about $R ms on an exec of $E ms"
	echo "($(awk -v r="$R" -v e="$E" 'BEGIN { printf "%.0f", 100 * r / e }')% more). berth does not take it: the exec child is not dumpable"
	echo "from before it enters the container until its execve, which closes"
	echo "/proc/PID/exe to the container (docs/security.md)."
	echo
	echo "Machine: $(bench_machine | head -n 1)"
} >"$BODY"
bench_put_doc "exec with a sealed copy"
