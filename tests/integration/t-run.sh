#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth run: rootless containers end to end. The command, environment,
# working directory and user from the image and the flags; the isolation
# (namespaces, capabilities, no_new_privs, seccomp, masked and read-only
# paths, no leaked descriptors); exit codes; --rm, names, ps, rm; nothing
# left behind. A static probe (tests/probe) reports from inside.
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_fuse
require_userns

# an image of the probe and the host's busybox-static as /bin/sh, made by
# `berth import`
probe_src=${BERTH_PROBE:-$SRCDIR/build/tests/probe}
mkdir -p "$T/probe-root/bin"
cp "$probe_src" "$T/probe-root/probe" && chmod 0755 "$T/probe-root/probe"
cp /bin/busybox "$T/probe-root/bin/busybox" && ln -s busybox "$T/probe-root/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' >"$T/probe-root/passwd"
tar -C "$T/probe-root" -cf "$T/probe.tar" --owner=0 --group=0 probe bin
chmod 0644 "$T/probe.tar"
# Waits on a detached container's log (wait_for): what its command prints
# once it is set up (a trap, files), rather than a sleep.
# logged NAME LINE...: each LINE is a line of the log (either stream)
logged() {
	local out l
	out=$(berth logs "$1" 2>&1) || return 1
	shift
	for l; do grep -qxF -- "$l" <<<"$out" || return 1; done
}
# log_is NAME WORDS: the log's stdout lines, blanks taken out, each
# followed by a space, are WORDS
log_is() { [ "$(berth logs "$1" 2>/dev/null | tr -d ' ' | tr '\n' ' ')" = "$2" ]; }
export -f run expect_fail logged log_is

check "load the busybox fixture" -- berth load -q -i "$FIXTURES/podman-bb.docker-archive.tar"
check "import the probe image" -- berth import "$T/probe.tar" localhost/probe
bb=localhost/bb:latest

# the command, its output and its status
check "run prints the command's output" -- bash -c "test \"\$(run --rm $bb echo hello)\" = hello"
check "the command's exit code is run's" -- bash -c "run --rm $bb sh -c 'exit 7'; test \$? = 7"
check "a signal's death is 128+N (pid 1 ignores kill -9 from inside: --init)" -- bash -c "run --rm --init $bb sh -c 'kill -9 \$\$'; test \$? = 137"
check "a missing command is 127, with the error" -- expect_fail "nosuchcmd" run --rm $bb nosuchcmd
check "... and the status is 127" -- bash -c "run --rm $bb nosuchcmd 2>/dev/null; test \$? = 127"
check "an unknown image is 125" -- bash -c "run --rm localhost/nope true 2>/dev/null; test \$? = 125"
check "a bad flag is a usage error" -- expect_fail "--network" run --network bogus $bb true

# environment, working directory, user, hostname
check "-e and --env-file over the image's Env" -- bash -c "
	printf '# comment\n\nFROMFILE=yes\nOVER=file\n' >'$T/env' && chmod 0644 '$T/env'
	out=\$(run --rm -e OVER=flag --env-file '$T/env' -e ONLY=1 localhost/probe /probe env)
	echo \"\$out\" | grep -qx FROMFILE=yes && echo \"\$out\" | grep -qx OVER=flag &&
	echo \"\$out\" | grep -qx ONLY=1 && echo \"\$out\" | grep -q '^PATH=/' &&
	echo \"\$out\" | grep -qx HOME=/"
check "-e KEY takes the host's value" -- bash -c "test \"\$(run --rm -e LC_ALL $bb sh -c 'echo \$LC_ALL')\" = C.UTF-8"
check "-w sets (and makes) the working directory" -- bash -c "test \"\$(run --rm -w /a/b $bb pwd)\" = /a/b"
check "--hostname" -- bash -c "test \"\$(run --rm --hostname box $bb hostname)\" = box"
check "--entrypoint replaces the command's start" -- bash -c "test \"\$(run --rm --entrypoint /bin/echo $bb hi)\" = hi"
check "root in the container by default" -- bash -c "run --rm localhost/probe /probe ids | grep -qx 'uid 0'"
if as_user grep -q "^$(as_user id -un):" /etc/subuid; then
	check "-u 1000:1000 switches user (subuid range)" -- bash -c "run --rm -u 1000:1000 localhost/probe /probe ids | grep -qx 'uid 1000'"
	check "... and a non-root user has no capabilities" -- bash -c "run --rm -u 1000 localhost/probe /probe status | grep -qx 'CapEff 0000000000000000'"
	check "... and cannot write root's files (default_permissions)" -- bash -c "! run --rm -u 1000 $bb touch /etc/passwd 2>/dev/null"
