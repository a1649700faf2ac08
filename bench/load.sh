#!/bin/bash
# bench/load.sh: `berth load` against `podman load`, in the same run.
#
# The input is peer-setup's localhost/debian:bookworm (debootstrap minbase,
# one layer of about 200 MB) saved once by `podman save` as a docker-archive
# and as an oci-archive in $BENCH_DIR (default /var/tmp/berth-bench; delete
# the files there to make them again). For each format, as the unprivileged
# user "peer", hyperfine times (medians of --runs, default 5):
#
# "after delete" (the main table; what a user who reloads an image sees):
#   berth:  BERTH_ROOT=<empty dir> berth load -i FILE -q
#           (the store is removed and made again before every run)
#   podman: podman load -q -i FILE
#           (after `podman rmi -f localhost/debian:bookworm` before every run)
# "fresh" (no files deleted before a run: every run goes into a new store,
#   and the old ones are removed only at the end):
#   berth:  BERTH_ROOT=<new empty dir> berth load -i FILE -q
#   podman: podman --root <new dir> --runroot <new dir> load -q -i FILE
# The two differ on filesystems where creating files costs more right after
# many were deleted (ext4 without a journal scans past every inode freed in
# the last minutes). Both stores are on the same filesystem (peer's home).
#
# The input stays in the page cache (a warm-up run reads it first); `sync`
# runs before every timed run so one run's write-back does not land on the
# next, and then wait-idle (bench/lib.sh) waits until other processes leave
# the CPUs idle; neither is timed, and neither tool is timed to disk. Peak
# RSS is GNU time's "Maximum resident set size" of one more run of each.
# The results go to docs/performance.md (section "Image load") and, in
# full, to $BENCH_DIR/results/DATE/.
#
# With --baseline BUILDDIR (a meson build of another commit), that build's
# berth is timed in the same run too, "after delete" only, with a store of
# its own: the ratio says whether a change made load slower.
#
# Usage: sudo bench/load.sh [--runs N] [--warmup N] [--no-fresh] [--baseline BUILDDIR] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-5} WARMUP=${WARMUP:-1} DO_FRESH=1 BASELINE=
bench_own_opt() {
	case $1 in
	--no-fresh) DO_FRESH=0; ARGS+=("$1"); BENCH_SHIFT=1 ;;
	--baseline) BASELINE=${2:?}; ARGS+=("$1" "$2") ;;
	*) return 1 ;;
	esac
}
bench_args "$@"

bench_need_root
FORMATS=(docker oci)
TOOLS=(berth podman)
declare -A INPUT=([docker]=$BENCH_DIR/debian.docker.tar [oci]=$BENCH_DIR/debian.oci.tar)
bench_need_peer "${INPUT[docker]}"
bench_need_gnu_time

install -d -m 755 -o "$PEER_USER" "$BENCH_DIR"
BERTH=$(bench_install_berth)
BASE_BERTH=
if [ -n "$BASELINE" ]; then
	[ -x "$BASELINE/berth" ] || bench_die "--baseline $BASELINE: no berth there (a meson build directory)"
	install -d -m 755 "$BENCH_DIR/bin-baseline"
	install -m 755 "$BASELINE/berth" "$BENCH_DIR/bin-baseline/"
	BASE_BERTH=$BENCH_DIR/bin-baseline/berth
fi
WAIT_IDLE=$(bench_install_wait_idle)
PEER_HOME=$(bench_peer_home)
WORK=$PEER_HOME/.cache/berth-bench
STORE=$WORK/store # "after delete": berth's BERTH_ROOT
FRESH=$WORK/fresh # "fresh": FRESH/TOOL/cur is the store, FRESH/TOOL/old.* the earlier ones
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$BENCH_DIR/results/$STAMP
DELETED=$BENCH_DIR/last-delete # touched whenever this script has deleted stores
install -d -m 755 -o "$PEER_USER" "$BENCH_DIR/results" "$RES"
as_peer mkdir -p "$WORK"
WAIT_LOG=$RES/wait-idle.log
as_peer touch "$WAIT_LOG"

