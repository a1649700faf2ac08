#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults against a container's life (issue 23, rules 1, 2, 3 and 6):
# liveness comes from the process, never from a record alone; rm -f
# always works, whatever the records say, with no free space; a state
# record that cannot be written loses nothing; two commands on one
# object at once: exactly one removes it. A full disk is a store on a
# 96 MB tmpfs (mounted here as root, the test user's).
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_fuse
require_userns

bb=localhost/bb:latest
run() { as_user env BERTH_FS="$BERTH_FS" "$BERTH" run "$@"; }
user=${BERTH_TEST_USER:-$(id -un)}

# nothing_of DIR: no process has DIR in its arguments, descriptors or
# mounts (every process's mountinfo: the container's own namespaces too)
nothing_of() {
	local dir=$1 p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$dir"; then
			echo "#   process ${p#/proc/} names $dir: $(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" >&2
			return 1
		fi
		if grep -qF " $dir" "$p/mountinfo" 2>/dev/null; then
			echo "#   process ${p#/proc/} has a mount in $dir" >&2
			return 1
		fi
	done
	! ls -l /proc/[0-9]*/fd 2>/dev/null | grep -qF "$dir/"
}
# gone NAME-OR-ID DIR: not listed, its directory gone, nothing of it left
gone() {
	! berth ps -a --format json | grep -qF "\"$1\"" &&
		[ ! -e "$2" ] && wait_for 10 nothing_of "$2"
}
cid() { berth inspect "$1" 2>/dev/null | grep -o '"Id": *"[0-9a-f]\{64\}"' | grep -o '[0-9a-f]\{64\}'; }
export -f run expect_fail nothing_of gone wait_for

check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"

# ---- a full disk (rule 1, 2, 3) ----
FS=$T/fs
fs_cleanup() {
	if mountpoint -q "$FS"; then
		# whatever a failed case left running there goes with the store
		(BERTH_ROOT=$FS/store; for c in $(berth ps -a -q 2>/dev/null); do berth rm -f "$c" >/dev/null 2>&1; done)
		umount -l "$FS"
	fi
}
pre_cleanup() { fs_cleanup; }
if [ "$(id -u)" = 0 ] && mkdir -p "$FS" && mount -t tmpfs -o size=96m,mode=0755 tmpfs "$FS"; then
	chown "$user": "$FS"
	fb() { BERTH_ROOT=$FS/store berth "$@"; }
	frun() { BERTH_ROOT=$FS/store run "$@"; }
	avail() { df -k --output=avail "$FS" | tail -1; }
	check "a store on a 96 MB tmpfs takes the image" -- fb load -q -i "$FIXTURES/podman-bb.docker-archive.tar"
	rc=0
	frun --name fill $bb sh -c 'dd if=/dev/zero of=/big bs=1M count=200 2>/dev/null; exit 3' \
		>/dev/null 2>"$T/fill.err" || rc=$?
	check "a container that fills the disk: the attached run still exits with its code (3)" -- test "$rc" = 3
	check "... the disk is full" -- test "$(avail)" -lt 1024
	check "... its end is recorded all the same (ps: Exited (3))" -- bash -c "BERTH_ROOT=$FS/store; berth ps -a | grep -w fill | grep -q 'Exited (3)'"
	fdir=$FS/store/containers/$(BERTH_ROOT=$FS/store cid fill)
	# a record that says running for a process that is gone, on a full
	# disk: overwritten in place (a truncation would free its page)
	printf 'running 0 1\n' | as_user dd of="$fdir/state" conv=notrunc status=none
	check "a stale 'running' on a full disk reads as exited (ps)" -- bash -c "BERTH_ROOT=$FS/store; berth ps -a | grep -w fill | grep -q 'Exited (137)' && ! berth ps | grep -qw fill"
	check "... and was corrected in place" -- grep -q '^exited 137 ' "$fdir/state"
	printf 'running 0 1\n' | as_user dd of="$fdir/state" conv=notrunc status=none
	check "stop of it prints its name and exits 0" -- bash -c "test \"\$(BERTH_ROOT=$FS/store berth stop fill)\" = fill"
	printf 'running 0 1\n' | as_user dd of="$fdir/state" conv=notrunc status=none
	check "kill of it says it is not running and exits 1" -- bash -c "BERTH_ROOT=$FS/store; berth kill fill 2>$T/kill.err; test \$? = 1 && grep -q 'fill is not running' $T/kill.err"
	printf 'running 0 1\n' | as_user dd of="$fdir/state" conv=notrunc status=none
	check "rm -f of it works on the full disk" -- bash -c "test \"\$(BERTH_ROOT=$FS/store berth rm -f fill)\" = fill"
	check "... nothing of it is left" -- bash -c "BERTH_ROOT=$FS/store gone fill $fdir"
	check "... and the space came back" -- test "$(avail)" -gt 81920
	check "... a new run works" -- bash -c "test \"\$(BERTH_ROOT=$FS/store run --rm $bb echo hi)\" = hi"

	# a detached container whose disk fills under it: stop, wait, rm
	check "a detached container that fills the disk" -- bash -c "BERTH_ROOT=$FS/store run -d --name dfill $bb sh -c 'dd if=/dev/zero of=/big bs=1M count=200 2>/dev/null; sleep 600' >/dev/null"
	check "... fills it" -- wait_for 30 bash -c "test \$(df -k --output=avail $FS | tail -1) -lt 1024"
	check "... runs (ps), and stop ends it" -- bash -c "BERTH_ROOT=$FS/store; berth ps | grep -qw dfill && berth stop -t 1 dfill >/dev/null && ! berth ps | grep -qw dfill"
	ddir=$FS/store/containers/$(BERTH_ROOT=$FS/store cid dfill)
	check "... rm -f removes it, nothing left, space back" -- bash -c "BERTH_ROOT=$FS/store berth rm -f dfill >/dev/null && BERTH_ROOT=$FS/store gone dfill $ddir && test \$(df -k --output=avail $FS | tail -1) -gt 81920"
	fs_cleanup
