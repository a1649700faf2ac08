#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth build, instruction by instruction and flag by flag, beyond the
# main paths t-build covers; each check asserts what docker (BuildKit)
# does: HEALTHCHECK, SHELL, ONBUILD, STOPSIGNAL, MAINTAINER, EXPOSE
# ranges, VOLUME's JSON form, ENV's forms and substitution, LABEL, ARG
# before FROM; COPY's destination rules, --chown, --chmod, hard links,
# --from an image; ADD's archives; RUN's mounts, network and
# environment; the flags (--no-cache, --label, -t, --pull against a
# registry, --progress plain, -f with its ignore file, Containerfile,
# .containerignore); what the step cache keys on; hostile Dockerfiles
# failing cleanly; a build interrupted or killed mid-RUN.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../build-lib.sh"
require_fixtures
require_fuse
require_userns

check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"

# is IMAGE EXPR WANT: cfg's answer is WANT (else both are shown)
is() {
	local got
	got=$(cfg "$1" "$2")
	[ "$got" = "$3" ] || { echo "#   $2: got $got, want $3"; return 1; }
}
# row IMAGE PATH: PATH's line of `image tree` (type mode uid gid size link sha hardlink_group)
row() { berth image tree "$1" | awk -F'\t' -v p="$2" '$1 == p { sub(/^[^\t]*\t/, ""); print }'; }
# owner_mode IMAGE PATH: "mode uid gid" of PATH in IMAGE
owner_mode() { berth image tree "$1" | awk -F'\t' -v p="$2" '$1 == p { print $3, $4, $5 }'; }
# ev SHELL-TEXT: a condition, evaluated when its check runs
ev() { eval "$1"; }

# ---- config instructions: HEALTHCHECK, ONBUILD, STOPSIGNAL, MAINTAINER,
# EXPOSE, VOLUME, ENV, LABEL ----
C=$(ctx conf)
put "$C/Dockerfile" 'FROM localhost/bb
CMD ["echo", "base-cmd"]
HEALTHCHECK --interval=5s --timeout=3s --start-period=1m30s --retries=4 CMD wget -q -O- localhost || exit 1
ONBUILD RUN echo triggered > /onbuild-ran
ONBUILD ENV FROM_TRIGGER=yes
STOPSIGNAL SIGUSR1
MAINTAINER Jane Doe <jane@example.com>
EXPOSE 7000-7002/udp 9000/tcp 9001
VOLUME ["/v1", "/v2"]
ENV OLD hello   old world
ENV Q="a b"
ENV R=$Q-r S=${Q:+set} U='"'"'$Q'"'"'
ENV Q=new R2=$Q
ENV WEBP=8080
EXPOSE $WEBP/tcp
LABEL from-env=$Q
LABEL l1=one "l 2"="two words" \
      l3=three
'
check "a base with every config instruction builds" -- bld -t conf "$C"
hc_ok() {
	is conf 'd["Config"]["Healthcheck"]["Test"]' '["CMD-SHELL", "wget -q -O- localhost || exit 1"]' &&
		is conf '[d["Config"]["Healthcheck"][k] for k in ("Interval", "Timeout", "StartPeriod", "Retries")]' \
			'[5000000000, 3000000000, 90000000000, 4]'
}
check "HEALTHCHECK shell form: Test CMD-SHELL, durations in nanoseconds, Retries" -- hc_ok
check "ONBUILD triggers are recorded in Config.OnBuild, in order, as written" -- \
	is conf 'd["Config"]["OnBuild"]' '["RUN echo triggered > /onbuild-ran", "ENV FROM_TRIGGER=yes"]'
check "ONBUILD's RUN does not run in the image that declares it" -- ev '! berth image tree conf | grep -q "^/onbuild-ran"'
check "STOPSIGNAL" -- is conf 'd["Config"]["StopSignal"]' '"SIGUSR1"'
check "MAINTAINER sets the image's Author" -- is conf 'd.get("Author")' '"Jane Doe <jane@example.com>"'
check "EXPOSE: a range expands to each port, tcp is the default protocol, \$VAR is expanded" -- \
	is conf 'sorted(d["Config"]["ExposedPorts"])' '["7000/udp", "7001/udp", "7002/udp", "8080/tcp", "9000/tcp", "9001/tcp"]'
check "VOLUME in JSON form" -- is conf 'sorted(d["Config"]["Volumes"])' '["/v1", "/v2"]'
envs_ok() {
	is conf '[e for e in d["Config"]["Env"] if e.split("=")[0] in ("OLD", "Q", "R", "S", "U", "R2")]' \
		'["OLD=hello   old world", "Q=new", "R=a b-r", "S=set", "U=$Q", "R2=a b"]'
}
check "ENV: the old form keeps the rest of the line; quotes; \$VAR, \${VAR:+x} of an earlier ENV; single quotes stay literal; in one ENV, \$VAR is the value before it" -- envs_ok
check "LABEL with several pairs, quoted keys, a continuation and \$VAR" -- \
	is conf '[d["Config"]["Labels"].get(k) for k in ("l1", "l 2", "l3", "from-env")]' '["one", "two words", "three", "new"]'

# ---- an image built FROM it: the triggers run and are gone; ENTRYPOINT
# resets the base's CMD; exec-form HEALTHCHECK; HEALTHCHECK NONE ----
O=$(ctx child)
put "$O/Dockerfile" 'FROM conf
HEALTHCHECK --retries=2 CMD ["/bin/true", "x y"]
ENTRYPOINT ["/bin/echo"]
'
check "an image FROM a base with ONBUILD builds" -- bld -t child "$O"
check "... the base's ONBUILD RUN ran in it" -- ev 'berth image tree child | grep -q "^/onbuild-ran	"'
check "... the base's ONBUILD ENV applied" -- is child '"FROM_TRIGGER=yes" in d["Config"]["Env"]' true
check "... it has no OnBuild of its own (triggers are not inherited)" -- is child 'd["Config"].get("OnBuild") or []' '[]'
check "... ENTRYPOINT reset the CMD the base gave" -- is child '[d["Config"]["Entrypoint"], d["Config"].get("Cmd")]' '[["/bin/echo"], null]'
check "... HEALTHCHECK exec form: Test CMD and the words" -- \
	is child '[d["Config"]["Healthcheck"]["Test"], d["Config"]["Healthcheck"].get("Retries")]' '[["CMD", "/bin/true", "x y"], 2]'
check "... it runs the ENTRYPOINT with no CMD" -- ev '[ "$(berth run --rm child)" = "" ]'
G=$(ctx grandchild)
put "$G/Dockerfile" 'FROM child
HEALTHCHECK NONE
'
grand_ok() {
	bld -t grand "$G" && is grand 'd["Config"]["Healthcheck"]["Test"]' '["NONE"]' &&
		is grand 'd["Config"].get("OnBuild") or []' '[]'
}
check "HEALTHCHECK NONE records Test [\"NONE\"]; a grandchild runs no trigger" -- grand_ok

# ---- SHELL, ARG before FROM, ARG and ENV in RUN ----
S=$(ctx shell)
put "$S/Dockerfile" 'ARG BASE=localhost/bb
ARG GLOBAL_ONLY=g
FROM $BASE
ARG BASE
RUN test "$BASE" = localhost/bb && echo "$BASE" > /base-arg
RUN test -z "$GLOBAL_ONLY"
ARG X=1
RUN test "$X" = 1
ARG Z=fromarg
ENV Z=fromenv
RUN test "$Z" = fromenv && echo "$Z" > /z
RUN printf "#!/bin/sh\necho \"\$@\" >> /shell.log\nexec /bin/sh \"\$@\"\n" > /myshell && chmod 0755 /myshell
SHELL ["/myshell", "-c"]
RUN echo via-shell > /shelled
CMD echo from-cmd
'
check "ARG before FROM names the base; SHELL; ARG and ENV in RUN" -- bld -t shell --build-arg Z=cli "$S"
check "an in-stage ARG BASE inherits the global value; a global ARG not redeclared is not in RUN" -- \
	ev '[ "$(berth run --rm shell cat /base-arg)" = localhost/bb ]'
