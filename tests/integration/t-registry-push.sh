#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth push against real registries: Debian's docker-registry
# (distribution 2.8) on 127.0.0.1, two open ones over plain HTTP and one
# behind token authorisation. What went over the wire is read from the
# registry's own access log: a pushed image pulls back equal (image ID,
# manifest digest); a second push uploads nothing; a push to another
# repository of the registry mounts; a large blob goes up in PATCH
# chunks; layers made here are compressed once (gzip or zstd) and push
# the same digest again; pull -> save -> load -> push keeps the digests;
# RepoDigests after pull and push; errors are one line.
. "$(dirname "$0")/../lib.sh"
require_fixtures

. "$SRCDIR/tests/registry-lib.sh"
registry_require

reg=$(mktemp -d /tmp/berth-registry-push.XXXXXX)
port=$(free_port)
port2=$(free_port)
tport=$(free_port)
aport=$(free_port)
registry_config "$reg/data" "$port" >"$reg/config.yml"
registry_config "$reg/data2" "$port2" >"$reg/config2.yml"
registry_serve "$reg/config.yml" "$reg/log"
registry_serve "$reg/config2.yml" "$reg/log2"
pre_cleanup() {
	registry_cleanup
	rm -rf "$reg"
}
if ! wait_for 30 http_answers "http://127.0.0.1:$port/v2/" ||
	! wait_for 30 http_answers "http://127.0.0.1:$port2/v2/"; then
	ok 1 "the registries answer on 127.0.0.1:$port and :$port2"
	sed 's/^/#   /' "$reg/log" "$reg/log2" | tail -20
	finish
	exit
fi
R=127.0.0.1:$port
R2=127.0.0.1:$port2