else
	check "-u 1000 without a subuid range says why it cannot" -- expect_fail "subuid" run --rm -u 1000 $bb true
	check "... and warns about the single-id mapping" -- bash -c "run --rm $bb true 2>&1 | grep -q 'single-id mapping'"
fi
check "an unknown user name is an error naming the image's passwd" -- expect_fail "/etc/passwd" run --rm -u nobody-here $bb true

# a real image's config (podman-multilayer: Entrypoint sh -c, Cmd, Env,
# WorkingDir, User 1000:1000, VOLUME /data) and a handcrafted one's VOLUME
check "load podman-multilayer and hc-docker-archive" -- bash -c "berth load -q -i '$FIXTURES/podman-multilayer.oci-archive.tar' && berth load -q -i '$FIXTURES/hc-docker-archive.tar'"
ml=localhost/fixture:multilayer
if as_user grep -q "^$(as_user id -un):" /etc/subuid; then
	check "the image's Entrypoint, Cmd, Env, WorkingDir and User" -- bash -c "test \"\$(run --rm $ml)\" = 'hello world from /opt/app as 1000'"
else
	check "an image whose User needs a subuid range says so" -- expect_fail "subuid" run --rm $ml
fi
# (its mount point is berth's: diff leaves it out, t-security-fs)
check "the image's VOLUME exists as an empty directory" -- bash -c "run --name hv localhost/hc-docker-archive:latest >/dev/null 2>&1; berth cp hv:/var/lib/fx '$T/hv-fx' && test -d '$T/hv-fx' && test -z \"\$(ls -A '$T/hv-fx')\" && ! berth diff hv | grep -q /var/lib/fx && berth rm hv >/dev/null"

# isolation
check "podman's default capability set" -- bash -c "run --rm localhost/probe /probe status | grep -qx 'CapEff 00000000800405fb'"
check "--cap-drop ALL --cap-add NET_BIND_SERVICE" -- bash -c "run --rm --cap-drop ALL --cap-add NET_BIND_SERVICE localhost/probe /probe status | grep -qx 'CapBnd 0000000000000400'"
check "an unknown capability is refused" -- expect_fail "capability" run --rm --cap-add NOPE $bb true
check "no_new_privs and seccomp filter on" -- bash -c "out=\$(run --rm localhost/probe /probe status); echo \"\$out\" | grep -qx 'NoNewPrivs 1' && echo \"\$out\" | grep -qx 'Seccomp 2'"
check "refused syscalls fail with EPERM (mount, unshare, keyctl, TIOCSTI, ptrace)" -- bash -c "
	out=\$(run --rm localhost/probe /probe syscalls)
	for c in mount unshare keyctl tiocsti ptrace; do echo \"\$out\" | grep -qx \"\$c EPERM\" || exit 1; done
	echo \"\$out\" | grep -qx 'getpid ok'"
check "--security-opt seccomp=unconfined lifts the filter" -- bash -c "run --rm --security-opt seccomp=unconfined localhost/probe /probe status | grep -qx 'Seccomp 0'"
check "masked paths show nothing" -- bash -c "run --rm $bb sh -c 'test ! -s /proc/keys && test -z \"\$(ls /proc/acpi 2>/dev/null)\"'"
check "/proc/sys is read-only" -- bash -c "run --rm localhost/probe /probe open /proc/sys/kernel/hostname w | grep -Eqx 'open (EROFS|EACCES)'"
# (lo's mtu exists and, in the container's own network namespace, is its
# root's: only a read-only mount refuses the write, with EROFS)
check "/sys is read-only" -- bash -c "out=\$(run --rm localhost/probe sh -c '/probe open /sys/class/net/lo/mtu r; /probe open /sys/class/net/lo/mtu w') &&
	test \"\$out\" = \"\$(printf 'open ok\nopen EROFS')\" || { echo \"\$out\"; false; }"
