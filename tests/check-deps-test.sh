#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The dependency checker checked (TAP): on a copy of the source folders it
# must pass as the tree is, and fail, naming the file and line, on a
# planted include against the layers, a planted circle, a verb including
# another verb's header, and a line of the allow list whose break is gone.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d /tmp/check-deps-test.XXXXXX)
trap 'rm -rf "$t"' EXIT
n=0 failed=0
result() { # result OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
fresh() {
	rm -rf "$t/tree" && mkdir -p "$t/tree/tests"
	for d in lib image objects netns fusefs runner profiles cli; do cp -r "$src/$d" "$t/tree/"; done
	cp "$src/tests/check-deps.py" "$src/tests/check-deps.allow" "$t/tree/tests/"
}
check() { python3 "$t/tree/tests/check-deps.py" "$t/tree" >"$t/out" 2>&1; }

fresh
check
result $? "the tree as it is passes"

fresh
sed -i '0,/#include "/s//#include "..\/cli\/cli.h"\n#include "/' "$t/tree/lib/util.c"
check
rc=$?
line=$(grep -n 'cli/cli.h' "$t/tree/lib/util.c" | cut -d: -f1)
[ $rc != 0 ] && grep -q "^not ok .* - lib/util.c:$line: lib/ may not include cli/cli.h" "$t/out"
result $? "lib/ including cli/cli.h fails, naming lib/util.c:$line"

fresh
echo '#include "../runner/launch.h"' >>"$t/tree/netns/relay.c"
check
[ $? != 0 ] && grep -q "netns/relay.c:[0-9]*: netns/ may not include runner/launch.h" "$t/out"
result $? "netns/ including runner/launch.h fails"

fresh
# a new circle inside lib: digest.c includes proc.h, proc.c includes digest.h
echo '#include "proc.h"' >>"$t/tree/lib/digest.c"
echo '#include "digest.h"' >>"$t/tree/lib/proc.c"
check
[ $? != 0 ] && grep -q "a circle of includes: lib/digest <-> lib/proc" "$t/out"
result $? "a circle between lib/digest and lib/proc fails, named"

fresh
echo '#include "cmd-image.h"' >>"$t/tree/cli/cmd-info.c"
touch "$t/tree/cli/cmd-image.h"
check
[ $? != 0 ] && grep -q "cli/cmd-info.c:[0-9]*: a verb's file includes another verb's header cli/cmd-image.h" "$t/out"
result $? "a verb including another verb's header fails"

fresh
echo "lib/util.c -> cli/cli.h" >>"$t/tree/tests/check-deps.allow"
check
[ $? != 0 ] && grep -q 'check-deps.allow: "lib/util.c -> cli/cli.h" no longer occurs' "$t/out"
result $? "an allow line whose break is gone fails (the list only shrinks)"

echo "1..$n"
[ $failed = 0 ]
