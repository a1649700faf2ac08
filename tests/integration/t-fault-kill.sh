#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# t-fault-kill: berth killed (SIGKILL) at seeded random moments of an
# import or load (fed through a FIFO, so the moment is a point in the
# input), a commit, a save, an `rm -f` and a `run`'s start (issue 23).
# After each: the next command cleans up, no partial image is listed, no
# partial file is left, `system check` finds nothing, every container
# goes with `rm -f`, and nothing of the test's is left running (berth,
# berth-fs, a monitor, slirp4netns) and no zombie. Then the load cases
# that must keep holding: 40 containers at once, 300 runs in a row (the
# store the same size), four imports while one of them is removed, a
# killed monitor. BERTH_FAULT_SEED=N replays a run's moments.
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_fuse
require_userns

uid=$(as_user id -u)
SEED=${BERTH_FAULT_SEED:-$(($(date +%s%N) % 32768))}
RANDOM=$SEED
diag "seed $SEED (BERTH_FAULT_SEED=$SEED replays these moments)"
# under the sanitizers each command is several times slower: fewer rounds
SLOW=0
case "$BERTH" in *build-asan*) SLOW=1 ;; esac
[ -n "${ASAN_OPTIONS:-}" ] && SLOW=1
ROUNDS=$((SLOW ? 2 : 3))
NET=none
command -v slirp4netns >/dev/null && as_user test -w /dev/net/tun && NET=slirp4netns

pre_cleanup() { rm_all_containers; }

berth load -q -i "$FIXTURES/podman-bb.oci-archive.tar" >/dev/null
bb=localhost/bb
MULTI="$FIXTURES/podman-multilayer.docker-archive.tar"

# a random number of milliseconds below $1, as seconds for sleep
moment() { printf '0.%03d' $((RANDOM % $1)); }

# nothing of this test's is left, no zombie that lasts (lib.sh)
nothing_left() { nothing_of_test_left "$uid"; }
# wait (bounded) for a killed command's helpers to go
settled() { wait_for 10 nothing_left 2>/dev/null || nothing_left; }

