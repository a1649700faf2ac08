#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every fixture image loads, and its merged view (as berth-fs will
# present it) and its config match the fixture's EXPECTED files exactly.
. "$(dirname "$0")/../lib.sh"
require_fixtures

# fixture-input  image-ref  expected-name
cases=(
	"${HC_CASES[@]}"
	"hc-multiarch localhost/hc-multiarch:latest hc-multiarch.linux-amd64"
	"podman-bb.docker-archive.tar localhost/bb:latest podman-bb.docker-archive"
	"podman-bb.oci-archive.tar localhost/bb:latest podman-bb.oci-archive"
	"podman-bb.oci-dir localhost/bb:latest podman-bb.oci-dir"
	"podman-bb.oci-zstd localhost/podman-bb.oci-zstd:latest podman-bb.oci-zstd"
	"podman-multilayer.docker-archive.tar localhost/fixture:multilayer podman-multilayer.docker-archive"
	"podman-multilayer.oci-archive.tar localhost/fixture:multilayer podman-multilayer.oci-archive"
	"podman-multilayer.oci-dir localhost/fixture:multilayer podman-multilayer.oci-dir"
	"podman-multilayer.oci-zstd localhost/podman-multilayer.oci-zstd:latest podman-multilayer.oci-zstd"
)


tree_matches() { # tree_matches REF NAME
	local exp="$FIXTURES/EXPECTED.$2.tsv"
	berth image tree "$1" >"$T/got.tsv" || return 1
	grep -v $'\tabsent\t' "$exp" | LC_ALL=C sort >"$T/exp.sorted"
	LC_ALL=C sort "$T/got.tsv" >"$T/got.sorted"
	diff "$T/exp.sorted" "$T/got.sorted" | head -20 >&2
	cmp -s "$T/exp.sorted" "$T/got.sorted"
}

absent_paths_absent() { # every "absent" row of the fixture is missing from the view
	local exp="$FIXTURES/EXPECTED.$2.tsv" bad
	bad=$(awk -F'\t' '$2 == "absent" { print $1 }' "$exp" | while IFS= read -r p; do
		awk -F'\t' -v p="$p" '$1 == p { print p; exit }' "$T/got.tsv"
	done)
	[ -z "$bad" ] || { echo "#   present but must not be: $bad" >&2; return 1; }
}

config_matches() {
	berth inspect "$1" | python3 "$(dirname "$0")/check-config.py" "$FIXTURES/EXPECTED.$2.config.json" >&2
}

for c in "${cases[@]}"; do
	read -r input ref name <<<"$c"
	export BERTH_ROOT="$T/store-$name"
	check "$name: loads" -- berth load -q -i "$FIXTURES/$input"
	check "$name: merged view matches EXPECTED.$name.tsv" -- tree_matches "$ref" "$name"
	check "$name: every path that must be gone is absent" -- absent_paths_absent "$ref" "$name"
	check "$name: config matches EXPECTED.$name.config.json" -- config_matches "$ref" "$name"
done

export BERTH_ROOT="$T/store-arm64"
check "hc-multiarch --platform linux/arm64/v8 loads the arm64 image" -- berth load -q --platform linux/arm64/v8 -i "$FIXTURES/hc-multiarch"
check "arm64 view matches EXPECTED.hc-multiarch.linux-arm64.tsv" -- tree_matches localhost/hc-multiarch:latest hc-multiarch.linux-arm64
check "arm64 config matches" -- config_matches localhost/hc-multiarch:latest hc-multiarch.linux-arm64
check "an unknown platform is refused with the platform named" -- expect_fail "linux/s390x" berth load -q --platform linux/s390x -i "$FIXTURES/hc-multiarch"
finish