else
	skip "a tmpfs store needs root (mount -t tmpfs)"
fi

# ---- damaged records (rule 1, 2) ----
# damage ID HOW: one record spoiled
damage() {
	local d=$BERTH_ROOT/containers/$1
	case $2 in
	state-empty) as_user truncate -s 0 "$d/state" ;;
	state-garbage) printf 'r\x01\xffning zz\n' | as_user tee "$d/state" >/dev/null ;;
	state-missing) rm -f "$d/state" ;;
	config-truncated) as_user truncate -s 17 "$d/config.json" ;;
	config-garbage) printf '{{{{' | as_user tee "$d/config.json" >/dev/null ;;
	config-missing) rm -f "$d/config.json" ;;
	pid-garbage) printf 'x y\n' | as_user tee "$d/pid" >/dev/null ;;
	pid-missing) rm -f "$d/pid" ;;
	lock-missing) rm -f "$d/run.lock" ;;
	name-missing) rm -f "$d/name" ;;
	esac
}
for how in state-empty state-garbage state-missing config-truncated config-garbage config-missing \
	pid-garbage pid-missing lock-missing name-missing; do
	id=$(berth create $bb true 2>/dev/null)
	damage "$id" "$how"
	check "a stopped container with its $how: listed, rm -f removes it" -- bash -c "berth ps -a -q | grep -q ${id:0:12} && berth rm -f $id >/dev/null && gone $id $BERTH_ROOT/containers/$id"
done
for how in state-empty state-garbage pid-garbage pid-missing config-missing; do
	id=$(run -d $bb sleep 600 2>/dev/null)
	wait_for 10 bash -c "berth ps -q | grep -q ${id:0:12}"
	damage "$id" "$how"
	check "a running container with its $how: still running (ps), rm -f ends and removes it, no process, no mount" -- bash -c "berth ps -q | grep -q ${id:0:12} && berth rm -f $id >/dev/null && gone $id $BERTH_ROOT/containers/$id"
done
id=$(run -d $bb sleep 600 2>/dev/null)
check "a running container with its pid record lost: kill still reaches it" -- bash -c "wait_for 10 bash -c 'berth ps -q | grep -q ${id:0:12}' && rm -f $BERTH_ROOT/containers/$id/pid && berth kill $id >/dev/null && wait_for 10 bash -c '! berth ps -q | grep -q ${id:0:12}' && berth rm $id >/dev/null"

# a killed monitor: the container is exited, the record corrected, rm works
check "a killed monitor (kill -9): exited (137), rm removes it, nothing left" -- bash -c "
	id=\$(run -d $bb sleep 600) && dir=$BERTH_ROOT/containers/\$id &&
	wait_for 10 bash -c \"read -r h m _ <\$dir/pid && test \\\$m -gt 0\" && read -r h mon _ <\$dir/pid && kill -9 \$mon &&
	wait_for 10 bash -c \"berth ps -a | grep \${id:0:12} | grep -q 'Exited (137)'\" &&
	grep -q '^exited 137' \$dir/state && berth rm \$id >/dev/null && gone \$id \$dir"

