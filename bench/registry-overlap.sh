#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bench/registry-overlap.sh BERTH_A BERTH_B [RUNS]: cold pulls of the
# 5-layer image (bench/registry-layers.py cut of peer-setup's Debian
# rootfs) by two berth builds, interleaved (A B, then B A, ...), from a
# registry on 127.0.0.1 directly and through tests/integration/
# registry-proxy.py throttled to $RATE bytes a second per connection
# (default 20000000), a new store for every run (in a new directory under $STORES,
# default a directory in /tmp; kept until the end); medians of wall time, CPU
# time (user + system) and GNU time's peak RSS. For the A/B of the
# pipelined install in docs/performance.md. Needs root (the pulls run as
# $BENCH_USER, default berth-sub, the registry too).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
A=$(realpath "$1") B=$(realpath "$2") RUNS=${3:-5}
RATE=${RATE:-20000000}
U=${BENCH_USER:-berth-sub}
ROOTFS_TAR=${ROOTFS_TAR:-/var/tmp/berth-peers/debian-rootfs.tar}
D=$(mktemp -d /tmp/berth-overlap.XXXXXX)
chmod 0755 "$D"
PIDS="" S=""
trap 'kill $PIDS 2>/dev/null; wait 2>/dev/null; rm -rf "$D" "$S"' EXIT
as_u() { runuser -u "$U" -- env HOME="$D/home" "$@"; }
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
answers() {
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$1/v2/" && return 0
		sleep 0.1
	done
	return 1
}

LAYOUT=${LAYOUT:-$D/five}
[ -d "$LAYOUT" ] || python3 "$SRC/bench/registry-layers.py" "$ROOTFS_TAR" 5 "$LAYOUT"
RP=$(port) PP=$(port)
S=$(mktemp -d "${STORES:-$D}/stores.XXXXXX")
mkdir -p "$D/reg" "$D/home"
chown "$U" "$D/reg" "$D/home" "$S"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
	"$D/reg/data" "$RP" >"$D/reg.yml"
as_u /usr/bin/docker-registry serve "$D/reg.yml" >"$D/reg.log" 2>&1 &
PIDS="$PIDS $!"
answers "$RP"
echo "throttle $RATE" >"$D/mode"
python3 "$SRC/tests/integration/registry-proxy.py" "$PP" "http://127.0.0.1:$RP" "$D/mode" "$D/proxy.log" 2>/dev/null &
PIDS="$PIDS $!"
answers "$PP"
python3 "$SRC/tests/integration/registry-seed.py" "http://127.0.0.1:$RP" "$LAYOUT" five latest >/dev/null

# one BIN NAME PORT RUN: a cold pull, "NAME EP wall rss" on stdout
one() {
	local s="$S/$2-$3-$4"
	sync
	sleep 1
	as_u /usr/bin/time -o "$s.time" -f '%e %M %U %S' env BERTH_ROOT="$s" "$1" pull -q "127.0.0.1:$3/five" >/dev/null
	echo "$2 $([ "$3" = "$RP" ] && echo loopback || echo throttled) $(cat "$s.time")"
}
for r in $(seq "$RUNS"); do
	for ep in "$RP" "$PP"; do
		if [ $((r % 2)) = 1 ]; then
			one "$A" A "$ep" "$r"; one "$B" B "$ep" "$r"
		else
			one "$B" B "$ep" "$r"; one "$A" A "$ep" "$r"
		fi
	done
done | tee "$D/runs"
echo "# rate $RATE B/s per connection, $RUNS runs each, medians"
python3 - "$D/runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for ep in ("loopback", "throttled"):
    for b in ("A", "B"):
        w = [float(r[2]) for r in rows if r[0] == b and r[1] == ep]
        m = [int(r[3]) for r in rows if r[0] == b and r[1] == ep]
        c = [float(r[4]) + float(r[5]) for r in rows if r[0] == b and r[1] == ep]
        print("%-9s %s  wall %.2f s (%s)  CPU %.2f s  peak RSS %.1f MB" % (ep, b,
              statistics.median(w), " ".join("%.2f" % x for x in w), statistics.median(c),
              statistics.median(m) / 1024))
PY
