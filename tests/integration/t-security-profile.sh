#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Untrusted profiles and values on command lines, attacked from where an
# attacker stands:
# - a repository's profile: every setting that widens the sandbox (a host
#   path out of the repository, also through a symlink or "..", an env
#   file, extends, a secret, cap-add, seccomp, no_new_privs, the host's
#   network, volumes-from, a named volume, a port on every address) is a
#   warning naming file:line, from profile check, run --profile and up;
#   run's exit code stays the command's; check --strict fails; a profile
#   that stays in its directory warns of nothing;
# - a repository's ./NAME.ini does not stand in for the user's NAME;
# - another local user reading /proc/*/cmdline while `run -d -e`, an
#   attached `run -e`, `exec -e` and `up -d` of a stack with an
#   [environment] run: no value anywhere, though the containers have them.
# No network: every sandbox is --network none (or a profile's host mode,
# which only check sees).
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_fuse
require_userns

# every step bounded: berth under timeout (a detached container's
# monitor has its own session and outlives it, as it should)
b() { as_user env BERTH_FS="$BERTH_FS" timeout 120 "$BERTH" "$@"; }
export -f b expect_fail
# (the user's profile directory is $HOME/.config/berth/profiles: HOME is
# $T in every mode, lib.sh)
img=sec/tools
check "import the tools image" -- tools_image $img
uid=$(as_user id -u)

# ---- a repository and a host around it -------------------------------------------
R=$T/repo
mkdir -p "$R/sub" "$T/host-private"
echo "host-only-data" >"$T/host-private/file"
echo "HOSTVAR=from-host" >"$T/host.env"
echo "INVAR=from-repo" >"$R/in.env"
ln -s ../host-private "$R/link"     # inside the repository, pointing out of it
printf '[sandbox]\nimage = %s\n' $img >"$T/base.ini"

# wide.ini: each widening setting once; line_of finds its line
cat >"$R/wide.ini" <<EOF
extends = ../base.ini
[sandbox]
env-file = ../host.env
userns = keep-id
[mounts]
volume = /etc:/host-etc:ro
volume = ./link:/via-link
volume = ./sub/../../host-private:/via-dotdot
volume = cache:/cache
volumes-from = other
[secrets]
secret = token
[network]
mode = host
publish = 0.0.0.0:18080:80
[security]
cap-add = NET_RAW
seccomp = unconfined
no-new-privileges = false
EOF
line_of() { grep -nF -- "$1" "$R/wide.ini" | head -1 | cut -d: -f1; }
chown -R "$uid" "$T/repo" "$T/host-private" "$T/host.env" "$T/base.ini" 2>/dev/null || true
b secret create token "$T/host.env" >/dev/null

