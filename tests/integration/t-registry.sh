#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth pull against a real registry: Debian's docker-registry
# (distribution 2.8) on 127.0.0.1, over plain HTTP, seeded from the
# fixtures' OCI layouts. Pulls by tag and by digest, a multi-arch index
# (both platforms), a docker.io short name through a mirror (nothing
# leaves the machine); a second pull fetches no blob; unknown tags and
# repositories fail in one line; a blob corrupted in the registry leaves
# nothing in the store. Pulled images equal loaded ones (IDs, trees),
# are listed, and run.
. "$(dirname "$0")/../lib.sh"
require_fixtures

. "$SRCDIR/tests/registry-lib.sh"
registry_require

# the registry's files are the invoker's (root's): the test user only
# talks to it
reg=$(mktemp -d /tmp/berth-registry.XXXXXX)
port=$(free_port)
tport=$(free_port)
aport=$(free_port)
registry_config "$reg/data" "$port" >"$reg/config.yml"
registry_serve "$reg/config.yml" "$reg/log"
pre_cleanup() {
	registry_cleanup
	rm -rf "$reg"
}
base=http://127.0.0.1:$port
if ! wait_for 30 http_answers "$base/v2/"; then
	ok 1 "the registry answers on $base"
	sed 's/^/#   /' "$reg/log" | tail -20
	finish
	exit
fi
R=127.0.0.1:$port
seed() { registry_seed "$base" "$@"; }
seed_all() {
	seed podman-multilayer.oci-dir fixture/multilayer v1 >"$T/multilayer.digest" &&
		seed podman-bb.oci-dir bb latest >/dev/null &&
		seed podman-bb.oci-dir library/busybox latest >/dev/null &&
		seed hc-multiarch multiarch latest latest >"$T/multiarch.digest" &&
		seed hc-compression compression latest >/dev/null &&
		seed hc-links links latest >/dev/null
}
check "seed the registry from the fixtures' OCI layouts" -- seed_all
# blob GETs the registry has answered so far (its access log)
blob_gets() { grep -c '"GET /v2/[^ "]*/blobs/sha256:' "$reg/log"; }

# what a load of the same layouts makes, to compare with
export BERTH_ROOT="$T/loaded"
# loaded_id REPO TAG: the ID `images` lists for it
loaded_id() { berth images --no-trunc | awk -v r="$1" -v t="$2" '$1 == r && $2 == t { print $3 }'; }
berth load -q -i "$FIXTURES/podman-multilayer.oci-dir" >/dev/null
berth load -q -i "$FIXTURES/hc-multiarch" >/dev/null
ma_amd64=$(loaded_id localhost/hc-multiarch latest)
berth load -q --platform linux/arm64/v8 -i "$FIXTURES/hc-multiarch" >/dev/null
ma_arm64=$(loaded_id localhost/hc-multiarch latest)
berth load -q -i "$FIXTURES/hc-compression" >/dev/null
ml_id=$(loaded_id localhost/fixture multilayer)
diag "loaded: multilayer $ml_id, multiarch amd64 $ma_amd64, arm64 $ma_arm64"
berth image tree localhost/fixture:multilayer >"$T/ml.loaded.tsv"
berth image tree localhost/hc-compression:latest >"$T/comp.loaded.tsv"
export BERTH_ROOT="$T/store"

# pull_ok ARGS...: berth pull ARGS, stdout to $T/out, stderr to $T/err
pull_ok() { berth pull "$@" >"$T/out" 2>"$T/err" || { cat "$T/err" >&2; return 1; }; }
printed_id() { grep -Eqx 'sha256:[0-9a-f]{64}' "$T/out"; }
tree_is() { berth image tree "$1" | cmp -s - "$2"; }
listed() { berth images | grep -q "^$1  *$2 "; }

gets0=$(blob_gets)
check "pull by tag" -- pull_ok "$R/fixture/multilayer:v1"
check "... fetched its blobs (the registry's log counts them)" -- test "$(blob_gets)" -gt "$gets0"
check "... prints the image ID on stdout" -- printed_id
diag "$(cat "$T/err")"
check "... the layers' progress and the manifest's digest on stderr" -- bash -c "grep -q 'Download complete' '$T/err' && grep -qx \"Digest: \$(cat '$T/multilayer.digest')\" '$T/err'"
check "... the image ID is the loaded image's (the config's digest)" -- test "$(cat "$T/out")" = "$ml_id"
check "... images lists it under its name" -- listed "$R/fixture/multilayer" v1
check "... its filesystem is the loaded image's" -- tree_is "$R/fixture/multilayer:v1" "$T/ml.loaded.tsv"

