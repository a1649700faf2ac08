#!/bin/bash
# bench/fs.sh: berth-fs against a native directory, kernel overlayfs and
# fuse-overlayfs, the same workloads in the same run.
#
# The tree is peer-setup's debian-rootfs.tar (debootstrap minbase, about
# 6,800 entries, 200 MB), as the unprivileged user "peer" on the same
# filesystem (peer's home), presented four ways:
#   native          the tarball extracted by tar (without the 8 device nodes
#                   a user cannot make)
#   kernel overlay  `unshare -Urm`, then `mount -t overlay overlay -o
#                   lowerdir=LOWER,upperdir=U,workdir=W MNT` in that user
#                   namespace (LOWER: a second extraction; n/a if refused)
#   fuse-overlayfs  `fuse-overlayfs -o lowerdir=LOWER,upperdir=U,workdir=W MNT`
#   berth-fs        `berth import` of the same tarball, then `berth image
#                   mount --upper DIR` (a berth without --upper mounts
#                   read-only, and its write workloads are "n/a (read-only)")
# Workloads, timed by hyperfine (medians of --runs, default 5, after
# --warmup runs, default 1); untimed before every run: what the workload
# needs, then `sync` and wait-idle (bench/lib.sh):
#   walk, cold   find MNT -printf '%s %m\n' on a fresh mount after
#                `echo 3 > /proc/sys/vm/drop_caches`
#   walk, warm   the same, again on the same mount
#   read /usr    find MNT/usr -type f -exec cat {} +      } on a fresh mount,
#   grep -r, 2 jobs  find MNT/usr -type f -print0 |        } the host page
#                xargs -0 -P2 -n200 grep -l zzzqqq       } cache warm
#                (no match: every file is read to the end)
#   untar        tar -xf of 5,000 small files (~20 MB) into MNT/tmp/w
#   create 2,000 2,000 `echo x > MNT/tmp/w/fN` from one shell
#   write 512 MiB    dd if=/dev/zero bs=1M count=512 (no fsync)
#   read 512 MiB     that file, dd bs=1M, on a fresh mount (host cache warm)
#   append (copy-up) `echo x >>` a 50 MB file of the lower layer
#   rm -rf       the 5,000 untarred files
# Each write run gets a new upper layer (or a new directory natively); the
# old ones are removed only at the end, so no run follows a mass delete.
# The berth-fs daemon's peak RSS (VmHWM) is read after the warm walks.
# The results go to docs/performance.md (section "Filesystem (berth-fs)")
# and, in full, to $BENCH_DIR/results/DATE/.
#
# Usage: sudo bench/fs.sh [--runs N] [--warmup N] [--perf] [--no-raise-nofile]
#                         [--keep] [--no-doc]
#   --perf             afterwards, profile berth-fs and fuse-overlayfs during
#                      one more run of each workload: perf (cpu-clock, call
#                      graphs) and the FUSE requests by opcode (count, time
#                      in the daemon), in $BENCH_DIR/results/DATE/perf-*
#   --no-raise-nofile  start berth-fs with peer's own RLIMIT_NOFILE even if
#                      the walk fails with it (see the notes in the output)
#   --keep             keep the extracted trees and layers (never the mounts)
#   --only W[,W...]    only these workloads (walk-cold walk-warm read-usr grep
#                      untar create write512 read512 append rm); implies
#                      --no-doc
# Needs: sudo shared/tools/peer-setup.sh, run once before.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-5} WARMUP=${WARMUP:-1} DO_PERF=0 RAISE_NOFILE=auto KEEP=0
bench_own_opt() {
	BENCH_SHIFT=1
	case $1 in
	--perf) DO_PERF=1 ;;
	--no-raise-nofile) RAISE_NOFILE=no; ARGS+=("$1") ;;
	--keep) KEEP=1 ;;
	--only) ONLY=${2:?}; WRITE_DOC=0; BENCH_SHIFT=2 ;;
	*) return 1 ;;
	esac
}
bench_args "$@"

bench_need_root
# shellcheck disable=SC2119 # no docker-archive to restore from: no podman use here
bench_need_peer
ROOTFS_TAR=${ROOTFS_TAR:-/var/tmp/berth-peers/debian-rootfs.tar}
for t in fuse-overlayfs fusermount3 unshare; do
	command -v "$t" >/dev/null || missing_tool=$t
done
if [ ! -s "$ROOTFS_TAR" ] || [ -n "${missing_tool:-}" ]; then
	{
		echo "$BENCH_NAME: the peer tools are not set up (${missing_tool:-$ROOTFS_TAR} not found)."
		echo "Run this once, as root, then run the benchmark again:"
		echo "    sudo $(bench_peer_setup_path)"
	} >&2
	exit 1
fi
[ "$DO_PERF" = 0 ] || command -v perf >/dev/null || bench_die "--perf needs perf (apt package linux-perf)"

FSS=(native ovl fuse berth)
declare -A FS_NAME=([native]=native [ovl]="kernel overlayfs" [fuse]=fuse-overlayfs [berth]=berth-fs)
WORKLOADS=(walk-cold walk-warm read-usr grep untar create write512 read512 append rm)
declare -A W_NAME=(
	[walk-cold]="stat walk, cold" [walk-warm]="stat walk, warm" [read-usr]="read all of /usr"
	[grep]="grep -r /usr, 2 jobs" [untar]="untar 5,000 small files" [create]="create 2,000 small files"
	[write512]="write 512 MiB" [read512]="read 512 MiB" [append]="append to a 50 MB lower file (copy-up)"
	[rm]="rm -rf 5,000 files")
