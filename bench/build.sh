#!/bin/bash
# bench/build.sh: `berth build` against `podman build` on a node app in the
# seeds' pattern, in the same run, as the same unprivileged user.
#
# The base image is bench/node-image.sh's: Debian's minbase rootfs (the one
# shared/tools/peer-setup.sh makes) with the host's nodejs and npm, one tar
# that `berth import` and `podman import` both take, so both tools build
# FROM the same bytes. The app is bench/node-app.sh's: package.json and its
# lock (express, lodash, rxjs, dayjs, ajv: `npm ci` writes about 5,000
# files), server.js, an npm cache, and the Dockerfile
#     FROM localhost/berth-node:latest
#     WORKDIR /app
#     COPY npm-cache /root/.npm
#     COPY package*.json ./
#     RUN npm ci --offline ...
#     COPY . .
#     EXPOSE 3000
#     CMD ["node", "server.js"]
# so the install needs no network (the npm registry is asked once, when
# node-app.sh prepares its cache in $BENCH_DIR/node; nothing else leaves the
# machine, and the builds never do).
#
# Then, as peer, --runs rounds (default 3), the tools interleaved (berth,
# podman, berth, ...); in each round and for each tool:
#   cold: a new store holding only the imported base image (berth: a new
#     BERTH_ROOT; podman: new --root and --runroot), the build (one run);
#   no-change: the same build again, nothing changed (--rebuilds runs,
#     default 5);
#   source change: server.js edited before each run (a new greeting),
#     then the build (--rebuilds runs): the install step must come from
#     the cache and only `COPY . .` and the image be made again.
# Every build is `build -q -t localhost/nodeapp:latest` of the app's
# directory, with each tool's defaults otherwise. Before each timed run,
# untimed: its preparation, `sync`, and a wait for idle CPUs (bench/lib.sh's
# wait-idle, at most $IDLE_MAX s, default 30: on a machine others share, a
# longer wait only makes the run longer). Times are hyperfine's,
# medians over all rounds (min–max); the CPU time (user + system) is tabled
# too. After the rounds, one more source-change build of each tool with its
# step lines shows whether the install step was reused, and the image berth
# built is run once (`node -e`, requiring every dependency).
# The results go to docs/performance.md (section "Build: the node app") and,
# in full, to $BENCH_DIR/results/build-DATE/.
#
# Usage: sudo bench/build.sh [--runs N] [--rebuilds N] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh, run once before (user peer with
# rootless podman, hyperfine, the Debian rootfs tar); nodejs and npm on the
# host (node-image.sh installs them from Debian's archive when missing).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-3}
REBUILDS=${REBUILDS:-5}
bench_own_opt() {
	case $1 in
	--rebuilds) REBUILDS=${2:?}; ARGS+=("$1" "$2") ;;
	*) return 1 ;;
	esac
}
bench_args "$@"
[[ $REBUILDS =~ ^[1-9][0-9]*$ ]] || bench_die "--rebuilds wants a positive number"
bench_need_root
bench_need_peer

# The base image's tar and the app, made once into $BENCH_DIR/node.
NODE_CACHE=$BENCH_DIR/node
install -d -m 755 "$NODE_CACHE"
NODE_TAR=$("$BENCH_REPO/bench/node-image.sh" "$NODE_CACHE") || exit $?
rc=0
APP_SRC=$("$BENCH_REPO/bench/node-app.sh" "$NODE_CACHE" "$NODE_CACHE/app") || rc=$?
[ "$rc" = 0 ] || { bench_log "the node app could not be prepared (node-app.sh exited $rc)"; exit "$rc"; }
NPM_FILES=$(cat "$NODE_CACHE/node-app-v1/files" 2>/dev/null || echo "?")
BASE_IMAGE=localhost/berth-node:latest
APP_IMAGE=localhost/nodeapp:latest

bench_setup build
"$BERTH" --help 2>&1 | grep -q '^  build ' ||
	bench_log "warning: $BERTH lists no build verb: its builds will fail"
WAIT_IDLE=$(bench_install_wait_idle)
WAIT_LOG=$RES/wait-idle.log
as_peer touch "$WAIT_LOG"
IDLE=$(printf 'WAIT_IDLE_LOG=%q %q %q' "$WAIT_LOG" "$WAIT_IDLE" "${IDLE_MAX:-30}")
q() { printf '%q' "$1"; }

# peer_rm DIR...: remove what podman made there too (files of peer's
# sub-uids, and the mounts its storage keeps in its user namespace)
peer_rm() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	as_peer podman unshare sh -c 'for d; do
		awk -v p="$d" "index(\$2, p) == 1 { print \$2 }" /proc/self/mounts | sort -r | xargs -r -n1 umount -l
	done; rm -rf "$@"' sh "$@" 2>/dev/null || as_peer rm -rf "$@" 2>/dev/null || true
}
# podman refuses a --runroot longer than 50 characters
RUNROOT=/tmp/berth-bbench-run.$$
peer_rm "$WORK"
as_peer mkdir -p "$WORK/old" "$RUNROOT"
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	peer_rm "$WORK" "$RUNROOT"
	touch "$BENCH_DIR/last-delete"
}
trap cleanup EXIT

