#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth pull against a registry that misbehaves: Debian's
# docker-registry (distribution 2.8) on 127.0.0.1 behind
# tests/integration/registry-proxy.py, a proxy on loopback that corrupts
# a blob, cuts a connection mid-blob, answers 500, hangs, or throttles
# while the test kills the registry and starts it again. Each fault
# ends in bounded time with one line naming the registry or the blob,
# or the pull resumes; the store never holds a partial blob, a stage or
# an image of a failed pull.
. "$(dirname "$0")/../lib.sh"
require_fixtures

. "$SRCDIR/tests/registry-lib.sh"
registry_require

reg=$(mktemp -d /tmp/berth-registry.XXXXXX)
chmod 0755 "$reg"
pre_cleanup() {
	registry_cleanup
	rm -rf "$reg"
}
port=$(free_port)
pport=$(free_port)
registry_start_or_end "$reg" "$port"
R=127.0.0.1:$port
P=127.0.0.1:$pport
mode() { echo "$*" >"$reg/mode"; }
mode pass
check "the faulty proxy answers on $P" -- registry_proxy_start "$pport" "http://$R" "$reg/mode" "$reg/proxy.log"
seed_all() {
	registry_seed "http://$R" podman-bb.oci-dir bb latest >/dev/null &&
		registry_seed "http://$R" podman-multilayer.oci-dir fixture/multilayer v1 >/dev/null
}
check "seed the registry" -- seed_all
# small bounds, so that a hung registry ends the pull in seconds
registry_user_conf "connect-timeout = 2\nstall-timeout = 2\nretries = 2\n"
bb_layer=sha256:2a5d0753c61e31b15d3d6a6c543a32a5afd06f2bbd15bb0aa12ee7605d23c935

# a clean pull, to compare with
export BERTH_ROOT="$T/clean"
clean_id=$(berth pull -q "$R/bb")
berth image tree "$R/bb" >"$T/bb.tree"
diag "clean pull: $clean_id"

# pull_in STORE REF: berth pull into STORE; stdout $T/out, stderr $T/err
pull_in() { BERTH_ROOT="$T/$1" as_user "$BERTH" pull "$2" >"$T/out" 2>"$T/err"; }
# one_line: the failure is one line (berth's), whatever progress came before
pull_fails() { ! pull_in "$@"; }
same_tree() { BERTH_ROOT="$T/$1" as_user "$BERTH" image tree "$2" | cmp -s - "$T/bb.tree"; }
one_line() { test "$(grep -c '^berth:' "$T/err")" = 1; }
nothing_stored() {
	store_blobs_sound "$T/$1" && test "$(find "$T/$1/blobs" -type f 2>/dev/null | wc -l)" = 0 &&
		! grep -qs "$2" "$T/$1/refs.json"
}
proxy_mark() { wc -l <"$reg/proxy.log"; }
proxy_since() { tail -n +$(($1 + 1)) "$reg/proxy.log"; }
resumed_range() { proxy_since "$1" | grep -q "blobs/$bb_layer range=bytes=300000-1087846\$"; }

# --- a corrupted blob
mode corrupt
check "a blob corrupted on the way fails the pull" -- pull_fails corrupt "$P/bb"
check "... naming the blob and its wrong digest" -- grep -q "blob $bb_layer from $P: wrong digest" "$T/err"
check "... in one line" -- one_line
check "... the proxy did corrupt that blob" -- grep -q "^corrupt $bb_layer" "$reg/proxy.log"
check "... and nothing is stored: no blob, no stage, no image" -- nothing_stored corrupt "$P/bb"

# --- a connection cut in the middle of a blob, once
mode cut 300000
m=$(proxy_mark)
check "a pull whose blob is cut after 300000 bytes succeeds" -- pull_in cut "$P/bb"
check "... the proxy cut it" -- grep -q "^cut $bb_layer after 300000" "$reg/proxy.log"
check "... and berth resumed it with a bounded Range request" -- resumed_range "$m"
check "... the image is the clean pull's (ID)" -- test "$(cat "$T/out")" = "$clean_id"
check "... and its files are the clean pull's" -- same_tree cut "$P/bb"
check "... every stored blob is whole" -- store_blobs_sound "$T/cut"