declare -A W_WRITES=([untar]=1 [create]=1 [write512]=1 [read512]=1 [append]=1 [rm]=1)
if [ -n "${ONLY:-}" ]; then
	IFS=, read -r -a WORKLOADS <<<"$ONLY"
	for w in "${WORKLOADS[@]}"; do
		[ -n "${W_NAME[$w]:-}" ] || bench_die "--only: unknown workload '$w'"
	done
fi

install -d -m 755 -o "$PEER_USER" "$BENCH_DIR"
BERTH=$(bench_install_berth)
# shellcheck disable=SC2034 # BERTH_FS and WAIT_IDLE go into fs-ctl (${!v})
BERTH_FS=$(bench_install_berth_fs)
# shellcheck disable=SC2034
WAIT_IDLE=$(bench_install_wait_idle)
PEER_HOME=$(bench_peer_home)
WORK=$PEER_HOME/.cache/berth-fs-bench
NATIVE=$WORK/native LOWER=$WORK/lower STORE=$WORK/store
IMAGE=localhost/debian:fs-bench
SMALL_TAR=$BENCH_DIR/small-files.tar
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=$BENCH_DIR/results/fs-$STAMP
install -d -m 755 -o "$PEER_USER" "$BENCH_DIR/results" "$RES"
WAIT_LOG=$RES/wait-idle.log
as_peer touch "$WAIT_LOG"
CTL=$WORK/fs-ctl
FIFO_DIR=$WORK/fifo
q() { printf '%q' "$1"; }

# Processes of this benchmark (their command line names WORK): the FUSE
# daemons, and the namespaces and shells of an interrupted run.
work_pids() {
	local p c
	for p in /proc/[0-9]*; do
		[ "$(stat -c %U "$p" 2>/dev/null)" = "$PEER_USER" ] || continue
		c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[[ $c == *"$WORK/"* ]] && printf '%s\n' "${p#/proc/}"
	done
	return 0
}
DROPPER=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local pids left m
	set +e
	if [ -x "$CTL" ]; then
		as_peer "$CTL" umount fuse >/dev/null 2>&1
		as_peer "$CTL" umount berth >/dev/null 2>&1
	fi
	pids=$(work_pids)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill $pids 2>/dev/null
		sleep 1
		left=$(work_pids)
		# shellcheck disable=SC2086
		[ -z "$left" ] || kill -KILL $left 2>/dev/null
	fi
	if [ -n "$DROPPER" ]; then
		kill "$DROPPER" 2>/dev/null
		wait "$DROPPER" 2>/dev/null
	fi
	# anything still mounted under WORK (fuse mounts of a killed daemon)
	findmnt -rn -o TARGET | grep -F "$WORK/" | sort -r | while read -r m; do
		fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [ "$KEEP" = 0 ] && [ -e "$WORK" ]; then
		rm -rf "$WORK"
		touch "$BENCH_DIR/last-delete"
	elif [ -e "$WORK/runs" ]; then
		rm -rf "$WORK/runs" "$FIFO_DIR"
		touch "$BENCH_DIR/last-delete"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Leftovers of an interrupted run, then the trees.
if [ -e "$WORK" ]; then
	bench_log "removing $WORK (left by an earlier run)"
	KEEP_ARG=$KEEP KEEP=0
	cleanup
	KEEP=$KEEP_ARG
fi
as_peer mkdir -p "$WORK/mnt/ovl" "$WORK/mnt/fuse" "$WORK/mnt/berth" "$WORK/runs" \
	"$NATIVE" "$LOWER" "$STORE" "$FIFO_DIR"

bench_log "extracting the rootfs twice (native, overlay lower) and importing it into berth"
# device nodes cannot be made by a user: skipped (berth-fs shows them)
mapfile -t DEVS < <(tar -tvf "$ROOTFS_TAR" | awk '/^[cb]/ { print $NF }' | sort -u)
EXCL=()
for d in "${DEVS[@]}"; do EXCL+=("--exclude=$d"); done
for d in "$NATIVE" "$LOWER"; do
	as_peer tar -xf "$ROOTFS_TAR" -C "$d" "${EXCL[@]}" ||
		bench_die "cannot extract $ROOTFS_TAR into $d"
done
as_peer env BERTH_ROOT="$STORE" "$BERTH" import -q "$ROOTFS_TAR" "$IMAGE" >/dev/null ||
	bench_die "berth import of $ROOTFS_TAR failed"

# The 50 MB file (apt's package list): the largest regular file outside /usr.
read -r BIGSIZE BIG < <(find "$NATIVE" -xdev -path "$NATIVE/usr" -prune -o -type f -size +20M \
	-printf '%s %P\n' | sort -n | tail -n 1) || true
[ -n "${BIG:-}" ] || bench_die "no file over 20 MB outside /usr in $ROOTFS_TAR for the copy-up workload"

# 5,000 small files (50 directories, 64 B to 8 KB, ~20 MB), made once.
if [ ! -s "$SMALL_TAR" ]; then
	bench_log "making $SMALL_TAR"
	t=$(as_peer mktemp -d "$BENCH_DIR/small.XXXXXX")
	as_peer awk -v base="$t/small" 'BEGIN {
		s = ""
		while (length(s) < 9000) s = s "the quick brown fox jumps over the lazy dog 0123456789\n"
		n = 0
		for (d = 0; d < 50; d++) {
			dir = sprintf("%s/d%02d", base, d)
			system("mkdir -p " dir)
			for (f = 0; f < 100; f++) {
				n++
				file = sprintf("%s/f%03d.txt", dir, f)
				printf "%s", substr(s, 1, 64 + (n * 7919) % 8000) > file
				close(file)
			}
		}
	}'
	as_peer tar -cf "$SMALL_TAR.partial" -C "$t" small
	rm -rf "$t"
	mv "$SMALL_TAR.partial" "$SMALL_TAR"
