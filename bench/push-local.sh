#!/bin/bash
# bench/push-local.sh: the first push of a locally made image, two berth
# builds interleaved (before, after, before, ...), RUNS times each
# (default 5): each run imports the Debian rootfs tar into an empty store
# (untimed, then sync) and pushes it to a new repository of a
# docker-registry on 127.0.0.1, so the push compresses the layer. Wall
# time and peak RSS from GNU time; medians (min-max).
#
# Usage: RUNS=5 bench/push-local.sh BERTH_BEFORE BERTH_AFTER [TAR]
# (default TAR: peer-setup's /var/tmp/berth-peers/debian-rootfs.tar)
set -eu
RUNS=${RUNS:-5}
BEFORE=$1 AFTER=$2 TAR=${3:-/var/tmp/berth-peers/debian-rootfs.tar}
W=${BENCH_DIR:-/var/tmp/berth-bench-push-local}
rm -rf $W; mkdir -p $W/reg
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >$W/reg.yml <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/reg
http:
  addr: 127.0.0.1:$PORT
YML
/usr/bin/docker-registry serve $W/reg.yml >$W/reg.log 2>&1 &
RP=$!
trap 'kill $RP' EXIT
for i in $(seq 50); do curl -sf http://127.0.0.1:$PORT/v2/ >/dev/null && break; sleep 0.1; done
for r in $(seq $RUNS); do
  for v in before after; do
    b=$BEFORE; [ $v = after ] && b=$AFTER
    export BERTH_ROOT=$W/store-$v
    rm -rf $BERTH_ROOT
    $b import -q "$TAR" localhost/deb:1 >/dev/null
    sync
    /usr/bin/time -f "$v %e s %M KB" -a -o $W/times $b push -q localhost/deb:1 127.0.0.1:$PORT/deb-$v-$r:1 >/dev/null
    tail -1 $W/times
  done
done
echo "== medians"
for v in before after; do grep "^$v " $W/times | awk '{print $2, $4}' | sort -n | awk -v v=$v '{t[NR]=$1; m[NR]=$2} END {n=NR; mid=int((n+1)/2); print v, "median", t[mid], "s; min", t[1], "max", t[n]}'; grep "^$v " $W/times | awk '{print $4}' | sort -n | awk -v v=$v '{m[NR]=$1} END {print v, "peak RSS median", m[int((NR+1)/2)], "KB"}'; done
