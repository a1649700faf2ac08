#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile archives (tests/data/make-hostile.py) fail with a clear error,
# never crash, leave the store exactly as it was and write nothing
# outside it; symlink tricks that stay inside the rootfs load contained.
. "$(dirname "$0")/../lib.sh"
require_fixtures
DATA=$(cd "$(dirname "$0")/../data" && pwd)

python3 "$DATA/make-hostile.py" "$T/in" >/dev/null
chmod -R a+rX "$T/in"
mapfile -t cases < <(grep -v '^#' "$DATA/hostile-cases.tsv")
mapfile -t contained < <(grep -v '^#' "$DATA/hostile-contained.tsv")


# A canary tree the hostile layers aim at (their symlinks point at /tmp,
# /etc and ../../..): none of these may gain an entry.
canary_snapshot() {
	ls -d /tmp/pwned* /tmp/chained /escaped* /etc/pwned* /etc/evil* /evil* /tmp/evil* 2>/dev/null
	# (other tests' scratch dirs, which run beside this one, are theirs)
	find "$T" /tmp -maxdepth 4 \( -path "$T/in" -o -path "$BERTH_ROOT" -o \
		\( -path '/tmp/berth-test.*' -a ! -path "$T" -a ! -path "$T/*" \) \) -prune -o \
		\( -name 'pwned*' -o -name 'evil*' -o -name 'escape*' -o -name chained \) -print 2>/dev/null
}

# The control image shares no blob with the hostile ones: a blob the
# store already holds is trusted from the store, never re-read.
check "the control image loads" -- berth load -q -i "$FIXTURES/hc-modes"
before_store=$(store_snapshot)
before_fs=$(canary_snapshot)
for c in "${cases[@]}"; do
	IFS=$'\t' read -r file want desc <<<"$c"
	check "$file refused, error mentions \"$want\" ($desc)" -- expect_fail "$want" berth load -q -i "$T/in/$file"
	if [ "$(wc -l <"$T/ef.err")" -ne 1 ]; then
		ok 1 "$file: the error is one line"; sed 's/^/#   /' "$T/ef.err"
	else
		ok 0 "$file: the error is one line"
	fi
	after=$(store_snapshot)
	if [ "$after" = "$before_store" ]; then ok 0 "$file: store unchanged"; else ok 1 "$file: store unchanged"; diff <(echo "$before_store") <(echo "$after") | head | sed 's/^/#   /'; fi
done
check "nothing was written outside the store" -- test "$(canary_snapshot)" = "$before_fs"
check "no staging leftovers after the failures" -- bash -c "[ -z \"\$(ls -A '$BERTH_ROOT/tmp')\" ]"
control_intact() {
	berth image tree localhost/hc-modes:latest >"$T/got.tsv" &&
		diff <(grep -v $'\tabsent\t' "$FIXTURES/EXPECTED.hc-modes.tsv" | LC_ALL=C sort) <(LC_ALL=C sort "$T/got.tsv") >&2
}
check "the control image is still intact" -- control_intact
check "a valid image still loads afterwards" -- berth load -q -i "$T/in/valid.oci"

for c in "${contained[@]}"; do
	IFS=$'\t' read -r file path <<<"$c"
	check "$file loads (its symlinks resolve inside the rootfs)" -- berth load -q -i "$T/in/$file"
	id=$(berth load -q -i "$T/in/$file" | sed -n 's/^Loaded image: //p; s/^Loaded image ID: //p' | head -1)
	check "$file: $path exists inside the image" -- bash -c "berth image tree '$id' | cut -f1 | grep -qxF '$path'"
done
check "the store is rootless-safe after all of it" -- store_is_rootless
finish
