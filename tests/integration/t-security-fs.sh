#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host-side filesystem work on trees a container can write, attacked from
# where an attacker sits: a co-tenant container swapping a directory of a
# shared volume for a symlink to a host directory while the volume is
# filled, `cp` both ways against swapped names and planted FIFOs (running
# and stopped containers), `rm` of a 1,400-deep tree under RLIMIT_NOFILE
# 1024, volume removal against a co-tenant churning mode-000 directories
# and links, hostile /etc/passwd and /etc/group (FIFO, device, symlink to
# /dev/zero, 100 MB) for run -u, exec -u and keep-id, images whose /proc,
# /sys or /dev is not a directory, an upper layer given to `image mount`
# with a planted link, and commit/diff leaving berth's own mount points
# out. The host side is always what is asserted: a victim directory's
# tree hash and modes, no hang (every step under timeout).
. "$(dirname "$0")/../lib.sh"
require_fuse
require_userns

# tb SECONDS ARGS...: berth under timeout (124 when it hung)
tb() {
	local s=$1; shift
	timeout -k 5 "$s" bash -c 'b "$@"' _ "$@"
}
export -f run b tb expect_fail

check_subuid

pre_cleanup() {
	rm_all_containers
	as_user fusermount3 -u "$T/mnt" 2>/dev/null
}

