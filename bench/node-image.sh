#!/bin/bash
# bench/node-image.sh: make a Debian-based node image's rootfs tar without
# the internet: Debian's minbase rootfs plus the host's own installed nodejs
# (and npm) with every Debian package they need.
#
# Usage: bench/node-image.sh CACHE_DIR
#
# Prints the path of the tar, CACHE_DIR/node-rootfs-KEY.tar, which
# `berth import` and `podman import` both take, so that two tools build FROM
# the same bytes. KEY is a hash of the base rootfs and the package versions:
# the tar is made once and reused while neither changes.
#
# What goes in:
#   - DEBIAN_ROOTFS (default /var/tmp/berth-peers/debian-rootfs.tar, from
#     shared/tools/peer-setup.sh: debootstrap --variant=minbase bookworm);
#     when it is missing, a skeleton plus the host's own essential Debian
#     packages (offline; peer-setup.sh is never run from here);
#   - the files (`dpkg -L`) of the host's packages nodejs, npm, libnode*,
#     those owning the libraries `ldd /usr/bin/node` names, and the closure
#     of their Depends and Pre-Depends among installed packages, but for the
#     packages the rootfs already has; with their dpkg records, so that dpkg
#     in the image knows them. When nodejs is not installed and we are root,
#     `apt-get install nodejs npm` installs it from Debian's archive.
# Exits 77 when it cannot be made here (no rootfs tar and not root, no node
# and not root), with the reason on stderr.
set -euo pipefail

NAME=$(basename "$0")
REPO=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "$NAME: $*" >&2; exit 1; }
cannot() { echo "$NAME: $*" >&2; exit 77; }
usage() { sed -n '2,/^set -e/{ /^set -e/d; s/^# \{0,1\}//; p; }' "$0"; exit "${1:-0}"; }

case ${1:-} in -h | --help) usage 0 ;; "" | -*) usage 1 >&2 ;; esac
CACHE=$1
BASE=${DEBIAN_ROOTFS:-/var/tmp/berth-peers/debian-rootfs.tar}

ESSENTIAL=""
if [ ! -r "$BASE" ]; then
	# No debootstrap'ed rootfs (a fresh machine: peer-setup.sh has not
	# run): a skeleton (merged /usr's links, passwd, group, an empty dpkg
	# status) to which this Debian host's own essential packages are added
	# with nodejs below. Offline, and without peer-setup's side effects.
	mkdir -p "$CACHE"
	BASE=$CACHE/skeleton-rootfs.tar
	ESSENTIAL="base-files base-passwd dash bash coreutils libc-bin sed grep findutils"
	if [ ! -s "$BASE" ]; then
		echo "$NAME: no Debian rootfs at ${DEBIAN_ROOTFS:-/var/tmp/berth-peers/debian-rootfs.tar}: a skeleton and the host's essential packages instead" >&2
		python3 - "$BASE.tmp" <<'PY' || die "could not write the skeleton"
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def entry(name, kind, mode=0o755, data=b"", link=""):
    ti = tarfile.TarInfo("./" + name if name else ".")
    ti.type, ti.mode, ti.mtime = kind, mode, 0
    if kind == tarfile.SYMTYPE:
        ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
entry("", tarfile.DIRTYPE)
for d in ("usr", "usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "etc", "var", "var/lib",
          "var/lib/dpkg", "dev", "proc", "sys", "home", "run"):
    entry(d, tarfile.DIRTYPE)
for d in ("tmp", "var/tmp"):
    entry(d, tarfile.DIRTYPE, 0o1777)
entry("root", tarfile.DIRTYPE, 0o700)
for l in ("bin", "sbin", "lib", "lib64"):
    entry(l, tarfile.SYMTYPE, 0o777, link="usr/" + l)
entry("etc/passwd", tarfile.REGTYPE, 0o644,
      b"root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
entry("etc/group", tarfile.REGTYPE, 0o644, b"root:x:0:\nnogroup:x:65534:\n")
entry("var/lib/dpkg/status", tarfile.REGTYPE, 0o644, b"")
t.close()
PY
		mv "$BASE.tmp" "$BASE"
	fi
fi

if ! dpkg-query -S /usr/bin/node >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || cannot "nodejs is not installed as a Debian package (apt-get install nodejs npm, as root)"
	echo "$NAME: installing nodejs and npm from Debian's archive" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq nodejs npm >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; } ||
		die "apt-get install nodejs npm failed"
