#!/bin/bash
# bench/net.sh: TCP throughput with iperf3, in one run, as the
# unprivileged user "peer":
#   native       iperf3 client and server on the host's 127.0.0.1
#   -p (berth)   host client -> berth's published port -> server in a
#                container (berth's splice forwarder, no slirp4netns)
#   hostfwd      the same through slirp4netns's own port forwarding (added
#                through an API socket, which berth does not make: a
#                BERTH_SLIRP4NETNS wrapper adds --api-socket for this
#                container only): what a slirp-based -p costs
#   podman -p    podman run -p (rootlessport); reported with its error
#                where podman cannot run
#   to host      client in a container -> host.docker.internal -> server on
#                the host's 127.0.0.1 (through slirp4netns)
#   to host, relay   the same with --host-loopback=PORT: berth-hostloop's
#                splice relay instead of slirp4netns
#   net -> host  the same from a user network: every port (the container's
#                own slirp4netns on tap1), and --host-loopback=PORT (relay)
#   ctr -> ctr   client container -> server container by name, both on one
#                user network (veth pairs and a bridge, no slirp4netns)
# Each figure is the median of --runs iperf3 runs (default 3) of --secs
# seconds (default 5), receiver side. The container image is iperf3 and the
# libraries it needs, from this host, imported with `berth import` (a
# tmpfs on /tmp, where iperf3 keeps its stream buffers).
# Also timed: `berth run --rm IMG true` with the default network and with
# --network none and on a user network, each also with
# --host-loopback=PORT (hyperfine, 20 runs), for the network's share of a
# start.
# The results go to docs/performance.md (section "Networking").
#
# Usage: sudo bench/net.sh [--runs N] [--secs S] [--no-doc]
# Needs: sudo shared/tools/peer-setup.sh (iperf3, hyperfine, podman, peer).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=3 SECS=5
bench_own_opt() { case $1 in --secs) SECS=${2:?} ;; *) return 1 ;; esac; }
bench_args "$@"
[[ $SECS =~ ^[1-9][0-9]*$ ]] || bench_die "--secs wants a positive number"
bench_need_busybox_peer
command -v iperf3 >/dev/null || bench_die "iperf3 missing: run peer-setup.sh"
chmod 0666 /dev/fuse /dev/net/tun

bench_setup net
clean() {
	as_peer $B rm -f bench-iperf bench-srv bench-idle >/dev/null 2>&1 || true
	as_peer $B network rm bench-net >/dev/null 2>&1 || true
	pkill -u "$PEER_USER" -x iperf3 2>/dev/null || true
	as_peer rm -rf "$WORK" 2>/dev/null || true
}
clean
trap clean EXIT
as_peer mkdir -p "$WORK"

# an image of this host's iperf3 and the libraries it loads
LIST=$WORK/files
{ echo /usr/bin/iperf3; ldd /usr/bin/iperf3 | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; } >"$LIST"
tar -chf "$WORK/iperf3.tar" --owner=0 --group=0 -P --transform 's,^/,,' -T "$LIST" 2>/dev/null
chown "$PEER_USER" "$WORK/iperf3.tar" "$LIST"
as_peer $B import -q "$WORK/iperf3.tar" localhost/iperf3 >/dev/null
as_peer $B import -q "$ROOTFS_TAR" localhost/bb >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# iperf3 client as peer (or the given command) -> Gbit/s, the median of RUNS
gbits() { # gbits LABEL CMD...
	local label=$1 i v vals=()
	shift
	for i in $(seq 1 "$RUNS"); do
		if ! "$@" >"$RES/$label-$i.json" 2>"$RES/$label-$i.err"; then
			bench_log "$label failed: $(tail -n 1 "$RES/$label-$i.err")"
			return 1
		fi
		v=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9)' "$RES/$label-$i.json") || return 1
		vals+=("$v")
	done
	printf '%s\n' "${vals[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }'
}
declare -A G WHY
client() { as_peer iperf3 -c 127.0.0.1 -p "$1" -t "$SECS" -J; }

# native
NP=$(free_port)
as_peer iperf3 -s -B 127.0.0.1 -p "$NP" -D
sleep 0.5
G[native]=$(gbits native client "$NP") || G[native]=