# (the probe lists a descriptor the command opened, fd 9, so it is seen
# to run and to see descriptors; then, exec'd as the command after fd 9
# is closed, it must list none: not the caller's fd 7, nor berth's)
check "no descriptor of berth's reaches the container" -- bash -c "exec 7</dev/null
	out=\$(run --rm localhost/probe sh -c 'exec 9</probe; /probe fds; exec 9<&-; exec /probe fds') &&
	test \"\$out\" = 'fd 9 /probe' || { echo \"\$out\"; false; }"
check "its own PID namespace: the command is pid 1" -- bash -c "test \"\$(run --rm $bb sh -c 'echo \$\$')\" = 1"
check "writing /proc/self/exe's target from inside fails (ETXTBSY)" -- bash -c "run --rm localhost/probe /probe open /proc/self/exe w | grep -Eqx 'open (ETXTBSY|EACCES|EPERM)'"
check "the image's Labels and ExposedPorts show in inspect" -- bash -c "run --name lab localhost/hc-docker-archive:latest >/dev/null 2>&1; berth inspect lab | grep -q '\"fixture\": \"hc-docker-archive\"' && berth inspect lab | grep -q '80/tcp' && berth rm lab >/dev/null"
check "--label adds to the image's labels and overrides one" -- bash -c "run --name lab2 --label team=infra --label fixture=mine localhost/hc-docker-archive:latest >/dev/null 2>&1; out=\$(berth inspect lab2) && echo \"\$out\" | grep -q '\"team\": \"infra\"' && echo \"\$out\" | grep -q '\"fixture\": \"mine\"' && berth rm lab2 >/dev/null"
check "a --label without a key is refused" -- expect_fail "--label" run --rm --label =x $bb true
check "--init: pid 1 is init, not dumpable (no /proc/1/exe)" -- bash -c "run --rm --init localhost/probe /probe open /proc/1/exe r | grep -Eqx 'open (EACCES|EPERM)'"
check "--network none: only a loopback interface" -- bash -c "test \"\$(run --rm --network none $bb ls /sys/class/net)\" = lo"
check "--read-only root, writable --tmpfs" -- bash -c "run --rm --read-only --tmpfs /scratch $bb sh -c '! touch /x 2>/dev/null && touch /scratch/x'"
check "the container's writes never reach the image" -- bash -c "run --rm $bb sh -c 'echo changed > /bin/busybox-note; rm /bin/ls' && run --rm $bb sh -c 'test -e /bin/ls && ! test -e /bin/busybox-note'"

# limits and stop settings
check "--ulimit nofile=100:200" -- bash -c "test \"\$(run --rm --ulimit nofile=100:200 $bb sh -c 'ulimit -n; ulimit -Hn' | tr '\n' ' ')\" = '100 200 '"
check "--ulimit with an unknown name is refused" -- expect_fail "unknown limit" run --rm --ulimit bogus=1 $bb true
check "--memory is refused with the reason, never ignored" -- expect_fail "cgroup" run --rm --memory 64m $bb true
check "--stop-signal: stop sends it" -- bash -c "run -d --name sig --stop-signal USR1 $bb sh -c 'trap \"exit 9\" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null && wait_for 10 logged sig ready && berth stop sig >/dev/null && test \"\$(berth wait sig)\" = 9 && berth rm sig >/dev/null"

# terminals
check "-t: a terminal of the container's own devpts, TERM=xterm" -- bash -c "test \"\$(run --rm -t $bb sh -c 'tty; echo \$TERM' | tr -d '\r')\" = \"\$(printf '/dev/pts/0\nxterm')\""
check "-it: the window size is passed on" -- bash -c "out=\$(as_user script -qec \"stty cols 101 rows 33; env BERTH_FS='$BERTH_FS' '$BERTH' run --rm -it $bb sh -c 'stty size'\" /dev/null | tr -d '\r'); echo \"\$out\" | grep -qx '.*33 101' || { echo \"\$out\" | od -c | head -5 >&2; false; }"
check "-i -t: input reaches the container's terminal" -- bash -c "echo 'echo from-\$((6*7)); exit 2' | run --rm -i -t $bb sh | tr -d '\r' | grep -qx from-42"
# (the keys are sent once a command typed before them has run: berth's
# terminal is raw by then, where a cooked one would eat ctrl-q)
check "run -it: ctrl-p ctrl-q detaches and leaves it running" -- bash -c "
	{ echo 'echo up-\$((6*7))'; wait_for 10 grep -q up-42 '$T/dk.out'; printf '\\020\\021'; } |
		as_user script -qec \"env BERTH_FS='$BERTH_FS' '$BERTH' run -it --name dk $bb sh\" /dev/null >'$T/dk.out'
	grep -q detached '$T/dk.out' && berth ps | grep dk | grep -q Up && berth rm -f dk >/dev/null"
