#!/bin/bash
# bench/load.sh: `berth load` against `podman load`, in the same run.
#
# The input is peer-setup's localhost/debian:bookworm (debootstrap minbase,
# one layer of about 200 MB) saved once by `podman save` as a docker-archive
# and as an oci-archive in $BENCH_DIR (default /var/tmp/berth-bench; delete
# the files there to make them again). For each format, as the unprivileged
# user "peer":
#   berth:  BERTH_ROOT=<empty dir> berth load -i FILE -q
#           (the store is removed and made again before every run)
#   podman: podman load -q -i FILE
#           (after `podman rmi -f localhost/debian:bookworm` before every run)
# Both stores are on the same filesystem (peer's home). The input stays in
# the page cache (a warm-up run reads it first); `sync` runs before every
# timed run so one run's write-back does not land on the next, and then
# bench/lib.sh's wait-idle waits until other processes leave the CPUs idle;
# neither side is timed to disk. Times are hyperfine medians; peak RSS is GNU time's
# "Maximum resident set size" of one more run of each. The results go to
# docs/performance.md (section "Image load") and, in full, to
# $BENCH_DIR/results/DATE/.
#
# Usage: sudo bench/load.sh [--runs N] [--warmup N] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
BENCH_NAME=load.sh
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
WRITE_DOC=1
ARGS=()

usage() {
	sed -n '2,/^set -e/{ /^set -e/d; s/^# \{0,1\}//; p; }' "$0"
	exit "${1:-0}"
}
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=${2:?}; ARGS+=("$1" "$2"); shift 2 ;;
	--warmup) WARMUP=${2:?}; ARGS+=("$1" "$2"); shift 2 ;;
	--no-doc) WRITE_DOC=0; shift ;;
	-h | --help) usage 0 ;;
	*) echo "$BENCH_NAME: unknown argument '$1'" >&2; usage 1 >&2 ;;
	esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || bench_die "--runs wants a positive number"
[[ $WARMUP =~ ^[0-9]+$ ]] || bench_die "--warmup wants a number"

bench_need_root
FORMATS=(docker oci)
declare -A INPUT=([docker]=$BENCH_DIR/debian.docker.tar [oci]=$BENCH_DIR/debian.oci.tar)
bench_need_peer "${INPUT[docker]}"
bench_need_gnu_time

install -d -m 755 -o "$PEER_USER" "$BENCH_DIR"
BERTH=$(bench_install_berth)
WAIT_IDLE=$(bench_install_wait_idle)
PEER_HOME=$(bench_peer_home)
STORE=$PEER_HOME/.cache/berth-bench/store
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$BENCH_DIR/results/$STAMP
install -d -m 755 -o "$PEER_USER" "$BENCH_DIR/results" "$RES"
as_peer mkdir -p "$(dirname "$STORE")"
WAIT_LOG=$RES/wait-idle.log
as_peer touch "$WAIT_LOG"

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	as_peer rm -rf "$STORE" 2>/dev/null || true
	# an interrupted podman run may have left peer without the image
	if ! as_peer podman image exists "$PEER_DEBIAN" 2>/dev/null && [ -s "${INPUT[docker]}" ]; then
		as_peer podman load -q -i "${INPUT[docker]}" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

# 1. The input, made once.
for fmt in "${FORMATS[@]}"; do
	f=${INPUT[$fmt]}
	[ -s "$f" ] && continue
	bench_log "making $f (podman save --format $fmt-archive)"
	rm -f "$f.partial"
	as_peer podman save -q --format "$fmt-archive" -o "$f.partial" "$PEER_DEBIAN"
	chmod 644 "$f.partial"
	mv "$f.partial" "$f"
done

# 2. The machine and the versions.
MACHINE=$(bench_machine)
BERTH_VERSION=$(bench_berth_version "$BERTH")
PODMAN_VERSION=$(as_peer podman version --format '{{.Client.Version}}')
PODMAN_ROOT=$(as_peer podman info --format '{{.Store.GraphRoot}}')
PODMAN_DRIVER=$(as_peer podman info --format '{{.Store.GraphDriverName}}')
if as_peer podman info --format '{{json .Store.GraphOptions}}' | grep -q fuse-overlayfs; then
	PODMAN_DRIVER="$PODMAN_DRIVER (fuse-overlayfs)"
