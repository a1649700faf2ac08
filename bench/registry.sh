#!/bin/bash
# bench/registry.sh: `berth pull` and `berth push` against podman (and
# skopeo, when installed) and a registry on loopback, in the same run.
#
# The registry is Debian's docker-registry (distribution 2.8), started by
# this script on a free port of 127.0.0.1 as the unprivileged user "peer",
# with its storage in $BENCH_DIR (nothing leaves the machine; the registry
# peer-setup may have started on :5000 is not used). It is seeded with two
# images:
#   debian  peer-setup's localhost/debian:bookworm (debootstrap minbase,
#           one layer, about 200 MB of tar), pushed by podman (gzip);
#   five    the same rootfs cut into 5 gzip layers (bench/registry-layers.py,
#           made once into $BENCH_DIR/five-layers), pushed from that OCI
#           layout by tests/integration/registry-seed.py.
# Then, as peer, interleaved (berth, podman, skopeo, berth, ...), --runs
# times each (default 5), medians:
#   cold pull: an empty store before every run (berth: a new BERTH_ROOT;
#     podman: new --root and --runroot; skopeo: `skopeo copy` to a new
#     oci: layout, which unpacks nothing); the previous run's store is
#     moved aside, not deleted, until the end (ext4 without a journal
#     makes files slower to create right after many were deleted);
#   present: the same pull again, every layer (and the image) present;
#   push: the pulled image, from the store the cold pull filled, to a
#     second registry whose storage is emptied before every run, so every
#     blob is uploaded (`podman push`; `berth push` only when this build
#     has it, else the table says so).
# Before each timed run, untimed: its preparation, `sync`, and a wait for
# idle CPUs (bench/lib.sh's wait-idle; at most $IDLE_MAX s, default 180,
# then measured anyway). With hyperfine installed each run
# is one hyperfine run (--runs 1, the preparation as --prepare), so the
# tools stay interleaved; without it, bash's $EPOCHREALTIME around the
# command. The CPU time (user + system) of each run is tabled too (from
# hyperfine): other work on the machine distorts it least. berth's peak RSS (and podman's, of its largest process) is GNU
# time's maximum resident set size of one more cold pull of each image.
# The results go to docs/performance.md (section "Registry pull and
# push") and, in full, to $BENCH_DIR/results/registry-DATE/.
#
# Usage: sudo bench/registry.sh [--runs N] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before (user peer with
# rootless podman and localhost/debian:bookworm; docker-registry).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-5}
bench_args "$@"
bench_need_root
# (bench_need_peer would also require hyperfine, which is optional here)
if ! id "$PEER_USER" >/dev/null 2>&1 || ! command -v podman >/dev/null ||
	! as_peer podman image exists "$PEER_DEBIAN" 2>/dev/null; then
	bench_die "the peer tools are not set up (user $PEER_USER, podman, $PEER_DEBIAN): run sudo $(bench_peer_setup_path)"
fi
bench_need_gnu_time
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
[ -x "$REGISTRY_BIN" ] || bench_die "$REGISTRY_BIN missing (apt-get install docker-registry, or run peer-setup.sh)"
ROOTFS_TAR=${ROOTFS_TAR:-/var/tmp/berth-peers/debian-rootfs.tar}
[ -s "$ROOTFS_TAR" ] || bench_die "$ROOTFS_TAR missing: run peer-setup.sh"

bench_setup registry
WAIT_IDLE=$(bench_install_wait_idle)
WAIT_LOG=$RES/wait-idle.log
as_peer touch "$WAIT_LOG"
IDLE=$(printf 'WAIT_IDLE_LOG=%q %q %q' "$WAIT_LOG" "$WAIT_IDLE" "${IDLE_MAX:-180}")
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && HAVE_HYPERFINE=1
HAVE_SKOPEO=0
command -v skopeo >/dev/null && HAVE_SKOPEO=1
HAVE_PUSH=0
"$BERTH" --help 2>&1 | grep -q '^  push ' && HAVE_PUSH=1