check "-t exit status" -- bash -c "run --rm -t $bb sh -c 'exit 3' >/dev/null; test \$? = 3"

# diff: the writable layer's changes (docker's A/C/D), berth's own files left out
check "diff lists added, changed and deleted paths" -- bash -c "run --name df $bb sh -c 'echo x > /etc/new; rm /bin/ls; echo y >> /etc/passwd' &&
	test \"\$(berth diff df | tr '\n' ' ')\" = 'C /bin D /bin/ls C /etc A /etc/new C /etc/passwd ' && berth rm df >/dev/null"
check "diff of an untouched container is empty" -- bash -c "run --name clean $bb true && test -z \"\$(berth diff clean)\" && berth rm clean >/dev/null"

# cp: both ways, trees, and never out of the container's root
check "cp a file and a tree into a running container and back" -- bash -c "
	as_user mkdir -p '$T/cp/dir/sub' && as_user sh -c 'echo hello > $T/cp/f; echo deep > $T/cp/dir/sub/x'
	run -d --name cpc $bb sh -c 'mkdir /data; echo inside > /data/in; ln -s / /data/esc; echo ready; sleep 60' >/dev/null &&
	wait_for 10 logged cpc ready &&
	berth cp '$T/cp/f' cpc:/data/ && berth cp '$T/cp/dir' cpc:/data/tree &&
	test \"\$(berth exec cpc cat /data/f /data/tree/sub/x | tr '\n' ' ')\" = 'hello deep ' &&
	berth cp cpc:/data/in '$T/cp/out' && test \"\$(cat '$T/cp/out')\" = inside"
check "cp through a symlink to / in the container stays in its root (both ways)" -- bash -c "
	berth cp cpc:/data/esc/etc/hostname '$T/cp/h' && test \"\$(cat '$T/cp/h')\" = \"\$(berth exec cpc hostname)\" &&
	berth cp '$T/cp/f' cpc:/data/esc/tmp/ && berth exec cpc test -f /tmp/f && ! test -e /tmp/f"
check "cp of a missing path names it" -- expect_fail "/nope in the container" berth cp cpc:/nope "$T/cp/x"
check "cp to and from a stopped container (its root mounted for the copy), still confined" -- bash -c "
	berth rm -f cpc >/dev/null && run --name cps $bb sh -c 'mkdir /data; echo inside > /data/in; ln -s / /data/esc' &&
	berth cp cps:/data/in '$T/cp/sin' && test \"\$(cat '$T/cp/sin')\" = inside &&
	berth cp '$T/cp/f' cps:/data/esc/tmp/ && berth diff cps | grep -qx 'A /tmp/f' && ! test -e /tmp/f &&
	berth cp cps:/data/esc/etc/passwd '$T/cp/pw' && ! cmp -s '$T/cp/pw' /etc/passwd && berth rm cps >/dev/null"

# pause needs cgroup v2 delegation: refused with the reason; port lists nothing yet
check "pause is refused with the reason" -- expect_fail "cgroup" berth pause anything
check "port of a container without published ports prints nothing" -- bash -c "run --name pt $bb true && test -z \"\$(berth port pt)\" && berth rm pt >/dev/null"

# commit: the writable layer as a new image (whiteouts, setuid, hardlinks, links)
check "commit makes an image with the container's changes" -- bash -c "
	run --name cm $bb sh -c 'echo committed > /etc/new; rm /bin/ls; mkdir -p /d; echo f > /d/f; ln /d/f /d/g; chmod 4755 /d/f; ln -s /etc/new /lnk' &&
	berth commit -m 'my change' cm localhost/committed:v1 >/dev/null &&
	berth history localhost/committed:v1 | grep -q 'my change' &&
	test \"\$(run --rm localhost/committed:v1 sh -c 'cat /etc/new; test -e /bin/ls || echo gone; stat -c %a /d/f; test \$(stat -c %i /d/f) = \$(stat -c %i /d/g) && echo same; readlink /lnk' | tr '\n' ' ')\" = 'committed gone 4755 same /etc/new ' &&
	berth rm cm >/dev/null"
