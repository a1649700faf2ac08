#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Security: berth's network confinement, attacked from inside containers
# (tests/attack/attack-net.c) and checked from the host.
#   1. a published port's client never looks like loopback to the
#      container's services (TCP and UDP, default and user networks); a
#      service listening on 127.0.0.1 only is not published
#   2. -p [::]:P is IPv6 only
#   3. the host's loopback: every port by default for run, listed ports
#      only with --host-loopback=PORTS (two host servers, one listed),
#      none with --no-host-loopback even to forged frames (a packet socket
#      on a user network's bridge), berth.conf's host-loopback = false
#      honoured (and lifted by run's flag only, not by a profile), info
#      saying what a container can reach, a record that does not say
#      having none
#   4. a user network's /etc/hosts: a member that grows its file, takes a
#      lease on it, forges the section mark or replaces it with a symlink
#      changes nothing outside itself, and the others' files stay correct
#      without a hang
#   5. no slirp4netns API socket in the runtime directory, also after a
#      failed start and a killed monitor
# Packets go only to 127.0.0.1 and the namespaces the test's containers
# make. It uses the per-user network keeper: run it alone (meson does).
. "$(dirname "$0")/../lib.sh"
require_fuse
require_userns
require_slirp

CONF=$T/berth.conf # the test's berth.conf: empty (the defaults) unless a check says
: >"$CONF" && chmod 0644 "$CONF"
b() { as_user env BERTH_FS="$BERTH_FS" BERTH_CONFIG="$CONF" "$BERTH" "$@"; }
run() { b run "$@"; }
export CONF
export -f b run expect_fail
uid=$(as_user id -u)
check "import the tools image (busybox, attack-net)" -- tools_image localhost/tools
img=localhost/tools
RT=$(b info | sed -n 's/^runtime: *//p')