# a host tree's listing: path, type, size, mode, and every file's hash
tree_sum() {
	(cd "$1" && find . -printf '%p %y %s %m\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0r md5sum)
}
# the victim: a host directory of the test user's that no container may
# change, 0700 (a chmod through a link would show), with a file and an
# empty subdirectory; and a 0500 one (what rm's "make it writable" would
# change)
# (made again after each check that looks at it, so that one failure
# does not spill into the next check)
victim_make() {
	chmod -R u+rwx "$T/victim" "$T/victim5" 2>/dev/null
	rm -rf "$T/victim" "$T/victim5"
	as_user mkdir -p "$T/victim/sub" "$T/victim/x" "$T/victim5"
	as_user sh -c "echo precious > '$T/victim/file'"
	chmod 0700 "$T/victim"
	chmod 0500 "$T/victim5"
}
victim_make
VICTIM_SUM=$(tree_sum "$T/victim")
victim_intact() {
	local rc=0
	victim_check || rc=1
	[ $rc = 0 ] || victim_make
	return $rc
}
victim_check() {
	[ "$(tree_sum "$T/victim")" = "$VICTIM_SUM" ] && [ "$(stat -c %a "$T/victim")" = 700 ] &&
		[ "$(stat -c %a "$T/victim5")" = 500 ] || {
		echo "#   victim changed: $(stat -c %a "$T/victim") $(stat -c %a "$T/victim5")" >&2
		tree_sum "$T/victim" | diff <(echo "$VICTIM_SUM") - | head -5 >&2
		return 1
	}
}

tools_image localhost/tools:latest
TOOLS=localhost/tools:latest
# mkimage NAME: the tools image's tree in $T/img (edit it, then call
# mkimage_done NAME [PYTHON-TAR-EDIT])
mkimage() { rm -rf "$T/img" && cp -a "$T/tools-root" "$T/img"; }
mkimage_done() {
	tar --numeric-owner --owner=0 --group=0 -C "$T/img" -cf "$T/img.tar" .
	if [ -n "${2:-}" ]; then python3 -c "$2" "$T/img.tar" || return 1; fi
	chmod 0644 "$T/img.tar"
	berth import -q "$T/img.tar" "$1" >/dev/null
}

# ---- a volume filled while a co-tenant swaps its directories ----------------
# The image's /data/d (1777, 1,500 files) is copied into a new volume by
# the starting container, as root of its user namespace with the host's
# view. A co-tenant that mounts the same volume (nocopy: the copy stays to
# do) waits for d to appear and exchanges it with a symlink to the
# victim: the copy's owner/mode/time step on d must not follow it.
mkimage
mkdir -p "$T/img/data/d/e"
(cd "$T/img/data/d" && seq 1 1500 | sed 's/^/f/' | xargs touch && echo hi >e/g)
chmod 1777 "$T/img/data/d"
mkimage_done localhost/fill:latest
fill_round() { # fill_round N
	local v=fillv$1
	b volume create "$v" >/dev/null || return 1
	run -d --name "atk$1" -v "$v:/data:nocopy" $TOOLS /attack-fs swap /data/d "$T/victim" 2 \
		>/dev/null || return 1
	local rc=0
	tb 60 run --rm -v "$v:/data" localhost/fill:latest true >/dev/null 2>"$T/fill.err" || rc=$?
	[ $rc -ne 124 ] || { echo "#   the fill hung" >&2; return 1; }
	# the race may make the fill fail (a clear error) or not
	[ $rc -eq 0 ] && fills=$((fills + 1))
	tb 20 wait "atk$1" >/dev/null
	b logs "atk$1" >>"$T/swaps" 2>&1
	b rm -f "atk$1" >/dev/null && b volume rm "$v" >/dev/null ||
		{ sed 's/^/#   the fill: /' "$T/fill.err" >&2; return 1; }
}
fill_race() {
	fills=0
	: >"$T/swaps"
	# (the fill followed the link within 1 to 3 rounds in every run before
	# the fix: four rounds keep the check's power at half its time)
	for i in 1 2 3 4; do
		fill_round $i || return 1
		victim_intact || { echo "#   round $i" >&2; return 1; }
	done
}
check "a co-tenant swapping a volume's directory for a link during the fill: the host victim is untouched (4 rounds)" -- fill_race
diag "fills that succeeded despite the race: $fills of 4"
swaps_seen() { grep -qE '^swapped [1-9][0-9]{2,}' "$T/swaps" || { cat "$T/swaps" >&2; return 1; }; }
check "... and the co-tenant really swapped during the fills" -- swaps_seen

# ---- rm of deep and hostile trees --------------------------------------------
# berth_nofile N ARGS...: berth with RLIMIT_NOFILE N (the common default)
berth_nofile() {
	local n=$1; shift
	as_user env BERTH_FS="$BERTH_FS" bash -c 'ulimit -n "$0" && exec "$@"' "$n" "$BERTH" "$@"
}
export -f berth_nofile
# a container whose writable layer holds a 1,400-deep tree with a link to
# the 0500 victim at every level
deep_ctr() {
	run --name deep $TOOLS /attack-fs deep /tmp 1400 "$T/victim5" >/dev/null &&
		test -d "$(echo "$BERTH_ROOT"/containers/*/upper/diff/tmp/d/d/d)"
}
check "a container makes a 1,400-deep tree in its layer" -- deep_ctr
rm_deep() {
	timeout -k 5 120 bash -c 'berth_nofile 1024 rm deep' >/dev/null &&
		! b ps -a | grep -q deep && [ -z "$(ls -A "$BERTH_ROOT/containers")" ]
}
check "rm removes it with RLIMIT_NOFILE 1024" -- rm_deep
check "... and the directory its links named is untouched" -- victim_intact

# a volume with the same, mode-000 directories and (with a subuid
# range) a subtree owned by another of the container's ids
vol_deep() {
	local own=""
	[ $SUBUID = 1 ] && own="chown -R 1000:1000 /v/o && chmod 000 /v/o/d/d;"
	run --rm -v deepv:/v $TOOLS sh -c "/attack-fs deep /v 1400 '$T/victim' >/dev/null &&
		mkdir -p /v/z/y/x /v/o/d/d/d && ln -s '$T/victim' /v/z/y/x/l &&
		chmod 000 /v/z/y/x /v/z/y /v/z /v/d/d/d; $own true"
}
check "a container fills a volume with a 1,400-deep tree and mode-000 directories" -- vol_deep
rm_vol_deep() {
	timeout -k 5 120 bash -c 'berth_nofile 1024 volume rm deepv' >/dev/null &&
		! b volume ls -q | grep -q deepv && [ -z "$(ls -A "$BERTH_ROOT/volumes" | grep -v '^\.lock$')" ]
}
check "volume rm removes it with RLIMIT_NOFILE 1024" -- rm_vol_deep
check "... and the directories its links named are untouched" -- victim_intact

# volume rm against a co-tenant that has the volume's directory bound
# (no record names it a user) and keeps a mode-000 directory and a link
# to the 0500 victim exchanging places: rm's "make it writable" step must
# never reach the victim
# lexists PATH: a name is there (a link, dangling or not, or anything)
lexists() { [ -e "$1" ] || [ -L "$1" ]; }
rm_race() {
	local i
	for i in 1 2 3 4; do
		b volume create "rmv$i" >/dev/null &&
			as_user mkdir -p "$BERTH_ROOT/volumes/rmv$i/_data/a/b" || return 1
		run -d --name "churn$i" -v "$BERTH_ROOT/volumes/rmv$i/_data:/v" $TOOLS \
			/attack-fs churn /v/a/x "$T/victim5" 000 3 32 >/dev/null || return 1
		# (the churn is under way: its first round made the last pair)
		wait_for 10 lexists "$BERTH_ROOT/volumes/rmv$i/_data/a/x31.lnk" || return 1
		tb 60 volume rm "rmv$i" >/dev/null 2>&1
		[ $? -ne 124 ] || { echo "#   volume rm hung" >&2; return 1; }
		b rm -f "churn$i" >/dev/null
		victim_intact || { echo "#   round $i" >&2; return 1; }
	done
}
check "volume rm racing a co-tenant swapping 32 mode-000 directories and links: the victim is untouched (4 rounds)" -- rm_race
# what a failed removal left (out of sight, .rm-*) still goes
cleanup_rm() { as_user rm -rf "$BERTH_ROOT"/volumes/.rm-* 2>/dev/null; as_user chmod -R u+rwx "$BERTH_ROOT/volumes" 2>/dev/null; as_user rm -rf "$BERTH_ROOT"/volumes/.rm-*; true; }
cleanup_rm

# ---- cp against swapped names and planted FIFOs ------------------------------
# The container swaps its /src/f with a FIFO and its /src/d with a link
# to the victim while cp runs, both ways; /dst has a FIFO and a link to
# the victim waiting for cp's writes. Nothing may hang, nothing may reach
# the victim.
as_user mkdir -p "$T/cpin/sub" && as_user sh -c "echo from-host >'$T/cpin/file' && echo x >'$T/cpin/sub/y'"
cp_ctr() {
	run -d --name cpr $TOOLS sh -c "mkdir -p /src/d/e /dst && head -c 262144 /dev/urandom >/src/f &&
		echo inner >/src/d/e/g && mkfifo /dst/fifo && ln -s '$T/victim' /dst/link &&
		ln -s '$T/victim/file' /dst/flink && /attack-fs ready /ready &&
		(/attack-fs swapfifo /src/f 60 & /attack-fs swap /src/d '$T/victim' 60 & wait)" >/dev/null &&
		wait_for 10 b cp cpr:/ready "$T/ready"
}
check "a running container that swaps its files for FIFOs and links" -- cp_ctr
# cp_many N ARGS...: berth cp N times, each under timeout 10: no hang
cp_many() {
	local n=$1 i rc; shift
	for i in $(seq 1 "$n"); do
		rc=0
		tb 10 cp "$@" >/dev/null 2>"$T/cp.err" || rc=$?
		[ $rc -ne 124 ] || { echo "#   cp $* hung (try $i)" >&2; return 1; }
	done
}
check "cp from it while /src/f turns into a FIFO: never hangs (30 copies)" -- cp_many 30 cpr:/src/f "$T/cpout-f"
check "cp from it while /src/d turns into a link to the victim: never hangs (20 copies)" -- cp_many 20 cpr:/src "$T/cpout-d"
cp_links_are_links() {
	# whatever was copied: links stay links, nothing of the victim's
	! find "$T/cpout-d" "$T/cpout-f" -type f -exec grep -l precious {} + 2>/dev/null | grep -q .
}
check "... what came out holds nothing of the victim's" -- cp_links_are_links
check "cp into it while /src/d turns into a link: never hangs (20 copies)" -- cp_many 20 "$T/cpin" cpr:/src/d
check "... the victim is untouched" -- victim_intact
check "cp onto a FIFO in a running container: refused at once" -- expect_fail "not a regular file" tb 10 cp "$T/cpin/file" cpr:/dst/fifo
check "cp onto a link to a host file in a running container: refused" -- expect_fail "not a regular file" tb 10 cp "$T/cpin/file" cpr:/dst/flink
check "cp into a link to a host directory in a running container stays in the container" -- bash -c "tb 10 cp '$T/cpin' cpr:/dst/link; true"
check "... the victim is untouched" -- victim_intact
check "stop it" -- tb 30 stop -t 1 cpr
check "cp onto a FIFO in a stopped container: refused at once" -- expect_fail "not a regular file" tb 20 cp "$T/cpin/file" cpr:/dst/fifo
check "cp onto a link to a host file in a stopped container: refused" -- expect_fail "not a regular file" tb 20 cp "$T/cpin/file" cpr:/dst/flink
check "cp into a link to a host directory in a stopped container stays in the container" -- bash -c "tb 20 cp '$T/cpin' cpr:/dst/link; true"
check "cp into the stopped container's /src/d (left a link or a directory)" -- bash -c "tb 20 cp '$T/cpin' cpr:/src/d; true"
cp_stopped_out() {
	tb 20 cp cpr:/dst "$T/cpout-s" || return 1
	# the links come out as links, the FIFO is left out
	[ -L "$T/cpout-s/link" ] && [ -L "$T/cpout-s/flink" ] && [ ! -e "$T/cpout-s/fifo" ]
}
check "cp from the stopped container: links come out as links, the FIFO is left out" -- cp_stopped_out
check "... the victim is untouched" -- victim_intact
b rm -f cpr >/dev/null 2>&1

# ---- hostile /etc/passwd and /etc/group ---------------------------------------
# images whose user database is a FIFO, a device, a link to /dev/zero or
# 100 MB (alice's line at its very end); every run -u / exec -u must end
# within seconds with one line naming the file
ADD_DEV='import sys, tarfile
t = tarfile.open(sys.argv[1], "a")
i = tarfile.TarInfo("./etc/passwd"); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 5; i.mode = 0o644
t.addfile(i); t.close()'
mkuserdb() { # mkuserdb NAME KIND FILE
	mkimage
	rm -f "$T/img/etc/$3"
	case $2 in
	fifo) mkfifo "$T/img/etc/$3" ;;
	zero) ln -s /dev/zero "$T/img/etc/$3" ;;
	huge) { yes 'u:x:5000:5000::/:/bin/sh' | head -c 104857600; echo 'alice:x:1000:1000::/home/alice:/bin/sh'; } >"$T/img/etc/$3" ;;
	dev) ;;
	esac
	if [ "$2" = dev ]; then mkimage_done "$1" "$ADD_DEV"; else mkimage_done "$1"; fi
}
check "images with a FIFO, a device, a /dev/zero link, 100 MB as /etc/passwd, a FIFO as /etc/group" -- bash -c "
	$(declare -f mkimage mkimage_done mkuserdb); T='$T'; ADD_DEV='$ADD_DEV'
	mkuserdb localhost/pw:fifo fifo passwd && mkuserdb localhost/pw:dev dev passwd &&
	mkuserdb localhost/pw:zero zero passwd && mkuserdb localhost/pw:huge huge passwd &&
	mkuserdb localhost/gr:fifo fifo group && rm -rf '$T/img' '$T/img.tar'"
