#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth secret: create (file, stdin), ls, inspect, rm; the on-disk modes;
# the value never shows in any output; failures leave nothing behind.
. "$(dirname "$0")/../lib.sh"

# A value no output could contain by chance: every command's stdout and
# stderr is collected in $T/all.out and searched for it at the end.
MARK="berth-secret-marker-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SECRETS="$BERTH_ROOT/secrets"
: >"$T/all.out"

# sb ARGS...: berth as the test user, output kept in $T/out (stdout),
# $T/err (stderr) and appended to $T/all.out; returns berth's status.
sb() {
	local rc=0
	berth "$@" >"$T/out" 2>"$T/err" || rc=$?
	cat "$T/out" "$T/err" >>"$T/all.out"
	return $rc
}

as_user sh -c 'printf %s "$1" >"$2"' _ "$MARK" "$T/value"
as_user sh -c 'printf %s "$1" >"$2"' _ "$MARK-stdin" "$T/value2"

create_from_file() {
	sb secret create s1 "$T/value" || return 1
	grep -qxE '[0-9a-f]{25}' "$T/out" && [ "$(wc -l <"$T/out")" = 1 ]
}
check "create from a file prints a 25-hex-digit ID" -- create_from_file
ID1=$(cat "$T/out")
create_from_stdin() {
	sb secret create s2 - <"$T/value2" && grep -qxE '[0-9a-f]{25}' "$T/out"
}
check "create from stdin prints an ID" -- create_from_stdin

data_is() { # data_is NAME VALUE
	[ "$(as_user cat "$SECRETS/$1/data")" = "$2" ]
}
values_stored() { data_is s1 "$MARK" && data_is s2 "$MARK-stdin"; }
check "the stored values are what was given (file and stdin)" -- values_stored

modes_private() {
	[ "$(stat -c %a "$SECRETS")" = 700 ] &&
		[ "$(stat -c %a "$SECRETS/s1")" = 700 ] &&
		[ "$(stat -c %a "$SECRETS/s1/data")" = 600 ] &&
		[ "$(stat -c %a "$SECRETS/s2/data")" = 600 ] &&
		[ "$(stat -c %a "$SECRETS/s1/meta.json")" = 600 ] &&
		[ "$(stat -c %u "$SECRETS/s1/data")" = "$(as_user id -u)" ]
}
check "secrets/ and secrets/NAME are 0700, data and meta.json 0600, the user's" -- modes_private
only_data_holds_it() {
	[ "$(grep -rlF -- "$MARK" "$BERTH_ROOT" | sort)" = "$(printf '%s\n' "$SECRETS/s1/data" "$SECRETS/s2/data")" ]
}
check "only the data files hold the value" -- only_data_holds_it

ls_table() {
	sb secret ls || return 1
	head -1 "$T/out" | grep -qE '^ID +NAME +CREATED$' &&
		grep -qE "^$ID1 +s1 +[0-9]+ seconds ago$" "$T/out" &&
		grep -qE '^[0-9a-f]{25} +s2 ' "$T/out" && [ "$(wc -l <"$T/out")" = 3 ]
}
check "ls shows ID, NAME, CREATED for both" -- ls_table
ls_quiet() {
	sb secret ls -q && [ "$(grep -cxE '[0-9a-f]{25}' "$T/out")" = 2 ] && [ "$(wc -l <"$T/out")" = 2 ]
}
check "ls -q shows the IDs only" -- ls_quiet
ls_json() {
	sb secret ls --format json || return 1
	python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert [o["Name"] for o in a] == ["s1", "s2"], a
assert all(sorted(o) == ["CreatedAt", "Driver", "ID", "Name"] for o in a), a
' "$T/out"
}
check "ls --format json is an array of metadata, sorted by name" -- ls_json