# Everything in WORK, including podman's files owned by peer's sub-uids.
remove_work() {
	if [ -e "$WORK/fresh" ] || [ -e "$STORE" ] || [ -e "$STORE-baseline" ]; then
		as_peer podman unshare rm -rf "$STORE" "$STORE-baseline" "$FRESH" 2>/dev/null ||
			as_peer rm -rf "$STORE" "$STORE-baseline" "$FRESH" 2>/dev/null || true
		touch "$DELETED"
	fi
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	remove_work
	# an interrupted podman run may have left peer without the image
	if ! as_peer podman image exists "$PEER_DEBIAN" 2>/dev/null && [ -s "${INPUT[docker]}" ]; then
		as_peer podman load -q -i "${INPUT[docker]}" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT
remove_work

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
FS_BERTH=$(bench_fstype "$WORK")
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

# 3. The commands. Before every run: the store ready, the write-back of
# the previous run done, and no other work on the CPUs.
IDLE=$(printf 'WAIT_IDLE_LOG=%q %q' "$WAIT_LOG" "$WAIT_IDLE")
q() { printf '%q' "$1"; }
# $1 = mode (delete or fresh), $2 = tool, $3 = input: sets CMD and PREP
commands() {
	local d=$FRESH/$2
	case $1-$2 in
	delete-berth)
		CMD="BERTH_ROOT=$(q "$STORE") $(q "$BERTH") load -i $(q "$3") -q"
		PREP="rm -rf $(q "$STORE") && mkdir -p $(q "$STORE") && sync && $IDLE" ;;
	delete-baseline)
		CMD="BERTH_ROOT=$(q "$STORE-baseline") $(q "$BASE_BERTH") load -i $(q "$3") -q"
		PREP="rm -rf $(q "$STORE-baseline") && mkdir -p $(q "$STORE-baseline") && sync && $IDLE" ;;
	delete-podman)
		CMD="podman load -q -i $(q "$3")"
		PREP="podman rmi -f $(q "$PEER_DEBIAN") >/dev/null 2>&1; sync; $IDLE" ;;
	fresh-berth)
		CMD="BERTH_ROOT=$(q "$d/cur") $(q "$BERTH") load -i $(q "$3") -q" ;;
	fresh-podman)
		CMD="podman --root $(q "$d/cur/root") --runroot $(q "$d/cur/run") load -q -i $(q "$3")" ;;
	esac
	if [ "$1" = fresh ]; then
		PREP="if [ -e $(q "$d/cur") ]; then mv $(q "$d/cur") $(q "$d")/old.\$(date +%s%N); fi"
		PREP="$PREP && mkdir -p $(q "$d/cur") && sync && $IDLE"
	fi
}

declare -A OK MEDIAN RANGE RSS NOTE
status=0
# $1 = mode, $2 = tool, $3 = format: hyperfine, one tool and one format at
# a time, so that a failing tool does not cost the other its figures.
measure() {
	local key=$1-$2-$3 out=$RES/hyperfine-$1-$2-$3
	if [ "${OK[$2-$3]:-1}" != 1 ]; then
		MEDIAN[$key]=failed
		return
	fi
	echo "== $3-archive, $1: $2"
	commands "$1" "$2" "${INPUT[$3]}"
	if as_peer hyperfine --runs "$RUNS" --warmup "$WARMUP" --prepare "$PREP" \
		--command-name "$2 load $3-archive ($1)" \
		--export-json "$out.json" --export-csv "$out.csv" "$CMD"; then
		MEDIAN[$key]=$(hf_stat "$out.json" median)
		RANGE[$key]="$(hf_stat "$out.json" min) $(hf_stat "$out.json" max)"
	else
		MEDIAN[$key]=failed
		status=1
	fi
}

# Without a journal, ext4 will not reuse an inode freed in the last 60 s
# (360 s while its inode table block is dirty) and scans past each such
# inode on every allocation: a run started within minutes of deleting
# another run's files would pay for that scan.
if [[ $FS_BERTH == *"no journal"* || $FS_PODMAN == *"no journal"* ]] && [ -e "$DELETED" ]; then
	age=$(($(date +%s) - $(stat -c %Y "$DELETED")))
	if [ "$age" -lt 400 ]; then
		bench_log "waiting $((400 - age)) s: $FS_BERTH still remembers the files deleted ${age} s ago"
		sleep $((400 - age))
	fi
fi

# 4. "fresh" first, while nothing has been deleted recently. The stores
# stay until the end: about 1 GB per run and format for the two tools.
if [ "$DO_FRESH" = 1 ]; then
	need_mb=$(((RUNS + WARMUP) * 1300 + 2048))
	avail_mb=$(($(df --output=avail -k "$WORK" | tail -n 1) / 1024))
	if [ "$avail_mb" -lt "$need_mb" ]; then
		bench_log "skipping the \"fresh\" timings: $avail_mb MB free in $WORK, they need $need_mb MB"
		DO_FRESH=0
	fi
fi
if [ "$DO_FRESH" = 1 ]; then
	for fmt in "${FORMATS[@]}"; do
		for tool in "${TOOLS[@]}"; do
			measure fresh "$tool" "$fmt"
		done
	done