check "ENV wins over an ARG of the same name (and over its --build-arg)" -- ev '[ "$(berth run --rm shell cat /z)" = fromenv ]'
shell_used() {
	[ "$(berth run --rm --entrypoint cat shell /shell.log)" = "-c echo via-shell > /shelled" ] &&
		[ "$(berth run --rm --entrypoint cat shell /shelled)" = via-shell ]
}
check "RUN's shell form runs through SHELL" -- shell_used
check "CMD's shell form is SHELL's words and the command" -- is shell 'd["Config"]["Cmd"]' '["/myshell", "-c", "echo from-cmd"]'
check "... and runs through it" -- ev '[ "$(berth run --rm shell)" = from-cmd ]'

# ---- COPY and ADD ----
P=$(ctx copy)
put "$P/a.txt" 'A'
put "$P/b.txt" 'B'
put "$P/c.md" 'C'
put "$P/dir/g" 'G'
put "$P/dir/sub/f" 'F'
put "$P/hl/h1" 'linked'
as_user ln "$P/hl/h1" "$P/hl/h2"
mkdir -p "$T/tarsrc/top" && printf 'inner\n' >"$T/tarsrc/top/inner.txt" &&
	tar --owner=0 --group=0 -C "$T/tarsrc" -czf "$T/t.tar.gz" top && chmod 0644 "$T/t.tar.gz"
as_user cp "$T/t.tar.gz" "$P/t.tar.gz"
put "$P/Dockerfile" 'FROM localhost/bb
RUN echo "bob:x:1234:4321::/home/bob:/bin/sh" >> /etc/passwd && echo "bobg:x:4321:" >> /etc/group
WORKDIR /w
COPY *.txt /globbed/
COPY a.txt /newname
COPY a.txt /adir/
COPY a.txt b.txt /multi/
COPY dir /contents/
COPY dir /contents2
COPY a.txt rel/
COPY b.txt relfile
COPY --chown=1000:1000 a.txt /own-num
COPY --chown=bob:bobg a.txt /own-name
COPY --chown=bob dir /own-dir/
COPY --chown=1234 a.txt /own-uid-only
COPY --chmod=0640 a.txt /mode640
COPY hl/ /hl/
COPY --from=localhost/bb /etc/passwd /from-image-passwd
ADD t.tar.gz /x/
ADD a.txt /added
'
check "a build with every form of COPY and ADD" -- bld -t cp "$P"
# paths IMAGE PREFIX: the files and directories under PREFIX, space separated
paths() { berth image tree "$1" | awk -F'\t' -v p="$2" 'index($1, p) == 1 { printf "%s ", $1 }'; }
check "COPY *.txt /d/: a glob, into the directory" -- ev '[ "$(paths cp /globbed/)" = "/globbed/a.txt /globbed/b.txt " ]'
check "COPY a.txt /newname: a single file takes the new name" -- ev '[ "$(row cp /newname | cut -f1)" = f ] && [ -z "$(paths cp /newname/)" ]'
check "COPY a.txt /adir/: a trailing / means a directory" -- ev '[ "$(row cp /adir | cut -f1)" = d ] && [ "$(row cp /adir/a.txt | cut -f1)" = f ]'
check "COPY a.txt b.txt /multi/: several sources into a directory" -- ev '[ "$(paths cp /multi/)" = "/multi/a.txt /multi/b.txt " ]'
check "COPY dir /contents/: the directory's contents, not the directory itself" -- \
	ev '[ "$(paths cp /contents/)" = "/contents/g /contents/sub /contents/sub/f " ]'
check "COPY dir /contents2 (no /): the contents too" -- \
	ev '[ "$(paths cp /contents2/)" = "/contents2/g /contents2/sub /contents2/sub/f " ]'
check "a relative dest is under WORKDIR (rel/ a directory, relfile a file)" -- \
	ev '[ "$(row cp /w/rel/a.txt | cut -f1)" = f ] && [ "$(row cp /w/relfile | cut -f1)" = f ]'
check "COPY --chown=1000:1000" -- ev '[ "$(owner_mode cp /own-num)" = "0644 1000 1000" ]'
check "COPY --chown=NAME:GROUP through the image's /etc/passwd and /etc/group" -- \
	ev '[ "$(owner_mode cp /own-name)" = "0644 1234 4321" ]'
# docker: a user without a group takes the user's primary group from passwd
check "COPY --chown=NAME: the user's primary group; every copied entry owned" -- \
	ev '[ "$(owner_mode cp /own-dir/sub/f)" = "0644 1234 4321" ] && [ "$(owner_mode cp /own-dir/sub)" = "0755 1234 4321" ]'
# BuildKit: a numeric user alone gives that number as the group too
check "COPY --chown=UID: the group is the same number" -- ev '[ "$(owner_mode cp /own-uid-only)" = "0644 1234 1234" ]'
check "COPY --chmod=0640" -- ev '[ "$(owner_mode cp /mode640)" = "0640 0 0" ]'
hl_ok() {
	local g1 g2
	g1=$(row cp /hl/h1 | cut -f8) && g2=$(row cp /hl/h2 | cut -f8) &&
		[ "$g1" != - ] && [ "$g1" = "$g2" ] &&
		[ "$(berth run --rm cp stat -c %h /hl/h1)" = 2 ]
}
check "COPY keeps hard links (one inode: stat -c %h is 2 inside)" -- hl_ok
from_image() {
	[ "$(berth run --rm cp cat /from-image-passwd)" = "$(berth run --rm localhost/bb cat /etc/passwd)" ]
}
check "COPY --from=IMAGE (an image, not a stage)" -- from_image
check "ADD of a local .tar.gz extracts it at dest" -- \
	ev '[ "$(berth run --rm cp cat /x/top/inner.txt)" = inner ] && [ -z "$(row cp /x/t.tar.gz)" ]'
check "ADD of a plain file copies it" -- ev '[ "$(berth run --rm cp cat /added)" = A ]'
put "$P/Dockerfile" 'FROM localhost/bb
COPY a.txt b.txt /notadir
'
# docker: "When using COPY with more than one source file, the
# destination must be a directory and end with a /"
check "several sources to a dest without / fail naming the line" -- \
	expect_fail "Dockerfile:2" berth build "$P"
put "$P/Dockerfile" 'FROM localhost/bb
RUN true
ADD http://127.0.0.1:1/file.txt /f
'
add_url() { expect_fail "Dockerfile:3" berth build "$P" && grep -q "127.0.0.1:1/file.txt" "$T/ef.err"; }
check "ADD of an http URL that cannot be fetched fails with a clear error naming the line and the URL" -- \
	add_url
# docker: a URL's file is downloaded (never extracted), mode 0600, named
# by the URL path's last component when dest ends in /
start_host_server
pre_cleanup() { stop_host_server; }
put "$P/Dockerfile" "FROM localhost/bb
ADD http://127.0.0.1:$host_port/some/dir/hello.txt /dl/
"
add_url_ok() {
	bld -t addurl "$P" && [ "$(owner_mode addurl /dl/hello.txt)" = "0600 0 0" ] &&
		[ "$(berth run --rm addurl cat /dl/hello.txt)" = "hello from the host" ]
}
check "ADD of an http URL downloads it: dest/NAME, mode 0600" -- \
	add_url_ok