fi

# drop_caches needs the real root, also for the overlay runs inside peer's
# user namespace: peer's prepare steps ask this loop through two fifos.
as_peer mkfifo -m 600 "$FIFO_DIR/req" "$FIFO_DIR/ack"
(
	trap - EXIT INT TERM
	while :; do
		if read -r line <"$FIFO_DIR/req"; then
			sync
			echo 3 >/proc/sys/vm/drop_caches
			echo "$line" >"$FIFO_DIR/ack"
		fi
	done
) &
DROPPER=$!

# berth-fs mounts writable (`berth image mount --upper DIR`) since its
# writable layer came; an older berth only read-only, without the write
# workloads. Either way it is mounted as the overlays are: writable when it
# can be, with a new upper layer for every mount.
if "$BERTH" image mount --help 2>&1 | grep -q -- '--upper'; then BERTH_RW=1; else BERTH_RW=0; fi

# 2. fs-ctl, run as peer (in the hyperfine --prepare steps too): mount
# FS [keep] (a new upper layer unless keep), umount FS, fresh FS (a new
# empty MNT/tmp/w, and a new upper layer), drop (caches), idle, hwm FS
# (the FUSE daemon's VmHWM in kB).
{
	echo '#!/bin/bash'
	for v in WORK NATIVE LOWER STORE IMAGE BERTH BERTH_FS BERTH_RW WAIT_IDLE WAIT_LOG FIFO_DIR BIG BIGSIZE; do
		printf '%s=%q\n' "$v" "${!v}"
	done
	cat <<'CTL'
set -eu
root() {
	case $1 in
	native) echo "$NATIVE" ;;
	ovl | fuse | berth) echo "$WORK/mnt/$1" ;;
	*) echo "fs-ctl: unknown filesystem $1" >&2; exit 2 ;;
	esac
}
daemon_pid() {
	local exe m p
	case $1 in fuse) exe=$(command -v fuse-overlayfs) ;; berth) exe=$BERTH_FS ;; *) return 0 ;; esac
	m=$(root "$1")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] || continue
		case " $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" in *" $m "*) echo "${p#/proc/}" ;; esac
	done
	return 0
}
umount_fs() {
	local m pids i p alive
	m=$(root "$1")
	mountpoint -q "$m" || return 0
	pids=$(daemon_pid "$1")
	case $1 in
	ovl) umount "$m" ;;
	fuse) fusermount3 -u "$m" ;;
	berth) BERTH_ROOT=$STORE "$BERTH" image umount "$m" ;;
	esac
	# the daemon leaves once the kernel ends the session (berth-fs folds
	# its upper layer's log into its table first)
	for i in $(seq 600); do
		alive=
		for p in $pids; do
			# a zombie has left: its reaper is not ours
			grep -qs '^State:[[:space:]]*[^Z]' "/proc/$p/status" && alive=$p
		done
		[ -z "$alive" ] && return 0
		sleep 0.05
	done
	echo "fs-ctl: $1 daemon $pids still running after the unmount" >&2
}
mount_fs() {
	local m d
	umount_fs "$1"
	m=$(root "$1")
	if [ "$1" != berth ] || [ "$BERTH_RW" = 1 ]; then
		if [ "${2:-}" != keep ] || [ ! -d "$WORK/runs/$1.cur/" ]; then
			d=$WORK/runs/$1.$(date +%s%N)
			# berth-fs makes its upper layer directory itself
			mkdir -p "$d/work"
			[ "$1" = berth ] || mkdir "$d/upper"
			ln -sfn "$d" "$WORK/runs/$1.cur"
		fi
		d=$(readlink -f "$WORK/runs/$1.cur")
	fi
	case $1 in
	ovl) mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work" "$m" ;;
	fuse) fuse-overlayfs -o "lowerdir=$LOWER,upperdir=$d/upper,workdir=$d/work" "$m" 2>&1 |
		grep -v 'unknown argument ignored' >&2 || true
		mountpoint -q "$m" ;;
	berth)
		[ ! -e "$WORK/raise-nofile" ] || ulimit -n "$(ulimit -Hn)"
		if [ "$BERTH_RW" = 1 ]; then
			BERTH_ROOT=$STORE BERTH_FS=$BERTH_FS "$BERTH" image mount --upper "$d/upper" "$IMAGE" "$m"
		else
			BERTH_ROOT=$STORE BERTH_FS=$BERTH_FS "$BERTH" image mount "$IMAGE" "$m"
		fi ;;
	esac
}
cmd=$1
shift
case $cmd in
root) root "$1" ;;
mount) [ "$1" = native ] || mount_fs "$@" ;;
umount) [ "$1" = native ] || umount_fs "$1" ;;
fresh)
	if [ "$1" = native ]; then
		[ ! -e "$NATIVE/tmp/w" ] || mv "$NATIVE/tmp/w" "$WORK/runs/native.$(date +%s%N)"
		[ "$(stat -c %s "$NATIVE/$BIG")" = "$BIGSIZE" ] || truncate -s "$BIGSIZE" "$NATIVE/$BIG"
	else
		mount_fs "$1"
	fi
	mkdir "$(root "$1")/tmp/w"
	;;
drop)
	echo drop >"$FIFO_DIR/req"
	read -r _ <"$FIFO_DIR/ack"
	;;
