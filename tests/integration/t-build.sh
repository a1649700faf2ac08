#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth build end to end, as the test user: the instructions and what
# they record (config, history), the step cache and its rules (sources,
# the seeds' install pattern, docker's ARG rule), .dockerignore,
# multi-stage and --target, heredocs, build secrets (never in the store
# or a saved archive), cache mounts, reproducible IDs, stdin forms, and
# bad recipes failing with their line, leaving nothing behind.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../build-lib.sh"
require_fixtures
require_fuse
require_userns

check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"

# ---- the instructions, the config, the history ----
C=$(ctx basic)
put "$C/hello.txt" $'hello from the context\n'
put "$C/Dockerfile" 'FROM localhost/bb
LABEL org.example.a=one b="two words"
ENV GREETING=hi NAME=berth
WORKDIR /app
COPY hello.txt .
RUN echo "$GREETING $NAME" > /app/said && mkdir -p /data && echo kept > /data/f
USER 1000:1000
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/hello.txt /app/said"]
'
check "a Dockerfile with every common instruction builds" -- bld -t basic "$C"
ran_ok() { [ "$(berth run --rm -u 0 basic)" = "$(printf 'hello from the context\nhi berth')" ]; }
check "the image runs: COPY's file and RUN's output are there, ENTRYPOINT and CMD apply" -- ran_ok
config_ok() {
	[ "$(cfg basic 'd["Config"]["WorkingDir"]')" = '"/app"' ] &&
		[ "$(cfg basic 'd["Config"]["User"]')" = '"1000:1000"' ] &&
		[ "$(cfg basic 'sorted(d["Config"]["ExposedPorts"])')" = '["53/udp", "8080/tcp"]' ] &&
		[ "$(cfg basic '"GREETING=hi" in d["Config"]["Env"]')" = true ] &&
		[ "$(cfg basic 'd["Config"]["Labels"]["b"]')" = '"two words"' ] &&
		[ "$(cfg basic 'd["Config"]["StopSignal"]')" = '"SIGINT"' ] &&
		[ "$(cfg basic 'list(d["Config"]["Volumes"])')" = '["/data"]' ]
}
check "config: WorkingDir, User, ExposedPorts, Env, Labels, StopSignal, Volumes" -- config_ok
history_ok() {
	berth history --no-trunc basic >"$T/hist" 2>&1 || berth history basic >"$T/hist" 2>&1
	grep -q 'RUN /bin/sh -c echo "$GREETING $NAME"' "$T/hist" && grep -q 'ENV GREETING=hi NAME=berth' "$T/hist" &&
		grep -q 'COPY hello.txt . # buildkit' "$T/hist"
}
check "history records each step as docker build does" -- history_ok
# (the raw config, through save: history lives there)
raw_history() {
	berth save -o "$T/basic.tar" basic && mkdir -p "$T/basic.x" && tar -C "$T/basic.x" -xf "$T/basic.tar" &&
		python3 - "$T/basic.x" <<'EOF'
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))[0]
c = json.load(open(os.path.join(d, m["Config"])))
mine = [h for h in c["history"] if "buildkit" in h.get("comment", "")]
layered = [h["created_by"] for h in mine if not h.get("empty_layer")]
# WORKDIR /app made the directory, COPY and RUN wrote files
assert len(layered) == 3, layered
assert len(c["rootfs"]["diff_ids"]) == len([h for h in c["history"] if not h.get("empty_layer")]), c
assert any(h["created_by"].startswith("EXPOSE map[") for h in mine), mine
EOF
}
check "empty_layer marks the config-only steps; diff_ids match the layered ones" -- raw_history

rebuild_cached() {
	local id1 id2
	id1=$(berth image inspect basic | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d[0] if isinstance(d,list) else d)["Id"])')
	bld -t basic "$C" && [ "$(cached)" = 3 ] &&
		id2=$(berth image inspect basic | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d[0] if isinstance(d,list) else d)["Id"])') &&
		[ "$id1" = "$id2" ]
}
check "a rebuild with no change takes every layered step from the cache, and gives the same ID" -- rebuild_cached

# ---- USER for RUN: other uids need a subuid range ----
U=$(ctx user)
put "$U/Dockerfile" 'FROM localhost/bb
USER 1000:1000
RUN test "$(id -u):$(id -g)" = 1000:1000
'
if check_subuid; then
	user_run() { bld -t usr "$U"; }
	check "RUN runs as USER (a subuid range maps uid 1000)" -- user_run