# a container serving iperf3 on 5201, published by berth (-p) and by
# slirp4netns's hostfwd (its API socket)
PP=$(free_port)
as_peer $B run -d --name bench-iperf --tmpfs /tmp -p "127.0.0.1:$PP:5201" localhost/iperf3 iperf3 -s >/dev/null
sleep 1
G[publish]=$(gbits publish client "$PP") || G[publish]=
as_peer $B rm -f bench-iperf >/dev/null
# the same container again, its slirp4netns given an API socket by a
# wrapper (berth makes none)
API=$WORK/slirp-api.sock
printf '#!/bin/sh\nexec %s --api-socket=%s "$@"\n' "$(command -v slirp4netns)" "$API" >"$WORK/slirp-api.sh"
chmod 0755 "$WORK/slirp-api.sh"
chown "$PEER_USER" "$WORK/slirp-api.sh"
as_peer env BERTH_SLIRP4NETNS="$WORK/slirp-api.sh" $B run -d --name bench-iperf --tmpfs /tmp localhost/iperf3 iperf3 -s >/dev/null
sleep 1
[ -S "$API" ] || API=
HP=$(free_port)
if [ -n "$API" ] && as_peer python3 -c 'import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(json.dumps({"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1",
    "host_port": int(sys.argv[2]), "guest_port": 5201}}).encode()); s.shutdown(socket.SHUT_WR)
r = json.loads(s.recv(4096)); sys.exit("error" in r)' "$API" "$HP"; then
	G[hostfwd]=$(gbits hostfwd client "$HP") || G[hostfwd]=
else
	WHY[hostfwd]="no slirp4netns API socket found"
fi
as_peer $B rm -f bench-iperf >/dev/null

# podman's -p, where podman runs
PDP=$(free_port)
if as_peer podman run -d --name bench-iperf-podman --network slirp4netns -p "127.0.0.1:$PDP:5201" \
	--cgroups=disabled "$PEER_DEBIAN" sleep 600 >"$RES/podman.out" 2>&1; then
	as_peer podman rm -f bench-iperf-podman >/dev/null 2>&1 || true
	WHY[podman]="podman runs, but its image has no iperf3 (not measured)"
else
	WHY[podman]=$(tail -n 1 "$RES/podman.out")
	as_peer podman rm -f bench-iperf-podman >/dev/null 2>&1 || true
fi

# container -> host through host.docker.internal
TP=$(free_port)
as_peer iperf3 -s -B 127.0.0.1 -p "$TP" -D
sleep 0.5
G[tohost]=$(gbits tohost as_peer $B run --rm --tmpfs /tmp localhost/iperf3 iperf3 -c host.docker.internal -p "$TP" -t "$SECS" -J) || G[tohost]=
G[torelay]=$(gbits torelay as_peer $B run --rm --tmpfs /tmp --host-loopback="$TP" localhost/iperf3 iperf3 -c host.docker.internal -p "$TP" -t "$SECS" -J) || G[torelay]=

# container -> container on a user network
as_peer $B network create bench-net >/dev/null
as_peer $B run -d --name bench-srv --network bench-net --tmpfs /tmp localhost/iperf3 iperf3 -s >/dev/null
sleep 1
G[c2c]=$(gbits c2c as_peer $B run --rm --network bench-net --tmpfs /tmp localhost/iperf3 iperf3 -c bench-srv -t "$SECS" -J) || G[c2c]=
as_peer $B rm -f bench-srv >/dev/null
G[nethost]=$(gbits nethost as_peer $B run --rm --network bench-net --tmpfs /tmp localhost/iperf3 iperf3 -c host.docker.internal -p "$TP" -t "$SECS" -J) || G[nethost]=
G[netrelay]=$(gbits netrelay as_peer $B run --rm --network bench-net --tmpfs /tmp --host-loopback="$TP" localhost/iperf3 iperf3 -c host.docker.internal -p "$TP" -t "$SECS" -J) || G[netrelay]=

# the network's share of a start (a container stays on the user network,
# as in use: its bridge is up)
as_peer $B run -d --name bench-idle --network bench-net localhost/bb sleep 600 >/dev/null
as_peer hyperfine -N --runs 20 --warmup 3 --export-json "$RES/hf-start.json" \
	"$B run --rm --network none localhost/bb true" "$B run --rm localhost/bb true" \
	"$B run --rm --network bench-net localhost/bb true" \
	"$B run --rm --host-loopback=$TP localhost/bb true" \
	"$B run --rm --network bench-net --host-loopback=$TP localhost/bb true" \
	"$B run --rm --network bench-net --no-host-loopback localhost/bb true" >"$RES/hf-start.txt" 2>&1 || true