fi
command -v python3 >/dev/null || die "python3 is needed to write the tar"

# The starting packages: nodejs, npm and libnode* when installed (the host's
# nodejs may ship npm itself), and the owners of node's libraries.
installed() { dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null | awk '$1 == "ii" { print $2 }'; }
start=$(
	installed nodejs npm 'libnode*'
	# shellcheck disable=SC2086 # a list of names
	[ -z "$ESSENTIAL" ] || installed $ESSENTIAL
	ldd /usr/bin/node | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r lib; do
			dpkg-query -S "$lib" 2>/dev/null || dpkg-query -S "$(readlink -f "$lib")" 2>/dev/null || true
		done | sed 's/:.*//' | tr ',' '\n' | sed 's/ //g'
)
mapfile -t START < <(printf '%s\n' "$start" | grep -v '^$' | sort -u)

mkdir -p "$CACHE"
STATUS=$(mktemp) BASE_STATUS=$(mktemp) PKGS=$(mktemp)
trap 'rm -f "$STATUS" "$BASE_STATUS" "$PKGS"' EXIT
dpkg-query -W -f='${db:Status-Abbrev}\t${Package}\t${Version}\t${Provides}\t${Pre-Depends}\t${Depends}\n' >"$STATUS"
tar -xOf "$BASE" ./var/lib/dpkg/status >"$BASE_STATUS" 2>/dev/null ||
	tar -xOf "$BASE" var/lib/dpkg/status >"$BASE_STATUS" || die "$BASE has no var/lib/dpkg/status"

# The closure, less what the rootfs has: "PACKAGE VERSION" lines.
python3 - "$STATUS" "$BASE_STATUS" "${START[@]}" >"$PKGS" <<'PY'
import re, sys
status, base_status, start = sys.argv[1], sys.argv[2], sys.argv[3:]
inst, provides = {}, {}
for line in open(status):
    f = line.rstrip("\n").split("\t")
    if len(f) < 6 or not f[0].startswith("ii"):
        continue
    name, ver = f[1], f[2]
    inst[name] = (ver, f[4] + ("," if f[4] and f[5] else "") + f[5])
    for p in filter(None, (x.strip() for x in f[3].split(","))):
        provides.setdefault(re.split(r"[ (:]", p)[0], []).append(name)
have = set()
for stanza in open(base_status).read().split("\n\n"):
    m = re.search(r"^Package: (\S+)", stanza, re.M)
    if m and re.search(r"^Status: install ok installed", stanza, re.M):
        have.add(m.group(1))
def pick(alts):
    """The installed package that satisfies one of alternatives a|b|c."""
    names = [re.split(r"[ (:]", a.strip())[0] for a in alts.split("|")]
    for n in names:
        if n in have:
            return None
    for n in names:
        if n in inst:
            return n
        for p in provides.get(n, []):
            if p in have:
                return None
        for p in provides.get(n, []):
            if p in inst:
                return p
    sys.exit("node-image: no installed package satisfies '%s'" % alts.strip())
todo, seen = [s for s in start if s in inst and s not in have], set()
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    for dep in filter(None, (d.strip() for d in inst[p][1].split(","))):
        q = pick(dep)
        if q and q not in have and q not in seen:
            todo.append(q)
for p in sorted(seen):
    print(p, inst[p][0])
PY
[ -s "$PKGS" ] || die "no package to add: is nodejs installed?"

KEY=$({
	echo "node-image v2"
	find /usr/lib/node_modules /usr/share/node_modules -maxdepth 3 -name package.json -printf '%p %T@\n' 2>/dev/null || true
	stat -c '%n %s %Y' "$BASE"
	cat "$PKGS"
} | sha256sum | cut -c1-16)
OUT=$CACHE/node-rootfs-$KEY.tar
if [ -s "$OUT" ]; then
	printf '%s\n' "$OUT"
	exit 0
fi
echo "$NAME: adding to $(basename "$BASE"): $(cut -d' ' -f1 "$PKGS" | tr '\n' ' ')" >&2

