#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hardening, attacked from inside containers (docs/security.md): no host
# descriptor reaches a container or a helper (fds leaked by berth's caller
# at several numbers; exec's joiner racing a grabber 200 times; a working
# directory that is a magic link), nothing of the caller's reaches the
# container's command or the helpers (signals, environment), the CLI never
# stops while its container runs, a helper that dies or stops ends or is
# restarted with the reason shown, and a store path holding ':' and ','.
# Every check looks at the host side: a victim directory's tree hash, the
# berth binary's mode and hash, the process table, the mounts.
. "$(dirname "$0")/../lib.sh"
require_fuse
require_userns
require_slirp

uid=$(as_user id -u)
tools_image localhost/tools
img=localhost/tools
# the berth binary the attacks aim at is the user's own, as on a real
# machine (the one under test may be root's, which the user cannot chmod)
cp "$BERTH" "$T/berth-own" && chmod 0755 "$T/berth-own"
[ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ] && chown "$BERTH_TEST_USER": "$T/berth-own"
own_sum=$(sha256sum <"$T/berth-own")
b() { as_user env BERTH_FS="$BERTH_FS" "$T/berth-own" "$@"; }
export -f b
export img uid

# a victim: a directory of the user's, as a home with an .ssh would be
mkdir -p "$T/victim/.ssh" && echo key >"$T/victim/.ssh/authorized_keys" && chmod 0700 "$T/victim" "$T/victim/.ssh"
[ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ] && chown -R "$BERTH_TEST_USER": "$T/victim"
victim=$(tree_hash "$T/victim")
victim_intact() {
	[ "$(tree_hash "$T/victim")" = "$victim" ] || { echo "#   the victim directory changed" >&2; return 1; }
	[ "$(sha256sum <"$T/berth-own")" = "$own_sum" ] || { echo "#   the berth binary changed" >&2; return 1; }
	[ "$(stat -c %a "$T/berth-own")" = 755 ] || { echo "#   the berth binary's mode changed" >&2; return 1; }
	[ -z "$(find "$T" -name 'PWNED*' 2>/dev/null | head -1)" ] || { echo "#   a mark was written: $(find "$T" -name 'PWNED*')" >&2; return 1; }
}
export -f victim_intact tree_hash wait_for expect_fail
export victim own_sum

# a container's own helpers (other tests run beside this one, as the same
# user): berth-fs by its mount point, slirp4netns by the container's
# holder (the parent of its pid 1), whose namespaces it was given
cid() { b inspect --type container "$1" | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["Id"])'; }
fs_of() { pgrep -u "$uid" -f "berth-fs.*$(cid "$1")"; }
slirp_of() {
	local init holder
	init=$(b inspect --type container "$1" | python3 -c 'import json,sys;print(json.load(sys.stdin)[0]["State"]["Pid"])') &&
		holder=$(ps -o ppid= -p "$init" | tr -d ' ') && [ -n "$holder" ] &&
		pgrep -u "$uid" -f "^slirp4netns .*/proc/$holder/ns/user "
}
export -f cid fs_of slirp_of

# ---- descriptors berth's caller leaves open ----
hard=$(as_user bash -c 'ulimit -Hn')
high=$((hard - 1))
[ "$high" -gt 70000 ] && high=70000
diag "leaking the victim at fds 5, 100, 1100, 4096 and $high (the user's hard limit is $hard)"
leak() { # leak CMD...: run CMD as the user with the victim open at each number
	as_user bash -c "ulimit -n $hard; exec 5<'$T/victim' 100<'$T/victim' 1100<'$T/victim' 4096<'$T/victim' $high<'$T/victim'; \"\$@\"" leak "$@"
}
export -f leak
export hard high
check "run: the command sees none of the caller's fds" -- bash -c "
	out=\$(leak env BERTH_FS=$BERTH_FS '$T/berth-own' run --rm --network none $img /attack-fd scan $high) &&
	! echo \"\$out\" | grep -q . || { echo \"\$out\"; false; }"
check "run: a write through /proc/self/fd/1100 does not reach the host" -- bash -c "
	leak env BERTH_FS=$BERTH_FS '$T/berth-own' run --rm --network none $img sh -c 'echo x >/proc/self/fd/1100/PWNED' 2>/dev/null; victim_intact"
