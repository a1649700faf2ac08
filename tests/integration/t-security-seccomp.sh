#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Confinement defaults, attacked from inside a container (run, create +
# start, exec): the seccomp allow-list (io_uring, personality, vsock,
# namespaces through clone and unshare, the keyring, numbers newer than
# the filter, the x86 ABI through int 0x80), the capability sets (podman's
# eleven, no inheritable or ambient capabilities: a +ei file executed
# after a switch to another user gains nothing), no_new_privs left off
# when asked while seccomp stays on, and docker JSON profiles
# (--security-opt seccomp=FILE), good and bad. tests/attack/attack-sys
# makes the raw calls; the probe reads /proc/self/status. Each attack is
# also run where it succeeds (seccomp=unconfined) when that shows the
# check could fail.
. "$(dirname "$0")/../lib.sh"
require_fuse
require_userns

# tb ARGS...: berth under timeout (124 when it hung)
tb() { timeout -k 5 60 bash -c 'b "$@"' _ "$@"; }
run() { tb run "$@"; }
export -f b tb run expect_fail

check_subuid

pre_cleanup() { rm_all_containers; }

tools_image localhost/sys:latest
img=localhost/sys:latest
N="--rm --network none"
export img N

# has OUT NAME RESULT: the attack helper's line "NAME RESULT" is there
has() { grep -qx "$2 $3" <<<"$1" || { echo "#   want \"$2 $3\", got: $(grep "^$2 " <<<"$1")" >&2; return 1; }; }
export -f has

DEF=$(run $N $img /attack-sys calls 2>&1)
OPEN=$(run $N --security-opt seccomp=unconfined $img /attack-sys calls 2>&1)
export DEF OPEN
diag "default filter: $(tr '\n' ' ' <<<"$DEF")"
diag "unconfined:     $(tr '\n' ' ' <<<"$OPEN")"

# ---- seccomp: refused by name ----
check "io_uring_setup, _enter, _register: EPERM (native and x86)" -- bash -c '
	for c in io_uring_setup io_uring_enter io_uring_register x86-io_uring_setup; do
		has "$DEF" $c EPERM || exit 1; done'
check "... where without the filter io_uring_setup works" -- has "$OPEN" io_uring_setup ok
check "keyctl and add_key: EPERM (native and x86)" -- bash -c '
	has "$DEF" keyctl EPERM && has "$DEF" add_key EPERM && has "$DEF" x86-keyctl EPERM &&
	! grep -qx "keyctl EPERM" <<<"$OPEN"'
check "unshare(CLONE_NEWUSER), unshare(CLONE_NEWNS): EPERM (native and x86)" -- bash -c '
	has "$DEF" unshare-user EPERM && has "$DEF" unshare-mnt EPERM &&
	has "$DEF" x86-unshare-user EPERM && has "$OPEN" unshare-user ok'
check "userfaultfd: EPERM" -- has "$DEF" userfaultfd EPERM

# ---- seccomp: refused by argument ----
check "clone(CLONE_NEWUSER): EPERM, where without the filter it works" -- bash -c '
	has "$DEF" clone-newuser EPERM && has "$OPEN" clone-newuser ok'
check "clone3: ENOSYS (the C library falls back to clone)" -- has "$DEF" clone3 ENOSYS
check "personality(PER_BSD) and ADDR_NO_RANDOMIZE: EPERM (native and x86)" -- bash -c '
	has "$DEF" personality-bsd EPERM && has "$DEF" personality-noaslr EPERM &&
	has "$DEF" x86-personality-bsd EPERM && has "$OPEN" personality-bsd ok'
check "personality(PER_LINUX) and the query: allowed" -- bash -c '
	has "$DEF" personality-linux ok && has "$DEF" personality-query ok'
check "socket(AF_VSOCK): EPERM, also with the register's upper half set, and on x86" -- bash -c '
	has "$DEF" socket-vsock EPERM && has "$DEF" socket-vsock-high EPERM &&
	has "$DEF" x86-socket-vsock EPERM && has "$OPEN" socket-vsock ok'
check "x86 socketcall(SYS_SOCKET) (its family out of the filter's sight): EPERM" -- bash -c '
	has "$DEF" x86-socketcall-vsock EPERM && has "$OPEN" x86-socketcall-vsock ok'
