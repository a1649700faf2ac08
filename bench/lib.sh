# shellcheck shell=bash
# bench/lib.sh: helpers shared by the bench/*.sh scripts (source it).
#
# The benchmarks compare berth with the tools that shared/tools/peer-setup.sh
# installs, in the same run, on the same machine, and run every tool as the
# same unprivileged user (PEER_USER, default "peer") so that neither side gets
# root's shortcuts. They are run as root: root is needed to switch to that
# user and to install the few packages a benchmark measures with.

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=${BENCH_NAME:-$(basename "$0")}
PEER_USER=${PEER_USER:-peer}
BENCH_DIR=${BENCH_DIR:-/var/tmp/berth-bench}
PEER_DEBIAN=localhost/debian:bookworm

# The script's own header comment (from line 2 to `set -e`) as its usage;
# exits with $1. And the common end of an argument loop: -h, or an unknown
# argument.
bench_usage() {
	sed -n '2,/^set -e/{ /^set -e/d; s/^# \{0,1\}//; p; }' "$0"
	exit "${1:-0}"
}
bench_bad_arg() {
	case $1 in
	-h | --help) bench_usage 0 ;;
	*) echo "$BENCH_NAME: unknown argument '$1'" >&2; bench_usage 1 >&2 ;;
	esac
}

# The argument loop of a timing bench: --runs N, --warmup N (where the
# script sets WARMUP), --no-doc and -h; any other argument goes to the
# script's own bench_own_opt, if it has one, which returns 1 for an
# argument it does not know and sets BENCH_SHIFT=1 for one that takes no
# value (BENCH_SHIFT is 2 when it is called). --runs and
# --warmup are kept in ARGS, to show the command line in the results.
WRITE_DOC=1
ARGS=()
bench_args() {
	while [ $# -gt 0 ]; do
		BENCH_SHIFT=2
		case $1 in
		--runs) RUNS=${2:?}; ARGS+=("$1" "$2") ;;
		--warmup)
			[ -n "${WARMUP:-}" ] || bench_bad_arg "$1"
			WARMUP=${2:?}; ARGS+=("$1" "$2") ;;
		--no-doc) WRITE_DOC=0; BENCH_SHIFT=1 ;;
		*) { declare -F bench_own_opt >/dev/null && bench_own_opt "$@"; } || bench_bad_arg "$1" ;;
		esac
		shift "$BENCH_SHIFT"
	done
	[[ $RUNS =~ ^[1-9][0-9]*$ ]] || bench_die "--runs wants a positive number"
	[ -z "${WARMUP:-}" ] || [[ $WARMUP =~ ^[0-9]+$ ]] || bench_die "--warmup wants a number"
}

bench_log() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
bench_die() { bench_log "$*"; exit 1; }

# Where peer-setup.sh lives: next to the berth checkout (shared/tools/), or
# wherever PEER_SETUP points.
bench_peer_setup_path() {
	local p=${PEER_SETUP:-$BENCH_REPO/../shared/tools/peer-setup.sh}
	if [ -f "$p" ]; then
		(cd "$(dirname "$p")" && printf '%s/%s\n' "$(pwd)" "$(basename "$p")")
	else
		printf '%s\n' "shared/tools/peer-setup.sh (next to the berth checkout)"
	fi
}

bench_need_root() {
	[ "$(id -u)" = 0 ] || bench_die "run as root (sudo $0): the tools are run as the unprivileged user '$PEER_USER'"
}

# Root, the peer tools and ROOTFS_TAR (peer-setup's busybox rootfs unless
# set), which can also put podman's debian image back (bench_need_peer).
bench_need_busybox_peer() {
	bench_need_root
	ROOTFS_TAR=${ROOTFS_TAR:-/var/tmp/berth-peers/busybox-rootfs.tar}
	bench_need_peer "$ROOTFS_TAR"
}