# ---- RUN: mounts, network, secrets ----
R=$(ctx runs)
put "$R/sub/in.txt" 'bound'
put "$R/top.txt" 'top'
put "$R/Dockerfile" 'FROM localhost/bb
RUN --mount=type=tmpfs,target=/t grep -q " /t tmpfs " /proc/mounts && echo x > /t/f && test -f /t/f
RUN test ! -e /t/f
RUN --mount=type=bind,source=sub,target=/m cat /m/in.txt > /bound && if touch /m/new 2>/dev/null; then exit 9; fi
RUN --network=none test "$(grep -c : /proc/net/dev)" = 1 && grep -q "^ *lo:" /proc/net/dev
RUN grep -c : /proc/net/dev > /ifaces-default
'
check "RUN with a tmpfs mount, a read-only bind mount, --network=none" -- bld -t runs "$R"
# (the contrast: without --network=none a RUN has slirp4netns's tap0 too)
if command -v slirp4netns >/dev/null && as_user test -w /dev/net/tun; then
	check "... (the default network has more than lo: --network=none made the difference)" -- \
		ev '[ "$(berth run --rm runs cat /ifaces-default)" -gt 1 ]'
fi
check "... the bind mount's file was read" -- ev '[ "$(berth run --rm runs cat /bound)" = bound ]'
check "... nothing of the mounts is in the layers" -- ev '[ -z "$(row runs /m/new)" ] && [ -z "$(row runs /t/f)" ]'
put "$R/Dockerfile" 'FROM localhost/bb
RUN --mount=type=bind,source=../..,target=/up ls -a /up > /up-list
'
up_ok() {
	if bld -t up "$R"; then
		echo "# bind source=../.. built: /up is the context's root"
		[ "$(berth run --rm up cat /up-list | tr '\n' ' ')" = ". .. Dockerfile sub top.txt " ]
	else
		echo "# bind source=../.. refused: $(tail -1 "$T/err")"
		grep -q "Dockerfile:2" "$T/err"
	fi
}
check "RUN --mount=type=bind,source=../.. never reaches outside the context" -- up_ok
diag "$(grep "^# bind" "$T/check.out" | cut -c3-)"
put "$R/Dockerfile" 'FROM localhost/bb
RUN --mount=type=secret,id=nope,required=true true
'
check "a missing required secret fails naming the line" -- expect_fail "Dockerfile:2" berth build "$R"
put "$R/Dockerfile" 'FROM localhost/bb
RUN --mount=type=secret,id=nope,required true
'
check "... required without a value too" -- expect_fail "Dockerfile:2" berth build "$R"