not() { ! "$@"; }
# the requests of the registry's access log since a mark
mark() { wc -l <"$reg/log"; }
since() { tail -n +"$(($1 + 1))" "$reg/log" | grep -o '"[A-Z]* /v2/[^ "]*'; }
mark2() { wc -l <"$reg/log2"; }
since2() { tail -n +"$(($1 + 1))" "$reg/log2" | grep -o '"[A-Z]* /v2/[^ "]*'; }
uploads_since() { since "$1" | grep -Ec '^"(PUT|PATCH) /v2/[^ ]*/blobs/uploads/'; }
# push_ok ARGS...: berth push ARGS, stdout to $T/out, stderr to $T/err
push_ok() { berth push "$@" >"$T/out" 2>"$T/err" || { cat "$T/err" >&2; return 1; }; }
pull_ok() { berth pull "$@" >"$T/pout" 2>"$T/perr" || { cat "$T/perr" >&2; return 1; }; }
printed_digest() { grep -Eqx 'sha256:[0-9a-f]{64}' "$T/out"; }
id_of() { berth image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])'; }
inspect_field() {
	berth image inspect "$1" | python3 -c 'import json,sys; print("\n".join(map(str, (lambda v: v if isinstance(v, list) else [v])(json.load(sys.stdin)[0][sys.argv[1]]))))' "$2"
}
# the manifest as the registry serves it: FIELD of its first layer
remote_layer() {
	python3 -c "
import json, sys, urllib.request as u
r = u.Request(sys.argv[1], headers={'Accept': 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'})
print(json.load(u.build_opener(u.ProxyHandler({})).open(r, timeout=5))['layers'][0][sys.argv[2]])" "$1" "$2"
}

export BERTH_ROOT="$T/store"
berth load -q -i "$FIXTURES/podman-multilayer.oci-dir" >/dev/null
ml_id=$(id_of localhost/fixture:multilayer)
ml_digest=$(inspect_field localhost/fixture:multilayer Digest)

# a loaded image: its blobs go up as they are
m=$(mark)
check "push of a loaded image to DESTINATION" -- push_ok localhost/fixture:multilayer "$R/ml:v1"
check "... prints the manifest's digest on stdout" -- printed_digest
pushed=$(cat "$T/out")
diag "$(cat "$T/err")"
check "... the store's manifest, byte for byte (same digest)" -- test "$pushed" = "$ml_digest"
heads_and_uploads() { test "$(since "$m" | grep -c '^"HEAD /v2/ml/blobs/')" -ge 7 && test "$(uploads_since "$m")" -ge 7; }
check "... HEAD first, then each blob uploaded (the registry's log)" -- heads_and_uploads
progress_lines() { grep -q '^[0-9a-f]\{12\}: Preparing$' "$T/err" && grep -q '^[0-9a-f]\{12\}: Pushed$' "$T/err" && grep -qx "v1: digest: $pushed size: [0-9]*" "$T/err"; }
check "... progress as docker prints it" -- progress_lines
plain_only() { not grep -q $'\e' "$T/err" && not grep -Eq 'Pushing|Waiting' "$T/err"; }
check "... off a terminal: plain lines (no escape, no byte counts, no Waiting)" -- plain_only
last_put() { since "$m" | tail -1 | grep -q '^"PUT /v2/ml/manifests/v1'; }
check "... the manifest is the last request" -- last_put

m=$(mark)
check "a second push" -- push_ok localhost/fixture:multilayer "$R/ml:v1"
check "... uploads nothing (no PUT or PATCH of a blob in the log)" -- test "$(uploads_since "$m")" = 0
check "... every layer 'Layer already exists'" -- test "$(grep -c ': Layer already exists$' "$T/err")" = 6
check "... the same digest" -- test "$(cat "$T/out")" = "$pushed"

m=$(mark)
check "a push to another repository of the same registry" -- push_ok localhost/fixture:multilayer "$R/other/ml:v2"
mounted_in_log() { since "$m" | grep -q '^"POST /v2/other/ml/blobs/uploads/?mount=sha256%3A[0-9a-f]*&from=ml$'; }
check "... mounts the blobs (POST ?mount=&from=ml in the log)" -- mounted_in_log
check "... uploads none" -- test "$(uploads_since "$m")" = 0
check "... says 'Mounted from ml'" -- test "$(grep -c ': Mounted from ml$' "$T/err")" = 6

quiet_push() { berth push -q localhost/fixture:multilayer "$R/ml:v1" >"$T/q" 2>&1 && test "$(cat "$T/q")" = "$pushed"; }
check "-q prints the digest alone" -- quiet_push
check "--digestfile writes the digest" -- push_ok --digestfile "$T/dfile" localhost/fixture:multilayer "$R/ml:v3"
check "... the digest printed" -- test "$(cat "$T/dfile")" = "$(cat "$T/out")"

own_name() { berth tag localhost/fixture:multilayer "$R/own:1" && push_ok "$R/own:1"; }
check "push IMAGE without DESTINATION goes to the image's own name" -- own_name
check "... the same digest" -- test "$(cat "$T/out")" = "$pushed"

# a mount the registry cannot do (the repository the store names lost
# the blobs) is answered 202 with an upload session: berth uploads
export BERTH_ROOT="$T/store-ghost"
berth load -q -i "$FIXTURES/podman-multilayer.oci-dir" >/dev/null
check "push to a repository" -- push_ok localhost/fixture:multilayer "$R/ghost:1"
check "... which then loses its blobs (its folder in the registry's storage removed)" -- rm -rf "$reg/data/docker/registry/v2/repositories/ghost"
m=$(mark)
check "a push to another repository" -- push_ok localhost/fixture:multilayer "$R/after:1"
tried_mount() { since "$m" | grep -q '^"POST /v2/after/blobs/uploads/?mount=sha256%3A[0-9a-f]*&from=ghost$'; }
check "... asks for a mount from it" -- tried_mount
check "... and, refused, uploads every blob in the session it was given" -- test "$(uploads_since "$m")" -ge 7
check "... 'Pushed'" -- test "$(grep -c ': Pushed$' "$T/err")" = 6
check "... the same digest" -- test "$(cat "$T/out")" = "$pushed"
export BERTH_ROOT="$T/store"

# pulled back into a fresh store: the same image
export BERTH_ROOT="$T/fresh"
check "pull of the pushed image into a fresh store" -- pull_ok "$R/ml:v1"
check "... the same image ID" -- test "$(cat "$T/pout")" = "$ml_id"
check "... the same manifest digest" -- grep -qx "Digest: $pushed" "$T/perr"
repo_digests_are() { test "$(inspect_field "$1" RepoDigests)" = "$2"; }
check "... RepoDigests in inspect after the pull" -- repo_digests_are "$R/ml:v1" "$R/ml@$pushed"
digest_row() { berth images --digests | grep -q "^$1  *$2  *$3 "; }
check "... images --digests shows it" -- digest_row "$R/ml" v1 "$pushed"
no_digest_column() { ! berth images | head -1 | grep -q DIGEST; }
check "images without --digests has no DIGEST column" -- no_digest_column

# pull -> save -> load -> push: the same digests
check "save of the pulled image (oci-archive)" -- berth save -q --format oci-archive -o "$T/rt.tar" "$R/ml:v1"
export BERTH_ROOT="$T/rt"
check "... loaded in another store" -- berth load -q -i "$T/rt.tar"
check "... pushed again" -- push_ok "$R/ml:v1" "$R/rt:v1"
check "... the same manifest digest" -- test "$(cat "$T/out")" = "$pushed"
has_repo_digest() { inspect_field "$1" RepoDigests | grep -qxF "$2"; }
check "... RepoDigests after the push" -- has_repo_digest "$R/ml:v1" "$R/rt@$pushed"
check "... images --digests lists the pushed repository" -- digest_row "$R/rt" '<none>' "$pushed"
export BERTH_ROOT="$T/fresh"
check "the same image pulled from another repository" -- pull_ok "$R/rt:v1"
both_kept() { has_repo_digest "$R/ml:v1" "$R/ml@$pushed" && has_repo_digest "$R/ml:v1" "$R/rt@$pushed"; }
check "... keeps the RepoDigest of the first pull beside the new one" -- both_kept
export BERTH_ROOT="$T/rt"

# a docker-archive holds the layers as tars: loaded back, they are
# compressed at the push, and the image is the same
check "save of the pulled image (docker-archive)" -- berth save -q -o "$T/rt-docker.tar" "$R/ml:v1"
export BERTH_ROOT="$T/rt-docker"
check "... loaded in another store" -- berth load -q -i "$T/rt-docker.tar"
check "... pushed" -- push_ok "$R/ml:v1" "$R/rt-docker:v1"
check "... its tars compressed (6 layers)" -- test "$(grep -c ': Compressing$' "$T/err")" = 6
rt_docker=$(cat "$T/out")
check "... pushed again: the same digest" -- push_ok "$R/ml:v1" "$R/rt-docker:v2"
check "... (the same)" -- test "$(cat "$T/out")" = "$rt_docker"
export BERTH_ROOT="$T/rt-docker-back"
check "... pulled back: the same image ID" -- pull_ok "$R/rt-docker:v1"
check "... (the same)" -- test "$(cat "$T/pout")" = "$ml_id"
export BERTH_ROOT="$T/rt"

# DESTINATION on a second registry
check "push to a second registry" -- push_ok "$R/ml:v1" "$R2/copy/ml:x"
check "... the same digest" -- test "$(cat "$T/out")" = "$pushed"
export BERTH_ROOT="$T/fresh2"
check "... which pulls back the same image" -- pull_ok "$R2/copy/ml:x"
check "... same ID" -- test "$(cat "$T/pout")" = "$ml_id"

# layers made here: compressed once, remembered
export BERTH_ROOT="$T/store"
head -c 18000000 /dev/urandom >"$reg/rand"
head -c 300000 /dev/urandom >"$reg/small"
tar -C "$reg" -cf "$T/big.tar" rand
tar -C "$reg" -cf "$T/small.tar" small
chmod 644 "$T/big.tar" "$T/small.tar"
check "import of an 18 MB tar" -- berth import -q "$T/big.tar" big:1
big_id=$(id_of big:1)
m=$(mark)
check "push of the imported image" -- push_ok big:1 "$R/big:1"
big_digest=$(cat "$T/out")
check "... compressed once" -- test "$(grep -c ': Compressing$' "$T/err")" = 1
check "... the layer, larger than the chunk size, went up in PATCH chunks" -- test "$(since "$m" | grep -c '^"PATCH /v2/big/blobs/uploads/')" -ge 2
check "... gzip, as the registry has it" -- test "$(remote_layer "http://$R/v2/big/manifests/1" mediaType)" = application/vnd.oci.image.layer.v1.tar+gzip
check "... the store now names the compressed layer (its manifest is the pushed one)" -- test "$(inspect_field big:1 Digest)" = "$big_digest"
big_layer=$(remote_layer "http://$R/v2/big/manifests/1" digest)
python3 -c "
import sys, urllib.request as u
open(sys.argv[2], 'wb').write(u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=10).read())" "http://$R/v2/big/blobs/$big_layer" "$T/big.gz"
check "... a standard gzip stream (gzip -t)" -- gzip -t "$T/big.gz"
check "... python3's gzip reads back the tar, byte for byte" -- python3 -c "
import gzip, sys
sys.exit(gzip.open(sys.argv[1]).read() != open(sys.argv[2], 'rb').read())" "$T/big.gz" "$T/big.tar"
check "... its header: no name, no timestamp" -- test "$(head -c 10 "$T/big.gz" | od -An -tx1 | tr -d ' ')" = 1f8b08000000000000ff
check "a second push of it" -- push_ok big:1 "$R/big2:1"
check "... compresses nothing" -- not grep -q Compressing "$T/err"
check "... the same digest" -- test "$(cat "$T/out")" = "$big_digest"
export BERTH_ROOT="$T/fresh3"
check "... and pulls back the same image" -- pull_ok "$R/big:1"
check "... same ID" -- test "$(cat "$T/pout")" = "$big_id"

export BERTH_ROOT="$T/store"
check "import of another tar" -- berth import -q "$T/small.tar" small:1
small_id=$(id_of small:1)
check "push --compression-format zstd" -- push_ok --compression-format zstd small:1 "$R/small:1"
check "... a zstd layer, as the registry has it" -- test "$(remote_layer "http://$R/v2/small/manifests/1" mediaType)" = application/vnd.oci.image.layer.v1.tar+zstd
export BERTH_ROOT="$T/fresh3"
check "... which pulls back the same image" -- pull_ok "$R/small:1"
check "... same ID" -- test "$(cat "$T/pout")" = "$small_id"

# progress on a terminal: each layer's line redrawn in place, with the
# bytes compressed and sent (a store of its own: the tar is compressed
# again; the second registry has not the blob: it is sent)
export BERTH_ROOT="$T/store-tty"
check "import of the 18 MB tar in another store" -- berth import -q "$T/big.tar" big:1
m=$(mark2)
check "push on a terminal" -- on_tty "$BERTH" push big:1 "$R2/tty/big:1"
check "... the layer went up (PATCH in the second registry's log)" -- test "$(since2 "$m" | grep -c '^"PATCH /v2/tty/big/blobs/uploads/')" -ge 2
check "... the same tar compressed in another store: the same layer digest" -- test "$(remote_layer "http://$R2/v2/tty/big/manifests/1" digest)" = "$big_layer"
diag "$(tr '\r\033' '|~' <"$T/tty.out" | tail -c 600)"
check "... redraws a layer's line in place (cursor up)" -- grep -qa $'\e\\[[0-9]*A' "$T/tty.out"
pushing_bytes() { grep -aEq 'Pushing  [0-9.]+[kMG]?B/1[0-9.]*MB  [0-9.]+[kMG]?B/s' "$T/tty.out"; }
check "... 'Pushing' with the bytes sent of the layer's, and the rate" -- pushing_bytes
check "... 'Compressing' with its bytes, then 'Compressed as'" -- bash -c "grep -aEq 'Compressing  [0-9.]+[kMG]?B/18MB' '$T/tty.out' && grep -aq 'Compressed as [0-9a-f]\{12\}' '$T/tty.out'"
check "... 'Preparing', 'Pushed', and the digest line" -- bash -c "grep -aq ': Preparing' '$T/tty.out' && grep -aq ': Pushed' '$T/tty.out' && grep -aEq '1: digest: sha256:[0-9a-f]{64} size: [0-9]+' '$T/tty.out'"
tty_digest=$(grep -aEo 'sha256:[0-9a-f]{64}$' <(tr -d '\r' <"$T/tty.out") | tail -1)
check "... the digest alone on stdout's last line" -- test -n "$tty_digest"
berth load -q -i "$FIXTURES/podman-multilayer.oci-dir" >/dev/null
check "a push of six layers on a terminal" -- on_tty "$BERTH" push localhost/fixture:multilayer "$R2/tty/ml:1"
six_lines() { test "$(grep -ao '[0-9a-f]\{12\}: Waiting' "$T/tty.out" | sort -u | wc -l)" = 5 && test "$(grep -ao '[0-9a-f]\{12\}: Pushed' "$T/tty.out" | sort -u | wc -l)" = 6; }
check "... says the five after the first 'Waiting', and each 'Pushed'" -- six_lines
check "push -q on a terminal" -- on_tty "$BERTH" push -q big:1 "$R2/tty/q:1"
quiet_tty() { tr -d '\r' <"$T/tty.out" | grep -qx "$tty_digest" && test "$(wc -l <"$T/tty.out")" = 1; }
check "... prints the digest alone" -- quiet_tty

# errors: one line, non-zero
export BERTH_ROOT="$T/store"
check "an unknown image" -- expect_fail "Error: No such image: nosuch" berth push nosuch "$R/x:1"
check "... one line" -- test "$(wc -l <"$T/ef.err")" = 1
check "a registry that is not there" -- expect_fail "127.0.0.1:1" berth push localhost/fixture:multilayer 127.0.0.1:1/x:1
check "... one line" -- test "$(wc -l <"$T/ef.err")" = 1
unchanged_by_failed_push() {
	local before
	before=$(inspect_field small2:1 Digest) &&
		not berth push small2:1 127.0.0.1:1/x:1 2>/dev/null &&
		test "$(inspect_field small2:1 Digest)" = "$before"
}
head -c 100000 /dev/urandom >"$reg/third"
tar -C "$reg" -cf "$T/third.tar" third
chmod 644 "$T/third.tar"
check "import of a third tar" -- berth import -q "$T/third.tar" small2:1
check "... its failed push (no registry) leaves its record as it was (nothing compressed)" -- unchanged_by_failed_push
check "an unknown flag" -- expect_fail "--bogus" berth push --bogus localhost/fixture:multilayer
check "--compression-format other" -- expect_fail "expected gzip or zstd" berth push --compression-format xz localhost/fixture:multilayer "$R/x:1"
check "an image ID names no repository" -- expect_fail "give a DESTINATION" berth push "$ml_id"
no_stage() { test -z "$(ls "$T/store/tmp")"; }
check "nothing half-made: no stage left in the store" -- no_stage
check "berth system check accepts the records with RepoDigests" -- berth system check

# a registry that wants a bearer token: push asks for the push scope
registry_token_service "$reg" "$tport"
{
	registry_config "$reg/data3" "$aport"
	registry_token_yml "$reg" "$tport"
} >"$reg/auth.yml"
registry_serve "$reg/auth.yml" "$reg/auth.log"
A=127.0.0.1:$aport
if wait_for 30 http_answers "http://$A/v2/" && wait_for 30 http_answers "http://127.0.0.1:$tport/token"; then
	check "push to a token registry" -- push_ok localhost/fixture:multilayer "$A/tok/ml:v1"
	check "... the same digest" -- test "$(cat "$T/out")" = "$ml_digest"
	check "... the token service was asked for repository:tok/ml:pull,push" -- grep -q "^token repository:tok/ml:pull,push" "$reg/token.log"
	check "... a push to another repository there mounts, with a token for both" -- push_ok localhost/fixture:multilayer "$A/tok/ml2:v1"
	check "... (pull of the repository mounted from asked too)" -- grep -q "^token repository:tok/ml2:pull,push repository:tok/ml:pull$" "$reg/token.log"
	check "... 'Mounted from tok/ml'" -- grep -q ': Mounted from tok/ml$' "$T/err"
	check "... no token in what berth printed" -- not grep -qi 'bearer\|eyJ' "$T/err" "$T/out"
else
	ok 1 "the token registry and its token service answer"
	sed 's/^/#   /' "$reg/auth.log" "$reg/token.log" | tail -20
fi
finish