gets=$(blob_gets)
# what the store holds, to the nanosecond of each file's last change
store_state() { find "$T/store" -path "$T/store/tmp" -prune -o -printf '%P %T@ %s\n' | sort; }
store_state >"$T/state.before"
store_unchanged() { store_state | diff "$T/state.before" -; }
check "pull again" -- pull_ok "$R/fixture/multilayer:v1"
check "... fetches no blob (the registry's log)" -- test "$(blob_gets)" = "$gets"
check "... writes nothing in the store (the image is up to date)" -- store_unchanged
check "... says each layer already exists" -- bash -c "! grep -q 'Download complete' '$T/err' && grep -q 'Already exists' '$T/err'"
check "... and the same ID" -- test "$(cat "$T/out")" = "$ml_id"

digest=$(cat "$T/multilayer.digest")
check "pull by digest" -- pull_ok "$R/fixture/multilayer@$digest"
check "... the same image" -- test "$(cat "$T/out")" = "$ml_id"
check "... listed with the tag <none>" -- listed "$R/fixture/multilayer" '<none>'
check "a digest that is not the manifest's fails in one line" -- expect_fail "manifest unknown" berth pull -q "$R/fixture/multilayer@sha256:$(printf '0%.0s' $(seq 64))"

check "pull of a multi-arch index picks the host's platform (amd64: the loaded image)" -- pull_ok "$R/multiarch"
check "... the amd64 image's ID" -- test "$(cat "$T/out")" = "$ma_amd64"
check "--platform linux/arm64/v8 picks the arm64 image" -- pull_ok --platform linux/arm64/v8 "$R/multiarch"
check "... the arm64 image's ID" -- test "$(cat "$T/out")" = "$ma_arm64"
check "... which differs from amd64's" -- test "$ma_arm64" != "$ma_amd64"
check "an unknown platform is refused, naming it" -- expect_fail "linux/s390x" berth pull -q --platform linux/s390x "$R/multiarch"

check "pull of gzip, zstd, plain and empty layers" -- pull_ok "$R/compression"
check "... the loaded image's filesystem" -- tree_is "$R/compression:latest" "$T/comp.loaded.tsv"

check "an unknown tag fails in one line" -- expect_fail "manifest unknown" berth pull -q "$R/bb:nope"
check "... one line only" -- test "$(wc -l <"$T/ef.err")" = 1
check "an unknown repository fails in one line" -- expect_fail "$R/nosuch/repo:latest" berth pull -q "$R/nosuch/repo"
check "... naming the registry's answer" -- grep -qi "unknown\|not found" "$T/ef.err"
check "a registry that is not there fails in one line" -- expect_fail "cannot connect" berth pull "127.0.0.1:1/x"