# two HTTP servers and a UDP echo on the host's 127.0.0.1, as the test user
start_host_server
P1=$host_port
as_user python3 "$T/host-server.py" "$T/host-port2" >/dev/null 2>&1 &
as_user python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    d, a = s.recvfrom(2048); s.sendto(d, a)' "$T/udp-port" >/dev/null 2>&1 &
for _ in $(seq 1 100); do [ -s "$T/host-port2" ] && [ -s "$T/udp-port" ] && break; sleep 0.05; done
P2=$(cat "$T/host-port2")
UP=$(cat "$T/udp-port")
pre_cleanup() {
	stop_host_server
	pkill -u "$uid" -f "$T/udp-port" 2>/dev/null
	b rm -f $(b ps -a -q) >/dev/null 2>&1
	b network rm secnet vault >/dev/null 2>&1
}
export P1 P2 UP img RT uid
diag "host servers: $P1 and $P2 (tcp), $UP (udp)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# peer_of PROTO PORT [HOST]: what a service behind the host's PORT says
# its client's address is ("peer IP:PORT"), asked from the host
peer_of() {
	as_user python3 -c 'import socket, sys, time
proto, port, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
for _ in range(50):
    try:
        if proto == "udp":
            s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(0.5)
            s.sendto(b"x", (host, port)); print(s.recv(200).decode().strip())
        else:
            s = socket.create_connection((host, port), timeout=2)
            d = s.recv(200).decode().strip()
            if not d: raise OSError("closed")
            print(d)
        sys.exit(0)
    except OSError as e:
        last = e; time.sleep(0.1)
print("error %s" % last)' "$1" "$2" "${3:-127.0.0.1}"
}
not_loopback() { # not_loopback "peer IP:PORT"
	local ip=${1#peer }
	ip=${ip%:*}
	echo "# the service saw its client as $ip"
	[[ $1 == peer\ * ]] && [ -n "$ip" ] && [[ $ip != 127.* ]] && [ "$ip" != ::1 ] && [[ $ip != ::ffff:127.* ]]
}
export -f peer_of not_loopback

# ---- 1. published ports never look like loopback ---------------------------
hp=$(free_port)
hu=$(free_port)
check "a service printing its client's address, published -p TCP and UDP" -- \
	run -d --name peer -p "$hp:8080" -p "$hu:8081/udp" $img sh -c \
	'/attack-net peer udp 0.0.0.0 8081 & exec /attack-net peer tcp 0.0.0.0 8080'
check "1. a published TCP port's client is not 127.0.0.1 to the service" -- \
	bash -c "not_loopback \"\$(peer_of tcp $hp)\""
check "1. ... nor a published UDP port's" -- bash -c "not_loopback \"\$(peer_of udp $hu)\""
hl=$(free_port)
lo_only() {
	run -d --name loonly -p "$hl:8080" $img /attack-net peer tcp 127.0.0.1 8080 >/dev/null || return 1
	# it is up: reachable from inside on its loopback
	for _ in $(seq 1 50); do
		b exec loonly /attack-net ask tcp 127.0.0.1 8080 | grep -q '^peer 127.0.0.1' && break
		sleep 0.1
	done
	b logs loonly | grep -q '^peer 127.0.0.1' || { echo "# the service did not come up"; return 1; }
	local got
	got=$(peer_of tcp "$hl" | head -n 1)
	echo "# from the host through -p: $got"
	[[ $got == error* ]] && [ "$(b logs loonly | grep -c '^peer')" = 1 ]
}
check "1. a service listening on 127.0.0.1 only is not reached through -p (docker's behaviour)" -- lo_only
b rm -f peer loonly >/dev/null 2>&1

# ---- 2. -p [::]:P is IPv6 only ----------------------------------------------
if python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	h6=$(free_port)
	v6_only() {
		run -d --name v6 -p "[::]:$h6:8080" $img /attack-net peer tcp 0.0.0.0 8080 >/dev/null || return 1
		local six four
		six=$(peer_of tcp "$h6" ::1)
		four=$(as_user python3 -c 'import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).recv(10); print("reached")
except OSError as e:
    print("refused" if isinstance(e, ConnectionRefusedError) else "error %s" % e)' "$h6")
		echo "# [::1]:$h6 -> $six; 127.0.0.1:$h6 -> $four"
		[[ $six == peer\ * ]] && [ "$four" = refused ]
	}
	check "2. -p [::]:P is reached on [::1]:P and not on 127.0.0.1:P (IPV6_V6ONLY)" -- v6_only
	b rm -f v6 >/dev/null 2>&1
else
	skip "2. no IPv6 loopback on this host"
fi

# ---- 3. the host's loopback, default network -----------------------------------
# reach HOST [RUN-FLAGS...]: "P1:yes P2:no" for the two host servers
reach() {
	local host=$1
	shift
	run --rm "$@" $img sh -c "for p in $P1 $P2; do
		if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $host \$p 2>/dev/null | grep -q 'hello from the host'
		then echo -n \"\$p:yes \"; else echo -n \"\$p:no \"; fi; done"
}
is() { # is WANT CMD...: the command's output is WANT
	local got
	got=$("${@:2}")
	echo "# got \"$got\""
	[ "$got" = "$1" ]
}
export -f reach is
check "3. run: every port of the host's loopback by default" -- is "$P1:yes $P2:yes " reach host.docker.internal
check "3. --host-loopback=P1: the listed server, not the other" -- \
	is "$P1:yes $P2:no " reach host.docker.internal --host-loopback="$P1"
check "3. ... the others are refused at once, from inside" -- \
	is refused run --rm --host-loopback="$P1" $img /attack-net ask tcp 10.0.2.2 "$P2"
check "3. --host-loopback=PORT/udp: UDP to a listed port, not to an unlisted one" -- \
	bash -c "is ping run --rm --host-loopback=$UP/udp $img /attack-net ask udp 10.0.2.2 $UP &&
		is refused run --rm --host-loopback=$P1 $img /attack-net ask udp 10.0.2.2 $UP"
check "3. --no-host-loopback: nothing, and no name" -- \
	bash -c "is '$P1:no $P2:no ' reach 10.0.2.2 --no-host-loopback &&
		! run --rm --no-host-loopback $img grep -q host.docker.internal /etc/hosts"
# forging frames takes a packet socket, so NET_RAW: not in berth's default
# set since the hardening, but a user may add it, and the rules must hold
check "3. forged frames (packet socket) reach the gateway's host port by default (the tool works)" -- \
	is open run --rm --cap-add NET_RAW $img /attack-net syn tap0 10.0.2.100 10.0.2.2 "$P1"
check "3. ... and not with --no-host-loopback (slirp4netns refuses it)" -- \
	bash -c "out=\$(run --rm --cap-add NET_RAW --no-host-loopback $img /attack-net syn tap0 10.0.2.100 10.0.2.2 $P1); echo \"# \$out\"; [ \"\$out\" = silent ] || [ \"\$out\" = closed ]"
check "3. ... nor to an unlisted port with --host-loopback=P1" -- \
	bash -c "out=\$(run --rm --cap-add NET_RAW --host-loopback=$P1 $img /attack-net syn tap0 10.0.2.100 10.0.2.2 $P2); echo \"# \$out\"; [ \"\$out\" = silent ] || [ \"\$out\" = closed ]"
check "3. bad --host-loopback values are refused, naming the flag" -- \
	bash -c "expect_fail --host-loopback run --rm --host-loopback=http $img true &&
		expect_fail --host-loopback run --rm --host-loopback=1-100 $img true &&
		expect_fail --host-loopback run --rm --network none --host-loopback $img true"
check "3. info says a container reaches every service on the host's 127.0.0.1, other users' too" -- \
	bash -c "out=\$(b info) && echo \"\$out\" | grep -q 'on by default for run' &&
		echo \"\$out\" | grep -q \"EVERY service listening on this host's\" &&
		echo \"\$out\" | grep -q \"other users' services included\""

no_record() { # a record that does not say (an engine caller's) gets none
	local id
	id=$(b create --name rec $img sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 10.0.2.2 $P1 | grep -c hello") || return 1
	as_user python3 -c 'import json, sys
p = sys.argv[1]; c = json.load(open(p)); del c["HostLoopback"]; json.dump(c, open(p, "w"))' \
		"$BERTH_ROOT/containers/$id/config.json" || return 1
	is 0 b start -a rec
}
check "3. a container record that does not ask has no way to the host's loopback" -- no_record
b rm -f rec >/dev/null 2>&1

# berth.conf: host-loopback = false
printf '[network]\nhost-loopback = false\n' >"$CONF"
check "3. berth.conf host-loopback = false: run has no way to the host, and no name" -- \
	bash -c "is '$P1:no $P2:no ' reach 10.0.2.2 && ! run --rm $img grep -q host.docker.internal /etc/hosts"
check "3. ... --host-loopback on the command line turns it back on" -- is "$P1:yes $P2:yes " reach host.docker.internal --host-loopback
check "3. ... --host-loopback=P1 too, for that port" -- is "$P1:yes $P2:no " reach host.docker.internal --host-loopback="$P1"
printf '[network]\nhost-loopback-ports = %s\n' "$P1" >"$T/wants.ini"
printf '[network]\nhost-loopback = true\n' >"$T/wants-all.ini"
chmod 0644 "$T/wants.ini" "$T/wants-all.ini"
profile_refused() {
	local n
	n=$(b ps -a -q | wc -l)
	expect_fail "wants.ini:2" run --rm --profile "$T/wants.ini" $img true &&
		expect_fail "wants-all.ini:2" run --rm --profile "$T/wants-all.ini" $img true &&
		expect_fail "host-loopback" b profile check "$T/wants.ini" &&
		[ "$(b ps -a -q | wc -l)" = "$n" ]
}
check "3. ... a profile cannot turn it on (refused naming its line, nothing made)" -- profile_refused
check "3. ... but the command line's flag can, with the profile" -- \
	is "$P1:yes $P2:no " reach host.docker.internal --profile "$T/wants.ini" --host-loopback="$P1"
check "3. info says it is off and how to allow it" -- \
	bash -c "out=\$(b info) && echo \"\$out\" | grep -q 'off by default' && echo \"\$out\" | grep -q -- '--host-loopback=PORTS'"
: >"$CONF"
check "3. a profile's host-loopback-ports limits run to those ports" -- \
	is "$P1:yes $P2:no " reach host.docker.internal --profile "$T/wants.ini"
check "3. berth.conf with an unknown key stops run, naming FILE:LINE" -- \
	bash -c "printf '[network]\nhost-loopbak = false\n' >$CONF && expect_fail 'berth.conf:2' run --rm $img true; rc=\$?; : >$CONF; exit \$rc"

# ---- 5. no slirp4netns API socket ---------------------------------------------------
named_after() { ls -A "$RT" 2>/dev/null | grep -c "${1:0:12}"; }
export -f named_after
check "5. a running container has no API socket (nothing in the runtime directory names it)" -- \
	bash -c "id=\$(run -d --name apis $img sleep 60) && is 0 named_after \$id && b rm -f apis >/dev/null"
failed_start() {
	local rc=0 id
	run --name fs1 $img /nonexistent 2>/dev/null || rc=$?
	id=$(b inspect fs1 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["Id"])') || return 1
	echo "# attached: exit $rc"
	[ $rc = 127 ] && is 0 named_after "$id" || return 1
	run -d --name fs2 $img /nonexistent 2>/dev/null && return 1
	id=$(b inspect fs2 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["Id"])') || return 1
	is 0 named_after "$id" && b rm fs1 fs2 >/dev/null
}
check "5. ... nor after a failed start (attached and detached)" -- failed_start
killed_monitor() {
	local id holder mon hpid fpid sp
	id=$(run -d --name km -p "$(free_port):8080" --host-loopback="$P1" $img sleep 600) || return 1
	read -r holder mon _ <"$BERTH_ROOT/containers/$id/pid" || return 1
	hpid=$(pgrep -P "$mon" -x berth-hostloop)
	fpid=$(pgrep -P "$mon" -x berth-ports)
	sp=$(pgrep -u "$uid" -f "userns-path=/proc/$holder/ns/user")
	echo "# monitor $mon, holder $holder, relay $hpid, forwarder $fpid, slirp4netns $sp"
	[ -n "$hpid" ] && [ -n "$fpid" ] && [ -n "$sp" ] || return 1
	kill -KILL "$mon"
	for _ in $(seq 1 100); do
		[ -e "/proc/$holder" ] || [ -e "/proc/$hpid" ] || [ -e "/proc/$fpid" ] || break
		sleep 0.05
	done
	b ps -a | grep -q 'km' || return 1
	for _ in $(seq 1 100); do
		# slirp4netns is nobody's child now: a zombie of it is not it running
		ps -o stat= -p "$sp" 2>/dev/null | grep -qv Z || break
		sleep 0.05
	done
	! ps -o stat= -p "$sp" 2>/dev/null | grep -qv Z || { echo "# slirp4netns still runs"; return 1; }
	[ ! -e "/proc/$holder" ] && [ ! -e "/proc/$hpid" ] && [ ! -e "/proc/$fpid" ] &&
		is 0 named_after "$id" && b rm km >/dev/null && is 0 named_after "$id"
}
check "5. SIGKILL to a detached container's monitor: ps and rm find nothing of it left" -- killed_monitor

# ---- user networks ------------------------------------------------------------
check "a user network (10.93.0.0/24) and an internal one" -- \
	bash -c "b network create --subnet 10.93.0.0/24 secnet >/dev/null && b network create --internal --subnet 10.94.0.0/24 vault >/dev/null"
GW=10.93.0.2
export GW
check "3. user network: every port of the host's loopback by default" -- \
	is "$P1:yes $P2:yes " reach host.docker.internal --network secnet
check "3. user network: --host-loopback=P1, that port only" -- \
	is "$P1:yes $P2:no " reach host.docker.internal --network secnet --host-loopback="$P1"
check "3. user network: --no-host-loopback, nothing" -- \
	is "$P1:no $P2:no " reach "$GW" --network secnet --no-host-loopback
check "3. user network: berth.conf host-loopback = false, nothing" -- \
	bash -c "printf '[network]\nhost-loopback = false\n' >$CONF; is '$P1:no $P2:no ' reach $GW --network secnet; rc=\$?; : >$CONF; exit \$rc"
check "3. an --internal network refuses --host-loopback" -- \
	expect_fail "internal" run --rm --network vault --host-loopback $img true
ip_of() { b network inspect secnet | python3 -c 'import json, sys
for c in json.load(sys.stdin)[0]["Containers"].values():
    if c["Name"] == sys.argv[1]:
        print(c["IPv4Address"].split("/")[0])' "$1"; }
export -f ip_of
# forge "ME=<eth0's address>" for the attacks' source address
me='me=$(ip -4 addr show eth0 | sed -n "s/.*inet \([0-9.]*\).*/\1/p")'
forged() { # forged RUN-FLAGS... -- DST PORT [VIA]: attack-net syn from a new member
	local flags=()
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	run --rm --network secnet --cap-add NET_RAW "${flags[@]}" $img sh -c "$me; /attack-net syn eth0 \$me $*"
}
export me
export -f forged
srv() {
	run -d --name srv --network secnet $img /attack-net peer tcp 0.0.0.0 8080 >/dev/null &&
		for _ in $(seq 1 50); do b logs srv | grep -q listening && return 0; sleep 0.1; done
	return 1
}
check "a member serving 8080 (for the tools' positive control)" -- srv
SRV=$(ip_of srv)
export SRV
check "3. forged frames on the bridge work (a SYN to a member's open port is answered)" -- \
	is open forged --no-host-loopback -- "$SRV" 8080
check "3. user network, --no-host-loopback: forged frames to the gateway do not reach the host's port" -- \
	bash -c "out=\$(forged --no-host-loopback -- $GW $P1); echo \"# \$out\"; [ \"\$out\" = silent ] || [ \"\$out\" = closed ]"
relay_member() {
	run -d --name lp --network secnet --host-loopback="$P1" $img sleep 600 >/dev/null || return 1
	local lp out
	lp=$(ip_of lp)
	out=$(forged --no-host-loopback -- "$GW" "$P1" "$lp")
	echo "# a SYN to $GW:$P1 sent to $lp's MAC: $out"
	[ -n "$lp" ] && { [ "$out" = silent ] || [ "$out" = closed ]; }
}
check "3. a member's host-loopback relay is not a way to the host for the others (bound to its lo)" -- relay_member
hn=$(free_port)
check "1. user network: a published port's client is not 127.0.0.1 to the service" -- \
	bash -c "run -d --name npeer --network secnet -p $hn:8080 $img /attack-net peer tcp 0.0.0.0 8080 >/dev/null &&
		not_loopback \"\$(peer_of tcp $hn)\""
b rm -f lp npeer >/dev/null 2>&1

# ---- 4. /etc/hosts of a user network's members --------------------------------
mkdir -p "$T/victim" && echo "keep me" >"$T/victim/file" && chmod -R a+rX "$T/victim"
victim_hash() { (cd "$T/victim" && find . -printf '%p %y %s %m\n' | sort && cat file) | sha256sum; }
export -f victim_hash
V0=$(victim_hash)
check "members: a victim and four attackers" -- bash -c "
	run -d --name vict --network secnet $img sleep 600 >/dev/null &&
	run -d --name atkgrow --network secnet $img sleep 600 >/dev/null &&
	run -d --name atklease --network secnet $img sleep 600 >/dev/null &&
	run -d --name atkmark --network secnet $img sleep 600 >/dev/null &&
	run -d --name atklink --network secnet --cap-add SYS_ADMIN $img sleep 600 >/dev/null"
hostfile() { echo "$BERTH_ROOT/containers/$(b inspect "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["Id"])')/hosts"; }
# cycle NAME: a member starts and leaves while an attack is on: both in
# time, and the victim's /etc/hosts lists it, then not
cycle() {
	local t0=$SECONDS
	timeout 20 bash -c "run -d --name $1 --network secnet $img sleep 600 >/dev/null" || { echo "# $1 did not start in time"; return 1; }
	b exec vict grep -q "[[:space:]]$1[[:space:]]" /etc/hosts || { echo "# vict does not list $1"; b exec vict cat /etc/hosts; return 1; }
	timeout 20 bash -c "b rm -f $1 >/dev/null" || { echo "# $1 did not go in time"; return 1; }
	! b exec vict grep -q "[[:space:]]$1[[:space:]]" /etc/hosts || { echo "# vict still lists $1"; return 1; }
	echo "# start and stop of $1: $((SECONDS - t0)) s"
	[ $((SECONDS - t0)) -lt 15 ]
}
grown() {
	local f
	f=$(hostfile atkgrow)
	b exec atkgrow /attack-net grow /etc/hosts 2147483648 >/dev/null || return 1
	[ "$(stat -c %s "$f")" = 2147483648 ] || return 1
	cycle n1 && [ "$(stat -c %s "$f")" = 2147483648 ] && [ -f "$f" ] && [ ! -L "$f" ]
}
check "4. a member grows its /etc/hosts to 2 GiB: a start and stop stay quick and correct, berth leaves it be" -- grown
leased() {
	# (it holds the lease until the container goes)
	b exec atklease /attack-net lease /etc/hosts 120 >"$T/lease.out" 2>&1 &
	for _ in $(seq 1 50); do grep -q leased "$T/lease.out" 2>/dev/null && break; sleep 0.1; done
	grep -q leased "$T/lease.out" || { cat "$T/lease.out"; return 1; }
	cycle n2
}
check "4. a member holds a lease on its /etc/hosts: no start or stop waits for it (45 s before)" -- leased
marked() {
	b exec atkmark sh -c "{ printf '# berth network secnet: forged\n10.6.6.6\tvict srv n3\n'; cat /etc/hosts; } >/tmp/h && cat /tmp/h >/etc/hosts" || return 1
	cycle n3 && ! b exec vict grep -q 10.6.6.6 /etc/hosts
}
check "4. a member forges the section mark and names in its file: nothing reaches another member's" -- marked
linked() {
	local f
	f=$(hostfile atklink)
	b exec atklink sh -c "umount /etc/hosts && rm -f /etc/hosts && ln -s $T/victim/file /etc/hosts" || return 1
	cycle n4 && [ -f "$f" ] && [ ! -L "$f" ] && [ "$(victim_hash)" = "$V0" ]
}
check "4. a member replaces its /etc/hosts with a symlink: berth's file is untouched, the host's too" -- linked
named() {
	timeout 20 bash -c "run -d --name inj --network secnet --hostname \"\$(printf 'x\n10.6.6.6 injected')\" $img sleep 600 >/dev/null" || return 1
	b exec vict grep -q '[[:space:]]inj[[:space:]]' /etc/hosts && ! b exec vict grep -q injected /etc/hosts
}
check "4. a host name with a newline adds no line to the others' /etc/hosts" -- named
check "4. the victim's own file is its own and correct: every member listed once, by berth" -- \
	bash -c "out=\$(b exec vict cat /etc/hosts) && for n in vict atkgrow atklease atkmark atklink inj srv; do
		test \"\$(echo \"\$out\" | grep -c \"[[:space:]]\$n[[:space:]]\")\" = 1 || { echo \"# \$n\"; exit 1; }; done"
check "4. nothing outside the containers changed" -- bash -c "test \"\$(victim_hash)\" = '$V0'"
# the network's own slirp4netns (the keeper's child, on the bridge
# namespace by path) dies or stops: the keeper starts it again, says so
# in the network's log, and the members' way through it works again (slirp
# answers a ping to its DNS address; busybox ping needs NET_RAW)
net_slirp() { pgrep -u "$uid" -f "^slirp4netns .*--cidr=10.93.0.0/24 --netns-type=path"; }
gw_ping() { b exec pinger ping -c1 -W1 10.93.0.3 >/dev/null 2>&1; }
export -f net_slirp gw_ping
keeper_restarts() {
	run -d --name pinger --network secnet --no-host-loopback --cap-add NET_RAW $img sleep 600 >/dev/null &&
		wait_for 5 gw_ping || { echo "# no ping to the gateway to begin with"; return 1; }
	local old new
	old=$(net_slirp) && kill -9 "$old" || return 1
	wait_for 5 bash -c "p=\$(net_slirp) && [ \"\$p\" != $old ]" || { echo "# not restarted"; return 1; }
	wait_for 5 gw_ping || { echo "# no ping after the restart"; return 1; }
	old=$(net_slirp) && kill -STOP "$old" || return 1
	wait_for 5 bash -c "p=\$(net_slirp) && [ \"\$p\" != $old ]" || { echo "# a stopped one not replaced"; return 1; }
	wait_for 5 gw_ping && grep -q 'slirp4netns was stopped: restarted it' "$BERTH_ROOT"/networks/secnet/slirp4netns.log
}
check "the network's slirp4netns killed, then stopped: the keeper restarts it and says so, its DNS address answers again" -- keeper_restarts
b rm -f pinger >/dev/null 2>&1

check "the members go, and the networks with them" -- \
	bash -c "b rm -f vict atkgrow atklease atkmark atklink inj srv >/dev/null && b network rm secnet vault >/dev/null"
alive() { ps -u "$uid" -o stat=,comm= | awk '($2 == "berth-netd" || $2 == "berth-hostloop") && $1 !~ /^Z/' | wc -l; }
gone() { for _ in $(seq 1 300); do [ "$(alive)" = 0 ] && return 0; sleep 0.05; done; ps -u "$uid" -o pid,stat,args >&2; return 1; }
check "no keeper or relay is left" -- gone
finish
