#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth's default network: slirp4netns on the container's own network
# namespace (tap0, MTU 65520, slirp's DNS), host.docker.internal reaching
# a server the test starts on the host's 127.0.0.1, --no-host-loopback,
# --network none and host, --add-host, --dns, the errors for a missing
# slirp4netns and bad flags, and no slirp4netns left running after the
# container. Packets go only to 127.0.0.1 and the container's namespace.
. "$(dirname "$0")/../lib.sh"
require_network

export -f run expect_fail
bb=localhost/bb:latest
check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"

# a server on the host's loopback, as the test user, on a free port
start_host_server
pre_cleanup() { stop_host_server; }
port=$host_port

get() { # get [RUN-FLAGS...] -- HOST: an HTTP GET from inside, by busybox nc
	local flags=() host
	while [ "$1" != -- ]; do flags+=("$1"); shift; done
	host=$2
	run --rm "${flags[@]}" $bb sh -c "printf 'GET / HTTP/1.0\r\nHost: x\r\n\r\n' | nc -w 3 $host $port"
}
check "the default network reaches a host service through host.docker.internal" -- \
	bash -c "$(declare -f get); port=$port bb=$bb; get -- host.docker.internal | grep -q 'hello from the host'"
check "... and through host.containers.internal" -- \
	bash -c "$(declare -f get); port=$port bb=$bb; get -- host.containers.internal | grep -q 'hello from the host'"
check "tap0 with slirp's address and MTU 65520, a default route" -- \
	bash -c "out=\$(run --rm $bb sh -c 'cat /sys/class/net/tap0/mtu; ip -4 addr show tap0; ip route') &&
		echo \"\$out\" | grep -qx 65520 && echo \"\$out\" | grep -q 'inet 10.0.2.100/24' &&
		echo \"\$out\" | grep -q '^default via 10.0.2.2'"
check "/etc/resolv.conf names slirp's DNS forwarder" -- bash -c "run --rm $bb cat /etc/resolv.conf | grep -qx 'nameserver 10.0.2.3'"
check "--no-host-loopback: the host's loopback is out of reach, and not named" -- \
	bash -c "$(declare -f get); port=$port bb=$bb; ! get --no-host-loopback -- 10.0.2.2 2>/dev/null | grep -q hello &&
		! run --rm --no-host-loopback $bb grep -q host.docker.internal /etc/hosts"
check "--network host: the host's own interfaces, host.docker.internal is 127.0.0.1" -- \
	bash -c "$(declare -f get); port=$port bb=$bb; get --network host -- host.docker.internal | grep -q 'hello from the host' &&
		run --rm --network host $bb grep -q '^127.0.0.1.*host.docker.internal' /etc/hosts"
check "--network none: a loopback only, no host.docker.internal" -- \
	bash -c "test \"\$(run --rm --network none $bb ls /sys/class/net)\" = lo && ! run --rm --network none $bb grep -q host.docker /etc/hosts"
check "--add-host and --dns" -- \
	bash -c "out=\$(run --rm --add-host db.local:10.1.2.3 --dns 10.0.2.3 --dns 10.0.2.4 $bb sh -c 'cat /etc/hosts /etc/resolv.conf') &&
		echo \"\$out\" | grep -qP '^10.1.2.3\tdb.local$' && echo \"\$out\" | grep -qx 'nameserver 10.0.2.4'"

# errors, before anything is made
nctr() { berth ps -a -q | wc -l; }
n0=$(nctr)
check "a missing slirp4netns: the fix and --network none named, exit 125" -- \
	bash -c "as_user env BERTH_SLIRP4NETNS=/nonexistent BERTH_FS=$BERTH_FS $BERTH run --name nos $bb true >/dev/null 2>$T/e; rc=\$?;
		test \$rc = 125 && grep -q 'slirp4netns' $T/e && grep -q -- '--network none' $T/e"
check "... and no container was made" -- bash -c "test \"\$(berth ps -a -q | wc -l)\" = $n0"
check "--network with an unknown name is refused" -- expect_fail "--network" run --rm --network nosuchnet $bb true
check "--add-host without an IP is refused" -- expect_fail "--add-host" run --rm --add-host justaname $bb true
check "--dns with a name is refused" -- expect_fail "--dns" run --rm --dns example.org $bb true
check "--no-host-loopback with --network none is refused" -- expect_fail "no-host-loopback" run --rm --network none --no-host-loopback $bb true