fi

# 5. One run of each under GNU time: peak RSS, and a check that the image
# is really there afterwards (a failure is recorded, not hidden).
for fmt in "${FORMATS[@]}"; do
	f=${INPUT[$fmt]}
	echo "== $fmt-archive: peak RSS ($(du -m "$f" | cut -f1) MB input)"
	commands delete berth "$f"
	as_peer bash -c "$PREP"
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
	commands delete podman "$f"
	as_peer bash -c "$PREP"
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
	for tool in "${TOOLS[@]}"; do
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

# 6. "after delete" (and the baseline build beside them).
for fmt in "${FORMATS[@]}"; do
	for tool in "${TOOLS[@]}" ${BASELINE:+baseline}; do
		measure delete "$tool" "$fmt"
	done
done
remove_work

# 7. The tables.
fmt_s() { case $1 in failed | "") echo "${1:-?}" ;; *) awk -v s="$1" 'BEGIN { printf "%.3f", s }' ;; esac; }
# "1.877 (1.498-2.000)": the median and, to show the spread, min-max
fmt_m() {
	local r=${RANGE[$1]:-}
	printf '%s' "$(fmt_s "${MEDIAN[$1]}")"
	[ -z "$r" ] || printf ' (%s–%s)' "$(fmt_s "${r% *}")" "$(fmt_s "${r#* }")"
}
ratio() {
	case "$1$2" in *failed* | "") echo "n/a" ;;
	*) awk -v p="$1" -v b="$2" 'BEGIN { printf "%.2f", p / b }' ;; esac
}
TABLE=$RES/table.md
{
	echo "| Input | Size | berth median (min–max), s | podman median (min–max), s | podman / berth | berth peak RSS, MB | podman peak RSS, MB |"
	echo "|---|--:|--:|--:|--:|--:|--:|"
	for fmt in "${FORMATS[@]}"; do
		printf '| %s | %s MB | %s | %s | %s | %s | %s |\n' "$fmt-archive" \
			"$(du -m "${INPUT[$fmt]}" | cut -f1)" \
			"$(fmt_m "delete-berth-$fmt")" "$(fmt_m "delete-podman-$fmt")" \
			"$(ratio "${MEDIAN[delete-podman-$fmt]}" "${MEDIAN[delete-berth-$fmt]}")" \
			"${RSS[berth-$fmt]}" "${RSS[podman-$fmt]}"
	done
} >"$TABLE"
TABLE_FRESH=$RES/table-fresh.md
if [ "$DO_FRESH" = 1 ]; then
	{
		echo "| Input | berth median (min–max), s | podman median (min–max), s | podman / berth |"
		echo "|---|--:|--:|--:|"
		for fmt in "${FORMATS[@]}"; do
			printf '| %s | %s | %s | %s |\n' "$fmt-archive" \
				"$(fmt_m "fresh-berth-$fmt")" "$(fmt_m "fresh-podman-$fmt")" \
				"$(ratio "${MEDIAN[fresh-podman-$fmt]}" "${MEDIAN[fresh-berth-$fmt]}")"
		done
	} >"$TABLE_FRESH"
fi

# Targets, on the main table: berth at least 1.5x faster than podman,
# peak RSS under 64 MB.
TARGET_NOTES=()
for fmt in "${FORMATS[@]}"; do
	r=$(ratio "${MEDIAN[delete-podman-$fmt]}" "${MEDIAN[delete-berth-$fmt]}")
	m=${RSS[berth-$fmt]}
	if [ "$r" = n/a ] || awk -v r="$r" 'BEGIN { exit !(r < 1.5) }'; then
		TARGET_NOTES+=("$fmt-archive: speed target (podman / berth >= 1.5) not met ($r)")
	fi
	if [ "$m" = "?" ] || awk -v m="$m" 'BEGIN { exit !(m >= 64) }'; then
		TARGET_NOTES+=("$fmt-archive: memory target (berth peak RSS < 64 MB) not met ($m MB)")
	fi
done
for k in "${!NOTE[@]}"; do
	TARGET_NOTES+=("$k failed: ${NOTE[$k]:-no image afterwards} (log in $RES)")
done
WAITS=$(grep -c '^waited' "$WAIT_LOG" || true)
GAVE_UP=$(grep -c '^gave up' "$WAIT_LOG" || true)
BUSY_NOTE=
if [ "$GAVE_UP" -gt 0 ]; then
	BUSY_NOTE="Other processes kept the CPUs busy during $GAVE_UP of the measured runs (the benchmark waited up to 180 s for idle CPUs, then measured anyway): these figures are noisier than usual."