check "socket(AF_UNIX), socket(AF_INET): allowed (native and x86)" -- bash -c '
	has "$DEF" socket-unix ok && has "$DEF" socket-inet ok && has "$DEF" x86-socket-unix ok'
check "ioctl(TIOCSTI): EPERM" -- has "$DEF" ioctl-tiocsti EPERM

# ---- seccomp: numbers the filter does not know ----
check "syscall 1000: ENOSYS (native and x86)" -- bash -c '
	has "$DEF" nr-1000 ENOSYS && has "$DEF" x86-nr-1000 ENOSYS'
max=$("${BERTH_ATTACK_DIR:-$SRCDIR/build/tests/attack}/attack-sys" max-known)
next=$((max + 1))
diag "the highest number libseccomp knows here: $max"
check "syscall $next (just past what libseccomp knows): ENOSYS" -- bash -c "
	run $N $img /attack-sys nr $next | grep -qx '$next ENOSYS'"
if run $N --security-opt seccomp=unconfined $img /attack-sys nr $next | grep -qx "$next ENOSYS"; then
	diag "this kernel has no syscall $next either: the check above could not fail here"
else
	check "... which this kernel has: without the filter it is no ENOSYS" -- bash -c "
		! run $N --security-opt seccomp=unconfined $img /attack-sys nr $next | grep -qx '$next ENOSYS'"
fi

# ---- seccomp: what a capability lifts, and a normal workload ----
check "--cap-add SYS_ADMIN lifts its group: unshare(CLONE_NEWNS) works, clone3 is no ENOSYS" -- bash -c "
	out=\$(run $N --cap-add SYS_ADMIN $img /attack-sys calls)
	has \"\$out\" unshare-mnt ok && ! grep -qx 'clone3 ENOSYS' <<<\"\$out\" &&
	has \"\$out\" io_uring_setup EPERM"
check "a workload: sh, ls, a pipeline, threads, fork, clone" -- bash -c "
	test \"\$(run $N $img sh -c 'ls / | grep -c attack-sys; echo a b | tr a-z A-Z | wc -w')\" = \"\$(printf '1\n2')\" &&
	run $N $img /attack-sys workload | grep -qx 'workload ok'"
if [ $SUBUID = 1 ]; then
	check "... and as -u 1000" -- bash -c "run $N -u 1000 $img sh -c '/attack-sys workload && ls /tmp | wc -l' | grep -qx 'workload ok'"
fi

# ---- the other paths: create + start, exec ----
check "create + start -a: the same refusals" -- bash -c "
	id=\$(tb create --network none $img /attack-sys calls) && out=\$(tb start -a \$id) &&
	has \"\$out\" io_uring_setup EPERM && has \"\$out\" socket-vsock EPERM &&
	has \"\$out\" nr-1000 ENOSYS && tb rm \$id >/dev/null"
check "exec into a running container: the same refusals and capabilities" -- bash -c "
	tb run -d --name ex --network none $img sleep 60 >/dev/null &&
	out=\$(tb exec ex /attack-sys calls) && st=\$(tb exec ex /probe status) &&
	has \"\$out\" io_uring_setup EPERM && has \"\$out\" clone-newuser EPERM &&
	has \"\$out\" personality-bsd EPERM && grep -qx 'Seccomp 2' <<<\"\$st\" &&
	grep -qx 'CapEff 00000000800405fb' <<<\"\$st\" && grep -qx 'CapInh 0000000000000000' <<<\"\$st\""

# ---- capabilities ----
ST=$(run $N $img /probe status)
export ST
check "root: CapEff and CapPrm are podman's eleven (0x800405fb), the bounding set too" -- bash -c '
	grep -qx "CapEff 00000000800405fb" <<<"$ST" && grep -qx "CapPrm 00000000800405fb" <<<"$ST" &&
	grep -qx "CapBnd 00000000800405fb" <<<"$ST"'
check "root: no NET_RAW (a raw socket is refused; --cap-add NET_RAW gives it back)" -- bash -c "
	has \"\$DEF\" socket-raw EPERM &&
	run $N --cap-add NET_RAW $img /attack-sys calls | grep -qx 'socket-raw ok'"