idle) sync && WAIT_IDLE_LOG=$WAIT_LOG "$WAIT_IDLE" ;;
pid) daemon_pid "$1" ;;
hwm)
	p=$(daemon_pid "$1" | head -n 1)
	[ -n "$p" ] && sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$p/status"
	;;
*) echo "fs-ctl: unknown command $cmd" >&2; exit 2 ;;
esac
CTL
} >"$WORK/fs-ctl.tmp"
chmod 755 "$WORK/fs-ctl.tmp"
chown "$PEER_USER" "$WORK/fs-ctl.tmp"
mv "$WORK/fs-ctl.tmp" "$CTL"

# Run a bash script as peer; for the kernel overlay inside a new user and
# mount namespace (the mount dies with it).
in_fs() {
	if [ "$1" = ovl ]; then
		as_peer unshare -Urm bash -c "$2"
	else
		as_peer bash -c "$2"
	fi
}

# 3. The machine and the versions.
MACHINE=$(bench_machine)
BERTH_VERSION=$(bench_berth_version "$BERTH")
FOVL_VERSION=$(fuse-overlayfs --version 2>&1 | sed -n 's/^fuse-overlayfs: version //p')
FUSE_VERSION=$(fusermount3 --version 2>&1 | sed -n 's/.*version:\{0,1\} //p')
HF_VERSION=$(hyperfine --version | sed 's/^hyperfine //')
FS_WORK=$(bench_fstype "$WORK")
NOFILE_SOFT=$(as_peer bash -c 'ulimit -Sn')
NOFILE_HARD=$(as_peer bash -c 'ulimit -Hn')
{
	echo "== machine"
	echo "$MACHINE"
	echo "trees, upper layers, berth store: $WORK ($FS_WORK)"
	echo "berth: $BERTH_VERSION"
	echo "fuse-overlayfs: $FOVL_VERSION, fusermount3 $FUSE_VERSION, hyperfine $HF_VERSION"
	echo "$PEER_USER's RLIMIT_NOFILE: soft $NOFILE_SOFT, hard $NOFILE_HARD"
	echo "berth-fs: $([ "$BERTH_RW" = 1 ] && echo "writable (berth image mount --upper)" || echo "read-only (this berth has no --upper)")"
} | tee "$RES/machine.txt"

# 4. Can each filesystem be mounted, and does a walk see the whole tree?
declare -A OK COUNT NOTE MEDIAN RANGE
WALK="find \"\$M\" -printf '%s %m\\n'"
preflight() {
	local fs=$1 out=$RES/preflight-$1
	if in_fs "$fs" "M=\$($(q "$CTL") root $fs) && $(q "$CTL") mount $fs && $WALK | wc -l >$(q "$out.count"); rc=\${PIPESTATUS[0]}; $(q "$CTL") umount $fs; exit \$rc" \
		>"$out.log" 2>&1; then
		OK[$fs]=1
	else
		OK[$fs]=0
	fi
	COUNT[$fs]=$(cat "$out.count" 2>/dev/null || echo "?")
}
for fs in "${FSS[@]}"; do
	preflight "$fs"
	if [ "$fs" = berth ] && [ "${OK[berth]}" = 0 ] && grep -q 'Too many open files' "$RES/preflight-berth.log"; then
		mv "$RES/preflight-berth.log" "$RES/preflight-berth-default-nofile.log"
		n=$(grep -c 'Too many open files' "$RES/preflight-berth-default-nofile.log" || true)
		NOTE[nofile]="With $PEER_USER's default open-file limit (soft $NOFILE_SOFT, hard $NOFILE_HARD), \`find\` over a berth-fs mount fails with \"Too many open files\" ($n errors, ${COUNT[berth]} entries seen): berth-fs keeps an O_PATH fd open for every node the kernel holds and leaves its soft RLIMIT_NOFILE as it found it (fuse-overlayfs raises its own to the hard limit)."
		if [ "$RAISE_NOFILE" = auto ]; then
			NOTE[nofile]="${NOTE[nofile]} For these figures berth-fs was started with \`ulimit -n $NOFILE_HARD\` (the hard limit)."
			as_peer touch "$WORK/raise-nofile"
			preflight berth
		fi
	fi
	if [ "${OK[$fs]}" = 1 ]; then
		echo "$fs: mounted, walk sees ${COUNT[$fs]} entries"
	else
		NOTE[$fs]=$(grep -v '^$' "$RES/preflight-$fs.log" | head -n 1)
		echo "$fs: FAILED: ${NOTE[$fs]}"
	fi
	[ "$fs" != berth ] || [ -z "${NOTE[nofile]:-}" ] || echo "note: ${NOTE[nofile]}"
done
[ "${OK[ovl]}" = 1 ] || NOTE[ovl]="kernel refused: ${NOTE[ovl]}"

# The write runs keep their files until the end: 512 MiB per run and
# filesystem, and the untarred files.
need_mb=$(((RUNS + WARMUP + 2) * 3 * 600 + 2048))
avail_mb=$(($(df --output=avail -k "$WORK" | tail -n 1) / 1024))
[ "$avail_mb" -ge "$need_mb" ] || bench_die "$avail_mb MB free in $WORK; the write workloads need $need_mb MB"

