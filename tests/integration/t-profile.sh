#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# INI profiles and stacks end to end: the three example profiles
# (profiles/*.ini) run and hold what they promise, command-line flags
# override a profile, extends and the search path, profile check and
# show, bad files refused before anything is made; the shop stack
# (profiles/examples/shop) up, reachable, by name, its data surviving
# down and up, ps/logs/restart --stack, and a failed up rolled back.
# Packets go only to 127.0.0.1 and the stack's own network.
. "$(dirname "$0")/../lib.sh"
require_network

export -f run b expect_fail
img=demo/busybox:latest
check "load the busybox fixture, named as the demo names its image" -- \
	bash -c "berth load -q -i '$FIXTURES/podman-bb.docker-archive.tar' >/dev/null && berth tag localhost/bb:latest $img"

# the examples, in a copy the test user owns (their relative paths are
# from the file's directory)
P=$T/profiles
cp -r "$SRCDIR/profiles" "$P"
rm -f "$P"/*.h "$P"/*.c
chown -R "$(as_user id -u):$(as_user id -g)" "$P" 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_get() { as_user python3 -c 'import sys, urllib.request as u
print(u.urlopen("http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2]), timeout=3).read().decode(), end="")' "$1" "$2"; }
wait_get() { for _ in $(seq 1 100); do http_get "$@" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
export -f http_get wait_get
nctr() { berth ps -a -q | wc -l; }

# ---- ci-job.ini ---------------------------------------------------------------
ci() {
	local out
	out=$(cd "$P" && run --profile ci-job.ini $img sh -c '
		touch /rootfile 2>/dev/null && echo root-writable
		echo built > /workspace/artifact && echo ws-ok
		touch /tmp/x && echo tmp-ok
		grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status
		grep -c host.docker.internal /etc/hosts; pwd' 2>"$T/ci.err") || { cat "$T/ci.err"; return 1; }
	echo "$out" | sed 's/^/# /'
	! echo "$out" | grep -q root-writable && echo "$out" | grep -q ws-ok && echo "$out" | grep -q tmp-ok &&
		echo "$out" | grep -q 'CapEff:.*0000000000000000' && echo "$out" | grep -q 'NoNewPrivs:.*1' &&
		echo "$out" | grep -qx 0 && echo "$out" | grep -qx /workspace &&
		[ "$(cat "$P/artifact")" = built ] &&
		# the pids limit cannot be set here: said, not silently dropped
		grep -q 'limits\] pids = 512 not applied' "$T/ci.err"
}
n0=$(nctr)
check "ci-job.ini: the workspace writable at /workspace, read-only root, tmpfs /tmp, no caps, no_new_privs, no host loopback" -- ci
check "... and it removed itself (remove = true)" -- bash -c "test \"\$(berth ps -a -q | wc -l)\" = $n0"

# ---- untrusted-build.ini --------------------------------------------------------
mkdir -p "$P/src" "$P/out" && echo 'echo compiled > /out/result' >"$P/src/build.sh"
chown -R "$(as_user id -u)" "$P/src" "$P/out" 2>/dev/null || true
check "profile check passes the three examples" -- \
	bash -c "cd $P && b profile check ci-job.ini untrusted-build.ini dev-web.ini"
untrusted() {
	local out
	out=$(cd "$P" && run --profile untrusted-build.ini $img sh -c '
		sh /src/build.sh; ls /sys/class/net | tr "\n" " "; echo
		touch /src/evil 2>/dev/null && echo src-writable
		touch /etc/evil 2>/dev/null && echo root-writable
		grep CapEff /proc/self/status; ls /run/secrets 2>/dev/null | wc -l') || return 1
	echo "$out" | sed 's/^/# /'
	[ "$(cat "$P/out/result")" = compiled ] && echo "$out" | grep -qx 'lo ' &&
		! echo "$out" | grep -q writable && echo "$out" | grep -q 'CapEff:.*0000000000000000'
}
check "untrusted-build.ini: writes only ./out, reads ./src, no network, no caps" -- untrusted
check "a flag on the command line overrides the profile (--network)" -- \
	bash -c "cd $P && test \"\$(run --profile untrusted-build.ini --network slirp4netns $img ls /sys/class/net | tr '\n' ' ')\" = 'lo tap0 '"
check "a -v on the command line replaces the profile's mount at the same target" -- \
	bash -c "mkdir -p $T/other && echo theirs > $T/other/f && chmod -R a+rX $T/other &&
		cd $P && test \"\$(run --profile untrusted-build.ini -v $T/other:/src:ro $img cat /src/f)\" = theirs"

# ---- dev-web.ini -----------------------------------------------------------------
wp=$(free_port)
sed "s/127.0.0.1:8080:8080/127.0.0.1:$wp:8080/" "$P/dev-web.ini" >"$P/dev-web-test.ini"
echo "hello from the source" >"$P/index.html"
chown "$(as_user id -u)" "$P/dev-web-test.ini" "$P/index.html" 2>/dev/null || true
devweb() {
	(cd "$P" && run -d --name web --profile dev-web-test.ini $img sh -c 'echo dep > /app/node_modules/lib; exec httpd -f -p 8080 -h /app' >/dev/null) || return 1
	wait_get "$wp" /index.html | grep -q 'hello from the source' || return 1
	# an edit on the host shows at once; the dependency stays in its volume
	echo "edited" >"$P/index.html"
	http_get "$wp" /index.html | grep -q edited &&
		[ "$(b exec web cat /app/node_modules/lib)" = dep ] && [ ! -e "$P/node_modules/lib" ] &&
		b exec web sh -c 'test "$NODE_ENV" = development && test "$PORT" = 8080' &&
		# interactive with a terminal, as the profile says
		b inspect web | grep -q '"Tty": true' && b inspect web | grep -q '"Interactive": true'
}
check "dev-web.ini: the source bind-mounted, node_modules in a volume, the port published, its environment" -- devweb
check "... removing it leaves the checkout as it was" -- bash -c "b rm -f -v web >/dev/null && test ! -e $P/node_modules"

# ---- extends, search path, show ---------------------------------------------------
cat >"$P/base.ini" <<'EOF'
description = base
[security]
cap-drop = ALL
read-only = true
[environment]
LEVEL = base
TEAM = infra
EOF
cat >"$P/child.ini" <<EOF
extends = base.ini
[sandbox]
image = $img
[environment]
LEVEL = child
[network]
mode = none
EOF
mkdir -p "$T/.config/berth/profiles" && cp "$P/child.ini" "$P/base.ini" "$T/.config/berth/profiles/"
chown -R "$(as_user id -u)" "$P" "$T/.config" 2>/dev/null || true
check "extends: the base's settings, the child's over them" -- \
	bash -c "cd $P && out=\$(run --rm --profile child.ini $img sh -c 'echo \$LEVEL \$TEAM; touch /x 2>/dev/null || echo ro') && test \"\$out\" = 'child infra
ro'"
check "a bare name is found in ~/.config/berth/profiles" -- \
	bash -c "cd / && test \"\$(run --rm --profile child $img sh -c 'echo \$LEVEL')\" = child"
check "profile show prints the resolved policy with each value's file:line" -- \
	bash -c "cd $P && out=\$(b profile show child.ini) && echo \"\$out\" | grep -q 'LEVEL = child.*child.ini:5' &&
		echo \"\$out\" | grep -q 'TEAM = infra.*base.ini' && echo \"\$out\" | grep -q 'cap-drop = ALL'"

# ---- bad profiles: refused by check and by run, nothing made -----------------------
bad() { # bad NAME CONTENT WANT: profile check and run refuse it naming WANT
	printf '%s\n' "$2" >"$P/$1.ini"
	chown "$(as_user id -u)" "$P/$1.ini" 2>/dev/null || true
	(cd "$P" && expect_fail "$3" b profile check "$1.ini") &&
		(cd "$P" && expect_fail "$3" run --rm --profile "$1.ini" $img true)
}
export -f bad
export P img
n0=$(nctr)
check "a syntax error, with its line" -- bad syntax $'[sandbox\nimage = x' "syntax.ini:1"
check "an unknown key, with a did-you-mean" -- bad unknown $'[network]\npublsh = 80' "publish"
check "a wrong type, saying what was expected" -- bad badbool $'[security]\nread-only = maybe' "read-only"
check "an extends loop, naming the chain" -- \
	bash -c "printf 'extends = loop2.ini\n' >$P/loop1.ini && printf 'extends = loop1.ini\n' >$P/loop2.ini && chmod a+r $P/loop*.ini &&
		cd $P && expect_fail loop1.ini b profile check loop1.ini"
check "a missing secret, with its line" -- bad nosecret $'[sandbox]\nimage = '$img$'\n[secrets]\nsecret = nosuch' "nosecret.ini:4"
check "a missing bind source" -- bad nobind $'[sandbox]\nimage = '$img$'\n[mounts]\nvolume = ./nowhere:/x' "nowhere"
check "a missing image" -- bash -c "printf '[sandbox]\nimage = localhost/nosuch\n' >$P/noimg.ini && chmod a+r $P/noimg.ini && cd $P && expect_fail nosuch b profile check noimg.ini"
check "a missing file" -- expect_fail "nosuchfile" b profile check "$P/nosuchfile.ini"
check "... and none of them made a container" -- bash -c "test \"\$(berth ps -a -q | wc -l)\" = $n0"

# ---- the shop stack ------------------------------------------------------------------
S=$P/examples/shop
fp=$(free_port)
bp=$(free_port)
sed -i "s/127.0.0.1:38080:8080/127.0.0.1:$fp:8080/; s/127.0.0.1:38081:8080/127.0.0.1:$bp:8080/" "$S/shop.ini"
chown -R "$(as_user id -u)" "$S" 2>/dev/null || true
pre_cleanup() {
	b down -v "$S/shop.ini" >/dev/null 2>&1
	b down -v "$P/half.ini" >/dev/null 2>&1
	pkill -u "$(as_user id -u)" -f "$T/holder.py" 2>/dev/null
}
check "profile check passes the shop stack" -- bash -c "b profile check $S/shop.ini | grep -q 'ok (a stack of 3 sandboxes)'"
check "up -d starts the shop stack in dependency order, naming its containers" -- \
	bash -c "test \"\$(b up -d $S/shop.ini | tr '\n' ' ')\" = 'shop-db shop-backend shop-frontend '"
check "ps --stack lists its three sandboxes, running" -- \
	bash -c "test \"\$(b ps --stack $S/shop.ini --format json | grep -c '\"State\": \"running\"')\" = 3"
check "the frontend's port is reachable from the host" -- bash -c "wait_get $fp /index.html | grep -q 'shop frontend'"
check "the backend reaches the database by name (and the database serves its volume)" -- \
	bash -c "b exec shop-db sh -c 'echo order-42 > /data/record.txt' && wait_get $bp /cgi-bin/record | grep -qx order-42"
check "logs --stack prefixes each line with its sandbox" -- bash -c "b logs --stack $S/shop.ini | grep -q '^db *| '"
check "restart --stack restarts one sandbox, which still reaches the database" -- \
	bash -c "b restart --stack $S/shop.ini -t 1 backend >/dev/null && wait_get $bp /cgi-bin/record | grep -qx order-42"
check "down removes the sandboxes and the network, keeps the named volume" -- \
	bash -c "b down $S/shop.ini && test -z \"\$(b ps -a --stack $S/shop.ini -q)\" && ! b network inspect shop-shopnet >/dev/null 2>&1 &&
		b volume inspect shop-dbdata >/dev/null"
check "the database's data survives down and up" -- \
	bash -c "b up -d $S/shop.ini && wait_get $bp /cgi-bin/record | grep -qx order-42"
attached_up() { # up without -d: the logs, name-prefixed; ctrl-c stops the stack
	as_user env BERTH_FS="$BERTH_FS" timeout -s INT 4 "$BERTH" up "$S/shop.ini" >"$T/up.out" 2>&1
	sed 's/^/# /' "$T/up.out" | head -5
	grep -q '^db *| ' "$T/up.out" &&
		test -z "$(b ps --stack "$S/shop.ini" -q)" && test "$(b ps -a --stack "$S/shop.ini" -q | wc -l)" = 3
}
check "up without -d follows the logs; SIGINT stops the sandboxes" -- attached_up
check "down -v removes the named volume too" -- \
	bash -c "b down -v $S/shop.ini && ! b volume inspect shop-dbdata >/dev/null 2>&1"

solo() {
	printf '[stack]\nname = solo\n[job]\nextends = untrusted-build.ini\ncommand = sh /src/build.sh\n' >"$P/solo.ini"
	chown "$(as_user id -u)" "$P/solo.ini" 2>/dev/null || true
	rm -f "$P/out/result"
	b up -d "$P/solo.ini" >/dev/null 2>"$T/solo.err" || { cat "$T/solo.err"; return 1; }
	grep -q 'remove is the stack' "$T/solo.err" && b wait solo-job >/dev/null &&
		[ "$(cat "$P/out/result")" = compiled ] && b down "$P/solo.ini"
}
check "a stack's sandbox extends a profile (no network: no alias); its remove is the stack's, with a warning" -- solo

# ---- bad stacks: refused before anything is made; a failing up rolled back ------------
badstack() { # badstack NAME CONTENT WANT: profile check and up refuse it naming WANT
	printf '[stack]\nname = %s\n%s\n' "$1" "$2" >"$P/$1.ini"
	chown "$(as_user id -u)" "$P/$1.ini" 2>/dev/null || true
	expect_fail "$3" b profile check "$P/$1.ini" && expect_fail "$3" b up -d "$P/$1.ini"
}
export -f badstack
nn=$(b network ls -q | wc -l)
check "a dependency cycle is refused, naming it" -- \
	badstack cycle $'[a]\nimage = '$img$'\ndepends-on = b\n[b]\nimage = '$img$'\ndepends-on = a' "cycle"
check "a host port published twice is refused, naming both" -- \
	badstack twice $'[a]\nimage = '$img$'\n[a.network]\npublish = 127.0.0.1:'$fp$':80\n[b]\nimage = '$img$'\n[b.network]\npublish = 127.0.0.1:'$fp$':81' "$fp"
check "... nothing was made" -- bash -c "test \"\$(berth ps -a -q | wc -l)\" = $n0 && test \"\$(b network ls -q | wc -l)\" = $nn"
# the second sandbox's port is taken on the host when up runs: it fails
# at start, after the network and the first sandbox were made
hp=$(free_port)
cat >"$T/holder.py" <<'PY'
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)
PY
chmod a+r "$T/holder.py"
(as_user python3 "$T/holder.py" "$hp" >/dev/null 2>&1 &)
# (the port is the holder's once a bind of it fails)
port_taken() { ! python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null; }
wait_for 10 port_taken "$hp"
printf '[stack]\nname = half\nnetworks = net\n[first]\nimage = %s\ncommand = sleep 60\n[first.network]\nmode = net\n[second]\nimage = %s\ndepends-on = first\n[second.network]\nmode = net\npublish = 127.0.0.1:%s:80\n' \
	"$img" "$img" "$hp" >"$P/half.ini"
chown "$(as_user id -u)" "$P/half.ini" 2>/dev/null || true
check "a stack failing half-way is rolled back, naming the failing sandbox" -- \
	bash -c "expect_fail second b up -d $P/half.ini && test \"\$(berth ps -a -q | wc -l)\" = $n0 &&
		! b network inspect half-net >/dev/null 2>&1"
finish