else
	check "without a subuid range, RUN as another user fails naming the step" -- \
		expect_fail "Dockerfile:3" berth build "$U"
fi

# ---- the seeds' pattern: COPY package.json, RUN install, COPY . . ----
N=$(ctx node)
put "$N/package.json" '{"name":"app","version":"1.0.0"}'
put "$N/app.js" 'v1'
put "$N/Dockerfile" 'FROM localhost/bb
WORKDIR /app
COPY package.json .
RUN mkdir -p node_modules && for i in 1 2 3 4 5; do echo $i > node_modules/m$i; done && cat /dev/urandom | head -c 8 | od -An -tx1 > /installed
COPY . .
CMD ["cat", "/app/app.js"]
'
check "the node-pattern build" -- bld -t node "$N"
stamp() { berth run --rm node cat /installed; }
S1=$(stamp)
src_change() {
	put "$N/app.js" 'v2' && bld -t node "$N" && [ "$(cached)" = 3 ] &&
		[ "$(stamp)" = "$S1" ] && [ "$(berth run --rm node)" = v2 ]
}
check "a source change reuses the install step and copies the new source" -- src_change
pkg_change() {
	put "$N/package.json" '{"name":"app","version":"1.0.1"}' && bld -t node "$N" &&
		[ "$(cached)" = 1 ] && [ "$(stamp)" != "$S1" ]
}
check "a package.json change reruns the install step" -- pkg_change
mtime_only() {
	as_user touch -d '2001-01-01' "$N/package.json" "$N/app.js" && bld -t node "$N" && [ "$(cached)" = 4 ]
}
check "a change of mtime only is no change" -- mtime_only
mode_change() {
	as_user chmod 0600 "$N/app.js" && bld -t node "$N" && [ "$(cached)" = 3 ]
}
check "a change of mode is a change (the last COPY reruns)" -- mode_change

# ---- docker's ARG rule ----
A=$(ctx args)
put "$A/Dockerfile" 'FROM localhost/bb
RUN echo first > /first
ARG V=dflt
RUN echo "v=$V" > /v
ARG LATE
RUN echo late > /late
'
check "an ARG build" -- bld -t args "$A"
arg_change() {
	bld -t args --build-arg V=two "$A" && [ "$(cached)" = 1 ] &&
		[ "$(berth run --rm args cat /v)" = "v=two" ]
}
check "changing an ARG reruns the RUN in its scope and what follows, not the steps before it" -- arg_change
arg_unused() {
	bld -t args --build-arg V=two --build-arg UNUSED=1 "$A" && [ "$(cached)" = 3 ] &&
		grep -q 'UNUSED' "$T/err"
}
check "a --build-arg no ARG declares changes nothing, with docker's warning" -- arg_unused
arg_late() {
	bld -t args --build-arg V=two --build-arg LATE=x "$A" && [ "$(cached)" = 2 ]
}
check "an ARG declared after a step does not touch it" -- arg_late
secret_name_warns() {
	local D
	D=$(ctx warnarg)
	put "$D/Dockerfile" 'FROM localhost/bb
ARG API_TOKEN=x
'
	bld "$D" && grep -q 'API_TOKEN' "$T/err" && grep -qi 'history' "$T/err"
}
check "an ARG named like a secret gets docker's warning" -- secret_name_warns

