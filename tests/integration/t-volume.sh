#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# berth run's mounts: named and anonymous volumes (created on first use,
# kept or removed with their containers, ls/inspect/rm/prune, the image's
# VOLUME and its copy-up, two writers at once), bind mounts (live, ro,
# relative and ~ sources, ownership, keep-id, the host side untouched),
# the node_modules pattern, symlinked targets staying in the container's
# root, --tmpfs, and bad specs refused before anything is made.
. "$(dirname "$0")/../lib.sh"
require_fixtures
require_fuse
require_userns

# run_in DIR ARGS...: berth run from DIR (relative bind sources resolve there)
run_in() {
	local dir=$1; shift
	as_user env BERTH_FS="$BERTH_FS" bash -c 'cd "$1" && shift && exec "$@"' _ "$dir" "$BERTH" run "$@"
}
export -f run run_in expect_fail

bb=localhost/bb:latest
ml=localhost/fixture:multilayer
UID_=$(as_user id -u)
check_subuid

pre_cleanup() { rm_all_containers; }

nctr() { berth ps -a -q | wc -l; }
vols() { berth volume ls -q | LC_ALL=C sort; }
has_vol() { berth volume ls -q | grep -qxF -- "$1"; }
# the anonymous volume names a container's record holds
anon_of() {
	berth inspect "$1" | python3 -c '
import json, sys
for m in json.load(sys.stdin)[0]["Config"]["Mounts"]:
    if m.get("Type") == "volume" and m.get("Anonymous"):
        print(m["Name"])'
}
# a listing of a host tree: path, type, size, mode, owner, checksum
tree_sum() {
	(cd "$1" && find . -printf '%p %y %s %m %u\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r md5sum)
}

check "load the busybox and multilayer fixtures" -- bash -c "berth load -q -i '$FIXTURES/podman-bb.docker-archive.tar' && berth load -q -i '$FIXTURES/podman-multilayer.docker-archive.tar'"

# ---- named volumes --------------------------------------------------------
named_first_use() {
	! has_vol data || return 1
	run --rm -v data:/d $bb sh -c 'echo one > /d/f' && has_vol data
}
check "-v NAME:/path creates the named volume on first use" -- named_first_use
check "... the next container reads what the first wrote" -- bash -c "test \"\$(run --rm -v data:/d $bb cat /d/f)\" = one"
ls_table() {
	berth volume ls >"$T/o" && head -1 "$T/o" | grep -qE '^DRIVER +VOLUME NAME$' && grep -qE '^local +data$' "$T/o"
}
check "volume ls shows it (table)" -- ls_table
inspect_named() {
	berth volume inspect data >"$T/o" || return 1
	mp=$(python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 1 and a[0]["Name"] == "data" and a[0]["Anonymous"] is False, a
print(a[0]["Mountpoint"])' "$T/o") || return 1
	as_user test -d "$mp" && [ "$(as_user cat "$mp/f")" = one ]
}
check "volume inspect: its Mountpoint exists and holds the data" -- inspect_named
check "volume inspect of a missing volume fails naming it" -- expect_fail "nosuchvol" berth volume inspect nosuchvol

# ---- anonymous volumes: --rm, rm, rm -v, prune --------------------------
rm_keeps_named() {
	local before after
	before=$(vols)
	run --rm -v /anon -v keepme:/k $bb sh -c 'echo a > /anon/f; echo k > /k/f' || return 1
	after=$(vols)
	[ "$after" = "$(printf '%s\n' $before keepme | LC_ALL=C sort)" ]
}
check "--rm removes the anonymous volume but keeps the named one" -- rm_keeps_named
plain_rm_keeps() {
	run --name a1 -v /anon $bb sh -c 'echo a > /anon/f' || return 1
	A1=$(anon_of a1) && [ -n "$A1" ] && has_vol "$A1" || return 1
	berth rm a1 >/dev/null && has_vol "$A1"
}
check "plain rm keeps the anonymous volume" -- plain_rm_keeps
rm_v_removes() {
	run --name a2 -v /anon -v keep2:/k $bb true || return 1
	A2=$(anon_of a2) && [ -n "$A2" ] && has_vol "$A2" || return 1
	berth rm -v a2 >/dev/null && ! has_vol "$A2" && has_vol keep2
}
check "rm -v removes the anonymous volume, not the named one" -- rm_v_removes
in_use() {
	run --name holder -v held:/h -v /anonheld $bb true || return 1
	AH=$(anon_of holder)
	expect_fail "in use" berth volume rm held && has_vol held &&
		expect_fail "in use" berth volume rm "$AH" && has_vol "$AH"
}
check "volume rm of a volume a stopped container uses: refused, \"in use\"" -- in_use
check "volume create, and its name in ls" -- bash -c "berth volume create unused1 >/dev/null && berth volume ls -q | grep -qx unused1"
prune_anon() {
	berth volume prune >/dev/null || return 1
	! has_vol "$A1" && has_vol unused1 && has_vol data && has_vol held && has_vol "$AH"
}
check "volume prune removes unused anonymous volumes only" -- prune_anon
prune_all() {
	berth volume prune -a >/dev/null || return 1
	! has_vol unused1 && ! has_vol data && ! has_vol keepme && has_vol held && has_vol "$AH"
}
check "volume prune -a removes unused named ones too, never used ones" -- prune_all
rm_after() {
	berth rm holder >/dev/null && berth volume rm held "$AH" >/dev/null && ! has_vol held && ! has_vol "$AH"
}
check "after the container is removed, volume rm works" -- rm_after

# ---- the image's VOLUME and copy-up ------------------------------------
mlr() { run --rm --entrypoint '' -u 0 "$@"; }
image_volume() {
	local before out
	before=$(vols)
	out=$(mlr $ml sh -c 'grep -q " /data " /proc/mounts && cat /data/keep/new /data/keep/old | tr "\n" " "') || return 1
	[ "$out" = "new old " ] && [ "$(vols)" = "$before" ]
}
check "the image's VOLUME: a mounted anonymous volume with the image's content (removed by --rm)" -- image_volume
image_volume_is_volume() {
	run --name mlc --entrypoint '' -u 0 $ml sh -c 'echo w > /data/keep/w' || return 1
	local a
	a=$(anon_of mlc) && [ -n "$a" ] && has_vol "$a" && berth diff mlc >"$T/o" &&
		! grep -q '^[ACD] /data/' "$T/o" && berth rm -v mlc >/dev/null && ! has_vol "$a"
}
check "... which is a volume: the writes are not in diff, rm -v removes it" -- image_volume_is_volume
check "nocopy: an empty volume at the image's VOLUME" -- bash -c "test -z \"\$(run --rm --entrypoint '' -u 0 -v nc:/data:nocopy $ml ls -A /data)\""
named_copy_up() {
	[ "$(mlr -v mlv:/data $ml sh -c 'cat /data/keep/old; rm /data/keep/old; echo added > /data/keep/added')" = old ] &&
		[ "$(mlr -v mlv:/data $ml ls /data/keep | tr '\n' ' ')" = "added new " ]
}
check "a fresh named volume gets the image's content once; later containers see changes" -- named_copy_up
nocopy_first() {
	mlr -v ncf:/data:nocopy $ml sh -c 'echo mine > /data/mine' &&
		[ "$(mlr -v ncf:/data $ml ls -A /data | tr '\n' ' ')" = "mine " ]
}
check "a volume a nocopy container wrote first is not filled later (docker: only an empty one)" -- nocopy_first

# ---- two writers at once -------------------------------------------------
two_writers() {
	# w1 appends until it sees w2's last line (proof both ran at once)
	run -d --name w1 -v shared:/s $bb sh -c '
		i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo w1-$i >> /s/log
			grep -q w2-done /s/log && exit 0; sleep 0.02; done; exit 3' >/dev/null || return 1
	run --rm -v shared:/s $bb sh -c '
		n=0; until grep -q w1- /s/log 2>/dev/null; do n=$((n+1)); [ $n -gt 100 ] && exit 4; sleep 0.05; done
		for i in $(seq 1 20); do echo w2-$i >> /s/log; sleep 0.01; done; echo w2-done >> /s/log' || return 1
	[ "$(berth wait w1)" = 0 ] || return 1
	run --rm -v shared:/s $bb cat /s/log >"$T/log" || return 1
	local n1
	n1=$(grep -c '^w1-' "$T/log")
	[ "$(grep -c '^w2-[0-9]*$' "$T/log")" = 20 ] && [ "$n1" -ge 2 ] &&
		[ "$(grep '^w1-' "$T/log" | tr '\n' ' ')" = "$(seq -f 'w1-%g' 1 "$n1" | tr '\n' ' ')" ] &&
		berth rm w1 >/dev/null
}
check "two containers write one named volume at once; a third reads both" -- two_writers

# ---- bind mounts ----------------------------------------------------------
as_user sh -c "mkdir -p '$T/src/sub' '$T/rw' && echo hello > '$T/src/a.txt' && echo deep > '$T/src/sub/b.txt' && chmod 0640 '$T/src/sub/b.txt'"
SRC_SUM=$(tree_sum "$T/src")
src_untouched() { [ "$(tree_sum "$T/src")" = "$SRC_SUM" ]; }

check "-v /abs:/app shows the host's files" -- bash -c "test \"\$(run --rm -v '$T/src':/app $bb cat /app/a.txt /app/sub/b.txt | tr '\n' ' ')\" = 'hello deep '"
live_bind() {
	run -d --name bnd -v "$T/rw":/app $bb sleep 30 >/dev/null || return 1
	as_user sh -c "echo v1 > '$T/rw/live'" && [ "$(berth exec bnd cat /app/live)" = v1 ] &&
		as_user sh -c "echo v2 > '$T/rw/live'" && [ "$(berth exec bnd cat /app/live)" = v2 ] &&
		berth exec bnd sh -c 'echo fromc > /app/written; mkdir /app/cdir' &&
		[ "$(cat "$T/rw/written")" = fromc ] &&
		[ "$(stat -c %u "$T/rw/written")" = "$UID_" ] && [ "$(stat -c %u "$T/rw/cdir")" = "$UID_" ] &&
		berth rm -f bnd >/dev/null
}
check "a host edit shows at once in a running container; its writes are the user's on the host" -- live_bind
check ":ro refuses writes" -- expect_fail "Read-only file system" run --rm -v "$T/src":/app:ro $bb sh -c 'cat /app/a.txt >/dev/null && echo x > /app/a.txt'
check "--mount type=bind,...,readonly refuses writes" -- expect_fail "Read-only file system" run --rm --mount "type=bind,src=$T/src,dst=/app,readonly" $bb sh -c 'cat /app/a.txt >/dev/null && touch /app/new'
check "--mount type=bind,source=,target= reads" -- bash -c "test \"\$(run --rm --mount 'type=bind,source=$T/src,target=/app' $bb cat /app/a.txt)\" = hello"
check "./rel resolves against the working directory" -- bash -c "test \"\$(run_in '$T' --rm -v ./src:/app $bb cat /app/a.txt)\" = hello"
check "~/x resolves against HOME" -- bash -c "test \"\$(run_in / --rm -v '~/src:/app' $bb cat /app/a.txt)\" = hello"
missing_src() { # missing_src SPEC NAMED-PATH HOST-PATH [DIR]
	local n v
	n=$(nctr) && v=$(vols)
	expect_fail "$2" run_in "${4:-/}" --name miss -v newvol:/y -v "$1" $bb true &&
		[ "$(nctr)" = "$n" ] && [ "$(vols)" = "$v" ] && [ ! -e "$3" ] && [ ! -L "$3" ]
}
check "a missing bind source fails naming it; no container, no directory" -- missing_src "$T/nosuch:/app" "$T/nosuch" "$T/nosuch"
check "... the same for ./rel" -- missing_src "./nosuch2:/app" "nosuch2" "$T/nosuch2" "$T"
check "... and for --mount" -- bash -c "n=\$(berth ps -a -q | wc -l); expect_fail '$T/nosuch3' run --name miss --mount 'type=bind,src=$T/nosuch3,dst=/app' $bb true && test \"\$(berth ps -a -q | wc -l)\" = \$n && test ! -e '$T/nosuch3'"
rm_v_bind() {
	run --name bv -v "$T/src":/app -v /anon $bb ls /app >/dev/null && berth rm -v bv >/dev/null && src_untouched
}
check "rm -v never touches a bind source" -- rm_v_bind
check "the bind source is unchanged after all of that" -- src_untouched
check "the written-to one holds just what was written" -- bash -c "test \"\$(cd '$T/rw' && find . | LC_ALL=C sort | tr '\n' ' ')\" = '. ./cdir ./live ./written '"

# ---- node_modules: a volume over part of a bind mount -------------------
node_image() {
	run --name nb $bb sh -c 'mkdir -p /app/node_modules/pkg && echo lib > /app/node_modules/pkg/index.js' &&
		berth commit nb localhost/node:1 >/dev/null && berth rm nb >/dev/null
}
check "make an image with /app/node_modules" -- node_image
as_user sh -c "mkdir -p '$T/proj' && echo 'main v1' > '$T/proj/main.js'"
node_modules() {
	run -d --name web -v "$T/proj":/app -v /app/node_modules localhost/node:1 sleep 30 >/dev/null || return 1
	[ "$(berth exec web cat /app/main.js /app/node_modules/pkg/index.js | tr '\n' ' ')" = "main v1 lib " ] &&
		as_user sh -c "echo 'main v2' > '$T/proj/main.js'" &&
		[ "$(berth exec web cat /app/main.js)" = "main v2" ] &&
		[ ! -e "$T/proj/node_modules/pkg" ] && [ -z "$(ls -A "$T/proj/node_modules" 2>/dev/null)" ] &&
		[ "$(cd "$T/proj" && find . ! -name node_modules | LC_ALL=C sort | tr '\n' ' ')" = ". ./main.js " ] &&
		berth rm -f -v web >/dev/null &&
		[ "$(cd "$T/proj" && find . | LC_ALL=C sort | tr '\n' ' ')" = ". ./main.js " ]
}
check "bind /app + volume /app/node_modules: host code and image modules both, modules stay off the host, and the mount point berth made there goes with the container" -- node_modules
made_kept() {
	# a mount point the user filled meanwhile stays, with what is in it
	run -d --name web2 -v "$T/proj":/app -v /app/node_modules -v /app/x/y localhost/node:1 sleep 30 >/dev/null &&
		as_user sh -c "echo mine > '$T/proj/node_modules/mine'" &&
		berth rm -f -v web2 >/dev/null &&
		[ "$(cd "$T/proj" && find . | LC_ALL=C sort | tr '\n' ' ')" = ". ./main.js ./node_modules ./node_modules/mine " ] &&
		as_user rm -r "$T/proj/node_modules"
}
check "... but not when the user put something in it meanwhile" -- made_kept
node_modules_reversed() {
	[ "$(run --rm -v /app/node_modules -v "$T/proj":/app localhost/node:1 cat /app/main.js /app/node_modules/pkg/index.js | tr '\n' ' ')" = "main v2 lib " ] &&
		[ "$(cd "$T/proj" && find . | LC_ALL=C sort | tr '\n' ' ')" = ". ./main.js " ]
}
check "... the same with the flags the other way round (--rm: nothing left in the folder)" -- node_modules_reversed

# ---- ownership: what a container makes, the user can always remove ------
if [ $SUBUID = 1 ]; then
	own_cmd='mkdir -p /o/d/e && echo x > /o/d/e/f && chown -R 1234:1234 /o/d && chmod 000 /o/d/e /o/d && echo y > /a/f && mkdir /a/z && chown -R 1234 /a && chmod 000 /a/z'
	own_desc="uid 1234"
else
	own_cmd='mkdir -p /o/d/e && echo x > /o/d/e/f && chmod 000 /o/d/e /o/d && echo y > /a/f && mkdir /a/z && chmod 000 /a/z'
	own_desc="root"
fi
ownership() {
	run --name own -v ownv:/o -v /a $bb sh -c "$own_cmd" || return 1
	local a mp
	a=$(anon_of own)
	mp=$(berth volume inspect ownv | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["Mountpoint"])') &&
		[ "$(stat -c %a "$mp/d")" = 0 ] && [ "$(stat -c %a "$mp/d/e")" = 0 ] || return 1
	if [ $SUBUID = 1 ]; then [ "$(stat -c %u "$mp/d")" != "$UID_" ] || return 1; fi
	berth rm -v own >/dev/null && ! has_vol "$a" && berth volume rm ownv >/dev/null && ! has_vol ownv
}
check "mode-000 trees made by $own_desc in volumes: rm -v and volume rm remove them" -- ownership
volumes_empty() {
	local left
	pre_cleanup
	berth volume prune -a >/dev/null || return 1
	left=$(as_user find "$BERTH_ROOT/volumes" -mindepth 1 -maxdepth 1 ! -name .lock)
	[ -z "$left" ] || { echo "left: $left" >&2; return 1; }
}
check "nothing is left under volumes/" -- volumes_empty

# ---- keep-id -------------------------------------------------------------
if [ $SUBUID = 1 ]; then
	keep_id() {
		[ "$(run --rm --userns=keep-id -v "$T/src":/app $bb sh -c 'id -u; stat -c %u /app/a.txt /app/sub' | tr '\n' ' ')" = "$UID_ $UID_ $UID_ " ]
	}
	check "--userns=keep-id: your uid inside, your files look yours" -- keep_id
	keep_id_write() {
		run --rm --userns=keep-id -v "$T/rw":/app $bb sh -c 'echo k > /app/kfile' &&
			[ "$(stat -c %u "$T/rw/kfile")" = "$UID_" ] && [ "$(cat "$T/rw/kfile")" = k ]
	}
	check "... and a file made inside is yours on the host" -- keep_id_write
	keep_id_name() {
		[ "$(run --rm --userns=keep-id $bb sh -c 'id -un; id -gn' | tr '\n' ' ')" = "$(as_user id -un) $(as_user id -gn) " ]
	}
	check "... under your own name (added to the image's passwd and group)" -- keep_id_name
else
	no_keep_id() {
		local n
		n=$(nctr)
		expect_fail "subuid" run --name kid --userns=keep-id -v "$T/src":/app $bb true && [ "$(nctr)" = "$n" ]
	}
	check "--userns=keep-id without a subuid range is refused, no container" -- no_keep_id
fi

# ---- symlinked targets stay in the container's root ---------------------
as_user mkdir "$T/decoy"
evil_image() {
	run --name s1 $bb sh -c "ln -s '$T/outside' /evil && ln -s '/../../../..$T/escape' /evil2 &&
		ln -s '$T/decoy' /linkdir && ln -s /../../../../etc /etcl && mkdir /realdir && ln -s ../../../../realdir /rel" &&
		berth commit s1 localhost/evil:1 >/dev/null && berth rm s1 >/dev/null
}
check "make an image with symlinks to host paths and out of /" -- evil_image
host_clean() {
	[ ! -e "$T/outside" ] && [ ! -e "$T/escape" ] && [ -z "$(ls -A "$T/decoy")" ] && [ ! -e /etc/sub ] &&
		[ ! -e /realdir ] && src_untouched
}
# sym_volume TARGET INSIDE: the volume at TARGET, which resolves to INSIDE
# in the container's root, and nothing on the host
sym_volume() {
	run --rm -v "evilv:$1" localhost/evil:1 sh -c "echo in > $1/f && grep -q ' $2 ' /proc/mounts && test \$(cat $2/f) = in" &&
		[ "$(run --rm -v evilv:/v $bb cat /v/f)" = in ] && host_clean && berth volume rm evilv >/dev/null
}
check "-v vol:/etcl/sub (/etcl -> /../../../../etc): mounted at /etc/sub in the container" -- sym_volume /etcl/sub /etc/sub
check "-v vol:/rel/x (/rel -> ../../../../realdir): mounted at /realdir/x in the container" -- sym_volume /rel/x /realdir/x
# A target that is a dangling symlink to a host path: the link is
# followed inside the container's root and its target made there (as
# docker does); never anything on the host, no container left.
sym_dangling() { # sym_dangling TARGET RESOLVED -v SPEC
	local n rc=0
	n=$(nctr)
	run --rm "${@:3}" localhost/evil:1 sh -c "grep -q ' $2 ' /proc/mounts && ls $1/ >/dev/null" >"$T/sd.out" 2>"$T/sd.err" || rc=$?
	[ $rc = 0 ] || { echo "rc=$rc" >&2; cat "$T/sd.err" >&2; return 1; }
	[ "$(nctr)" = "$n" ] && host_clean && berth volume rm -f evilv >/dev/null
}
check "-v vol:/evil (-> an absolute host path): inside the container's root, host untouched" -- sym_dangling /evil "$T/outside" -v evilv:/evil
check "-v vol:/evil2 (-> /../../..$T/escape): the same" -- sym_dangling /evil2 "$T/escape" -v evilv:/evil2
check "-v vol:/linkdir/sub (through a symlinked directory to a host path): the same" -- sym_dangling /linkdir "$T/decoy/sub" -v evilv:/linkdir/sub
check "-v /src:/evil, a bind mount on a symlink to a host path: the same" -- sym_dangling /evil "$T/outside" -v "$T/src:/evil"
check "-v /src:/linkdir/sub:ro: the same" -- sym_dangling /linkdir "$T/decoy/sub" -v "$T/src:/linkdir/sub:ro"
sym_bind() {
	[ "$(run --rm -v "$T/src":/etcl/app:ro localhost/evil:1 cat /etc/app/a.txt)" = hello ] && [ ! -e /etc/app ] && host_clean
}
check "a bind mount through /etcl lands at /etc/app in the container" -- sym_bind

# ---- bad specs: exit 125, a message, nothing made ------------------------
as_user sh -c 'printf x > "$1"' _ "$T/secretval"
bad_spec() { # bad_spec MESSAGE RUN-ARGS...
	local msg=$1 n v rc=0
	shift
	n=$(nctr) && v=$(vols)
	run --name badspec "$@" $bb true >"$T/bs.out" 2>"$T/bs.err" || rc=$?
	[ $rc = 125 ] && grep -qiF -- "$msg" "$T/bs.err" && [ "$(nctr)" = "$n" ] && [ "$(vols)" = "$v" ] ||
		{ echo "rc=$rc" >&2; cat "$T/bs.err" >&2; return 1; }
}
check "-v :: is refused" -- bad_spec "::" -v ::
check "-v a name with a slash is refused" -- bad_spec "relative-name-with/slash" -v relative-name-with/slash:/x
check "--mount with an unknown key is refused" -- bad_spec '"foo"' -v newvol1:/y --mount type=bind,foo=1,dst=/x
check "--mount with a relative target is refused" -- bad_spec "relative" -v newvol1:/y --mount type=volume,dst=relative
check "-v with an unknown option is refused" -- bad_spec "bogus" -v newvol1:/x:bogus
check "two mounts on one target: duplicate mount point" -- bad_spec "duplicate mount point" -v newvol1:/x -v newvol2:/x
check "... also a bind and a tmpfs" -- bad_spec "duplicate mount point" -v "$T/src":/x --tmpfs /x
check "--secret of a missing secret: no such secret" -- bad_spec "no such secret" -v newvol1:/x --secret nosuch

# ---- tmpfs ---------------------------------------------------------------
check "--tmpfs /t:size=1m mounts a 1 MiB tmpfs" -- bash -c "run --rm --tmpfs /t:size=1m $bb grep -E '^[^ ]+ /t tmpfs [^ ]*size=1024k' /proc/mounts"

check "no container is left" -- bash -c "test -z \"\$(berth ps -a -q)\""
final_store() {
	pre_cleanup
	berth volume prune -a >/dev/null && [ -z "$(berth ps -a -q)" ] &&
		! grep -q "$BERTH_ROOT" /proc/mounts && as_user rm -rf "$BERTH_ROOT" && [ ! -e "$BERTH_ROOT" ]
}
check "the user can remove the whole store" -- final_store
finish
