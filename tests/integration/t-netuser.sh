#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# User networks: berth network create/ls/inspect/rm/prune, containers
# finding each other by name and alias, isolation between networks,
# --internal, host.docker.internal from a user network (through the
# container's own slirp4netns: the network's has no host loopback), names following a
# restart to a new address, -p from a container on a network, the errors,
# and the keeper and slirp4netns gone once the networks are. Packets go
# only to 127.0.0.1 and the namespaces the test's containers make.
. "$(dirname "$0")/../lib.sh"
require_network

export -f run expect_fail
bb=localhost/bb:latest
uid=$(as_user id -u)
check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"

# ---- the records ----------------------------------------------------------
check "network create prints the name" -- bash -c "test \"\$(berth network create front)\" = front"
check "... a second network gets the next free /24" -- bash -c "berth network create back >/dev/null &&
	berth network inspect back | grep -q '\"Subnet\": \"10.89.1.0/24\"'"
check "... --subnet and --internal" -- bash -c "berth network create --internal --subnet 10.77.0.0/24 vault >/dev/null &&
	out=\$(berth network inspect vault) && echo \"\$out\" | grep -q '\"Subnet\": \"10.77.0.0/24\"' &&
	echo \"\$out\" | grep -q '\"Internal\": true'"
check "network ls lists them" -- bash -c "test \"\$(berth network ls -q | sort | tr '\n' ' ')\" = 'back front vault '"
check "an existing name is refused" -- expect_fail "exists" berth network create front
check "an overlapping subnet is refused, naming the other network" -- expect_fail "vault" berth network create --subnet 10.77.0.0/16 wide
check "a subnet with host bits set is refused" -- expect_fail "--subnet" berth network create --subnet 10.78.0.1/24 bad1
check "a subnet smaller than slirp4netns takes is refused unless --internal" -- \
	bash -c "expect_fail /25 berth network create --subnet 10.79.0.0/26 small &&
		berth network create --internal --subnet 10.79.0.0/26 small >/dev/null && berth network rm small >/dev/null"
check "a reserved name is refused" -- expect_fail "host" berth network create host
check "connect says how a container joins a network" -- expect_fail "--network" berth network connect front x

# ---- two containers by name on one network --------------------------------
www="mkdir -p /www && echo \$(hostname)-says-hi > /www/index.html && exec httpd -f -p 8080 -h /www"
check "a server on network front, with an alias" -- \
	bash -c "run -d --name backend --network front --network-alias api $bb sh -c '$www' >/dev/null"
fetch() { # fetch NETWORK HOST [RUN-FLAGS]: GET / from a new container on NETWORK
	local net=$1 host=$2; shift 2
	run --rm --network "$net" "$@" $bb sh -c \
		"for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $host 8080 && exit 0; sleep 0.2; done; exit 1"
}
export -f fetch
export bb
check "a container on the same network reaches it by name" -- bash -c "fetch front backend | grep -q says-hi"
check "... and by its alias" -- bash -c "fetch front api | grep -q says-hi"
check "it has eth0 in the network's subnet with slirp's gateway and DNS" -- \
	bash -c "out=\$(run --rm --network front $bb sh -c 'ip -4 addr show eth0; ip route; cat /etc/resolv.conf') &&
		echo \"\$out\" | grep -q 'inet 10.89.0.[0-9]*/24' && echo \"\$out\" | grep -q '^default via 10.89.0.2' &&
		echo \"\$out\" | grep -qx 'nameserver 10.89.0.3'"
