#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The C sources follow .clang-format (TAP: one line per file).
cd "$(dirname "$0")/.." || exit 1
n=0
bad=0
while IFS= read -r f; do
	n=$((n + 1))
	if clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "ok $n - $f is formatted"
	else
		echo "not ok $n - $f is formatted (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find runner fusefs tests -name '*.[ch]')
echo "1..$n"
[ $bad -eq 0 ]