# 5. The measurements: hyperfine, one workload on one filesystem at a time.
# $1 = workload, $2 = fs: sets SETUP (once, untimed), PREP (before every
# run), CMD (timed), AFTER (after the runs, before the unmount).
commands() {
	local w=$1 fs=$2 c r
	c=$(q "$CTL")
	R=$(q "$([ "$fs" = native ] && echo "$NATIVE" || echo "$WORK/mnt/$fs")")
	SETUP="$c mount $fs" PREP="$c idle" AFTER=
	case $w in
	walk-cold)
		SETUP=: PREP="$c mount $fs && $c drop && $c idle"
		CMD="find $R -printf '%s %m\\n' >/dev/null" ;;
	walk-warm)
		CMD="find $R -printf '%s %m\\n' >/dev/null"
		AFTER="$c hwm $fs >$(q "$RES/hwm-walk-$fs.txt")" ;;
	read-usr)
		SETUP=: PREP="$c mount $fs && $c idle"
		CMD="find $R/usr -type f -exec cat {} + >/dev/null" ;;
	grep)
		SETUP=: PREP="$c mount $fs && $c idle"
		# grep's status 1 (no match) is success, 2 (an error) is not
		CMD="find $R/usr -type f -print0 | xargs -0 -P2 -n200 sh -c 'grep -l zzzqqq \"\$@\"; [ \$? -lt 2 ]' grep"
		AFTER="$c hwm $fs >$(q "$RES/hwm-grep-$fs.txt")" ;;
	untar)
		SETUP=: PREP="$c fresh $fs && $c idle"
		CMD="tar -xf $(q "$SMALL_TAR") --no-same-owner --no-same-permissions -C $R/tmp/w" ;;
	create)
		SETUP=: PREP="$c fresh $fs && $c idle"
		CMD="i=0; while [ \$i -lt 2000 ]; do i=\$((i + 1)); echo x >$R/tmp/w/f\$i; done" ;;
	write512)
		SETUP=: PREP="$c fresh $fs && $c idle"
		CMD="dd if=/dev/zero of=$R/tmp/w/big bs=1M count=512 status=none" ;;
	read512)
		SETUP="$c fresh $fs && dd if=/dev/zero of=$R/tmp/w/big bs=1M count=512 status=none"
		PREP="$c mount $fs keep && $c idle"
		CMD="dd if=$R/tmp/w/big of=/dev/null bs=1M status=none" ;;
	append)
		SETUP=: PREP="$c fresh $fs && $c idle"
		CMD="echo x >>$R/$(q "$BIG")" ;;
	rm)
		SETUP=: PREP="$c fresh $fs && tar -xf $(q "$SMALL_TAR") --no-same-owner --no-same-permissions -C $R/tmp/w && $c idle"
		CMD="rm -rf $R/tmp/w/small" ;;
	esac
}
status=0
measure() {
	local w=$1 fs=$2 key=$1-$2 out=$RES/hyperfine-$1-$2 hf script
	if [ "$fs" = berth ] && [ "$BERTH_RW" = 0 ] && [ -n "${W_WRITES[$w]:-}" ]; then
		MEDIAN[$key]="n/a (read-only)"
		return
	fi
	if [ "${OK[$fs]}" != 1 ]; then
		MEDIAN[$key]=$([ "$fs" = ovl ] && echo "n/a" || echo failed)
		return
	fi
	echo "== ${W_NAME[$w]}: ${FS_NAME[$fs]}"
	echo "== $w $fs" >>"$WAIT_LOG" # which runs had to wait
	commands "$w" "$fs"
	hf=$(printf '%q ' hyperfine --runs "$RUNS" --warmup "$WARMUP" --prepare "$PREP" \
		--command-name "${W_NAME[$w]} (${FS_NAME[$fs]})" \
		--export-json "$out.json" "$CMD")
	script="set -o pipefail; $SETUP || exit 1; $hf; rc=\$?"
	[ -z "$AFTER" ] || script="$script; $AFTER"
	script="$script; $(q "$CTL") umount $fs; exit \$rc"
	if in_fs "$fs" "$script"; then
		MEDIAN[$key]=$(hf_stat "$out.json" median)
		RANGE[$key]="$(hf_stat "$out.json" min) $(hf_stat "$out.json" max)"
	else
		MEDIAN[$key]=failed
		status=1
	fi
}

waited=0
for w in "${WORKLOADS[@]}"; do
	if [ -n "${W_WRITES[$w]:-}" ] && [ "$waited" = 0 ]; then
		waited=1
		# no create right after a mass delete (an earlier run's, or
		# another benchmark's): ext4 without a journal pays for it
		bench_wait_after_delete "$FS_WORK"
	fi
	for fs in "${FSS[@]}"; do
		measure "$w" "$fs"
	done
done

