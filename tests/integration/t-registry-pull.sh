#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What pulls besides `berth pull REF`, against Debian's docker-registry
# (distribution 2.8) on 127.0.0.1, with a docker.io mirror pointing at
# it (nothing leaves the machine): run/create --pull=missing|always|never
# and a profile's pull key; pull --all-tags through the tags list's
# pages (a proxy on loopback asks the registry for one tag a page); the
# progress redrawn in place on a terminal, plain lines otherwise.
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
echo pass >"$reg/mode"
seed_all() {
	local t
	registry_seed "http://$R" podman-bb.oci-dir library/busybox latest >/dev/null &&
		registry_seed "http://$R" podman-multilayer.oci-dir fixture/multilayer v1 >/dev/null &&
		for t in v1 v2 v3; do
			registry_seed "http://$R" podman-bb.oci-dir bb "$t" >/dev/null || return 1
		done &&
		registry_seed "http://$R" podman-multilayer.oci-dir bb v4 >/dev/null
}
check "seed the registry" -- seed_all
registry_user_conf "[docker.io]\nmirror = $R\n"
manifest_gets() { grep -c '"GET /v2/library/busybox/manifests/' "$reg/log"; }
blob_gets() { grep -c '"GET /v2/[^ "]*/blobs/sha256:' "$reg/log"; }
listed() { berth images | grep -q "^$1  *$2 "; }
# b_err ARGS...: berth ARGS, stdout $T/out, stderr $T/err
b_err() { berth "$@" >"$T/out" 2>"$T/err"; }

# --- run/create --pull
check "create --pull=never of an image the store lacks fails" -- expect_fail "No such image: busybox" berth create --pull=never busybox true
check "... in docker's one line" -- test "$(cat "$T/ef.err")" = "berth: No such image: busybox"
check "... nothing was asked of the registry" -- test "$(manifest_gets)" = 0
check "create of a missing localhost/ name (the store's own) is the store's error, no pull" -- expect_fail "image \"localhost/nosuch\": no such image in the store" berth create localhost/nosuch true
check "--pull takes missing, always or never" -- expect_fail "invalid pull option: 'sometimes'" berth create --pull=sometimes busybox true
check "create of a missing image pulls it (docker's default, missing)" -- b_err create busybox true
check "... saying so, with the pull's progress and status" -- bash -c "grep -q \"Unable to find image 'busybox' locally\" '$T/err' && grep -q 'Download complete' '$T/err' && grep -q 'Status: Downloaded newer image for docker.io/library/busybox:latest' '$T/err'"
check "... the container's ID on stdout" -- grep -Eqx '[0-9a-f]{64}' "$T/out"
check "... the image listed under its docker.io name" -- listed docker.io/library/busybox latest
gets=$(manifest_gets)
blobs=$(blob_gets)
check "create of a present image asks the registry nothing" -- b_err create busybox true
check "... not even its manifest" -- test "$(manifest_gets)" = "$gets"
check "create --pull=always asks for the manifest again" -- b_err create --pull=always busybox true
check "... and fetches no blob it has" -- bash -c "test \$(grep -c '\"GET /v2/library/busybox/manifests/' '$reg/log') -gt $gets && test \$(grep -c '\"GET /v2/[^ \"]*/blobs/sha256:' '$reg/log') = $blobs"
check "... 'Image is up to date'" -- grep -q "Status: Image is up to date for docker.io/library/busybox:latest" "$T/err"
check "create --pull=never of a present image works" -- b_err create --pull=never busybox true