# quick_fail WANT SECONDS ARGS...: berth fails with WANT in its one-line
# error, within SECONDS. (The runs that fail in the container's setup use
# --network none: with slirp4netns, a setup that fails at once is
# reported as slirp4netns's failure, or berth dies of SIGPIPE, launch.c's
# start_network; a separate fix.)
quick_fail() {
	local want=$1 secs=$2 start=$SECONDS; shift 2
	expect_fail "$want" tb "$secs" "$@" || return 1
	# (without a subuid range every run also warns about the mapping)
	[ "$(grep -vc 'warning: no subuid' "$T/ef.err")" = 1 ] || { cat "$T/ef.err" >&2; return 1; }
	[ $((SECONDS - start)) -lt "$secs" ]
}
for k in fifo dev zero; do
	check "run -u alice, /etc/passwd a $k: refused at once, naming the file" -- \
		quick_fail "/etc/passwd in the container is" 20 run --rm --network none -u alice localhost/pw:$k true
done
check "run -u alice, /etc/passwd 100 MB: refused at once, naming the file" -- \
	quick_fail "/etc/passwd in the container is larger than" 20 run --rm --network none -u alice localhost/pw:huge true
check "run -u alice, /etc/group a FIFO: refused at once, naming the file" -- \
	quick_fail "/etc/group in the container is a FIFO" 20 run --rm --network none -u alice localhost/gr:fifo true
