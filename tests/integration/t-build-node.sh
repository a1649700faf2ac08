#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The seeds' node pattern end to end: a Debian-based image with nodejs
# (bench/node-image.sh: Debian's minbase rootfs, or a skeleton, and the
# host's own Debian packages; no internet), an app whose install step
# writes about 5,000 files (`COPY package.json install.js ./`, `RUN node
# install.js`: node_modules generated from package.json, so the test
# needs no registry; bench/build.sh runs the real `npm ci`), `COPY . .`,
# built by `berth build`, run with -p on 127.0.0.1 and reached from the
# host; then a change to server.js rebuilds with the install step from
# the cache, and the new answer is served. (That a change to package.json
# runs the install again is t-build's.) As a user without a subuid range
# the install runs as the container's only id, root.
#
# The image is made once and kept in $BERTH_NODE_CACHE (default
# /var/tmp/berth-node-cache-UID). Skipped, with the reason, when it cannot
# be made here (no nodejs and not root to install it).
. "$(dirname "$0")/../lib.sh"
require_network
# (the checks' bash -c snippets run berth too)
export -f run b

if ! as_user "$BERTH" --help 2>&1 | grep -q '^  build '; then
	skip "this berth has no build verb"
	finish
	exit
fi

CACHE=${BERTH_NODE_CACHE:-/var/tmp/berth-node-cache-$(id -u)}
install -d -m 0755 "$CACHE"
# make SCRIPT ARGS...: MADE, the path a bench/ script prints; a skip with
# its reason when it exits 77 (it cannot be made here)
make_or_skip() {
	local rc=0
	MADE=$("$SRCDIR/bench/$1" "${@:2}" 2>"$T/$1.err") || rc=$?
	if [ "$rc" = 77 ]; then
		skip "$(tail -n 1 "$T/$1.err")"
		finish
		exit
	elif [ "$rc" != 0 ] || [ -z "$MADE" ]; then
		ok 1 "bench/$1 makes its output"
		sed 's/^/#   /' "$T/$1.err" | tail -20
		finish
		exit
	fi
}
make_or_skip node-image.sh "$CACHE"
NODE_TAR=$MADE

# the app: its install step makes node_modules from package.json (50
# modules of 102 files), as an install would, with nothing to download
APP=$T/app
mkdir -p "$APP"
cat >"$APP/package.json" <<'JSON'
{ "name": "nodeapp", "version": "1.0.0", "modules": 50, "files": 100 }
JSON
cat >"$APP/install.js" <<'JS'
const fs = require("fs"), path = require("path");
const pkg = JSON.parse(fs.readFileSync("package.json"));
for (let m = 0; m < pkg.modules; m++) {
	const dir = path.join("node_modules", "mod" + m);
	fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
	fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "mod" + m, main: "index.js" }));
	fs.writeFileSync(path.join(dir, "index.js"), "module.exports = " + m + ";\n");
	for (let f = 0; f < pkg.files; f++)
		fs.writeFileSync(path.join(dir, "lib", "f" + f + ".js"), "// " + pkg.version + " " + m + "/" + f + "\n");
}
console.log("installed", pkg.modules * (pkg.files + 2), "files");
JS
cat >"$APP/server.js" <<'JS'
const http = require("http");
const GREETING = "hello from node v1";
let sum = 0;
for (let m = 0; m < 50; m++) sum += require("mod" + m);
http.createServer((req, res) => res.end(GREETING + " modules=" + sum)).listen(3000, "0.0.0.0");
JS
printf 'node_modules\n' >"$APP/.dockerignore"
cat >"$APP/Dockerfile" <<'DF'
FROM localhost/berth-node:latest
WORKDIR /app
COPY package.json install.js ./
RUN node install.js
COPY . .
EXPOSE 3000
CMD ["node", "server.js"]
DF
[ -z "$BERTH_TEST_USER" ] || [ "$(id -u)" != 0 ] || chown -R "$BERTH_TEST_USER": "$APP"
diag "base: $NODE_TAR; app: $APP"