fi
FS_BERTH=$(bench_fstype "$(dirname "$STORE")")
FS_PODMAN=$(bench_fstype "$PODMAN_ROOT")
FS_INPUT=$(bench_fstype "$BENCH_DIR")
{
	echo "== machine"
	echo "$MACHINE"
	echo "berth store: $STORE ($FS_BERTH)"
	echo "podman store: $PODMAN_ROOT ($FS_PODMAN, driver $PODMAN_DRIVER)"
	echo "input: $BENCH_DIR ($FS_INPUT)"
	echo "berth: $BERTH_VERSION"
	echo "podman: $PODMAN_VERSION"
} | tee "$RES/machine.txt"

BERTH_LOAD() { printf 'BERTH_ROOT=%q %q load -i %q -q' "$STORE" "$BERTH" "$1"; }
PODMAN_LOAD() { printf 'podman load -q -i %q' "$1"; }
# Before every run: the empty store (berth) or no image (podman), the
# write-back of the previous run done, and no other work on the CPUs.
IDLE=$(printf 'WAIT_IDLE_LOG=%q %q' "$WAIT_LOG" "$WAIT_IDLE")
BERTH_PREP=$(printf 'rm -rf %q && mkdir -p %q && sync && %s' "$STORE" "$STORE" "$IDLE")
PODMAN_PREP=$(printf 'podman rmi -f %q >/dev/null 2>&1; sync; %s' "$PEER_DEBIAN" "$IDLE")

declare -A OK MEDIAN RSS NOTE
status=0

# 3. One run of each under GNU time: peak RSS, and a check that the image
# is really there afterwards (a failure is recorded, not hidden).
for fmt in "${FORMATS[@]}"; do
	f=${INPUT[$fmt]}
	echo "== $fmt-archive: peak RSS ($(du -m "$f" | cut -f1) MB input)"
	as_peer bash -c "$BERTH_PREP"
	if as_peer /usr/bin/time -v -o "$RES/berth-$fmt.time" \
		env BERTH_ROOT="$STORE" "$BERTH" load -i "$f" -q \
		>"$RES/berth-$fmt.log" 2>&1 &&
		as_peer env BERTH_ROOT="$STORE" "$BERTH" images >"$RES/berth-$fmt.images" 2>&1 &&
		grep -Eq '^localhost/debian +bookworm ' "$RES/berth-$fmt.images"; then
		OK[berth-$fmt]=1
	else
		OK[berth-$fmt]=0
		NOTE[berth-$fmt]=$(cat "$RES/berth-$fmt.log" "$RES/berth-$fmt.images" 2>/dev/null | grep -v '^$' | head -n 1)
		bench_log "berth load of the $fmt-archive failed: ${NOTE[berth-$fmt]:-no image afterwards}"
		status=1
	fi
	as_peer bash -c "$PODMAN_PREP"
	if as_peer /usr/bin/time -v -o "$RES/podman-$fmt.time" podman load -q -i "$f" \
		>"$RES/podman-$fmt.log" 2>&1 &&
		as_peer podman image exists "$PEER_DEBIAN"; then
		OK[podman-$fmt]=1
	else
		OK[podman-$fmt]=0
		NOTE[podman-$fmt]=$(grep -v '^$' "$RES/podman-$fmt.log" | head -n 1)
		bench_log "podman load of the $fmt-archive failed: ${NOTE[podman-$fmt]:-no image afterwards}"
		status=1
	fi
	for tool in berth podman; do
		t=$RES/$tool-$fmt.time
		kb=$(time_field "$t" 'Maximum resident set size (kbytes)' 2>/dev/null || true)
		RSS[$tool-$fmt]=$([ -n "$kb" ] && kb_to_mb "$kb" || echo "?")
		if [ -s "$t" ]; then
			printf '%-6s  peak RSS %6s MB  user %5ss  sys %5ss  wall %s  minor faults %s\n' \
				"$tool" "${RSS[$tool-$fmt]}" \
				"$(time_field "$t" 'User time (seconds)')" "$(time_field "$t" 'System time (seconds)')" \
				"$(time_field "$t" 'Elapsed (wall clock) time (h:mm:ss or m:ss)')" \
				"$(time_field "$t" 'Minor (reclaiming a frame) page faults')"
		fi
	done