# a profile's pull key, and its default
cat >"$T/never.ini" <<INI
[sandbox]
image = $R/fixture/multilayer:v1
pull = never
INI
sed '/^pull/d' "$T/never.ini" >"$T/missing.ini"
chmod a+r "$T"/*.ini
check "a profile with pull = never and a missing image fails, naming FILE:LINE" -- expect_fail "never.ini:2: [sandbox] image: image \"$R/fixture/multilayer:v1\": no such image in the store" berth create --profile "$T/never.ini"
check "a profile's missing image is pulled (missing by default)" -- b_err create --profile "$T/missing.ini"
check "... and listed" -- listed "$R/fixture/multilayer" v1
if as_user unshare -U true 2>/dev/null; then
	export BERTH_ROOT="$T/store-run"
	run_hi() { test "$(berth run --rm busybox echo hi 2>"$T/err")" = hi; }
	check "run of a missing image pulls it and runs it" -- run_hi
	check "... the pull's lines on stderr" -- grep -q "Status: Downloaded newer image for docker.io/library/busybox:latest" "$T/err"
	export BERTH_ROOT="$T/store-stack"
	printf '[stack]\nname = pl\n[one]\nimage = busybox\ncommand = sleep 30\n[one.network]\nmode = none\n' >"$T/pl.ini"
	chmod a+r "$T/pl.ini"
	check "up of a stack whose image is missing pulls it" -- b_err up -d "$T/pl.ini"
	check "... through the mirror, with the pull's lines" -- grep -q "Status: Downloaded newer image for docker.io/library/busybox:latest" "$T/err"
	check "... and runs its sandbox" -- bash -c "grep -qx pl-one '$T/out'"
	berth down "$T/pl.ini" >/dev/null 2>&1
	export BERTH_ROOT="$T/store"
else
	skip "the test user cannot make a user namespace: run --pull not run"
fi

# --- pull --all-tags, through a proxy that has the registry answer one
# tag a page (the Link header leads to the next)
echo "tags-page 1" >"$reg/mode"
check "the proxy answers on $P" -- registry_proxy_start "$pport" "http://$R" "$reg/mode" "$reg/proxy.log"
export BERTH_ROOT="$T/store-tags"
check "pull --all-tags pulls every tag" -- b_err pull --all-tags "$P/bb"
check "... one image ID a line, one per tag" -- test "$(grep -Ec '^sha256:[0-9a-f]{64}$' "$T/out")" = 4
tags_listed() {
	local imgs t
	imgs=$(berth images)
	for t in v1 v2 v3 v4; do grep -q "^$P/bb  *$t " <<<"$imgs" || return 1; done
}
check "... each tag listed" -- tags_listed
check "... following the Link header page after page" -- test "$(grep -c 'GET /v2/bb/tags/list' "$reg/proxy.log")" = 4
check "... each page after the last tag of the one before" -- grep -q 'GET /v2/bb/tags/list?n=1&last=v3 ' "$reg/proxy.log"
check "... the docker status line" -- grep -q "Status: Downloaded newer images for $P/bb" "$T/err"
check "pull -a refuses a tag, in docker's words" -- expect_fail "tag can't be used with --all-tags/-a" berth pull -a "$P/bb:v1"
check "pull -a refuses a digest" -- expect_fail "tag can't be used with --all-tags/-a" berth pull -a "$P/bb@sha256:$(printf %064d 0)"
check "pull -a of an unknown repository fails in one line" -- expect_fail "tags list" berth pull -a "$P/nope"
echo pass >"$reg/mode"

# --- progress: redrawn in place on a terminal, plain lines otherwise
export BERTH_ROOT="$T/store-tty"
check "pull on a terminal" -- on_tty "$BERTH" pull "$R/fixture/multilayer:v1"
check "... redraws each layer's line in place (cursor up)" -- grep -qa $'\e\\[[0-9]*A' "$T/tty.out"
check "... with docker's states: Downloading, Download complete, Pull complete" -- bash -c "grep -qa 'Downloading' '$T/tty.out' && grep -qa 'Download complete' '$T/tty.out' && grep -qa 'Pull complete' '$T/tty.out'"
export BERTH_ROOT="$T/store-plain"
check "pull off a terminal" -- b_err pull "$R/fixture/multilayer:v1"
check "... plain lines: no escape, no byte counts" -- bash -c "! grep -q $'\e' '$T/err' && ! grep -q Downloading '$T/err' && grep -q 'Pull complete' '$T/err'"
export BERTH_ROOT="$T/store-q"
check "pull -q on a terminal" -- on_tty "$BERTH" pull -q "$R/fixture/multilayer:v1"
check "... prints the image ID alone" -- bash -c "tr -d '\r' <'$T/tty.out' | grep -Eqx 'sha256:[0-9a-f]{64}' && test \$(wc -l <'$T/tty.out') = 1"

finish