# Each tool builds its own copy of the app; bump.sh APP gives server.js a
# new greeting (the source change).
for tool in berth podman; do
	rm -rf "$WORK/app-$tool"
	cp -r "$APP_SRC" "$WORK/app-$tool"
done
cat >"$WORK/bump.sh" <<'EOF'
#!/bin/sh
sed -i "s/^const GREETING = .*/const GREETING = \"hello from node $(date +%s%N)\";/" "$1/server.js"
EOF
chmod 755 "$WORK/bump.sh"
chown -R "$PEER_USER": "$WORK"

# The stores of round R: berth's BERTH_ROOT and podman's --root/--runroot.
berth_env() { printf 'env BERTH_ROOT=%q BERTH_FS=%q %q' "$WORK/berth-$1" "$BERTH_FS" "$BERTH"; }
podman_cmd() { printf 'podman --root %q --runroot %q' "$WORK/podman-$1" "$RUNROOT/$1"; }
build_cmd() { # TOOL ROUND
	case $1 in
	berth) printf 'cd %q && %s build -q -t %q .' "$WORK/app-berth" "$(berth_env "$2")" "$APP_IMAGE" ;;
	podman) printf '%s build -q -t %q %q' "$(podman_cmd "$2")" "$APP_IMAGE" "$WORK/app-podman" ;;
	esac
}
# A store holding only the base image, the previous round's moved aside
# (creating many files right after deleting many is slower on some
# filesystems); the app's server.js as node-app.sh wrote it.
fresh_store() { # TOOL ROUND
	local st
	case $1 in
	berth) st=$WORK/berth-$2 ;;
	podman) st=$WORK/podman-$2 ;;
	esac
	as_peer cp "$APP_SRC/server.js" "$WORK/app-$1/server.js"
	as_peer mkdir -p "$st"
	case $1 in
	berth) as_peer bash -c "$(berth_env "$2") import -q $(q "$NODE_TAR") $(q "$BASE_IMAGE")" ;;
	podman) as_peer bash -c "$(podman_cmd "$2") import -q $(q "$NODE_TAR") $(q "$BASE_IMAGE")" ;;
	esac >/dev/null
}

declare -A T CPU FAIL
# hf_times FILE: every run's seconds from a hyperfine --export-json file
hf_times() { python3 -c 'import json, sys; print(" ".join("%.6f" % t for t in json.load(open(sys.argv[1]))["results"][0]["times"]))' "$1"; }
# timed STAGE TOOL ROUND NRUNS PREPARE: hyperfine runs of the tool's build,
# appended to T[STAGE-TOOL]
timed() {
	local key=$1-$2 out=$RES/$1-$2-$3 cmd
	cmd=$(build_cmd "$2" "$3")
	if as_peer hyperfine --runs "$4" --style basic --output "$out.out" --prepare "$5 && sync && $IDLE" \
		--export-json "$out.json" "$cmd" >"$out.log" 2>&1; then
		T[$key]="${T[$key]:-} $(hf_times "$out.json")"
		CPU[$key]="${CPU[$key]:-} $(awk -v u="$(hf_stat "$out.json" user)" -v y="$(hf_stat "$out.json" system)" \
			'BEGIN { printf "%.4f", u + y }')"
		return 0
	fi
	FAIL[$key]=$(cat "$out.out" "$out.log" 2>/dev/null | grep -v -e '^$' -e '^Benchmark ' -e 'ignore-failure' |
		tail -n 3 | tr '\n' ' ')
	bench_log "$key (round $3) failed: ${FAIL[$key]} (log $out.log)"
	return 1
}

MACHINE=$(bench_machine)
BERTH_VERSION=$(bench_berth_version "$BERTH")
PODMAN_VERSION=$(as_peer podman version --format '{{.Client.Version}}')
FS_WORK=$(bench_fstype "$WORK")
NODE_VERSION=$(node --version)
NPM_VERSION=$(npm --version)
NODE_TAR_MB=$(du -m "$NODE_TAR" | cut -f1)
{
	echo "== machine"
	echo "$MACHINE"
	echo "stores: $WORK ($FS_WORK)"
	echo "berth: $BERTH_VERSION; podman: $PODMAN_VERSION"
	echo "base: $NODE_TAR ($NODE_TAR_MB MB; node $NODE_VERSION, npm $NPM_VERSION)"
	echo "app: $APP_SRC (npm ci installs $NPM_FILES files)"
} | tee "$RES/machine.txt"