check "the committed image saves and loads back with the same ID" -- bash -c "
	id=\$(berth inspect --type image localhost/committed:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"Id\"])') && test -n \"\$id\" &&
	berth save -o '$T/committed.tar' localhost/committed:v1 && berth rmi localhost/committed:v1 >/dev/null &&
	berth load -q -i '$T/committed.tar' &&
	test \"\$(berth inspect --type image localhost/committed:v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"Id\"])')\" = \"\$id\""

# records: names, ps, rm, --rm
check "--name and ps -a show an exited container" -- bash -c "run --name keep $bb sh -c 'exit 3'; berth ps -a | grep keep | grep -q 'Exited (3)'"
check "ps --format json" -- bash -c "berth ps -a --format json | python3 -c 'import json,sys; c=[x for x in json.load(sys.stdin) if x[\"Names\"]==\"keep\"]; sys.exit(0 if c and c[0][\"ExitCode\"]==3 and c[0][\"State\"]==\"exited\" else 1)'"
check "a name is unique" -- expect_fail "in use" run --name keep $bb true
check "rm removes it" -- bash -c "berth rm keep >/dev/null && ! berth ps -a | grep -q keep"
check "signals and waits on a stopped container are refused or immediate" -- bash -c "run --name done $bb true && ! berth kill done 2>/dev/null && test \"\$(berth wait done)\" = 0 && berth rm done >/dev/null"
check "--rm leaves no record" -- bash -c "before=\$(ls '$BERTH_ROOT/containers' | wc -l); run --rm $bb true; test \"\$(ls '$BERTH_ROOT/containers' | wc -l)\" = \$before"
# detached containers: the monitor, logs, stop, kill, wait
check "run -d prints the ID and returns while the container runs" -- bash -c "id=\$(run -d --name bg $bb sh -c 'echo to-out; echo to-err >&2; sleep 60') && test \${#id} = 64 && berth ps | grep bg | grep -q Up"
check "logs: stdout and stderr, in their streams" -- bash -c "wait_for 10 logged bg to-out to-err && test \"\$(berth logs bg 2>/dev/null)\" = to-out && test \"\$(berth logs bg 2>&1 >/dev/null)\" = to-err"
check "logs -t: RFC 3339 timestamps" -- bash -c "berth logs -t bg 2>&1 | grep -Eq '^20[0-9-]{8}T[0-9:.]+Z to-out\$'"
check "logs --since and --tail" -- bash -c "test \"\$(berth logs --since 1h bg 2>/dev/null)\" = to-out && test -z \"\$(berth logs --since 2999-01-01T00:00:00Z bg 2>&1)\" && test \"\$(berth logs --tail 1 bg 2>&1)\" = to-err"
check "stop: SIGTERM through -d's init reaches the command (143)" -- bash -c "berth stop -t 5 bg >/dev/null && test \"\$(berth wait bg)\" = 143 && berth ps -a | grep bg | grep -q 'Exited (143)'"
check "stop -t 1 of a command that ignores SIGTERM: SIGKILL after the timeout (137)" -- bash -c "run -d --name stub $bb sh -c 'trap \"\" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null && wait_for 10 logged stub ready && berth stop -t 1 stub >/dev/null && test \"\$(berth wait stub)\" = 137 && berth rm stub >/dev/null"
check "stop of a container that handles SIGTERM: its own status" -- bash -c "run -d --name term $bb sh -c 'trap \"exit 5\" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null && wait_for 10 logged term ready && berth stop term >/dev/null && test \"\$(berth wait term)\" = 5"
check "kill -s USR1 reaches pid 1" -- bash -c "run -d --name usr $bb sh -c 'trap \"echo got-usr1; exit 0\" USR1; echo ready; while :; do sleep 0.1; done' >/dev/null && wait_for 10 logged usr ready && berth kill -s USR1 usr >/dev/null && test \"\$(berth wait usr)\" = 0 && berth logs usr | grep -qx got-usr1"
check "exec joins a running container: its files, env, PID namespace, confinement" -- bash -c "
	run -d --name ex -e FOO=bar $bb sh -c 'echo hi > /tmp/marker; echo ready; sleep 60' >/dev/null && wait_for 10 logged ex ready &&
	berth exec ex sh -c 'cat /tmp/marker; echo \$FOO \$\$' | tr '\n' ' ' | grep -Eqx 'hi bar [3-9] ' &&
	berth exec ex grep -qx 'NoNewPrivs:.1' /proc/self/status &&
	berth exec ex grep -qx 'CapEff:.00000000800405fb' /proc/self/status &&
	berth exec ex grep -qx 'Seccomp:.2' /proc/self/status"
check "exec -w -e, and its command's status" -- bash -c "test \"\$(berth exec -w /tmp -e X=1 ex sh -c 'echo \$PWD \$X')\" = '/tmp 1' && { berth exec ex sh -c 'exit 4'; test \$? = 4; }"
check "exec: no descriptor of berth's reaches the process" -- bash -c "exec 7</dev/null; test \"\$(berth exec ex ls /proc/self/fd | tr '\n' ' ')\" = '0 1 2 3 '"
check "exec -it: a terminal for the process" -- bash -c "out=\$(as_user script -qec \"env BERTH_FS='$BERTH_FS' '$BERTH' exec -it ex tty\" /dev/null | tr -d '\r\000'); echo \"\$out\" | grep -Eq '^(\\^@)?/dev/pts/[0-9]+' || { echo \"\$out\" | od -c | head -5 >&2; false; }"
check "a short ID prefix names the container everywhere" -- bash -c "id=\$(berth inspect ex | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"Id\"][:8])') && berth exec \$id true && berth top \$id | grep -q sleep"
check "exec of a missing command is 127" -- bash -c "berth exec ex nosuch 2>/dev/null; test \$? = 127"
check "exec into a stopped container is refused" -- bash -c "berth rm -f ex >/dev/null && run --name stopped $bb true && expect_fail 'not running' berth exec stopped true && berth rm stopped >/dev/null"
# (attach follows what comes, it does not replay the log: the command
# waits half a second before it writes, for attach to be connected)
check "attach follows a detached container's output, both streams, and ends with its status" -- bash -c "
	run -d --name at1 $bb sh -c 'sleep 0.5; echo out1; echo err1 >&2; exit 4' >/dev/null
	out=\$(berth attach --no-stdin at1 2>'$T/at.err'); st=\$?
	test \"\$out\" = out1 && test \"\$(cat '$T/at.err')\" = err1 && test \$st = 4 && berth rm at1 >/dev/null"
check "attach to a -dit container: input reaches its terminal" -- bash -c "
	run -d -i -t --name at2 $bb sh >/dev/null || exit 1
	{ echo 'echo hi-\$((40+2))'; wait_for 10 grep -q hi-42 '$T/at2.out'; echo 'exit 5'; } |
		as_user script -qec \"env BERTH_FS='$BERTH_FS' '$BERTH' attach at2\" /dev/null >'$T/at2.out'
	tr -d '\r' <'$T/at2.out' | grep -qx hi-42 && test \"\$(berth wait at2)\" = 5 && berth rm at2 >/dev/null"
check "ctrl-p ctrl-q detaches and leaves the container running" -- bash -c "
	run -d -i -t --name at3 $bb sh >/dev/null || exit 1
	{ echo 'echo up-\$((6*7))'; wait_for 10 grep -q up-42 '$T/at3.out'; printf '\\020\\021'; } |
		as_user script -qec \"env BERTH_FS='$BERTH_FS' '$BERTH' attach at3\" /dev/null >'$T/at3.out'
	grep -q detached '$T/at3.out' && berth ps | grep at3 | grep -q Up && berth rm -f at3 >/dev/null"
# (ps's own status is checked: a failing ps lists nothing)
not_listed() { local ps; ps=$(berth ps -a) && ! grep -q -- "$1" <<<"$ps"; }
# removed NAME ID: not listed, and its record is gone
removed() { not_listed "$1" && [ ! -e "$BERTH_ROOT/containers/$2" ]; }
export -f not_listed removed
check "rm refuses a running container, rm -f kills it" -- bash -c "run -d --name busy $bb sleep 60 >/dev/null && expect_fail 'is running' berth rm busy && berth rm -f busy >/dev/null && not_listed busy"
check "run -d --rm: gone once it ends" -- bash -c "id=\$(run -d --rm --name gone $bb true) && test \${#id} = 64 &&
	{ wait_for 10 removed gone \$id || { berth ps -a; ls '$BERTH_ROOT/containers'; false; }; }"
check "50 containers started detached at once all run, log and stop" -- bash -c "
	pids=()
	for i in \$(seq 50); do run -d --name many\$i $bb sh -c \"echo hello-\$i; sleep 60\" >/dev/null & pids+=(\$!); done
	for p in \${pids[@]}; do wait \$p || exit 1; done
	test \"\$(berth ps | grep -c ' many')\" = 50 || { berth ps >&2; exit 1; }
	for i in \$(seq 50); do wait_for 10 log_is many\$i \"hello-\$i \" || exit 1; done
	berth stop -t 0 \$(seq -f 'many%g' 50) >/dev/null
	test \"\$(berth ps -a | grep ' many' | grep -Ec 'Exited \\((137|143)\\)')\" = 50 &&
	berth rm \$(seq -f 'many%g' 50) >/dev/null"
check "create records without running, start runs it detached" -- bash -c "
	run_c() { as_user env BERTH_FS='$BERTH_FS' '$BERTH' create \"\$@\"; }
	id=\$(run_c --name cr $bb sh -c 'echo x >> /count; wc -l < /count; sleep 60') && test \${#id} = 64 &&
	berth ps -a | grep cr | grep -q Created && berth start cr >/dev/null && wait_for 10 log_is cr '1 ' &&
	berth ps | grep cr | grep -q Up"
check "restart keeps the writable layer (and appends to the log)" -- bash -c "berth restart -t 0 cr >/dev/null && wait_for 10 log_is cr '1 2 '"
check "inspect: a container's state, its pid 1 and its config" -- bash -c "out=\$(berth inspect cr) && echo \"\$out\" | grep -q '\"Status\": \"running\"' && pid=\$(echo \"\$out\" | sed -n 's/.*\"Pid\": \\([0-9]*\\).*/\\1/p') && test \"\$pid\" -gt 0 && test \"\$(cat /proc/\$pid/comm)\" = sleep"
check "top lists the container's processes" -- bash -c "berth top cr | grep -q 'sleep 60'"
check "start of a running container is refused" -- expect_fail "already running" berth start cr
check "two starts of one container at once: one runs it, the other is refused" -- bash -c "
	berth stop -t 0 cr >/dev/null
	berth start cr >'$T/s1' 2>&1 & berth start cr >'$T/s2' 2>&1; wait
	test \"\$(cat '$T/s1' '$T/s2' | grep -c 'already running')\" = 1 && test \"\$(pgrep -f '[b]erth-fs -f -o lowerdir=$BERTH_ROOT.*containers/'\$(berth inspect cr | sed -n 's/.*\"Id\": \"\\([0-9a-f]*\\)\".*/\\1/p' | head -1) | wc -l)\" = 1"
check "start -a: attached, with the container's status" -- bash -c "berth stop -t 0 cr >/dev/null; run --name att $bb sh -c 'exit 6'; berth start -a att; test \$? = 6 && berth rm cr att >/dev/null"
check "a killed monitor: the next ps marks the container exited, nothing left" -- bash -c "
	run -d --name orphan $bb sleep 60 >/dev/null || exit 1
	dir=\$(dirname \$(grep -lx orphan '$BERTH_ROOT'/containers/*/name))
	wait_for 5 test -s \$dir/pid && read -r holder mon start <\$dir/pid && kill -9 \$mon
	for i in \$(seq 50); do pgrep -f '[b]erth-fs -f -o lowerdir=$BERTH_ROOT' >/dev/null || break; sleep 0.1; done
	berth ps -a | grep orphan | grep -q 'Exited (137)' && ! grep -q \$dir/rootfs /proc/mounts"
check "nothing is left mounted or running" -- bash -c "! grep -q '$BERTH_ROOT' /proc/mounts && ! pgrep -f '[b]erth-fs -f -o lowerdir=$BERTH_ROOT' >/dev/null"

finish