read -r START_NONE START_SLIRP START_NET START_RELAY START_NETRELAY START_NETNONE < <(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"]; print(" ".join("%.1f" % (x["median"] * 1000) for x in r))' "$RES/hf-start.json" 2>/dev/null || echo "n/a n/a n/a n/a n/a n/a")
as_peer $B rm -f bench-idle >/dev/null

MACHINE=$(bench_machine)
BERTH_VERSION=$(bench_berth_version "$BERTH")
pct() { [ -n "${1:-}" ] && [ -n "${2:-}" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }' || echo "n/a"; }
# verdict A FACTOR B: "met" when A >= FACTOR * B
verdict() { [ -n "${1:-}" ] && [ -n "${3:-}" ] && awk -v a="$1" -v f="$2" -v b="$3" 'BEGIN { print (a >= f * b ? "met" : "not met") }' || echo "n/a"; }
{
	bench_section_head "Networking"
	echo
	echo "TCP throughput, iperf3 (one stream, $SECS s, receiver side, median of $RUNS runs), as the"
	echo "unprivileged user \`$PEER_USER\`; the container runs this host's iperf3."
	echo
	echo "| path | Gbit/s | of native |"
	echo "|---|--:|--:|"
	echo "| native loopback (127.0.0.1) | ${G[native]:-n/a} | 100% |"
	echo "| host -> container, berth \`-p\` (splice forwarder) | ${G[publish]:-n/a} | $(pct "${G[publish]:-}" "${G[native]:-}") |"
	echo "| host -> container, slirp4netns hostfwd | ${G[hostfwd]:-n/a} | $(pct "${G[hostfwd]:-}" "${G[native]:-}") |"
	echo "| host -> container, podman \`-p\` | n/a | |"
	echo "| container -> host, host.docker.internal (slirp4netns) | ${G[tohost]:-n/a} | $(pct "${G[tohost]:-}" "${G[native]:-}") |"
	echo "| container -> host, \`--host-loopback=PORT\` (berth-hostloop relay) | ${G[torelay]:-n/a} | $(pct "${G[torelay]:-}" "${G[native]:-}") |"
	echo "| user network -> host, every port (the container's own slirp4netns) | ${G[nethost]:-n/a} | $(pct "${G[nethost]:-}" "${G[native]:-}") |"
	echo "| user network -> host, \`--host-loopback=PORT\` (relay) | ${G[netrelay]:-n/a} | $(pct "${G[netrelay]:-}" "${G[native]:-}") |"
	echo "| container -> container by name, user network (veth, bridge) | ${G[c2c]:-n/a} | $(pct "${G[c2c]:-}" "${G[native]:-}") |"
	for k in hostfwd podman; do
		[ -z "${WHY[$k]:-}" ] || echo "
$k: \`${WHY[$k]}\`"
	done
	echo
	echo "Targets (issue 6): published port >= 85% of native: $(verdict "${G[publish]:-}" 0.85 "${G[native]:-}");"
	echo "container -> container >= 80% of native: $(verdict "${G[c2c]:-}" 0.80 "${G[native]:-}");"
	echo "container -> host >= podman's 1.7 Gbit/s measured on this machine's reference run: $(verdict "${G[tohost]:-}" 1 1.7)."
	echo
	echo "\`run --rm IMG true\` (hyperfine medians, 20 runs): ${START_NONE} ms with \`--network none\`,"
	echo "${START_SLIRP} ms with the default slirp4netns network, ${START_NET} ms on a user network"
	echo "(every port of the host's loopback: the container's own slirp4netns), ${START_NETNONE} ms there"
	echo "with \`--no-host-loopback\`; with \`--host-loopback=PORT\` (the relay's listeners and process):"
	echo "${START_RELAY} ms on the default network, ${START_NETRELAY} ms on a user network."
	echo
	echo "Machine: $(echo "$MACHINE" | head -n 1)  "
	echo "Versions: berth $BERTH_VERSION, iperf3 $(iperf3 --version | head -n 1 | awk '{ print $2 }'), slirp4netns $(slirp4netns --version | head -n 1 | awk '{ print $3 }')."
} >"$BODY"
bench_put_doc "Networking"