done
as_peer rm -rf "$STORE"

# 4. The timings: hyperfine, one tool and one format at a time, so that a
# failing tool does not cost the other its figures.
for fmt in "${FORMATS[@]}"; do
	f=${INPUT[$fmt]}
	for tool in berth podman; do
		if [ "${OK[$tool-$fmt]}" != 1 ]; then
			MEDIAN[$tool-$fmt]=failed
			continue
		fi
		echo "== $fmt-archive: $tool"
		if [ $tool = berth ]; then
			cmd=$(BERTH_LOAD "$f") prep=$BERTH_PREP
		else
			cmd=$(PODMAN_LOAD "$f") prep=$PODMAN_PREP
		fi
		if as_peer hyperfine --runs "$RUNS" --warmup "$WARMUP" \
			--prepare "$prep" --cleanup "$(printf 'rm -rf %q' "$STORE")" \
			--command-name "$tool load ($fmt-archive)" \
			--export-json "$RES/hyperfine-$tool-$fmt.json" \
			--export-csv "$RES/hyperfine-$tool-$fmt.csv" "$cmd"; then
			MEDIAN[$tool-$fmt]=$(hf_median "$RES/hyperfine-$tool-$fmt.csv")
		else
			MEDIAN[$tool-$fmt]=failed
			status=1
		fi
	done
done

# 5. The table.
fmt_s() { case $1 in failed | "") echo "${1:-?}" ;; *) awk -v s="$1" 'BEGIN { printf "%.3f", s }' ;; esac; }
ratio() {
	case "$1$2" in *failed* | "") echo "n/a" ;;
	*) awk -v p="$1" -v b="$2" 'BEGIN { printf "%.2f", p / b }' ;; esac
}
TABLE=$RES/table.md
{
	echo "| Input | Size | berth median (s) | podman median (s) | podman / berth | berth peak RSS (MB) | podman peak RSS (MB) |"
	echo "|---|--:|--:|--:|--:|--:|--:|"
	for fmt in "${FORMATS[@]}"; do
		printf '| %s | %s MB | %s | %s | %s | %s | %s |\n' "$fmt-archive" \
			"$(du -m "${INPUT[$fmt]}" | cut -f1)" \
			"$(fmt_s "${MEDIAN[berth-$fmt]}")" "$(fmt_s "${MEDIAN[podman-$fmt]}")" \
			"$(ratio "${MEDIAN[podman-$fmt]}" "${MEDIAN[berth-$fmt]}")" \
			"${RSS[berth-$fmt]}" "${RSS[podman-$fmt]}"
	done
} >"$TABLE"

# Targets: berth at least 1.5x faster than podman, peak RSS under 64 MB.
TARGET_NOTES=()
for fmt in "${FORMATS[@]}"; do
	r=$(ratio "${MEDIAN[podman-$fmt]}" "${MEDIAN[berth-$fmt]}")
	m=${RSS[berth-$fmt]}
	if [ "$r" = n/a ] || awk -v r="$r" 'BEGIN { exit !(r < 1.5) }'; then
		TARGET_NOTES+=("$fmt-archive: speed target (podman / berth >= 1.5) not met ($r)")
	fi
	if [ "$m" = "?" ] || awk -v m="$m" 'BEGIN { exit !(m >= 64) }'; then
		TARGET_NOTES+=("$fmt-archive: memory target (berth peak RSS < 64 MB) not met ($m MB)")
	fi
done
WAITS=$(grep -c '^waited' "$WAIT_LOG" || true)
GAVE_UP=$(grep -c '^gave up' "$WAIT_LOG" || true)
BUSY_NOTE=
if [ "$GAVE_UP" -gt 0 ]; then
	BUSY_NOTE="Other processes kept the CPUs busy during $GAVE_UP of the measured runs (bench waited up to 180 s for idle CPUs, then measured anyway): these figures are noisier than usual."