bench_wait_after_delete "$FS_WORK"
for run in $(seq "$RUNS"); do
	echo "== round $run of $RUNS"
	for tool in berth podman; do
		fresh_store "$tool" "$run" || { FAIL[cold-$tool]="importing the base image failed"; continue; }
		timed cold "$tool" "$run" 1 true || continue
		timed nochange "$tool" "$run" "$REBUILDS" true || true
		timed change "$tool" "$run" "$REBUILDS" "$(q "$WORK/bump.sh") $(q "$WORK/app-$tool")" || true
		printf '  %s: cold %s s, no-change %s s, source change %s s\n' "$tool" "${T[cold-$tool]##* }" \
			"${T[nochange-$tool]##* }" "${T[change-$tool]##* }"
	done
	# the round's stores are not needed any more: aside, removed at the end
	for tool in berth podman; do
		as_peer mv "$WORK/$tool-$run" "$WORK/old/" 2>/dev/null || true
	done
done

# One more source change with the step lines: was the install step reused?
# (the last round's stores, moved aside, back in place)
LAST=$RUNS
for tool in berth podman; do as_peer mv "$WORK/old/$tool-$LAST" "$WORK/" 2>/dev/null || true; done
as_peer "$WORK/bump.sh" "$WORK/app-berth"
as_peer "$WORK/bump.sh" "$WORK/app-podman"
as_peer bash -c "$(build_cmd berth "$LAST" | sed 's/ build -q / build --progress plain /')" >"$RES/steps-berth.log" 2>&1 || true
as_peer bash -c "$(build_cmd podman "$LAST" | sed 's/ build -q / build /')" >"$RES/steps-podman.log" 2>&1 || true
# whether the step that runs npm ci says "Using cache"
reused() {
	awk '/^STEP [0-9]+\/[0-9]+: / { on = ($0 ~ /RUN npm ci/); if (on) f = 1 } on && /Using cache/ { c = 1 }
		END { print !f ? "no step line" : c ? "reused" : "run again" }' "$1"
}
REUSE_BERTH=$(reused "$RES/steps-berth.log")
REUSE_PODMAN=$(reused "$RES/steps-podman.log")
RUNS_OK=no
as_peer bash -c "$(berth_env "$LAST") run --rm $(q "$APP_IMAGE") node -e 'for (const m of [\"express\", \"lodash\", \"rxjs\", \"dayjs\", \"ajv\"]) require(\"/app/node_modules/\" + m); console.log(\"ok\")'" \
	>"$RES/run-berth.log" 2>&1 && grep -qx ok "$RES/run-berth.log" && RUNS_OK=yes

# The table.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.4f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.3f–%.3f", lo, hi }'; }
declare -A MED
for k in "${!T[@]}"; do MED[$k]=$(median <<<"${T[$k]}"); done
cell() {
	if [ -n "${FAIL[$1]:-}" ] && [ -z "${T[$1]:-}" ]; then echo failed; return; fi
	[ -n "${T[$1]:-}" ] || { echo "n/a"; return; }
	printf '%s (%s)' "$(awk -v s="${MED[$1]}" 'BEGIN { printf "%.3f", s }')" "$(range <<<"${T[$1]}")"
}
ratio() {
	if [ -z "${MED[$1]:-}" ] || [ -z "${MED[$2]:-}" ]; then echo "n/a"; return; fi
	awk -v a="${MED[$1]}" -v b="${MED[$2]}" 'BEGIN { printf "%.2f", a / b }'
}
cpu_med() { if [ -n "${CPU[$1]:-}" ]; then median <<<"${CPU[$1]}" | awk '{ printf "%.3f", $1 }'; else echo "n/a"; fi; }
what() {
	case $1 in
	cold) echo "cold build (store with the base image only)" ;;
	nochange) echo "rebuild, nothing changed" ;;
	change) echo "rebuild after a change to server.js" ;;
	esac
}
TABLE=$RES/table.md
{
	echo "| Build | berth, s | podman, s | podman / berth | berth CPU, s | podman CPU, s |"
	echo "|---|--:|--:|--:|--:|--:|"
	for stage in cold nochange change; do
		printf '| %s | %s | %s | %s | %s | %s |\n' "$(what "$stage")" "$(cell "$stage-berth")" \
			"$(cell "$stage-podman")" "$(ratio "$stage-podman" "$stage-berth")" \
			"$(cpu_med "$stage-berth")" "$(cpu_med "$stage-podman")"
	done
} >"$TABLE"