check "run -d with a port and the default network: no process of the user holds the victim" -- bash -c "
	leak env BERTH_FS=$BERTH_FS '$T/berth-own' run -d --name leaky -p 127.0.0.1::8080 $img sleep 300 >/dev/null &&
	leak env BERTH_FS=$BERTH_FS '$T/berth-own' exec leaky sleep 0.1
	bad=\$(for p in \$(pgrep -u $uid); do ls -l /proc/\$p/fd 2>/dev/null | grep -q '$T/victim' && cat /proc/\$p/comm; done)
	test -z \"\$bad\" || { echo \"holding it: \$bad\"; false; }"
check "... berth-fs, slirp4netns and the forwarder are among them" -- bash -c "
	id=\$(cid leaky) && port=\$(b port leaky 8080 | sed 's/.*://') &&
	pgrep -u $uid -f \"berth-fs.*\$id\" >/dev/null && slirp_of leaky >/dev/null &&
	ss -Hltnp \"sport = :\$port\" | grep -q berth-ports"
check "exec: the command sees none of the caller's fds" -- bash -c "
	out=\$(leak env BERTH_FS=$BERTH_FS '$T/berth-own' exec leaky /attack-fd scan $high) && ! echo \"\$out\" | grep -q . || { echo \"\$out\"; false; }"
check "create and start: none either" -- bash -c "
	leak env BERTH_FS=$BERTH_FS '$T/berth-own' create --name leaky2 --network none $img sh -c 'echo x >/proc/self/fd/1100/PWNED; /attack-fd scan $high' >/dev/null &&
	out=\$(leak env BERTH_FS=$BERTH_FS '$T/berth-own' start -a leaky2 2>&1); ! echo \"\$out\" | grep -q '^fd ' && victim_intact"
b rm -f leaky leaky2 >/dev/null 2>&1

# ---- exec's joiner raced by a grabber in the container ----
check "a container grabbing every /proc/PID/fd and exe while exec runs 200 times gets nothing of the host" -- bash -c "
	b run -d --name grab --network none -w / $img /attack-fd grab 600 PWNED >/dev/null || exit 1
	for i in \$(seq 1 200); do b exec grab true || exit 1; done
	b logs grab >'$T/grab.log'; b rm -f grab >/dev/null
	victim_intact || { grep GOT '$T/grab.log' | sort | uniq -c | head; false; }"
check "... and no exec'd process but the command was ever reachable by it" -- bash -c "
	! grep -E 'GOT (file|dir) /proc/[0-9]+/fd/' '$T/grab.log' | head -3 | grep ."

# ---- the working directory ----
check "a workdir replaced by a magic link (/proc/self/fd/3) is refused by exec, naming it" -- bash -c "
	b run -d --name wd -w /app --network none $img sleep 300 >/dev/null &&
	b exec wd sh -c 'rmdir /app && ln -s /proc/self/fd/3 /app' &&
	expect_fail 'working directory /app' b exec wd touch PWNED-wd && victim_intact"
check "... and by exec -w" -- bash -c "expect_fail 'working directory /app' b exec -w /app wd true"
check "... and by a restart of the container" -- bash -c "
	b stop -t 0 wd >/dev/null; expect_fail 'working directory /app' b start -a wd; victim_intact"
check "a workdir symlinked to / stays inside the container" -- bash -c "
	b run --rm --network none $img sh -c 'mkdir -p /w && ln -s ../../../.. /w/up' &&
	test \"\$(b run --rm -w /tmp/../../.. --network none $img pwd)\" = /"
b rm -f wd >/dev/null 2>&1

# ---- what else of the caller's may reach the container ----
check "signals the caller ignored or blocked are default and unblocked in the container" -- bash -c "
	out=\$(as_user env BERTH_FS=$BERTH_FS python3 -c '
import os, signal, sys
for s in (signal.SIGINT, signal.SIGPIPE, signal.SIGTERM, signal.SIGHUP): signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2, signal.SIGQUIT})
os.execv(sys.argv[1], sys.argv[1:])' '$T/berth-own' run --rm --network none $img grep -E '^Sig(Ign|Blk)' /proc/self/status) &&
	echo \"\$out\" | grep -qx 'SigIgn:.0000000000000000' && echo \"\$out\" | grep -qx 'SigBlk:.0000000000000000' || { echo \"\$out\"; false; }"
