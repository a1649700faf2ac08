#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth demo for a fresh Debian 12: installs the dependencies (as root),
# builds berth, turns the host's busybox-static into an image with
# `berth import`, shows it, and runs a locked-down sandbox from it.
# berth itself runs as the user who called sudo, or as a demo user.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (or with sudo): it installs packages first" >&2
	exit 1
fi
contrib/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

user=${SUDO_USER:-}
if [ -z "$user" ] || [ "$user" = root ]; then
	user=berth-demo
	id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
fi
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
tar --numeric-owner -C "$work/rootfs" -cf "$work/busybox-rootfs.tar" .
chmod -R a+rX "$work"
berth=$(pwd)/build/berth
[ -x "$berth" ] && runuser -u "$user" -- test -x "$berth" || { cp "$berth" "$work/berth"; berth="$work/berth"; }

# berth-fs, which containers' roots are, runs as the user too (desktop
# distributions ship /dev/fuse open to users; a fresh Debian has it 0600)
chmod 0666 /dev/fuse 2>/dev/null || true
bfs=$(pwd)/build/berth-fs
runuser -u "$user" -- test -x "$bfs" || { cp "$bfs" "$work/berth-fs"; bfs="$work/berth-fs"; }

run() {
	local rc=0
	echo "\$ berth $*"
	runuser -u "$user" -- env BERTH_FS="$bfs" "$berth" "$@" || rc=$?
	echo
	return $rc
}
echo "== berth demo, as user $user (no root, no daemon)"
run import -q "$work/busybox-rootfs.tar" demo/busybox:latest
run images
run history demo/busybox
echo "\$ berth image tree demo/busybox | head -5"
runuser -u "$user" -- "$berth" image tree demo/busybox 2>/dev/null | head -5
echo
run info
echo "== a sandbox: read-only root, no capabilities, no network, a scratch tmpfs"
run run --rm --read-only --cap-drop ALL --network none --tmpfs /scratch --hostname sandbox \
	demo/busybox sh -c 'id; hostname; grep -E "^(CapEff|Seccomp|NoNewPrivs)" /proc/self/status
		touch /etc/x 2>/dev/null || echo "writing /etc: refused (read-only root)"
		echo ok > /scratch/x && echo "writing /scratch: $(cat /scratch/x)"
		ls /sys/class/net; exit 3' ||
	echo "(the sandbox exited with status $?, and so did berth run)"
echo
echo "== the same sandbox as a profile: a policy file to review, check and reuse"
cat >"$work/sandbox.ini" <<'INI'
description = the demo's sandbox: read-only root, no capabilities, no network
[sandbox]
image = demo/busybox
hostname = sandbox
remove = true
[mounts]
tmpfs = /scratch
[network]
mode = none
[security]
read-only = true
cap-drop = ALL
INI
chmod 0644 "$work/sandbox.ini"
echo "\$ cat sandbox.ini"
cat "$work/sandbox.ini"
echo
run profile check "$work/sandbox.ini"
run run --profile "$work/sandbox.ini" demo/busybox sh -c 'hostname; ls /sys/class/net; grep CapEff /proc/self/status'
rm -rf "$work"
echo "== done: the image stays in $user's store (berth images); remove it with: berth rmi demo/busybox"