# 6. Optional profiles (--perf), for berth-fs and fuse-overlayfs, after
# the timed runs: the workload once more under system-wide `perf record`
# (cpu-clock, call graphs), then once more with the kernel's FUSE
# tracepoints, from which every request of the mount is counted and timed
# (sent to the daemon -> answered), by opcode.
# shellcheck disable=SC2016 # awk's own $ fields
FUSE_AWK='
{
	t = $1; sub(/:$/, "", t)
	if ($2 ~ /fuse_request_send/) {
		for (i = 3; i <= NF; i++) {
			if ($i == "connection") c = $(i + 1)
			if ($i == "req") u = $(i + 1)
			if ($i == "opcode") op = $(i + 2)
		}
		if (c != conn) next
		gsub(/[()]/, "", op); sub(/^FUSE_/, "", op)
		st[u] = t; so[u] = op; n[op]++
	} else if ($2 ~ /fuse_request_end/) {
		for (i = 3; i <= NF; i++) {
			if ($i == "connection") c = $(i + 1)
			if ($i == "req") u = $(i + 1)
			if ($i == "error") e = $(i + 1)
		}
		if (c != conn || !(u in st)) next
		op = so[u]; lat[op] += t - st[u]; if (e != 0) err[op]++
		delete st[u]
	}
}
END {
	printf "%-16s %8s %10s %9s %7s\n", "request", "count", "total ms", "mean us", "errors"
	for (op in n) { tot += lat[op]; cnt += n[op] }
	for (op in n)
		printf "%-16s %8d %10.1f %9.1f %7d\n", op, n[op], lat[op] * 1000,
			lat[op] / n[op] * 1e6, err[op] | "sort -k3 -n -r"
	close("sort -k3 -n -r")
	printf "%-16s %8d %10.1f\n", "all", cnt, tot * 1000
}'
profile() {
	local w=$1 fs=$2 base=$RES/perf-$1-$2 mm conn
	[ "${OK[$fs]}" = 1 ] || return 0
	[ "$fs" != berth ] || [ "$BERTH_RW" = 1 ] || [ -z "${W_WRITES[$w]:-}" ] || return 0
	set +o pipefail # `perf report | head`
	commands "$w" "$fs"
	# the state of a timed run (one untimed run first warms what it warms)
	as_peer bash -c "$SETUP && { $CMD; } >/dev/null 2>&1; $PREP" >/dev/null 2>&1
	perf record -q -a -g -e cpu-clock -F 2000 -o "$base.data" -- \
		su -l "$PEER_USER" -s /bin/bash -c "$CMD" >/dev/null 2>&1 || true
	as_peer bash -c "$PREP" >/dev/null 2>&1
	# (FUSE keeps other users out, root too)
	mm=$(as_peer mountpoint -d "$WORK/mnt/$fs") || mm=0:0
	conn=$(((${mm%:*} << 20) | ${mm#*:}))
	perf record -q -a -e fuse:fuse_request_send -e fuse:fuse_request_end -o "$base-fuse.data" -- \
		su -l "$PEER_USER" -s /bin/bash -c "t0=\$(date +%s%N); { $CMD; } >/dev/null 2>&1; t1=\$(date +%s%N); echo \$(((t1 - t0) / 1000)) >$(q "$base.us")" \
		>/dev/null 2>&1 || true
	as_peer "$CTL" umount "$fs"
	{
		echo "## ${W_NAME[$w]} on ${FS_NAME[$fs]}"
		echo "\$ $CMD"
		echo
		echo "## FUSE requests (kernel tracepoints; the run took $(awk '{ printf "%.1f", $1 / 1000 }' "$base.us" 2>/dev/null) ms)"
		perf script -i "$base-fuse.data" -F time,event,trace 2>/dev/null | awk -v conn="$conn" "$FUSE_AWK"
		echo
		echo "## cpu-clock samples by command and object (system-wide; swapper = idle)"
		perf report -i "$base.data" --stdio --no-children --sort comm,dso 2>/dev/null |
			grep -E '^ +[0-9]' | head -n 12
		echo
		echo "## top symbols (self), all commands"
		perf report -i "$base.data" --stdio --no-children --sort comm,sym -g none 2>/dev/null |
			grep -E '^ +[0-9]' | head -n 30
	} >"$base.txt"
	perf report -i "$base.data" --stdio --no-children --comm "$([ "$fs" = berth ] && echo berth-fs || echo fuse-overlayfs)" \
		-G 2>/dev/null | head -n 400 >"$base-daemon-callgraph.txt" || true
	# (the .data files stay root's: `perf report` refuses others' files to root)
	chown "$PEER_USER" "$base.txt" "$base-daemon-callgraph.txt" 2>/dev/null || true
	set -o pipefail
	cat "$base.txt" >>"$RES/perf-summary.txt"
	echo >>"$RES/perf-summary.txt"
	echo "profile: $base.txt"
}
if [ "$DO_PERF" = 1 ]; then
	for w in "${WORKLOADS[@]}"; do
		for fs in berth fuse; do profile "$w" "$fs"; done
	done
	echo "profiles of berth-fs and fuse-overlayfs: $RES/perf-summary.txt"
fi

# 7. The table.
fmt_s() {
	case $1 in
	failed | n/a* | "") echo "${1:-?}" ;;
	*) awk -v s="$1" 'BEGIN { printf (s < 0.1 ? "%.4f" : "%.3f"), s }' ;;
	esac
}
ratio() {
	case "$1 $2" in
	*failed* | *n/a* | " "* | *" ") echo "–" ;;
	*) awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "–"; else printf "%.2f", a / b }' ;;
	esac
}
TABLE=$RES/table.md
SPREAD=$RES/table-min-max.md
{
	printf '| Workload | native, s | kernel overlayfs, s | fuse-overlayfs, s | berth-fs, s | fuse-overlayfs / berth-fs | berth-fs / native |\n'
	printf '|---|--:|--:|--:|--:|--:|--:|\n'
	for w in "${WORKLOADS[@]}"; do
		printf '| %s |' "${W_NAME[$w]}"
		for fs in "${FSS[@]}"; do printf ' %s |' "$(fmt_s "${MEDIAN[$w-$fs]:-}")"; done
		printf ' %s | %s |\n' "$(ratio "${MEDIAN[$w-fuse]:-}" "${MEDIAN[$w-berth]:-}")" \
			"$(ratio "${MEDIAN[$w-berth]:-}" "${MEDIAN[$w-native]:-}")"
	done
} >"$TABLE"
{
	printf '| Workload | native | kernel overlayfs | fuse-overlayfs | berth-fs |\n|---|--:|--:|--:|--:|\n'
	for w in "${WORKLOADS[@]}"; do
		printf '| %s |' "${W_NAME[$w]}"
		for fs in "${FSS[@]}"; do
			r=${RANGE[$w-$fs]:-}
			if [ -n "$r" ]; then printf ' %s–%s |' "$(fmt_s "${r% *}")" "$(fmt_s "${r#* }")"; else printf ' |'; fi
		done
		printf '\n'
	done
} >"$SPREAD"

kb_mb() { [ -s "$1" ] && kb_to_mb "$(cat "$1")" || echo "?"; }
RSS_BERTH=$(kb_mb "$RES/hwm-walk-berth.txt")
RSS_FUSE=$(kb_mb "$RES/hwm-walk-fuse.txt")
RSS_BERTH_GREP=$(kb_mb "$RES/hwm-grep-berth.txt")
RSS_FUSE_GREP=$(kb_mb "$RES/hwm-grep-fuse.txt")

# Targets: berth-fs at least 2x faster than fuse-overlayfs and no more than
# 3x native on every workload; daemon peak RSS under 48 MB.
TARGET_NOTES=()
for w in "${WORKLOADS[@]}"; do
	b=${MEDIAN[$w-berth]:-}
	case $b in
	n/a*) TARGET_NOTES+=("${W_NAME[$w]}: not measurable yet (berth-fs is read-only)"); continue ;;
	failed | "") TARGET_NOTES+=("${W_NAME[$w]}: berth-fs failed (log in \$BENCH_DIR/results/fs-$STAMP)"); continue ;;
	esac
	r1=$(ratio "${MEDIAN[$w-fuse]:-}" "$b")
	r2=$(ratio "$b" "${MEDIAN[$w-native]:-}")
	if [ "$r1" = – ] || awk -v r="$r1" 'BEGIN { exit !(r < 2) }'; then
		TARGET_NOTES+=("${W_NAME[$w]}: fuse-overlayfs / berth-fs >= 2 not met ($r1)")
	fi
	if [ "$r2" = – ] || awk -v r="$r2" 'BEGIN { exit !(r > 3) }'; then
		TARGET_NOTES+=("${W_NAME[$w]}: berth-fs / native <= 3 not met ($r2)")
	fi