# The tar: the rootfs's members, then the packages' files (their parent
# directories resolved through the rootfs's own symlinks, /lib -> usr/lib on
# a merged /usr), and dpkg's records of them. Owners are numeric.
TMP=$(mktemp "$CACHE/.node-rootfs.XXXXXX")
trap 'rm -f "$STATUS" "$BASE_STATUS" "$PKGS" "$TMP"' EXIT
python3 - "$BASE" "$TMP" "$PKGS" <<'PY'
import io, os, posixpath, re, stat, subprocess, sys, tarfile
base, out, pkgs = sys.argv[1], sys.argv[2], [l.split()[0] for l in open(sys.argv[3])]

src = tarfile.open(base)
members = src.getmembers()
def norm(n):
    n = posixpath.normpath("/" + n).lstrip("/")
    return n if n else "."
index = {norm(m.name): m for m in members}

def resolve(path):
    """PATH with its directories resolved through the rootfs's symlinks."""
    parts, done, hops = [p for p in path.strip("/").split("/") if p], [], 0
    while parts:
        p = parts.pop(0)
        cur = "/".join(done + [p])
        m = index.get(cur)
        if parts and m is not None and m.issym() and hops < 40:
            hops += 1
            t = m.linkname
            tgt = t.strip("/").split("/") if t.startswith("/") else done + t.split("/")
            parts = [x for x in tgt if x] + parts
            done = []
            # normalise . and ..
            stack = []
            for x in parts:
                if x == "..":
                    if stack:
                        stack.pop()
                elif x != ".":
                    stack.append(x)
            parts = stack
            continue
        done.append(p)
    return "/".join(done)

files = set()
for p in pkgs:
    for l in subprocess.run(["dpkg-query", "-L", p], capture_output=True, text=True, check=True).stdout.splitlines():
        if l.startswith("/") and l != "/.":
            files.add(l)
# a module tree under node_modules is taken as it is on the host: npm
# replaces itself there (`npm install -g npm`) behind dpkg's back
modroot = re.compile(r"^/usr/(lib|share)/node_modules/(@[^/]+/)?[^/@]+$")
for d in sorted(f for f in files if modroot.match(f) and os.path.isdir(f) and not os.path.islink(f)):
    for top, dirs, names in os.walk(d):
        for n in dirs + names:
            files.add(os.path.join(top, n))
for p in pkgs:
    for ext in ("list", "md5sums"):
        for cand in (f"/var/lib/dpkg/info/{p}.{ext}", f"/var/lib/dpkg/info/{p}:amd64.{ext}"):
            if os.path.exists(cand):
                files.add(cand)

added, replaced = {}, set()
def add(host, name):
    if name in added:
        return
    parent = posixpath.dirname(name)
    if parent and parent not in index and parent not in added:
        add(os.path.dirname(host), parent)
    st = os.lstat(host)
    if stat.S_ISDIR(st.st_mode) and name in index:
        return
    if name in index:
        replaced.add(name)
    added[name] = host

for host in sorted(files):
    try:
        os.lstat(host)
    except FileNotFoundError:
        continue
    add(host, resolve(host))

dst = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
status_name = "var/lib/dpkg/status"
for m in members:
    n = norm(m.name)
    if n in replaced or n == status_name:
        continue
    dst.addfile(m, src.extractfile(m) if m.isreg() else None)
# dpkg's status: the rootfs's, with the added packages' records
st = src.extractfile(index[status_name]).read().rstrip(b"\n") + b"\n"
for p in pkgs:
    st += b"\n" + subprocess.run(["dpkg-query", "-s", p], capture_output=True, check=True).stdout.rstrip(b"\n") + b"\n"
ti = tarfile.TarInfo("./" + status_name)
ti.size, ti.mode, ti.mtime = len(st), 0o644, index[status_name].mtime
dst.addfile(ti, io.BytesIO(st))
for name in sorted(added):
    host = added[name]
    ti = dst.gettarinfo(host, "./" + name)
    ti.mtime = int(ti.mtime)
    ti.uname = ti.gname = ""
    if ti.isreg():
        with open(host, "rb") as f:
            dst.addfile(ti, f)
    else:
        dst.addfile(ti)
dst.close()
print(f"node-image: {len(added)} entries added ({len(replaced)} replacing the rootfs's)", file=sys.stderr)
PY
chmod 644 "$TMP"
mv "$TMP" "$OUT"
trap 'rm -f "$STATUS" "$BASE_STATUS" "$PKGS"' EXIT
printf '%s\n' "$OUT"