# a blob the registry serves with other bytes than its digest
links_layer=$(python3 -c "
import json,sys
d=sys.argv[1]
ix=json.load(open(d+'/index.json'))
m=json.load(open(d+'/blobs/sha256/'+ix['manifests'][0]['digest'][7:]))
print(m['layers'][-1]['digest'][7:])" "$FIXTURES/hc-links")
corrupt() {
	local f="$reg/data/docker/registry/v2/blobs/sha256/${links_layer:0:2}/$links_layer/data"
	test -f "$f" && python3 -c "
import sys
p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0xff; open(p,'wb').write(b)" "$f"
}
store_blobs() { find "$T/store/blobs" -type f | wc -l; }
before=$(store_blobs)
check "corrupt a layer blob in the registry's storage" -- corrupt
check "a pull of it fails, naming the wrong digest" -- expect_fail "wrong digest" berth pull "$R/links"
check "... and never calls it complete" -- bash -c "grep -q '${links_layer:0:12}: Pulling fs layer' '$T/ef.err' && ! grep -q '${links_layer:0:12}: Download complete' '$T/ef.err'"
check "... and leaves nothing: no image, no new blob, no stage" -- bash -c "
	! ls '$T/store/tmp' 2>/dev/null | grep -q stage && test \$(find '$T/store/blobs' -type f | wc -l) = $before &&
	! grep -q '/links' '$T/store/refs.json'"

# a docker.io short name, through a mirror on loopback
conf() { as_user sh -c "printf '$1' >'$T/.config/berth/registries.conf'"; }
as_user mkdir -p "$T/.config/berth"
conf "[docker.io]\nmirror = $R\n"
check "pull busybox goes to docker.io's mirror" -- pull_ok busybox
check "... recorded as docker.io/library/busybox:latest" -- listed docker.io/library/busybox latest
conf "[docker.io]\nmirrors = $R\n"
check "a registries.conf mistake names FILE:LINE" -- expect_fail "registries.conf:2: unknown key \"mirrors\"" berth pull -q busybox
conf "[docker.io]\nmirror = 127.0.0.1:1, $R\n"
check "a mirror that fails is passed over for the next" -- pull_ok busybox
check "... saying so" -- grep -q "mirror 127.0.0.1:1: .*trying the next" "$T/err"
conf "[docker.io]\nmirror = $R\n"

if as_user unshare -U true 2>/dev/null; then
	check "pull busybox from the registry itself" -- pull_ok "$R/bb"
	check "the pulled image runs" -- test "$(berth run --rm "$R/bb" echo hello)" = hello
	check "the mirror's busybox runs by its short name" -- test "$(berth run --rm busybox echo hi)" = hi
else
	skip "the test user cannot make a user namespace: pulled images not run"
fi
untag_short() {
	berth tag busybox localhost/mybb &&
		test "$(berth rmi busybox)" = "Untagged: docker.io/library/busybox:latest" &&
		listed localhost/mybb latest && ! listed docker.io/library/busybox latest
}
check "rmi of a short name with another name untags the pulled docker.io one only" -- untag_short
check "save of a pulled image" -- berth save -q -o "$T/saved.tar" "$R/fixture/multilayer:v1"
save_short() {
	berth tag localhost/mybb docker.io/library/busybox && berth save -q busybox >"$T/bb.tar" &&
		tar -xOf "$T/bb.tar" manifest.json | grep -q '"docker.io/library/busybox:latest"'
}
check "save of the mirror's busybox by its short name keeps its docker.io name" -- save_short

# two pulls at once of images that share their base layer
export BERTH_ROOT="$T/store-both"
both() {
	berth pull -q "$R/bb" >"$T/both1" 2>&1 &
	local a=$!
	berth pull -q "$R/fixture/multilayer:v1" >"$T/both2" 2>&1
	local rb=$?
	wait $a && test $rb = 0
}
check "two pulls at once of images sharing a layer both succeed" -- both
check "... each blob stored once: the union of both images' (6 layers, 2 configs, 2 manifests)" -- test "$(find "$T/store-both/blobs" -type f | wc -l)" = 10
both_listed() { listed "$R/bb" latest && listed "$R/fixture/multilayer" v1; }
check "... and both are listed" -- both_listed
export BERTH_ROOT="$T/store"

# The same storage behind a registry that wants a bearer token from a
# token service on loopback (docker's token protocol, RS256 JWTs that
# the registry trusts through a certificate the test makes).
registry_token_service "$reg" "$tport"
{
	registry_config "$reg/data" "$aport"
	registry_token_yml "$reg" "$tport"
} >"$reg/auth.yml"
registry_serve "$reg/auth.yml" "$reg/auth.log"
A=127.0.0.1:$aport
export BERTH_ROOT="$T/store-token"
anonymous_refused() { ! python3 -c "
import sys, urllib.request as u
u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=5)" "http://$A/v2/fixture/multilayer/manifests/v1" 2>/dev/null; }
if wait_for 30 http_answers "http://$A/v2/" && wait_for 30 http_answers "http://127.0.0.1:$tport/token"; then
	check "token set-up: the registry refuses a request without a token" -- anonymous_refused
	check "pull from it, with a token for the repository's pull scope" -- pull_ok "$A/fixture/multilayer:v1"
	check "... the same image" -- test "$(cat "$T/out")" = "$ml_id"
	check "... the token service was asked for repository:fixture/multilayer:pull" -- grep -q "^token repository:fixture/multilayer:pull$" "$reg/token.log"
	check "... and no credential or token is in what berth printed" -- bash -c "! grep -qi 'bearer\|eyJ' '$T/err' '$T/out'"
else
	ok 1 "the token registry and its token service answer"
	sed 's/^/#   /' "$reg/auth.log" "$reg/token.log" | tail -20
fi
finish
