#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth's default network: slirp4netns on the container's own network
# namespace (tap0, MTU 65520, slirp's DNS), host.docker.internal reaching
# a server the test starts on the host's 127.0.0.1, --no-host-loopback,
# --network none and host, --add-host, --dns, the errors for a missing
# slirp4netns and bad flags, and no slirp4netns left running after the
# container. Packets go only to 127.0.0.1 and the container's namespace.
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_fuse
if ! as_user unshare -U true 2>/dev/null; then
	skip "the test user cannot make a user namespace"
	finish
	exit
fi
if ! command -v slirp4netns >/dev/null || ! as_user test -w /dev/net/tun; then
	skip "slirp4netns or a usable /dev/net/tun is missing"
	finish
	exit
fi

run() { as_user env BERTH_FS="$BERTH_FS" "$BERTH" run "$@"; }
export -f run expect_fail
bb=localhost/bb:latest
check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"

# a server on the host's loopback, as the test user, on a free port
cat >"$T/server.py" <<'PY'
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the host\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
with socketserver.TCPServer(("127.0.0.1", 0), H) as s:
    open(sys.argv[1], "w").write(str(s.server_address[1]))
    s.serve_forever()
PY
chmod 0644 "$T/server.py"
# (its output is not the test's: meson waits for the test's stdout to close)
as_user python3 "$T/server.py" "$T/port" >/dev/null 2>&1 &
pre_cleanup() { pkill -u "$(as_user id -u)" -f "$T/server.py" 2>/dev/null; }
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
port=$(cat "$T/port")

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

# no slirp4netns is left running once its container has ended
live_slirps() { ps -u "$(as_user id -u)" -o stat=,comm= | awk '$2 == "slirp4netns" && $1 !~ /^Z/' | wc -l; }
gone() { for _ in $(seq 1 100); do [ "$(live_slirps)" = 0 ] && return 0; sleep 0.05; done; return 1; }
check "after attached runs, no slirp4netns runs" -- gone
detached() {
	local id pid
	id=$(run -d --name dn $bb sleep 30) || return 1
	# its slirp4netns: the one whose API socket is named after it
	pid=$(pgrep -u "$(as_user id -u)" -f "slirp-${id:0:12}.sock") || return 1
	berth exec dn sh -c 'test -e /sys/class/net/tap0' && berth stop -t 1 dn >/dev/null || return 1
	# the monitor reaped it: not even a zombie of it is left
	for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
	[ ! -e "/proc/$pid" ] && berth rm dn >/dev/null
}
check "a detached container: its slirp4netns runs while it does, and is gone (reaped) after stop" -- detached
finish