inspect_meta() {
	sb secret inspect s1 || return 1
	python3 -c '
import json, re, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 1, a
o = a[0]
assert sorted(o) == ["CreatedAt", "Driver", "ID", "Name"], o
assert o["Name"] == "s1" and o["ID"] == sys.argv[2] and o["Driver"] == "file", o
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", o["CreatedAt"]), o
' "$T/out" "$ID1"
}
check "inspect shows Name, ID, CreatedAt, Driver and nothing else" -- inspect_meta
inspect_missing() {
	! sb secret inspect s1 nope && grep -q '"nope": no such secret' "$T/err" &&
		python3 -c 'import json, sys; assert len(json.load(open(sys.argv[1]))) == 1' "$T/out"
}
check "inspect of a missing one names it, still shows the others, exits 1" -- inspect_missing

duplicate() {
	local rc=0
	sb secret create s1 "$T/value2" || rc=$?
	[ $rc = 1 ] && grep -q 's1.*already exists' "$T/err" && data_is s1 "$MARK" &&
		[ "$(store_snapshot)" = "$SNAP" ]
}
SNAP=$(store_snapshot)
check "a duplicate create fails, keeps the old value, adds nothing" -- duplicate

bad_name() { # bad_name NAME
	local rc=0
	sb secret create "$1" "$T/value" || rc=$?
	[ $rc = 125 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "\"$1\"" "$T/err" &&
		grep -qF 'a-zA-Z0-9_.-' "$T/err" && [ "$(store_snapshot)" = "$SNAP" ]
}
for n in 'bad/name' '../escape' '.hidden' '_under' 'with space' "$(printf 'x%.0s' {1..65})"; do
	check "bad name \"${n:0:20}\" fails with exit 125, one line naming it, nothing created" -- bad_name "$n"
done
check "a 64-character name is fine" -- sb secret create "$(printf 'y%.0s' {1..64})" "$T/value"
SNAP=$(store_snapshot)

missing_file() {
	! sb secret create nofile "$T/does-not-exist" &&
		grep -qF "$T/does-not-exist: No such file or directory" "$T/err" &&
		[ "$(store_snapshot)" = "$SNAP" ] && [ ! -e "$SECRETS/nofile" ]
}
check "a missing file fails naming it, nothing created" -- missing_file

head -c $((500 * 1024 + 1)) /dev/zero | tr '\0' a >"$T/big"
head -c $((500 * 1024)) /dev/zero | tr '\0' a >"$T/max"
chmod 0644 "$T/big" "$T/max"
too_large() {
	! sb secret create big "$T/big" && grep -qF "$T/big: larger than 500 KiB" "$T/err" &&
		[ "$(store_snapshot)" = "$SNAP" ]
}
check "a value over 500 KiB fails, nothing created" -- too_large
too_large_stdin() {
	! sb secret create big - <"$T/big" && grep -qF "stdin: larger than 500 KiB" "$T/err" &&
		[ "$(store_snapshot)" = "$SNAP" ]
}
check "the same from stdin" -- too_large_stdin
check "exactly 500 KiB is accepted" -- sb secret create max "$T/max"
empty_value() {
	! sb secret create empty - </dev/null && grep -q 'empty' "$T/err" && [ ! -e "$SECRETS/empty" ]
}
check "an empty value fails, nothing created" -- empty_value

# Two creates of one name at once: exactly one wins, the value is whole.
race() {
	local i ok=0
	for i in 1 2 3 4 5 6; do
		as_user "$BERTH" secret create racy "$T/value" >"$T/race.$i" 2>&1 &
	done
	wait
	for i in 1 2 3 4 5 6; do
		grep -qxE '[0-9a-f]{25}' "$T/race.$i" && ok=$((ok + 1))
		cat "$T/race.$i" >>"$T/all.out"
	done
	[ $ok = 1 ] && data_is racy "$MARK" && [ -z "$(find "$SECRETS" -maxdepth 1 -name '.*' ! -name .)" ]
}
check "concurrent creates of one name: exactly one succeeds, no leftovers" -- race

rm_one() {
	sb secret rm s1 && grep -qx s1 "$T/out" && [ ! -e "$SECRETS/s1" ] &&
		sb secret ls && ! grep -qE ' s1 ' "$T/out"
}
check "rm removes the secret and its files" -- rm_one
rm_missing() {
	local rc=0
	sb secret rm nope s2 || rc=$?
	[ $rc = 1 ] && grep -qF 'secret "nope": no such secret' "$T/err" && [ ! -e "$SECRETS/s2" ]
}
check "rm of a missing one names it, removes the others, exits 1" -- rm_missing
rm_bad_name() { ! sb secret rm ../x && grep -qF '"../x"' "$T/err"; }
check "rm of a bad name fails naming it" -- rm_bad_name

check "secret without a subcommand: exit 125, the subcommands listed" -- \
	bash -c "'$BERTH' secret 2>&1 >/dev/null | grep inspect >/dev/null; [ \${PIPESTATUS[0]} = 125 ]"
unknown_sub() {
	local rc=0
	berth secret frob >"$T/out" 2>&1 || rc=$?
	[ $rc = 125 ] && grep -q '"frob"' "$T/out" && grep -qE '^  create ' "$T/out" &&
		grep -qE '^  rm ' "$T/out"
}
check "an unknown subcommand: exit 125, named, the subcommands listed" -- unknown_sub
for v in create ls inspect rm; do
	check "berth secret $v --help shows its usage" -- \
		bash -c "'$BERTH' secret $v --help | grep -q '^Usage: berth secret $v'"
done
check "berth --help lists secret" -- bash -c "'$BERTH' --help | grep -qE '^  secret '"

check "the value appeared in no output" -- bash -c "! grep -qF -- '$MARK' '$T/all.out'"
check "the store stays rootless-safe" -- store_is_rootless

# ---- berth run --secret: the value reaches the container and nowhere else
require_fixtures
require_fuse
require_userns
export -f run
bb=localhost/bb:latest
RS="berth-run-secret-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
as_user sh -c 'printf %s "$1" >"$2"' _ "$RS" "$T/rvalue"
check "load the busybox fixture, create a secret" -- bash -c "berth load -q -i '$FIXTURES/podman-bb.docker-archive.tar' && berth secret create rs '$T/rvalue' >/dev/null"
check "--secret NAME: /run/secrets/NAME holds the value" -- bash -c "test \"\$(run --rm --secret rs $bb cat /run/secrets/rs)\" = '$RS'"
check "... mode 0444 by default" -- bash -c "test \"\$(run --rm --secret rs $bb stat -c %a /run/secrets/rs)\" = 444"
check "... read-only even for root" -- expect_fail "Read-only file system" run --rm --secret rs $bb sh -c 'echo x > /run/secrets/rs'
check "... and cannot be removed" -- bash -c "! run --rm --secret rs $bb rm -f /run/secrets/rs 2>/dev/null"
target_mode() {
	[ "$(run --rm --secret rs,target=/etc/app/key,mode=0400 $bb sh -c 'cat /etc/app/key; echo; stat -c %a /etc/app/key; ls -A /run/secrets 2>/dev/null' | tr '\n' ' ')" = "$RS 400 " ]
}
check "--secret NAME,target=/etc/app/key,mode=0400: there, mode 400, not in /run/secrets" -- target_mode
check "--secret NAME,type=env,target=TOKEN: \$TOKEN is the value" -- bash -c "test \"\$(run --rm --secret rs,type=env,target=TOKEN $bb sh -c 'echo \$TOKEN')\" = '$RS'"
if as_user grep -q "^$(as_user id -un):" /etc/subuid; then
	check "--secret NAME,uid=1000,gid=1000: the file is theirs" -- bash -c "test \"\$(run --rm --secret rs,uid=1000,gid=1000 $bb stat -c %u:%g /run/secrets/rs)\" = 1000:1000"
fi

detached_secret() {
	run -d --name sc --secret rs --secret rs,type=env,target=TOKEN $bb sh -c 'echo started; echo made > /made; sleep 30' >/dev/null &&
		wait_for 5 bash -c "berth logs sc 2>/dev/null | grep -qx started"
}
check "a detached container with a file and an env secret" -- detached_secret
check "exec sees both" -- bash -c "test \"\$(berth exec sc sh -c 'echo \$TOKEN; cat /run/secrets/rs; echo' | tr '\n' ' ')\" = '$RS $RS '"
: >"$T/run.out"
collect() { # collect DESCRIPTION CMD...: the command's output, searched at the end
	echo "== $1" >>"$T/run.out"
	shift
	"$@" >>"$T/run.out" 2>&1
}
leak_free() { # leak_free WHAT CMD...
	local what=$1 rc=0
	shift
	"$@" >"$T/leak" 2>&1 || rc=$?
	cat "$T/leak" >>"$T/run.out"
	[ $rc = 0 ] && [ -s "$T/leak" ] && ! grep -qaF -- "$RS" "$T/leak" || {
		echo "rc=$rc in $what:" >&2
		grep -aF -- "$RS" "$T/leak" | head -3 >&2
		return 1
	}
}
check "the value is not in inspect" -- leak_free inspect berth inspect sc
check "... nor in ps -a --format json" -- leak_free ps berth ps -a --format json
logs_clean() { [ "$(berth logs sc 2>&1)" = started ]; }
check "... nor in logs" -- logs_clean
check "... nor in diff (which shows the container's own change, not the secret's file)" -- bash -c "berth diff sc >'$T/diff' && grep -qx 'A /made' '$T/diff' && ! grep -qF -- '$RS' '$T/diff' && ! grep -q 'secrets/rs' '$T/diff'"
check "... nor in ps -eo args on the host" -- leak_free "ps -eo args" ps -eo args
save_clean() {
	berth commit sc localhost/sc:1 >/dev/null && berth save -o "$T/sc.tar" localhost/sc:1 || return 1
	rm -rf "$T/sc.x" && mkdir "$T/sc.x" && tar -C "$T/sc.x" -xf "$T/sc.tar" || return 1
	# the layers, uncompressed whatever their compression
	local f
	for f in $(find "$T/sc.x" -type f); do
		{ zcat -f "$f" 2>/dev/null; zstdcat -f "$f" 2>/dev/null; } | tar -tvf - >>"$T/sc.list" 2>/dev/null
		{ zcat -f "$f" 2>/dev/null; zstdcat -f "$f" 2>/dev/null; } | grep -qaF -- "$RS" && { echo "in $f" >&2; return 1; }
	done
	! grep -qaF -- "$RS" "$T/sc.tar" && grep -q 'made$' "$T/sc.list" && ! grep -q 'run/secrets/.' "$T/sc.list" &&
		[ "$(run --rm localhost/sc:1 sh -c 'cat /made; ls -A /run/secrets 2>/dev/null; echo "[$TOKEN]"' | tr '\n' ' ')" = "made [] " ]
}
check "... nor in commit + save (the image has /made, no secret, no TOKEN)" -- save_clean
check "... nor in history" -- leak_free history berth history localhost/sc:1
check "... nor in image inspect" -- leak_free "image inspect" berth inspect --type image localhost/sc:1
store_clean() {
	local hits
	hits=$(as_user grep -rlaF -- "$RS" "$BERTH_ROOT" 2>/dev/null | grep -v "^$BERTH_ROOT/secrets/")
	[ -z "$hits" ] || { echo "found in: $hits" >&2; return 1; }
	# the search reached the store: the secret's own file is found
	as_user grep -rlaF -- "$RS" "$BERTH_ROOT" 2>/dev/null | grep -qx "$BERTH_ROOT/secrets/rs/data"
}
check "... nor anywhere in the store but secrets/" -- store_clean
check "rm -f the container" -- bash -c "berth rm -f sc >/dev/null && berth rmi localhost/sc:1 >/dev/null"
missing_secret() {
	local n rc=0
	n=$(berth ps -a -q | wc -l)
	run --name ms --secret nosuch $bb true 2>"$T/ms.err" || rc=$?
	[ $rc = 125 ] && grep -q 'no such secret' "$T/ms.err" && [ "$(berth ps -a -q | wc -l)" = "$n" ]
}
check "--secret of a missing secret: exit 125, no container" -- missing_secret
check "no container is left" -- bash -c "test -z \"\$(berth ps -a -q)\""
finish