# --- the same cut, then the registry gone for one try: the next try
# still asks for the rest only
mode cut-502 300000
m=$(proxy_mark)
check "a cut blob whose first resume meets a 502 succeeds" -- pull_in c502 "$P/bb"
check "... the proxy cut it, then refused one try" -- bash -c "grep -q '^cut $bb_layer after 300000' '$reg/proxy.log' && grep -q '^502 $bb_layer' '$reg/proxy.log'"
check "... both tries after the cut asked for the rest (Range)" -- test "$(proxy_since "$m" | grep -c "blobs/$bb_layer range=bytes=300000-1087846\$")" = 2
check "... the image is the clean pull's" -- test "$(cat "$T/out")" = "$clean_id"

# --- the same cut, from a registry that ignores Range: the blob restarts
mode cut-norange 300000
m=$(proxy_mark)
check "a cut blob from a registry that ignores Range (200, whole) succeeds" -- pull_in norange "$P/bb"
check "... the proxy cut it, and berth asked for the rest" -- bash -c "grep -q '^cut $bb_layer after 300000' '$reg/proxy.log' && tail -n +$((m + 1)) '$reg/proxy.log' | grep -q 'blobs/$bb_layer range=bytes=300000-'"
check "... started the blob again from zero: the image is the clean pull's" -- test "$(cat "$T/out")" = "$clean_id"
check "... and its files are the clean pull's" -- same_tree norange "$P/bb"
check "... every stored blob is whole" -- store_blobs_sound "$T/norange"

# --- a registry that answers 500 to everything
mode 500
m=$(proxy_mark)
start=$SECONDS
check "a registry answering 500 fails the pull" -- pull_fails e500 "$P/bb"
took=$((SECONDS - start))
diag "500: $(cat "$T/err") (${took}s)"
check "... in one line naming the registry and the status" -- bash -c "grep '^berth:' '$T/err' | grep -q '$P.*HTTP 500'"
check "... one line" -- one_line
check "... after a bounded number of tries (3: retries = 2)" -- test "$(proxy_since "$m" | grep -c '^GET /v2/ ')" = 3
check "... in bounded time (${took}s)" -- test "$took" -lt 20
check "... and nothing is stored" -- nothing_stored e500 "$P/bb"

# --- a registry that hangs
mode hang
start=$SECONDS
check "a hung registry fails the pull" -- pull_fails hang "$P/bb"
took=$((SECONDS - start))
diag "hang: $(cat "$T/err") (${took}s)"
check "... in bounded time under stall-timeout = 2 (${took}s)" -- test "$took" -lt 40
check "... in one line naming the registry" -- bash -c "grep '^berth:' '$T/err' | grep -q '$P'"
check "... one line" -- one_line
check "... and nothing is stored" -- nothing_stored hang "$P/bb"

# --- a layer that fails to install while the next one streams (the
# install runs beside the download): the download stops at once
read -r lie_small lie_big < <(registry_two_layers "$reg/lie" 16 lie)
check "seed an image whose first layer's diffID is wrong, then 16 MiB" -- python3 "$SRCDIR/tests/integration/registry-seed.py" "http://$R" "$reg/lie" lie latest
mode throttle 1000000
m=$(proxy_mark)
start=$SECONDS
check "a layer whose diffID is wrong fails the pull" -- pull_fails lie "$P/lie"
took=$((SECONDS - start))
diag "lie: $(grep '^berth:' "$T/err") (${took}s)"
check "... naming the layer and the mismatch" -- grep -q "layer 1 (${lie_small:0:19}): diff_id mismatch" "$T/err"
check "... in one line" -- one_line
check "... long before the 16 MiB at 1 MB/s would be whole (${took}s)" -- test "$took" -lt 8
lie_cut() { proxy_since "$m" | grep -q "^throttled /v2/lie/blobs/$lie_big cut after"; }
check "... berth stopped fetching the big layer" -- wait_for 10 lie_cut
check "... and nothing is stored: no blob, no stage, no image" -- nothing_stored lie "$P/lie"
check "... and no layer" -- test -z "$(ls "$T/lie/layers" 2>/dev/null)"
mode pass