check "run -u alice:alice, /etc/group a FIFO: refused at once, naming the file" -- \
	quick_fail "/etc/group in the container is a FIFO" 20 run --rm --network none -u alice:alice localhost/gr:fifo true
if [ $SUBUID = 1 ]; then
	check "run --userns=keep-id, /etc/passwd a FIFO: refused at once, naming the file" -- \
		quick_fail "/etc/passwd in the container is a FIFO" 20 run --rm --network none --userns=keep-id localhost/pw:fifo true
	check "run --userns=keep-id, /etc/passwd a /dev/zero link: refused at once" -- \
		quick_fail "/etc/passwd in the container is a symbolic link" 20 run --rm --network none --userns=keep-id localhost/pw:zero true
else
	check "run --userns=keep-id needs a subuid range (the keep-id copy is tested with one)" -- \
		expect_fail "subuid" run --rm --network none --userns=keep-id localhost/pw:fifo true
fi
# a running container turns its own files hostile: exec -u reads them
# (a device it cannot make: mknod needs CAP_MKNOD of the host)
exec_hostile() { # exec_hostile NAME PREP WANT
	run -d --name "$1" $TOOLS sh -c "$2 && /attack-fs ready /ready && sleep 600" >/dev/null &&
		wait_for 10 b cp "$1:/ready" "$T/ready-$1" &&
		quick_fail "$3" 20 exec -u alice "$1" true
}
check "exec -u alice, /etc/passwd made a FIFO by the container: refused at once" -- \
	exec_hostile ex1 "rm /etc/passwd && mkfifo /etc/passwd" "/etc/passwd in the container is a FIFO"