q() { printf '%q' "$1"; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Two registries run by peer: REG (seeded, pulled from) and PUSHREG
# (pushed to, emptied before every push).
# peer_rm DIR...: remove what podman made there too (files of peer's
# sub-uids, and the mounts its storage keeps in its user namespace)
peer_rm() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	as_peer podman unshare sh -c 'for d; do
		awk -v p="$d" "index(\$2, p) == 1 { print \$2 }" /proc/self/mounts | sort -r | xargs -r -n1 umount -l
	done; rm -rf "$@"' sh "$@" 2>/dev/null || as_peer rm -rf "$@" 2>/dev/null || true
}
REGDIR=$WORK/registry
# podman refuses a --runroot longer than 50 characters
RUNROOT=/tmp/berth-bench-run.$$
REG_PIDS=()
peer_rm "$WORK"
as_peer mkdir -p "$REGDIR" "$WORK/old"
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${REG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	peer_rm "$WORK" "$RUNROOT"
	touch "$BENCH_DIR/last-delete"
}
trap cleanup EXIT
# start_registry NAME: a registry storing in $REGDIR/NAME; sets PORT
start_registry() {
	PORT=$(free_port)
	as_peer mkdir -p "$REGDIR/$1"
	as_peer tee "$REGDIR/$1.yml" >/dev/null <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGDIR/$1
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
YML
	setpriv --reuid="$PEER_USER" --regid="$PEER_USER" --init-groups \
		"$REGISTRY_BIN" serve "$REGDIR/$1.yml" >"$RES/registry-$1.log" 2>&1 &
	REG_PIDS+=($!)
	for _ in $(seq 100); do
		curl -s --noproxy '*' -o /dev/null "http://127.0.0.1:$PORT/v2/" && return 0
		sleep 0.1
	done
	bench_die "the registry $1 did not answer on 127.0.0.1:$PORT (log: $RES/registry-$1.log)"
}
start_registry pull
R=127.0.0.1:$PORT
start_registry push
RP=127.0.0.1:$PORT

# The images. The 5-layer layout is made once.
FIVE=$BENCH_DIR/five-layers
if [ ! -s "$FIVE/index.json" ]; then
	bench_log "making $FIVE from $ROOTFS_TAR (bench/registry-layers.py, about 10 s)"
	python3 "$BENCH_REPO/bench/registry-layers.py" "$ROOTFS_TAR" 5 "$FIVE"
	chmod -R a+rX "$FIVE"
fi
bench_log "seeding $R: debian (podman push), five (its OCI layout)"
as_peer podman push -q --tls-verify=false "$PEER_DEBIAN" "$R/debian:bookworm" >/dev/null
python3 "$BENCH_REPO/tests/integration/registry-seed.py" "http://$R" "$FIVE" five latest >/dev/null
IMAGES=(debian five)
declare -A REF=([debian]=$R/debian:bookworm [five]=$R/five:latest)
declare -A DESC
for img in "${IMAGES[@]}"; do
	repo=${REF[$img]#"$R"/}
	m=$(curl -s --noproxy '*' -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
		"http://$R/v2/${repo%:*}/manifests/${repo##*:}")
	DESC[$img]=$(python3 -c 'import json, sys
m = json.loads(sys.argv[1])
ls = m["layers"]
print("%d layer%s, %.0f MB compressed" % (len(ls), "" if len(ls) == 1 else "s", sum(l["size"] for l in ls) / 1e6))' "$m")
done

# The versions and the machine.
MACHINE=$(bench_machine)
BERTH_VERSION=$(bench_berth_version "$BERTH")
PODMAN_VERSION=$(as_peer podman version --format '{{.Client.Version}}')
SKOPEO_VERSION=$([ "$HAVE_SKOPEO" = 1 ] && skopeo --version | sed 's/^skopeo version //' || echo "not installed")
FS_WORK=$(bench_fstype "$WORK")
{
	echo "== machine"
	echo "$MACHINE"
	echo "stores and registries: $WORK ($FS_WORK)"
	echo "berth: $BERTH_VERSION; podman: $PODMAN_VERSION; skopeo: $SKOPEO_VERSION"
	echo "images: debian (${DESC[debian]}), five (${DESC[five]})"
	[ "$HAVE_PUSH" = 1 ] || echo "push: berth has no push in this build"
	[ "$HAVE_SKOPEO" = 1 ] || echo "skopeo: not installed, not timed"
} | tee "$RES/machine.txt"

# commands MODE TOOL IMAGE: sets CMD (timed) and PREP (untimed, before it)
commands() {
	local ref=${REF[$3]} st=$WORK/$2-$3
	# an empty store where nothing was deleted just before: the last
	# one is moved aside (to $WORK/old, removed at the end), since
	# creating files right after deleting many costs more on some
	# filesystems (ext4 without a journal)
	local fresh
	fresh="if [ -e $(q "$st") ]; then mv $(q "$st") $(q "$WORK/old/$2-$3").\$(date +%s%N); fi && mkdir -p $(q "$st")"
	case $1-$2 in
	cold-berth)
		CMD="env BERTH_ROOT=$(q "$st") BERTH_FS=$(q "$BERTH_FS") $(q "$BERTH") pull -q $(q "$ref")"
		PREP=$fresh ;;
	cold-podman)
		CMD="podman --root $(q "$st/root") --runroot $(q "$RUNROOT/$3") pull -q --tls-verify=false $(q "$ref")"
		PREP="$fresh && podman unshare rm -rf $(q "$RUNROOT/$3")" ;;
	cold-skopeo)
		CMD="skopeo copy -q --src-tls-verify=false docker://$(q "$ref") oci:$(q "$st/layout"):latest"
		PREP=$fresh ;;
	present-berth | present-podman | present-skopeo)
		commands cold "$2" "$3"
		PREP=true ;;
	push-berth)
		CMD="env BERTH_ROOT=$(q "$st") $(q "$BERTH") push -q $(q "$ref") $(q "$RP/$3:bench")"
		PREP="find $(q "$REGDIR/push") -mindepth 1 -delete" ;;
	push-podman)
		CMD="podman --root $(q "$st/root") --runroot $(q "$RUNROOT/$3") push -q --tls-verify=false $(q "$ref") $(q "$RP/$3:bench")"
		PREP="find $(q "$REGDIR/push") -mindepth 1 -delete" ;;
	esac
	PREP="$PREP && sync && $IDLE"
}

