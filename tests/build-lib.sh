# SPDX-License-Identifier: GPL-2.0-or-later
# build-lib.sh: what the build tests share (sourced after lib.sh).
#   ctx NAME          a fresh context directory $T/NAME, the test user's
#   put FILE CONTENT  a file of a context, written by the test user
#   bld ARGS...       berth build, its stdout in $T/out, stderr in $T/err
#                     (the end of stderr shown when it fails)
#   cached            how many steps of the last bld came from the cache
#   cfg IMAGE EXPR    a Python expression over the image's inspect (d),
#                     printed as JSON

ctx() { rm -rf "${T:?}/$1" && mkdir -p "$T/$1" && chown "$(as_user id -u)" "$T/$1" 2>/dev/null; echo "$T/$1"; }
put() { as_user mkdir -p "$(dirname "$1")" && as_user sh -c 'printf "%s" "$2" >"$1"' _ "$1" "$2"; }
bld() { berth build "$@" >"$T/out" 2>"$T/err" || { tail -5 "$T/err"; return 1; }; }
cached() { grep -c -- '--> Using cache' "$T/out"; }
cfg() { berth image inspect "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(json.dumps(eval(sys.argv[1], {'d': d})))" "$2"; }