# the check finds nothing (a killed command's helpers, slirp4netns among
# them, may take a moment to go: bounded)
store_clean() {
	wait_for 10 berth system check >"$T/sc.out" 2>&1 || { cat "$T/sc.out" >&2; return 1; }
	[ -z "$(ls -A "$BERTH_ROOT/tmp")" ] || { ls -la "$BERTH_ROOT/tmp" >&2; return 1; }
}
# the images listed are these (names, sorted)
images_are() {
	[ "$(berth images | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' ')" = "$*" ] || {
		berth images >&2
		return 1
	}
}
# kill -9 the command: the oldest process of the test user's whose
# command line matches (a run's monitor and holder, forked later, carry
# the same title)
kill_one() { # PATTERN
	local pid
	pid=$(pgrep -o -u "$uid" -f "$1") || return 0 # done before the moment
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# ---- import and load, killed at a point of their input ---------------------
killed_input() { # VERB: load or import
	local fifo="$T/in.fifo" w pid size bytes st=0
	size=$(stat -c %s "$MULTI")
	bytes=$(((RANDOM * 32768 + RANDOM) % size))
	rm -f "$fifo" && as_user mkfifo "$fifo" || return 1
	exec {w}<>"$fifo"
	if [ "$1" = load ]; then
		berth load -q -i "$fifo" >/dev/null 2>&1 {w}>&- &
	else
		berth import -q "$fifo" localhost/imp >/dev/null 2>&1 {w}>&- &
	fi
	pid=$!
	diag "$1 killed after $bytes of $size bytes"
	timeout 20 head -c "$bytes" "$MULTI" >&$w
	sleep "$(moment 300)"
	kill_one "$1 -q.* $fifo"
	exec {w}>&-
	wait $pid || st=$?
	[ $st = 137 ] || { echo "#   not killed: status $st" >&2; return 1; }
	images_are "localhost/bb " && settled && store_clean
}
for i in $(seq $ROUNDS); do
	verb=$([ $((i % 2)) = 1 ] && echo load || echo import)
	check "$verb killed at a random point of its input ($i): no image, no stage, the check clean" -- killed_input $verb
done

# ---- commit -----------------------------------------------------------------
b run --name kc --network none $bb sh -c 'for i in 1 2 3 4 5 6; do dd if=/dev/urandom of=/f$i bs=1M count=1 2>/dev/null; done' || true
killed_commit() {
	local pid st=0
	berth commit kc localhost/kc >/dev/null 2>&1 &
	pid=$!
	sleep "$(moment 600)"
	kill_one "commit kc"
	wait $pid || st=$?
	diag "commit: status $st"
	# killed before the image was recorded: nothing; after (even before
	# it could say so): a whole image that runs
	if [ $st = 0 ] || berth images | grep -q '^localhost/kc '; then
		[ "$(b run --rm --network none localhost/kc sh -c 'ls /f* | wc -l')" = 6 ] &&
			berth rmi localhost/kc >/dev/null || return 1
	fi
	images_are "localhost/bb " && berth image prune -f >/dev/null && settled && store_clean
}
for i in $(seq $ROUNDS); do
	check "commit (6 MB written) killed at a random moment ($i): no partial image, the check clean" -- killed_commit
done

b rm kc >/dev/null

# ---- save -------------------------------------------------------------------
killed_save() {
	local pid st=0
	berth save -o "$T/out/saved.tar" $bb 2>/dev/null &
	pid=$!
	sleep "$(moment 150)"
	kill_one "save -o $T/out"
	wait $pid || st=$?
	diag "save: status $st; $(ls "$T/out" | wc -l) file(s)"
	# a kill after the file is linked in, before save exits, leaves it
	# whole: whatever the status, a file there must be complete
	if [ $st = 0 ] || [ -e "$T/out/saved.tar" ]; then
		tar -tf "$T/out/saved.tar" | grep -q manifest.json && rm "$T/out/saved.tar" || return 1
	fi
	[ -z "$(ls -A "$T/out")" ] || { ls -la "$T/out" >&2; return 1; }
	store_clean
}
as_user mkdir "$T/out"
for i in $(seq $ROUNDS); do
	check "save killed at a random moment ($i): no partial file (complete or nothing)" -- killed_save
done

# ---- rm -f --------------------------------------------------------------------
# killed NAME MS PATTERN CMD...: CMD in the background, its process
# (kill_one PATTERN) killed at a random moment below MS ms; then the next
# rm -f of the container NAME finishes it (or finds it gone), and nothing
# of it is left
killed() {
	local name=$1 ms=$2 pat=$3 pid st=0
	shift 3
	"$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$(moment "$ms")"
	kill_one "$pat"
	# (run's CLI: a detached container's monitor is on its own)
	wait $pid || st=$?
	diag "$pat: status $st"
	b rm -f "$name" >/dev/null 2>&1
	[ -z "$(berth ps -a -q)" ] && settled && store_clean
}
killed_rm() {
	b run -d --name kr --network $NET $bb sleep 100 >/dev/null || return 1
	killed kr 200 "rm -f kr" b rm -f kr
}
for i in $(seq $ROUNDS); do
	check "rm -f of a running container killed at a random moment ($i): the next rm -f removes it, nothing left" -- killed_rm
done

# ---- run's start ---------------------------------------------------------
# DETACH (-d or "")
killed_run() { killed ks 400 "run ks" b run $1 --name ks --network $NET $bb sleep 100; }
for i in $(seq $ROUNDS); do
	d=$([ $((i % 2)) = 1 ] && printf %s -d)
	check "run ${d:-(attached)} killed at a random moment of its start ($i): rm -f removes it, nothing left" -- killed_run "$d"
done

# ---- what already holds -------------------------------------------------
at_once() { # N
	local i pids=() bad=0 st t0=$SECONDS
	for i in $(seq "$1"); do
		b run --rm --network none $bb sh -c "exit $((i % 7))" >/dev/null 2>"$T/once.$i.err" &
		pids+=($!)
	done
	for i in $(seq "$1"); do
		st=0
		wait "${pids[$((i - 1))]}" || st=$?
		[ $st = $((i % 7)) ] || { echo "#   container $i: status $st, not $((i % 7)): $(cat "$T/once.$i.err")" >&2; bad=1; }
	done
	diag "$1 at once: $((SECONDS - t0)) s"
	[ $bad = 0 ] && [ -z "$(berth ps -a -q)" ] && settled && store_clean
}
check "40 containers started at once all return their exit code and leave nothing" -- at_once 40

in_a_row() { # N
	local before after t0 t1 i
	before=$(du -sb --exclude=store.lock "$BERTH_ROOT" | cut -f1)
	t0=$(date +%s%N)
	for i in $(seq "$1"); do
		b run --rm --network none $bb true || { echo "#   run $i failed" >&2; return 1; }
	done
	t1=$(date +%s%N)
	after=$(du -sb --exclude=store.lock "$BERTH_ROOT" | cut -f1)
	diag "$1 runs in a row: $(((t1 - t0) / 1000000 / $1)) ms per run; store $before -> $after bytes"
	[ "$before" = "$after" ] && [ -z "$(berth ps -a -q)" ] && store_clean
}
check "$((SLOW ? 50 : 300)) runs in a row leave the store the same size" -- in_a_row $((SLOW ? 50 : 300))

imports_and_rmi() {
	local i pids=() st bad=0 rmi_pid
	for i in 1 2 3 4; do
		berth import -q "$T/imp$i.tar" localhost/imp$i >/dev/null 2>"$T/imp$i.err" &
		pids+=($!)
	done
	# another process removes imp2 while they run: until it is in and gone
	# (rmi -f of a name not there yet exits 0 too, as docker's: what it
	# prints says whether it removed anything)
	bash -c 'for _ in $(seq 200); do berth rmi -f localhost/imp2 2>/dev/null | grep -q . && exit 0; sleep 0.05; done; exit 1' &
	rmi_pid=$!
	for i in 1 2 3 4; do
		st=0
		wait "${pids[$((i - 1))]}" || st=$?
		[ $st = 0 ] || { echo "#   import $i: status $st: $(cat "$T/imp$i.err")" >&2; bad=1; }
	done
	wait $rmi_pid || { echo "#   imp2 was never removed" >&2; bad=1; }
	[ $bad = 0 ] && images_are "localhost/bb localhost/imp1 localhost/imp3 localhost/imp4 " || return 1
	for i in 1 3 4; do
		[ "$(b run --rm --network none localhost/imp$i cat /which)" = $i ] || return 1
	done
	berth rmi localhost/imp1 localhost/imp3 localhost/imp4 >/dev/null && berth image prune -f >/dev/null &&
		store_clean
}
for i in 1 2 3 4; do
	mkdir -p "$T/imp$i/bin" && cp /bin/busybox "$T/imp$i/bin/busybox" && ln -s busybox "$T/imp$i/bin/cat" &&
		echo $i >"$T/imp$i/which" && head -c 2000000 /dev/urandom >"$T/imp$i/data" &&
		tar --numeric-owner --owner=0 --group=0 -C "$T/imp$i" -cf "$T/imp$i.tar" . && chmod 0644 "$T/imp$i.tar"
done
check "four concurrent imports while another process removes one of them" -- imports_and_rmi

killed_monitor() {
	local mon
	b run -d --name km --network $NET $bb sleep 100 >/dev/null || return 1
	# the monitor: the container's berth process whose parent is gone
	mon=$(ps -u "$uid" -o pid=,ppid=,args= | awk '$2 == 1 && $3 == "berth" && $4 == "run" && $5 == "km" { print $1 }')
	[ -n "$mon" ] || { echo "#   no monitor found" >&2; return 1; }
	kill -KILL $mon
	wait_for 10 bash -c 'berth ps -a | grep -E "^[0-9a-f]+ +Exited .* km "' || { berth ps -a >&2; return 1; }
	b rm -f km >/dev/null && [ -z "$(berth ps -a -q)" ] && settled && store_clean
}
check "a killed monitor shows the container as exited, and it is removable" -- killed_monitor

after_all() { settled && store_clean; }
check "after everything: the check is clean and nothing of the test's is left" -- after_all
finish