check "root: CapInh and CapAmb 0" -- bash -c '
	grep -qx "CapInh 0000000000000000" <<<"$ST" && grep -qx "CapAmb 0000000000000000" <<<"$ST"'
if [ $SUBUID = 1 ]; then
	check "-u 1000: CapInh, CapAmb, CapEff 0 (run and exec)" -- bash -c "
		out=\$(run $N -u 1000 $img /probe status; tb exec -u 1000 ex /probe status) &&
		test \$(grep -c 'CapInh 0000000000000000' <<<\"\$out\") = 2 &&
		test \$(grep -c 'CapAmb 0000000000000000' <<<\"\$out\") = 2 &&
		test \$(grep -c 'CapEff 0000000000000000' <<<\"\$out\") = 2"
fi
b rm -f ex >/dev/null 2>&1

# ---- no_new_privs ----
check "no_new_privs on by default, with the filter" -- bash -c '
	grep -qx "NoNewPrivs 1" <<<"$ST" && grep -qx "Seccomp 2" <<<"$ST"'
check "no-new-privileges=false: NoNewPrivs 0 and still Seccomp 2" -- bash -c "
	out=\$(run $N --security-opt no-new-privileges=false $img /probe status) &&
	grep -qx 'NoNewPrivs 0' <<<\"\$out\" && grep -qx 'Seccomp 2' <<<\"\$out\""

# ---- a +ei file in a volume, executed after a switch to another user ----
# (CVE-2022-27649: with root's inheritable set full, uid 1000 would gain
# what the file's inheritable set asks for; no_new_privs off, as the
# attacker wants). The file's own +p capabilities (the control) show that
# file capabilities work on that mount, so a 0 is the inheritable set's.
capexec() { # capexec MODE [run flags...]: setcap MODE on a probe copy in a volume, run it as 1000
	local mode=$1; shift
	run $N -v capvol:/vol --security-opt no-new-privileges=false "$@" $img sh -c \
		"cp /probe /vol/p-$mode && /attack-sys setcap /vol/p-$mode $mode >/dev/null && /attack-sys su-exec 1000 /vol/p-$mode status"
}
export -f capexec
if [ $SUBUID = 1 ]; then
	check "a +ei file run by uid 1000 (from root, no_new_privs off) gains nothing: CapEff 0" -- bash -c '
		out=$(capexec i) && grep -qx "NoNewPrivs 0" <<<"$out" && grep -qx "Seccomp 2" <<<"$out" &&
		grep -qx "CapEff 0000000000000000" <<<"$out" && grep -qx "CapPrm 0000000000000000" <<<"$out"'
	check "... nor with seccomp=unconfined" -- bash -c '
		out=$(capexec i --security-opt seccomp=unconfined) && grep -qx "NoNewPrivs 0" <<<"$out" &&
		grep -qx "CapEff 0000000000000000" <<<"$out"'
	check "... while the same file with +ep capabilities does raise uid 1000 (file capabilities work there)" -- bash -c '
		out=$(capexec p) && grep -qx "CapEff 00000000000000e3" <<<"$out"'
else
	check "without a subuid range there is no other user to switch to (the +ei attack needs one)" -- bash -c '
		out=$(capexec i 2>&1); grep -q "setresuid" <<<"$out" && ! grep -q "^CapEff" <<<"$out"'
fi
b volume rm capvol >/dev/null 2>&1

# ---- docker JSON profiles ----
cat >"$T/deny-mkdir.json" <<'EOF'
{
	"defaultAction": "SCMP_ACT_ALLOW",
	"archMap": [
		{ "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
		{ "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] }
	],
	"syscalls": [
		{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122,
		  "comment": "EDQUOT: unmistakable" },
		{ "names": ["personality"], "action": "SCMP_ACT_ERRNO",
		  "args": [{ "index": 0, "value": 6, "op": "SCMP_CMP_EQ" }] },
		{ "names": ["no_such_call_anywhere"], "action": "SCMP_ACT_KILL" }
	]
}
EOF
printf 'not json {' >"$T/notjson.json"
echo '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_EXPLODE" } ] }' >"$T/badaction.json"
echo '{ "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 0, "value": 1, "op": "SCMP_CMP_ROUGHLY" } ] } ] }' >"$T/badop.json"
chmod 0644 "$T"/*.json
mkdir_out() { run $N --security-opt "seccomp=$1" $img sh -c 'mkdir /tmp/d 2>&1; touch /tmp/f && echo touched'; }
export -f mkdir_out
check "a profile denying mkdir: mkdir fails with its errnoRet (EDQUOT), the rest works" -- bash -c "
	out=\$(mkdir_out '$T/deny-mkdir.json') && grep -q 'quota exceeded' <<<\"\$out\" &&
	grep -qx touched <<<\"\$out\""
check "... argument rules too: personality(PER_BSD) EPERM, PER_LINUX fine" -- bash -c "
	out=\$(run $N --security-opt seccomp='$T/deny-mkdir.json' $img /attack-sys calls) &&
	has \"\$out\" personality-bsd EPERM && has \"\$out\" personality-linux ok &&
	has \"\$out\" io_uring_setup ok"
check "... and the profile replaces the default: Seccomp 2, one filter" -- bash -c "
	run $N --security-opt seccomp='$T/deny-mkdir.json' $img grep -E '^Seccomp_filters:' /proc/self/status | grep -q '1\$'"
check "create copies the profile: start and exec use the copy after the file changed and went" -- bash -c "
	cp '$T/deny-mkdir.json' '$T/moving.json' && chmod 0644 '$T/moving.json' &&
	id=\$(tb create --name prof --network none --security-opt seccomp='$T/moving.json' $img sh -c 'mkdir /tmp/d 2>&1; sleep 60') &&
	echo '{\"defaultAction\": \"SCMP_ACT_ALLOW\"}' >'$T/moving.json' && rm '$T/moving.json' &&
	tb start prof >/dev/null && wait_for 10 bash -c \"tb logs prof 2>&1 | grep -q 'quota exceeded'\" &&
	tb exec prof sh -c 'mkdir /tmp/e' 2>&1 | grep -q 'quota exceeded' && tb rm -f prof >/dev/null"
count() { ls "$BERTH_ROOT/containers" 2>/dev/null | wc -l; }
export -f count
# bad FILE SUBSTRING: run and create fail with one line naming the file and the problem, nothing made
bad() {
	local f=$1 want=$2 before verb
	before=$(count)
	for verb in run create; do
		tb $verb --network none --security-opt "seccomp=$f" $img true >/dev/null 2>"$T/bad.err" && return 1
		[ "$(wc -l <"$T/bad.err")" = 1 ] || { cat "$T/bad.err" >&2; return 1; }
		grep -qF -- "$f" "$T/bad.err" && grep -qF -- "$want" "$T/bad.err" || { cat "$T/bad.err" >&2; return 1; }
	done
	[ "$(count)" = "$before" ]
}
export -f bad
check "not JSON: one line naming the file, no container made" -- bad "$T/notjson.json" "not valid JSON"
check "an unknown action: one line naming the file and the field" -- bad "$T/badaction.json" 'syscalls[0].action: unknown action "SCMP_ACT_EXPLODE"'
check "an unknown operator: one line naming the file and the field" -- bad "$T/badop.json" 'syscalls[0].args[0].op: unknown operator'
check "a missing file: one line naming it" -- bad "$T/nope.json" "No such file"
check "a directory is no profile" -- bad "$T" "not a regular file"
check "seccomp= without a file is a usage error" -- expect_fail "seccomp=FILE" b run --security-opt seccomp= $img true

# ---- a berth profile's [security] seccomp = ./FILE ----
mkdir -p "$T/prof" && cp "$T/deny-mkdir.json" "$T/prof/deny.json"
printf '[sandbox]\nimage = %s\nremove = true\n[network]\nmode = none\n[security]\nseccomp = ./deny.json\n' "$img" >"$T/prof/box.ini"
chmod -R a+rX "$T/prof"
check "a profile's seccomp = ./deny.json is read from the profile's directory" -- bash -c "
	cd / && tb run --profile '$T/prof/box.ini' $img sh -c 'mkdir /tmp/d' 2>&1 | grep -q 'quota exceeded'"

check "nothing left: no container" -- bash -c 'test "$(count)" = 0'
finish
