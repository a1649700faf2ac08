#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Creates the unprivileged users the integration tests run berth as (as
# root): berth-sub with /etc/subuid and /etc/subgid ranges, berth-nosub
# without. Opens /dev/fuse and /dev/net/tun to everyone, as desktop
# distributions ship them (a fresh Debian 12 has them 0600).
set -eu
[ "$(id -u)" = 0 ] || { echo "setup-users: run as root" >&2; exit 1; }
for u in berth-sub berth-nosub; do
	id "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$u"
done
grep -q '^berth-sub:' /etc/subuid || echo 'berth-sub:300000:65536' >>/etc/subuid
grep -q '^berth-sub:' /etc/subgid || echo 'berth-sub:300000:65536' >>/etc/subgid
sed -i '/^berth-nosub:/d' /etc/subuid /etc/subgid
# berth-badsub runs no container: its range holds its own uid and other
# accounts' ids, which `berth info` must report (t-security)
id berth-badsub >/dev/null 2>&1 || useradd --create-home --shell /bin/bash berth-badsub
bad=$(id -u berth-badsub)
sed -i '/^berth-badsub:/d' /etc/subuid /etc/subgid
echo "berth-badsub:$((bad - 2)):100" >>/etc/subuid
echo "berth-badsub:$((bad - 2)):100" >>/etc/subgid
for d in /dev/fuse /dev/net/tun; do
	[ -e "$d" ] && chmod 0666 "$d"
done
exit 0