# ---- flags: --no-cache, --label, -t twice ----
F=$(ctx flags)
put "$F/Dockerfile" 'FROM localhost/bb
RUN echo made > /made
'
first_id() { berth image inspect "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d[0] if isinstance(d,list) else d)["Id"])'; }
check "a build with --label and two -t" -- bld --timestamp 0 -t one:a -t two:b --label team=core --label "k2=v w" "$F"
check "-t twice: both names are the image" -- ev '[ "$(first_id one:a)" = "$(first_id two:b)" ]'
check "--label sets labels on the image" -- is one:a '[d["Config"]["Labels"].get("team"), d["Config"]["Labels"].get("k2")]' '["core", "v w"]'
id_labelled=$(first_id one:a)
no_cache() {
	bld --timestamp 0 -t one:a "$F" && [ "$(cached)" = 1 ] &&
		bld --no-cache --timestamp 0 -t one:a --label team=core --label "k2=v w" "$F" && [ "$(cached)" = 0 ] &&
		[ "$(berth run --rm one:a cat /made)" = made ] &&
		[ "$(first_id one:a)" = "$id_labelled" ]
}
check "--no-cache takes nothing from the cache and makes the same image" -- no_cache

# ---- --progress plain ----
progress_ok() {
	bld -t prog:1 "$F" && bld --progress plain -t prog:1 "$F" || return 1
	local n id
	n=$(grep -c '^STEP [0-9]*/2: ' "$T/out")
	id=$(first_id prog:1)
	grep -qx 'STEP 1/2: FROM localhost/bb' "$T/out" && grep -qx 'STEP 2/2: RUN echo made > /made' "$T/out" &&
		[ "$n" = 2 ] && grep -q '^--> Using cache [0-9a-f]' "$T/out" && grep -Eq '^COMMIT (localhost/)?prog:1$' "$T/out" &&
		[ "sha256:$(tail -1 "$T/out" | sed 's/^sha256://')" = "$id" ] || { cat "$T/out"; return 1; }
}
check "--progress plain: STEP n/N lines, --> Using cache, COMMIT name, the ID last" -- progress_ok

# ---- -f outside the context, its ignore file; .containerignore; Containerfile ----
D=$(ctx fctx)
put "$D/keep.txt" k
put "$D/skip.txt" s
put "$D/.dockerignore" 'keep.txt
'
E=$(ctx fdir)
put "$E/my.Dockerfile" 'FROM localhost/bb
COPY . /c/
'
put "$E/my.Dockerfile.dockerignore" 'skip.txt
'
check "-f FILE outside the context builds" -- bld -t fout -f "$E/my.Dockerfile" "$D"
check "... FILE.dockerignore beside it is used, not the context's .dockerignore" -- \
	ev '[ "$(paths fout /c/)" = "/c/.dockerignore /c/keep.txt " ]'
Q=$(ctx contf)
put "$Q/keep.txt" k
put "$Q/skip.txt" s
put "$Q/.containerignore" 'skip.txt
'
put "$Q/Containerfile" 'FROM localhost/bb
COPY . /c/
'
check "Containerfile is used when there is no Dockerfile" -- bld -t contf "$Q"
check "... and .containerignore when there is no .dockerignore" -- \
	ev '[ "$(paths contf /c/)" = "/c/.containerignore /c/Containerfile /c/keep.txt " ]'

# ---- hostile Dockerfiles ----
H=$(ctx hostile)
python3 -c 'import sys; sys.stdout.write("FROM localhost/bb\n" + "# padding padding padding padding padding padding\n" * 110000)' >"$T/big" && as_user cp "$T/big" "$H/Dockerfile"
check "a Dockerfile of 5 MB fails with a size error, no crash" -- expect_fail "Dockerfile" berth build "$H"
size_named() { grep -Eqi 'too (big|large)|size|limit|MiB|bytes' "$T/ef.err"; }
check "... the error says the size is the problem" -- size_named
printf 'FROM localhost/bb\nRUN echo a\0b > /nul\n' >"$T/nul" && as_user cp "$T/nul" "$H/Dockerfile"
check "a Dockerfile with a NUL byte fails naming its line" -- expect_fail "Dockerfile:2" berth build "$H"
put "$H/Dockerfile" 'FROM localhost/bb
RUN echo continued > /c \'
eof_cont() { bld -t eofc "$H" && [ "$(berth run --rm eofc cat /c)" = continued ]; }
check "a line continuation at EOF ends the instruction there (as docker)" -- eof_cont
put "$H/Dockerfile" 'FROM localhost/bb
RUN <<EOF
echo never ends
'
check "an unterminated heredoc fails naming its line" -- expect_fail "Dockerfile:2" berth build "$H"
python3 -c 'n = 20000; print("FROM localhost/bb\nENV A=" + "${B:-" * n + "x" + "}" * n)' >"$T/nest" && as_user cp "$T/nest" "$H/Dockerfile"
check "20000 nested \${B:-...} substitutions fail naming the line, no crash" -- expect_fail "Dockerfile:2" berth build "$H"
python3 -c 'print("FROM localhost/bb\nCMD " + "[" * 100000)' >"$T/deep" && as_user cp "$T/deep" "$H/Dockerfile"
deep_json() { bld -t deep "$H" && is deep 'len(d["Config"]["Cmd"][2])' 100000; }
check "a CMD of 100000 [ (no JSON) is the shell form, no crash" -- deep_json
put "$H/Dockerfile" 'RUN true
FROM localhost/bb
'
check "an instruction before FROM fails naming Dockerfile:1" -- expect_fail "Dockerfile:1" berth build "$H"

# ---- the parser as docker's: the escape directive, lower case,
# comments in a continuation, LABEL's old form, a CMD that is no JSON ----
Y=$(ctx parse)
put "$Y/Dockerfile" '# escape=`
from localhost/bb
run echo a `
    b > /esc
RUN echo one `
# a comment inside a continuation is dropped
    two > /cmt
LABEL oldform value with  spaces
CMD [not json
'
check "a Dockerfile with # escape=\`, lower-case instructions and a comment in a continuation builds" -- bld -t parse "$Y"
check "... the escape character continues lines; the comment is no part of the command" -- \
	ev '[ "$(berth run --rm parse cat /esc /cmt)" = "$(printf "a b\none two")" ]'
check "LABEL's old form (key, then the rest as its value)" -- is parse 'd["Config"]["Labels"].get("oldform")' '"value with  spaces"'
check "a CMD that is not valid JSON is the shell form" -- is parse 'd["Config"]["Cmd"]' '["/bin/sh", "-c", "[not json"]'

# ---- more of docker's semantics ----
V=$(ctx sem)
put "$V/a.txt" 'A'
put "$V/dir/g" 'G'
put "$V/dir/sub/f" 'F'
put "$V/Dockerfile" 'ARG BASE=nothing
FROM ${BASE}:latest
ARG A=x
ARG B=${A}y
ARG UNSET
ARG TARGETARCH
RUN test "$B" = xy && test -z "${UNSET+set}" && echo "$TARGETARCH" > /arch
ENV E=\$HOME D=${NOPE:-dflt}
STOPSIGNAL 9
VOLUME /va /vb
USER 1000
COPY a.txt /as-user
COPY --link a.txt /linked
COPY --chmod=0750 dir /dmode/
WORKDIR rel1
WORKDIR rel2
ENTRYPOINT echo ep
LABEL dup=file
'
check "--build-arg BASE names the FROM image (\${BASE}:latest); ARG defaults from ARGs; --label over LABEL" -- \
	bld -t sem --build-arg BASE=localhost/bb --label dup=cli "$V"
check "an ARG declared without a value and not given is unset in RUN; TARGETARCH is the machine's" -- \
	ev '[ "$(berth run --rm -u 0 --entrypoint cat sem /arch)" = "$(uname -m | sed "s/x86_64/amd64/; s/aarch64/arm64/")" ]'
check "ENV: \\\$ is a literal dollar; \${VAR:-default} of an unset VAR" -- \
	is sem '[e for e in d["Config"]["Env"] if e[:2] in ("E=", "D=")]' '["E=$HOME", "D=dflt"]'
check "STOPSIGNAL as a number" -- is sem 'd["Config"]["StopSignal"]' '"9"'
check "VOLUME's shell form with two paths" -- is sem 'sorted(d["Config"]["Volumes"])' '["/va", "/vb"]'
check "COPY under USER 1000 still makes root-owned files (USER is not --chown)" -- ev '[ "$(owner_mode sem /as-user)" = "0644 0 0" ]'
check "COPY --link copies as COPY does" -- ev '[ "$(row sem /linked | cut -f1)" = f ]'
check "COPY --chmod=0750 of a directory sets its files and directories" -- \
	ev '[ "$(owner_mode sem /dmode/g) $(owner_mode sem /dmode/sub)" = "0750 0 0 0750 0 0" ]'
check "WORKDIR relative to the previous one (from /)" -- is sem 'd["Config"]["WorkingDir"]' '"/rel1/rel2"'
check "ENTRYPOINT's shell form is /bin/sh -c, and the base's CMD is reset" -- \
	is sem '[d["Config"]["Entrypoint"], d["Config"].get("Cmd")]' '[["/bin/sh", "-c", "echo ep"], null]'
check "--label wins over the Dockerfile's LABEL" -- is sem 'd["Config"]["Labels"]["dup"]' '"cli"'

# ---- refusals: each names its line ----
Z=$(ctx refuse)
put "$Z/a.txt" A
refuse() { # LINE DOCKERFILE-TEXT: the build fails naming Dockerfile:LINE
	put "$Z/Dockerfile" "$2" && expect_fail "Dockerfile:$1" berth build "$Z"
}
check "ONBUILD ONBUILD is refused" -- refuse 2 $'FROM localhost/bb\nONBUILD ONBUILD RUN true\n'
check "ONBUILD FROM is refused" -- refuse 2 $'FROM localhost/bb\nONBUILD FROM localhost/bb\n'
check "ONBUILD MAINTAINER is refused" -- refuse 2 $'FROM localhost/bb\nONBUILD MAINTAINER me\n'
check "SHELL not in JSON form is refused" -- refuse 2 $'FROM localhost/bb\nSHELL /bin/sh -c\n'
check "HEALTHCHECK with a bad duration is refused" -- refuse 2 $'FROM localhost/bb\nHEALTHCHECK --interval=abc CMD true\n'
check "HEALTHCHECK with an unknown flag is refused" -- refuse 2 $'FROM localhost/bb\nHEALTHCHECK --bogus=1 CMD true\n'
check "ENV with a name and no value is refused" -- refuse 2 $'FROM localhost/bb\nENV LONELY\n'
check "EXPOSE of something not a port is refused" -- refuse 2 $'FROM localhost/bb\nEXPOSE abc\n'
check "a COPY glob that matches nothing fails" -- refuse 2 $'FROM localhost/bb\nCOPY *.nomatch /x/\n'
check "COPY --from an image that is not there fails" -- refuse 2 $'FROM localhost/bb\nCOPY --from=localhost/no-such-image /x /y\n'
check "an unknown COPY flag is refused" -- refuse 2 $'FROM localhost/bb\nCOPY --bogus a.txt /a\n'
check "an unknown RUN --mount type is refused" -- refuse 2 $'FROM localhost/bb\nRUN --mount=type=nfs,target=/n true\n'
put "$Z/Dockerfile" $'FROM localhost/bb\nRUN true\n'
check "--target naming no stage fails naming it" -- expect_fail "nosuch" berth build --target nosuch "$Z"

# ---- RUN: the secrets and mounts docker allows that t-build does not cover ----
W=$(ctx runmore)
put "$W/sub/in.txt" 'bound'
put "$W/Dockerfile" 'FROM localhost/bb
RUN --mount=type=secret,id=optional test ! -e /run/secrets/optional && echo absent > /opt
'
check "an optional secret not given is absent, and the build goes on" -- \
	ev 'bld -t runmore "$W" && [ "$(berth run --rm runmore cat /opt)" = absent ]'
put "$W/Dockerfile" 'FROM localhost/bb
RUN --mount=type=bind,source=sub,target=/m,rw echo changed > /m/in.txt && cat /m/in.txt > /seen
'
rw_bind() { bld -t rwb "$W" && [ "$(berth run --rm rwb cat /seen)" = changed ] && [ "$(cat "$W/sub/in.txt")" = bound ]; }
check "RUN --mount=type=bind,rw: writes allowed, and thrown away (the context unchanged)" -- \
	rw_bind
put "$W/Dockerfile" 'FROM localhost/bb AS tools
RUN echo from-stage > /made
FROM localhost/bb
RUN --mount=type=bind,from=tools,source=/made,target=/x cat /x > /got
'
from_bind() { bld -t fromb "$W" && [ "$(berth run --rm fromb cat /got)" = from-stage ]; }
check "RUN --mount=type=bind,from=STAGE mounts the stage's files" -- \
	from_bind
put "$W/Dockerfile" 'FROM localhost/bb
RUN grep -c : /proc/net/dev > /ifaces
'
check "berth build --network none: RUN steps have only lo" -- \
	ev 'bld --network none -t netnone "$W" && [ "$(berth run --rm netnone cat /ifaces)" = 1 ]'

# ---- more config semantics: FROM scratch's defaults, EXPOSE's protocol
# case, ARG with several pairs, COPY into an existing directory, RUN's
# history text with the build args ----
K=$(ctx scratch)
put "$K/a.txt" A
put "$K/Dockerfile" 'FROM scratch
COPY a.txt /
'
check "FROM scratch with a COPY builds" -- bld -t scr "$K"
# BuildKit's empty image: Env holds the default PATH, WorkingDir is /
check "FROM scratch: Config.Env has docker's default PATH and WorkingDir is /" -- \
	\
	is scr '[d["Config"].get("Env"), d["Config"].get("WorkingDir")]' \
	'[["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "/"]'
put "$K/Dockerfile" 'FROM localhost/bb
ARG A=1 B=2
RUN test "$A$B" = 12
EXPOSE 80/TCP 81/sctp
COPY a.txt /etc
'
check "ARG with two pairs; EXPOSE 80/TCP; COPY into a directory the image has" -- bld -t misc "$K"
check "EXPOSE lowercases the protocol; sctp is a protocol" -- is misc 'sorted(d["Config"]["ExposedPorts"])' '["80/tcp", "81/sctp"]'
check "COPY a.txt /etc: /etc is a directory of the image, so the file goes into it" -- \
	ev '[ "$(row misc /etc/a.txt | cut -f1)" = f ] && [ "$(row misc /etc | cut -f1)" = d ]'
# run_history LINE...: the RUN entries of shell's history (through save) include each LINE
run_history() {
	if [ ! -d "$T/shell.x" ]; then
		berth save -o "$T/shell.tar" shell && mkdir -p "$T/shell.x" && tar -C "$T/shell.x" -xf "$T/shell.tar" || return 1
	fi
	python3 - "$T/shell.x" "$@" <<'PY'
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))[0]
c = json.load(open(os.path.join(d, m["Config"])))
runs = [h["created_by"] for h in c["history"] if h.get("created_by", "").startswith("RUN ")]
for w in sys.argv[2:]:
    assert w in runs, (w, runs)
PY
}
check "RUN's history: |N, the build args in scope, then the shell and the command" -- run_history \
	'RUN |1 BASE=localhost/bb /bin/sh -c test "$BASE" = localhost/bb && echo "$BASE" > /base-arg # buildkit' \
	'RUN |2 BASE=localhost/bb X=1 /bin/sh -c test "$X" = 1 # buildkit'