# The frame of a bench run on a store of its own: berth and berth-fs
# installed for PEER_USER (BERTH, BERTH_FS), the peer's work directory
# WORK (~/.cache/berth-$1-bench), a results directory RES
# ($BENCH_DIR/results/${2:-$1}-STAMP), BODY, the file there for the
# bench's section of docs/performance.md, and B, berth on the store in
# WORK.
bench_setup() {
	install -d -m 755 -o "$PEER_USER" "$BENCH_DIR" "$BENCH_DIR/results"
	BERTH=$(bench_install_berth)
	BERTH_FS=$(bench_install_berth_fs)
	PEER_HOME=$(bench_peer_home)
	WORK=$PEER_HOME/.cache/berth-$1-bench
	STAMP=$(date -u +%Y%m%dT%H%M%SZ)
	RES=$BENCH_DIR/results/${2:-$1}-$STAMP
	install -d -m 755 -o "$PEER_USER" "$RES"
	BODY=$RES/section.md
	# shellcheck disable=SC2034 # the scripts' berth
	B="env BERTH_ROOT=$WORK/store BERTH_FS=$BERTH_FS $BERTH"
}

# --baseline DIR: that build's berth and berth-fs installed beside the
# bench's, and BB, the baseline's berth on a store of its own in WORK (empty
# without --baseline).
bench_setup_baseline() {
	BB=
	[ -n "$BASELINE" ] || return 0
	[ -x "$BASELINE/berth" ] && [ -x "$BASELINE/berth-fs" ] ||
		bench_die "--baseline $BASELINE: no berth and berth-fs there (a meson build directory)"
	install -d -m 755 "$BENCH_DIR/bin-baseline"
	install -m 755 "$BASELINE/berth" "$BASELINE/berth-fs" "$BENCH_DIR/bin-baseline/"
	# shellcheck disable=SC2034 # the scripts' baseline berth
	BB="env BERTH_ROOT=$WORK/store-baseline BERTH_FS=$BENCH_DIR/bin-baseline/berth-fs $BENCH_DIR/bin-baseline/berth"
}

# Run a command as PEER_USER in a login environment (HOME, PATH, podman's
# runtime dir). Arguments are passed through unchanged.
as_peer() {
	su -l "$PEER_USER" -s /bin/bash -c "$(printf '%q ' "$@")"
}

bench_peer_home() { getent passwd "$PEER_USER" | cut -d: -f6; }

# Fail with a pointer to peer-setup.sh unless it has been run. $1 is an
# optional docker-archive that can put a missing $PEER_DEBIAN back (a
# benchmark interrupted between `podman rmi` and `podman load`).
bench_need_peer() {
	local restore=${1:-} missing=
	id "$PEER_USER" >/dev/null 2>&1 || missing="user '$PEER_USER'"
	[ -n "$missing" ] || command -v podman >/dev/null || missing=podman
	[ -n "$missing" ] || command -v hyperfine >/dev/null || missing=hyperfine
	if [ -z "$missing" ] && ! as_peer podman image exists "$PEER_DEBIAN" 2>/dev/null; then
		if [ -n "$restore" ] && [ -s "$restore" ]; then
			bench_log "$PEER_DEBIAN missing from $PEER_USER's podman store: loading it back from $restore"
			as_peer podman load -q -i "$restore" >/dev/null ||
				missing="$PEER_DEBIAN in $PEER_USER's podman store"
		else
			missing="$PEER_DEBIAN in $PEER_USER's podman store"
		fi
	fi
	if [ -n "$missing" ]; then
		{
			echo "$BENCH_NAME: the peer tools are not set up ($missing not found)."
			echo "Run this once, as root, then run the benchmark again:"
			echo "    sudo $(bench_peer_setup_path)"
		} >&2
		exit 1
	fi
}

# /usr/bin/time (GNU time, for -v): the shell keyword has no peak RSS.
bench_need_gnu_time() {
	[ -x /usr/bin/time ] && return 0
	bench_log "installing GNU time (apt package 'time')"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; } ||
		bench_die "cannot install the 'time' package; install it and retry"
}

# Copy the built berth where PEER_USER can run it (the checkout may live in
# a directory only its owner can enter). Prints the copy's path.
bench_install_berth() {
	local src=${BERTH:-$BENCH_REPO/build/berth} dst=$BENCH_DIR/bin/berth newer
	[ -x "$src" ] || bench_die "no berth binary at $src: build it first (meson setup build && ninja -C build)"
	if [ -d "$BENCH_REPO/runner" ] && [ "$src" -ef "$BENCH_REPO/build/berth" ]; then
		newer=$(find "$BENCH_REPO/runner" "$BENCH_REPO/fusefs" "$BENCH_REPO/meson.build" \
			-newer "$src" \( -name '*.[ch]' -o -name meson.build \) 2>/dev/null | head -n 3)
		[ -z "$newer" ] || bench_log "warning: sources newer than $src (run ninja -C build): ${newer//$'\n'/ }"
	fi
	install -d -m 755 "$BENCH_DIR/bin"
	install -m 755 "$src" "$dst"
	printf '%s\n' "$dst"
}