elif [ "$WAITS" -gt 0 ]; then
	BUSY_NOTE="Other processes were using the CPUs before $WAITS of the measured runs; the benchmark waited for idle CPUs before each of them."
fi

echo
echo "== Image load, after delete: medians of $RUNS runs (hyperfine), peak RSS of one run"
cat "$TABLE"
if [ "$DO_FRESH" = 1 ]; then
	echo "== Image load, fresh (nothing deleted before a run): medians of $RUNS runs"
	cat "$TABLE_FRESH"
fi
if [ ${#TARGET_NOTES[@]} -eq 0 ]; then
	echo "targets met: podman / berth >= 1.5 and berth peak RSS < 64 MB for every input"
else
	printf '%s\n' "${TARGET_NOTES[@]}"
fi
[ -z "$BUSY_NOTE" ] || echo "$BUSY_NOTE"
echo "full results: $RES"

# 8. docs/performance.md
if [ "$WRITE_DOC" = 1 ]; then
	bench_doc_files
	CMD="sudo bench/load.sh${ARGS[*]:+ ${ARGS[*]}}"
	PODMAN_ROOT_SHOWN=${PODMAN_ROOT/#$PEER_HOME/\~$PEER_USER}
	{
		echo "## Image load"
		echo
		echo "\`berth load -i FILE -q\` into an empty store against \`podman load -q -i FILE\`"
		echo "after \`podman rmi -f\` of the image, both as the unprivileged user \`$PEER_USER\`."
		echo "FILE is peer-setup's \`$PEER_DEBIAN\` (debootstrap minbase, one"
		echo "layer, about 6,800 files) written by \`podman save\` as a docker-archive"
		echo "(layer uncompressed) and as an oci-archive (layer gzip-compressed). The"
		echo "input is in the page cache; before every run, the previous run's berth"
		echo "store is removed (or podman's image), \`sync\` runs and the benchmark waits"
		echo "for idle CPUs, untimed. Times are hyperfine medians of $RUNS runs (after"
		echo "$WARMUP warm-up run$([ "$WARMUP" = 1 ] || echo s)); peak RSS is GNU time's maximum resident set size of one"
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
		if [ -n "$BASELINE" ]; then
			echo
			echo "The baseline build (\`--baseline $BASELINE\`, $(cd "$BASELINE" && git -c safe.directory='*' describe --always 2>/dev/null || echo "version unknown")), timed in the"
			echo "same run with a store of its own, after delete:"
			for fmt in "${FORMATS[@]}"; do
				echo "$fmt-archive $(fmt_m "delete-baseline-$fmt") s, this build takes $(ratio "${MEDIAN[delete-berth-$fmt]}" "${MEDIAN[delete-baseline-$fmt]}")x of its time;"
			done | sed '$ s/;$/./'
		fi
		if [ "$DO_FRESH" = 1 ]; then
			echo
			echo "Fresh: the same loads with nothing deleted before a run; each run goes"
			echo "into a new store (berth: a new \`BERTH_ROOT\`; podman: new \`--root\` and"
			echo "\`--runroot\`), and the old ones are removed only at the end."
			echo
			cat "$TABLE_FRESH"
			if [[ $FS_BERTH == *"no journal"* ]]; then
				echo
				echo "The stores are on ext4 without a journal. There ext4 does not reuse an"
				echo "inode freed in the last 60 s (360 s while its inode table block is"
				echo "dirty) and checks every such inode again on each allocation, so a load"
				echo "that follows the removal of another one's ~6,800 files pays for it in"
				echo "system time (\`recently_deleted\` and \`find_get_block_common\` lead a"
				echo "\`perf\` profile of the kernel): the gap between the two tables."
			fi
		fi
		[ -z "$BUSY_NOTE" ] || printf '\n%s\n' "$BUSY_NOTE"
		echo
		echo "Machine:"
		echo
		while IFS= read -r l; do echo "- $l"; done <<<"$MACHINE"
		echo "- stores: berth \`~$PEER_USER/.cache/berth-bench/\` ($FS_BERTH),"
		echo "  podman \`$PODMAN_ROOT_SHOWN\` ($FS_PODMAN, $PODMAN_DRIVER)"
		echo "- berth $BERTH_VERSION, podman $PODMAN_VERSION"
	} >"$BODY"
	doc_put_section "$DOC" "Image load" "$BODY" "$HEAD"
	rm -f "$HEAD" "$BODY"
	echo "wrote section \"Image load\" of $DOC"
fi
exit $status