# BuildKit's runCommandString takes an arg's value from the environment
# when ENV set the same name (what the step really saw)
check "RUN's history: an arg that an ENV overrides shows the ENV's value, not --build-arg's" -- \
	run_history \
	'RUN |3 BASE=localhost/bb X=1 Z=fromenv /bin/sh -c test "$Z" = fromenv && echo "$Z" > /z # buildkit' \
	'RUN |3 BASE=localhost/bb X=1 Z=fromenv /myshell -c echo via-shell > /shelled # buildkit'
put "$K/Dockerfile" 'FROM localhost/bb
STOPSIGNAL SIGBOGUS
'
check "STOPSIGNAL of no signal is refused naming the line" -- \
	\
	expect_fail "Dockerfile:2" berth build "$K"
check "VOLUME with an empty path is refused" -- refuse 2 $'FROM localhost/bb\nVOLUME [""]\n'
check "HEALTHCHECK --interval under 1ms is refused" -- refuse 2 $'FROM localhost/bb\nHEALTHCHECK --interval=500us CMD true\n'

# ---- inheritance, expansion in flags and paths, heredocs ----
L=$(ctx inherit)
put "$L/a.txt" 'child context'
put "$L/Dockerfile" 'FROM localhost/bb
HEALTHCHECK --interval=5s --timeout=3s CMD true
ONBUILD COPY a.txt /from-child-context
'
check "a base whose ONBUILD copies from the context" -- bld -t obase "$L"
O2=$(ctx inherit2)
put "$O2/a.txt" 'the child own'
put "$O2/Dockerfile" 'FROM obase
'
check "an image FROM it builds" -- bld -t ochild "$O2"
check "... the trigger's COPY read the child's context" -- ev '[ "$(berth run --rm ochild cat /from-child-context)" = "the child own" ]'
check "... a HEALTHCHECK the child does not set is inherited whole" -- \
	is ochild '[d["Config"]["Healthcheck"][k] for k in ("Test", "Interval", "Timeout")]' '[["CMD-SHELL", "true"], 5000000000, 3000000000]'
# child sets its own HEALTHCHECK with only --retries: docker replaces the whole
# healthcheck (the base's 5s interval is gone)
check "a new HEALTHCHECK replaces the base's whole (no interval kept from it)" -- \
	is child '[d["Config"]["Healthcheck"].get(k, 0) for k in ("Interval", "Timeout", "StartPeriod")]' '[0, 0, 0]'

N=$(ctx expand)
put "$N/a.txt" A
put "$N/Dockerfile" 'FROM localhost/bb
ARG OWNER=1000
ENV DEST=/dest WD=/wd
COPY --chown=$OWNER:$OWNER a.txt $DEST/
USER ${OWNER}:${OWNER}
WORKDIR $WD
USER root
COPY <<EOF /u
v=$DEST
EOF
COPY <<"EOF" /q
v=$DEST
EOF
COPY <<one.txt <<two.txt /hd/
first
one.txt
second
two.txt
RUN cat <<EOF > /piped
piped line
EOF
RUN <<-EOF
	echo tabs stripped > /tabs
	EOF
'
check "flags, paths and USER expand ARG and ENV; heredoc forms" -- bld -t exp "$N"
check "COPY --chown=\$OWNER:\$OWNER a.txt \$DEST/" -- ev '[ "$(owner_mode exp /dest/a.txt)" = "0644 1000 1000" ]'
check "WORKDIR \$WD, made under USER 1000:1000, is owned by it (as BuildKit makes it)" -- \
	ev '[ "$(owner_mode exp /wd | cut -d" " -f2-)" = "1000 1000" ] && [ "$(cfg exp "d[\"Config\"][\"WorkingDir\"]")" = "\"/wd\"" ]'
check "COPY <<EOF expands variables; <<\"EOF\" keeps them literal" -- \
	ev '[ "$(berth run --rm exp cat /u /q)" = "$(printf "v=/dest\nv=\$DEST")" ]'
check "COPY with two heredocs into a directory" -- ev '[ "$(berth run --rm exp cat /hd/one.txt /hd/two.txt)" = "$(printf "first\nsecond")" ]'
check "RUN cmd <<EOF feeds the heredoc to the command" -- ev '[ "$(berth run --rm exp cat /piped)" = "piped line" ]'
check "RUN <<-EOF strips the leading tabs" -- ev '[ "$(berth run --rm exp cat /tabs)" = "tabs stripped" ]'

J=$(ctx ignored-df)
put "$J/keep" k
put "$J/.dockerignore" 'Dockerfile
.dockerignore
'
put "$J/Dockerfile" 'FROM localhost/bb
ARG FROM_ENV
RUN test "$FROM_ENV" = given && echo "$FROM_ENV" > /fe
COPY . /c/
'
ign_df() {
	as_user env FROM_ENV=given "$BERTH" build -t igndf --build-arg FROM_ENV "$J" >"$T/out" 2>"$T/err" &&
		[ "$(paths igndf /c/)" = "/c/keep " ] && [ "$(berth run --rm igndf cat /fe)" = given ]
}
check "a Dockerfile the .dockerignore excludes is still read (and not copied); --build-arg K takes K from the environment" -- ign_df

# ---- the cache of a RUN after a config-only change (BuildKit: the
# RUN's key is what the RUN sees: command, env, user, cwd, mounts; a
# LABEL or EXPOSE is image metadata and does not touch it) ----
A2=$(ctx labelcache)
put "$A2/Dockerfile" 'FROM localhost/bb
LABEL v=1
EXPOSE 80
RUN echo x > /x
'
check "a build with LABEL and EXPOSE before a RUN" -- bld -t lc "$A2"
put "$A2/Dockerfile" 'FROM localhost/bb
LABEL v=2
EXPOSE 81
RUN echo x > /x
'
label_cached() { bld -t lc "$A2" && [ "$(cached)" = 1 ] && is lc 'd["Config"]["Labels"]["v"]' '"2"'; }
check "changing a LABEL or EXPOSE before a RUN does not rerun the RUN (BuildKit)" -- \
	label_cached