diag "image and app ready after $SECONDS s"
check "import the node image's rootfs" -- berth import -q "$NODE_TAR" localhost/berth-node:latest
diag "imported after $SECONDS s"
check "node runs in it" -- test "$(run --rm localhost/berth-node node -e 'console.log(6 * 7)')" = 42

# build LOG: berth build of the app with its step lines in $T/LOG
build() {
	local t0=$SECONDS rc=0
	b build --progress plain -t localhost/nodeapp:latest "$APP" >"$T/$1" 2>&1 || rc=$?
	diag "$1: $((SECONDS - t0)) s"
	[ "$rc" = 0 ] || { tail -n 30 "$T/$1" >&2; return 1; }
}
# step_block LOG PATTERN: the lines of the step whose STEP line matches
step_block() { awk -v p="$2" '/^STEP [0-9]+\/[0-9]+: / { on = ($0 ~ p) } on' "$T/$1"; }
cached() { step_block "$1" "$2" | grep -q 'Using cache'; }
not_cached() { step_block "$1" "$2" | grep -q . && ! cached "$1" "$2"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_get() { # http_get PORT: the body of / from the host's 127.0.0.1
	as_user python3 -c 'import sys, urllib.request as u
h = u.build_opener(u.ProxyHandler({}))
print(h.open("http://127.0.0.1:%s/" % sys.argv[1], timeout=5).read().decode(), end="")' "$1"
}
pre_cleanup() { rm_all_containers; }
# serves WANT: the app, run -d with -p on a free loopback port, answers
# with WANT (the server may take seconds to start on a loaded machine)
serves() {
	local port id body=
	port=$(free_port)
	id=$(run -d -p "127.0.0.1:$port:3000" localhost/nodeapp:latest) || return 1
	wait_for 30 http_get "$port" >/dev/null 2>&1
	body=$(http_get "$port" 2>&1)
	b rm -f "$id" >/dev/null 2>&1
	echo "#   answer: $body" >&2
	case $body in "$1 modules=1225") return 0 ;; esac
	return 1
}

if ! build cold.log; then
	ok 1 "berth build of the node app"
	finish
	exit
fi
ok 0 "berth build of the node app"
check "... its install step ran" -- not_cached cold.log 'RUN node install.js'
check "... and wrote node_modules (about 5,000 files)" -- bash -c \
	'n=$(run --rm localhost/nodeapp:latest sh -c "find /app/node_modules -type f | wc -l"); echo "#   $n files" >&2; [ "$n" -gt 4000 ]'
check "... the image's config has the CMD, WORKDIR and EXPOSE" -- bash -c \
	'c=$(b inspect localhost/nodeapp:latest); grep -q "server.js" <<<"$c" && grep -q "\"/app\"" <<<"$c" && grep -q "3000/tcp" <<<"$c"'
check "run -d -p 127.0.0.1:PORT:3000: the host reaches the server" -- serves "hello from node v1"

sed -i 's/^const GREETING = .*/const GREETING = "hello from node v2";/' "$APP/server.js"
check "rebuild after a change to server.js" -- build source.log
check "... the package.json COPY comes from the cache" -- cached source.log 'COPY package'
check "... the install step comes from the cache" -- cached source.log 'RUN node install.js'
check "... COPY . . runs again" -- not_cached source.log 'COPY \\. \\.'
check "... the new image serves the new answer" -- serves "hello from node v2"

check "rebuild with nothing changed: everything from the cache" -- build same.log
# uncached LOG: the STEP lines of RUN and COPY steps with no "Using cache"
uncached() {
	awk 'function out() { if (s != "") print s } /^STEP [0-9]+\/[0-9]+: / { out(); s = ($0 ~ /: (RUN|COPY) /) ? $0 : ""; next }
		/Using cache/ { s = "" } END { out() }' "$T/$1"
}
check "... every RUN and COPY step says so" -- test -z "$(uncached same.log)"

diag "$SECONDS s in all"
finish