check "exec -u alice, /etc/passwd made a link to /dev/zero: refused at once" -- \
	exec_hostile ex3 "ln -sf /dev/zero /etc/passwd" "/etc/passwd in the container is a symbolic link"
check "exec -u alice, /etc/passwd made 100 MB: refused at once" -- \
	exec_hostile ex4 "dd if=/dev/zero of=/etc/passwd bs=1M seek=100 count=0 2>/dev/null" "/etc/passwd in the container is larger than"
check "exec -u alice, /etc/group made a FIFO: refused at once" -- \
	exec_hostile ex5 "rm /etc/group && mkfifo /etc/group" "/etc/group in the container is a FIFO"
if [ $SUBUID = 1 ]; then
	check "exec -u alice still works in a container that left its files alone" -- bash -c "
		run -d --name ex6 $TOOLS sleep 600 >/dev/null && test \"\$(tb 20 exec -u alice ex6 id -u)\" = 1000"
else
	check "exec -u root still works in a container that left its files alone" -- bash -c "
		run -d --name ex6 $TOOLS sleep 600 >/dev/null && test \"\$(tb 20 exec -u root ex6 id -u)\" = 0"
fi
for c in ex1 ex3 ex4 ex5 ex6; do b rm -f $c >/dev/null 2>&1; done

# ---- images whose /proc, /sys or /dev is not a directory ----------------------
mksysimg() { # mksysimg NAME DIR KIND
	mkimage
	rm -rf "$T/img/$2"
	case $3 in
	link) ln -s /tmp "$T/img/$2" ;;
	file) echo not-a-dir >"$T/img/$2" ;;
	esac
	mkimage_done "$1"
}
check "images with /proc, /dev, /sys as links to /tmp and /proc, /sys as files" -- bash -c "
	$(declare -f mkimage mkimage_done mksysimg); T='$T'
	mksysimg localhost/sys:proc-link proc link && mksysimg localhost/sys:dev-link dev link &&
	mksysimg localhost/sys:sys-link sys link && mksysimg localhost/sys:proc-file proc file &&
	mksysimg localhost/sys:sys-file sys file"
