#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# load -> save -> load keeps image IDs and the filesystem view, for both
# archive formats, through files and through pipes.
. "$(dirname "$0")/../lib.sh"
require_fixtures


ids() { berth images -q --no-trunc | sort; }
trees() { for i in $(ids); do berth image tree "$i"; done | md5sum; }
# layer_kinds LAYOUT-DIR|OCI-ARCHIVE REF: the compressions of the image's
# layers, read from their first bytes, sorted and unique
layer_kinds() {
	python3 - "$1" "$2" <<'PY'
import json, os, sys, tarfile
src, ref = sys.argv[1], sys.argv[2]
if os.path.isdir(src):
    read = lambda n: open(os.path.join(src, n), "rb").read()
else:
    t = tarfile.open(src)
    read = lambda n: t.extractfile(n).read()
blob = lambda d: read("blobs/sha256/" + d.split(":", 1)[1])
ix = json.loads(read("index.json"))
m = [d for d in ix["manifests"] if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref]
kinds = set()
for layer in json.loads(blob(m[0]["digest"]))["layers"]:
    b = blob(layer["digest"])
    kinds.add("gzip" if b[:2] == b"\x1f\x8b" else "zstd" if b[:4] == b"\x28\xb5\x2f\xfd"
              else "plain" if b[257:262] == b"ustar" else "unknown")
print(" ".join(sorted(kinds)))
PY
}

check "load the multilayer image (docker-archive)" -- berth load -q -i "$FIXTURES/podman-multilayer.docker-archive.tar"
check "load hc-compression (gzip, zstd, plain, empty layers)" -- berth load -q -i "$FIXTURES/hc-compression"
check "... whose layers are indeed gzip, zstd and plain" -- test "$(layer_kinds "$FIXTURES/hc-compression" latest)" = "gzip plain zstd"
check "load the zstd OCI layout" -- berth load -q -i "$FIXTURES/podman-bb.oci-zstd"
orig_ids=$(ids)
orig_trees=$(trees)

for fmt in docker-archive oci-archive; do
	out="$T/saved-$fmt.tar"
	check "save all three as $fmt" -- berth save -q --format "$fmt" -o "$out" localhost/fixture:multilayer localhost/hc-compression:latest localhost/podman-bb.oci-zstd:latest
	check "$fmt: no temporary file left next to the output" -- bash -c "! ls '$T'/saved-$fmt.tar.berth-tmp-* 2>/dev/null"
	export BERTH_ROOT="$T/store-$fmt"
	check "$fmt: loads back into an empty store" -- berth load -q -i "$out"
	check "$fmt: same image IDs" -- test "$(ids)" = "$orig_ids"
	check "$fmt: same filesystem views" -- test "$(trees)" = "$orig_trees"
	check "$fmt: names survive" -- bash -c "berth images | grep -q '^localhost/fixture  *multilayer'"
	export BERTH_ROOT="$T/store"
done

check "docker-archive layers are uncompressed tars named by diffID" -- bash -c "tar -tf '$T/saved-docker-archive.tar' | grep -q '/layer.tar$' && tar -xOf '$T/saved-docker-archive.tar' manifest.json | grep -q RepoTags"
check "oci-archive has an oci-layout and an index naming the image" -- bash -c "tar -xOf '$T/saved-oci-archive.tar' index.json | grep -q 'localhost/fixture:multilayer'"
check "oci-archive keeps each layer as stored: its load back read gzip, zstd and plain layers" -- test "$(layer_kinds "$T/saved-oci-archive.tar" localhost/hc-compression:latest)" = "gzip plain zstd"

# through pipes: save to stdout, load from stdin
pipe_roundtrip() {
	export BERTH_ROOT="$T/store"
	berth save localhost/hc-compression:latest >"$T/piped.tar" || return 1
	export BERTH_ROOT="$T/store-pipe"
	berth load -q <"$T/piped.tar" >&2 || return 1
	local a b
	a=$(berth images -q --no-trunc)
	b=$(BERTH_ROOT=$T/store berth inspect localhost/hc-compression | sed -n 's/^ *"Id": "\(.*\)",$/\1/p')
	[ -n "$a" ] && [ "$a" = "$b" ]
}
check "save to stdout and load from stdin keeps the ID" -- pipe_roundtrip
export BERTH_ROOT="$T/store"
check "save refuses to write to a terminal-less nothing: unknown image fails" -- expect_fail "no such image" berth save -o "$T/x.tar" localhost/nope
check "a failed save leaves no output file" -- test ! -e "$T/x.tar"
check "save --format bogus is a usage error naming the flag" -- expect_fail "--format" berth save --format bogus -o "$T/y.tar" localhost/hc-compression
# the whole archive compressed too (docker save | gzip, | zstd; plain is
# the round trip above): each loads into an empty store with the same IDs
# (a layer's diffID is checked as it loads: same IDs, same layers)
zloaded() { # zloaded gzip|zstd
	local z="$T/saved-docker-archive.tar.$1"
	local -x BERTH_ROOT="$T/store-$1"
	"$1" -q -c "$T/saved-docker-archive.tar" >"$z" && chmod a+r "$z" &&
		berth load -q -i "$z" >/dev/null && test "$(ids)" = "$orig_ids"
}
for z in gzip zstd; do
	check "a $z-compressed docker-archive loads, with the same IDs" -- zloaded $z
done
finish