# ---- published ports ------------------------------------------------------
probe_src=${BERTH_PROBE:-$SRCDIR/build/tests/probe}
mkdir -p "$T/probe-root"
cp "$probe_src" "$T/probe-root/probe" && chmod 0755 "$T/probe-root/probe"
tar -C "$T/probe-root" -cf "$T/probe.tar" --owner=0 --group=0 probe && chmod 0644 "$T/probe.tar"
check "import the probe image" -- berth import -q "$T/probe.tar" localhost/probe
check "load the multilayer fixture (ExposedPorts 8080/tcp, 5353/udp)" -- berth load -q -i "$FIXTURES/podman-multilayer.docker-archive.tar"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_get() { # http_get PORT PATH: the body, from the host's 127.0.0.1
	as_user python3 -c 'import sys, urllib.request as u
print(u.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=5).read().decode(), end="")' "$1" "$2"
}
udp_echo() { # udp_echo PORT: what an echo server behind PORT returns
	as_user python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
for _ in range(10):
    s.sendto(b"ping", ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recvfrom(100)[0].decode()); break
    except socket.timeout:
        pass' "$1"
}
listening_on() { # listening_on PORT: the local address of the TCP listener on PORT
	python3 -c 'import sys
p = "%04X" % int(sys.argv[1])
for l in open("/proc/net/tcp").readlines()[1:]:
    f = l.split()
    if f[1].endswith(":" + p) and f[3] == "0A":
        h = f[1].split(":")[0]
        print(".".join(str(int(h[i:i+2], 16)) for i in (6, 4, 2, 0)))' "$1"
}
wait_http() { for _ in $(seq 1 100); do http_get "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
hp=$(free_port)
www="mkdir -p /www && echo served-by-the-container > /www/index.html && exec httpd -f -p 8080 -h /www"
tcp_publish() {
	run -d --name web -p "$hp:8080" $bb sh -c "$www" >/dev/null && wait_http "$hp" /index.html &&
		[ "$(http_get "$hp" /index.html)" = served-by-the-container ]
}
check "-p HOSTPORT:CTRPORT: a host client reaches the container's server" -- tcp_publish
default_loopback() { [ "$(listening_on "$hp")" = 127.0.0.1 ]; }
check "... on 127.0.0.1 by default, not 0.0.0.0" -- default_loopback
port_shown() {
	berth port web | grep -qx "8080/tcp -> 127.0.0.1:$hp" && [ "$(berth port web 8080)" = "127.0.0.1:$hp" ] &&
		berth ps | grep web | grep -q "127.0.0.1:$hp->8080/tcp"
}
check "berth port and ps show it" -- port_shown
port_in_use() {
	local n rc=0
	n=$(berth ps -a -q | wc -l)
	run --rm -p "$hp:8080" $bb true 2>"$T/e" || rc=$?
	[ $rc = 125 ] && grep -q 'in use' "$T/e" && [ "$(berth ps -a -q | wc -l)" = "$n" ]
}
check "a port in use fails before anything is made, naming it" -- port_in_use
low_port() {
	[ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -le 80 ] ||
		expect_fail ip_unprivileged_port_start run --rm -p 80:8080 $bb true
}
check "a port below net.ipv4.ip_unprivileged_port_start is refused, naming the sysctl" -- low_port
forwarder_gone() {
	# its forwarder: the berth-ports child of the container's monitor
	local id mon fwd
	id=$(berth inspect web | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["Id"])') &&
		read -r _ mon _ <"$BERTH_ROOT/containers/$id/pid" &&
		fwd=$(pgrep -P "$mon" -x berth-ports) || return 1
	berth rm -f web >/dev/null || return 1
	for _ in $(seq 1 100); do
		[ -e "/proc/$fwd" ] || return 0
		sleep 0.05
	done
	return 1
}
check "the forwarder ends with the container" -- forwarder_gone
random_port() {
	run -d --name web2 -p 8080 $bb sh -c "$www" >/dev/null || return 1
	local p
	p=$(berth port web2 8080 | sed 's/.*://') && [ -n "$p" ] && wait_http "$p" /index.html &&
		[ "$(http_get "$p" /index.html)" = served-by-the-container ] && berth rm -f web2 >/dev/null
}
check "-p CTRPORT: a free host port, found with berth port" -- random_port
udp_publish() {
	local up
	up=$(free_port)
	run -d --name echo -p "$up:9999/udp" localhost/probe /probe udp-echo 9999 >/dev/null &&
		[ "$(udp_echo "$up")" = ping ] && berth rm -f echo >/dev/null
}
check "-p HOSTPORT:CTRPORT/udp: datagrams both ways" -- udp_publish
publish_all() {
	run -d --name pa -P --entrypoint '' -u 0 localhost/fixture:multilayer sh -c "$www" >/dev/null || return 1
	local p
	berth port pa >"$T/pa" && grep -q '^8080/tcp -> 127.0.0.1:' "$T/pa" && grep -q '^5353/udp -> 127.0.0.1:' "$T/pa" &&
		p=$(berth port pa 8080/tcp | sed 's/.*://') && wait_http "$p" /index.html && berth rm -f pa >/dev/null
}
check "-P publishes every ExposedPort on a free port" -- publish_all
ranges() {
	local a b
	a=$(free_port)
	b=$((a + 1))
	run -d --name rg -p "$a-$b:8080-8081" $bb sleep 30 >/dev/null &&
		[ "$(berth port rg | sort | tr '\n' ' ')" = "8080/tcp -> 127.0.0.1:$a 8081/tcp -> 127.0.0.1:$b " ] &&
		berth rm -f rg >/dev/null
}
check "-p A-B:C-D publishes a range" -- ranges
restarts() { # a published port is free again for the container's own restart
	local p i
	p=$(free_port)
	run -d --name rs -p "$p:8080" $bb sh -c "$www" >/dev/null || return 1
	for i in 1 2 3 4 5; do
		berth restart -t 1 rs >/dev/null || { echo "# restart $i failed"; return 1; }
	done
	wait_http "$p" /index.html && berth rm -f rs >/dev/null
}
check "a container with -p restarts at once, its port free for it again" -- restarts
check "a bad -p is refused: ranges of different length" -- expect_fail "differ" run --rm -p 18000-18002:80-81 $bb true
check "... a protocol other than tcp or udp" -- expect_fail "tcp or udp" run --rm -p 8080/sctp $bb true
check "... the same host port twice" -- expect_fail "twice" run --rm -p 18000:80 -p 18000:81 $bb true
check "... -p with --network none" -- expect_fail "none" run --rm --network none -p 8080 $bb true

# no slirp4netns is left running once its container has ended: this
# test's own, known by their log (stderr) in this test's store (other
# tests run containers beside this one, as the same user)
live_slirps() {
	local p n=0
	for p in $(pgrep -u "$(as_user id -u)" -x slirp4netns); do
		case $(readlink "/proc/$p/fd/2" 2>/dev/null) in "$BERTH_ROOT"/*) n=$((n + 1)) ;; esac
	done
	echo $n
}
gone() { for _ in $(seq 1 100); do [ "$(live_slirps)" = 0 ] && return 0; sleep 0.05; done; return 1; }
check "after attached runs, no slirp4netns runs" -- gone
detached() {
	local id pid holder
	id=$(run -d --name dn $bb sleep 30) || return 1
	# its slirp4netns: the one that joined its holder's user namespace
	read -r holder _ <"$BERTH_ROOT/containers/$id/pid" &&
		pid=$(pgrep -u "$(as_user id -u)" -f "userns-path=/proc/$holder/ns/user") || return 1
	# (no API socket: berth never makes one)
	! ps -o args= -p "$pid" | grep -q -- --api-socket || return 1
	berth exec dn sh -c 'test -e /sys/class/net/tap0' && berth stop -t 1 dn >/dev/null || return 1
	# the monitor reaped it: not even a zombie of it is left
	for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
	[ ! -e "/proc/$pid" ] && berth rm dn >/dev/null
}
check "a detached container: its slirp4netns runs while it does (without an API socket), and is gone (reaped) after stop" -- detached
finish