for v in proc-link:proc:"a symbolic link" dev-link:dev:"a symbolic link" sys-link:sys:"a symbolic link" \
	proc-file:proc:"a file" sys-file:sys:"a file"; do
	tag=${v%%:*} rest=${v#*:} dir=${rest%%:*} kind=${rest#*:}
	check "an image whose /$dir is $kind is refused with one line" -- \
		quick_fail "the image's /$dir is $kind, not a directory" 20 run --rm --network none localhost/sys:$tag true
done
nothing_left() { [ -z "$(b ps -a -q)" ] && ! grep -q " $T/store/containers" /proc/mounts; }
check "... nothing is left (no container, no mount)" -- nothing_left

# ---- commit and diff leave berth's own mount points out -----------------------
# The tools image has no /proc, /dev, /sys, /run, /etc/hosts, /etc/hostname,
# /etc/resolv.conf, /data, /mnt, /scratch: berth makes each as a mount
# point in the writable layer. The container itself writes /tmp/written.
as_user mkdir -p "$T/bindsrc"
as_user sh -c "echo s1-value >'$T/s1' && echo s2-value >'$T/s2' && echo '10.9.8.7 mine' >'$T/myhosts'"
check "secrets s1, s2" -- bash -c "berth secret create s1 '$T/s1' >/dev/null && berth secret create s2 '$T/s2' >/dev/null"
cd_run() {
	run --name cd --network none --secret s1 --secret source=s2,target=/etc/app/token \
		-v cdv:/data -v "$T/bindsrc:/mnt/b" -v cdv2:/mnt/b/nested --tmpfs /scratch \
		$TOOLS sh -c 'echo real >/tmp/written && test "$(cat /run/secrets/s1)" = s1-value &&
			test "$(cat /etc/app/token)" = s2-value && ! (echo x >/run/secrets/s1) 2>/dev/null &&
			! (echo x >/etc/app/token) 2>/dev/null && ! touch /run/secrets/new 2>/dev/null &&
			test "$(ls -A /run/secrets)" = s1'
}
check "a container with secrets (read-only, in place), volumes, a bind with a volume inside, a tmpfs" -- cd_run
diff_is() { # diff_is CONTAINER EXPECTED
	b diff "$1" >"$T/diff.out" || return 1
	[ "$(cat "$T/diff.out")" = "$2" ] || { sed 's/^/#   got: /' "$T/diff.out" >&2; return 1; }
}
check "diff shows what the container wrote, none of berth's mount points" -- diff_is cd "C /tmp
A /tmp/written"
# tree_paths IMAGE: the paths an image holds
tree_paths() { b image tree "$1" | awk -F'\t' '!/^#/ {print $1}' | LC_ALL=C sort; }
commit_has() { # commit_has CONTAINER IMAGE EXPECTED-NEW-PATHS
	b commit "$1" "$2" >/dev/null || return 1
	local got
	got=$(comm -13 <(tree_paths $TOOLS) <(tree_paths "$2"))
	[ "$got" = "$3" ] || { echo "#   new paths: $got" >&2; return 1; }
}
check "commit bakes what the container wrote, none of berth's mount points" -- commit_has cd localhost/cd:1 "/tmp/written"
check "berth made the nested volume's mount point in the bind source" -- test -d "$T/bindsrc/nested"
# the container really writes /etc/hosts (cp into the stopped container:
# the layer's placeholder, not the bound file): then it is kept
check "cp a hosts file into the stopped container's /etc/hosts" -- tb 20 cp "$T/myhosts" cd:/etc/hosts
check "diff shows the /etc/hosts it now holds" -- diff_is cd "C /etc
A /etc/hosts
C /tmp
A /tmp/written"
hosts_kept() {
	commit_has cd localhost/cd:2 "/etc/hosts
/tmp/written" && [ "$(b run --rm --network none --entrypoint cat localhost/cd:2 /etc/hosts)" != "" ] &&
		b image tree localhost/cd:2 | grep -q "^/etc/hosts	f	0644	0	0	14	"
}
check "commit keeps it (14 bytes)" -- hosts_kept
rm_made() { b rm -v cd >/dev/null && [ ! -e "$T/bindsrc/nested" ] && [ -z "$(ls -A "$T/bindsrc")" ]; }
check "rm -v: the mount point made in the bind source goes" -- rm_made

# ---- image mount --upper DIR: a directory the user names -----------------------
# A link planted as DIR/meta.tmp (the name the table is folded through at
# unmount) and a FIFO as DIR/meta.log must not be followed or waited on.
upper_link() {
	as_user mkdir -p "$T/up" "$T/mnt" &&
		as_user ln -s "$T/victim/file" "$T/up/meta.tmp" || return 1
	tb 20 image mount --upper "$T/up" $TOOLS "$T/mnt" || return 1
	as_user sh -c "echo new >'$T/mnt/tmp/new'" || return 1
	tb 20 image umount "$T/mnt" || return 1
	# the table was folded into a new file, the link is gone (berth-fs
	# folds once the unmount reached it: umount does not wait for that)
	wait_for 10 bash -c "[ -f '$T/up/meta' ] && [ ! -L '$T/up/meta' ] && [ ! -e '$T/up/meta.tmp' ]"
}
check "image mount --upper DIR with a link as DIR/meta.tmp: unmount folds into a new file" -- upper_link
check "... the file the link named is untouched" -- victim_intact
upper_fifo() {
	as_user mkdir -p "$T/up2" && as_user mkfifo "$T/up2/meta.log" || return 1
	# (berth-fs says why, then berth that the mount failed)
	local start=$SECONDS
	expect_fail "meta.log is not a regular file" tb 20 image mount --upper "$T/up2" $TOOLS "$T/mnt" &&
		[ $((SECONDS - start)) -lt 20 ]
}
check "image mount --upper DIR with a FIFO as DIR/meta.log: refused at once" -- upper_fifo

# ---- guards: races whose window is a few microseconds --------------------------
# (main does not reliably lose these; they watch the fixed code)
# The mount points berth made in a bind-mounted folder go with the
# container, while a co-tenant sharing the folder swaps their parent for
# a link to the victim (which has an empty x of its own).
made_race() {
	local i
	as_user mkdir -p "$T/mb"
	for i in 1 2; do
		run --name "mk$i" --network none -v "$T/mb:/b" -v "mkv$i:/b/p/x" $TOOLS true >/dev/null &&
			[ -d "$T/mb/p/x" ] || return 1
		run -d --name "mkc$i" -v "$T/mb:/b" $TOOLS /attack-fs swap /b/p "$T/victim" 3 >/dev/null || return 1
		# (the swapping is under way: it made its link)
		wait_for 10 lexists "$T/mb/p.lnk" || return 1
		tb 30 rm -v "mk$i" >/dev/null || return 1
		tb 20 wait "mkc$i" >/dev/null
		b rm -f "mkc$i" >/dev/null
		as_user rm -rf "$T/mb/p" "$T/mb/p.lnk"
		victim_intact || { echo "#   round $i" >&2; return 1; }
	done
}
check "rm of a container whose bind mount points a co-tenant swaps for links: the victim is untouched (2 rounds)" -- made_race
# A volume on /run shared with a co-tenant that swaps /run/secrets for a
# link to a directory of the volume while the secrets are written: no
# value may land in the volume.
secrets_race() {
	local i
	for i in 1 2; do
		run --rm --network none -v "runv$i:/run" $TOOLS mkdir -p /run/leak >/dev/null || return 1
		run -d --name "sk$i" -v "runv$i:/run" $TOOLS /attack-fs swap /run/secrets /run/leak 3 >/dev/null || return 1
		tb 30 run --rm --network none -v "runv$i:/run" --secret s1 $TOOLS true >/dev/null 2>&1
		tb 20 wait "sk$i" >/dev/null
		b rm -f "sk$i" >/dev/null
		if grep -rqs s1-value "$BERTH_ROOT/volumes/runv$i/_data"; then
			echo "#   a secret landed in the shared volume (round $i)" >&2
			return 1
		fi
		b volume rm "runv$i" >/dev/null || return 1
	done
}
check "secrets written while a co-tenant swaps /run/secrets of a shared /run: none lands in the volume (2 rounds)" -- secrets_race

finish