put "$A2/Dockerfile" 'FROM localhost/bb
ENV V=1
RUN echo x > /x
'
env_reruns() { bld -t lc "$A2" && put "$A2/Dockerfile" 'FROM localhost/bb
ENV V=2
RUN echo x > /x
' && bld -t lc "$A2" && [ "$(cached)" = 0 ]; }
check "changing an ENV before a RUN reruns it (its environment changed)" -- env_reruns

# ---- flags refused or taken as docker takes them ----
put "$A2/Dockerfile" 'FROM localhost/bb
'
check "--progress with an unknown mode is refused" -- expect_fail "progress" berth build --progress bogus "$A2"
check "-t with an invalid reference is refused" -- expect_fail "UPPER" berth build -t UPPER/Case "$A2"
check "--network with an unknown mode is refused" -- expect_fail "bogus" berth build --network bogus "$A2"
check "--pull with an unknown policy is refused" -- expect_fail "bogus" berth build --pull=bogus "$A2"
check "--build-arg without a name is refused" -- expect_fail "--build-arg" berth build --build-arg =x "$A2"
check "--label K alone is the label K with an empty value" -- \
	ev 'bld -t lbl --label novalue "$A2" && is lbl "d[\"Config\"][\"Labels\"]" "{\"novalue\": \"\"}"'
# docker's secret store stats every --secret file before the build starts
check "--secret with a src that does not exist fails before the build" -- \
	\
	expect_fail "/nonexistent" berth build --secret id=s,src=/nonexistent "$A2"

# ---- real-world Dockerfile forms: the syntax and check directives, a
# byte order mark, CRLF, tabs, an indented comment, an empty line in a
# continuation, FROM --platform=$BUILDPLATFORM ----
U2=$(ctx forms)
printf '\xef\xbb\xbf# syntax=docker/dockerfile:1\r\n# check=skip=all\r\nARG TARGETPLATFORM\r\nFROM\t--platform=$BUILDPLATFORM localhost/bb\r\nARG TARGETPLATFORM\r\nARG BUILDPLATFORM\r\nRUN\techo "$TARGETPLATFORM $BUILDPLATFORM" > /plat \\\r\n\r\n   && echo more >> /plat\r\n   # an indented comment\r\nENV A=b\r\n' >"$T/forms.df" &&
	as_user cp "$T/forms.df" "$U2/Dockerfile"
check "a Dockerfile with a BOM, # syntax= and # check= directives, CRLF, tabs, FROM --platform=\$BUILDPLATFORM builds" -- bld -t forms "$U2"
plat() { uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/'; }
check "... CRLF and the empty continuation line are no part of the command; TARGETPLATFORM, BUILDPLATFORM" -- \
	ev '[ "$(berth run --rm forms cat /plat | od -c | tr -s " " | tr -d "\n")" = "$(printf "linux/%s linux/%s\nmore\n" "$(plat)" "$(plat)" | od -c | tr -s " " | tr -d "\n")" ]'
check "... CRLF is no part of an ENV's value" -- is forms '[e for e in d["Config"]["Env"] if e.startswith("A=")]' '["A=b"]'
check "RUN without arguments is refused naming the line" -- refuse 2 $'FROM localhost/bb\nRUN\n'

# ---- RUN under USER NAME (the image's /etc/passwd) ----
put "$U2/Dockerfile" 'FROM cp
USER bob
RUN test "$(id -u):$(id -g)" = 1234:4321 && touch /own-dir/by-bob
'
if check_subuid; then
	user_name_run() { bld -t bobrun "$U2" && [ "$(owner_mode bobrun /own-dir/by-bob | cut -d" " -f2-)" = "1234 4321" ]; }
	check "USER NAME: RUN runs as the passwd's uid and primary gid; its files are theirs" -- user_name_run
else
	check "USER NAME without a subuid range: RUN fails naming the step" -- expect_fail "Dockerfile:3" berth build "$U2"
fi

# ---- ADD: owners of an archive's entries, a gzip that is no tar, a
# climbing entry ----
AD=$(ctx add)
mkdir -p "$T/addsrc/top" && printf 'inner\n' >"$T/addsrc/top/f" &&
	tar --owner=0 --group=0 -C "$T/addsrc" -czf "$T/add.tar.gz" top && printf 'text\n' | gzip >"$T/plain.gz" &&
	python3 -c 'import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w"); i = tarfile.TarInfo("../../climbed.txt"); i.size = 5; t.addfile(i, io.BytesIO(b"evil\n")); t.close()' "$T/climbing.tar" &&
	chmod 0644 "$T/add.tar.gz" "$T/plain.gz" "$T/climbing.tar" && as_user cp "$T/add.tar.gz" "$T/plain.gz" "$T/climbing.tar" "$AD/"
put "$AD/Dockerfile" 'FROM localhost/bb
ADD --chown=1000:1000 add.tar.gz /x
ADD plain.gz /p/
ADD --chmod=0600 plain.gz /pm
COPY --from=localhost/bb /etc/pass* /globbed-from/
'
check "ADD with --chown and --chmod, COPY --from an image with a glob" -- bld -t add "$AD"
check "ADD --chown applies to every extracted entry (dest without / is the directory)" -- \
	ev '[ "$(owner_mode add /x/top/f) $(owner_mode add /x/top)" = "0644 1000 1000 0755 1000 1000" ]'
check "ADD of a gzip that is no tar copies it as it is" -- \
	ev '[ "$(row add /p/plain.gz | cut -f7)" = "$(sha256sum <"$T/plain.gz" | cut -d" " -f1)" ]'
check "ADD --chmod of a plain file" -- ev '[ "$(owner_mode add /pm)" = "0600 0 0" ]'
check "COPY --from=IMAGE with a glob" -- ev '[ "$(paths add /globbed-from/)" = "/globbed-from/passwd " ]'
put "$AD/Dockerfile" 'FROM localhost/bb
ADD climbing.tar /e/
'
check "ADD of an archive whose entry climbs out of dest fails naming the line (docker's breakout error)" -- \
	expect_fail "Dockerfile:2" berth build "$AD"

# ---- stages: names are case-insensitive, FROM a stage inherits its
# config but not its ARGs, COPY --from keeps the stage's owners ----
MS=$(ctx stages)
put "$MS/a.txt" A
put "$MS/Dockerfile" 'FROM localhost/bb AS Builder
ARG ONLY1=one
ENV E1=e
WORKDIR /wd
COPY --chown=1000:1000 a.txt /f
FROM builder AS second
RUN test -z "$ONLY1" && test "$E1" = e && test "$(pwd)" = /wd
FROM localhost/bb
COPY --from=BUILDER /f /g
COPY --from=second /f /h
'
check "stage names in any case; FROM a stage takes its ENV and WORKDIR, not its ARG" -- bld -t stages "$MS"
check "COPY --from a stage keeps the owners it has there" -- \
	ev '[ "$(owner_mode stages /g) $(owner_mode stages /h)" = "0644 1000 1000 0644 1000 1000" ]'

# ---- the ignore file of -f sub/FILE and of -f - ----
SI=$(ctx subignore)
put "$SI/keep" k
put "$SI/drop-by-sub" d
put "$SI/drop-by-root" r
put "$SI/.dockerignore" 'drop-by-root
'
put "$SI/sub/app.Dockerfile" 'FROM localhost/bb
COPY . /c/
'
put "$SI/sub/app.Dockerfile.dockerignore" 'drop-by-sub
sub
'
check "-f sub/FILE in the context: sub/FILE.dockerignore is the ignore file" -- \
	ev 'bld -t subign -f "$SI/sub/app.Dockerfile" "$SI" && [ "$(paths subign /c/)" = "/c/.dockerignore /c/drop-by-root /c/keep " ]'
stdin_ignore() {
	printf 'FROM localhost/bb\nCOPY . /c/\n' | berth build -t stdign -f - "$SI" >"$T/out" 2>"$T/err" &&
		[ "$(paths stdign /c/)" = "/c/.dockerignore /c/drop-by-sub /c/keep /c/sub /c/sub/app.Dockerfile /c/sub/app.Dockerfile.dockerignore " ]
}
check "-f - (stdin): the context's .dockerignore applies" -- stdin_ignore

# ---- HEALTHCHECK's options in the cache, --start-interval ----
HC=$(ctx hccache)
put "$HC/Dockerfile" 'FROM localhost/bb
HEALTHCHECK --interval=5s CMD true
'
check "a HEALTHCHECK build" -- bld -t hc "$HC"
put "$HC/Dockerfile" 'FROM localhost/bb
HEALTHCHECK --interval=7s --retries=9 CMD true
'
hc_changed() { bld -t hc "$HC" && is hc '[d["Config"]["Healthcheck"].get(k) for k in ("Interval", "Retries")]' '[7000000000, 9]'; }
check "changing only a HEALTHCHECK option gives an image with the new option" -- \
	hc_changed
put "$HC/Dockerfile" 'FROM localhost/bb
HEALTHCHECK --interval=7s CMD false
'
check "changing the HEALTHCHECK command gives the new command" -- \
	ev 'bld -t hc "$HC" && is hc "d[\"Config\"][\"Healthcheck\"][\"Test\"]" "[\"CMD-SHELL\", \"false\"]"'
put "$HC/Dockerfile" 'FROM localhost/bb
HEALTHCHECK --start-period=10s --start-interval=2s CMD sleep 1
'
check "HEALTHCHECK --start-interval (docker 25) in nanoseconds" -- \
	ev 'bld -t hcs "$HC" && is hcs "[d[\"Config\"][\"Healthcheck\"].get(k) for k in (\"StartPeriod\", \"StartInterval\")]" "[10000000000, 2000000000]"'
put "$HC/Dockerfile" 'FROM localhost/bb
ONBUILD RUN exit 4
'
check "a base with a failing ONBUILD RUN builds (the trigger does not run there)" -- bld -t obfail "$HC"
put "$HC/Dockerfile" 'FROM obfail
RUN true
'
check "... a child FROM it fails with the trigger's exit code" -- expect_fail "exit code: 4" berth build "$HC"

# ---- JSON forms of COPY and ADD (names with spaces); what docker
# expands and what it leaves to the shell ----
JS=$(ctx jsonforms)
put "$JS/a b.txt" S
put "$JS/a.txt" A
put "$JS/Dockerfile" 'FROM localhost/bb
COPY ["a b.txt", "/with space/"]
ADD ["a b.txt", "/added here"]
COPY --chmod=0600 ["a.txt", "/j"]
ARG Q="a  b"
RUN test "$Q" = "a  b"
ARG V=1
ENV E=x
LABEL l=$V
EXPOSE 80$V 80$V/udp
CMD ["echo", "$E"]
ENTRYPOINT echo $E
HEALTHCHECK CMD echo $E
'
check "COPY and ADD in JSON form, a quoted ARG, \$VAR in LABEL, EXPOSE; not in CMD, ENTRYPOINT, HEALTHCHECK" -- bld -t js --build-arg V=2 "$JS"
check "... JSON form sources and dests with spaces" -- \
	ev '[ "$(row js "/with space/a b.txt" | cut -f1)$(row js "/added here" | cut -f1)" = ff ] && [ "$(owner_mode js /j)" = "0600 0 0" ]'
check "... LABEL and EXPOSE take the --build-arg's value; one port, two protocols" -- \
	is js '[d["Config"]["Labels"]["l"], sorted(d["Config"]["ExposedPorts"])]' '["2", ["802/tcp", "802/udp"]]'
check "... CMD, ENTRYPOINT and HEALTHCHECK keep \$E for the shell (docker does not expand them)" -- \
	is js '[d["Config"]["Cmd"], d["Config"]["Entrypoint"], d["Config"]["Healthcheck"]["Test"]]' \
	'[["echo", "$E"], ["/bin/sh", "-c", "echo $E"], ["CMD-SHELL", "echo $E"]]'

# ---- a context the user cannot wholly read; a deep one ----
UR=$(ctx unreadable)
put "$UR/keep" k
put "$UR/secret" s
as_user chmod 000 "$UR/secret"
as_user python3 -c 'import os, sys
p = os.path.join(sys.argv[1], "deep", *(["d"] * 300)); os.makedirs(p); open(os.path.join(p, "f"), "w").write("deep\n")' "$UR"
put "$UR/Dockerfile" 'FROM localhost/bb
COPY . /c/
'
unreadable() { expect_fail "Dockerfile:2" berth build "$UR" && grep -q "secret" "$T/ef.err"; }
if [ "$(as_user cat "$UR/secret" 2>/dev/null)" = s ]; then
	skip "the test user reads a mode 000 file (CAP_DAC_OVERRIDE)"
else
	check "COPY of a context file the user cannot read fails naming it and the line" -- unreadable
fi
put "$UR/.dockerignore" 'secret
'
deep_ok() { bld -t deep300 "$UR" && [ "$(berth image tree deep300 | grep -c "^/c/deep")" = 302 ]; }
check "... excluded, the build goes on; a directory 300 levels deep is copied whole" -- deep_ok

# ---- what the step cache keys on, for RUN's inputs beyond its text ----
CK=$(ctx cachekeys)
put "$CK/sub/in.txt" 'one'
put "$CK/sec" 's1'
put "$CK/Dockerfile" 'FROM localhost/bb
RUN --mount=type=bind,source=sub,target=/m cat /m/in.txt > /got
'
check "a RUN with a bind mount of the context" -- bld -t bindkey "$CK"
bind_rerun() { put "$CK/sub/in.txt" 'two' && bld -t bindkey "$CK" && [ "$(cached)" = 0 ] && [ "$(berth run --rm bindkey cat /got)" = two ]; }
# BuildKit: the bind mount's source is part of the step's inputs, so a
# change to the bound files reruns it
check "changing a file a RUN bind-mounts from the context reruns the RUN" -- \
	bind_rerun
put "$CK/Dockerfile" 'FROM localhost/bb
RUN --mount=type=secret,id=s cat /run/secrets/s | wc -c > /n
'
secret_key() {
	bld -t seckey --secret "id=s,src=$CK/sec" "$CK" && put "$CK/sec" 's22222' &&
		bld -t seckey --secret "id=s,src=$CK/sec" "$CK" && [ "$(cached)" = 1 ]
}
check "a secret's value is not in the cache key (docker: changing it reruns nothing)" -- secret_key
put "$CK/Dockerfile" 'FROM localhost/bb
RUN <<EOF
echo one > /h
EOF
COPY <<EOF /c
one
EOF
'
heredoc_key() {
	bld -t hdkey "$CK" && put "$CK/Dockerfile" 'FROM localhost/bb
RUN <<EOF
echo two > /h
EOF
COPY <<EOF /c
two
EOF
' && bld -t hdkey "$CK" && [ "$(cached)" = 0 ] && [ "$(berth run --rm hdkey cat /h /c)" = "$(printf 'two\ntwo')" ]
}
check "a change in a RUN or COPY heredoc's body reruns the step" -- heredoc_key
put "$CK/Dockerfile" 'FROM localhost/bb
RUN echo "$HTTP_PROXY" > /p
'
proxy_key() {
	bld -t proxy --build-arg HTTP_PROXY=http://proxy-a:1 "$CK" && [ "$(berth run --rm proxy cat /p)" = http://proxy-a:1 ] &&
		bld -t proxy --build-arg HTTP_PROXY=http://proxy-b:2 "$CK" && [ "$(cached)" = 1 ] &&
		! berth history --no-trunc proxy | grep -q proxy-a
}
check "HTTP_PROXY is in RUN's environment without an ARG, never in the cache key or the history" -- proxy_key
put "$CK/Dockerfile" 'FROM localhost/bb AS s
ARG V
RUN echo $V > /f
FROM localhost/bb
COPY --from=s /f /g
'
from_key() { bld -t fromkey --build-arg V=1 "$CK" && bld -t fromkey --build-arg V=2 "$CK" && [ "$(berth run --rm fromkey cat /g)" = 2 ]; }
check "COPY --from a stage that changed copies the new files" -- from_key

# ---- reproducible IDs whatever the cache held ----
RP=$(ctx repro)
put "$RP/Dockerfile" 'FROM localhost/bb
RUN echo p > /p
'
# bld_in STORE ARGS...: berth build in another store, its stdout in $T/out
bld_in() { local s=$1; shift; as_user env BERTH_ROOT="$s" "$BERTH" build "$@" >"$T/out" 2>"$T/err"; }
repro_cached() {
	local a b
	bld -q --timestamp 0 "$RP" && put "$RP/Dockerfile" 'FROM localhost/bb
RUN echo p > /p
RUN echo q > /q
' && bld -q --timestamp 0 "$RP" && a=$(cat "$T/out") &&
		as_user env BERTH_ROOT="$T/store-repro" "$BERTH" load -q -i "$FIXTURES/podman-bb.docker-archive.tar" >/dev/null &&
		bld_in "$T/store-repro" -q --timestamp 0 "$RP" && b=$(cat "$T/out") &&
		{ [ "$a" = "$b" ] || { echo "#   with the first step cached: $a; fresh: $b"; return 1; }; }
}
check "--timestamp 0: a build reusing a cached step gives the ID a fresh build gives" -- \
	repro_cached

# ---- an interrupted build (docker: Ctrl-C cancels it, nothing is tagged) ----
IN=$(ctx interrupt)
put "$IN/Dockerfile" 'FROM localhost/bb
RUN echo sta""rted >&2; sleep 6
'
interrupted() {
	local bp rc t0
	as_user sh -c 'echo $$ >"$1"; exec "$2" build -t interrupted "$3"' _ "$T/int.pid" "$BERTH" "$IN" >"$T/int.out" 2>&1 &
	bp=$!
	wait_for 60 grep -aq '^started' "$T/int.out" || { wait $bp; return 1; }
	kill -INT "$(cat "$T/int.pid")"
	t0=$SECONDS
	wait $bp
	rc=$?
	echo "#   exit status $rc, $((SECONDS - t0))s after SIGINT"
	[ $rc -ne 0 ] && [ $((SECONDS - t0)) -lt 4 ] && ! berth image inspect interrupted >/dev/null 2>&1 &&
		[ -z "$(berth ps -aq)" ]
}
check "SIGINT during a RUN ends the build at once, with a failure, tagging nothing" -- \
	interrupted
check "... and the store is sound after it" -- berth system check

# ---- a RUN that leaves a process behind; a name that moved to another image ----
BG=$(ctx background)
put "$BG/Dockerfile" 'FROM localhost/bb
RUN (sleep 30 &) ; sleep 30 & echo done > /d
'
bg_quick() { local t0=$SECONDS; bld -t bg "$BG" && [ $((SECONDS - t0)) -lt 20 ] && [ "$(berth run --rm bg cat /d)" = done ]; }
check "a RUN's background processes do not hold the step (it ends with its shell)" -- bg_quick
put "$BG/Dockerfile" 'FROM localhost/bb
RUN echo v1 > /v
'
put "$BG/copy.Dockerfile" 'FROM localhost/bb
COPY --from=src /v /v
'
put "$BG/from.Dockerfile" 'FROM src
RUN cat /v > /w
'
moved() {
	bld -t src "$BG" && bld -t cons -f "$BG/copy.Dockerfile" "$BG" && bld -t cons2 -f "$BG/from.Dockerfile" "$BG" &&
		put "$BG/Dockerfile" 'FROM localhost/bb
RUN echo v2 > /v
' && bld -t src "$BG" && bld -t cons -f "$BG/copy.Dockerfile" "$BG" && bld -t cons2 -f "$BG/from.Dockerfile" "$BG" &&
		[ "$(berth run --rm cons cat /v) $(berth run --rm cons2 cat /w)" = "v2 v2" ]
}
check "when a name moves to another image, COPY --from=NAME and FROM NAME use the new one (no stale cache)" -- moved

# ---- a build killed outright (SIGKILL) mid-RUN ----
KB=$(ctx killed)
put "$KB/Dockerfile" 'FROM localhost/bb
RUN echo sta""rted >&2; sleep 15
'
killed_build() {
	local bp
	as_user sh -c 'echo $$ >"$1"; exec "$2" build --no-cache -t k9 "$3"' _ "$T/k9.pid" "$BERTH" "$KB" >"$T/k9.out" 2>&1 &
	bp=$!
	wait_for 60 grep -aq '^started' "$T/k9.out" || { wait $bp; return 1; }
	kill -KILL "$(cat "$T/k9.pid")"
	wait $bp
	# the step's processes end with the build (its pid namespace's init is gone)
	wait_for 10 ev '! pgrep -u "$(as_user id -u)" -f "sleep 15" >/dev/null' &&
		! grep -q "$BERTH_ROOT" /proc/mounts && ! berth image inspect k9 >/dev/null 2>&1 &&
		# (the step's container record says running until a command sees its process gone)
		berth ps -a >/dev/null && berth system check
}
check "a build killed by SIGKILL mid-RUN leaves no process, mount or image; after one command the store is sound" -- killed_build
no_step_container() { put "$KB/Dockerfile" 'FROM localhost/bb
RUN true
' && bld "$KB" && [ -z "$(berth ps -aq)" ] || { berth ps -a; return 1; }; }
check "... and no step container stays listed once the next build has run" -- \
	no_step_container
rm_all_containers

# ---- COPY onto links the image has (BuildKit resolves dest inside the image) ----
SL=$(ctx links)
put "$SL/a.txt" A
put "$SL/Dockerfile" 'FROM localhost/bb
RUN echo old > /target && ln -s /target /lnk && mkdir /realdir && ln -s /realdir /dirlnk
COPY a.txt /lnk
COPY a.txt /dirlnk
'
links_ok() {
	bld -t sl "$SL" && [ "$(row sl /lnk | cut -f1,6)" = "l	/target" ] && [ "$(berth run --rm sl cat /target)" = A ] &&
		[ "$(row sl /realdir/a.txt | cut -f1)" = f ] && [ "$(row sl /dirlnk | cut -f1)" = l ]
}
check "COPY to a link to a file writes the file; to a link to a directory writes into it; the links stay" -- links_ok

# ---- --pull against a registry ----
. "$SRCDIR/tests/registry-lib.sh"
if [ ! -x "$REGISTRY" ]; then
	skip "$REGISTRY is missing: the --pull checks"
else
	reg=$(mktemp -d /tmp/berth-build-registry.XXXXXX)
	pre_cleanup() {
		stop_host_server
		registry_cleanup
		rm -rf "$reg"
	}
	port=$(free_port)
	registry_start_or_end "$reg" "$port"
	RG=127.0.0.1:$port
	check "push bb to the registry with berth push" -- berth push -q localhost/bb "$RG/bb:latest"
	manifest_gets() { grep -c '"GET /v2/bb/manifests/' "$reg/log"; }
	X=$(ctx pull)
	put "$X/Dockerfile" "FROM $RG/bb
RUN echo pulled > /p
"
	g0=$(manifest_gets)
	check "a build FROM the registry's image pulls it when missing" -- bld -t pulled "$X"
	g1=$(manifest_gets)
	check "... the registry served its manifest" -- test "$g1" -gt "$g0"
	never_present() { bld --pull=never -t pulled "$X" && [ "$(manifest_gets)" = "$g1" ]; }
	check "--pull=never with the image present builds without asking the registry" -- never_present
	always() { bld --pull=always -t pulled "$X" && [ "$(manifest_gets)" -gt "$g1" ]; }
	check "--pull=always asks the registry again" -- always
	check "... and the result runs" -- ev '[ "$(berth run --rm pulled cat /p)" = pulled ]'
	put "$X/Dockerfile" "FROM $RG/absent:1
"
	check "--pull=never with a missing FROM image fails clearly, naming it" -- \
		expect_fail "$RG/absent:1" berth build --pull=never "$X"
fi

check "the store has nothing a build left: system check passes" -- berth system check
finish
