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
	bash -c "'$BERTH' secret 2>&1 >/dev/null | grep -q 'inspect'; [ \${PIPESTATUS[0]} = 125 ]"
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
finish