# --- the registry killed for good while a layer is already unpacked in
# the stage and the next one streams: the stage goes with both
read -r two_small two_big < <(registry_two_layers "$reg/two" 16)
check "seed an image of a small layer, then 16 MiB" -- python3 "$SRCDIR/tests/integration/registry-seed.py" "http://$R" "$reg/two" two latest
mode throttle 1000000
BERTH_ROOT="$T/two" as_user "$BERTH" pull "$P/two" >"$T/two.out" 2>"$T/two.err" &
pull=$!
first_unpacked() { ls -d "$T"/two/tmp/stage-*/layer-*/diff/small >/dev/null 2>&1; }
check "the first layer is unpacked while the second streams" -- wait_for 20 first_unpacked
kill -9 "$REG_PID"
wait "$REG_PID" 2>/dev/null
rc=0
wait "$pull" || rc=$?
cp "$T/two.err" "$T/err"
diag "registry gone: rc $rc: $(grep '^berth:' "$T/err")"
check "... the registry gone for good fails the pull" -- test "$rc" != 0
check "... naming the blob" -- grep -q "^berth: .*${two_big#sha256:}" "$T/err"
check "... in one line" -- one_line
check "... and nothing is stored: no blob, no stage, no image" -- nothing_stored two "$P/two"
check "... and no layer" -- test -z "$(ls "$T/two/layers" 2>/dev/null)"
mode pass
check "the registry starts again" -- registry_start "$reg" "$port"

# --- the registry killed half-way through a throttled pull, then started
# again: a layer of 16 MiB (more than the sockets buffer) at 4 MB/s
big_layer=$(registry_big_layout "$reg/big" 16)
check "seed a one-layer image of 16 MiB" -- python3 "$SRCDIR/tests/integration/registry-seed.py" "http://$R" "$reg/big" big latest
big_id=$(BERTH_ROOT="$T/clean" as_user "$BERTH" pull -q "$R/big")
registry_user_conf "connect-timeout = 2\nstall-timeout = 5\nretries = 4\n"
mode throttle 4000000
m=$(proxy_mark)
BERTH_ROOT="$T/kill" as_user "$BERTH" pull "$P/big" >"$T/kill.out" 2>"$T/kill.err" &
pull=$!
blob_flows() { proxy_since "$m" | grep -q "GET /v2/big/blobs/$big_layer"; }
check "the throttled pull fetches the layer" -- wait_for 30 blob_flows
sleep 1
kill -9 "$REG_PID"
wait "$REG_PID" 2>/dev/null
check "the registry, killed mid-blob, starts again" -- registry_start "$reg" "$port"
rc=0
wait "$pull" || rc=$?
diag "after the kill: rc $rc: $(grep -v Downloading "$T/kill.err" | tail -3)"
diag "$(proxy_since "$m" | grep -v '^GET /v2/ ' | tail -8)"
if [ $rc = 0 ]; then
	check "... the pull resumed: the image is the clean pull's" -- test "$(cat "$T/kill.out")" = "$big_id"
	check "... from where it was cut (a Range request)" -- bash -c "tail -n +$((m + 1)) '$reg/proxy.log' | grep -q 'blobs/$big_layer range=bytes=[1-9]'"
else
	cp "$T/kill.err" "$T/err"
	check "... the pull failed in one line" -- one_line
	check "... leaving no image" -- bash -c "! grep -qs '$P/big' '$T/kill/refs.json'"
fi
check "... either way no partial blob and no stage in the store" -- store_blobs_sound "$T/kill"
mode pass
check "a later pull completes" -- pull_in kill "$P/big"
check "... with the clean pull's image" -- test "$(cat "$T/out")" = "$big_id"
check "... every stored blob whole" -- store_blobs_sound "$T/kill"

finish