# Copy the built berth-fs next to the copy of berth (bench_install_berth),
# where `berth image mount` finds it through BERTH_FS. Prints the path.
bench_install_berth_fs() {
	local src=${BERTH_FS_BIN:-$BENCH_REPO/build/berth-fs} dst=$BENCH_DIR/bin/berth-fs
	[ -x "$src" ] || bench_die "no berth-fs binary at $src: build it first (meson setup build && ninja -C build)"
	install -d -m 755 "$BENCH_DIR/bin"
	install -m 755 "$src" "$dst"
	printf '%s\n' "$dst"
}

# "0.1.0 (git 4aba3f0)", or "0.1.0 (git 4aba3f0 + local changes)" when the
# sources differ from that commit (bench/, docs/ and tests/ do not count).
bench_berth_version() {
	local v g git=(git -c safe.directory='*' -C "$BENCH_REPO")
	v=$("$1" version 2>/dev/null | sed 's/^berth version //')
	if g=$("${git[@]}" describe --always 2>/dev/null); then
		"${git[@]}" diff --quiet HEAD -- . ':!bench' ':!docs' ':!tests' 2>/dev/null ||
			g="$g + local changes"
	fi
	printf '%s%s\n' "${v:-unknown}" "${g:+ (git $g)}"
}

# $BENCH_DIR/bin/wait-idle [MAX_SECONDS]: return once the CPUs have been
# at least 90% idle for half a second, or after MAX_SECONDS (default 180)
# with a warning. Run before every measured run (in hyperfine --prepare,
# which is not timed) so that a build or a fuzzer elsewhere on the machine
# stays out of the figures. Waits are logged to $WAIT_IDLE_LOG if set.
bench_install_wait_idle() {
	local dst=$BENCH_DIR/bin/wait-idle
	install -d -m 755 "$BENCH_DIR/bin"
	cat >"$dst" <<'WAIT_IDLE'
#!/bin/sh
max=${1:-180} start=$(date +%s) n=0
sample() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
while :; do
	set -- $(sample); b0=$1 t0=$2; sleep 0.5
	set -- $(sample); busy=$(($1 - b0)) total=$(($2 - t0))
	[ $((busy * 10)) -le "$total" ] && break
	n=$((n + 1))
	if [ $(($(date +%s) - start)) -ge "$max" ]; then
		[ -z "$WAIT_IDLE_LOG" ] || echo "gave up after ${max}s" >>"$WAIT_IDLE_LOG"
		echo "wait-idle: machine still busy after ${max}s, measuring anyway" >&2
		exit 0
	fi
done
[ "$n" = 0 ] || [ -z "$WAIT_IDLE_LOG" ] || echo "waited $(($(date +%s) - start))s" >>"$WAIT_IDLE_LOG"
exit 0
WAIT_IDLE
	chmod 755 "$dst"
	printf '%s\n' "$dst"
}

# "ext4", or "ext4 (no journal)": without a journal, ext4 skips inodes freed
# in the last minute when it allocates new ones, which makes creating files
# right after deleting many (as the prepare steps do) slower.
bench_fstype() {
	local t dev
	t=$(findmnt -n -o FSTYPE -T "$1" 2>/dev/null || df --output=fstype "$1" | tail -n 1)
	if [ "$t" = ext4 ] && dev=$(findmnt -n -o SOURCE -T "$1" 2>/dev/null) &&
		[ -d /proc/fs/jbd2 ] && ! ls -d /proc/fs/jbd2/"$(basename "$dev")"-* >/dev/null 2>&1; then
		t="ext4 (no journal)"
	fi
	printf '%s\n' "$t"
}