elif [ "$WAITS" -gt 0 ]; then
	BUSY_NOTE="Other processes were using the CPUs before $WAITS of the measured runs; the benchmark waited for idle CPUs before each of them."
fi
for k in "${!NOTE[@]}"; do
	TARGET_NOTES+=("$k failed: ${NOTE[$k]:-no image afterwards} (log in $RES)")
done

echo
echo "== Image load: medians of $RUNS runs (hyperfine), peak RSS of one run"
cat "$TABLE"
if [ ${#TARGET_NOTES[@]} -eq 0 ]; then
	echo "targets met: podman / berth >= 1.5 and berth peak RSS < 64 MB for every input"
else
	printf '%s\n' "${TARGET_NOTES[@]}"
fi
[ -z "$BUSY_NOTE" ] || echo "$BUSY_NOTE"
echo "full results: $RES"

# 6. docs/performance.md
if [ "$WRITE_DOC" = 1 ]; then
	DOC=$BENCH_REPO/docs/performance.md
	HEAD=$(mktemp) BODY=$(mktemp)
	cat >"$HEAD" <<'EOF'
# Performance

The benchmarks live in `bench/`. Each one runs berth and its peers (the
tools that `shared/tools/peer-setup.sh` installs: rootless podman, ...) in
the same run, on the same machine, as the same unprivileged user, and writes
its figures into a section of this file, with the machine and the command
that produced them. They need root and take minutes, so they are not part
of CI: run them by hand before and after a change that may cost time or
memory.
EOF
	CMD="sudo bench/load.sh${ARGS[*]:+ ${ARGS[*]}}"
	{
		echo "## Image load"
		echo
		echo "\`berth load -i FILE -q\` into an empty store against \`podman load -q -i FILE\`"
		echo "after \`podman rmi -f\` of the image, both as the unprivileged user \`$PEER_USER\`."
		echo "FILE is peer-setup's \`$PEER_DEBIAN\` (debootstrap minbase, one"
		echo "layer) written by \`podman save\` as a docker-archive (layer uncompressed)"
		echo "and as an oci-archive (layer gzip-compressed). The berth store is made"
		echo "afresh before every run; the input is in the page cache; \`sync\` runs"
		echo "before each run, which starts once the CPUs are idle, and is not timed."
		echo "Times are hyperfine medians of $RUNS runs"
		echo "(after $WARMUP warm-up run$([ "$WARMUP" = 1 ] || echo s)); peak RSS is GNU time's maximum resident set size of one"
		echo "run (for podman, that of its largest process)."
		echo
		echo "Command: \`$CMD\`  "
		echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo
		cat "$TABLE"
		echo
		if [ ${#TARGET_NOTES[@]} -eq 0 ]; then
			echo "Targets (podman / berth >= 1.5, berth peak RSS < 64 MB): met."
		else
			echo "Targets (podman / berth >= 1.5, berth peak RSS < 64 MB):"
			echo
			printf -- '- %s\n' "${TARGET_NOTES[@]}" | sed "s|$RES|\$BENCH_DIR/results/$STAMP|"
		fi
		[ -z "$BUSY_NOTE" ] || printf '\n%s\n' "$BUSY_NOTE"
		echo
		echo "Machine:"
		echo
		while IFS= read -r l; do echo "- $l"; done <<<"$MACHINE"
		echo "- stores: berth \`~$PEER_USER/.cache/berth-bench/store\` ($FS_BERTH),"
		echo "  podman \`${PODMAN_ROOT/#$PEER_HOME/\~$PEER_USER}\` ($FS_PODMAN, $PODMAN_DRIVER)"
		echo "- berth $BERTH_VERSION, podman $PODMAN_VERSION"
	} >"$BODY"
	doc_put_section "$DOC" "Image load" "$BODY" "$HEAD"
	rm -f "$HEAD" "$BODY"
	echo "wrote section \"Image load\" of $DOC"
fi
exit $status