ip_of() { berth network inspect "$1" | python3 -c 'import json, sys
for c in json.load(sys.stdin)[0]["Containers"].values():
    if c["Name"] == sys.argv[1]:
        print(c["IPv4Address"].split("/")[0])' "$2"; }
backend_ip=$(ip_of front backend)
check "network inspect lists the running container and its address" -- test -n "$backend_ip"
check "container inspect shows the address and alias" -- \
	bash -c "out=\$(berth inspect backend) && echo \"\$out\" | grep -q '\"IPAddress\": \"$backend_ip\"' && echo \"\$out\" | grep -q '\"api\"'"
# (no packet to an address that is not the test's: from a network with
# slirp4netns, an address outside the subnet is the outside world's, so
# the reach check is from the internal network, whose only way is its
# bridge)
check "a container on another network does not know its name" -- \
	bash -c "out=\$(run --rm --network back $bb cat /etc/hosts) && echo \"\$out\" | grep -q localhost && ! echo \"\$out\" | grep -q backend"
unreachable() { # unreachable NETWORK IP PORT [RUN-FLAGS]: the container ran, its connect failed
	local out
	out=$(run --rm --network "$1" "${@:4}" $bb sh -c "nc -w 2 $2 $3 </dev/null; echo rc=\$?") || return 1
	echo "# $out"
	[ "$out" = rc=1 ]
}
export -f unreachable
check "a container on another network cannot reach its address" -- unreachable vault "$backend_ip" 8080

# ---- the host, from a user network ----------------------------------------
start_host_server
pre_cleanup() {
	stop_host_server
	berth rm -f backend filler other >/dev/null 2>&1
	for n in front back vault; do berth network rm "$n" >/dev/null 2>&1; done
}
port=$host_port
hget() { run --rm --network "$1" "${@:3}" $bb sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $2 $port"; }
export -f hget
export port
check "host.docker.internal reaches a host service from a user network" -- bash -c "hget front host.docker.internal | grep -q 'hello from the host'"
check "the network's shared slirp4netns has no host loopback; a container's own carries it, to the gateway only" -- \
	bash -c "pgrep -u $uid -af 'slirp4netns.*--cidr=10.89.0.0/24.*--netns-type=path' | grep -q -- --disable-host-loopback &&
		out=\$(run --rm --network front $bb ip route) && echo \"\$out\" | grep -q '^10.89.0.2 dev tap1' &&
		echo \"\$out\" | grep -q '^default via 10.89.0.2 dev eth0'"
check "--no-host-loopback on a user network: not named, the gateway unreachable" -- \
	bash -c "unreachable front 10.89.0.2 $port --no-host-loopback &&
		out=\$(run --rm --network front --no-host-loopback $bb cat /etc/hosts) &&
		echo \"\$out\" | grep -q localhost && ! echo \"\$out\" | grep -q host.docker.internal"

# ---- --internal -------------------------------------------------------------
check "--internal: no default route, no host.docker.internal, no nameserver" -- \
	bash -c "out=\$(run --rm --network vault $bb sh -c 'ip route; cat /etc/hosts /etc/resolv.conf') &&
		! echo \"\$out\" | grep -q default && ! echo \"\$out\" | grep -q host.docker.internal &&
		! echo \"\$out\" | grep -q nameserver && echo \"\$out\" | grep -q '10.77.0.0/24 dev eth0'"
check "... the host's services are out of reach" -- unreachable vault 10.77.0.2 "$port"
check "... but its containers reach each other" -- \
	bash -c "run -d --name other --network vault $bb sh -c '$www' >/dev/null && fetch vault other | grep -q says-hi"

# ---- names follow a restart ---------------------------------------------------
restart() {
	local old new
	old=$(ip_of front backend)
	berth stop -t 1 backend >/dev/null || return 1
	# the freed address goes to the next container that starts
	run -d --name filler --network front $bb sleep 60 >/dev/null || return 1
	[ "$(ip_of front filler)" = "$old" ] || { echo "# filler did not take $old"; return 1; }
	berth start backend >/dev/null || return 1
	new=$(ip_of front backend)
	echo "# backend: $old, then $new"
	[ -n "$new" ] && [ "$new" != "$old" ] || return 1
	# the running filler's /etc/hosts follows
	berth exec filler grep -q "^$new[[:space:]]backend" /etc/hosts &&
		! berth exec filler grep -q "^$old[[:space:]]backend" /etc/hosts &&
		fetch front backend | grep -q says-hi
}
check "a restarted container is found at its new address by name" -- restart
# restart at once, again and again: the former run's veth end in the
# bridge namespace may outlive its processes for a moment (the kernel
# tears a network namespace down in its own time)
check "restart of a container on a network, ten times in a row: each start plugs it in" -- \
	bash -c "for i in \$(seq 1 10); do berth restart -t 0 backend >/dev/null || exit 1; done; fetch front backend | grep -q says-hi"
# (hosts_without NAME WORD: NAME's /etc/hosts, read, does not name WORD)
hosts_without() { local h; h=$(berth exec "$1" cat /etc/hosts) && ! grep -q -- "$2" <<<"$h"; }
export -f hosts_without
check "a stopped container's name leaves the others' /etc/hosts" -- \
	bash -c "! hosts_without backend filler && berth stop -t 1 filler >/dev/null && wait_for 10 hosts_without backend filler"

# ---- published ports from a user network ------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hp=$(free_port)
published() {
	run -d --name pub --network front -p "$hp:8080" $bb sh -c "$www" >/dev/null || return 1
	for _ in $(seq 1 100); do
		as_user python3 -c 'import sys, urllib.request as u
print(u.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=2).read().decode())' "$hp" 2>/dev/null | grep -q says-hi && break
		sleep 0.05
	done
	local got=$?
	berth rm -f pub >/dev/null
	return $got
}
check "-p publishes a port of a container on a user network" -- published

# ---- errors -------------------------------------------------------------------
n0=$(berth ps -a -q | wc -l)
check "--network with a missing network names the fix" -- expect_fail "berth network create" run --rm --network nonet $bb true
check "--network-alias without a user network is refused" -- expect_fail "network-alias" run --rm --network-alias x $bb true
check "--userns=keep-id on a user network is refused" -- expect_fail "keep-id" run --rm --userns=keep-id --network front $bb true
check "... and no container was made" -- bash -c "test \"\$(berth ps -a -q | wc -l)\" = $n0"
check "network rm refuses a network in use, naming the container" -- expect_fail "backend" berth network rm front

# ---- a network nobody uses goes down by itself ---------------------------------
idle() {
	local up=no
	berth network create --subnet 10.66.0.0/24 idle >/dev/null || return 1
	run --rm --network idle $bb true || return 1
	pgrep -u "$uid" -f 'slirp4netns.*--cidr=10.66.0.0/24.*--netns-type' >/dev/null && up=yes
	echo "# its slirp4netns after the container: $up"
	[ $up = yes ] || return 1
	for _ in $(seq 1 200); do
		pgrep -u "$uid" -f 'slirp4netns.*--cidr=10.66.0.0/24.*--netns-type' >/dev/null || break
		sleep 0.1
	done
	! pgrep -u "$uid" -f 'slirp4netns.*--cidr=10.66.0.0/24.*--netns-type' >/dev/null &&
		berth network inspect idle >/dev/null && berth network rm idle >/dev/null
}
check "a network without containers for 10 s drops its bridge and slirp4netns, and stays defined" -- idle

# ---- removal, and nothing left running ---------------------------------------
check "with its containers gone, network rm removes it" -- \
	bash -c "berth rm -f backend filler >/dev/null && berth network rm front >/dev/null && ! berth network inspect front >/dev/null 2>&1"
check "network prune removes the unused ones" -- \
	bash -c "berth rm -f other >/dev/null && berth network prune -f >/dev/null && test -z \"\$(berth network ls -q)\""
# (the keeper, and the slirp4netns of user networks and of their
# containers, which have a --cidr: not other tests' default networks)
alive() { ps -u "$uid" -o stat=,args= | awk '$1 !~ /^Z/ && ($2 == "berth-netd" || ($2 == "slirp4netns" && / --cidr=/))' | wc -l; }
gone() { for _ in $(seq 1 100); do [ "$(alive)" = 0 ] && return 0; sleep 0.05; done; ps -u "$uid" -o pid,stat,args >&2; return 1; }
check "no network keeper or slirp4netns is left once the networks are gone" -- gone
check "the store holds no network" -- bash -c "test -z \"\$(ls -A $BERTH_ROOT/networks | grep -v '^\\.lock$')\""
finish