# On ext4 without a journal (see bench_fstype), wait until the last mass
# delete recorded in $BENCH_DIR/last-delete (touch it after deleting many
# files) is 400 s old, so that creating files is not slowed by it. $@ are
# bench_fstype results; nothing happens unless one says "no journal".
bench_wait_after_delete() {
	local marker=$BENCH_DIR/last-delete age t nj=0
	for t in "$@"; do [[ $t == *"no journal"* ]] && nj=1; done
	[ "$nj" = 1 ] && [ -e "$marker" ] || return 0
	age=$(($(date +%s) - $(stat -c %Y "$marker")))
	if [ "$age" -lt 400 ]; then
		bench_log "waiting $((400 - age)) s: ext4 (no journal) still remembers the files deleted ${age} s ago"
		sleep $((400 - age))
	fi
}

# Machine description, one "key: value" per line.
bench_machine() {
	local cpu mem os
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	# shellcheck disable=SC1091
	os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
	printf 'cpu: %s x %s\n' "$(nproc)" "${cpu:-unknown}"
	printf 'memory: %s\n' "$mem"
	printf 'kernel: %s\n' "$(uname -r)"
	printf 'os: %s\n' "${os:-unknown}"
}

# MACHINE, BERTH_VERSION, PODMAN_VERSION and BWRAP_VERSION, shown and kept
# in $RES/machine.txt, for a bench that times berth against podman and bwrap.
bench_versions_podman_bwrap() {
	MACHINE=$(bench_machine)
	BERTH_VERSION=$(bench_berth_version "$BERTH")
	PODMAN_VERSION=$(as_peer podman version --format '{{.Client.Version}}')
	BWRAP_VERSION=$(bwrap --version | sed 's/^bubblewrap //')
	{
		echo "== machine"
		echo "$MACHINE"
		echo "berth: $BERTH_VERSION; podman: $PODMAN_VERSION; bwrap: $BWRAP_VERSION"
	} | tee "$RES/machine.txt"
}

# A statistic (median, min, max, mean, ...) in seconds from a hyperfine
# --export-json file holding one command.
hf_stat() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([0-9.eE+-]*\),\{0,1\}\$/\1/p" "$1" | head -n 1; }

# A field of `/usr/bin/time -v` output, e.g. "Maximum resident set size (kbytes)".
time_field() { sed -n "s/^[[:space:]]*$2: //p" "$1" | head -n 1; }

# Seconds as milliseconds, "n/a" for none.
ms() { [ -n "${1:-}" ] && awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }' || echo "n/a"; }

# The opening of a bench's section of docs/performance.md: the heading
# "## $1", the command and the date.
bench_section_head() {
	echo "## $1"
	echo
	echo "Command: \`sudo bench/$BENCH_NAME\`  "
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
}

kb_to_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# DOC, docs/performance.md; BODY, a new file for the bench's section; HEAD,
# one with the opening the doc gets if the bench writes it first.
bench_doc_files() {
	# shellcheck disable=SC2034 # the scripts' doc
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
}

# Show file $BODY, the bench's section "## TITLE", and unless --no-doc put
# it into docs/performance.md.
bench_put_doc() {
	cat "$BODY"
	if [ "$WRITE_DOC" = 1 ]; then
		doc_put_section "$BENCH_REPO/docs/performance.md" "$1" "$BODY" /dev/null
		bench_log "wrote section \"$1\" of $BENCH_REPO/docs/performance.md"
	fi
}

# Replace section "## TITLE" of markdown file DOC with the contents of
# file BODY (which starts with that heading), or append it; a missing DOC
# is created from file HEAD first. Ownership and mode of DOC are kept.
doc_put_section() {
	local doc=$1 title=$2 body=$3 head=$4 tmp
	if [ ! -s "$doc" ]; then
		cat "$head" > "$doc"
		chown --reference="$(dirname "$doc")" "$doc" 2>/dev/null || true
	fi
	tmp=$(mktemp)
	awk -v title="## $title" -v body="$body" '
		function put() { while ((getline l < body) > 0) print l; close(body); done = 1 }
		$0 == title { put(); skip = 1; next }
		skip && /^## / { skip = 0; print ""; }
		!skip { print }
		END { if (!done) { print ""; put() } }
	' "$doc" | cat -s > "$tmp"
	cat "$tmp" > "$doc"
	rm -f "$tmp"
}
