#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The store's bookkeeping: shared layers, tags, rmi, prune, history,
# images output, rootless layout, concurrent loads and killed loads.
. "$(dirname "$0")/../lib.sh"
require_fixtures


layers() { ls "$BERTH_ROOT/layers" | wc -l; }
blobs() { ls "$BERTH_ROOT/blobs/sha256" | wc -l; }

check "load the busybox base" -- berth load -q -i "$FIXTURES/podman-bb.oci-dir"
base_layers=$(layers)
check "load the multilayer image built on it" -- berth load -q -i "$FIXTURES/podman-multilayer.oci-dir"
check "the shared base layer is stored once (1 + 5 new layers)" -- test "$(layers)" -eq $((base_layers + 5))
check "loading the same image again adds nothing" -- bash -c "before=\$(ls -R '$BERTH_ROOT/layers' '$BERTH_ROOT/blobs' | md5sum); berth load -q -i '$FIXTURES/podman-multilayer.oci-archive.tar' >/dev/null; test \"\$(ls -R '$BERTH_ROOT/layers' '$BERTH_ROOT/blobs' | md5sum)\" = \"\$before\""
check "the store is rootless-safe (no setuid, devices, world-writable; all ours)" -- store_is_rootless
check "image metadata keeps setuid and owners (hello.txt 4755)" -- bash -c "berth image tree localhost/fixture:multilayer | grep -q \$'^/opt/app/hello.txt\tf\t4755\t0\t0'"

check "tag adds a name (localhost/ default registry)" -- berth tag localhost/bb:latest mybb:v1
check "images lists the new name" -- bash -c "berth images | grep -q '^localhost/mybb  *v1 '"
check "tag of a missing image fails naming it" -- expect_fail "nosuch" berth tag nosuch:latest x
check "tag to an invalid name fails naming it" -- expect_fail "UPPER" berth tag localhost/bb:latest UPPER
check "images -q prints unique short IDs" -- bash -c "test \"\$(berth images -q | wc -l)\" -eq 2 && berth images -q | grep -qx '[0-9a-f]\{12\}'"
check "images --format json is valid JSON with Id and Size" -- bash -c "berth images --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert all(\"Id\" in i and i[\"Size\"] > 0 for i in d), d'"
check "history shows each RUN step with its layer size" -- bash -c "berth history --no-trunc localhost/fixture:multilayer | grep -q 'chmod 4755'"
check "history --format json has one row per history entry" -- bash -c "berth history --format json localhost/fixture:multilayer | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d) >= 6, len(d)'"
check "inspect gives the config as JSON" -- bash -c "berth inspect localhost/fixture:multilayer | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; assert d[\"Config\"][\"User\"] == \"1000:1000\"'"
check "inspect by short ID works" -- bash -c "berth inspect \$(berth images -q | head -1) >/dev/null"

check "rmi of one of two names only untags" -- bash -c "berth rmi mybb:v1 | grep -q '^Untagged: localhost/mybb:v1' && berth inspect localhost/bb:latest >/dev/null"
check "rmi of the base keeps the layer the other image needs" -- bash -c "berth rmi localhost/bb:latest >/dev/null && berth image tree localhost/fixture:multilayer | grep -q '^/bin/busybox'"
mkdir -p "$BERTH_ROOT/containers/c1" && echo "$(berth inspect localhost/fixture:multilayer | sed -n 's/^ *"Id": "\(.*\)",$/\1/p')" >"$BERTH_ROOT/containers/c1/image"
[ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ] && chown -R "$BERTH_TEST_USER": "$BERTH_ROOT/containers/c1"
check "rmi refuses an image a container uses" -- expect_fail "used by container c1" berth rmi localhost/fixture:multilayer
check "image prune -a keeps an image a container uses" -- bash -c "berth image prune -a -f >/dev/null && berth inspect localhost/fixture:multilayer >/dev/null"
rm -rf "$BERTH_ROOT/containers/c1"
check "rmi -f removes it and every layer and blob goes" -- bash -c "berth rmi -f localhost/fixture:multilayer >/dev/null && [ -z \"\$(find '$BERTH_ROOT/layers' '$BERTH_ROOT/blobs/sha256' '$BERTH_ROOT/images' -mindepth 1)\" ]"
check "rmi of a missing image fails with its name" -- expect_fail "nosuch" berth rmi nosuch