# ---- .dockerignore ----
I=$(ctx ignore)
put "$I/keep.txt" keep
put "$I/secret.key" nope
put "$I/logs/a.log" nope
put "$I/logs/important.log" yes
put "$I/node_modules/x/y.js" nope
put "$I/.dockerignore" '# comment
*.key
logs/*.log
!logs/important.log
node_modules
'
put "$I/Dockerfile" 'FROM localhost/bb
COPY . /ctx/
'
ignore_ok() {
	bld -t ign "$I" && berth run --rm ign find /ctx -type f | sort >"$T/files" &&
		[ "$(tr '\n' ' ' <"$T/files")" = "/ctx/.dockerignore /ctx/Dockerfile /ctx/keep.txt /ctx/logs/important.log " ]
}
check ".dockerignore: globs, directories and ! exceptions, as docker" -- ignore_ok
ignored_no_key() {
	put "$I/secret.key" changed && bld -t ign "$I" && [ "$(cached)" = 1 ]
}
check "a change to an ignored file changes nothing" -- ignored_no_key

# ---- the context's boundary ----
B=$(ctx bounds)
put "$B/inside" in
as_user ln -s /etc/passwd "$B/outlink"
put "$B/Dockerfile" 'FROM localhost/bb
COPY ../../inside /a
COPY /inside /b
COPY outlink /l
'
bounds_ok() {
	bld -t bounds "$B" && [ "$(berth run --rm bounds cat /a /b)" = inin ] &&
		[ "$(berth run --rm bounds readlink /l)" = /etc/passwd ]
}
check "COPY ../x and /x are the context's x; a link out of the context is copied as a link" -- bounds_ok

# ---- multi-stage ----
M=$(ctx multi)
put "$M/Dockerfile" 'FROM localhost/bb AS base
RUN echo base > /base

FROM base AS build
RUN echo built > /artifact

FROM localhost/bb AS unused
RUN exit 3

FROM localhost/bb
COPY --from=build /artifact /artifact
COPY --from=0 /base /base
'
multi_ok() {
	bld -t multi "$M" && [ "$(berth run --rm multi cat /artifact /base)" = "$(printf 'built\nbase')" ] &&
		! grep -q 'exit 3' "$T/out"
}
check "multi-stage: COPY --from a stage by name and by index; an unneeded stage is not built" -- multi_ok
target_ok() {
	bld -t tgt --target build "$M" && [ "$(berth run --rm tgt cat /artifact)" = built ]
}
check "--target builds up to that stage" -- target_ok

P=$(ctx parallel)
put "$P/Dockerfile" 'FROM localhost/bb AS one
RUN sleep 2 && echo 1 > /one

FROM localhost/bb AS two
RUN sleep 2 && echo 2 > /two

FROM localhost/bb
COPY --from=one /one /one
COPY --from=two /two /two
'
parallel_ok() {
	bld -t par "$P" || return 1
	# both stages' RUN began before either ended
	awk '/\[one\].*STEP 2\/2: RUN/ {a=NR} /\[two\].*STEP 2\/2: RUN/ {b=NR}
	     /^\[(one|two)\] --> / && !e {e=NR} END {exit !(a && b && e && a < e && b < e)}' "$T/out" &&
		[ "$(berth run --rm par cat /one /two)" = "$(printf '1\n2')" ]
}
check "independent stages are built at once, each line marked with its stage" -- parallel_ok

BF=$(ctx bindfrom)
put "$BF/Dockerfile" 'FROM localhost/bb AS tools
RUN mkdir -p /opt/t && echo tool-data > /opt/t/data

FROM localhost/bb
RUN --mount=type=bind,from=tools,source=/opt/t,target=/t cat /t/data > /copied && ! touch /t/x
RUN --mount=type=bind,from=localhost/bb,target=/bbroot test -x /bbroot/bin/busybox
'
bind_from() {
	bld -t bf "$BF" && [ "$(berth run --rm bf cat /copied)" = tool-data ] &&
		! grep -q "$T/store" /proc/mounts
}
check "RUN --mount=type=bind,from= a stage or an image, read-only, unmounted after" -- bind_from

# ---- heredocs, SHELL, exec form ----
H=$(ctx heredoc)
put "$H/Dockerfile" 'FROM localhost/bb
RUN <<EOF
echo one > /h1
echo two >> /h1
EOF
COPY <<EOT /etc/greeting
hello $HOSTNAME_UNSET-x
EOT
RUN ["/bin/sh", "-c", "echo exec > /h2"]
'
heredoc_ok() {
	bld -t hd "$H" && [ "$(berth run --rm hd cat /h1 /h2 /etc/greeting)" = "$(printf 'one\ntwo\nexec\nhello -x')" ]
}
check "RUN <<EOF runs the heredoc, COPY <<EOF writes it, the exec form runs as given" -- heredoc_ok

E=$(ctx emptyrun)
put "$E/Dockerfile" 'FROM localhost/bb
RUN true
'
empty_run() {
	bld -t er "$E" &&
		[ "$(cfg er 'len(d["RootFS"]["Layers"])')" = "$(cfg localhost/bb 'len(d["RootFS"]["Layers"])')" ]
}
check "a RUN that changes nothing makes no layer" -- empty_run

SQ=$(ctx squash)
put "$SQ/a" a
put "$SQ/Dockerfile" 'FROM localhost/bb
RUN mkdir -p /d/sub && echo 1 > /d/sub/f && echo x > /etc/newfile
RUN rm /etc/passwd && rm -rf /d/sub && echo 2 > /d/g
COPY a /app/a
RUN rm -rf /usr && mkdir /usr && echo u > /usr/u
'
squash() {
	bld -t sq --squash "$SQ" && bld -t nosq "$SQ" &&
		[ "$(cfg sq 'len(d["RootFS"]["Layers"])')" = "$(( $(cfg localhost/bb 'len(d["RootFS"]["Layers"])') + 1 ))" ] &&
		[ "$(berth image tree sq | sort)" = "$(berth image tree nosq | sort)" ] &&
		berth run --rm sq sh -c '! test -e /etc/passwd && ! test -e /d/sub && test "$(ls /usr)" = u'
}
check "--squash: the build's layers as one over the base's, the same files (whiteouts, opaque dirs)" -- squash

# ---- build secrets ----
MARK="berth-build-secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
as_user sh -c 'printf %s "$1" >"$2"' _ "$MARK" "$T/secret.txt"
X=$(ctx secret)
put "$X/Dockerfile" 'FROM localhost/bb
RUN --mount=type=secret,id=tok test -s /run/secrets/tok && test "$(wc -c </run/secrets/tok)" -gt 20 && echo used > /used
RUN --mount=type=secret,id=tok,env=TOK test -n "$TOK"
RUN test ! -e /run/secrets/tok
'
secret_used() { bld -t sec --secret "id=tok,src=$T/secret.txt" "$X" && [ "$(berth run --rm sec cat /used)" = used ]; }
check "RUN --mount=type=secret sees --secret's value (file and env), for its step only" -- secret_used
secret_nowhere() {
	berth save -o "$T/sec.tar" sec && ! grep -rqF -- "$MARK" "$BERTH_ROOT" "$T/sec.tar" "$T/out" "$T/err"
}
check "the secret's bytes are in no file of the store, the saved image or the output" -- secret_nowhere

# ---- cache mounts ----
K=$(ctx cachemount)
put "$K/Dockerfile" 'FROM localhost/bb
ARG N=1
RUN --mount=type=cache,target=/cache echo "$N" >> /cache/runs && cat /cache/runs | wc -l > /count
'
cache_mount() {
	bld -t cm "$K" && bld -t cm --build-arg N=2 "$K" && [ "$(berth run --rm cm cat /count)" = 2 ] &&
		! berth run --rm cm test -e /cache/runs
}
check "a cache mount persists across builds and stays out of the layers" -- cache_mount

# ---- reproducible ----
repro() {
	local id1 id2
	bld -q --timestamp 0 "$B" && id1=$(cat "$T/out") &&
		BERTH_ROOT="$T/store2" berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar" >/dev/null &&
		as_user env BERTH_ROOT="$T/store2" SOURCE_DATE_EPOCH=0 "$BERTH" build -q "$B" >"$T/out2" 2>"$T/err2" &&
		id2=$(cat "$T/out2") && [ -n "$id1" ] && [ "$id1" = "$id2" ]
}
check "--timestamp 0 and SOURCE_DATE_EPOCH=0 in two clean stores give the same image ID" -- repro
quiet_only_id() { bld -q "$C" && grep -qxE 'sha256:[0-9a-f]{64}' "$T/out" && [ "$(wc -l <"$T/out")" = 1 ]; }
check "-q prints only the image ID" -- quiet_only_id
iidfile() { bld --iidfile "$T/iid" -t basic "$C" && grep -qxE 'sha256:[0-9a-f]{64}' "$T/iid"; }
check "--iidfile writes the ID" -- iidfile

TT=$(ctx tty)
put "$TT/Dockerfile" 'FROM localhost/bb
RUN for i in 1 2 3 4 5 6 7; do echo line-$i; sleep 0.2; done
'
tty_view() {
	as_user script -qc "'$BERTH' build --no-cache --progress tty '$TT'" /dev/null >"$T/tty.out" 2>&1 &&
		grep -q $'\033\[2m  line-3' "$T/tty.out" && grep -q $'\033\[[0-9]*A' "$T/tty.out" &&
		grep -qE 'STEP 2/2: RUN .*  [0-9]+\.[0-9]s' "$T/tty.out"
}
check "--progress tty: a running step's last lines drawn in place, then its title and time" -- tty_view

# ---- stdin ----
stdin_dockerfile() {
	printf 'FROM localhost/bb\nRUN echo from-stdin > /s\n' | berth build -t sd -f - "$C" >"$T/out" 2>"$T/err" &&
		[ "$(berth run --rm sd cat /s)" = from-stdin ]
}
check "-f - reads the Dockerfile from stdin" -- stdin_dockerfile
stdin_tar() {
	tar -C "$C" -cf "$T/ctx.tar" . && berth build -t st - <"$T/ctx.tar" >"$T/out" 2>"$T/err" &&
		[ "$(berth run --rm -u 0 --entrypoint cat st /app/hello.txt)" = "hello from the context" ]
}
check "CONTEXT - takes a tar stream of the context" -- stdin_tar

# ---- ADD of a URL: fetched by berth (loopback only here) ----
W=$(ctx www)
put "$W/remote.txt" "remote content"
python3 -c '
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
' "$W" "$T/www-port" >/dev/null 2>&1 &
WWW_PID=$!
pre_cleanup() { kill "$WWW_PID" 2>/dev/null; }
wait_for 10 test -s "$T/www-port"
WWW="http://127.0.0.1:$(cat "$T/www-port")"
D=$(ctx addurl)
put "$D/Dockerfile" "FROM localhost/bb
ADD $WWW/remote.txt /d/
"
add_url() {
	bld -t au "$D" && [ "$(berth run --rm au cat /d/remote.txt)" = "remote content" ] &&
		[ "$(berth run --rm au stat -c %a /d/remote.txt)" = 600 ]
}
check "ADD URL fetches the file (0600, named by the URL's path)" -- add_url
WWW_PORT=$(cat "$T/www-port")
D2=$(ctx noloop)
put "$D2/Dockerfile" "FROM localhost/bb
RUN ! { printf 'GET /remote.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 3 host.docker.internal $WWW_PORT | grep -q 'remote content'; }
"
host_reached_by_run() {
	berth run --rm localhost/bb sh -c "printf 'GET /remote.txt HTTP/1.0\r\n\r\n' | nc -w 3 host.docker.internal $WWW_PORT" | grep -q 'remote content'
}
check "(berth run reaches the host's loopback server through host.docker.internal)" -- host_reached_by_run
check "a RUN step does not: build steps get no way to the host's 127.0.0.1" -- bld "$D2"
check "ADD URL with --network none is refused, naming the line" -- \
	expect_fail "Dockerfile:2" berth build --network none "$D"
put "$D/Dockerfile" "FROM localhost/bb
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 $WWW/remote.txt /r
"
check "ADD --checksum that does not match fails" -- expect_fail "not --checksum" berth build "$D"

# ---- bad recipes: the line, nothing left ----
F=$(ctx bad)
put "$F/Dockerfile" 'FROM localhost/bb
RUN true
FROBNICATE x
'
check "an unknown instruction fails naming Dockerfile:3" -- expect_fail "Dockerfile:3" berth build "$F"
put "$F/Dockerfile" 'FROM localhost/bb
RUN echo partial > /p
RUN exit 7
'
failed_run() {
	expect_fail "Dockerfile:3" berth build -t failed "$F" && grep -q "exit code: 7" "$T/ef.err" &&
		! berth image inspect failed >/dev/null 2>&1 && [ -z "$(berth ps -aq)" ] &&
		! grep -q "$T/store" /proc/mounts
}
check "a failing RUN names its line and exit code; no image, container or mount is left" -- failed_run
put "$F/Dockerfile" 'FROM localhost/bb
COPY missing.txt /
'
check "a missing COPY source fails naming its line" -- expect_fail "Dockerfile:2" berth build "$F"
check "no Dockerfile: a clear error" -- expect_fail "Dockerfile" berth build "$(ctx empty)"

# ---- the cache's prune ----
prune() {
	berth builder prune -a >"$T/p.out" && grep -q 'Deleted' "$T/p.out" && bld -t basic "$C" && [ "$(cached)" = 0 ]
}
check "builder prune empties the cache: the next build runs every step" -- prune
check "the store has nothing a build left: system check passes" -- berth system check
finish