declare -A T CPU FAIL RSS
# time_one MODE TOOL IMAGE RUN: one timed run; appends its seconds to
# T[MODE-TOOL-IMAGE] (or records the failure)
time_one() {
	local key=$1-$2-$3 out=$RES/run-$1-$2-$3-$4 s
	[ -z "${FAIL[$key]:-}" ] || return 0
	# a pull with everything present, or a push, needs the cold pull's store
	[ "$1" = cold ] || [ -z "${FAIL[cold-$2-$3]:-}" ] || { FAIL[$key]="the cold pull failed"; return 0; }
	commands "$1" "$2" "$3"
	if [ "$HAVE_HYPERFINE" = 1 ]; then
		if as_peer hyperfine --runs 1 --style basic --output "$out.out" --prepare "$PREP" \
			--export-json "$out.json" "$CMD" >"$out.log" 2>&1; then
			s=$(hf_stat "$out.json" median)
			CPU[$key]="${CPU[$key]:-} $(awk -v u="$(hf_stat "$out.json" user)" \
				-v y="$(hf_stat "$out.json" system)" 'BEGIN { printf "%.4f", u + y }')"
		fi
	else
		as_peer bash -c "$PREP" >"$out.log" 2>&1 || true
		# shellcheck disable=SC2016 # expanded by peer's shell
		s=$(as_peer bash -c 't0=$EPOCHREALTIME; '"$CMD"' >/dev/null || exit 1; t1=$EPOCHREALTIME
			echo "${t1/./} ${t0/./}" | awk "{ printf \"%.6f\", (\$1 - \$2) / 1e6 }"' 2>>"$out.log") || s=
	fi
	if [ -n "${s:-}" ]; then
		T[$key]="${T[$key]:-} $s"
	else
		FAIL[$key]=$(cat "$out.log" "$out.out" 2>/dev/null | grep -v '^$' | tail -n 2 | tr '\n' ' ')
		bench_log "$key failed: ${FAIL[$key]} (log $out.log)"
	fi
}

TOOLS=(berth podman)
[ "$HAVE_SKOPEO" = 0 ] || TOOLS+=(skopeo)
PUSH_TOOLS=(podman)
[ "$HAVE_PUSH" = 0 ] || PUSH_TOOLS=(berth podman)

bench_wait_after_delete "$FS_WORK"
for img in "${IMAGES[@]}"; do
	echo "== $img: cold pull, pull with everything present, push; $RUNS runs, interleaved"
	for run in $(seq "$RUNS"); do
		for tool in "${TOOLS[@]}"; do time_one cold "$tool" "$img" "$run"; done
		for tool in "${TOOLS[@]}"; do time_one present "$tool" "$img" "$run"; done
		for tool in "${PUSH_TOOLS[@]}"; do time_one push "$tool" "$img" "$run"; done
		printf '  run %s:' "$run"
		for k in "${!T[@]}"; do [[ $k == *-$img ]] && printf ' %s %s' "${k%-"$img"}" "${T[$k]##* }"; done
		echo
	done
	# one more cold pull of each under GNU time: peak RSS
	for tool in berth podman; do
		commands cold "$tool" "$img"
		as_peer bash -c "$PREP" >/dev/null 2>&1 || true
		if as_peer bash -c "/usr/bin/time -v -o $(q "$RES/rss-$tool-$img.time") $CMD" >/dev/null 2>"$RES/rss-$tool-$img.log"; then
			kb=$(time_field "$RES/rss-$tool-$img.time" 'Maximum resident set size (kbytes)')
			RSS[$tool-$img]=$(kb_to_mb "$kb")
		else
			RSS[$tool-$img]="?"
		fi
	done
done

# The table.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.4f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.3f–%.3f", lo, hi }'; }
# cell MODE-TOOL-IMAGE: "1.234 (1.200–1.300)", "failed" or "n/a"
declare -A MED
for k in "${!T[@]}"; do MED[$k]=$(median <<<"${T[$k]}"); done
cell() {
	if [ -n "${FAIL[$1]:-}" ]; then echo failed; return; fi
	[ -n "${T[$1]:-}" ] || { echo "n/a"; return; }
	printf '%s (%s)' "$(awk -v s="${MED[$1]}" 'BEGIN { printf "%.3f", s }')" "$(range <<<"${T[$1]}")"
}
ratio() {
	if [ -z "${MED[$1]:-}" ] || [ -z "${MED[$2]:-}" ]; then echo "n/a"; return; fi
	awk -v a="${MED[$1]}" -v b="${MED[$2]}" 'BEGIN { printf "%.2f", a / b }'
}
TABLE=$RES/table.md
{
	echo "| Image | Operation | berth, s | podman, s | podman / berth | skopeo, s | skopeo / berth |"
	echo "|---|---|--:|--:|--:|--:|--:|"
	for img in "${IMAGES[@]}"; do
		for mode in cold present push; do
			b=$(cell "$mode-berth-$img") p=$(cell "$mode-podman-$img") s=$(cell "$mode-skopeo-$img")
			[ "$mode" != push ] || [ "$HAVE_PUSH" = 1 ] || b="no push in this build"
			[ "$HAVE_SKOPEO" = 1 ] || s="not installed"
			[ "$mode" != push ] || s="-"
			case $mode in cold) what="pull, empty store" ;; present) what="pull, all present" ;; push) what="push, empty registry" ;; esac
			printf '| %s (%s) | %s | %s | %s | %s | %s | %s |\n' "$img" "${DESC[$img]}" "$what" "$b" "$p" \
				"$(ratio "$mode-podman-$img" "$mode-berth-$img")" "$s" "$(ratio "$mode-skopeo-$img" "$mode-berth-$img")"
		done
	done
} >"$TABLE"