# a dangling image (its only name moved) goes with image prune
check "load two images, then move a name" -- bash -c "berth load -q -i '$FIXTURES/hc-links' >/dev/null && berth load -q -i '$FIXTURES/hc-modes' >/dev/null && berth tag localhost/hc-modes:latest localhost/hc-links:latest"
check "image prune removes only the dangling image" -- bash -c "berth image prune -f | grep -q '^deleted: ' && test \"\$(berth images -q | wc -l)\" -eq 1"

# a build step's image (intermediate in its record, no name): listed only
# by images -a; a named one is listed; image prune takes it with the build
# cache's entries; system check finds builder/ in order
intermediate_setup() {
	berth load -q -i "$FIXTURES/hc-whiteout" >/dev/null &&
		iid=$(berth inspect --type image localhost/hc-whiteout:latest | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])') &&
		berth tag localhost/hc-modes:latest localhost/hc-whiteout:latest &&
		python3 - "$BERTH_ROOT/images/${iid#sha256:}.json" <<'PY' || return 1
import json, sys
r = json.load(open(sys.argv[1]))
r["intermediate"] = True
with open(sys.argv[1], "r+") as f:  # in place: the file stays the test user's
    f.truncate(0)
    json.dump(r, f)
PY
	mkdir -p "$BERTH_ROOT/builder/cache" && printf '%s\nsome-step-key' "$iid" >"$BERTH_ROOT/builder/cache/k1" &&
		echo "$iid" >"$T/iid"
	[ "$(id -u)" = 0 ] && [ -n "$BERTH_TEST_USER" ] && chown -R "$BERTH_TEST_USER": "$BERTH_ROOT/builder"
	return 0
}
check "an unnamed intermediate image (a build step's) in the store" -- intermediate_setup
check "images hides it" -- bash -c "! berth images -q | grep -qx \"\$(cut -c8-19 '$T/iid')\""
check "images -a lists it, untagged" -- bash -c "berth images -a | grep -q '^<none>  *<none>  *'\"\$(cut -c8-19 '$T/iid')\""
check "a name makes it listed (the name moved away after)" -- bash -c "berth tag \"\$(cat '$T/iid')\" localhost/named-step:1 && berth images | grep -q '^localhost/named-step' && berth tag localhost/hc-modes:latest localhost/named-step:1"
check "system check finds the store and builder/ in order" -- bash -c "berth system check >'$T/sc.out' 2>&1 || { cat '$T/sc.out' >&2; false; }"
check "image prune takes it, with the build cache's entry" -- bash -c "
	berth image prune -f >'$T/prune.out' && grep -q '^build cache: 1 entry, 1 intermediate image' '$T/prune.out' &&
	! berth images -a -q | grep -qx \"\$(cut -c8-19 '$T/iid')\" && [ -z \"\$(ls -A '$BERTH_ROOT/builder/cache')\" ] &&
	test \"\$(berth images -q | wc -l)\" -eq 1"

# an image of no layer (a build's FROM scratch with only settings) loads,
# saves and loads back
mkdir -p "$T/zero/blobs/sha256"
python3 - "$T/zero" <<'PY'
import hashlib, json, os, sys
os.chdir(sys.argv[1])
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open("blobs/sha256/" + d, "wb").write(b)
    return {"digest": "sha256:" + d, "size": len(b)}
c = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["A=1"]},
                    "rootfs": {"type": "layers", "diff_ids": []}}).encode())
m = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": dict(c, mediaType="application/vnd.oci.image.config.v1+json"),
                    "layers": []}).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(m, mediaType="application/vnd.oci.image.manifest.v1+json",
           annotations={"org.opencontainers.image.ref.name": "localhost/zero:1"})]}, open("index.json", "w"))