# ---- two commands on one object at once (rule 6) ----
# both NAME CMD...: CMD twice at once; $T/o1 $T/e1 $T/r1 and 2
both() {
	"$@" >"$T/o1" 2>"$T/e1" & local p1=$!
	"$@" >"$T/o2" 2>"$T/e2" & local p2=$!
	wait $p1; echo $? >"$T/r1"
	wait $p2; echo $? >"$T/r2"
}
# one_won NAME WANT-OUT LOSER-ERR LOSER-RC: exactly one printed WANT-OUT
# with 0, the other LOSER-ERR on stderr with LOSER-RC
one_won() {
	local out=$1 err=$2 lrc=$3 a b
	for a in 1 2; do
		b=$((3 - a))
		if [ "$(cat "$T/o$a")" = "$out" ] && [ "$(cat "$T/r$a")" = 0 ] && [ ! -s "$T/e$a" ] &&
			[ ! -s "$T/o$b" ] && [ "$(cat "$T/e$b")" = "$err" ] && [ "$(cat "$T/r$b")" = "$lrc" ]; then
			return 0
		fi
	done
	for a in 1 2; do echo "#   $a: rc $(cat "$T/r$a") out [$(cat "$T/o$a")] err [$(cat "$T/e$a")]" >&2; done
	return 1
}
race_rm() {
	local i flag=$1 lrc=$2
	for i in $(seq 1 "$3"); do
		berth create --name "rr$i" $bb true >/dev/null || return 1
		both berth rm $flag "rr$i"
		one_won "rr$i" "Error: No such container: rr$i" "$lrc" || return 1
	done
	[ -z "$(ls -A "$BERTH_ROOT/containers")" ]
}
check "20 rounds of two rm -f at once: one removes and prints the name, the other 'No such container' and 0" -- race_rm -f 0 20
check "5 rounds of two rm at once: the loser exits 1" -- race_rm "" 1 5

race_run() {
	local i
	for i in 1 2 3 4 5; do
		both run -d --name "rn$i" $bb sleep 600
		local ok=0 a
		for a in 1 2; do [ "$(cat "$T/r$a")" = 0 ] && ok=$((ok + 1)); done
		[ $ok = 1 ] || { echo "#   round $i: $ok won" >&2; cat "$T"/e? >&2; return 1; }
		grep -q "the name \"rn$i\" is in use" "$T/e1" "$T/e2" || { cat "$T"/e? >&2; return 1; }
		[ "$(berth ps -a | grep -cw "rn$i")" = 1 ] || return 1
		[ "$(ls "$BERTH_ROOT/containers" | grep -c '^[0-9a-f]\{64\}$')" = 1 ] || return 1
		berth rm -f "rn$i" >/dev/null || return 1
	done
}
check "two run --name X at once (5 rounds): one wins, the other names the conflict, nothing half made" -- race_run

race_start() {
	local i id
	for i in $(seq 1 8); do
		id=$(berth create --name "rs$i" $bb sleep 600) || return 1
		berth start "rs$i" >"$T/so" 2>"$T/se" & local p=$!
		# a seeded moment for the rm: after the start began, or not
		sleep "0.$((RANDOM % 4))"
		berth rm -f "rs$i" >"$T/ro" 2>"$T/re" || { cat "$T/re" >&2; return 1; }
		wait $p; local src=$?
		[ "$(cat "$T/ro")" = "rs$i" ] || { cat "$T/re" >&2; return 1; }
		# the start ran (then rm -f ended it) or found no container
		[ $src = 0 ] || grep -qx "berth: no such container: .*" "$T/se" || { cat "$T/se" >&2; return 1; }
		gone "rs$i" "$BERTH_ROOT/containers/$id" || return 1
	done
}
seed=${BERTH_TEST_SEED:-$RANDOM}
RANDOM=$seed
diag "seed $seed (BERTH_TEST_SEED=$seed repeats the rm moments)"
check "rm -f against start (8 rounds): either order is consistent, nothing left running" -- race_start

race_named() { # KIND MAKE...
	local kind=$1 i; shift
	for i in 1 2 3 4 5; do
		berth "$kind" create "x$kind$i" >/dev/null || return 1
		both berth "$kind" rm -f "x$kind$i"
		one_won "x$kind$i" "Error: No such $kind: x$kind$i" 0 || return 1
		berth "$kind" create "y$kind$i" >/dev/null || return 1
		both berth "$kind" rm "y$kind$i"
		one_won "y$kind$i" "Error: No such $kind: y$kind$i" 1 || return 1
	done
}
check "two volume rm at once (5 rounds, with and without -f)" -- race_named volume
check "two network rm at once (5 rounds, with and without -f)" -- race_named network

race_rmi() {
	local i
	for i in 1 2 3 4 5; do
		berth tag $bb "localhost/t$i:1" || return 1
		both berth rmi -f "localhost/t$i:1"
		one_won "Untagged: localhost/t$i:1" "Error: No such image: localhost/t$i:1" 0 || return 1
	done
	berth images | grep -q bb
}
check "two rmi -f at once (5 rounds): one untags, the other 'No such image'" -- race_rmi

check "the store is usable after all of it" -- bash -c "test \"\$(run --rm $bb echo ok)\" = ok && test -z \"\$(berth ps -a -q)\""
finish