check "... and in an exec'd command" -- bash -c "
	b run -d --name sig --network none $img sleep 300 >/dev/null &&
	out=\$(as_user env BERTH_FS=$BERTH_FS python3 -c '
import os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
os.execv(sys.argv[1], sys.argv[1:])' '$T/berth-own' exec sig grep -E '^Sig(Ign|Blk)' /proc/self/status) &&
	echo \"\$out\" | grep -qx 'SigIgn:.0000000000000000' && echo \"\$out\" | grep -qx 'SigBlk:.0000000000000000' || { echo \"\$out\"; false; }"
b rm -f sig >/dev/null 2>&1
check "LD_PRELOAD, LD_LIBRARY_PATH and the caller's variables never reach berth-fs or slirp4netns" -- bash -c "
	as_user env BERTH_FS=$BERTH_FS LD_LIBRARY_PATH=/nonexistent-lib GCONV_PATH=/nonexistent BERTH_TEST_SECRET=leaked '$T/berth-own' run -d --name envc $img sleep 300 >/dev/null || exit 1
	n=0
	for p in \$(fs_of envc) \$(slirp_of envc); do
		n=\$((n + 1))
		if tr '\0' '\n' </proc/\$p/environ | grep -E '^(LD_|GCONV_PATH|BERTH_TEST_SECRET)'; then exit 1; fi
	done
	test \$n -ge 2"
b rm -f envc >/dev/null 2>&1
# (set -m: the run gets a process group of its own whose parent is in
# another, as a shell's job has: the kernel drops SIGTSTP to a process of
# an orphaned group, which would make the check pass whatever berth does.
# The signal is sent once the command runs, so berth's handlers are set;
# the 0.3 s after it are the check's subject: the time a stop would take)
check "SIGTSTP to an attached run does not stop berth; the command runs on to its end" -- timeout -k 5 40 bash -c "
	set -m
	as_user env BERTH_FS=$BERTH_FS '$T/berth-own' run --rm --network none $img sh -c 'echo started; sleep 2; echo done' >'$T/tstp.out' 2>&1 &
	bg=\$!
	pg=\$(ps -o pgid= -p \$bg | tr -d ' ')
	wait_for 5 pgrep -u $uid -x berth-own -g \$pg >/dev/null || exit 1
	wait_for 10 grep -qx started '$T/tstp.out' || exit 1
	cli=\$(pgrep -o -u $uid -x berth-own -g \$pg)
	kill -TSTP \$cli; sleep 0.3
	st=\$(ps -o stat= -p \$cli)
	r=0; case \"\$st\" in T*) echo \"berth is stopped: \$st\"; r=1; kill -CONT \$cli;; esac
	timeout 10 tail --pid=\$bg -f /dev/null || { echo 'berth did not end'; kill -9 \$cli; r=1; }
	wait \$bg; grep -qx done '$T/tstp.out' && test \$r = 0"

# ---- helpers that die or stop ----
ended_with() { # ended_with NAME TEXT: exited, and inspect's State.Error says TEXT
	b inspect --type container "$1" | python3 -c "
import json,sys
s=json.load(sys.stdin)[0]['State']
sys.exit(0 if s['Status']=='exited' and '$2' in s['Error'] else 1)"
}
no_trace() { # nothing of the container left: no process with its ID, no mount of it
	local id=$1
	! pgrep -u "$uid" -f "$id" >/dev/null && ! grep -qs "$id" /proc/[0-9]*/mountinfo
}
export -f ended_with no_trace
check "berth-fs killed: the container ends within seconds, with the reason in inspect, ps and the log" -- bash -c "
	b run -d --name fsk --network none $img sh -c 'while :; do ls / >/dev/null; done' >/dev/null && id=\$(cid fsk) &&
	kill -9 \$(fs_of fsk) && wait_for 5 ended_with fsk 'berth-fs died (signal 9' &&
	b ps -a | grep fsk | grep -q 'Exited (137).*berth-fs died' && b logs fsk 2>&1 | grep -q 'berth: berth-fs died' &&
	wait_for 5 no_trace \$id"
check "berth-fs stopped: the same, and nothing left" -- bash -c "
	b run -d --name fss --network none $img sh -c 'while :; do ls / >/dev/null; done' >/dev/null && id=\$(cid fss) &&
	kill -STOP \$(fs_of fss) && wait_for 5 ended_with fss 'berth-fs was stopped' && wait_for 5 no_trace \$id"
check "rm -f of a container whose berth-fs is stuck finishes in bounded time, leaving nothing" -- bash -c "
	b run -d --name fsr --network none $img sh -c 'while :; do cat /bin/busybox >/dev/null; done' >/dev/null && id=\$(cid fsr) &&
	p=\$(fs_of fsr) && kill -STOP \$p && timeout 20 bash -c 'b rm -f fsr' >/dev/null && wait_for 5 no_trace \$id"
start_host_server
pre_cleanup() { stop_host_server; }
export host_port
reach() { b exec "$1" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 host.docker.internal $host_port" | grep -q 'hello from the host'; }
export -f reach
check "slirp4netns killed: restarted, said in the log, and traffic flows again" -- bash -c "
	b run -d --name sk $img sleep 300 >/dev/null && reach sk || exit 1
	kill -9 \$(slirp_of sk) && wait_for 5 bash -c 'b logs sk 2>&1 | grep -q \"slirp4netns died (signal 9.*restarted\"' && wait_for 5 reach sk"
check "slirp4netns stopped: restarted too" -- bash -c "
	kill -STOP \$(slirp_of sk) && wait_for 5 bash -c 'b logs sk 2>&1 | grep -q \"slirp4netns was stopped.*restarted\"' && wait_for 5 reach sk"
# (each kill once the former one's outcome is seen: a new slirp4netns,
# or the container ended)
replaced_or_ended() {
	local q
	if q=$(slirp_of sk) && [ "$q" != "$1" ]; then return 0; fi
	ended_with sk 'network is gone'
}
export -f replaced_or_ended
check "slirp4netns killed again and again: the container is stopped with the reason" -- bash -c "
	for i in 1 2 3 4 5 6; do p=\$(slirp_of sk) || break; kill -9 \$p; wait_for 5 replaced_or_ended \$p || exit 1; done
	wait_for 5 ended_with sk 'network is gone' && b ps -a | grep sk | grep -q 'slirp4netns died'"
b rm -f sk >/dev/null 2>&1
# (slirp4netns 1.2 dies of some of these, SIGBUS: why NET_RAW is not in
# berth's default set; a container given it only takes down its own
# slirp4netns, which its supervisor restarts)
check "raw IP fragments from a container given NET_RAW: its network comes back each time" -- bash -c "
	b run -d --name frag --cap-add NET_RAW $img sleep 300 >/dev/null && reach frag || exit 1
	for dst in 10.0.2.3 10.0.2.2 10.0.2.3; do
		b exec frag /attack-raw frag \$dst 2000 | grep -q 'sent [1-9]' || exit 1
		wait_for 5 reach frag || { echo \"no network after fragments to \$dst\"; exit 1; }
	done
	test \"\$(b inspect --type container frag | python3 -c 'import json,sys;print(json.load(sys.stdin)[0][\"State\"][\"Status\"])')\" = running"
b rm -f frag >/dev/null 2>&1

# ---- a store anywhere ----
check "a store path with ':' and ',' in it works" -- bash -c "
	d='$T/odd:dir,x' && as_user mkdir -p \"\$d\" &&
	as_user env BERTH_ROOT=\"\$d/store\" BERTH_FS=$BERTH_FS '$T/berth-own' import -q '$T/tools.tar' localhost/t >/dev/null &&
	test \"\$(as_user env BERTH_ROOT=\"\$d/store\" BERTH_FS=$BERTH_FS '$T/berth-own' run --rm --network none localhost/t echo ok)\" = ok"

# a store on a full filesystem: the error names the store (as root, the
# test mounts a small tmpfs for it)
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/small" && mount -t tmpfs -o size=3m tmpfs "$T/small" && chown "$uid" "$T/small"
	pre_cleanup() { stop_host_server; umount "$T/small" 2>/dev/null; }
	check "a load that fills the store's filesystem names the store, and leaves no stage" -- bash -c "
		out=\$(as_user env BERTH_ROOT='$T/small/store' '$T/berth-own' import '$T/tools.tar' localhost/big 2>&1); rc=\$?
		echo \"\$out\"; test \$rc != 0 && echo \"\$out\" | grep -q 'the store $T/small/store is out of space: .*No space left on device' &&
		test -z \"\$(ls '$T/small/store/tmp' 2>/dev/null)\""
	umount "$T/small"
else
	skip "mounting a small filesystem for the store needs root"
fi

if id berth-badsub >/dev/null 2>&1 && grep -q '^berth-badsub:' /etc/subuid; then
	check "info reports a subuid range that holds the user's own id, with the fix" -- bash -c "
		out=\$(cd / && runuser -u berth-badsub -- env BERTH_ROOT=/nonexistent '$T/berth-own' info) &&
		echo \"\$out\" | grep -E '^  subid ranges +no .*holds your own id' | grep -q 'fix: as root'"
else
	skip "no berth-badsub user (tests/setup-users.sh makes it)"
fi

check "after everything: the victim, the binary and its mode are as they were" -- victim_intact
finish
