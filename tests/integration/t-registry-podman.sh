#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Interop with podman through a real registry: Debian's docker-registry
# on a free loopback port. podman (as the user peer-setup makes, with
# --tls-verify=false) pushes its localhost/bb and localhost/debian
# there; berth pulls them and must get the image IDs podman reports
# (`podman inspect`) and the manifest digests podman pushed (its
# --digestfile, the registry's Docker-Content-Digest, and `skopeo
# inspect` when skopeo is installed); the images run in berth. The other
# way: berth pushes, podman pulls, same IDs and digests. Skipped, with
# the reason, without podman or the user with its images (the peer
# set-up script of the benchmarks makes them).
. "$(dirname "$0")/../lib.sh"
. "$SRCDIR/tests/registry-lib.sh"
registry_require

PEER=${BERTH_PEER_USER:-peer}
# peer-setup's rootfs tarballs (berth imports the busybox one to push it)
PEER_DIR=${PEER_DIR:-/var/tmp/berth-peers}
# peer CMD...: a command as the podman user, in a login environment
# (podman rootless wants its runtime directory and subordinate ids)
peer() { su -l "$PEER" -s /bin/bash -c "$(printf '%q ' "$@")"; }
why=
if ! command -v podman >/dev/null; then
	why="podman is not installed"
elif [ "$(id -u)" != 0 ]; then
	why="podman runs as the user $PEER: the test must run as root"
elif ! id "$PEER" >/dev/null 2>&1; then
	why="no user $PEER"
elif ! peer podman image exists localhost/bb:latest 2>/dev/null ||
	! peer podman image exists localhost/debian:bookworm 2>/dev/null; then
	why="$PEER's podman has no localhost/bb:latest and localhost/debian:bookworm"
elif [ ! -r "$PEER_DIR/busybox-rootfs.tar" ]; then
	why="no $PEER_DIR/busybox-rootfs.tar"
fi
if [ -n "$why" ]; then
	skip "$why (shared/tools/peer-setup.sh sets them up)"
	finish
	exit
fi

reg=$(mktemp -d /tmp/berth-registry.XXXXXX)
# podman's own store for what it pulls here, the user's and out of its
# real store
pod=$(peer mktemp -d /tmp/berth-podman.XXXXXX)
port=$(free_port)
registry_config "$reg/data" "$port" >"$reg/config.yml"
registry_serve "$reg/config.yml" "$reg/log"
pre_cleanup() {
	registry_cleanup
	rm -rf "$reg"
	peer podman unshare rm -rf "$pod" 2>/dev/null
	rm -rf "$pod"
}
if ! wait_for 30 http_answers "http://127.0.0.1:$port/v2/"; then
	ok 1 "the registry answers on 127.0.0.1:$port"
	sed 's/^/#   /' "$reg/log" | tail -20
	finish
	exit
fi
R=127.0.0.1:$port
# podman on the store in $pod (pulls) or the user's (pushes of its images)
podman_tmp() { peer podman --root "$pod/root" --runroot "$pod/run" "$@"; }
# registry_digest REPO TAG: the registry's Docker-Content-Digest for it
registry_digest() {
	curl -sI --noproxy '*' -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
		"http://$R/v2/$1/manifests/$2" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
# pull_as REF NAME: berth pull REF, the ID in $T/NAME.out, progress in .err
pull_as() { berth pull "$1" >"$T/$2.out" 2>"$T/$2.err" || { cat "$T/$2.err" >&2; return 1; }; }
# id_of REPO TAG: the ID `berth images` lists for it
id_of() { berth images --no-trunc | awk -v r="$1" -v t="$2" '$1 == r && $2 == t { print $3 }'; }
have_skopeo=0
command -v skopeo >/dev/null && have_skopeo=1
[ "$have_skopeo" = 1 ] || diag "skopeo is not installed: digests checked against podman and the registry only"

# podman -> registry -> berth
declare -A SRC=([bb]=localhost/bb:latest [debian]=localhost/debian:bookworm)
declare -A TAG=([bb]=latest [debian]=bookworm)
for img in bb debian; do
	ref=$R/interop/$img:${TAG[$img]}
	check "podman pushes ${SRC[$img]} to the registry" -- \
		peer podman push -q --tls-verify=false --digestfile "$pod/$img.digest" "${SRC[$img]}" "$ref"
	pid=sha256:$(peer podman inspect --format '{{.Id}}' "${SRC[$img]}")
	pdigest=$(cat "$pod/$img.digest" 2>/dev/null)
	rdigest=$(registry_digest "interop/$img" "${TAG[$img]}")
	diag "$img: podman's ID $pid, pushed manifest $pdigest, the registry's $rdigest"
	check "... podman's pushed digest is the registry's" -- test -n "$pdigest" -a "$pdigest" = "$rdigest"
	check "berth pulls it" -- pull_as "$ref" "$img"
	check "... the image ID is podman's" -- test "$(cat "$T/$img.out")" = "$pid"
	check "... the manifest digest is the one podman pushed" -- grep -qx "Digest: $pdigest" "$T/$img.err"
	if [ "$have_skopeo" = 1 ]; then
		sdigest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$ref" 2>/dev/null)
		check "... and the one skopeo inspect reports" -- test "$sdigest" = "$pdigest"
	fi
done
: "${BERTH_FS:=$(dirname "$BERTH")/berth-fs}"
if [ -n "$BERTH_TEST_USER" ] && ! runuser -u "$BERTH_TEST_USER" -- test -x "$BERTH_FS"; then
	cp "$BERTH_FS" "$T/berth-fs" && chmod 0755 "$T/berth-fs" && BERTH_FS="$T/berth-fs"
fi
if ! as_user unshare -U true 2>/dev/null; then
	skip "the test user cannot make a user namespace: the pulled images are not run"
elif ! as_user test -r /dev/fuse -a -w /dev/fuse || ! command -v fusermount3 >/dev/null; then
	skip "/dev/fuse not usable by the test user or fusermount3 missing: the pulled images are not run"
else
	check "the pulled busybox runs in berth" -- test "$(run --rm "$R/interop/bb" echo hello)" = hello
	check "the pulled debian runs in berth" -- \
		test "$(run --rm "$R/interop/debian:bookworm" cat /etc/debian_version | cut -d. -f1)" = 12
fi

# berth -> registry -> podman
# a pulled image (its layers are pushed as the bytes pulled) and one that
# berth made (import: its layer compressed by the push)
check "import an image" -- berth import -q "$PEER_DIR/busybox-rootfs.tar" localhost/berth-made
declare -A PUSH_SRC=([bb]=$R/interop/bb:latest [berth-made]=localhost/berth-made:latest)
for name in bb berth-made; do
	src=${PUSH_SRC[$name]}
	dest=$R/from-berth/$name:latest
	id=$(id_of "${src%:*}" latest)
	check "berth pushes $src" -- berth push --digestfile "$T/$name.pushed" "$src" "$dest"
	bdigest=$(cat "$T/$name.pushed" 2>/dev/null)
	check "... the digest it reports is the registry's" -- \
		test -n "$bdigest" -a "$bdigest" = "$(registry_digest "from-berth/$name" latest)"
	check "podman pulls it" -- podman_tmp pull -q --tls-verify=false "$dest"
	check "... podman's image ID is berth's" -- \
		test -n "$id" -a "sha256:$(podman_tmp inspect --format '{{.Id}}' "$dest")" = "$id"
	check "... podman's digest is the one berth pushed" -- \
		test "$(podman_tmp inspect --format '{{.Digest}}' "$dest")" = "$bdigest"
done
finish