open("oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
chmod -R a+rX "$T/zero"
check "an image of no layer loads" -- bash -c "berth load -q -i '$T/zero' >/dev/null && berth images | grep -q '^localhost/zero  *1 '"
image_id() { berth inspect --type image "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])'; }
zero_roundtrip() {
	local id
	id=$(image_id localhost/zero:1) && [ -n "$id" ] &&
		berth save -o "$T/zero.tar" localhost/zero:1 && berth rmi localhost/zero:1 >/dev/null &&
		! berth inspect --type image localhost/zero:1 >/dev/null 2>&1 &&
		berth load -q -i "$T/zero.tar" >/dev/null && [ "$(image_id localhost/zero:1)" = "$id" ] &&
		berth rmi localhost/zero:1 >/dev/null
}
check "... saves and loads back with the same ID" -- zero_roundtrip

# import: a flat rootfs tarball becomes a one-layer image
mkdir -p "$T/rootfs/bin" "$T/rootfs/etc"
cp /bin/busybox "$T/rootfs/bin/busybox" 2>/dev/null || cp "$(command -v busybox)" "$T/rootfs/bin/busybox"
ln -s busybox "$T/rootfs/bin/sh"
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/rootfs/etc/passwd"
tar --numeric-owner -C "$T/rootfs" -cf "$T/rootfs.tar" . && chmod a+r "$T/rootfs.tar"
check "import ROOTFS.tar NAME creates a one-layer image" -- berth import -q "$T/rootfs.tar" imported:1
check "the imported image has the files, owned by root" -- bash -c "berth image tree localhost/imported:1 | grep -q \$'^/bin/sh\tl\t0777\t0\t0\t7\tbusybox'"
check "history of an imported image says where it came from" -- bash -c "berth history localhost/imported:1 | grep -q 'Imported from'"
check "import from stdin works (gzip)" -- bash -c "gzip -c '$T/rootfs.tar' > '$T/rootfs.tgz'; chmod a+r '$T/rootfs.tgz'; berth import -q - imported:gz < '$T/rootfs.tgz' | grep -q '^sha256:'"
check "import of a non-tar fails cleanly" -- expect_fail "tar" berth import -q /etc/hostname bad:1

# concurrency: two loads sharing a base layer at once
export BERTH_ROOT="$T/store-conc"
conc() {
	berth load -q -i "$FIXTURES/podman-multilayer.oci-archive.tar" >"$T/c1" 2>&1 &
	local p1=$!
	berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar" >"$T/c2" 2>&1 &
	local p2=$!
	wait $p1 && wait $p2 || { cat "$T/c1" "$T/c2" >&2; return 1; }
	berth image tree localhost/fixture:multilayer >/dev/null && berth image tree localhost/bb:latest >/dev/null
}
check "two concurrent loads sharing a layer both succeed" -- conc

# a load killed mid-way leaves no image and no leftovers after the next
# command. It reads a FIFO that is given half the archive (the middle of
# its first layer): the kill finds it running, with members staged and
# the rest still to read, so it is a kill mid-way, not after the end.
export BERTH_ROOT="$T/store-kill"
staged_some() { [ -n "$(find "$BERTH_ROOT/tmp" -mindepth 3 -type f -size +0 2>/dev/null)" ]; }
killed_load() {
	local fifo="$T/kill-me.fifo" uid pid lpid w st=0 r=1
	uid=$(as_user id -u)
	as_user mkfifo "$fifo" || return 1
	exec {w}<>"$fifo" # open both ways: no wait for the reader, no EOF for it
	berth load -q -i "$fifo" >"$T/kill.out" 2>&1 {w}>&- &
	pid=$!
	if ! timeout 20 head -c 1048576 "$FIXTURES/podman-multilayer.docker-archive.tar" >&$w; then
		echo "the load did not read its input" >&2
	elif ! wait_for 10 staged_some; then
		echo "the load staged nothing" >&2
	elif ! lpid=$(pgrep -u "$uid" -f "load -q -i $fifo") || [ "$(wc -w <<<"$lpid")" != 1 ]; then
		echo "not one running load: '$lpid'" >&2
	else
		kill -KILL "$lpid"
		r=0
	fi
	[ $r = 0 ] || pkill -KILL -u "$uid" -f "load -q -i $fifo"
	exec {w}>&- # (a load not killed sees the archive end half-way)
	wait $pid || st=$?
	[ $r = 0 ] || return 1
	# (runuser, like a shell, reports a child's death by SIGKILL as 137)
	[ $st = 137 ] || { echo "the load was not killed (status $st):" >&2; cat "$T/kill.out" >&2; return 1; }
	berth images >/dev/null || return 1
	[ -z "$(ls -A "$BERTH_ROOT/tmp")" ] || { ls -la "$BERTH_ROOT/tmp" >&2; return 1; }
	# nothing of it made it in
	[ -z "$(berth images -q)" ] && [ -z "$(ls -A "$BERTH_ROOT/layers")" ]
}
check "a killed load leaves no partial image and the next command cleans up" -- killed_load
finish