done
if [ "$RSS_BERTH" = "?" ] || awk -v m="$RSS_BERTH" 'BEGIN { exit !(m >= 48) }'; then
	TARGET_NOTES+=("berth-fs peak RSS < 48 MB not met ($RSS_BERTH MB)")
fi
# the figures are those of the copies made at the start
BUILD_NOTE=
for b in berth berth-fs; do
	src=$BENCH_REPO/build/$b
	if [ -e "$src" ] && ! cmp -s "$src" "$BENCH_DIR/bin/$b"; then
		BUILD_NOTE="build/$b changed while the benchmark ran: these figures are those of the copy made at its start ($BERTH_VERSION at that time)."
	fi
done
WAITS=$(grep -c '^waited' "$WAIT_LOG" || true)
GAVE_UP=$(grep -c '^gave up' "$WAIT_LOG" || true)
BUSY=()
while read -r w fs; do
	BUSY+=("${W_NAME[$w]} (${FS_NAME[$fs]})")
done < <(awk '/^== / { m = $2 " " $3 } /^gave up/ { print m }' "$WAIT_LOG" | sort -u)
BUSY_NOTE=
if [ "$GAVE_UP" -gt 0 ]; then
	BUSY_NOTE="Other processes kept the CPUs busy during $GAVE_UP of the measured runs (the benchmark waited up to 180 s for idle CPUs, then measured anyway): $(printf '%s, ' "${BUSY[@]}" | sed 's/, $//'). These figures are noisier than usual."
elif [ "$WAITS" -gt 0 ]; then
	BUSY_NOTE="Other processes were using the CPUs before $WAITS of the measured runs; the benchmark waited for idle CPUs before each of them."
fi