# CPU time (user + system) of the same runs: what a machine loaded by
# other work distorts least
TABLE_CPU=$RES/table-cpu.md
cpu_med() { if [ -n "${CPU[$1]:-}" ]; then median <<<"${CPU[$1]}" | awk '{ printf "%.3f", $1 }'; else echo "n/a"; fi; }
cpu_ratio() {
	local a b
	a=$(cpu_med "$1") b=$(cpu_med "$2")
	if [ "$a" = n/a ] || [ "$b" = n/a ]; then echo "n/a"; else awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'; fi
}
{
	echo "| Image | Operation | berth CPU, s | podman CPU, s | podman / berth |"
	echo "|---|---|--:|--:|--:|"
	for img in "${IMAGES[@]}"; do
		for mode in cold present push; do
			case $mode in cold) what="pull, empty store" ;; present) what="pull, all present" ;; push) what="push, empty registry" ;; esac
			printf '| %s | %s | %s | %s | %s |\n' "$img" "$what" "$(cpu_med "$mode-berth-$img")" \
				"$(cpu_med "$mode-podman-$img")" "$(cpu_ratio "$mode-podman-$img" "$mode-berth-$img")"
		done
	done
} >"$TABLE_CPU"

NOTES=()
for img in "${IMAGES[@]}"; do
	r=$(ratio "cold-podman-$img" "cold-berth-$img")
	if [ "$r" = n/a ] || awk -v r="$r" 'BEGIN { exit !(r < 1.5) }'; then
		NOTES+=("$img: cold pull, podman / berth >= 1.5 not met ($r)")
	fi
	m=${MED[present-berth-$img]:-}
	if [ -z "$m" ] || awk -v m="$m" 'BEGIN { exit !(m >= 0.05) }'; then
		NOTES+=("$img: pull with everything present < 50 ms not met (${m:-n/a} s)")
	fi
	if [ "$HAVE_PUSH" = 1 ]; then
		r=$(ratio "push-podman-$img" "push-berth-$img")
		if [ "$r" = n/a ] || awk -v r="$r" 'BEGIN { exit !(r < 1.5) }'; then
			NOTES+=("$img: push, podman / berth >= 1.5 not met ($r)")
		fi
	fi
	rss=${RSS[berth-$img]}
	if [ "$rss" = "?" ] || awk -v m="$rss" 'BEGIN { exit !(m >= 64) }'; then
		NOTES+=("$img: berth peak RSS < 64 MB not met ($rss MB)")
	fi
