#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what berth needs to build, run and test on Debian 12 (as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="meson ninja-build pkg-config gcc libc6-dev
 libarchive-dev libjson-c-dev libssl-dev libfuse3-dev fuse3 libseccomp-dev libcap-dev libinih-dev libcurl4-openssl-dev libisal-dev zlib1g-dev
 uidmap slirp4netns busybox-static zstd gzip python3 util-linux bsdutils procps iproute2 passwd clang-format git
 docker-registry apache2-utils"
missing=""
for p in $pkgs; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# t-build-node's image is made of the host's nodejs (its app needs no npm;
# bench/build.sh's does, and node-image.sh installs it there)
command -v node >/dev/null || missing="$missing nodejs"
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
