#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth reaps every process it starts (docs/reliability.md): berth under
# a pid namespace whose pid 1 never reaps an orphan, as a CI job's
# container without an init has. Attached runs (slirp4netns, none, a
# published port, -t, a user network), a detached container with exec,
# stop and rm -f, one removed at once, a failed start: no live berth
# process is left, and the only zombies are the documented ones, the
# processes that outlive every berth command by design, so that nothing
# of berth's is left to reap them: each detached container's monitor,
# the user networks' keeper (once per keeper) and `image mount`'s
# berth-fs, each named and counted. A control orphan shows that
# this pid 1 really leaves zombies.
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_fuse
require_userns
require_slirp
if [ "$(id -u)" != 0 ] || [ -z "$BERTH_TEST_USER" ]; then
	skip "a pid namespace of its own needs root (runs berth as \$BERTH_TEST_USER)"
	finish
	exit
fi
py=$(command -v python3)

check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"

# pid 1: waits for its one child (waitpid on its pid), reaps nothing else
cat >"$T/pid1.py" <<'EOF'
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
EOF

# The test user's part, in the namespace. Each result is a line
# "STATUS DESCRIPTION" in $R, diagnostics "# ..." between them.
cat >"$T/inner.sh" <<'EOF'
set -u
R=$T/results
bb=localhost/bb:latest
export BERTH_FS XDG_RUNTIME_DIR=$T/run
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
b() { "$BERTH" "$@"; }
res() { echo "$1 $2" >>"$R"; }
chk() { # chk DESC CMD...: a result from a command's status
	local d=$1; shift
	if "$@" >"$T/in.out" 2>&1; then res 0 "$d"; else
		res 1 "$d"; sed 's/^/#   /' "$T/in.out" | head -20 >>"$R"; fi
}
# run -d, its ID in $id; the pid of its monitor (the pid file's second
# field: holder, monitor, start time) in $mon
detached() {
	id=$(b run -d "$@") && mon=$(cut -d' ' -f2 "$BERTH_ROOT/containers/$id/pid") && [ -n "$mon" ]
}
zombies() { ps -eo stat=,pid=,comm= | awk '$1 ~ /^Z/ {print $2, $3}' | sort -n; }
# what of berth's still runs: its programs, the containers' processes
alive() { ps -eo stat=,pid=,comm= | awk '$1 !~ /^Z/ && $3 ~ /^(berth|slirp4netns|init|sleep|exe)/ {print $2, $3}'; }
expect=""

# the control: an orphan that ends here stays a zombie
ctl=$(sh -c 'sleep 0.2 >/dev/null 2>&1 & echo $!')
expect="$expect $ctl"

for i in 1 2 3; do chk "attached run $i, slirp4netns" b run --rm $bb true; done
for i in 1 2; do chk "attached run $i, --network none" b run --rm --network none $bb true; done
chk "attached run, its status" sh -c "b() { \"\$BERTH\" \"\$@\"; }; b run --rm $bb sh -c 'exit 3'; test \$? = 3"
chk "attached run with a published port" b run --rm -p 8080 $bb true
chk "attached run with a terminal (-t: the CLI's own monitor)" sh -c "\"\$BERTH\" run --rm -t $bb true </dev/null"
chk "attached run whose command leaves a process behind" b run --rm $bb sh -c 'sleep 30 & exit 0'
chk "a failed attached start" sh -c "! \"\$BERTH\" run --rm $bb /nonexistent 2>/dev/null"
chk "a failed detached start (its monitor is the CLI's to reap)" \
	sh -c "! \"\$BERTH\" run -d --name bad $bb /nonexistent 2>/dev/null"
chk "... removed" b rm -f bad