done
[ "$HAVE_PUSH" = 1 ] || NOTES+=("push: berth has no push in this build (podman's push is timed alone)")
for k in "${!FAIL[@]}"; do NOTES+=("$k failed: ${FAIL[$k]}"); done
WAITS=$(grep -c '^waited' "$WAIT_LOG" || true)
GAVE_UP=$(grep -c '^gave up' "$WAIT_LOG" || true)

echo
echo "== Registry pull and push: medians of $RUNS interleaved runs (min–max)"
cat "$TABLE"
[ "$HAVE_HYPERFINE" = 0 ] || { echo "== CPU time (user + system), medians"; cat "$TABLE_CPU"; }
for img in "${IMAGES[@]}"; do
	echo "peak RSS, cold pull of $img: berth ${RSS[berth-$img]} MB, podman ${RSS[podman-$img]} MB"
done
if [ ${#NOTES[@]} -eq 0 ]; then echo "targets met"; else printf '%s\n' "${NOTES[@]}"; fi
echo "full results: $RES"

[ "$WRITE_DOC" = 1 ] || exit 0
bench_doc_files
{
	echo "## Registry pull and push"
	echo
	echo "A \`docker-registry\` (distribution 2.8) on 127.0.0.1, started by the"
	echo "benchmark as \`$PEER_USER\`, serves two images: peer-setup's \`$PEER_DEBIAN\`"
	echo "(${DESC[debian]}, pushed by podman) and the same rootfs cut into five"
	echo "gzip layers (${DESC[five]}, \`bench/registry-layers.py\`). As \`$PEER_USER\`,"
	echo "interleaved, $RUNS runs each: a cold pull into an empty store (berth: a new"
	echo "\`BERTH_ROOT\`; podman: new \`--root\`/\`--runroot\`; skopeo: \`copy\` to a new"
	echo "\`oci:\` layout), the same pull again with everything present, and a push"
	echo "to a second registry emptied before each run. Before each run, untimed:"
	echo "its preparation, \`sync\`, a wait for idle CPUs. Times are medians"
	echo "(min–max)$([ "$HAVE_HYPERFINE" = 1 ] && echo ", each run one hyperfine run" || echo ", by bash's \$EPOCHREALTIME"); peak RSS is GNU time's maximum"
	echo "resident set size of one more cold pull (for podman, its largest process)."
	echo
	echo "Command: \`sudo bench/registry.sh${ARGS[*]:+ ${ARGS[*]}}\`  "
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	cat "$TABLE"
	echo
	if [ "$HAVE_HYPERFINE" = 1 ]; then
		echo "CPU time (user + system) of the same runs, medians: what other work on"
		echo "the machine distorts least."
		echo
		cat "$TABLE_CPU"
		echo
	fi
	for img in "${IMAGES[@]}"; do
		echo "Peak RSS, cold pull of $img: berth ${RSS[berth-$img]} MB, podman ${RSS[podman-$img]} MB.  "
	done
	echo
	echo "Targets (pull and push: podman / berth >= 1.5; pull with everything"
	echo "present < 50 ms; berth peak RSS < 64 MB):"
	echo
	if [ ${#NOTES[@]} -eq 0 ]; then echo "- met"; else printf -- '- %s\n' "${NOTES[@]}"; fi
	if [ "$GAVE_UP" -gt 0 ]; then
		printf '\nOther processes kept the CPUs busy before %s of the runs (measured anyway after %s s): noisy figures.\n' "$GAVE_UP" "${IDLE_MAX:-180}"
	elif [ "$WAITS" -gt 0 ]; then
		printf '\nOther processes were using the CPUs before %s of the runs; the benchmark waited for idle CPUs each time.\n' "$WAITS"
	fi
	echo
	echo "Machine:"
	echo
	while IFS= read -r l; do echo "- $l"; done <<<"$MACHINE"
	echo "- stores and registries: \`~$PEER_USER/.cache/berth-registry-bench/\` ($FS_WORK)"
	echo "- berth $BERTH_VERSION, podman $PODMAN_VERSION, skopeo: $SKOPEO_VERSION"
} >"$BODY"
doc_put_section "$DOC" "Registry pull and push" "$BODY" "$HEAD"
rm -f "$HEAD" "$BODY"
bench_log "wrote section \"Registry pull and push\" of $DOC"