NOTES=()
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
r=$(ratio cold-podman cold-berth)
if [ "$r" = n/a ] || lt "$r" 1.5; then NOTES+=("cold build, podman / berth >= 1.5: not met ($r)"); fi
m=${MED[nochange-berth]:-}
if [ -z "$m" ] || ! lt "$m" 0.1; then NOTES+=("no-change rebuild < 100 ms: not met (${m:-n/a} s)"); fi
m=${MED[change-berth]:-}
if [ -z "$m" ] || ! lt "$m" 1; then NOTES+=("source-change rebuild < 1 s: not met (${m:-n/a} s)"); fi
r=$(ratio change-podman change-berth)
if [ "$r" = n/a ] || lt "$r" 3; then NOTES+=("source-change rebuild, podman / berth >= 3: not met ($r)"); fi
[ "$REUSE_BERTH" = reused ] || NOTES+=("berth's source-change build: the install step was $REUSE_BERTH (log: steps-berth.log)")
[ "$RUNS_OK" = yes ] || NOTES+=("the image berth built did not load its dependencies (log: run-berth.log)")
for k in "${!FAIL[@]}"; do NOTES+=("$k failed: ${FAIL[$k]}"); done
WAITS=$(grep -c '^waited' "$WAIT_LOG" || true)
GAVE_UP=$(grep -c '^gave up' "$WAIT_LOG" || true)

echo
echo "== Build: the node app; medians of $RUNS rounds (cold) and $RUNS x $REBUILDS runs (rebuilds), min–max"
cat "$TABLE"
echo "install step in a source-change rebuild: berth $REUSE_BERTH, podman $REUSE_PODMAN"
if [ ${#NOTES[@]} -eq 0 ]; then echo "targets met"; else printf '%s\n' "${NOTES[@]}"; fi
echo "full results: $RES"

[ "$WRITE_DOC" = 1 ] || exit 0
bench_doc_files
{
	echo "## Build: the node app"
	echo
	echo "\`berth build\` against \`podman build\` (rootless, fuse-overlayfs) on a"
	echo "node app in the seeds' pattern (\`bench/node-app.sh\`: express, lodash,"
	echo "rxjs, dayjs and ajv, pinned; \`COPY package*.json ./\`, \`RUN npm ci"
	echo "--offline\` from an npm cache copied in an earlier step, which writes"
	echo "$NPM_FILES files, then \`COPY . .\`), FROM the same base image in both:"
	echo "\`bench/node-image.sh\`'s tar ($NODE_TAR_MB MB: Debian minbase with the"
	echo "host's nodejs $NODE_VERSION and npm $NPM_VERSION and the packages they"
	echo "need), imported by each. As \`$PEER_USER\`, tools interleaved, $RUNS rounds;"
	echo "in each, for each tool: a cold build into a new store holding only the"
	echo "base image (one run), $REBUILDS rebuilds with nothing changed, and $REBUILDS"
	echo "rebuilds each after an edit of \`server.js\`. All \`build -q -t"
	echo "$APP_IMAGE\`, each tool's defaults otherwise (berth's RUN on berth-fs"
	echo "with slirp4netns; podman's on fuse-overlayfs). Before each run,"
	echo "untimed: its preparation, \`sync\`, a wait for idle CPUs. Times are"
	echo "hyperfine's, medians over all runs (min–max); CPU is user + system,"
	echo "medians of the per-round means."
	echo
	echo "Command: \`sudo bench/build.sh${ARGS[*]:+ ${ARGS[*]}}\`  "
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	cat "$TABLE"
	echo
	echo "In one more source-change rebuild with step lines, the \`npm ci\` step"
	echo "was: berth $REUSE_BERTH, podman $REUSE_PODMAN. The image berth built"
	echo "loads its dependencies: $RUNS_OK."
	echo
	echo "Targets (cold: podman / berth >= 1.5; no-change rebuild < 100 ms;"
	echo "source-change rebuild < 1 s and podman / berth >= 3):"
	echo
	if [ ${#NOTES[@]} -eq 0 ]; then echo "- met"; else printf -- '- %s\n' "${NOTES[@]}"; fi
	if [ "$GAVE_UP" -gt 0 ]; then
		printf '\nOther processes kept the CPUs busy before %s of the runs (measured anyway after %s s): noisy figures.\n' "$GAVE_UP" "${IDLE_MAX:-30}"
	elif [ "$WAITS" -gt 0 ]; then
		printf '\nOther processes were using the CPUs before %s of the runs; the benchmark waited for idle CPUs each time.\n' "$WAITS"
	fi
	echo
	echo "Machine:"
	echo
	while IFS= read -r l; do echo "- $l"; done <<<"$MACHINE"
	echo "- stores: \`~$PEER_USER/.cache/berth-build-bench/\` ($FS_WORK)"
	echo "- berth $BERTH_VERSION, podman $PODMAN_VERSION"
} >"$BODY"
doc_put_section "$DOC" "Build: the node app" "$BODY" "$HEAD"
rm -f "$HEAD" "$BODY"
bench_log "wrote section \"Build: the node app\" of $DOC"