check_wide() {
	local rc=0
	(cd "$T" && b profile check repo/wide.ini) >"$T/check.o" 2>"$T/check.e" || rc=$?
	sed 's/^/# /' "$T/check.e"
	[ $rc = 0 ] || return 1
	local want=(
		"extends = ../base.ini|builds on $T/base.ini"
		"env-file = ../host.env|$T/host.env, outside"
		"volume = /etc:/host-etc:ro|bind-mounts (read-only) /etc,"
		"volume = ./link:/via-link|bind-mounts $T/host-private,"
		"volume = ./sub/../../host-private:/via-dotdot|bind-mounts $T/host-private,"
		"volume = cache:/cache|named volume \"cache\""
		"volumes-from = other|its volumes and host paths"
		"secret = token|secret \"token\""
		"mode = host|host's network"
		"publish = 0.0.0.0:18080:80|every address"
		"cap-add = NET_RAW|capability"
		"seccomp = unconfined|syscall filter off"
		"no-new-privileges = false|setuid"
	)
	local w key why line
	for w in "${want[@]}"; do
		key=${w%%|*} why=${w#*|}
		line=$(line_of "$key")
		grep -F -- "berth: warning: repo/wide.ini:$line: " "$T/check.e" | grep -F -- "$key" |
			grep -qF -- "$why" || { echo "# missing: wide.ini:$line $key ($why)"; return 1; }
	done
	# one line per widening setting, nothing for userns = keep-id
	[ "$(grep -c 'berth: warning:' "$T/check.e")" = ${#want[@]} ] &&
		! grep -q keep-id "$T/check.e"
}
check "profile check: each widening setting of a repository's profile is a warning with its file:line" -- check_wide
check "profile check --strict fails on them" -- \
	bash -c "cd $T && expect_fail '13 settings widen the sandbox' b profile check --strict repo/wide.ini"

# clean.ini: the same kinds of settings, kept inside the repository
cat >"$R/clean.ini" <<EOF
[sandbox]
image = $img
env-file = in.env
command = sh -c "echo \$INVAR; cat /src/in.env"
remove = true
[mounts]
volume = .:/src:ro
         ./sub:/sub
tmpfs = /tmp
[network]
mode = none
[security]
cap-drop = ALL
seccomp = default
no-new-privileges = true
EOF
chown "$uid" "$R/clean.ini" 2>/dev/null || true
# stderr but for the note a user without a subuid range always gets
other_stderr() { grep -v 'no subuid/subgid range' "$1"; }
clean_quiet() {
	(cd "$T" && b profile check --strict repo/clean.ini) >"$T/o" 2>"$T/e" || { cat "$T/e"; return 1; }
	[ ! -s "$T/e" ] || { cat "$T/e"; return 1; }
	# run from elsewhere: env-file = in.env is the repository's
	(cd / && b run --profile "$R/clean.ini") >"$T/o" 2>"$T/e" || { cat "$T/e"; return 1; }
	! other_stderr "$T/e" && [ "$(head -1 "$T/o")" = from-repo ]
}
check "a profile that stays in its directory: no warning from check --strict or run" -- clean_quiet

# a runnable widening profile: run says so on stderr, and its exit code
# is still the command's
cat >"$R/run-wide.ini" <<EOF
[sandbox]
image = $img
command = sh -c "cat /via-link/file; exit 3"
remove = true
[mounts]
volume = ./link:/via-link:ro
[network]
mode = none
[security]
cap-add = NET_RAW
EOF
chown "$uid" "$R/run-wide.ini" 2>/dev/null || true
run_warns() {
	local rc=0
	(cd "$R" && b run --profile ./run-wide.ini) >"$T/o" 2>"$T/e" || rc=$?
	sed 's/^/# /' "$T/e"
	[ $rc = 3 ] && [ "$(cat "$T/o")" = host-only-data ] &&
		grep -q "^berth: warning: ./run-wide.ini:6: \[mounts\] volume = ./link:/via-link:ro: bind-mounts (read-only) $T/host-private," "$T/e" &&
		grep -q '^berth: warning: ./run-wide.ini:10: \[security\] cap-add = NET_RAW' "$T/e" &&
		[ "$(other_stderr "$T/e" | grep -c warning)" = 2 ]
}
check "run --profile: the symlink out and cap-add are warned of with file:line; the exit code is the command's (3)" -- run_warns

# ---- --profile NAME: the user's own before the repository's ------------------------
mkdir -p "$T/.config/berth/profiles"
printf '[sandbox]\nimage = %s\nremove = true\n[environment]\nWHO = user\n[network]\nmode = none\n' $img \
	>"$T/.config/berth/profiles/ci.ini"
printf '[sandbox]\nimage = %s\nremove = true\n[environment]\nWHO = repository\n[network]\nmode = none\n[security]\ncap-add = ALL\n' $img \
	>"$R/ci.ini"
chown -R "$uid" "$T/.config" "$R/ci.ini" 2>/dev/null || true
by_name() {
	local out
	out=$(cd "$R" && b run --profile ci $img sh -c 'echo $WHO' 2>"$T/e") || { cat "$T/e"; return 1; }
	sed 's/^/# /' "$T/e"
	[ "$out" = user ] && grep -qF "not ./ci.ini" "$T/e" && ! grep -q cap-add "$T/e"
}
check "--profile ci in a repository with ./ci.ini: the user's ci.ini, and a warning naming ./ci.ini" -- by_name
check "--profile ./ci.ini (a path) is the repository's, warned of" -- bash -c "
	cd $R && test \"\$(b run --profile ./ci.ini $img sh -c 'echo \$WHO' 2>$T/e)\" = repository &&
		grep -q 'ci.ini:9: \[security\] cap-add = ALL: adds every capability' $T/e"
check "--profile ci.ini (ends in .ini) is a path too" -- bash -c "
	cd $R && test \"\$(b run --profile ci.ini $img sh -c 'echo \$WHO' 2>/dev/null)\" = repository"
check "profile show ci shows the user's" -- bash -c "cd $R && b profile show ci 2>/dev/null | grep -q 'WHO = user'"

# ---- values never on a command line ------------------------------------------------
rnd() { echo "$1-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"; }
V_RUND=$(rnd run-d) V_UP=$(rnd up) V_ATT=$(rnd attached) V_EXEC=$(rnd exec) V_CTL=$(rnd control)
# the values reach berth through files the test user reads inside a
# shell that execs berth: the test's own wrappers (runuser) never carry them
for v in V_RUND V_ATT V_EXEC; do printf '%s' "${!v}" >"$T/$v"; done
chown "$uid" "$T"/V_* 2>/dev/null || true
printf '%s\n' "$V_RUND" "$V_UP" "$V_ATT" "$V_EXEC" >"$T/values"
cat >"$R/sec-stack.ini" <<EOF
[stack]
name = secstack
[app]
image = $img
command = sh -c "echo got=\$SECRET; exec sleep 120"
[app.environment]
SECRET = $V_UP
[app.network]
mode = none
[app.security]
cap-add = NET_RAW
EOF
chown "$uid" "$R/sec-stack.ini" 2>/dev/null || true

pre_cleanup() {
	[ -n "${att_pid:-}" ] && kill "$att_pid" 2>/dev/null
	[ -n "${exec_pid:-}" ] && kill "$exec_pid" 2>/dev/null
	[ -n "${ctl_pid:-}" ] && kill "$ctl_pid" 2>/dev/null
	b down "$R/sec-stack.ini" >/dev/null 2>&1
	b rm -f sec-d sec-a >/dev/null 2>&1
	wait 2>/dev/null
}

# the scan: every process on the machine, the values as fixed strings
# from a file (a pattern on grep's own command line would match itself)
leaks() { # leaks PATTERN-FILE: "PID: cmdline" of each process showing one
	local f
	for f in /proc/[0-9]*/cmdline; do
		if tr -s '\0' ' ' <"$f" 2>/dev/null | grep -qF -f "$1"; then
			echo "${f%/cmdline}: $(tr -s '\0' ' ' <"$f" 2>/dev/null)"
		fi
	done
}
export -f leaks
# the scan finds what is there: a process with a value on its command line
printf '%s\n' "$V_CTL" >"$T/control"
bash -c 'while :; do sleep 0.2; done' _ "$V_CTL" >/dev/null 2>&1 &
ctl_pid=$!
check "the scan sees a value on a command line (control)" -- \
	wait_for 5 bash -c "test -n \"\$(leaks $T/control)\""
kill $ctl_pid 2>/dev/null; wait $ctl_pid 2>/dev/null; ctl_pid=

# berth as the test user in a shell that reads the value from a file and
# execs berth: only berth's own command line ever holds it
start_run_d() {
	as_user env BERTH_FS="$BERTH_FS" timeout 60 sh -c 'exec "$0" run -d --name sec-d --network none -e "SECRET=$(cat "$1")" "$2" sh -c "echo got=\$SECRET; exec sleep 120"' \
		"$BERTH" "$T/V_RUND" "$img" >/dev/null
}
export -f start_run_d
export img
check "run -d -e SECRET=VALUE starts" -- start_run_d
as_user env BERTH_FS="$BERTH_FS" timeout 180 sh -c 'exec "$0" run --name sec-a --network none -e "SECRET=$(cat "$1")" "$2" sh -c "echo got=\$SECRET; exec sleep 120"' \
	"$BERTH" "$T/V_ATT" "$img" >"$T/att.out" 2>&1 &
att_pid=$!
up_warns() {
	b up -d "$R/sec-stack.ini" >"$T/up.o" 2>"$T/up.e" || { cat "$T/up.e"; return 1; }
	sed 's/^/# /' "$T/up.e"
	grep -q "^berth: warning: $R/sec-stack.ini:11: \[security\] cap-add = NET_RAW" "$T/up.e"
}
check "up -d of a stack with [environment] starts, warning of its cap-add with file:line" -- up_warns
check "the containers have their values: run -d" -- \
	wait_for 20 bash -c "b logs sec-d 2>/dev/null | grep -qx 'got=$V_RUND'"
check "... the attached run" -- wait_for 20 grep -qx "got=$V_ATT" "$T/att.out"
check "... the stack's sandbox" -- \
	wait_for 20 bash -c "b logs secstack-app 2>/dev/null | grep -qx 'got=$V_UP'"
as_user env BERTH_FS="$BERTH_FS" timeout 180 sh -c 'exec "$0" exec -e "X=$(cat "$1")" sec-d sh -c "echo got=\$X > /tmp/exec.out; exec sleep 120"' \
	"$BERTH" "$T/V_EXEC" >/dev/null 2>&1 &
exec_pid=$!
check "... and exec -e" -- \
	wait_for 20 bash -c "b exec sec-d cat /tmp/exec.out 2>/dev/null | grep -qx 'got=$V_EXEC'"

no_leak() {
	local found
	found=$(leaks "$T/values")
	[ -z "$found" ] || { echo "$found" | sed 's/^/#   /'; return 1; }
}
check "no process on the machine shows a value on its command line" -- no_leak
berth_titles() {
	# the long-lived berth processes are there, by their names only
	local t="|" f
	for f in /proc/[0-9]*/cmdline; do t+="$(tr -s '\0' ' ' <"$f" 2>/dev/null)|"; done
	echo "$t" | tr '|' '\n' | grep '^berth ' | sort | uniq -c | sed 's/^/# /'
	echo "$t" | grep -q '|berth run sec-d |' && echo "$t" | grep -q '|berth run sec-a |' &&
		echo "$t" | grep -q '|berth exec sec-d |' && echo "$t" | grep -q '|berth run secstack-app |'
}
check "... while the monitors, the attached run and exec are there as 'berth run|exec NAME'" -- berth_titles
check "inside, --init's pid 1 (a fork of berth) shows 'berth run sec-d' only" -- \
	bash -c "test \"\$(b exec sec-d cat /proc/1/cmdline | tr -s '\0' ' ')\" = 'berth run sec-d '"

private_record() {
	local cfg dir
	cfg=$(grep -lF -f "$T/V_RUND" "$BERTH_ROOT"/containers/*/config.json | head -1)
	dir=${cfg%/config.json}
	[ -n "$cfg" ] && [ "$(stat -c %a "$cfg")" = 600 ] && [ "$(stat -c %a "$dir/log")" = 600 ] &&
		[ "$(stat -c %a "$dir")" = 700 ] && [ "$(stat -c %a "$BERTH_ROOT/containers")" = 700 ]
}
check "the container's record holds the value (as docker's inspect does), readable by the user alone" -- private_record
check "down the stack" -- b down "$R/sec-stack.ini"
check "rm the containers" -- b rm -f sec-d sec-a
wait $att_pid $exec_pid 2>/dev/null
att_pid= exec_pid=
finish