# detached: exec, stop, rm -f
chk "run -d with a published port" detached --name d1 -p 8080 $bb sleep 100
m1=$mon
chk "exec in it" b exec d1 true
chk "exec's status" sh -c "\"\$BERTH\" exec d1 sh -c 'exit 4'; test \$? = 4"
chk "exec leaving a process behind" b exec d1 sh -c 'sleep 30 & exit 0'
chk "stop" b stop d1
chk "rm -f" b rm -f d1
chk "run -d" detached --name d2 $bb sleep 100
m2=$mon
chk "rm -f of the running container" b rm -f d2
expect="$expect $m1 $m2"

# a user network: its keeper leaves with the network
chk "network create" b network create reapnet
chk "attached run on a user network" b run --rm --network reapnet $bb true
keeper=$(ps -eo pid=,comm= | awk '$2 == "berth-netd" {print $1}')
chk "network rm" b network rm reapnet
[ -n "$keeper" ] && expect="$expect $keeper"

# berth image mount: berth-fs daemonises, for the mount outlives the
# command; it ends with the mount, with no berth process left to reap it
mkdir -p "$T/mnt"
chk "image mount" b image mount $bb "$T/mnt"
fsd=$(ps -eo pid=,comm= | awk '$2 == "berth-fs" {print $1}')
chk "image umount" b image umount "$T/mnt"
[ -n "$fsd" ] && expect="$expect $fsd"

# everything of berth's ends (the keeper within a second of its last
# network), bounded
for _ in $(seq 1 150); do [ -z "$(alive)" ] && break; sleep 0.1; done
left=$(alive)
res "$([ -z "$left" ] && echo 0 || echo 1)" "no live berth process is left"
[ -n "$left" ] && echo "$left" | sed 's/^/#   alive: /' >>"$R"

z=$(zombies)
echo "$z" | sed 's/^/#   zombie: /' >>"$R"
want=$(printf '%s\n' $expect | sort -n)
got=$(echo "$z" | awk '{print $1}')
res "$(echo "$z" | grep -q "^$ctl sleep$" && echo 0 || echo 1)" "control: this pid 1 leaves an orphan a zombie"
res "$([ "$got" = "$want" ] && echo 0 || echo 1)" "the only zombies: the control, each detached container's monitor, the keeper, image mount's berth-fs"
[ "$got" = "$want" ] || echo "#   want: $(echo $want)" >>"$R"
res "$(echo "$z" | awk -v a="$m1" -v b="$m2" '($1 == a || $1 == b) && $2 != "berth" {bad = 1} END {exit bad}' && echo 0 || echo 1)" "... the monitors' zombies are berth's monitors"
res "$([ -n "$keeper" ] && echo "$z" | grep -q "^$keeper berth-netd$" && echo 0 || echo 1)" "... the keeper's is berth-netd"
res "$([ -n "$fsd" ] && echo "$z" | grep -q "^$fsd berth-fs$" && echo 0 || echo 1)" "... image mount's is berth-fs"
EOF
chmod 0644 "$T/pid1.py" "$T/inner.sh"

start=$SECONDS
timeout 120 unshare -fp --mount-proc "$py" "$T/pid1.py" \
	runuser -u "$BERTH_TEST_USER" -- env -i PATH="$PATH" HOME="$T" LC_ALL=C.UTF-8 T="$T" \
	BERTH="$BERTH" BERTH_FS="$BERTH_FS" BERTH_ROOT="$BERTH_ROOT" \
	${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
	bash "$T/inner.sh" >"$T/inner.log" 2>&1
rc=$?
ok "$rc" "the scenario ran to its end in the pid namespace ($((SECONDS - start)) s)"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/inner.log" | tail -20
while IFS= read -r line; do
	case $line in
	"#"*) echo "$line" ;;
	*) ok "${line%% *}" "${line#* }" ;;
	esac
done <"$T/results"

# afterwards, outside: the store is usable and holds no container
check "the store is usable and empty of containers afterwards" -- bash -c \
	'test -z "$(berth ps -aq)" && berth run --rm --network none localhost/bb:latest true'
finish