echo
echo "== Filesystem: medians of $RUNS runs (hyperfine), seconds"
cat "$TABLE"
echo "min–max:"
cat "$SPREAD"
echo "berth-fs daemon peak RSS (VmHWM): $RSS_BERTH MB after the warm walks ($RSS_BERTH_GREP MB after a grep run); fuse-overlayfs: $RSS_FUSE MB ($RSS_FUSE_GREP MB)"
echo "entries seen by a walk: native ${COUNT[native]}, kernel overlayfs ${COUNT[ovl]}, fuse-overlayfs ${COUNT[fuse]}, berth-fs ${COUNT[berth]}"
for k in nofile ovl fuse berth native; do [ -z "${NOTE[$k]:-}" ] || echo "note ($k): ${NOTE[$k]}"; done
if [ ${#TARGET_NOTES[@]} -eq 0 ]; then
	echo "targets met"
else
	printf 'target: %s\n' "${TARGET_NOTES[@]}"
fi
[ -z "$BUSY_NOTE" ] || echo "$BUSY_NOTE"
[ -z "$BUILD_NOTE" ] || echo "$BUILD_NOTE"
echo "full results: $RES"

# 8. docs/performance.md
if [ "$WRITE_DOC" = 1 ]; then
	bench_doc_files
	CMDLINE="sudo bench/fs.sh${ARGS[*]:+ ${ARGS[*]}}"
	BIG_MB=$(awk -v b="$BIGSIZE" 'BEGIN { printf "%.0f", b / 1e6 }')
	{
		echo "## Filesystem (berth-fs)"
		echo
		echo "The same workloads, as the unprivileged user \`$PEER_USER\`, on peer-setup's"
		echo "debootstrap minbase rootfs (\`debian-rootfs.tar\`, ${COUNT[berth]} entries) presented"
		echo "four ways, all on the same filesystem: a native directory (the tarball"
		echo "extracted, less the 8 device nodes a user cannot make); kernel overlayfs"
		echo "mounted in a user namespace (\`unshare -Urm\`) over a second extraction;"
		echo "fuse-overlayfs over that extraction; berth-fs through \`berth image mount\`"
		if [ "$BERTH_RW" = 1 ]; then
			echo "of the tarball imported by \`berth import\`, writable (\`--upper DIR\`). Every"
			echo "mount of the overlays and of berth-fs gets a new, empty upper layer."
		else
			echo "of the tarball imported by \`berth import\`; this berth mounts read-only"
			echo "(no \`--upper\`), so berth-fs has no figures for the write workloads."
		fi
		echo
		echo "- stat walk: \`find MNT -printf '%s %m\\n'\`; cold: on a fresh mount after"
		echo "  \`echo 3 > /proc/sys/vm/drop_caches\`; warm: again on the same mount."
		echo "- read all of /usr: \`find MNT/usr -type f -exec cat {} +\`; grep:"
		echo "  \`find MNT/usr -type f -print0 | xargs -0 -P2 -n200 grep -l zzzqqq\` (no"
		echo "  match, so every file is read to its end; grep's status 1 counts as"
		echo "  success); both on a fresh mount with the host page cache warm (a"
		echo "  warm-up run first)."
		echo "- untar: \`tar -xf\` of 5,000 files of 64 B–8 KB (50 directories, 20 MB);"
		echo "  create: 2,000 \`echo x > MNT/tmp/w/fN\` from one shell; write: \`dd"
		echo "  if=/dev/zero bs=1M count=512\` (not synced); read: that file with \`dd"
		echo "  bs=1M\` on a fresh mount, host cache warm; append: \`echo x >>\` apt's"
		echo "  $BIG_MB MB package list, a lower-layer file (overlays copy it up first);"
		echo "  rm: \`rm -rf\` of the untarred files. Every write run gets a new upper"
		echo "  layer (natively, a new directory)."
		echo
		echo "Before every run, untimed: what the workload needs, \`sync\`, and a wait for"
		echo "idle CPUs. Times are hyperfine medians of $RUNS runs (after $WARMUP warm-up"
		echo "run$([ "$WARMUP" = 1 ] || echo s)); min–max of each are in the results directory. Peak RSS is"
		echo "the FUSE daemon's VmHWM (\`/proc/PID/status\`) after the warm walks."
		echo
		echo "Command: \`$CMDLINE\`  "
		echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo
		cat "$TABLE"
		echo
		echo "Daemon peak RSS after the walks: berth-fs $RSS_BERTH MB, fuse-overlayfs"
		echo "$RSS_FUSE MB (after a grep run: $RSS_BERTH_GREP MB and $RSS_FUSE_GREP MB)."
		if [ "${OK[ovl]}" != 1 ]; then
			echo
			echo "Kernel overlayfs: n/a, the kernel refused the mount in a user"
			echo "namespace (${NOTE[ovl]#kernel refused: })."
		fi
		for k in fuse berth; do
			[ "${OK[$k]}" = 1 ] || printf '\n%s failed to mount or walk: %s\n' "${FS_NAME[$k]}" "${NOTE[$k]}"
		done
		if [ -n "${NOTE[nofile]:-}" ]; then
			echo
			echo "${NOTE[nofile]}" | fold -s -w 76 | sed 's/ *$//'
		fi
		echo
		if [ ${#TARGET_NOTES[@]} -eq 0 ]; then
			echo "Targets (every workload: fuse-overlayfs / berth-fs >= 2 and berth-fs /"
			echo "native <= 3; berth-fs peak RSS < 48 MB): met."
		else
			echo "Targets (every workload: fuse-overlayfs / berth-fs >= 2 and berth-fs /"
			echo "native <= 3; berth-fs peak RSS < 48 MB):"
			echo
			printf -- '- %s\n' "${TARGET_NOTES[@]}"
		fi
		echo
		echo "Natively, the append copies nothing up: that ratio is the price of the"
		echo "copy-up itself (kernel overlayfs is the reference there). The append, one"
		echo "50 MB copy, varies much from run to run on every overlay: read its median"
		echo "with its min–max (results directory). \`--perf\` adds,"
		echo "for berth-fs and fuse-overlayfs, every workload's FUSE requests by"
		echo "opcode (count, time until answered; kernel tracepoints) and a perf"
		echo "profile to the results directory (\`perf-summary.txt\`)."
		[ -z "$BUSY_NOTE" ] || { echo; echo "$BUSY_NOTE" | fold -s -w 76 | sed 's/ *$//'; }
		[ -z "$BUILD_NOTE" ] || { echo; echo "$BUILD_NOTE" | fold -s -w 76 | sed 's/ *$//'; }
		echo
		echo "Machine:"
		echo
		while IFS= read -r l; do echo "- $l"; done <<<"$MACHINE"
		echo "- trees, upper layers and berth store: \`~$PEER_USER/.cache/berth-fs-bench/\` ($FS_WORK)"
		echo "- berth $BERTH_VERSION, fuse-overlayfs $FOVL_VERSION (fusermount3"
		echo "  $FUSE_VERSION), hyperfine $HF_VERSION"
		echo "- $PEER_USER's RLIMIT_NOFILE: soft $NOFILE_SOFT, hard $NOFILE_HARD"
	} >"$BODY"
	doc_put_section "$DOC" "Filesystem (berth-fs)" "$BODY" "$HEAD"
	rm -f "$HEAD" "$BODY"
	echo "wrote section \"Filesystem (berth-fs)\" of $DOC"
fi
exit $status
